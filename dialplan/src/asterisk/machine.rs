//! The step machine: one call's walk through the dialplan.
//!
//! [`Machine::step`] runs priorities until one needs the outside world and returns it as an
//! [`Action`]; `Set`, `Goto`, `GotoIf`, `GotoIfTime`, `Gosub`, `Return` and `NoOp` run inside.
//! Actions that ask a question (`Dial`, `Targets`, `Wasm`, `Route`) wait for the answer: until
//! the matching `resume_*` is called, `step` returns the same action again. The others are
//! carried out by the caller, who then calls `step` again. After `Hangup`, `Busy`,
//! `Congestion` or `Done`, every `step` returns `Done`.
//!
//! Lookups follow Asterisk: the first extension in the context's order that matches the
//! dialed string (and caller ID) *and* has the wanted priority, then the includes. When the
//! priority is missing but the extension exists, the call "falls off the end": with
//! `autofallthrough` (the default) a `BUSY` dial status gives [`Action::Busy`], `CONGESTION` or
//! `CHANUNAVAIL` [`Action::Congestion`], anything else [`Action::Done`]. When the extension
//! does not exist at all, the context's `i` extension runs with `${INVALID_EXTEN}` set, or the
//! call ends with cause 1 (`404 Not found`); an initial extension that does not exist ends
//! with 404 at once, as chan_pjsip answers before the dialplan starts.
//!
//! A dialplan error at run time (a `Goto` to a label that does not exist, `Return` outside a
//! `Gosub`, `Dial()` with nothing to dial) logs an error naming the line and ends the call with
//! `500 Undefined Reason`; so does running more than [`DEFAULT_BUDGET`] priorities in one call
//! (loop protection). Recoverable oddities (a bad expression, an unknown function, an invalid
//! dial target next to valid ones) are logged as warnings and the call goes on, as in Asterisk.

use super::Dialplan;
use super::apps::{
    self, App, ArgError, DialOptions, DialTarget, HangupArg, HangupStatus, LogLevel, PriorityRef,
};
use super::error::Pos;
use super::parse::{Step, Want};
use super::time::{CivilTime, TimeSpec};
use super::vars::{Channel, Env, Warning};
use crate::{Decision, Target};
use ringway_sdk::cause::{DialStatus, Q850Cause, cause_for_status, dial_status_for};
use ringway_sdk::{StatusCode, StatusLine, catalog};
use std::collections::VecDeque;
use std::time::Duration;

/// Priorities one call may run before loop protection ends it.
pub const DEFAULT_BUDGET: u32 = 10_000;

/// What the machine needs from the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Answer the call (200 OK). Then `step`.
    Answer,
    /// Send `183 Session Progress` (early media). Then `step`.
    Progress,
    /// Send `180 Ringing`. Then `step`.
    Ringing,
    /// Call these targets at once (Asterisk's `&`); the first to answer wins. Resume with
    /// [`Machine::resume_dial`].
    Dial {
        /// The targets, in the order written.
        targets: Vec<DialTarget>,
        /// How long to ring; `None` = no limit.
        timeout: Option<Duration>,
        /// Dial's options, as data (see [`DialOptions`]).
        options: DialOptions,
    },
    /// A router (`Wasm()` or `Route()`) chose these targets: try them in order with their
    /// fail-over policies, as for any routed call. Resume with [`Machine::resume_dial`].
    Targets {
        /// The router's targets.
        targets: Vec<Target>,
    },
    /// End the call: an unanswered caller gets `status.line`, `status.cause` is recorded.
    Hangup {
        /// The cause and line.
        status: HangupStatus,
    },
    /// Busy: answer an unanswered call with `486 Busy Here` and end it.
    Busy,
    /// Congestion: answer an unanswered call with `503 Service Unavailable` and end it.
    Congestion,
    /// Wait this long, then `step`.
    Wait(Duration),
    /// Ask the WASM plugin `plugin` for a decision (the call's variables are
    /// [`Machine::variables`]; `args` are the application's further arguments). Resume with
    /// [`Machine::resume_wasm`].
    Wasm {
        /// The plugin's name as configured in `[[plugins]]`.
        plugin: String,
        /// `Wasm(plugin,arg1,arg2…)`'s further arguments.
        args: Vec<String>,
    },
    /// Ask the built-in routing tables (`table`: a route table name, `None`: the request's
    /// tariff plan's or the default). Resume with [`Machine::resume_route`].
    Route {
        /// The route table to use.
        table: Option<String>,
    },
    /// Log a message (`Log`, `Verbose`, and the machine's own warnings and errors, which start
    /// with `file:line:column:`). Then `step`.
    Log {
        /// The level.
        level: LogLevel,
        /// The message.
        message: String,
    },
    /// The dialplan is over: hang up. An unanswered caller gets [`Machine::hangup_status`].
    Done,
}

impl Action {
    /// The final response an unanswered caller gets, for the actions that end the call
    /// (`Done` needs the machine: [`Machine::hangup_status`]).
    pub fn final_status(&self) -> Option<StatusLine> {
        match self {
            Action::Hangup { status } => Some(status.line),
            Action::Busy => Some(catalog::BUSY_HERE_486),
            Action::Congestion => Some(catalog::SERVICE_UNAVAILABLE_503),
            _ => None,
        }
    }
}

/// How a `Dial` (or a router's `Targets`) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DialResult {
    /// `${DIALSTATUS}`.
    pub status: DialStatus,
    /// `${HANGUPCAUSE}`: the cause the dialed leg ended with.
    pub hangup_cause: Q850Cause,
    /// Whether a target answered (and the bridged call has now ended).
    pub answered: bool,
}

impl DialResult {
    /// A target answered; the call has ended normally.
    pub fn answered() -> DialResult {
        DialResult {
            status: DialStatus::Answer,
            hangup_cause: Q850Cause::NORMAL_CLEARING,
            answered: true,
        }
    }

    /// The dialed leg ended with this final response, mapped as Asterisk does
    /// ([`dial_status_for`], [`cause_for_status`]).
    pub fn from_status(code: StatusCode) -> DialResult {
        DialResult {
            status: dial_status_for(code),
            hangup_cause: cause_for_status(code),
            answered: code.is_success(),
        }
    }

    /// The dialed leg ended with this catalog line: its cause and dial status.
    pub fn from_line(line: StatusLine) -> DialResult {
        match catalog::entry(line) {
            Some(entry) => DialResult {
                status: entry.dial_status,
                hangup_cause: entry.q850,
                answered: line.code.is_success(),
            },
            None => DialResult::from_status(line.code),
        }
    }
}

/// A `resume_*` call the machine was not waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the dialplan is not waiting for {expected}")]
pub struct ResumeError {
    /// What the call answered.
    pub expected: &'static str,
}

#[derive(Clone, Debug)]
enum State {
    Running,
    /// Waiting for `resume_dial`.
    Dialing {
        action: Action,
        go_on_after_answer: bool,
    },
    /// Waiting for `resume_wasm` (`wasm`) or `resume_route`.
    Asking {
        action: Action,
        wasm: bool,
    },
    Finished,
}

/// One call's walk through a dialplan (see the module docs).
#[derive(Clone, Debug)]
pub struct Machine {
    plan: Dialplan,
    env: Env,
    state: State,
    pending: VecDeque<Action>,
    budget: u32,
    executed: u32,
    started: bool,
}

impl Machine {
    /// A call to `exten` in `context`, from `channel`. Nothing runs until the first `step`.
    pub fn new(plan: &Dialplan, context: &str, exten: &str, channel: Channel) -> Machine {
        let env = Env::new(channel, plan.plan().globals.clone(), context, exten);
        Machine {
            plan: plan.clone(),
            env,
            state: State::Running,
            pending: VecDeque::new(),
            budget: DEFAULT_BUDGET,
            executed: 0,
            started: false,
        }
    }

    /// Sets how many priorities the call may run (default [`DEFAULT_BUDGET`]).
    pub fn with_budget(mut self, priorities: u32) -> Machine {
        self.budget = priorities;
        self
    }

    /// Runs until the next action. `now` is the local time, for `GotoIfTime` and timed
    /// includes.
    pub fn step(&mut self, now: CivilTime) -> Action {
        loop {
            if let Some(action) = self.pending.pop_front() {
                return action;
            }
            match &self.state {
                State::Finished => return Action::Done,
                State::Dialing { action, .. } | State::Asking { action, .. } => {
                    return action.clone();
                }
                State::Running => self.run_one(now),
            }
        }
    }

    /// The result of the `Dial` or `Targets` the machine asked for: sets `${DIALSTATUS}` and
    /// `${HANGUPCAUSE}`. After an answered call the dialplan ends, unless Dial had option `g`.
    pub fn resume_dial(&mut self, result: DialResult) -> Result<(), ResumeError> {
        let State::Dialing { go_on_after_answer, .. } = self.state else {
            return Err(ResumeError { expected: "a dial result" });
        };
        self.env.set_variable("DIALSTATUS", result.status.as_str());
        self.env.hangup_cause = result.hangup_cause.0;
        self.state =
            if result.answered && !go_on_after_answer { State::Finished } else { State::Running };
        Ok(())
    }

    /// The plugin's decision for the `Wasm` action (see [`Machine::resume_route`]).
    pub fn resume_wasm(&mut self, decision: Decision) -> Result<(), ResumeError> {
        match self.state {
            State::Asking { wasm: true, .. } => {
                self.decided(decision);
                Ok(())
            }
            _ => Err(ResumeError { expected: "a plugin decision" }),
        }
    }

    /// The routing tables' decision for the `Route` action. Sets `${ROUTESTATUS}`: `TARGETS`
    /// (the next action is [`Action::Targets`]), `REJECT` (with `${ROUTECODE}` and
    /// `${ROUTEREASON}`, e.g. `480` and `Empty Route Set`, for `Hangup(${ROUTECODE},${ROUTEREASON})`)
    /// or `CONTINUE`; the dialplan then goes on at the next priority.
    pub fn resume_route(&mut self, decision: Decision) -> Result<(), ResumeError> {
        match self.state {
            State::Asking { wasm: false, .. } => {
                self.decided(decision);
                Ok(())
            }
            _ => Err(ResumeError { expected: "a routing decision" }),
        }
    }

    fn decided(&mut self, decision: Decision) {
        self.state = State::Running;
        match decision {
            Decision::Targets(targets) if !targets.is_empty() => {
                self.env.set_variable("ROUTESTATUS", "TARGETS");
                let action = Action::Targets { targets };
                self.state = State::Dialing { action, go_on_after_answer: false };
            }
            Decision::Reject(line) => {
                self.env.set_variable("ROUTESTATUS", "REJECT");
                self.env.set_variable("ROUTECODE", &line.code.as_u16().to_string());
                self.env.set_variable("ROUTEREASON", line.reason);
            }
            Decision::Targets(_) | Decision::Continue => {
                self.env.set_variable("ROUTESTATUS", "CONTINUE")
            }
        }
    }

    /// A variable as the dialplan sees it (built-ins, channel variables, globals).
    pub fn variable(&self, name: &str) -> Option<String> {
        self.env.variable(name)
    }

    /// The channel variables, by name (for a plugin's request, or the B-leg's inheritance).
    pub fn variables(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The caller's number and name now (`Set(CALLERID(num)=…)` changes them): what the
    /// B-leg presents.
    pub fn caller_id(&self) -> (&str, &str) {
        (&self.env.channel.caller_number, &self.env.channel.caller_name)
    }

    /// Where the call is: context, extension, priority.
    pub fn location(&self) -> (&str, &str, u32) {
        (&self.env.context, &self.env.exten, self.env.priority)
    }

    /// How an unanswered call that reaches [`Action::Done`] is answered: the channel's hangup
    /// cause (the last Dial's), else 16 (normal clearing), mapped as chan_pjsip does.
    pub fn hangup_status(&self) -> HangupStatus {
        HangupStatus::from_cause(self.channel_cause())
    }

    /// Priorities run so far.
    pub fn executed(&self) -> u32 {
        self.executed
    }

    fn channel_cause(&self) -> Q850Cause {
        match self.env.hangup_cause {
            0 => Q850Cause::NORMAL_CLEARING,
            cause => Q850Cause(cause),
        }
    }

    fn find(
        &self,
        context: &str,
        exten: &str,
        want: Want<'_>,
        now: CivilTime,
    ) -> Option<(&Step, u32)> {
        self.plan.plan().find(context, exten, &self.env.channel.caller_number, want, now)
    }

    fn finish(&mut self, action: Action) {
        self.pending.push_back(action);
        self.state = State::Finished;
    }

    fn position(&self, pos: Pos) -> String {
        let file = self.plan.plan().files.get(pos.file as usize).map_or("?", String::as_str);
        format!("{file}:{}:{}", pos.line, pos.col)
    }

    fn warn(&mut self, pos: Pos, warnings: Vec<Warning>) {
        for warning in warnings {
            let message = format!("{}: {warning}", self.position(pos));
            self.pending.push_back(Action::Log { level: LogLevel::Warning, message });
        }
    }

    /// A dialplan error: log it and end the call with `500 Undefined Reason`.
    fn fail(&mut self, pos: Pos, app: App, error: ArgError) {
        let message = format!("{}: {app}: {error}", self.position(pos));
        self.pending.push_back(Action::Log { level: LogLevel::Error, message });
        self.finish(Action::Hangup {
            status: HangupStatus::from_line(catalog::UNDEFINED_REASON_500),
        });
    }

    fn run_one(&mut self, now: CivilTime) {
        let (context, exten) = (self.env.context.clone(), self.env.exten.clone());
        if !self.started {
            self.started = true;
            if self.find(&context, &exten, Want::Priority(1), now).is_none() {
                self.env.hangup_cause = Q850Cause::UNALLOCATED.0;
                let status = HangupStatus::from_cause(Q850Cause::UNALLOCATED);
                return self.finish(Action::Hangup { status });
            }
        }
        if self.executed >= self.budget {
            let message = format!(
                "loop protection: {} priorities run in this call, ending it at {context},{exten},{}",
                self.executed, self.env.priority
            );
            self.pending.push_back(Action::Log { level: LogLevel::Error, message });
            let status = HangupStatus::from_line(catalog::UNDEFINED_REASON_500);
            return self.finish(Action::Hangup { status });
        }
        let priority = self.env.priority;
        let Some((step, _)) = self.find(&context, &exten, Want::Priority(priority), now) else {
            return self.fall_off(now);
        };
        let step = step.clone();
        self.executed += 1;
        if self.execute(&step, now) {
            self.env.priority += 1;
        }
    }

    /// No priority here: the end of an existing extension, or an extension that does not exist.
    fn fall_off(&mut self, now: CivilTime) {
        let (context, exten) = (self.env.context.clone(), self.env.exten.clone());
        if self.find(&context, &exten, Want::Priority(1), now).is_some() {
            if !self.plan.plan().autofallthrough {
                return self.finish(Action::Done);
            }
            let status = self.env.variable("DIALSTATUS").unwrap_or_default();
            return self.finish(match status.as_str() {
                "BUSY" => Action::Busy,
                "CONGESTION" | "CHANUNAVAIL" => Action::Congestion,
                _ => Action::Done,
            });
        }
        if exten != "i" && self.find(&context, "i", Want::Priority(1), now).is_some() {
            self.env.set_variable("INVALID_EXTEN", &exten);
            self.env.exten = "i".into();
            self.env.priority = 1;
            return;
        }
        let message =
            format!("no extension '{exten}' in context '{context}' and no 'i' extension there");
        self.pending.push_back(Action::Log { level: LogLevel::Warning, message });
        self.env.hangup_cause = Q850Cause::UNALLOCATED.0;
        self.finish(Action::Hangup { status: HangupStatus::from_cause(Q850Cause::UNALLOCATED) });
    }

    /// Runs one priority; `true` when the call goes on at the next priority.
    fn execute(&mut self, step: &Step, now: CivilTime) -> bool {
        let mut warnings = Vec::new();
        let data = self.env.substitute(&step.data, &mut warnings);
        self.warn(step.pos, std::mem::take(&mut warnings));
        let next = match step.app {
            App::NoOp => true,
            App::Answer => {
                self.pending.push_back(Action::Answer);
                if let Ok(ms) = data.trim().parse::<u64>()
                    && ms > 0
                {
                    self.pending.push_back(Action::Wait(Duration::from_millis(ms)));
                }
                true
            }
            App::Progress => {
                self.pending.push_back(Action::Progress);
                true
            }
            App::Ringing => {
                self.pending.push_back(Action::Ringing);
                true
            }
            App::Busy => {
                self.env.hangup_cause = Q850Cause::USER_BUSY.0;
                self.finish(Action::Busy);
                false
            }
            App::Congestion => {
                self.env.hangup_cause = Q850Cause::NORMAL_CIRCUIT_CONGESTION.0;
                self.finish(Action::Congestion);
                false
            }
            App::Hangup => {
                let status = match apps::hangup_arg(&data) {
                    Ok(HangupArg::Status(status)) => status,
                    Ok(HangupArg::Default) => HangupStatus::from_cause(self.channel_cause()),
                    Err(problem) => {
                        warnings.push(Warning::Application { app: "Hangup", problem });
                        HangupStatus::from_cause(self.channel_cause())
                    }
                };
                self.env.hangup_cause = status.cause.0;
                self.warn(step.pos, std::mem::take(&mut warnings));
                self.finish(Action::Hangup { status });
                false
            }
            App::Wait => {
                match apps::seconds(&data) {
                    Ok(duration) => self.pending.push_back(Action::Wait(duration)),
                    Err(problem) => warnings.push(Warning::Application { app: "Wait", problem }),
                }
                true
            }
            App::Log => {
                let parts = apps::separate_args(&data, ',', true, 2);
                let level = parts.first().map_or("", String::as_str);
                match LogLevel::parse(level) {
                    Ok(level) => {
                        let message = parts.get(1).cloned().unwrap_or_default();
                        self.pending.push_back(Action::Log { level, message });
                    }
                    Err(problem) => warnings.push(Warning::Application { app: "Log", problem }),
                }
                true
            }
            App::Verbose => {
                let parts = apps::separate_args(&data, ',', true, 2);
                let message = match parts.as_slice() {
                    [message] => message.clone(),
                    [level, message] => {
                        if level.trim().parse::<u8>().is_err() {
                            let problem = ArgError::BadVerbosity(level.clone());
                            warnings.push(Warning::Application { app: "Verbose", problem });
                        }
                        message.clone()
                    }
                    _ => String::new(),
                };
                self.pending.push_back(Action::Log { level: LogLevel::Verbose, message });
                true
            }
            App::Set => {
                match data.split_once('=') {
                    None => warnings.push(Warning::Application {
                        app: "Set",
                        problem: ArgError::MissingEquals,
                    }),
                    Some((name, value)) => {
                        let name = name.trim();
                        match name.find('(') {
                            Some(open) => {
                                let close =
                                    name.rfind(')').filter(|&c| c > open).unwrap_or(name.len());
                                let (function, args) = (&name[..open], &name[open + 1..close]);
                                self.env.write_function(function, args, value, &mut warnings);
                            }
                            None => self.env.set_variable(name, value),
                        }
                    }
                }
                true
            }
            App::Goto => match apps::location(&data).and_then(|l| self.jump(l, now)) {
                Ok(()) => false,
                Err(error) => {
                    self.warn(step.pos, warnings);
                    self.fail(step.pos, step.app, error);
                    return false;
                }
            },
            App::GotoIf | App::GotoIfTime => {
                let branch = match apps::branches(&data) {
                    Err(problem) => {
                        warnings.push(Warning::Application { app: step.app.name(), problem });
                        ""
                    }
                    Ok((condition, yes, no)) => {
                        let taken = if step.app == App::GotoIf {
                            super::vars::is_true(condition)
                        } else {
                            let (spec, problems) = TimeSpec::parse(condition);
                            warnings.extend(problems.into_iter().map(Warning::from));
                            spec.matches(now)
                        };
                        if taken { yes } else { no }
                    }
                };
                if branch.is_empty() {
                    true
                } else {
                    match apps::location(branch).and_then(|l| self.jump(l, now)) {
                        Ok(()) => false,
                        Err(error) => {
                            self.warn(step.pos, warnings);
                            self.fail(step.pos, step.app, error);
                            return false;
                        }
                    }
                }
            }
            App::Gosub => match self.gosub(&data, now) {
                Ok(()) => false,
                Err(error) => {
                    self.warn(step.pos, warnings);
                    self.fail(step.pos, step.app, error);
                    return false;
                }
            },
            App::Return => match self.env.pop_frame() {
                Some((context, exten, priority)) => {
                    self.env.set_variable("GOSUB_RETVAL", &data);
                    (self.env.context, self.env.exten, self.env.priority) =
                        (context, exten, priority);
                    false
                }
                None => {
                    self.warn(step.pos, warnings);
                    self.fail(step.pos, step.app, ArgError::ReturnWithoutGosub);
                    return false;
                }
            },
            App::Dial => return self.dial(step, &data, warnings),
            App::Wasm => {
                let mut parts = apps::separate_args(&data, ',', true, usize::MAX).into_iter();
                let plugin = parts.next().unwrap_or_default().trim().to_owned();
                if plugin.is_empty() {
                    self.warn(step.pos, warnings);
                    self.fail(step.pos, step.app, ArgError::MissingPlugin);
                    return false;
                }
                let action = Action::Wasm { plugin, args: parts.collect() };
                self.state = State::Asking { action, wasm: true };
                true
            }
            App::Route => {
                let table = Some(data.trim().to_owned()).filter(|t| !t.is_empty());
                self.state = State::Asking { action: Action::Route { table }, wasm: false };
                true
            }
        };
        self.warn(step.pos, warnings);
        next
    }

    fn dial(&mut self, step: &Step, data: &str, mut warnings: Vec<Warning>) -> bool {
        let parts = apps::separate_args(data, ',', true, 4);
        let written = parts.first().map_or("", |t| t.trim());
        if written.is_empty() {
            self.warn(step.pos, warnings);
            self.fail(step.pos, step.app, ArgError::NoTargets);
            return false;
        }
        let mut targets = Vec::new();
        for target in written.split('&').map(str::trim).filter(|t| !t.is_empty()) {
            match DialTarget::parse(target) {
                Ok(target) => targets.push(target),
                Err(problem) => {
                    warnings.push(Warning::DialTarget { target: target.to_owned(), problem })
                }
            }
        }
        let timeout = match parts.get(1).map(|t| t.trim()).filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => match apps::seconds(text) {
                Ok(d) if d.is_zero() => None,
                Ok(d) => Some(d),
                Err(problem) => {
                    warnings.push(Warning::Application { app: "Dial", problem });
                    None
                }
            },
        };
        let options = DialOptions::parse(parts.get(2).map_or("", String::as_str));
        self.warn(step.pos, warnings);
        if targets.is_empty() {
            self.env.set_variable("DIALSTATUS", DialStatus::ChanUnavail.as_str());
            return true;
        }
        let go_on_after_answer = options.has('g');
        let action = Action::Dial { targets, timeout, options };
        self.state = State::Dialing { action, go_on_after_answer };
        true
    }

    /// Moves to a Goto destination (which need not exist: running it falls off).
    fn jump(&mut self, location: apps::Location, now: CivilTime) -> Result<(), ArgError> {
        let context = location.context.unwrap_or_else(|| self.env.context.clone());
        let exten = location.exten.unwrap_or_else(|| self.env.exten.clone());
        let priority = match location.priority {
            PriorityRef::Number(n) => n,
            PriorityRef::Relative(delta) => {
                let target = i64::from(self.env.priority) + delta;
                u32::try_from(target)
                    .ok()
                    .filter(|&p| p >= 1)
                    .ok_or_else(|| ArgError::BadLocation(format!("{delta:+}")))?
            }
            PriorityRef::Label(label) => {
                match self.find(&context, &exten, Want::Label(&label), now) {
                    Some((_, priority)) => priority,
                    None => return Err(ArgError::NoSuchLabel { context, exten, label }),
                }
            }
        };
        (self.env.context, self.env.exten, self.env.priority) = (context, exten, priority);
        Ok(())
    }

    fn gosub(&mut self, data: &str, now: CivilTime) -> Result<(), ArgError> {
        let (location, args) = apps::gosub_args(data)?;
        let return_to = (self.env.context.clone(), self.env.exten.clone(), self.env.priority + 1);
        let here = return_to.clone();
        self.jump(location, now)?;
        let (context, exten, priority) =
            (self.env.context.clone(), self.env.exten.clone(), self.env.priority);
        if self.find(&context, &exten, Want::Priority(priority), now).is_none() {
            (self.env.context, self.env.exten, self.env.priority) = (here.0, here.1, here.2 - 1);
            return Err(ArgError::NoDestination { context, exten, priority });
        }
        self.env.push_frame(&args, return_to);
        Ok(())
    }
}
