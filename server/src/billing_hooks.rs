//! The plugins' billing hooks in the server: a shard remembers the calls a plugin chain with
//! `billing_hooks` plugins was asked about, and tells that chain when each is answered
//! (`on-answer`) and when it ends (`on-hangup`), from the call's events.
//!
//! The hooks run as tasks beside the shard, off the call's path: a slow or failing hook delays
//! and fails nothing but itself (the chain logs its failures). A call's `on-hangup` starts after
//! its `on-answer` has ended, so a plugin sees them in order. The chain is the snapshot the call
//! was routed with: a reload meanwhile does not change which plugins hear about it.
//!
//! Calls routed without the chain (registered users, the Asterisk dialplan) and chains without
//! hooks cost nothing here.

use crate::b2bua::{CallEvent, CallKey, HangupBy};
use ringway_dialplan::RouteRequest;
use ringway_dialplan::wasm::{AnswerInfo, HangupInfo, PluginChain};
use ringway_sdk::{StatusCode, StatusLine, catalog};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinHandle;

/// One shard's calls whose chain has billing hooks. The shard owns it; an entry goes at its
/// call's `Ended` event, which every call has.
#[derive(Default)]
pub struct BillingHooks {
    calls: HashMap<CallKey, Watched>,
}

struct Watched {
    chain: Arc<PluginChain>,
    request: Arc<RouteRequest>,
    /// When the call arrived, for the answer's setup time.
    started: Instant,
    /// The Request-URI of the latest attempt.
    uri: String,
    /// The `on-answer` task, which `on-hangup` waits for.
    answered: Option<JoinHandle<()>>,
}

impl BillingHooks {
    /// Follows `call`, which `chain` is being asked about, if any of its plugins has hooks.
    pub fn watch(&mut self, call: CallKey, chain: &Arc<PluginChain>, request: &Arc<RouteRequest>, now: Instant) {
        if !chain.has_billing_hooks() {
            return;
        }
        let watched = Watched { chain: Arc::clone(chain), request: Arc::clone(request), started: now, uri: String::new(), answered: None };
        self.calls.insert(call, watched);
    }

    /// A call event: runs the hooks it calls for. Needs a tokio runtime.
    pub fn handle_event(&mut self, now: Instant, event: &CallEvent) {
        match event {
            CallEvent::Routed { call, target, .. } => {
                if let Some(watched) = self.calls.get_mut(call) {
                    target.clone_into(&mut watched.uri);
                }
            }
            CallEvent::Answered { call, gateway } => {
                let Some(watched) = self.calls.get_mut(call) else { return };
                let answer = AnswerInfo { gateway: gateway.clone(), uri: watched.uri.clone(), setup: now.saturating_duration_since(watched.started) };
                let (chain, request) = (Arc::clone(&watched.chain), Arc::clone(&watched.request));
                watched.answered = Some(tokio::spawn(async move {
                    chain.on_answer(&request, &answer).await;
                }));
            }
            CallEvent::Ended { call, status, reason, by, billable, .. } => {
                let Some(watched) = self.calls.remove(call) else { return };
                let hangup = HangupInfo {
                    answered: billable.is_some(),
                    talk: billable.unwrap_or_default(),
                    status: status_line(*status, reason),
                    by_caller: *by == HangupBy::Caller,
                };
                tokio::spawn(async move {
                    if let Some(answered) = watched.answered {
                        let _ = answered.await;
                    }
                    watched.chain.on_hangup(&watched.request, &hangup).await;
                });
            }
            CallEvent::Created { .. } | CallEvent::Ringing { .. } => {}
        }
    }
}

/// The caller's final status as a line: the catalog's when the phrase is one of its lines,
/// else the code's plain phrase.
fn status_line(code: u16, reason: &str) -> StatusLine {
    catalog::exact(code, reason).unwrap_or_else(|| StatusLine::plain(StatusCode::new(code).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_final_status_keeps_its_catalog_phrase_and_an_unknown_phrase_becomes_the_plain_one() {
        assert_eq!(status_line(480, "Empty Route Set"), catalog::EMPTY_ROUTE_SET_480);
        assert_eq!(status_line(200, "OK"), catalog::OK_200);
        assert_eq!(status_line(486, "Gone Fishing").to_string(), StatusLine::plain(StatusCode::new(486).unwrap()).to_string());
    }
}
