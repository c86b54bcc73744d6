//! Between the server's vocabulary ([`RouteRequest`], [`Decision`], [`Target`]) and the WIT
//! types, with the checks that keep a plugin's answer from reaching the wire unless the B2BUA
//! can carry it out: known gateways, catalog status lines, SIP-safe numbers, URIs and headers.

use super::bindings::ringway::plugin::types as wit;
use super::{AnswerInfo, HangupInfo};
use crate::request::{Attempt, RequestTransport};
use crate::tables::{HeaderPolicy, KNOWN_CODECS, Outcome, Tables, format_number};
use crate::{Decision, RouteRequest, Target};
use ringway_sdk::catalog;
use ringway_sdk::{StatusCode, StatusLine};
use std::time::Duration;
use wasmtime::component::{ComponentType, Lower};

/// Most targets one decision may return.
pub const MAX_TARGETS: usize = 16;

/// Headers that belong to the B2BUA: a plugin can neither set nor remove them.
const CORE_HEADERS: [&str; 9] =
    ["via", "from", "to", "call-id", "cseq", "contact", "max-forwards", "route", "record-route"];

fn pairs(pairs: &[(String, String)]) -> Vec<wit::Pair> {
    pairs
        .iter()
        .map(|(name, value)| wit::Pair { name: name.clone(), value: value.clone() })
        .collect()
}

fn status_line(code: u16, reason: Option<&str>) -> wit::StatusLine {
    let reason = match reason {
        Some(reason) => reason.to_owned(),
        None => StatusCode::new(code).map_or("", |c| c.reason_or_class_default()).to_owned(),
    };
    wit::StatusLine { code, reason }
}

pub(crate) fn attempts_to_wit(attempts: &[Attempt]) -> Vec<wit::Attempt> {
    attempts
        .iter()
        .map(|a| wit::Attempt {
            gateway: a.gateway.clone(),
            uri: a.uri.clone(),
            outcome: match a.outcome {
                Outcome::Timeout => wit::Outcome::Timeout,
                Outcome::Status(code) => {
                    wit::Outcome::Status(status_line(code, a.reason.as_deref()))
                }
            },
        })
        .collect()
}

/// `number` as the numbering settings of `tables` read it (the `check-number` import, and the
/// call's `dialed`).
pub(crate) fn number_check(tables: &Tables, number: &str) -> wit::NumberCheck {
    match tables.check_number(number) {
        None => wit::NumberCheck::NotANumber,
        Some((normalized, true)) => wit::NumberCheck::Valid(normalized),
        Some((normalized, false)) => wit::NumberCheck::Invalid(normalized),
    }
}

/// The call as plugins see it (the WIT `call` record), borrowed from the request: lowered
/// into the guest straight from the server's strings, with no owned copy made per decision.
/// `settings` is set per plugin.
#[derive(ComponentType, Lower)]
#[component(record)]
pub(crate) struct CallView<'a> {
    #[component(name = "call-id")]
    call_id: &'a str,
    #[component(name = "request-uri")]
    request_uri: &'a str,
    caller: PartyView<'a>,
    callee: PartyView<'a>,
    dialed: wit::NumberCheck,
    account: Option<&'a str>,
    #[component(name = "tariff-plan")]
    tariff_plan: Option<&'a str>,
    source: Option<String>,
    transport: Option<wit::Transport>,
    headers: Vec<PairView<'a>>,
    #[component(name = "offered-codecs")]
    offered_codecs: &'a [String],
    variables: Vec<PairView<'a>>,
    attempts: Vec<wit::Attempt>,
    pub settings: &'a [wit::Pair],
}

/// The WIT `party` record, borrowed.
#[derive(ComponentType, Lower)]
#[component(record)]
pub(crate) struct PartyView<'a> {
    number: Option<&'a str>,
    #[component(name = "display-name")]
    display_name: Option<&'a str>,
}

/// The WIT `pair` record, borrowed.
#[derive(ComponentType, Lower)]
#[component(record)]
pub(crate) struct PairView<'a> {
    name: &'a str,
    value: &'a str,
}

fn pair_views(pairs: &[(String, String)]) -> Vec<PairView<'_>> {
    pairs.iter().map(|(name, value)| PairView { name, value }).collect()
}

impl CallView<'_> {
    /// What a target without a number of its own dials: the dialed number as the numbering
    /// plans read it, else as dialed (nothing when the Request-URI has no user part).
    pub(crate) fn target_number(&self) -> &str {
        match &self.dialed {
            wit::NumberCheck::Valid(n) | wit::NumberCheck::Invalid(n) => n,
            wit::NumberCheck::NotANumber => self.callee.number.unwrap_or_default(),
        }
    }
}

/// The call as plugins see it; `settings` is set per plugin.
pub(crate) fn call_view<'a>(request: &'a RouteRequest, tables: &Tables) -> CallView<'a> {
    CallView {
        call_id: &request.call_id,
        request_uri: &request.request_uri,
        caller: PartyView { number: request.caller.as_deref(), display_name: request.caller_name.as_deref() },
        callee: PartyView { number: request.dialed.as_deref(), display_name: request.callee_name.as_deref() },
        dialed: request
            .dialed
            .as_deref()
            .map_or(wit::NumberCheck::NotANumber, |d| number_check(tables, d)),
        account: request.account.as_deref(),
        tariff_plan: request.tariff_plan.as_deref(),
        source: request.source.map(|s| s.to_string()),
        transport: request.transport.map(|t| match t {
            RequestTransport::Udp => wit::Transport::Udp,
            RequestTransport::Tcp => wit::Transport::Tcp,
            RequestTransport::Tls => wit::Transport::Tls,
        }),
        headers: pair_views(&request.headers),
        offered_codecs: &request.offered_codecs,
        variables: pair_views(&request.variables),
        attempts: attempts_to_wit(&request.attempts),
        settings: &[],
    }
}

pub(crate) fn settings_to_wit(settings: &[(String, String)]) -> Vec<wit::Pair> {
    pairs(settings)
}

pub(crate) fn answer_to_wit(answer: &AnswerInfo) -> wit::Answer {
    wit::Answer {
        gateway: answer.gateway.clone(),
        uri: answer.uri.clone(),
        setup_ms: u64::try_from(answer.setup.as_millis()).unwrap_or(u64::MAX),
    }
}

pub(crate) fn hangup_to_wit(hangup: &HangupInfo) -> wit::Hangup {
    wit::Hangup {
        answered: hangup.answered,
        talk_ms: u64::try_from(hangup.talk.as_millis()).unwrap_or(u64::MAX),
        status: wit::StatusLine {
            code: hangup.status.code.as_u16(),
            reason: hangup.status.reason.to_owned(),
        },
        by_caller: hangup.by_caller,
    }
}

/// A host decision as the WIT type (the answer of `lookup-route`).
pub(crate) fn decision_to_wit(decision: &Decision) -> wit::Decision {
    match decision {
        Decision::Continue => wit::Decision::Continue,
        Decision::Reject(line) => wit::Decision::Reject(wit::StatusLine {
            code: line.code.as_u16(),
            reason: line.reason.to_owned(),
        }),
        Decision::Targets(targets) => {
            wit::Decision::Targets(targets.iter().map(target_to_wit).collect())
        }
    }
}

fn target_to_wit(target: &Target) -> wit::Target {
    let destination = match &target.gateway {
        Some(name) => wit::Destination::Gateway(name.clone()),
        None => wit::Destination::Uri(target.uri.clone()),
    };
    let set = target.headers.set.iter().map(|(name, value)| {
        wit::HeaderEdit::Set(wit::Pair { name: name.clone(), value: value.clone() })
    });
    let removed = target.headers.strip.iter().map(|name| wit::HeaderEdit::Remove(name.clone()));
    wit::Target {
        destination,
        number: Some(target.number.clone()),
        caller_id: target.headers.caller_id.clone(),
        codecs: target.codecs.clone(),
        headers: set.chain(removed).collect(),
        ring_timeout_ms: target
            .ring_timeout
            .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX)),
    }
}

/// A plugin's decision as the server's, or why it cannot be carried out. A target without a
/// number of its own dials `number` (see [`CallView::target_number`]).
pub(crate) fn decision_from_wit(
    decision: wit::Decision,
    number: &str,
    tables: &Tables,
) -> Result<Decision, String> {
    match decision {
        wit::Decision::Continue => Ok(Decision::Continue),
        wit::Decision::Reject(line) => reject_line(line.code, &line.reason).map(Decision::Reject),
        wit::Decision::Targets(targets) => {
            if targets.is_empty() {
                return Err("an empty target list (reject or continue instead)".into());
            }
            if targets.len() > MAX_TARGETS {
                return Err(format!("{} targets (at most {MAX_TARGETS})", targets.len()));
            }
            let targets: Result<Vec<Target>, String> =
                targets.into_iter().map(|t| target_from_wit(t, number, tables)).collect();
            Ok(Decision::Targets(targets?))
        }
    }
}

/// A rejection must be a final non-2xx line of the catalog, byte-exact.
fn reject_line(code: u16, reason: &str) -> Result<StatusLine, String> {
    match catalog::exact(code, reason) {
        Some(line) if code >= 300 => Ok(line),
        Some(_) => Err(format!("`{code} {reason}` is not a rejection")),
        None => Err(format!("`{code} {reason}` is not a catalog line")),
    }
}

/// Characters a number rewrite or caller ID may hold: a SIP user part without escapes.
fn is_user_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+*#-._~!$&'()=,".contains(&b))
}

/// RFC 3261 token characters, the alphabet of header names.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn header_name(name: &str) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    if !is_token(name) {
        return Err(format!("header name {name:?} is not a token"));
    }
    if CORE_HEADERS.contains(&lower.as_str()) || lower.starts_with("content-") {
        return Err(format!("header {name} belongs to the B2BUA"));
    }
    Ok(lower)
}

fn target_from_wit(t: wit::Target, dialed: &str, tables: &Tables) -> Result<Target, String> {
    let number = match t.number {
        Some(number) if is_user_part(&number) => number,
        Some(number) => return Err(format!("number {number:?} is not a SIP user part")),
        None => dialed.to_owned(),
    };
    for codec in &t.codecs {
        if !KNOWN_CODECS.contains(&codec.as_str()) {
            return Err(format!("unknown codec {codec:?} (known: {})", KNOWN_CODECS.join(", ")));
        }
    }
    let (gateway, uri, mut headers, failover, codecs) = match t.destination {
        wit::Destination::Gateway(name) => {
            let gateway =
                tables.gateway(&name).ok_or_else(|| format!("unknown gateway {name:?}"))?;
            let uri = gateway.uri_for(&format_number(&number, gateway, tables.numbering()));
            let failover = gateway.failover.clone().unwrap_or_else(|| tables.failover().clone());
            let codecs = if t.codecs.is_empty() { gateway.codecs.clone() } else { t.codecs };
            (Some(name), uri, gateway.headers.clone(), failover, codecs)
        }
        wit::Destination::Uri(uri) => {
            let lower = uri.to_ascii_lowercase();
            let scheme = lower.starts_with("sip:") || lower.starts_with("sips:");
            if !scheme
                || uri.len() <= 4
                || uri.bytes().any(|b| {
                    b.is_ascii_whitespace() || b.is_ascii_control() || b == b'<' || b == b'>'
                })
            {
                return Err(format!("{uri:?} is not a sip: or sips: URI"));
            }
            (None, uri, HeaderPolicy::default(), tables.failover().clone(), t.codecs)
        }
    };
    if let Some(caller_id) = t.caller_id {
        if !is_user_part(&caller_id) {
            return Err(format!("caller ID {caller_id:?} is not a SIP user part"));
        }
        headers.caller_id = Some(caller_id);
    }
    for edit in t.headers {
        match edit {
            wit::HeaderEdit::Set(wit::Pair { name, value }) => {
                let name = header_name(&name)?;
                if value.len() > 1024 || value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                    return Err(format!("header {name} has a value that cannot go on the wire"));
                }
                headers.set.retain(|(n, _)| *n != name);
                headers.set.push((name, value));
            }
            wit::HeaderEdit::Remove(name) => {
                let name = header_name(&name)?;
                if !headers.strip.contains(&name) {
                    headers.strip.push(name);
                }
            }
        }
    }
    let ring_timeout = match t.ring_timeout_ms {
        Some(ms) => Some(Duration::from_millis(ms.into())),
        None => tables.ring_timeout(),
    };
    Ok(Target { gateway, uri, number, codecs, ring_timeout, failover, headers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DialplanConfig;
    use ringway_sdk::catalog::NO_MONEY_LEFT_480;

    fn tables() -> Tables {
        let config: DialplanConfig = toml::from_str(
            r#"
[routing]
country_code = "7"
national_prefix = "8"
[[gateways]]
name = "carrier-a"
address = "192.0.2.1:5060"
number_format = "national"
codecs = ["pcma"]
caller_id = "74950000000"
"#,
        )
        .unwrap();
        Tables::new(&config).unwrap()
    }

    fn target(destination: wit::Destination) -> wit::Target {
        wit::Target {
            destination,
            number: None,
            caller_id: None,
            codecs: vec![],
            headers: vec![],
            ring_timeout_ms: None,
        }
    }

    fn decide(targets: Vec<wit::Target>) -> Result<Decision, String> {
        let request = RouteRequest::new("sip:84951234567@pbx");
        let tables = tables();
        let number = call_view(&request, &tables).target_number().to_owned();
        decision_from_wit(wit::Decision::Targets(targets), &number, &tables)
    }

    #[test]
    fn gateway_targets_take_the_gateway_format_codecs_and_policies() {
        let mut t = target(wit::Destination::Gateway("carrier-a".into()));
        t.headers = vec![
            wit::HeaderEdit::Set(wit::Pair { name: "X-Route".into(), value: "lcr".into() }),
            wit::HeaderEdit::Remove("X-Internal".into()),
        ];
        t.ring_timeout_ms = Some(20_000);
        let Ok(Decision::Targets(targets)) = decide(vec![t]) else { panic!() };
        let target = &targets[0];
        assert_eq!(target.number, "+74951234567", "the dialed number, normalized");
        assert_eq!(target.uri, "sip:84951234567@192.0.2.1:5060", "national format");
        assert_eq!(target.codecs, ["pcma"]);
        assert_eq!(target.headers.caller_id.as_deref(), Some("74950000000"));
        assert_eq!(target.headers.set, [("x-route".to_string(), "lcr".to_string())]);
        assert!(!target.headers.allows("x-internal"));
        assert_eq!(target.ring_timeout, Some(Duration::from_secs(20)));
    }

    #[test]
    fn uri_targets_are_sent_as_is() {
        let mut t = target(wit::Destination::Uri("sip:100@10.0.0.5;transport=tcp".into()));
        t.number = Some("100".into());
        t.caller_id = Some("555".into());
        let Ok(Decision::Targets(targets)) = decide(vec![t]) else { panic!() };
        assert_eq!(targets[0].uri, "sip:100@10.0.0.5;transport=tcp");
        assert_eq!(targets[0].gateway, None);
        assert_eq!(targets[0].headers.caller_id.as_deref(), Some("555"));
    }

    #[test]
    fn answers_the_b2bua_cannot_carry_out_are_bad_decisions() {
        let gw = || target(wit::Destination::Gateway("carrier-a".into()));
        let with = |f: &dyn Fn(&mut wit::Target)| {
            let mut t = gw();
            f(&mut t);
            decide(vec![t]).unwrap_err()
        };
        assert!(decide(vec![]).unwrap_err().contains("empty"));
        assert!(decide(vec![gw(); MAX_TARGETS + 1]).unwrap_err().contains("at most"));
        assert!(
            decide(vec![target(wit::Destination::Gateway("nope".into()))])
                .unwrap_err()
                .contains("unknown gateway")
        );
        assert!(
            decide(vec![target(wit::Destination::Uri("http://x".into()))])
                .unwrap_err()
                .contains("URI")
        );
        assert!(
            decide(vec![target(wit::Destination::Uri("sip:a b@x".into()))])
                .unwrap_err()
                .contains("URI")
        );
        assert!(with(&|t| t.number = Some("1@evil".into())).contains("user part"));
        assert!(with(&|t| t.caller_id = Some("a\r\nVia: x".into())).contains("user part"));
        assert!(with(&|t| t.codecs = vec!["mp3".into()]).contains("unknown codec"));
        let set = |name: &str, value: &str| {
            wit::HeaderEdit::Set(wit::Pair { name: name.into(), value: value.into() })
        };
        assert!(with(&|t| t.headers = vec![set("Via", "x")]).contains("B2BUA"));
        assert!(with(&|t| t.headers = vec![set("Content-Type", "x")]).contains("B2BUA"));
        assert!(with(&|t| t.headers = vec![set("X-A", "1\r\nVia: x")]).contains("wire"));
        assert!(with(&|t| t.headers = vec![set("X A", "1")]).contains("token"));
        assert!(
            with(&|t| t.headers = vec![wit::HeaderEdit::Remove("call-id".into())])
                .contains("B2BUA")
        );
    }

    #[test]
    fn rejections_must_be_byte_exact_catalog_lines() {
        let reject = |code, reason: &str| {
            let line = wit::StatusLine { code, reason: reason.into() };
            decision_from_wit(wit::Decision::Reject(line), "1", &tables())
        };
        assert_eq!(reject(480, "No money left"), Ok(Decision::Reject(NO_MONEY_LEFT_480)));
        assert!(reject(480, "no money left").unwrap_err().contains("not a catalog line"));
        assert!(reject(200, "OK").unwrap_err().contains("not a rejection"));
    }

    #[test]
    fn lookup_answers_round_trip_through_the_wit_types() {
        let tables = tables();
        let number = "+74951234567";
        let mut t = target(wit::Destination::Gateway("carrier-a".into()));
        t.headers = vec![wit::HeaderEdit::Set(wit::Pair { name: "x-a".into(), value: "1".into() })];
        let decision =
            decision_from_wit(wit::Decision::Targets(vec![t]), number, &tables).unwrap();
        let again = decision_from_wit(decision_to_wit(&decision), number, &tables).unwrap();
        assert_eq!(again, decision);
    }
}
