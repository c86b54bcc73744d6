//! The status catalog: every SIP status line of the seed (`seed/sip-gateways.txt`), byte-exact,
//! including the operator variants that reuse a code with another reason phrase
//! (`480 Empty Route Set`, `403 Invalid Phone Number`), each with its meaning in English and
//! Russian and the Q.850 cause and `DIALSTATUS` Asterisk gives it (see [`crate::cause`]).
//!
//! A [`StatusLine`] is a code and its exact reason phrase; the constants (`BUSY_HERE_486`,
//! `EMPTY_ROUTE_SET_480`, …, named `<PHRASE>_<CODE>`) are the lines the built-in router, the
//! B2BUA and plugins answer with. [`CATALOG`] explains them; [`lookup`], [`variants`] and
//! [`entry`] search it, and [`explain`] renders it for `ringway explain`.
//!
//! The catalog holds the seed's lines only: a code the seed never spells (`410 Gone`) has no
//! entry, though [`StatusLine::plain`] still names it.

mod entries;
mod render;

pub use entries::*;
pub use render::{ExplainError, explain};

use crate::StatusCode;
use crate::cause::{DialStatus, Q850Cause};
use std::fmt;

/// A status code with the exact reason phrase to send, e.g. `480 Empty Route Set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusLine {
    /// The three-digit code.
    pub code: StatusCode,
    /// The reason phrase, byte-exact.
    pub reason: &'static str,
}

impl StatusLine {
    /// The code with its plain reason phrase ([`StatusCode::reason_or_class_default`]): the
    /// seed's spelling where the seed has the plain line (`404 Not found`), else the RFC's.
    pub fn plain(code: StatusCode) -> StatusLine {
        StatusLine { code, reason: code.reason_or_class_default() }
    }
}

impl fmt::Display for StatusLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.as_u16(), self.reason)
    }
}

/// One catalog line and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The status line, byte-exact as the seed writes it.
    pub line: StatusLine,
    /// What the line tells the caller, in English.
    pub meaning_en: &'static str,
    /// The same, in Russian.
    pub meaning_ru: &'static str,
    /// The Q.850 cause Ringway puts in the `Reason` header with this line and Asterisk records
    /// for it: [`cause_for_status`](crate::cause::cause_for_status) of the code, unless the
    /// phrase names a more specific cause (`480 Invalid Phone Number` → 28).
    pub q850: Q850Cause,
    /// What app_dial reports in `DIALSTATUS` when a dialled leg ends with this line and cause.
    pub dial_status: DialStatus,
}

/// The catalog entry for `code` and `reason`: the exact phrase first, then the phrase compared
/// case-insensitively (`480 no money left` finds `480 No money left`).
pub fn lookup(code: u16, reason: &str) -> Option<&'static Entry> {
    variants(code)
        .find(|e| e.line.reason == reason)
        .or_else(|| variants(code).find(|e| e.line.reason.eq_ignore_ascii_case(reason)))
}

/// The catalog line with this code and exactly this reason phrase (byte-exact, no case folding):
/// how a line that crossed a boundary as text (a plugin's rejection) becomes a [`StatusLine`]
/// again.
pub fn exact(code: u16, reason: &str) -> Option<StatusLine> {
    variants(code).find(|e| e.line.reason == reason).map(|e| e.line)
}

/// Every catalog line with this code, in the seed's order.
pub fn variants(code: u16) -> impl Iterator<Item = &'static Entry> {
    CATALOG.iter().filter(move |e| e.line.code.as_u16() == code)
}

/// The catalog entry of exactly this line (code and byte-exact phrase).
pub fn entry(line: StatusLine) -> Option<&'static Entry> {
    CATALOG.iter().find(|e| e.line == line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cause::{cause_for_status, dial_status_for};

    fn screaming_snake(phrase: &str) -> String {
        let words: Vec<String> = phrase
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        words.join("_")
    }

    #[test]
    fn every_constant_is_named_after_its_phrase_and_code() {
        assert_eq!(CONSTANT_NAMES.len(), CATALOG.len());
        for (name, line) in CONSTANT_NAMES {
            let expected = format!("{}_{}", screaming_snake(line.reason), line.code);
            assert_eq!(*name, expected);
        }
    }

    #[test]
    fn the_constants_other_code_already_uses_keep_their_lines() {
        assert_eq!(EMPTY_ROUTE_SET_480.to_string(), "480 Empty Route Set");
        assert_eq!(INVALID_PHONE_NUMBER_403.to_string(), "403 Invalid Phone Number");
        assert_eq!(CODEC_MISMATCH_488.to_string(), "488 Codec Mismatch");
        assert_eq!(NO_MONEY_LEFT_480.to_string(), "480 No money left");
        assert_eq!(NOT_FOUND_404.to_string(), "404 Not found");
        assert_eq!(
            CALL_LEG_TRANSACTION_DOES_NOT_EXIST_481.to_string(),
            "481 Call Leg/Transaction Does Not Exist"
        );
    }

    #[test]
    fn no_two_lines_differ_only_in_case() {
        for (i, a) in CATALOG.iter().enumerate() {
            for b in &CATALOG[i + 1..] {
                assert!(
                    a.line.code != b.line.code
                        || !a.line.reason.eq_ignore_ascii_case(b.line.reason),
                    "{} / {}",
                    a.line,
                    b.line
                );
            }
        }
    }

    #[test]
    fn lookup_prefers_the_exact_phrase_and_falls_back_to_any_case() {
        assert_eq!(lookup(480, "No money left").unwrap().line, NO_MONEY_LEFT_480);
        assert_eq!(lookup(480, "NO MONEY LEFT").unwrap().line, NO_MONEY_LEFT_480);
        assert_eq!(
            lookup(480, "no money left on rfc account").unwrap().line,
            NO_MONEY_LEFT_ON_RFC_ACCOUNT_480
        );
        assert_eq!(lookup(404, "not FOUND").unwrap().line, NOT_FOUND_404);
        assert!(lookup(480, "No monies").is_none());
        assert!(lookup(481, "No money left").is_none());
    }

    #[test]
    fn exact_finds_only_the_byte_exact_phrase() {
        assert_eq!(exact(480, "No money left"), Some(NO_MONEY_LEFT_480));
        assert_eq!(exact(480, "no money left"), None);
        assert_eq!(exact(500, "Undefined Reason"), Some(UNDEFINED_REASON_500));
    }

    #[test]
    fn variants_lists_every_line_of_a_code_in_seed_order() {
        let reasons: Vec<_> = variants(488).map(|e| e.line.reason).collect();
        assert_eq!(reasons, ["Codec Mismatch", "Private IP Address"]);
        assert_eq!(variants(480).count(), 10);
        assert_eq!(variants(409).count(), 0);
    }

    #[test]
    fn entry_matches_the_byte_exact_line_only() {
        assert_eq!(entry(BUSY_HERE_486).unwrap().q850, Q850Cause::USER_BUSY);
        let respelled = StatusLine { code: StatusCode::BUSY_HERE, reason: "Busy here" };
        assert!(entry(respelled).is_none());
    }

    #[test]
    fn the_plain_line_uses_the_seed_spelling() {
        assert_eq!(StatusLine::plain(StatusCode::NOT_FOUND).to_string(), "404 Not found");
        assert_eq!(StatusLine::plain(StatusCode::GONE).to_string(), "410 Gone");
    }

    #[test]
    fn causes_follow_asterisk_for_the_code_except_the_documented_specific_lines() {
        let specific: Vec<String> = CATALOG
            .iter()
            .filter(|e| e.q850 != cause_for_status(e.line.code))
            .map(|e| format!("{} -> {}", e.line, e.q850.0))
            .collect();
        assert_eq!(
            specific,
            [
                "403 Empty Route Set -> 3",
                "403 Out of Look-Ahead Retries -> 34",
                "403 Invalid Phone Number -> 28",
                "404 Out of Order -> 3",
                "406 No codecs match -> 58",
                "410 No Route -> 3",
                "415 No Media -> 58",
                "480 Invalid Phone Number -> 28",
                "480 Destination Not Found In Client Plan -> 3",
                "480 Wrong DB Response -> 41",
                "480 DB Timeout -> 41",
                "480 Database Error -> 41",
                "480 Codec Mismatch -> 58",
                "480 No Money Left on RFC Account -> 21",
                "480 Empty Route Set -> 3",
                "480 No money left -> 21",
                "499 Codec Mismatch -> 58",
                "500 DB Timeout -> 41",
                "500 Database Error -> 41",
                "500 Wrong DB Response -> 41",
                "500 account has been moved to a remote system -> 22",
            ]
        );
    }

    #[test]
    fn dial_status_agrees_with_the_code_unless_the_cause_is_specific() {
        for e in CATALOG {
            if e.q850 == cause_for_status(e.line.code) {
                assert_eq!(e.dial_status, dial_status_for(e.line.code), "{}", e.line);
            }
        }
        assert_eq!(entry(INVALID_PHONE_NUMBER_480).unwrap().dial_status, DialStatus::ChanUnavail);
        assert_eq!(entry(TEMPORARILY_UNAVAILABLE_480).unwrap().dial_status, DialStatus::NoAnswer);
        assert_eq!(
            entry(OUT_OF_LOOK_AHEAD_RETRIES_403).unwrap().dial_status,
            DialStatus::Congestion
        );
        assert_eq!(entry(REQUEST_TERMINATED_487).unwrap().dial_status, DialStatus::Cancel);
        assert_eq!(entry(OK_200).unwrap().dial_status, DialStatus::Answer);
    }
}
