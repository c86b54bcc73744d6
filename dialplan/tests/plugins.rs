//! The example plugins' decisions, run in the real host (`make plugins` builds them).

mod support;

use ringway_dialplan::wasm::{
    AnswerInfo, Balance, FixedClock, HangupInfo, HostEnv, MemoryStore, block_on, test_call,
};
use ringway_dialplan::{Decision, RouteRequest, Target};
use ringway_sdk::catalog::{
    INVALID_PHONE_NUMBER_403, INVALID_PHONE_NUMBER_480, NO_MONEY_LEFT_480,
    NO_MONEY_LEFT_ON_RFC_ACCOUNT_403, OK_200,
};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};
use support::{chain, entry, env, host};

fn targets(decision: Decision) -> Vec<Target> {
    match decision {
        Decision::Targets(targets) => targets,
        other => panic!("expected targets, got {other:?}"),
    }
}

fn gateways(targets: &[Target]) -> Vec<&str> {
    targets.iter().filter_map(|t| t.gateway.as_deref()).collect()
}

const LCR_SETTINGS: &str = r#"
[plugins.settings]
max_targets = 2
[plugins.settings.rates]
"+7" = "carrier-a:200, carrier-b:150, carrier-c:300"
"+7495" = "carrier-a:120, carrier-b:95, carrier-c:130"
"+44" = "carrier-c:90"
"#;

#[test]
fn lcr_sends_the_call_to_the_cheapest_gateways_of_the_longest_prefix() {
    let host = host();
    let chain = chain(&host, &entry("lcr", LCR_SETTINGS), &env());
    let decide =
        |uri: &str| block_on(chain.decide(&RouteRequest::new(uri))).expect("decides").decision;

    let moscow = targets(decide("sip:+74951234567@pbx"));
    assert_eq!(gateways(&moscow), ["carrier-b", "carrier-a"], "95 < 120, at most 2");
    assert_eq!(moscow[0].number, "+74951234567");
    assert_eq!(moscow[0].uri, "sip:84951234567@192.0.2.2:5060", "carrier-b's national format");
    assert_eq!(moscow[1].uri, "sip:+74951234567@192.0.2.1:5060");

    let national = targets(decide("sip:8-495-123-45-67@pbx"));
    assert_eq!(gateways(&national), ["carrier-b", "carrier-a"], "normalized by the host first");
    assert_eq!(national[1].number, "+74951234567");

    let spb = targets(decide("sip:+78121234567@pbx"));
    assert_eq!(gateways(&spb), ["carrier-b", "carrier-a"], "+7 rates: 150 < 200 < 300");

    let london = targets(decide("sip:+442079460000@pbx"));
    assert_eq!(gateways(&london), ["carrier-c"]);
    assert_eq!(london[0].codecs, ["pcma"], "the gateway's codecs");

    assert_eq!(decide("sip:+12125551212@pbx"), Decision::Continue, "no rate covers it");
    assert_eq!(decide("sip:alice@pbx"), Decision::Continue, "not a number");
}

#[test]
fn lcr_on_failure_leaves_the_final_status_to_the_server() {
    let host = host();
    let chain = chain(&host, &entry("lcr", &format!("billing_hooks = true\n{LCR_SETTINGS}")), &env());
    assert!(chain.has_billing_hooks());
    let request = RouteRequest::new("sip:+74951234567@pbx");
    let decided = block_on(chain.decide(&request)).unwrap();
    let by = decided.decided_by.expect("lcr decided");
    assert_eq!(chain.name(by), Some("lcr"));
    assert_eq!(block_on(chain.on_failure(by, &request, &[])).unwrap(), Decision::Continue);
    let answer = AnswerInfo { gateway: None, uri: "sip:x@y".into(), setup: Duration::from_secs(1) };
    assert!(block_on(chain.on_answer(&request, &answer)).is_empty());
    let hangup = HangupInfo {
        answered: true,
        talk: Duration::from_secs(30),
        status: OK_200,
        by_caller: true,
    };
    assert!(block_on(chain.on_hangup(&request, &hangup)).is_empty());
}

#[test]
fn numbering_refuses_malformed_numbers_with_480_and_foreign_ones_with_403() {
    let host = host();
    let settings = r#"
[plugins.settings]
country_code = "7"
national_prefix = "8"
allowed_prefixes = "+7, +375"
"#;
    let chain = chain(&host, &entry("numbering", settings), &env());
    let decide =
        |uri: &str| block_on(chain.decide(&RouteRequest::new(uri))).expect("decides").decision;
    let cases = [
        ("sip:+74951234567@pbx", Decision::Continue),
        ("sip:84951234567@pbx", Decision::Continue),
        ("sip:0074951234567@pbx", Decision::Continue),
        ("sip:+375291234567@pbx", Decision::Continue),
        ("sip:+7495@pbx", Decision::Reject(INVALID_PHONE_NUMBER_480)),
        ("sip:+7495123456789012@pbx", Decision::Reject(INVALID_PHONE_NUMBER_480)),
        ("sip:12345@pbx", Decision::Reject(INVALID_PHONE_NUMBER_480)),
        ("sip:+0123456789@pbx", Decision::Reject(INVALID_PHONE_NUMBER_480)),
        ("sip:+442079460000@pbx", Decision::Reject(INVALID_PHONE_NUMBER_403)),
        ("sip:alice@pbx", Decision::Continue),
        ("sip:pbx.example.net", Decision::Continue),
    ];
    for (uri, expected) in cases {
        assert_eq!(decide(uri), expected, "{uri}");
    }
}

#[test]
fn prepaid_guard_refuses_empty_and_insufficient_balances_with_the_catalog_lines() {
    let host = host();
    let settings = r#"
[plugins.settings]
minimum = 100
[plugins.settings.first_increment]
"+44" = 300
"#;
    let balance = |account: &str| match account {
        "empty" => Balance::Amount(0),
        "overdrawn" => Balance::Amount(-5),
        "poor" => Balance::Amount(50),
        "middling" => Balance::Amount(200),
        "rich" => Balance::Amount(10_000),
        _ => Balance::Unknown,
    };
    let env = HostEnv { balances: Arc::new(balance), ..env() };
    let chain = chain(&host, &entry("prepaid-guard", settings), &env);
    let decide = |account: Option<&str>, number: &str| {
        let mut request = RouteRequest::new(format!("sip:{number}@pbx"));
        request.account = account.map(str::to_owned);
        block_on(chain.decide(&request)).expect("decides").decision
    };
    let ru = "+74951234567";
    let uk = "+442079460000";
    assert_eq!(decide(Some("empty"), ru), Decision::Reject(NO_MONEY_LEFT_ON_RFC_ACCOUNT_403));
    assert_eq!(decide(Some("overdrawn"), ru), Decision::Reject(NO_MONEY_LEFT_ON_RFC_ACCOUNT_403));
    assert_eq!(decide(Some("poor"), ru), Decision::Reject(NO_MONEY_LEFT_480));
    assert_eq!(decide(Some("middling"), ru), Decision::Continue);
    assert_eq!(decide(Some("middling"), uk), Decision::Reject(NO_MONEY_LEFT_480), "+44 costs 300");
    assert_eq!(decide(Some("rich"), uk), Decision::Continue);
    assert_eq!(decide(Some("stranger"), ru), Decision::Continue, "unknown balance");
    assert_eq!(decide(None, ru), Decision::Continue, "no account");

    let strict = chain_with_unknown_rejected(&host);
    let mut request = RouteRequest::new("sip:+74951234567@pbx");
    request.account = Some("stranger".into());
    assert_eq!(
        block_on(strict.decide(&request)).unwrap().decision,
        Decision::Reject(NO_MONEY_LEFT_480)
    );
}

#[test]
fn prepaid_guard_with_billing_hooks_totals_each_accounts_talk_time_and_without_them_is_never_told() {
    let host = host();
    let store = Arc::new(MemoryStore::default());
    let env = HostEnv { store: store.clone(), ..env() };
    let mut request = RouteRequest::new("sip:+74951234567@pbx");
    request.account = Some("1001".into());
    let answer = AnswerInfo { gateway: Some("carrier-a".into()), uri: "sip:+74951234567@gw".into(), setup: Duration::from_millis(800) };
    let ended = |talk: u64| HangupInfo { answered: true, talk: Duration::from_millis(talk), status: OK_200, by_caller: true };
    let total = || {
        use ringway_dialplan::wasm::PluginStore;
        store.get("prepaid-guard", "talk_ms.1001")
    };

    let quiet = chain(&host, &entry("prepaid-guard", ""), &env);
    assert!(!quiet.has_billing_hooks());
    assert!(block_on(quiet.on_hangup(&request, &ended(1_000))).is_empty());
    assert_eq!(total(), None, "a plugin without billing_hooks is not called");

    let hooked = chain(&host, &entry("prepaid-guard", "billing_hooks = true"), &env);
    assert!(hooked.has_billing_hooks());
    assert!(block_on(hooked.on_answer(&request, &answer)).is_empty());
    assert!(block_on(hooked.on_hangup(&request, &ended(61_500))).is_empty());
    assert_eq!(total().as_deref(), Some("61500"));
    assert!(block_on(hooked.on_hangup(&request, &ended(2_000))).is_empty());
    assert_eq!(total().as_deref(), Some("63500"), "the total goes on from call to call");
}

fn chain_with_unknown_rejected(
    host: &ringway_dialplan::wasm::PluginHost,
) -> ringway_dialplan::wasm::PluginChain {
    chain(host, &entry("prepaid-guard", "[plugins.settings]\non_unknown = \"reject\""), &env())
}

/// 2026-05-04 (a Monday) at `hh:mm` UTC.
fn monday_utc(hh: u64, mm: u64) -> FixedClock {
    FixedClock(UNIX_EPOCH + Duration::from_secs(1_777_852_800 + hh * 3600 + mm * 60))
}

#[test]
fn business_hours_overflows_calls_outside_opening_time_by_the_clock_import() {
    let host = host();
    let settings = r#"
[plugins.settings]
overflow = "overflow"
open = "09:00"
close = "18:00"
days = "mon,tue,wed,thu,fri"
utc_offset_minutes = 180
"#;
    let store = Arc::new(MemoryStore::default());
    let at = |clock: FixedClock| HostEnv { clock: Arc::new(clock), store: store.clone(), ..env() };
    let request = RouteRequest::new("sip:+74951234567@pbx");
    let decide = |clock| {
        let chain = chain(&host, &entry("business-hours", settings), &at(clock));
        block_on(chain.decide(&request)).expect("decides").decision
    };

    assert_eq!(decide(monday_utc(6, 0)), Decision::Continue, "09:00 Moscow: open");
    assert_eq!(decide(monday_utc(14, 59)), Decision::Continue, "17:59 Moscow: open");
    let evening = targets(decide(monday_utc(15, 0)));
    assert_eq!(gateways(&evening), ["overflow"], "18:00 Moscow: closed");
    assert_eq!(evening[0].number, "+74951234567");
    assert_eq!(
        evening[0].headers.set,
        [
            ("x-ringway-overflow".into(), "after-hours".into()),
            ("x-ringway-overflow-count".into(), "1".into())
        ]
    );
    let sunday = FixedClock(monday_utc(12, 0).0 - Duration::from_secs(86_400));
    let sunday = targets(decide(sunday));
    assert_eq!(gateways(&sunday), ["overflow"], "Sunday noon: closed");
    assert_eq!(sunday[0].headers.set[1], ("x-ringway-overflow-count".into(), "2".into()));
    assert_eq!(store.get_count(), 2, "each overflowed call is counted in the plugin's store");
}

trait Count {
    fn get_count(&self) -> u64;
}

impl Count for MemoryStore {
    fn get_count(&self) -> u64 {
        use ringway_dialplan::wasm::PluginStore;
        self.get("business-hours", "overflowed").and_then(|c| c.parse().ok()).unwrap_or(0)
    }
}

#[test]
fn the_harness_runs_a_plugin_on_a_call_file_and_times_it() {
    let call = format!(
        r#"
[call]
request_uri = "sip:+74951234567@pbx"
caller = "alice"
account = "acme"
source = "192.0.2.10:5060"
transport = "udp"
offered_codecs = ["pcma"]
headers = {{ "x-campaign" = "spring" }}

[plugin]
{LCR_SETTINGS}
{}"#,
        support::TABLES
    )
    .replace("[plugins.settings", "[plugin.settings");
    let report = test_call(&support::plugin("lcr"), &call).expect("harness runs");
    let decision = report.outcome.expect("lcr decides");
    assert_eq!(gateways(&targets(decision.clone())), ["carrier-b", "carrier-a"]);
    assert!(ringway_dialplan::wasm::describe(&decision).contains("via carrier-b"));
    assert!(report.warm > Duration::ZERO && report.warm < Duration::from_secs(1));
}

/// A tracing subscriber that keeps the events at `max` and above as text, and counts the
/// plugin log events it was offered at any level.
struct Capture {
    max: tracing::Level,
    lines: std::sync::Mutex<Vec<String>>,
    offered: std::sync::atomic::AtomicUsize,
}

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn register_callsite(&self, _: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        // Asked per event: other tests' subscribers may want the same callsites.
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        if metadata.is_event() && metadata.target() == "ringway::plugin" {
            self.offered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        *metadata.level() <= self.max
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = Text(String::new());
        event.record(&mut text);
        self.lines.lock().unwrap().push(text.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn a_plugin_line_at_a_level_the_server_filters_out_is_not_sent_and_one_it_keeps_arrives_with_its_fields() {
    let host = host();
    let env = HostEnv { balances: Arc::new(|_: &str| Balance::Amount(0)), ..env() };
    let chain = chain(&host, &entry("prepaid-guard", ""), &env);
    let mut request = RouteRequest::new("sip:+74951234567@pbx");
    request.account = Some("1001".into());
    let logged_at = |max: tracing::Level| {
        let capture = Arc::new(Capture { max, lines: Default::default(), offered: Default::default() });
        tracing::subscriber::with_default(capture.clone(), || {
            let decision = block_on(chain.decide(&request)).unwrap().decision;
            assert_eq!(decision, Decision::Reject(NO_MONEY_LEFT_ON_RFC_ACCOUNT_403));
        });
        let lines = capture.lines.lock().unwrap().clone();
        let lines: Vec<String> = lines.into_iter().filter(|l| l.contains("no money left")).collect();
        (lines, capture.offered.load(std::sync::atomic::Ordering::Relaxed))
    };
    assert_eq!(logged_at(tracing::Level::WARN), (vec![], 0), "prepaid-guard's info line never leaves the plugin for a warn log");
    let (info, _) = logged_at(tracing::Level::INFO);
    assert_eq!(info.len(), 1, "{info:?}");
    assert!(info[0].contains(r#"plugin="prepaid-guard""#) && info[0].contains(r#"account="1001""#), "{info:?}");
}
