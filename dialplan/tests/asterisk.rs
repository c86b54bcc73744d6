//! The call-center dialplan of `tests/fixtures/asterisk/` run through the Asterisk step machine
//! the way the B2BUA will drive it: dial results scripted per call, the `Wasm()` step answered
//! by the real `lcr` plugin, and the final status each caller hears checked line by line.

mod support;

use ringway_dialplan::RouteRequest;
use ringway_dialplan::asterisk::{
    Action, Channel, CivilTime, DialResult, Dialplan, FileResolver, FsResolver, Machine,
};
use ringway_dialplan::wasm::{PluginChain, block_on};
use ringway_sdk::StatusCode;
use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asterisk")
}

/// Reads files relative to the fixtures folder, so errors name them as an operator would.
struct Fixtures;

impl FileResolver for Fixtures {
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(fixtures().join(path))
    }
}

fn call_center() -> Dialplan {
    Dialplan::load("extensions.conf", &Fixtures)
        .unwrap_or_else(|e| panic!("the fixture loads:\n{e}"))
}

/// Friday 2025-03-14, 10:30 local time.
fn friday_morning() -> CivilTime {
    CivilTime::new(2025, 3, 14, 10, 30, 0).expect("valid")
}

/// How a dialed leg ends in the script.
#[derive(Clone, Copy)]
enum Leg {
    Answer,
    Status(u16),
}

/// One call: where it enters, who calls, when, and how each dialed leg ends.
struct Call<'a> {
    context: &'a str,
    exten: &'a str,
    caller: &'a str,
    now: CivilTime,
    legs: VecDeque<Leg>,
    plugins: Option<&'a PluginChain>,
}

impl<'a> Call<'a> {
    fn to(context: &'a str, exten: &'a str) -> Call<'a> {
        Call {
            context,
            exten,
            caller: "+12125551212",
            now: friday_morning(),
            legs: VecDeque::new(),
            plugins: None,
        }
    }

    fn at(mut self, now: CivilTime) -> Self {
        self.now = now;
        self
    }

    fn legs(mut self, legs: &[Leg]) -> Self {
        self.legs.extend(legs);
        self
    }

    fn plugins(mut self, chain: &'a PluginChain) -> Self {
        self.plugins = Some(chain);
        self
    }
}

/// What happened: every action in order, and what the caller finally heard.
struct Outcome {
    actions: Vec<String>,
    heard: String,
}

/// The B2BUA's side of the machine's contract, in miniature.
fn run(plan: &Dialplan, mut call: Call<'_>) -> Outcome {
    let channel = Channel { caller_number: call.caller.into(), ..Channel::default() };
    let mut machine = Machine::new(plan, call.context, call.exten, channel);
    let mut actions = Vec::new();
    let mut answered = false;
    let mut heard = None;
    for _ in 0..100 {
        let action = machine.step(call.now);
        match &action {
            Action::Dial { targets, timeout, .. } => {
                let raw: Vec<&str> = targets.iter().map(|t| t.raw.as_str()).collect();
                let timeout = timeout.map_or(String::new(), |t| format!(" ({}s)", t.as_secs()));
                actions.push(format!("Dial {}{timeout}", raw.join(" & ")));
            }
            Action::Targets { targets } => {
                let gateways: Vec<&str> =
                    targets.iter().filter_map(|t| t.gateway.as_deref()).collect();
                actions.push(format!("Targets {}", gateways.join(", ")));
            }
            Action::Log { message, .. } => actions.push(format!("Log {message}")),
            Action::Wasm { plugin, args } => {
                actions.push(format!("Wasm {plugin}({})", args.join(",")))
            }
            Action::Hangup { status } => {
                actions.push(format!("Hangup {} (cause {})", status.line, status.cause.0));
            }
            Action::Done => {}
            other => actions.push(format!("{other:?}")),
        }
        match action {
            Action::Dial { .. } | Action::Targets { .. } => {
                let leg = call.legs.pop_front().expect("the call scripts every dialed leg");
                let result = match leg {
                    Leg::Answer => {
                        answered = true;
                        DialResult::answered()
                    }
                    Leg::Status(code) => {
                        DialResult::from_status(StatusCode::new(code).expect("code"))
                    }
                };
                machine.resume_dial(result).expect("the machine waits for the dial");
            }
            Action::Wasm { plugin, args } => {
                let chain = call.plugins.expect("the call has plugins");
                assert_eq!(chain.names().collect::<Vec<_>>(), [plugin.as_str()]);
                let dialed = args.first().cloned().unwrap_or_default();
                let (number, _) = machine.caller_id();
                let mut request =
                    RouteRequest::new(format!("sip:{dialed}@pbx.example.net")).with_caller(number);
                request.variables =
                    machine.variables().map(|(k, v)| (k.into(), v.into())).collect();
                let decision =
                    block_on(chain.decide(&request)).expect("the plugin decides").decision;
                machine.resume_wasm(decision).expect("the machine waits for the plugin");
            }
            Action::Hangup { status } => heard = Some(status.line.to_string()),
            Action::Busy | Action::Congestion => {
                heard = action.final_status().map(|line| line.to_string());
            }
            Action::Done => {
                let heard = heard.unwrap_or_else(|| {
                    if answered {
                        "answered".into()
                    } else {
                        machine.hangup_status().line.to_string()
                    }
                });
                return Outcome { actions, heard };
            }
            _ => {}
        }
    }
    panic!("the call never ended: {actions:#?}");
}

fn lcr_chain() -> PluginChain {
    let settings = "[plugins.settings]\nmax_targets = 2\n[plugins.settings.rates]\n\
                    \"+44\" = \"carrier-b:90, carrier-a:110\"\n\"+49\" = \"carrier-c:70\"\n";
    support::chain(&support::host(), &support::entry("lcr", settings), &support::env())
}

#[test]
fn the_call_center_dialplan_loads_from_its_files_with_the_include() {
    let plan = call_center();
    assert_eq!(plan.files(), ["extensions.conf", "extensions.d/subroutines.conf"]);
    assert_eq!(
        plan.contexts(),
        ["agents", "from-trunk", "national", "outbound", "sub-two-trunks", "support"]
    );
    // '+' sorts below the digits; a literal 1 below a literal 8 below X.
    assert_eq!(
        plan.extensions("outbound"),
        Some(vec!["_+7XXXXXXXXXX", "_810X.", "_8809XXXXXXX", "_8XXXXXXXXXX"])
    );
    assert_eq!(plan.global("AGENTS"), Some("PJSIP/agent-101&PJSIP/agent-102"));
    assert!(plan.warnings().is_empty(), "{:?}", plan.warnings());
    // The same files through the file system resolver, by absolute path.
    let from_disk = Dialplan::load(fixtures().join("extensions.conf"), &FsResolver).expect("loads");
    assert_eq!(from_disk.contexts(), plan.contexts());
}

#[test]
fn the_first_trunk_failing_over_on_chanunavail_or_congestion_tries_the_second() {
    let plan = call_center();
    // 503 → CONGESTION, 404 → CHANUNAVAIL: both fail over; the backup answers.
    for first in [503, 404] {
        let outcome =
            run(&plan, Call::to("agents", "84951234567").legs(&[Leg::Status(first), Leg::Answer]));
        assert_eq!(outcome.heard, "answered", "first trunk {first}");
        assert_eq!(outcome.actions[0], "Dial PJSIP/+74951234567@carrier-a (30s)");
        assert_eq!(outcome.actions[2], "Dial SIP/carrier-b/+74951234567 (30s)");
    }
    let congestion =
        run(&plan, Call::to("agents", "+74951234567").legs(&[Leg::Status(503), Leg::Answer]));
    assert_eq!(
        congestion.actions,
        [
            "Dial PJSIP/+74951234567@carrier-a (30s)",
            "Log carrier-a gave CONGESTION (cause 34); trying carrier-b",
            "Dial SIP/carrier-b/+74951234567 (30s)",
        ]
    );
}

#[test]
fn busy_is_not_a_reason_to_fail_over_and_each_cause_becomes_its_status() {
    let plan = call_center();
    let heard = |legs: &[Leg]| run(&plan, Call::to("agents", "84951234567").legs(legs));
    // The primary's busy ends the call: 17 → 486 Busy Here.
    let busy = heard(&[Leg::Status(486)]);
    assert_eq!(
        busy.actions,
        ["Dial PJSIP/+74951234567@carrier-a (30s)", "Hangup 486 Busy Here (cause 17)"]
    );
    assert_eq!(busy.heard, "486 Busy Here");
    // Both trunks fail: the backup's cause is the caller's status.
    assert_eq!(heard(&[Leg::Status(503), Leg::Status(404)]).heard, "404 Not found", "cause 1");
    assert_eq!(
        heard(&[Leg::Status(404), Leg::Status(503)]).heard,
        "503 Service Unavailable",
        "cause 34"
    );
    assert_eq!(heard(&[Leg::Status(503), Leg::Status(486)]).heard, "486 Busy Here", "cause 17");
}

#[test]
fn business_hours_decide_between_the_agents_and_the_closed_message() {
    let plan = call_center();
    let at = |y, m, d, h, min| CivilTime::new(y, m, d, h, min, 0).expect("valid");
    let inbound = |now| Call::to("from-trunk", "+74951234563").at(now);

    let open = run(&plan, inbound(at(2025, 3, 14, 10, 30)).legs(&[Leg::Answer]));
    assert_eq!(
        open.actions,
        [
            "Log Inbound +74951234563 from +12125551212",
            "Ringing",
            "Dial PJSIP/agent-101 & PJSIP/agent-102 (20s)",
        ]
    );
    assert_eq!(open.heard, "answered");

    let all_busy = run(&plan, inbound(at(2025, 3, 14, 17, 59)).legs(&[Leg::Status(486)]));
    assert_eq!(all_busy.heard, "486 Busy Here");
    let nobody = run(&plan, inbound(at(2025, 3, 14, 9, 0)).legs(&[Leg::Status(480)]));
    assert_eq!(nobody.heard, "503 Service Unavailable");

    for (when, label) in [
        (at(2025, 3, 14, 18, 0), "Friday evening"),
        (at(2025, 3, 15, 11, 0), "Saturday"),
        (at(2025, 1, 1, 11, 0), "New Year's Day, a Wednesday"),
    ] {
        let closed = run(&plan, inbound(when));
        assert_eq!(
            closed.actions[1..],
            [
                "Log after-hours call to +74951234563 from +12125551212",
                "Hangup 480 Temporarily Unavailable (cause 19)"
            ],
            "{label}"
        );
        assert_eq!(closed.heard, "480 Temporarily Unavailable", "{label}");
    }
}

#[test]
fn hangup_causes_map_to_sip_statuses_as_asterisk_does() {
    let plan = call_center();
    // Hangup(UNALLOCATED) and Hangup(1): 404 Not found.
    assert_eq!(run(&plan, Call::to("from-trunk", "5551234")).heard, "404 Not found");
    assert_eq!(run(&plan, Call::to("from-trunk", "+15551234")).heard, "404 Not found");
    // Hangup(CALL_REJECTED), cause 21: 403 Forbidden.
    let premium = run(&plan, Call::to("agents", "88091234567"));
    assert_eq!(premium.actions[0], "Log premium-rate number 88091234567 barred");
    assert_eq!(premium.heard, "403 Forbidden");
    // An agent that does not answer: Dial gives NOANSWER (cause 19), Hangup() keeps the
    // channel's cause: 480.
    assert_eq!(
        run(&plan, Call::to("agents", "101").legs(&[Leg::Status(480)])).heard,
        "480 Temporarily Unavailable"
    );
    // A number in no context at all: 404 before anything runs.
    assert_eq!(run(&plan, Call::to("agents", "999")).heard, "404 Not found");
}

#[test]
fn international_calls_ask_the_lcr_plugin_and_walk_its_targets() {
    let plan = call_center();
    let chain = lcr_chain();
    let uk =
        run(&plan, Call::to("agents", "810442079460000").plugins(&chain).legs(&[Leg::Status(503)]));
    assert_eq!(
        uk.actions,
        [
            "Wasm lcr(+442079460000)",
            "Targets carrier-b, carrier-a",
            "Hangup 503 Service Unavailable (cause 34)"
        ]
    );
    assert_eq!(uk.heard, "503 Service Unavailable", "the targets' cause");
    let answered =
        run(&plan, Call::to("agents", "810442079460000").plugins(&chain).legs(&[Leg::Answer]));
    assert_eq!(answered.heard, "answered");
}

#[test]
fn a_number_no_router_covers_hangs_up_with_exactly_480_empty_route_set() {
    let plan = call_center();
    let chain = lcr_chain();
    let outcome = run(&plan, Call::to("agents", "81012125551212").plugins(&chain));
    assert_eq!(outcome.actions[0], "Wasm lcr(+12125551212)");
    assert_eq!(outcome.heard, "480 Empty Route Set");
    assert_eq!(outcome.actions[1], "Hangup 480 Empty Route Set (cause 3)");
}

#[test]
fn a_dialplan_written_for_asterisk_lists_every_problem_with_file_line_and_column() {
    let errors =
        Dialplan::load("broken/extensions.conf", &Fixtures).expect_err("the broken fixture fails");
    let lines: Vec<String> = errors.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "broken/extensions.conf:9:12: application 'Background' needs media (prompts, recordings, DTMF), which Ringway does not have yet",
            "broken/extensions.conf:10:12: unknown application 'Dail' (did you mean 'Dial'?)",
            "broken/extensions.conf:11:19: Hangup: '480 Empty route set' is not a catalog status line; the catalog's 480 lines are: 'Invalid Phone Number', 'Destination Not Found In Client Plan', 'Wrong DB Response', 'DB Timeout', 'Database Error', 'Codec Mismatch', 'No Money Left on RFC Account', 'Empty Route Set', 'No money left', 'Temporarily Unavailable'",
            "broken/extensions.conf:14:21: Dial: technology 'DAHDI' is not supported (Ringway dials PJSIP/ and SIP/)",
            "broken/extensions.conf:15:19: GotoIf: no priority labelled 'busy' in outgoing,<this extension>",
            "broken/queues.conf:2:14: unsupported application 'Queue' (SUPPORTED.md lists what Ringway runs)",
            "broken/queues.conf:3:12: application 'Playback' needs media (prompts, recordings, DTMF), which Ringway does not have yet",
        ]
    );
}
