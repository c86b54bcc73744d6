//! The per-target policies a [`Target`](super::Target) carries to the B2BUA: when to fail over
//! to the next target ([`FailoverPolicy`]), which headers to edit ([`HeaderPolicy`]), and the
//! codec arithmetic that decides which codecs a target may use.
//!
//! Fail-over follows DESIGN.md: by default a timeout (no final answer in time, or a transport
//! error) and 408, 500, 502, 503, 504 move on to the next gateway; 486, 600, 603, 404 and 484
//! describe the callee, not the gateway, so trying another gateway cannot help and they may
//! never be configured.

use ringway_sdk::StatusLine;
use ringway_sdk::catalog::{CODEC_MISMATCH_480, OUT_OF_LOOK_AHEAD_RETRIES_403};

/// How one attempt at a target ended, as far as fail-over is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// No final response in time, or the transport failed.
    Timeout,
    /// A final non-2xx response with this code.
    Status(u16),
}

/// Status codes that may never be fail-over statuses: the callee is busy, declined, does not
/// exist or the number is incomplete, wherever the call is sent.
pub const NEVER_FAIL_OVER: [u16; 5] = [486, 600, 603, 404, 484];

/// The default fail-over statuses (besides timeouts).
pub const DEFAULT_FAILOVER_STATUSES: [u16; 5] = [408, 500, 502, 503, 504];

/// Which outcomes of an attempt move the call on to the next target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailoverPolicy {
    timeout: bool,
    statuses: Vec<u16>,
}

impl Default for FailoverPolicy {
    /// Timeout, 408, 500, 502, 503, 504.
    fn default() -> Self {
        FailoverPolicy { timeout: true, statuses: DEFAULT_FAILOVER_STATUSES.to_vec() }
    }
}

impl FailoverPolicy {
    /// A policy that fails over on timeouts (if `timeout`) and on `statuses`; codes of
    /// [`NEVER_FAIL_OVER`] are dropped.
    pub fn new(timeout: bool, statuses: impl IntoIterator<Item = u16>) -> Self {
        let mut statuses: Vec<u16> =
            statuses.into_iter().filter(|s| !NEVER_FAIL_OVER.contains(s)).collect();
        statuses.sort_unstable();
        statuses.dedup();
        FailoverPolicy { timeout, statuses }
    }

    /// Whether this outcome moves the call on to the next target.
    pub fn fails_over(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Timeout => self.timeout,
            Outcome::Status(code) => self.statuses.binary_search(&code).is_ok(),
        }
    }

    /// Whether timeouts fail over.
    pub fn on_timeout(&self) -> bool {
        self.timeout
    }

    /// The status codes that fail over, ascending.
    pub fn statuses(&self) -> &[u16] {
        &self.statuses
    }
}

/// The status line to answer the caller with when every target was tried and each failed over
/// with these outcomes: `480 Codec Mismatch` when every gateway refused the codecs (488, 415 or
/// 406), else `403 Out of Look-Ahead Retries`.
pub fn exhausted(outcomes: &[Outcome]) -> StatusLine {
    let refused_codecs = |o: &Outcome| matches!(o, Outcome::Status(488 | 415 | 406));
    if !outcomes.is_empty() && outcomes.iter().all(refused_codecs) {
        CODEC_MISMATCH_480
    } else {
        OUT_OF_LOOK_AHEAD_RETRIES_403
    }
}

/// Header edits for a B-leg INVITE, from the gateway's configuration. Header names are
/// lowercase; compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderPolicy {
    /// The From user to send instead of the caller's.
    pub caller_id: Option<String>,
    /// A P-Asserted-Identity URI to add.
    pub pai: Option<String>,
    /// Add `Privacy: id` (RFC 3323) and send an anonymous From.
    pub privacy: bool,
    /// Headers removed from the B-leg INVITE.
    pub strip: Vec<String>,
    /// If non-empty, the only non-core headers copied to the B-leg INVITE.
    pub pass: Vec<String>,
    /// Headers set on the B-leg INVITE (name, value), replacing any copied from the A-leg
    /// (a plugin's header edits).
    pub set: Vec<(String, String)>,
}

impl HeaderPolicy {
    /// Whether a non-core header of the A-leg INVITE is copied to the B-leg: not stripped, and
    /// listed in `pass` when `pass` is non-empty. Core headers (Via, From, To, Call-ID, CSeq,
    /// Contact, Max-Forwards, Content-*) are the B2BUA's own and not subject to this.
    pub fn allows(&self, header: &str) -> bool {
        let listed = |list: &[String]| list.iter().any(|h| h.eq_ignore_ascii_case(header));
        !listed(&self.strip) && (self.pass.is_empty() || listed(&self.pass))
    }
}

/// The codec names configuration may list, lowercase.
pub const KNOWN_CODECS: [&str; 9] =
    ["pcma", "pcmu", "g722", "gsm", "speex", "opus", "g729", "ilbc", "telephone-event"];

/// Whether a codec name carries audio; `telephone-event` (RFC 4733 DTMF) does not, so it never
/// makes two codec lists compatible on its own.
pub(crate) fn is_audio(codec: &str) -> bool {
    !codec.eq_ignore_ascii_case("telephone-event")
}

/// The codecs permitted through every one of `lists`, where an empty list permits any:
/// `None` when all lists are empty, else the first non-empty list's entries (its order is the
/// preference) that every other non-empty list also holds. Lists are given most specific first.
pub(crate) fn permitted(lists: &[&[String]]) -> Option<Vec<String>> {
    let mut restricting = lists.iter().filter(|l| !l.is_empty());
    let first = restricting.next()?;
    let others: Vec<&&[String]> = restricting.collect();
    let held = |c: &String| others.iter().all(|l| l.iter().any(|o| o.eq_ignore_ascii_case(c)));
    Some(first.iter().filter(|c| held(c)).cloned().collect())
}

/// Whether a target whose permitted codecs are `permitted` can carry a call offering `offered`
/// (empty = no offer yet): the permitted list must hold an audio codec unless it permits any,
/// and an offer must share an audio codec with it.
pub(crate) fn carries(permitted: Option<&[String]>, offered: &[String]) -> bool {
    let offered_audio = || offered.iter().filter(|c| is_audio(c));
    match permitted {
        None => offered.is_empty() || offered_audio().next().is_some(),
        Some(list) => {
            let audio = || list.iter().filter(|c| is_audio(c));
            audio().next().is_some()
                && (offered.is_empty()
                    || offered_audio().any(|o| audio().any(|p| p.eq_ignore_ascii_case(o))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn default_policy_fails_over_on_timeout_and_gateway_errors_only() {
        let policy = FailoverPolicy::default();
        let cases = [
            (Outcome::Timeout, true),
            (Outcome::Status(408), true),
            (Outcome::Status(500), true),
            (Outcome::Status(502), true),
            (Outcome::Status(503), true),
            (Outcome::Status(504), true),
            (Outcome::Status(486), false),
            (Outcome::Status(600), false),
            (Outcome::Status(603), false),
            (Outcome::Status(404), false),
            (Outcome::Status(484), false),
            (Outcome::Status(480), false),
        ];
        for (outcome, expected) in cases {
            assert_eq!(policy.fails_over(outcome), expected, "{outcome:?}");
        }
    }

    #[test]
    fn callee_statuses_are_dropped_from_any_policy() {
        let policy = FailoverPolicy::new(false, [486, 480, 603, 480]);
        assert_eq!(policy.statuses(), [480]);
        assert!(!policy.fails_over(Outcome::Timeout));
        assert!(policy.fails_over(Outcome::Status(480)));
    }

    #[test]
    fn exhausted_targets_answer_look_ahead_retries_unless_all_refused_codecs() {
        assert_eq!(exhausted(&[Outcome::Timeout, Outcome::Status(503)]).code.as_u16(), 403);
        assert_eq!(exhausted(&[Outcome::Status(488), Outcome::Status(415)]), CODEC_MISMATCH_480);
        assert_eq!(exhausted(&[]), OUT_OF_LOOK_AHEAD_RETRIES_403);
    }

    #[test]
    fn header_policy_strips_and_passes_case_insensitively() {
        let policy = HeaderPolicy {
            strip: strings(&["x-secret"]),
            pass: strings(&["x-secret", "user-agent"]),
            ..HeaderPolicy::default()
        };
        assert!(policy.allows("User-Agent"));
        assert!(!policy.allows("X-Secret"));
        assert!(!policy.allows("X-Other"));
        assert!(HeaderPolicy::default().allows("X-Other"));
    }

    #[test]
    fn permitted_codecs_keep_the_most_specific_order_and_empty_means_any() {
        let gateway = strings(&["pcmu", "pcma", "gsm"]);
        let group = strings(&["pcma", "pcmu"]);
        let account: Vec<String> = vec![];
        assert_eq!(permitted(&[&gateway, &group, &account]), Some(strings(&["pcmu", "pcma"])));
        assert_eq!(permitted(&[&account, &group, &gateway]), Some(strings(&["pcma", "pcmu"])));
        assert_eq!(permitted(&[&account, &account]), None);
        assert_eq!(permitted(&[&strings(&["opus"]), &group]), Some(vec![]));
    }

    #[test]
    fn telephone_event_alone_does_not_carry_a_call() {
        let dtmf_only = strings(&["telephone-event"]);
        let pcma = strings(&["pcma", "telephone-event"]);
        assert!(!carries(Some(&dtmf_only), &[]));
        assert!(!carries(Some(&pcma), &strings(&["pcmu", "telephone-event"])));
        assert!(carries(Some(&pcma), &strings(&["PCMA"])));
        assert!(carries(Some(&pcma), &[]));
        assert!(carries(None, &strings(&["opus"])));
        assert!(!carries(None, &dtmf_only));
    }
}
