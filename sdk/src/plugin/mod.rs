//! The plugin vocabulary: what a dialplan plugin is asked ([`Call`]) and what it answers
//! ([`Decision`]), as plain Rust types that mirror the WIT contract in `sdk/wit/ringway.wit`.
//!
//! A plugin implements [`Plugin`] and exports it with [`export_plugin!`](crate::export_plugin)
//! (cargo feature `guest`, a wasm32 target). The types here compile everywhere, so a
//! plugin's decision logic can be unit-tested natively; only the glue to the host (the
//! `guest` module) needs WebAssembly.
//!
//! ```
//! use ringway_sdk::catalog;
//! use ringway_sdk::plugin::{Call, Decision, Plugin, Target};
//!
//! struct Emergency;
//!
//! impl Plugin for Emergency {
//!     fn route(call: &Call) -> Decision {
//!         match call.dialed() {
//!             Some("112") => Decision::targets([Target::gateway("emergency").number("+7112")]),
//!             Some("") | None => Decision::reject(catalog::INVALID_PHONE_NUMBER_480),
//!             Some(_) => Decision::Continue,
//!         }
//!     }
//! }
//!
//! let call = Call { callee: ringway_sdk::plugin::Party::number("112"), ..Call::default() };
//! let expected = Decision::targets([Target::gateway("emergency").number("+7112")]);
//! assert_eq!(Emergency::route(&call), expected);
//! ```

mod time;

pub use time::{UnixTime, Weekday, parse_hhmm};

use crate::StatusLine;
use std::time::Duration;

/// A dialplan plugin: one decision per call, in a fresh sandboxed instance each time.
///
/// Only [`route`](Plugin::route) is required. Every call runs in a new instance, so a plugin
/// keeps no state in statics between calls: what must persist goes to the host's key-value
/// store (`ringway_sdk::host::kv_set`, guest builds).
pub trait Plugin {
    /// Decides where a new call goes.
    fn route(call: &Call) -> Decision;

    /// Every target this plugin returned failed over; `attempts` lists them. The default lets
    /// the server answer its own status (`403 Out of Look-Ahead Retries`, or
    /// `480 Codec Mismatch` when every target refused the codecs).
    fn on_failure(call: &Call, attempts: &[Attempt]) -> Decision {
        let _ = (call, attempts);
        Decision::Continue
    }

    /// Billing hook: the call was answered. Does nothing by default.
    fn on_answer(call: &Call, answer: &Answer) {
        let _ = (call, answer);
    }

    /// Billing hook: the call ended. Does nothing by default.
    fn on_hangup(call: &Call, hangup: &Hangup) {
        let _ = (call, hangup);
    }
}

/// The transport a request arrived over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP.
    Tls,
}

/// One party of the call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Party {
    /// The user part of its URI (`+74951234567`, `alice`), when it has one.
    pub number: Option<String>,
    /// The display name, when the header carries one.
    pub display_name: Option<String>,
}

impl Party {
    /// A party with this number and no display name.
    pub fn number(number: impl Into<String>) -> Party {
        Party { number: Some(number.into()), display_name: None }
    }
}

/// How one attempt at a target ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No final response in time, or the transport failed.
    Timeout,
    /// A final non-2xx response: code and reason phrase as received.
    Status(u16, String),
}

/// One attempt at a target that did not answer the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The gateway tried, for gateway targets.
    pub gateway: Option<String>,
    /// The Request-URI of the attempt.
    pub uri: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// The call a decision is about.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Call {
    /// The A-leg Call-ID.
    pub call_id: String,
    /// The Request-URI as received.
    pub request_uri: String,
    /// The calling party (From).
    pub caller: Party,
    /// The called party (Request-URI user, To display name).
    pub callee: Party,
    /// The dialed number as the server's numbering settings read it: what
    /// [`host::check_number`](crate::host::check_number) answers for [`dialed`](Self::dialed),
    /// sent with the call so that a plugin need not ask.
    pub dialed_number: NumberCheck,
    /// The authenticated account placing the call.
    pub account: Option<String>,
    /// The account's tariff plan.
    pub tariff_plan: Option<String>,
    /// Where the request came from, `ip:port`.
    pub source: Option<String>,
    /// The transport it came over.
    pub transport: Option<Transport>,
    /// The headers shown to plugins (names lowercase), in message order.
    pub headers: Vec<(String, String)>,
    /// Codecs of the SDP offer's audio stream, lowercase, in offer order.
    pub offered_codecs: Vec<String>,
    /// Channel variables set so far.
    pub variables: Vec<(String, String)>,
    /// Every attempt made for this call so far, oldest first.
    pub attempts: Vec<Attempt>,
    /// This plugin's settings from the server configuration (nested tables flattened to
    /// dotted names, arrays joined with commas).
    pub settings: Vec<(String, String)>,
}

impl Call {
    /// The dialed number: the callee's user part.
    pub fn dialed(&self) -> Option<&str> {
        self.callee.number.as_deref()
    }

    /// The value of the first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name, str::eq_ignore_ascii_case)
    }

    /// The value of a channel variable.
    pub fn variable(&self, name: &str) -> Option<&str> {
        find(&self.variables, name, |a, b| a == b)
    }

    /// The value of one of this plugin's settings.
    pub fn setting(&self, name: &str) -> Option<&str> {
        find(&self.settings, name, |a, b| a == b)
    }

    /// The settings under `prefix.` (e.g. every `rates.<prefix>`), with the prefix removed.
    pub fn settings_under<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.settings.iter().filter_map(move |(name, value)| {
            let rest = name.strip_prefix(prefix)?.strip_prefix('.')?;
            Some((rest, value.as_str()))
        })
    }
}

fn find<'a>(
    pairs: &'a [(String, String)],
    name: &str,
    eq: fn(&str, &str) -> bool,
) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| eq(n, name)).map(|(_, v)| v.as_str())
}

/// Where a target sends the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A gateway of the server's configuration, by name.
    Gateway(String),
    /// A SIP URI, sent as is.
    Uri(String),
}

/// An edit of the B-leg INVITE's headers (core headers cannot be edited).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Set a header, replacing any the A-leg carried.
    Set(String, String),
    /// Do not copy this header from the A-leg.
    Remove(String),
}

/// One place to send the call; build with [`Target::gateway`] or [`Target::uri`] and the
/// chained setters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Where the call goes.
    pub destination: Destination,
    /// The number to dial instead of the caller's; the gateway's number format still applies.
    pub number: Option<String>,
    /// The From user to present instead of the caller's.
    pub caller_id: Option<String>,
    /// Codecs permitted on this leg, lowercase, preference order; empty = the gateway's.
    pub codecs: Vec<String>,
    /// Header edits for the B-leg INVITE.
    pub headers: Vec<HeaderEdit>,
    /// How long this target may ring; `None` = the server's default.
    pub ring_timeout: Option<Duration>,
}

impl Target {
    /// A target toward a configured gateway.
    pub fn gateway(name: impl Into<String>) -> Target {
        Target::new(Destination::Gateway(name.into()))
    }

    /// A target toward a SIP URI.
    pub fn uri(uri: impl Into<String>) -> Target {
        Target::new(Destination::Uri(uri.into()))
    }

    fn new(destination: Destination) -> Target {
        Target {
            destination,
            number: None,
            caller_id: None,
            codecs: Vec::new(),
            headers: Vec::new(),
            ring_timeout: None,
        }
    }

    /// Dials this number instead of the caller's.
    pub fn number(mut self, number: impl Into<String>) -> Target {
        self.number = Some(number.into());
        self
    }

    /// Presents this From user instead of the caller's.
    pub fn caller_id(mut self, caller_id: impl Into<String>) -> Target {
        self.caller_id = Some(caller_id.into());
        self
    }

    /// Permits only these codecs on the leg, in preference order.
    pub fn codecs<I, S>(mut self, codecs: I) -> Target
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.codecs = codecs.into_iter().map(Into::into).collect();
        self
    }

    /// Sets a header on the B-leg INVITE.
    pub fn set_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Target {
        self.headers.push(HeaderEdit::Set(name.into(), value.into()));
        self
    }

    /// Keeps a header of the A-leg off the B-leg INVITE.
    pub fn remove_header(mut self, name: impl Into<String>) -> Target {
        self.headers.push(HeaderEdit::Remove(name.into()));
        self
    }

    /// Lets the target ring this long at most.
    pub fn ring_timeout(mut self, timeout: Duration) -> Target {
        self.ring_timeout = Some(timeout);
        self
    }
}

/// A plugin's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Try these targets in order; the server fails over between them.
    Targets(Vec<Target>),
    /// Answer the caller with this catalog line (`ringway_sdk::catalog::*`).
    Reject(StatusLine),
    /// Not this plugin's business: ask the next router.
    Continue,
}

impl Decision {
    /// Try these targets in order.
    pub fn targets(targets: impl IntoIterator<Item = Target>) -> Decision {
        Decision::Targets(targets.into_iter().collect())
    }

    /// Answer the caller with this catalog line, e.g. `catalog::EMPTY_ROUTE_SET_480`.
    pub fn reject(line: StatusLine) -> Decision {
        Decision::Reject(line)
    }
}

/// The call was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The gateway that answered, for gateway targets.
    pub gateway: Option<String>,
    /// The Request-URI of the answered leg.
    pub uri: String,
    /// Time from the INVITE to the answer.
    pub setup: Duration,
}

/// The call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hangup {
    /// Whether it was answered at all.
    pub answered: bool,
    /// Talk time (zero when unanswered).
    pub talk: Duration,
    /// The final status sent to the caller: code and reason phrase (200 when answered).
    pub status: (u16, String),
    /// Whether the caller hung up.
    pub by_caller: bool,
}

/// Severity of a log line written through the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the plugin handled.
    Warn,
    /// Something the plugin could not handle.
    Error,
}

/// An account's prepaid balance, as the host knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balance {
    /// Not known: no billing configured, no such account, or the store did not answer.
    Unknown,
    /// Minor currency units (cents, kopecks); zero or below means no money.
    Amount(i64),
}

/// A number checked against the server's numbering plans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NumberCheck {
    /// Not a phone number at all (or no number).
    #[default]
    NotANumber,
    /// Normalized (E.164 where possible) but matches none of the numbering plans.
    Invalid(String),
    /// Normalized, and valid under the numbering plans (or none are configured).
    Valid(String),
}

/// Why the host refused a key-value write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvError {
    /// Key longer than 256 bytes or value longer than 64 KiB.
    TooLarge,
    /// The plugin's store holds its maximum number of keys.
    Full,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::NO_MONEY_LEFT_480;

    #[test]
    fn target_builder_sets_every_field() {
        let target = Target::gateway("carrier-a")
            .number("+74951234567")
            .caller_id("74950000000")
            .codecs(["pcma", "pcmu"])
            .set_header("X-Route", "lcr")
            .remove_header("X-Internal")
            .ring_timeout(Duration::from_secs(30));
        assert_eq!(target.destination, Destination::Gateway("carrier-a".into()));
        assert_eq!(target.number.as_deref(), Some("+74951234567"));
        assert_eq!(target.caller_id.as_deref(), Some("74950000000"));
        assert_eq!(target.codecs, ["pcma", "pcmu"]);
        assert_eq!(
            target.headers,
            [
                HeaderEdit::Set("X-Route".into(), "lcr".into()),
                HeaderEdit::Remove("X-Internal".into())
            ]
        );
        assert_eq!(target.ring_timeout, Some(Duration::from_secs(30)));
        assert_eq!(Target::uri("sip:100@pbx").destination, Destination::Uri("sip:100@pbx".into()));
    }

    #[test]
    fn call_accessors_find_headers_variables_and_settings() {
        let call = Call {
            headers: vec![("x-campaign".into(), "spring".into())],
            variables: vec![("QUEUE".into(), "sales".into())],
            settings: vec![
                ("rates.+7495".into(), "a=1".into()),
                ("rates.+7".into(), "b=2".into()),
                ("ratesx".into(), "no".into()),
                ("overflow".into(), "gw".into()),
            ],
            ..Call::default()
        };
        assert_eq!(call.header("X-Campaign"), Some("spring"));
        assert_eq!(call.variable("QUEUE"), Some("sales"));
        assert_eq!(call.variable("queue"), None);
        assert_eq!(call.setting("overflow"), Some("gw"));
        let rates: Vec<_> = call.settings_under("rates").collect();
        assert_eq!(rates, [("+7495", "a=1"), ("+7", "b=2")]);
    }

    #[test]
    fn reject_carries_the_catalog_line() {
        assert_eq!(Decision::reject(NO_MONEY_LEFT_480), Decision::Reject(NO_MONEY_LEFT_480));
    }
}
