//! Q.850 hangup causes and how Asterisk maps them to and from SIP status codes.
//!
//! Operators compare Ringway with the Asterisk boxes it replaces or sits next to, so the mapping
//! follows Asterisk's, not RFC 3398's: [`cause_for_status`] is chan_pjsip's `hangup_sip2cause`
//! (identical to chan_sip's), [`status_for_cause`] is chan_pjsip's `hangup_cause2sip` with the
//! `603` res_pjsip_session falls back to, and [`dial_status_for`] is what app_dial puts in
//! `DIALSTATUS` when a single dialled PJSIP channel ends with that response. The `Reason` header
//! helpers read and write RFC 3326's `Q.850;cause=N;text="…"`.
//!
//! Deliberately not modelled: chan_sip's control frames (it reported `603` as `BUSY` and most 4xx
//! as `CONGESTION`; chan_pjsip, the driver left in Asterisk 21, reports by cause as here), and
//! the outcome of a Dial with several destinations (app_dial reports `BUSY` / `CONGESTION` /
//! `CHANUNAVAIL` only when every leg failed that way).

use crate::{StatusCode, StatusLine};
use std::fmt;

/// An ISDN (ITU-T Q.850) cause value, 0–127, as Asterisk's `HANGUPCAUSE` carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Q850Cause(pub u8);

macro_rules! causes {
    ($($name:ident = $value:literal;)*) => {
        impl Q850Cause {
            $(
                #[doc = concat!("Cause ", stringify!($value), ": `", stringify!($name), "`.")]
                pub const $name: Q850Cause = Q850Cause($value);
            )*

            /// The cause's name as Asterisk spells it after `AST_CAUSE_` (e.g. `USER_BUSY`), or
            /// `None` for a value with no name.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

// Asterisk's include/asterisk/causes.h, plus two Q.850 generic causes Asterisk has no constant for
// (47, 79): their names follow Q.850's wording in the same style.
causes! {
    UNALLOCATED = 1;
    NO_ROUTE_TRANSIT_NET = 2;
    NO_ROUTE_DESTINATION = 3;
    MISDIALLED_TRUNK_PREFIX = 5;
    CHANNEL_UNACCEPTABLE = 6;
    CALL_AWARDED_DELIVERED = 7;
    PRE_EMPTED = 8;
    NUMBER_PORTED_NOT_HERE = 14;
    NORMAL_CLEARING = 16;
    USER_BUSY = 17;
    NO_USER_RESPONSE = 18;
    NO_ANSWER = 19;
    SUBSCRIBER_ABSENT = 20;
    CALL_REJECTED = 21;
    NUMBER_CHANGED = 22;
    REDIRECTED_TO_NEW_DESTINATION = 23;
    ANSWERED_ELSEWHERE = 26;
    DESTINATION_OUT_OF_ORDER = 27;
    INVALID_NUMBER_FORMAT = 28;
    FACILITY_REJECTED = 29;
    RESPONSE_TO_STATUS_ENQUIRY = 30;
    NORMAL_UNSPECIFIED = 31;
    NORMAL_CIRCUIT_CONGESTION = 34;
    NETWORK_OUT_OF_ORDER = 38;
    NORMAL_TEMPORARY_FAILURE = 41;
    SWITCH_CONGESTION = 42;
    ACCESS_INFO_DISCARDED = 43;
    REQUESTED_CHAN_UNAVAIL = 44;
    RESOURCE_UNAVAILABLE_UNSPECIFIED = 47;
    FACILITY_NOT_SUBSCRIBED = 50;
    OUTGOING_CALL_BARRED = 52;
    INCOMING_CALL_BARRED = 54;
    BEARERCAPABILITY_NOTAUTH = 57;
    BEARERCAPABILITY_NOTAVAIL = 58;
    BEARERCAPABILITY_NOTIMPL = 65;
    CHAN_NOT_IMPLEMENTED = 66;
    FACILITY_NOT_IMPLEMENTED = 69;
    SERVICE_NOT_IMPLEMENTED_UNSPECIFIED = 79;
    INVALID_CALL_REFERENCE = 81;
    INCOMPATIBLE_DESTINATION = 88;
    INVALID_MSG_UNSPECIFIED = 95;
    MANDATORY_IE_MISSING = 96;
    MESSAGE_TYPE_NONEXIST = 97;
    WRONG_MESSAGE = 98;
    IE_NONEXIST = 99;
    INVALID_IE_CONTENTS = 100;
    WRONG_CALL_STATE = 101;
    RECOVERY_ON_TIMER_EXPIRE = 102;
    MANDATORY_IE_LENGTH_ERROR = 103;
    PROTOCOL_ERROR = 111;
    INTERWORKING = 127;
}

impl fmt::Display for Q850Cause {
    /// `17 USER_BUSY`, or the bare number for a cause with no name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} {name}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The outcome app_dial leaves in `DIALSTATUS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialStatus {
    /// The callee answered.
    Answer,
    /// The callee was busy (cause 17).
    Busy,
    /// Nobody answered before the dial ended.
    NoAnswer,
    /// The caller hung up first.
    Cancel,
    /// The network was congested (cause 34).
    Congestion,
    /// The channel could not be reached or refused the call (any other cause).
    ChanUnavail,
    /// Privacy manager: the callee chose "do not call".
    DontCall,
    /// Privacy manager: the callee chose "torture".
    Torture,
    /// Dial was given bad arguments.
    InvalidArgs,
}

impl DialStatus {
    /// The word as `DIALSTATUS` holds it: `ANSWER`, `BUSY`, `NOANSWER`, `CANCEL`, …
    pub const fn as_str(self) -> &'static str {
        match self {
            DialStatus::Answer => "ANSWER",
            DialStatus::Busy => "BUSY",
            DialStatus::NoAnswer => "NOANSWER",
            DialStatus::Cancel => "CANCEL",
            DialStatus::Congestion => "CONGESTION",
            DialStatus::ChanUnavail => "CHANUNAVAIL",
            DialStatus::DontCall => "DONTCALL",
            DialStatus::Torture => "TORTURE",
            DialStatus::InvalidArgs => "INVALIDARGS",
        }
    }
}

impl fmt::Display for DialStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The cause Asterisk records when a call leg ends with this SIP response (chan_pjsip's
/// `hangup_sip2cause`): `404` → 1, `486` → 17, `480` → 19, `408` → 18, `503` → 34, `504` → 102,
/// `603` → 21, `487` → 127; other 4xx and 6xx → 127, other 5xx → 34, anything below 400 → 16.
pub const fn cause_for_status(code: StatusCode) -> Q850Cause {
    match code.as_u16() {
        401 | 403 | 407 | 603 => Q850Cause::CALL_REJECTED,
        404 | 485 | 604 => Q850Cause::UNALLOCATED,
        408 => Q850Cause::NO_USER_RESPONSE,
        409 => Q850Cause::NORMAL_TEMPORARY_FAILURE,
        410 => Q850Cause::NUMBER_CHANGED,
        420 => Q850Cause::NO_ROUTE_DESTINATION,
        480 | 483 => Q850Cause::NO_ANSWER,
        484 => Q850Cause::INVALID_NUMBER_FORMAT,
        486 | 600 => Q850Cause::USER_BUSY,
        488 | 606 => Q850Cause::BEARERCAPABILITY_NOTAVAIL,
        500 => Q850Cause::NETWORK_OUT_OF_ORDER,
        501 => Q850Cause::FACILITY_REJECTED,
        502 => Q850Cause::DESTINATION_OUT_OF_ORDER,
        503 => Q850Cause::NORMAL_CIRCUIT_CONGESTION,
        504 => Q850Cause::RECOVERY_ON_TIMER_EXPIRE,
        505 => Q850Cause::INTERWORKING,
        // 405, 411, 413–415, 481, 482, 487, 491 and 493 are listed one by one in Asterisk and
        // land where the class default puts them anyway.
        other => class_default_cause(other),
    }
}

/// Asterisk's cause for a code it does not list: a 4xx means "something is wrong with our
/// request" and a 6xx is a global 4xx, both interworking (127); a 5xx is trouble at the far end,
/// congestion (34); anything below 400 is a normal clearing (16).
const fn class_default_cause(code: u16) -> Q850Cause {
    match code / 100 {
        4 | 6 => Q850Cause::INTERWORKING,
        5 => Q850Cause::NORMAL_CIRCUIT_CONGESTION,
        _ => Q850Cause::NORMAL_CLEARING,
    }
}

/// The status line Asterisk rejects an unanswered call with when it hangs up for this cause
/// (chan_pjsip's `hangup_cause2sip`; a cause it has no code for gets `603`). The reason phrase
/// is the plain one ([`StatusLine::plain`]), so the catalog's spelling where it has the line.
pub fn status_for_cause(cause: Q850Cause) -> StatusLine {
    StatusLine::plain(status_code_for_cause(cause))
}

const fn status_code_for_cause(cause: Q850Cause) -> StatusCode {
    match cause.0 {
        1..=3 => StatusCode::NOT_FOUND,
        34 | 42 | 66 => StatusCode::SERVICE_UNAVAILABLE,
        18 => StatusCode::REQUEST_TIMEOUT,
        19 | 20 | 31 => StatusCode::TEMPORARILY_UNAVAILABLE,
        21 => StatusCode::FORBIDDEN,
        22 => StatusCode::GONE,
        28 => StatusCode::ADDRESS_INCOMPLETE,
        17 => StatusCode::BUSY_HERE,
        38 | 127 => StatusCode::SERVER_INTERNAL_ERROR,
        29 => StatusCode::NOT_IMPLEMENTED,
        27 => StatusCode::BAD_GATEWAY,
        58 => StatusCode::NOT_ACCEPTABLE_HERE,
        _ => StatusCode::DECLINE,
    }
}

/// `DIALSTATUS` after Dial() of one PJSIP destination that ended with this response: `2xx` →
/// `ANSWER`; `487` → `CANCEL` (a `487` answers the CANCEL Asterisk sends only because the caller
/// hung up); a provisional response only → `NOANSWER`; otherwise what app_dial makes of
/// [`cause_for_status`] (see [`dial_status_for_cause`]).
pub const fn dial_status_for(code: StatusCode) -> DialStatus {
    dial_status_for_outcome(code, cause_for_status(code))
}

/// What app_dial's `handle_cause` makes of the cause a dialled channel hung up with: 17 → `BUSY`,
/// 34 → `CONGESTION`, 16 and 19 leave the initial `NOANSWER`, anything else counts as
/// `CHANUNAVAIL`.
pub const fn dial_status_for_cause(cause: Q850Cause) -> DialStatus {
    match cause.0 {
        17 => DialStatus::Busy,
        34 => DialStatus::Congestion,
        16 | 19 => DialStatus::NoAnswer,
        _ => DialStatus::ChanUnavail,
    }
}

/// [`dial_status_for`] when the leg carried a more specific cause than its code (a `Reason`
/// header, or a catalog line such as `480 Invalid Phone Number`).
pub(crate) const fn dial_status_for_outcome(code: StatusCode, cause: Q850Cause) -> DialStatus {
    match code.as_u16() {
        100..=199 => DialStatus::NoAnswer,
        200..=299 => DialStatus::Answer,
        487 => DialStatus::Cancel,
        _ => dial_status_for_cause(cause),
    }
}

/// A `Reason` header value for this cause (RFC 3326 §2): `Q.850;cause=17;text="USER_BUSY"`; a
/// cause with no name gets no `text`.
pub fn reason_header(cause: Q850Cause) -> String {
    match cause.name() {
        Some(name) => format!("Q.850;cause={};text=\"{name}\"", cause.0),
        None => format!("Q.850;cause={}", cause.0),
    }
}

/// The Q.850 cause in a `Reason` header value (RFC 3326 §2), e.g. from
/// `SIP;cause=487, Q.850;cause=16;text="NORMAL_CLEARING"`. Protocol and parameter names are
/// case-insensitive, commas and semicolons inside quoted text are skipped, and a cause outside
/// 0–127 is not a Q.850 cause (`None`).
pub fn parse_reason_cause(value: &str) -> Option<Q850Cause> {
    split_unquoted(value, ',').find_map(|reason| {
        let mut parts = split_unquoted(reason, ';');
        let protocol = parts.next()?.trim();
        if !protocol.eq_ignore_ascii_case("Q.850") {
            return None;
        }
        parts.find_map(|param| {
            let (name, cause) = param.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("cause") {
                return None;
            }
            let cause = cause.trim();
            if cause.is_empty() || !cause.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            match cause.parse::<u8>() {
                Ok(n) if n <= 127 => Some(Q850Cause(n)),
                _ => None,
            }
        })
    })
}

/// Splits at `sep` outside double quotes (a `\"` inside quotes does not end them).
fn split_unquoted(s: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        let (mut quoted, mut escaped) = (false, false);
        for (i, c) in s.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                c if c == sep && !quoted => {
                    rest = Some(&s[i + c.len_utf8()..]);
                    return Some(&s[..i]);
                }
                _ => {}
            }
        }
        rest = None;
        Some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(code: u16) -> u8 {
        cause_for_status(StatusCode::from_u16_const(code)).0
    }

    #[test]
    fn sip_responses_map_to_the_causes_asterisk_records() {
        let pairs = [
            (404, 1),
            (486, 17),
            (600, 17),
            (480, 19),
            (408, 18),
            (503, 34),
            (504, 102),
            (603, 21),
            (403, 21),
            (487, 127),
            (488, 58),
            (484, 28),
            (410, 22),
            (500, 38),
            (502, 27),
            (420, 3),
            (505, 127),
        ];
        for (code, expected) in pairs {
            assert_eq!(cause(code), expected, "{code}");
        }
    }

    #[test]
    fn unlisted_codes_take_their_class_default() {
        assert_eq!(cause(499), 127);
        assert_eq!(cause(699), 127);
        assert_eq!(cause(513), 34);
        assert_eq!(cause(302), 16);
        assert_eq!(cause(200), 16);
    }

    #[test]
    fn causes_map_to_the_status_line_asterisk_rejects_with() {
        let pairs = [
            (1, "404 Not found"),
            (3, "404 Not found"),
            (17, "486 Busy Here"),
            (18, "408 Request Timeout"),
            (19, "480 Temporarily Unavailable"),
            (21, "403 Forbidden"),
            (28, "484 Address Incomplete"),
            (34, "503 Service Unavailable"),
            (38, "500 Internal Server Error"),
            (58, "488 Not Acceptable Here"),
            (127, "500 Internal Server Error"),
        ];
        for (n, line) in pairs {
            assert_eq!(status_for_cause(Q850Cause(n)).to_string(), line, "cause {n}");
        }
    }

    #[test]
    fn a_cause_asterisk_has_no_code_for_is_declined_with_603() {
        assert_eq!(status_for_cause(Q850Cause::NORMAL_CLEARING).to_string(), "603 Decline");
        assert_eq!(
            status_for_cause(Q850Cause::RECOVERY_ON_TIMER_EXPIRE).to_string(),
            "603 Decline"
        );
    }

    #[test]
    fn dial_status_follows_app_dial_for_a_single_pjsip_destination() {
        let status = |code| dial_status_for(StatusCode::from_u16_const(code)).as_str();
        assert_eq!(status(200), "ANSWER");
        assert_eq!(status(486), "BUSY");
        assert_eq!(status(600), "BUSY");
        assert_eq!(status(503), "CONGESTION");
        assert_eq!(status(580), "CONGESTION");
        assert_eq!(status(480), "NOANSWER");
        assert_eq!(status(180), "NOANSWER");
        assert_eq!(status(487), "CANCEL");
        assert_eq!(status(404), "CHANUNAVAIL");
        assert_eq!(status(408), "CHANUNAVAIL");
        assert_eq!(status(603), "CHANUNAVAIL");
    }

    #[test]
    fn names_are_asterisk_cause_names() {
        assert_eq!(Q850Cause(17).name(), Some("USER_BUSY"));
        assert_eq!(Q850Cause(16).name(), Some("NORMAL_CLEARING"));
        assert_eq!(Q850Cause(58).name(), Some("BEARERCAPABILITY_NOTAVAIL"));
        assert_eq!(Q850Cause(4).name(), None);
        assert_eq!(Q850Cause(34).to_string(), "34 NORMAL_CIRCUIT_CONGESTION");
    }

    #[test]
    fn reason_header_carries_cause_and_name_per_rfc3326_section_2() {
        assert_eq!(reason_header(Q850Cause::USER_BUSY), "Q.850;cause=17;text=\"USER_BUSY\"");
        assert_eq!(reason_header(Q850Cause(4)), "Q.850;cause=4");
    }

    #[test]
    fn reason_header_round_trips_through_the_parser() {
        for n in 0..=127 {
            assert_eq!(parse_reason_cause(&reason_header(Q850Cause(n))), Some(Q850Cause(n)));
        }
    }

    #[test]
    fn the_q850_cause_is_found_among_several_reasons_per_rfc3326_section_2() {
        let value =
            r#"SIP ;cause=200;text="Call completed, elsewhere", q.850 ; CAUSE = 26 ;text="x;y""#;
        assert_eq!(parse_reason_cause(value), Some(Q850Cause(26)));
        let escaped = r#"Q.850;text="a \" , cause=9";cause=16"#;
        assert_eq!(parse_reason_cause(escaped), Some(Q850Cause(16)));
    }

    #[test]
    fn reasons_without_a_valid_q850_cause_yield_none() {
        assert_eq!(parse_reason_cause("SIP;cause=486;text=\"Busy Here\""), None);
        assert_eq!(parse_reason_cause("Q.850;text=\"no cause\""), None);
        assert_eq!(parse_reason_cause("Q.850;cause=128"), None);
        assert_eq!(parse_reason_cause("Q.850;cause=+7"), None);
        assert_eq!(parse_reason_cause("Q.850;cause="), None);
        assert_eq!(parse_reason_cause(""), None);
    }
}
