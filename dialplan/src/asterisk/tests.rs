//! Scenario tests of the machine: dialplans run against scripted answers from the "B2BUA".

use super::*;
use crate::{Decision, Target};
use ringway_sdk::StatusCode;
use ringway_sdk::catalog::{EMPTY_ROUTE_SET_480, UNDEFINED_REASON_500};
use ringway_sdk::cause::{DialStatus, Q850Cause};
use std::collections::VecDeque;
use std::time::Duration;

/// Friday 2025-03-14 10:30.
fn friday_morning() -> CivilTime {
    CivilTime::new(2025, 3, 14, 10, 30, 0).expect("valid")
}

fn plan(text: &str) -> Dialplan {
    match Dialplan::parse("extensions.conf", text) {
        Ok(plan) => plan,
        Err(errors) => panic!("dialplan does not load:\n{errors}"),
    }
}

fn errors(text: &str) -> Vec<String> {
    match Dialplan::parse("extensions.conf", text) {
        Ok(_) => panic!("dialplan loads"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// What the scripted B2BUA answers.
#[derive(Default)]
struct Script {
    dials: VecDeque<DialResult>,
    decisions: VecDeque<Decision>,
    caller: String,
    now: Option<CivilTime>,
}

impl Script {
    fn dial(mut self, result: DialResult) -> Self {
        self.dials.push_back(result);
        self
    }

    fn decide(mut self, decision: Decision) -> Self {
        self.decisions.push_back(decision);
        self
    }

    fn at(mut self, now: CivilTime) -> Self {
        self.now = Some(now);
        self
    }

    fn from(mut self, caller: &str) -> Self {
        self.caller = caller.into();
        self
    }
}

fn render(action: &Action) -> String {
    match action {
        Action::Dial { targets, timeout, options } => {
            let targets: Vec<&str> = targets.iter().map(|t| t.raw.as_str()).collect();
            let timeout = timeout.map(|t| format!(" {}s", t.as_secs_f64())).unwrap_or_default();
            let options =
                if options.raw.is_empty() { String::new() } else { format!(" {}", options.raw) };
            format!("Dial {}{timeout}{options}", targets.join("&"))
        }
        Action::Targets { targets } => {
            let uris: Vec<&str> = targets.iter().map(|t| t.uri.as_str()).collect();
            format!("Targets {}", uris.join(","))
        }
        Action::Hangup { status } => format!("Hangup {} (cause {})", status.line, status.cause.0),
        Action::Wait(d) => format!("Wait {}ms", d.as_millis()),
        Action::Wasm { plugin, args } => format!("Wasm {plugin} {args:?}"),
        Action::Route { table } => format!("Route {table:?}"),
        Action::Log { level, message } => format!("Log {level:?}: {message}"),
        other => format!("{other:?}"),
    }
}

/// Runs the call to `exten` in `context` to the end; the transcript of actions and the machine.
fn run(plan: &Dialplan, context: &str, exten: &str, mut script: Script) -> (Vec<String>, Machine) {
    let channel = Channel {
        caller_number: script.caller.clone(),
        name: "PJSIP/alice".into(),
        ..Channel::default()
    };
    let mut machine = Machine::new(plan, context, exten, channel);
    let now = script.now.unwrap_or_else(friday_morning);
    let mut transcript = Vec::new();
    for _ in 0..1000 {
        let action = machine.step(now);
        transcript.push(render(&action));
        match action {
            Action::Dial { .. } | Action::Targets { .. } => {
                let result = script.dials.pop_front().expect("the script has a dial result");
                machine.resume_dial(result).expect("waiting for a dial");
            }
            Action::Wasm { .. } => {
                let decision = script.decisions.pop_front().expect("the script has a decision");
                machine.resume_wasm(decision).expect("waiting for a plugin");
            }
            Action::Route { .. } => {
                let decision = script.decisions.pop_front().expect("the script has a decision");
                machine.resume_route(decision).expect("waiting for the tables");
            }
            Action::Done => return (transcript, machine),
            _ => {}
        }
    }
    panic!("the call did not end: {transcript:#?}");
}

fn transcript(text: &str, exten: &str, script: Script) -> Vec<String> {
    run(&plan(text), "default", exten, script).0
}

fn failed(code: u16) -> DialResult {
    DialResult::from_status(StatusCode::new(code).expect("valid code"))
}

#[test]
fn load_errors_name_file_line_and_column() {
    assert_eq!(
        errors("[default]\nexten => 100,1,Dail(PJSIP/100)\n"),
        ["extensions.conf:2:16: unknown application 'Dail' (did you mean 'Dial'?)"]
    );
}

#[test]
fn every_unsupported_application_is_listed_at_once() {
    let text = "\
[default]
exten => 100,1,Answer()
 same => n,Playback(hello-world)
 same => n,Queue(support)
 same => n,background(menu)
 same => n,AGI(script.agi)
 same => n,Frobnicate()
";
    assert_eq!(
        errors(text),
        [
            "extensions.conf:3:12: application 'Playback' needs media (prompts, recordings, DTMF), which Ringway does not have yet",
            "extensions.conf:4:12: unsupported application 'Queue' (SUPPORTED.md lists what Ringway runs)",
            "extensions.conf:5:12: application 'background' needs media (prompts, recordings, DTMF), which Ringway does not have yet",
            "extensions.conf:6:12: unsupported application 'AGI' (SUPPORTED.md lists what Ringway runs)",
            "extensions.conf:7:12: unknown application 'Frobnicate'",
        ]
    );
}

#[test]
fn structural_and_argument_errors_are_all_reported_with_positions() {
    let text = "\
[general]
colour=blue
[default]
exten => 100,1,NoOp()
exten => 100,1,NoOp(again)
exten => 101,1(start),NoOp()
 same => n(start),NoOp()
exten => _1[23,1,NoOp()
exten => 102,x,NoOp()
exten => 103,1,Set(X=${DB(family/key)})
exten => 104,1,Set(PJSIP_HEADER(add,X-Foo)=bar)
exten => 105,1,Hangup(480,Empty route set)
exten => 106,1,Hangup(480)
exten => 107,1,Dial(IAX2/peer&PJSIP/ok,abc)
exten => 108,1,GotoIfTime(25:00-26:00,mon-fry,*,*?open)
exten => 109,1,Goto(nolabel)
exten => 110,1,Log(LOUD,hello)
exten => 111,1,NoOp(unclosed
exten => 112,1,NoOp(x) trailing
exten => 113,1,Dial,PJSIP/100
exten => 114,1,GotoIf(1)
switch => Realtime/foo
frobnicate => 1
include => other,9-17
[other]
same => 1,NoOp()
";
    assert_eq!(
        errors(text),
        [
            "extensions.conf:2:1: unknown [general] setting 'colour'",
            "extensions.conf:5:14: priority 1 of extension '100' is already defined on line 4",
            "extensions.conf:7:10: label 'start' is already used in extension '101'",
            "extensions.conf:8:10: pattern '_1[23' has a '[' with no closing ']'",
            "extensions.conf:9:14: invalid priority 'x': expected a number, 'n', 's', 'hint' or a label of this extension, optionally followed by '+N' and '(label)'",
            "extensions.conf:10:24: unknown or unsupported function 'DB'",
            "extensions.conf:11:20: Set: function 'PJSIP_HEADER' cannot be assigned",
            "extensions.conf:12:23: Hangup: '480 Empty route set' is not a catalog status line; the catalog's 480 lines are: 'Invalid Phone Number', 'Destination Not Found In Client Plan', 'Wrong DB Response', 'DB Timeout', 'Database Error', 'Codec Mismatch', 'No Money Left on RFC Account', 'Empty Route Set', 'No money left', 'Temporarily Unavailable'",
            "extensions.conf:13:23: Hangup: 480 is not a Q.850 cause (1-127); to answer with a SIP status line write Hangup(480,<reason phrase>)",
            "extensions.conf:14:21: Dial: technology 'IAX2' is not supported (Ringway dials PJSIP/ and SIP/)",
            "extensions.conf:14:21: Dial: 'abc' is not a number of seconds",
            "extensions.conf:15:27: GotoIfTime: '25:00-26:00' is not a time or time range (hh:mm or hh:mm-hh:mm)",
            "extensions.conf:15:27: GotoIfTime: 'mon-fry' is not a day of the week (sun…sat or 1–7)",
            "extensions.conf:15:27: GotoIfTime: no priority labelled 'open' in default,<this extension>",
            "extensions.conf:16:21: Goto: no priority labelled 'nolabel' in default,<this extension>",
            "extensions.conf:17:20: Log: 'LOUD' is not a log level (ERROR, WARNING, NOTICE, DEBUG, VERBOSE, DTMF)",
            "extensions.conf:18:20: missing ')' after the arguments of NoOp",
            "extensions.conf:19:23: unexpected text after the closing ')' of NoOp",
            "extensions.conf:20:16: application arguments go in parentheses: write Dial(...)",
            "extensions.conf:21:23: GotoIf: missing '?' between the condition and the destinations",
            "extensions.conf:22:1: 'switch =>' is not supported",
            "extensions.conf:23:1: unknown keyword 'frobnicate' in a context (expected exten, same or include)",
            "extensions.conf:24:18: include: '9-17' is not a time or time range (hh:mm or hh:mm-hh:mm)",
            "extensions.conf:26:1: 'same =>' needs an 'exten =>' before it in this context",
        ]
    );
}

#[test]
fn errors_in_included_files_name_that_file() {
    let files = MemoryFiles::new()
        .with(
            "etc/extensions.conf",
            "[default]\n#include \"ext.d/sales.conf\"\n#include missing.conf\n",
        )
        .with(
            "etc/ext.d/sales.conf",
            "exten => 200,1,Dial(PJSIP/200)\nexten => 201,1,Playback(x)\n",
        );
    let errors = Dialplan::load("etc/extensions.conf", &files).expect_err("errors");
    let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "etc/extensions.conf:3:10: cannot read 'etc/missing.conf': entity not found",
            "etc/ext.d/sales.conf:2:16: application 'Playback' needs media (prompts, recordings, DTMF), which Ringway does not have yet",
        ]
    );
}

#[test]
fn warnings_do_not_stop_the_load() {
    let plan =
        plan("[default]\ninclude => parkedcalls\nignorepat => 9\nexten => 1,1,Goto(nowhere,s,1)\n");
    let warnings: Vec<String> = plan.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "extensions.conf:2:12: included context 'parkedcalls' is not defined; the include never matches",
            "extensions.conf:3:1: 'ignorepat' has no effect in Ringway and is ignored",
            "extensions.conf:4:19: context 'nowhere' is not defined; jumping there ends the call with 404",
        ]
    );
}

#[test]
fn priorities_n_s_plus_and_labels_number_as_in_pbx_config() {
    let plan = plan(
        "[default]\nexten => 100,1,Log(NOTICE,one)\nexten => 200,n,Log(NOTICE,two)\n\
         exten => 100,n(three),Log(NOTICE,three)\nexten => 100,three+2,Log(NOTICE,five)\n \
         same => s+1,Log(NOTICE,six)\nexten => 300,1,Goto(100,three)\nexten => 301,1,Goto(100,5)\n",
    );
    let (transcript, machine) = run(&plan, "default", "100", Script::default());
    assert_eq!(transcript, ["Log Notice: one", "Done"], "there is no priority 2: the end");
    assert_eq!((machine.location(), machine.executed()), (("default", "100", 2), 1));
    let (transcript, _) = run(&plan, "default", "200", Script::default());
    assert_eq!(transcript, ["Hangup 404 Not found (cause 1)", "Done"], "200 has no priority 1");
    let (transcript, _) = run(&plan, "default", "300", Script::default());
    assert_eq!(transcript, ["Log Notice: three", "Done"]);
    let (transcript, _) = run(&plan, "default", "301", Script::default());
    assert_eq!(transcript, ["Log Notice: five", "Log Notice: six", "Done"]);
}

#[test]
fn the_first_extension_in_asterisk_order_that_has_the_priority_runs() {
    // Asterisk's fall-through to a less specific pattern for a missing priority.
    let text = "\
[default]
exten => _X.,1,Set(WHO=any)
 same => n,Set(STEP2=${WHO})
 same => n,Hangup(16)
exten => _5XX,1,Set(WHO=5xx)
exten => 500,1,Set(WHO=literal)
";
    let plan = plan(text);
    assert_eq!(plan.extensions("default"), Some(vec!["500", "_5XX", "_X."]));
    let (_, machine) = run(&plan, "default", "500", Script::default());
    assert_eq!(machine.variable("STEP2").as_deref(), Some("literal"));
    let (_, machine) = run(&plan, "default", "555", Script::default());
    assert_eq!(machine.variable("STEP2").as_deref(), Some("5xx"));
    let (_, machine) = run(&plan, "default", "123", Script::default());
    assert_eq!(machine.variable("STEP2").as_deref(), Some("any"));
}

#[test]
fn dial_results_set_dialstatus_and_hangupcause_and_failover_follows_them() {
    let text = "\
[default]
exten => _X.,1,Dial(PJSIP/${EXTEN}@trunk-a,30,tT)
 same => n,Log(NOTICE,${DIALSTATUS}/${HANGUPCAUSE})
 same => n,GotoIf($[\"${DIALSTATUS}\" = \"CHANUNAVAIL\" | \"${DIALSTATUS}\" = \"CONGESTION\"]?backup)
 same => n,Hangup()
 same => n(backup),Dial(SIP/trunk-b/${EXTEN})
 same => n,Hangup()
";
    let busy = transcript(text, "74951234567", Script::default().dial(failed(486)));
    assert_eq!(
        busy,
        [
            "Dial PJSIP/74951234567@trunk-a 30s tT",
            "Log Notice: BUSY/17",
            "Hangup 486 Busy Here (cause 17)",
            "Done"
        ]
    );
    let failover = transcript(
        text,
        "74951234567",
        Script::default().dial(failed(503)).dial(DialResult::answered()),
    );
    assert_eq!(
        failover,
        [
            "Dial PJSIP/74951234567@trunk-a 30s tT",
            "Log Notice: CONGESTION/34",
            "Dial SIP/trunk-b/74951234567",
            "Done"
        ]
    );
}

#[test]
fn an_answered_dial_ends_the_dialplan_unless_option_g() {
    let text = "[default]\nexten => 1,1,Dial(PJSIP/1)\n same => n,Log(NOTICE,after)\n\
                exten => 2,1,Dial(PJSIP/2,,g)\n same => n,Log(NOTICE,after)\n";
    assert_eq!(
        transcript(text, "1", Script::default().dial(DialResult::answered())),
        ["Dial PJSIP/1", "Done"]
    );
    assert_eq!(
        transcript(text, "2", Script::default().dial(DialResult::answered())),
        ["Dial PJSIP/2 g", "Log Notice: after", "Done"]
    );
}

#[test]
fn running_off_the_end_falls_through_by_dialstatus() {
    let text = "[default]\nexten => _X,1,Dial(PJSIP/x)\n";
    let end = |result| run(&plan(text), "default", "1", Script::default().dial(result));
    assert_eq!(end(failed(486)).0, ["Dial PJSIP/x", "Busy", "Done"]);
    assert_eq!(end(failed(503)).0, ["Dial PJSIP/x", "Congestion", "Done"]);
    assert_eq!(end(failed(404)).0, ["Dial PJSIP/x", "Congestion", "Done"], "CHANUNAVAIL");
    let (transcript, machine) = end(failed(480));
    assert_eq!(transcript, ["Dial PJSIP/x", "Done"], "NOANSWER");
    assert_eq!(machine.hangup_status().line.to_string(), "480 Temporarily Unavailable");

    let no_fallthrough = format!("[general]\nautofallthrough=no\n{text}");
    let (transcript, _) =
        run(&plan(&no_fallthrough), "default", "1", Script::default().dial(failed(486)));
    assert_eq!(transcript, ["Dial PJSIP/x", "Done"]);
}

#[test]
fn unknown_extensions_go_to_i_or_end_with_404() {
    let text = "[default]\nexten => 1,1,Goto(99,1)\nexten => 2,1,Goto(nowhere,s,1)\n\
                [withi]\nexten => 1,1,Goto(99,1)\nexten => i,1,Hangup(${INVALID_EXTEN})\n";
    let plan = plan(text);
    assert_eq!(
        run(&plan, "default", "7", Script::default()).0,
        ["Hangup 404 Not found (cause 1)", "Done"]
    );
    assert_eq!(
        run(&plan, "default", "1", Script::default()).0,
        [
            "Log Warning: no extension '99' in context 'default' and no 'i' extension there",
            "Hangup 404 Not found (cause 1)",
            "Done"
        ]
    );
    assert_eq!(
        run(&plan, "withi", "1", Script::default()).0,
        ["Hangup 603 Decline (cause 99)", "Done"]
    );
    assert_eq!(
        run(&plan, "nosuchcontext", "1", Script::default()).0,
        ["Hangup 404 Not found (cause 1)", "Done"]
    );
}

#[test]
fn gosub_passes_arguments_and_return_sets_gosub_retval() {
    let text = "\
[default]
exten => s,1,Set(X=outer)
 same => n,Gosub(sub-add,s,1(2,3))
 same => n,Log(NOTICE,${GOSUB_RETVAL} ${X} [${ARG1}] ${ARGC})
 same => n,Gosub(sub-add,s,start(40,2))
 same => n,Log(NOTICE,${GOSUB_RETVAL})
[sub-add]
exten => s,1(start),Set(LOCAL(X)=inner)
 same => n,Log(NOTICE,in ${X} with ${ARGC} args)
 same => n,Return($[${ARG1} + ${ARG2}])
";
    assert_eq!(
        transcript(text, "s", Script::default()),
        [
            "Log Notice: in inner with 2 args",
            "Log Notice: 5 outer [] ",
            "Log Notice: in inner with 2 args",
            "Log Notice: 42",
            "Done"
        ]
    );
}

#[test]
fn gotoif_takes_labels_numbers_and_empty_branches() {
    let text = "\
[default]
exten => _X,1,GotoIf($[${EXTEN} > 5]?big:small)
 same => n(small),Log(NOTICE,small)
 same => n,GotoIf($[${EXTEN} = 1]?:end)
 same => n,Log(NOTICE,one)
 same => n(end),Hangup(16)
 same => n(big),GotoIf(1?other,s,1)
[other]
exten => s,1,Log(NOTICE,other ${EXTEN})
";
    assert_eq!(
        transcript(text, "1", Script::default()),
        ["Log Notice: small", "Log Notice: one", "Hangup 603 Decline (cause 16)", "Done"]
    );
    assert_eq!(
        transcript(text, "3", Script::default()),
        ["Log Notice: small", "Hangup 603 Decline (cause 16)", "Done"]
    );
    assert_eq!(transcript(text, "9", Script::default()), ["Log Notice: other s", "Done"]);
}

#[test]
fn gotoiftime_branches_on_the_callers_civil_time() {
    let text = "\
[default]
exten => s,1,GotoIfTime(*,*,25,dec?holiday,1)
 same => n,GotoIfTime(09:00-17:59,mon-fri,*,*?open,1:closed,1)
exten => open,1,Log(NOTICE,open)
exten => closed,1,Log(NOTICE,closed)
exten => holiday,1,Log(NOTICE,holiday)
";
    let at =
        |y, m, d, h, min| Script::default().at(CivilTime::new(y, m, d, h, min, 0).expect("valid"));
    assert_eq!(transcript(text, "s", at(2025, 3, 14, 10, 30)), ["Log Notice: open", "Done"]);
    assert_eq!(transcript(text, "s", at(2025, 3, 14, 17, 59)), ["Log Notice: open", "Done"]);
    assert_eq!(transcript(text, "s", at(2025, 3, 14, 18, 0)), ["Log Notice: closed", "Done"]);
    assert_eq!(
        transcript(text, "s", at(2025, 3, 15, 10, 30)),
        ["Log Notice: closed", "Done"],
        "Saturday"
    );
    assert_eq!(
        transcript(text, "s", at(2025, 12, 25, 10, 30)),
        ["Log Notice: holiday", "Done"],
        "Thursday"
    );
}

#[test]
fn timed_includes_and_caller_id_matches_pick_extensions() {
    let text = "\
[default]
include => daytime,08:00-19:59,mon-fri,*,*
include => night
exten => 100/_+7495XXXXXXX,1,Log(NOTICE,moscow caller)
exten => 100,1,Log(NOTICE,anyone)
[daytime]
exten => 200,1,Log(NOTICE,day desk)
[night]
exten => 200,1,Log(NOTICE,night desk)
";
    let plan = plan(text);
    let call = |exten: &str, script: Script| run(&plan, "default", exten, script).0;
    assert_eq!(
        call("100", Script::default().from("+74951234567")),
        ["Log Notice: moscow caller", "Done"]
    );
    assert_eq!(call("100", Script::default().from("+12125551212")), ["Log Notice: anyone", "Done"]);
    assert_eq!(call("100", Script::default()), ["Log Notice: anyone", "Done"]);
    assert_eq!(call("200", Script::default()), ["Log Notice: day desk", "Done"]);
    let night = CivilTime::new(2025, 3, 14, 22, 0, 0).expect("valid");
    assert_eq!(call("200", Script::default().at(night)), ["Log Notice: night desk", "Done"]);
    assert!(plan.exists("default", "200", "", night));
    assert!(!plan.exists("default", "300", "", night));
}

#[test]
fn hangup_with_a_catalog_line_answers_exactly_that_line() {
    let text =
        "[default]\nexten => 1,1,Hangup(480,Empty Route Set)\nexten => 2,1,Hangup(USER_BUSY)\n";
    let plan = plan(text);
    let mut machine = Machine::new(&plan, "default", "1", Channel::default());
    let action = machine.step(friday_morning());
    assert_eq!(action, Action::Hangup { status: HangupStatus::from_line(EMPTY_ROUTE_SET_480) });
    assert_eq!(action.final_status(), Some(EMPTY_ROUTE_SET_480));
    assert_eq!(machine.step(friday_morning()), Action::Done);
    assert_eq!(machine.step(friday_morning()), Action::Done, "Done is final");
    assert_eq!(
        run(&plan, "default", "2", Script::default()).0,
        ["Hangup 486 Busy Here (cause 17)", "Done"]
    );
}

#[test]
fn dial_is_repeated_until_resumed_and_wrong_resumes_are_refused() {
    let plan = plan("[default]\nexten => 1,1,Wasm(router,a,b)\n same => n,Dial(PJSIP/1)\n");
    let mut machine = Machine::new(&plan, "default", "1", Channel::default());
    let now = friday_morning();
    let wasm = machine.step(now);
    assert_eq!(wasm, Action::Wasm { plugin: "router".into(), args: vec!["a".into(), "b".into()] });
    assert_eq!(machine.step(now), wasm, "asked again until answered");
    assert!(machine.resume_dial(DialResult::answered()).is_err());
    assert!(machine.resume_route(Decision::Continue).is_err());
    machine.resume_wasm(Decision::Continue).expect("waiting for the plugin");
    assert_eq!(machine.variable("ROUTESTATUS").as_deref(), Some("CONTINUE"));
    let dial = machine.step(now);
    assert!(matches!(dial, Action::Dial { .. }));
    assert_eq!(machine.step(now), dial);
    assert!(machine.resume_wasm(Decision::Continue).is_err());
    machine.resume_dial(failed(486)).expect("waiting for the dial");
    assert_eq!(machine.step(now), Action::Busy);
}

#[test]
fn router_decisions_become_targets_or_route_variables() {
    let text = "\
[default]
exten => _X.,1,Wasm(lcr,${EXTEN})
 same => n,GotoIf($[\"${ROUTESTATUS}\" = \"REJECT\"]?reject)
 same => n,Route(premium)
 same => n,Log(NOTICE,${ROUTESTATUS} ${DIALSTATUS})
 same => n,Hangup()
 same => n(reject),Hangup(${ROUTECODE},${ROUTEREASON})
";
    let target = Target {
        gateway: Some("gw".into()),
        uri: "sip:+74951234567@192.0.2.1".into(),
        number: "+74951234567".into(),
        codecs: vec![],
        ring_timeout: None,
        failover: Default::default(),
        headers: Default::default(),
    };
    assert_eq!(
        transcript(
            text,
            "74951234567",
            Script::default().decide(Decision::Reject(EMPTY_ROUTE_SET_480))
        ),
        ["Wasm lcr [\"74951234567\"]", "Hangup 480 Empty Route Set (cause 3)", "Done"]
    );
    assert_eq!(
        transcript(
            text,
            "74951234567",
            Script::default()
                .decide(Decision::Continue)
                .decide(Decision::Targets(vec![target]))
                .dial(failed(503)),
        ),
        [
            "Wasm lcr [\"74951234567\"]",
            "Route Some(\"premium\")",
            "Targets sip:+74951234567@192.0.2.1",
            "Log Notice: TARGETS CONGESTION",
            "Hangup 503 Service Unavailable (cause 34)",
            "Done"
        ]
    );
}

#[test]
fn loop_protection_ends_a_runaway_dialplan_with_500() {
    let plan = plan(
        "[default]\nexten => s,1,Set(N=0)\n same => n,Set(N=$[${N} + 1])\n same => n,Goto(2)\n",
    );
    let (transcript, machine) = run(&plan, "default", "s", Script::default());
    assert_eq!(
        transcript,
        [
            "Log Error: loop protection: 10000 priorities run in this call, ending it at default,s,3",
            "Hangup 500 Undefined Reason (cause 38)",
            "Done"
        ]
    );
    assert_eq!(machine.variable("N").as_deref(), Some("5000"));
    let mut small = Machine::new(&plan, "default", "s", Channel::default()).with_budget(10);
    let now = friday_morning();
    assert!(matches!(small.step(now), Action::Log { level: LogLevel::Error, .. }));
    assert_eq!(
        small.step(now),
        Action::Hangup { status: HangupStatus::from_line(UNDEFINED_REASON_500) }
    );
}

#[test]
fn runtime_dialplan_errors_log_the_line_and_end_with_500() {
    let text = "\
[default]
exten => 1,1,Return()
exten => 2,1,Set(L=nolabel)
 same => n,Goto(${L})
exten => 3,1,Gosub(nowhere,s,1)
exten => 4,1,Set(T=)
 same => n,Dial(${T})
";
    let plan = plan(text);
    let call = |exten| run(&plan, "default", exten, Script::default()).0;
    let end = ["Hangup 500 Undefined Reason (cause 38)", "Done"];
    assert_eq!(
        call("1")[..],
        [&["Log Error: extensions.conf:2:14: Return: Return without a Gosub"][..], &end[..]]
            .concat()[..]
    );
    assert_eq!(
        call("2")[0],
        "Log Error: extensions.conf:4:12: Goto: no priority labelled 'nolabel' in default,2"
    );
    assert_eq!(call("3")[0], "Log Error: extensions.conf:5:14: Gosub: no priority 1 in nowhere,s");
    assert_eq!(
        call("4")[0],
        "Log Error: extensions.conf:7:12: Dial: needs at least one target such as PJSIP/100 or PJSIP/${EXTEN}@trunk"
    );
}

#[test]
fn recoverable_oddities_are_warnings_and_the_call_goes_on() {
    let text = "\
[default]
exten => 1,1,Set(T=IAX2/x)
 same => n,Dial(${T}&PJSIP/ok,${NOPE}x)
 same => n,Set(R=$[1 +])
 same => n,Hangup(${R}480)
";
    assert_eq!(
        transcript(text, "1", Script::default().dial(failed(486))),
        [
            "Log Warning: extensions.conf:3:12: Dial: skipping 'IAX2/x': technology 'IAX2' is not supported (Ringway dials PJSIP/ and SIP/)",
            "Log Warning: extensions.conf:3:12: Dial: 'x' is not a number of seconds",
            "Dial PJSIP/ok",
            "Log Warning: extensions.conf:4:12: syntax error in expression '1 +' at character 4",
            "Log Warning: extensions.conf:5:12: Hangup: 480 is not a Q.850 cause (1-127); to answer with a SIP status line write Hangup(480,<reason phrase>)",
            "Hangup 486 Busy Here (cause 17)",
            "Done"
        ]
    );
}

#[test]
fn small_applications_map_to_their_actions() {
    let text = "\
[default]
exten => 1,1,Answer(500)
 same => n,Ringing()
 same => n,Progress()
 same => n,Wait(1.5)
 same => n,Verbose(2,hello ${CALLERID(num)})
 same => n,Log(WARNING,careful, really)
 same => n,Set(CALLERID(num)=+15551234)
 same => n,Set(CALLERID(name)=Front Desk)
 same => n,NoOp(nothing)
 same => n,Congestion()
";
    let (transcript, machine) = run(&plan(text), "default", "1", Script::default().from("100"));
    assert_eq!(
        transcript,
        [
            "Answer",
            "Wait 500ms",
            "Ringing",
            "Progress",
            "Wait 1500ms",
            "Log Verbose: hello 100",
            "Log Warning: careful, really",
            "Congestion",
            "Done"
        ]
    );
    assert_eq!(machine.caller_id(), ("+15551234", "Front Desk"));
}

#[test]
fn globals_are_read_per_call_and_global_writes_stay_in_the_call() {
    let text = "\
[globals]
TRUNK=gw1
OUT=PJSIP/${TRUNK}
[default]
exten => 1,1,Set(GLOBAL(TRUNK)=gw2)
 same => n,Log(NOTICE,${OUT} ${TRUNK} ${GLOBAL(TRUNK)})
";
    let plan = plan(text);
    assert_eq!(plan.global("OUT"), Some("PJSIP/gw1"));
    assert_eq!(transcript(text, "1", Script::default()), ["Log Notice: PJSIP/gw1 gw2 gw2", "Done"]);
    assert_eq!(plan.global("TRUNK"), Some("gw1"), "the dialplan's globals are untouched");
}

#[test]
fn machines_can_move_between_threads_and_dialplans_are_shared() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Machine>();
    send_sync::<Dialplan>();
    let plan = plan("[default]\nexten => 1,1,Dial(PJSIP/1,20)\n");
    let machine = Machine::new(&plan, "default", "1", Channel::default());
    let mut moved = std::thread::spawn(move || machine).join().expect("thread");
    let action = moved.step(friday_morning());
    assert_eq!(
        action,
        Action::Dial {
            targets: vec![DialTarget::parse("PJSIP/1").expect("valid")],
            timeout: Some(Duration::from_secs(20)),
            options: DialOptions::default(),
        }
    );
    moved
        .resume_dial(DialResult {
            status: DialStatus::NoAnswer,
            hangup_cause: Q850Cause::NO_ANSWER,
            answered: false,
        })
        .expect("waiting");
    assert_eq!(moved.variable("DIALSTATUS").as_deref(), Some("NOANSWER"));
}

#[test]
fn hints_templates_and_keyword_case_load_as_in_asterisk() {
    let text = "\
[agent-template](!)
exten => _1XX,1,Log(NOTICE,agent ${EXTEN})
[default](agent-template)
Exten => 100,hint,PJSIP/100
exten = 200,1,Log(NOTICE,two)
exten => h,1,NoOp(cleanup)
[default](+)
exten => 300,1,Log(NOTICE,three)
";
    let plan = plan(text);
    assert_eq!(plan.contexts(), ["default"], "a template is no context");
    assert_eq!(plan.extensions("default"), Some(vec!["200", "300", "h", "_1XX"]));
    // The hint alone makes no extension 100 that would hide the pattern.
    assert_eq!(transcript(text, "100", Script::default()), ["Log Notice: agent 100", "Done"]);
    assert_eq!(transcript(text, "101", Script::default()), ["Log Notice: agent 101", "Done"]);
    assert_eq!(transcript(text, "300", Script::default()), ["Log Notice: three", "Done"]);
    let warnings: Vec<String> = plan.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "extensions.conf:6:10: extension 'h' is never run by Ringway (no hang-up handlers, no digit timeouts)"
        ]
    );
}

#[test]
fn conditions_with_their_own_question_marks_and_colons_load_and_run() {
    let text = "\
[default]
exten => 1,1,Set(X=abc)
 same => n,GotoIf($[\"${X}\" : \"a(b)c\" = b]?match:nomatch)
 same => n(nomatch),Hangup(1)
 same => n(match),GotoIf($[${LEN(${X})} > 2 ? 1 :: 0]?big)
 same => n,Hangup(1)
 same => n(big),Hangup(17)
";
    assert_eq!(
        transcript(text, "1", Script::default()),
        ["Hangup 486 Busy Here (cause 17)", "Done"]
    );
}

#[test]
fn the_plugins_a_dialplan_names_are_listed_for_the_server_to_check() {
    let plan = plan(
        "[default]\nexten => 1,1,Wasm(lcr,${EXTEN})\n same => n,Wasm(${PLUGIN})\n \
         same => n,Wasm( business-hours )\n same => n,Wasm(lcr)\n",
    );
    assert_eq!(plan.wasm_plugins(), ["business-hours", "lcr"]);
}
