//! Calls run by an Asterisk dialplan (`[asterisk] extensions`): the shell side of
//! [`ringway_dialplan::asterisk::Machine`].
//!
//! A call whose context has its extension gets a [`DialplanCall`] when it is routed. The shard
//! [`advance`](DialplanCall::advance)s it until the machine needs the outside world: a plan for
//! the B2BUA (`Dial`, a router's targets, or the final answer), a provisional response, a
//! plugin's decision (asked from the shard, beside it if it runs long), or a wait. While a `Dial` rings, the call travels
//! with the B2BUA as its [`Asker`](crate::b2bua::Asker); when the dial ends unanswered the
//! B2BUA hands it back ([`Effect::Exhausted`](crate::b2bua::Effect)) and
//! [`dial_ended`](DialplanCall::dial_ended) sets `DIALSTATUS` and `HANGUPCAUSE` from the
//! B-legs' answers, as Asterisk's Dial does. An answered dial ends the dialplan.
//!
//! Differences from Asterisk that come from Ringway having no media yet: `Answer()` does not
//! answer the caller by itself (the caller is answered when a dialed party answers), so a
//! dialplan that answers and then hangs up without dialing sends the caller its hang-up status
//! instead of a 200 and a BYE.

use crate::b2bua::{Plan, RouteInfo};
use crate::calls::CallPolicy;
use crate::config::ListenSpec;
use crate::location::LocationView;
use ringway_dialplan::asterisk::{Action, DialResult, LogLevel, Machine};
use ringway_dialplan::wasm::PluginChain;
use ringway_dialplan::{Attempt, Decision, Outcome};
use ringway_sdk::cause::{DialStatus, Q850Cause};
use ringway_sdk::{StatusCode, StatusLine, catalog};
use std::sync::Arc;
use std::time::Duration;

/// Dials and router questions one call may make: a dialplan that loops over `Dial` cannot
/// keep a call alive for ever.
const MAX_DIALS: u32 = 64;

/// One call's run through the dialplan.
#[derive(Clone, Debug)]
pub struct DialplanCall {
    /// The machine.
    pub machine: Machine,
    /// What routing knows of the call.
    pub info: RouteInfo,
    /// The plugin chain as it was when the call started (for `Wasm()`).
    chain: Option<Arc<PluginChain>>,
    /// Dials and router questions so far.
    asked: u32,
    /// The call's attempts before the dial in progress (its result reads the ones after).
    dialed_from: usize,
}

/// What the shard must do next for a dialplan call.
#[derive(Debug)]
pub enum Next {
    /// Send the caller this provisional response, then advance again.
    Provisional(StatusLine),
    /// Hand the B2BUA this plan; with `dialing`, the call goes with it as the asker.
    Plan {
        /// The plan.
        plan: Plan,
        /// Whether the dialplan waits for the outcome.
        dialing: bool,
    },
    /// Ask the plugin `plugin` (from the shard, beside it if it runs long), [`resume_wasm`](DialplanCall::resume_wasm),
    /// then advance again.
    Wasm {
        /// The plugin's name.
        plugin: String,
        /// `Wasm()`'s further arguments.
        args: Vec<String>,
    },
    /// Advance again after this long.
    Wait(Duration),
}

/// What [`DialplanCall::advance`] needs of the shard.
pub struct Ground<'a, F: Fn(&str) -> String> {
    /// Routing policy.
    pub calls: &'a CallPolicy,
    /// Registered users.
    pub location: &'a LocationView,
    /// The listeners (for flows).
    pub listen: &'a [ListenSpec],
    /// User part → AOR.
    pub aor: F,
    /// Orders gateways of equal priority for `Route()`.
    pub seed: u64,
}

impl DialplanCall {
    /// A call about to run `machine`.
    pub fn new(machine: Machine, info: RouteInfo, chain: Option<Arc<PluginChain>>) -> DialplanCall {
        DialplanCall { machine, info, chain, asked: 0, dialed_from: 0 }
    }

    /// Runs the machine until the shard has something to do.
    pub fn advance<F: Fn(&str) -> String>(&mut self, ground: &Ground<'_, F>) -> Next {
        // One reading of the clock for the whole run: it takes microseconds.
        let now = ground.calls.civil_now();
        loop {
            let action = self.machine.step(now);
            let asks = matches!(action, Action::Dial { .. } | Action::Targets { .. } | Action::Wasm { .. } | Action::Route { .. });
            if asks {
                self.asked += 1;
                if self.asked > MAX_DIALS {
                    tracing::error!(call_id = %self.info.call_id, "dialplan: more than {MAX_DIALS} dials in one call; ending it");
                    return Next::Plan { plan: Plan::Reject(catalog::UNDEFINED_REASON_500), dialing: false };
                }
            }
            match action {
                Action::Log { level, message } => self.log(level, &message),
                // No media of Ringway's own yet: the caller is answered by the dialed party.
                Action::Answer => tracing::debug!(call_id = %self.info.call_id, "Answer(): answered when a dialed party answers"),
                Action::Ringing => return Next::Provisional(catalog::RINGING_180),
                Action::Progress => return Next::Provisional(catalog::SESSION_PROGRESS_183),
                Action::Wait(duration) => return Next::Wait(duration),
                Action::Dial { targets, timeout, options: _ } => {
                    match ground.calls.dial_plan(&targets, timeout, &self.info, ground.location, ground.listen, &ground.aor) {
                        Ok(plan) => return Next::Plan { plan: self.presenting(plan), dialing: true },
                        Err(result) => self.resume_dial(result),
                    }
                }
                Action::Targets { targets } => {
                    match ground.calls.plan_of(Decision::Targets(targets), ground.listen, self.info.account.as_deref()) {
                        Plan::Reject(line) => self.resume_dial(DialResult::from_line(line)),
                        plan => return Next::Plan { plan: self.presenting(plan), dialing: true },
                    }
                }
                Action::Wasm { plugin, args } => return Next::Wasm { plugin, args },
                Action::Route { table } => {
                    let exten = self.machine.variable("EXTEN").unwrap_or_default();
                    let decision = ground.calls.route_decision(&self.info, &exten, table.as_deref(), ground.seed);
                    if let Err(error) = self.machine.resume_route(decision) {
                        tracing::error!(%error, "dialplan: Route() result not taken");
                    }
                }
                ended @ (Action::Hangup { .. } | Action::Busy | Action::Congestion) => {
                    let line = ended.final_status().unwrap_or(catalog::UNDEFINED_REASON_500);
                    return Next::Plan { plan: Plan::Reject(line), dialing: false };
                }
                Action::Done => return Next::Plan { plan: Plan::Reject(self.machine.hangup_status().line), dialing: false },
            }
        }
    }

    /// The B2BUA's report that the dial in progress ended unanswered: `attempts` are every
    /// attempt of the call, `rang_out` whether each of this dial's attempts rang until its
    /// timeout.
    pub fn dial_ended(&mut self, attempts: &[Attempt], rang_out: bool) {
        let result = if rang_out {
            DialResult { status: DialStatus::NoAnswer, hangup_cause: Q850Cause::NO_ANSWER, answered: false }
        } else {
            dial_result(attempts.get(self.dialed_from..).unwrap_or_default())
        };
        self.dialed_from = attempts.len();
        self.resume_dial(result);
    }

    /// The plugin's decision for `Wasm()` (a failed plugin's fallback included).
    pub fn resume_wasm(&mut self, decision: Decision) {
        if let Err(error) = self.machine.resume_wasm(decision) {
            tracing::error!(%error, "dialplan: Wasm() result not taken");
        }
    }

    /// Asks the plugin `name` for `Wasm(name, args…)` (a future that yields every slice of fuel
    /// the plugin burns: poll it once on the shard, spawn it if it yields). The
    /// plugin sees the call's channel variables and `WASM_ARG1`…, `WASM_ARGC`. A plugin the
    /// chain does not have is `500 Undefined Reason` (and an error in the log).
    pub async fn ask_plugin(&self, calls: &CallPolicy, name: &str, args: &[String]) -> Decision {
        let Some(chain) = &self.chain else {
            tracing::error!(plugin = name, "dialplan: Wasm() but no [[plugins]] are configured");
            return Decision::Reject(catalog::UNDEFINED_REASON_500);
        };
        let mut request = calls.route_request(&self.info);
        if let Some(exten) = self.machine.variable("EXTEN") {
            request.dialed = Some(exten);
        }
        request.variables = self.machine.variables().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        request.variables.push(("WASM_ARGC".to_owned(), args.len().to_string()));
        for (i, arg) in args.iter().enumerate() {
            request.variables.push((format!("WASM_ARG{}", i + 1), arg.clone()));
        }
        match chain.decide_by(name, &request).await {
            None => {
                tracing::error!(plugin = name, "dialplan: Wasm() names a plugin that is not loaded");
                Decision::Reject(catalog::UNDEFINED_REASON_500)
            }
            Some(Ok(decision)) => decision,
            Some(Err(error)) => {
                tracing::warn!(plugin = %error.plugin, %error, "plugin decision failed; its fallback answers");
                error.decision()
            }
        }
    }

    /// The plan with the caller ID the dialplan set (`Set(CALLERID(num)=…)`) on every target.
    fn presenting(&self, mut plan: Plan) -> Plan {
        let (number, _) = self.machine.caller_id();
        if number.is_empty() || Some(number) == self.info.caller.as_deref() {
            return plan;
        }
        if let Plan::Sequential(targets) | Plan::Parallel(targets) = &mut plan {
            for target in targets {
                target.headers.caller_id = Some(number.to_owned());
            }
        }
        plan
    }

    fn resume_dial(&mut self, result: DialResult) {
        if let Err(error) = self.machine.resume_dial(result) {
            tracing::error!(%error, "dialplan: dial result not taken");
        }
    }

    fn log(&self, level: LogLevel, message: &str) {
        let (context, exten, priority) = self.machine.location();
        let call_id = self.info.call_id.as_str();
        match level {
            LogLevel::Error => tracing::error!(call_id, context, exten, priority, "{message}"),
            LogLevel::Warning => tracing::warn!(call_id, context, exten, priority, "{message}"),
            LogLevel::Notice | LogLevel::Verbose => tracing::info!(call_id, context, exten, priority, "{message}"),
            _ => tracing::debug!(call_id, context, exten, priority, "{message}"),
        }
    }
}

/// `DIALSTATUS` and `HANGUPCAUSE` of a dial none of whose attempts answered, as Asterisk's Dial
/// sets them: busy if any callee was busy, else congestion if any was congested, else
/// unavailable; the cause of the attempt that decided.
fn dial_result(attempts: &[Attempt]) -> DialResult {
    let results: Vec<DialResult> = attempts
        .iter()
        .map(|a| match a.outcome {
            Outcome::Status(code) => DialResult::from_status(StatusCode::new(code).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR)),
            Outcome::Timeout => DialResult::from_status(StatusCode::REQUEST_TIMEOUT),
        })
        .collect();
    [DialStatus::Busy, DialStatus::Congestion, DialStatus::NoAnswer, DialStatus::ChanUnavail]
        .iter()
        .find_map(|wanted| results.iter().find(|r| r.status == *wanted).copied())
        .unwrap_or(DialResult { status: DialStatus::ChanUnavail, hangup_cause: Q850Cause::SUBSCRIBER_ABSENT, answered: false })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(outcome: Outcome) -> Attempt {
        Attempt { gateway: Some("gw".into()), uri: "sip:1@127.0.0.1".into(), outcome, reason: None }
    }

    #[test]
    fn a_busy_callee_among_several_makes_the_dial_busy_and_a_503_congestion() {
        let busy = dial_result(&[attempt(Outcome::Status(404)), attempt(Outcome::Status(486))]);
        assert_eq!((busy.status, busy.hangup_cause), (DialStatus::Busy, Q850Cause::USER_BUSY));
        let congested = dial_result(&[attempt(Outcome::Status(503))]);
        assert_eq!((congested.status, congested.hangup_cause), (DialStatus::Congestion, Q850Cause::NORMAL_CIRCUIT_CONGESTION));
        let missing = dial_result(&[attempt(Outcome::Status(404))]);
        assert_eq!((missing.status, missing.hangup_cause), (DialStatus::ChanUnavail, Q850Cause::UNALLOCATED));
        assert_eq!(dial_result(&[]).status, DialStatus::ChanUnavail);
    }
}
