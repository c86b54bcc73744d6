//! The B2BUA: every call is two dialogs that Ringway owns (RFC 3261 §12–14 as UAS toward the
//! caller, as UAC toward each target), sans I/O.
//!
//! One [`B2bua`] lives in each shard beside the transaction layer, which it drives for every
//! message it sends (so everything it sends is retransmitted by the layer's rules):
//!
//! - **inputs**: [`handle_invite`](B2bua::handle_invite) (a new call), [`handle_decision`](B2bua::handle_decision)
//!   (routing's answer to an [`Effect::Route`]), and the transaction layer's events:
//!   [`handle_request`](B2bua::handle_request) (in-dialog), [`handle_ack`](B2bua::handle_ack),
//!   [`handle_cancelled`](B2bua::handle_cancelled), [`handle_response`](B2bua::handle_response),
//!   [`handle_failure`](B2bua::handle_failure), [`handle_timeout`](B2bua::handle_timeout);
//! - **outputs**: the transaction layer's transmits, [`poll_effect`](B2bua::poll_effect) (routing
//!   requests, gateway counters, [`CallEvent`]s) and [`poll_timeout`](B2bua::poll_timeout).
//!
//! What a call does: the caller's INVITE is routed (an effect, so that slow routers leave the
//! shard); each target gets its own B-leg (own Call-ID, tags, CSeq) tried one after another with
//! failover, or all at once for a user's registered contacts; provisional answers (with SDP: early
//! media) and the final answer are relayed; CANCEL cancels every attempt; BYE, re-INVITE, UPDATE,
//! INFO, OPTIONS and MESSAGE cross between the dialogs with 491 on glare; the 2xx toward the
//! caller is repeated until its ACK, and a call whose ACK never comes is ended with BYE; ring
//! timeout and maximum duration are timers here. The codec policy and SDP checks run in
//! [`media`]. Not here: media relay and transcoding (the seam is the offer/answer bodies in
//! [`Call`]), session timers, PRACK (100rel is not offered on B-legs).

mod auth;
mod build;
mod call;
pub mod dialog;
mod event;
mod indialog;
mod media;

#[cfg(test)]
mod tests;

/// Who places a new call, as authentication found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// The authenticated account.
    pub account: Option<String>,
    /// Where an Asterisk dialplan starts the call (passed on to routing).
    pub context: Option<String>,
}

pub use call::{Asker, AttemptOutcome, CallKey, Failover, HeaderPolicy, Plan, Target};
pub use event::{CallEvent, Effect, HangupBy, RouteInfo};

use crate::sip::Flow;
use crate::sip::ident::Minter;
use crate::sip::message::{HeaderName, Method, Request, Response};
use crate::sip::transaction::{ClientTransactionId, ServerTransactionId, TransactionLayer};
use call::{Call, Leg, Phase, Side, Unacked};
use foldhash::{HashMap, HashMapExt};
use ringway_sdk::{StatusCode, StatusLine, catalog, cause};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tracing::debug;

/// Settings of the call engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSettings {
    /// Calls longer than this are ended with BYE; `None` = no limit.
    pub max_duration: Option<Duration>,
    /// RFC 3261 T1 and T2, for the 2xx retransmission (§13.3.1.4).
    pub t1: Duration,
    /// See `t1`.
    pub t2: Duration,
    /// `User-Agent` of requests Ringway sends.
    pub server_name: String,
}

/// The shell's parts the B2BUA drives: the shard's transaction layer and identifier minter.
pub struct Core<'a> {
    /// The transaction layer everything is sent through.
    pub transactions: &'a mut TransactionLayer,
    /// Tags, branches and Call-IDs.
    pub minter: &'a mut Minter,
}

/// Who a message belongs to, by Ringway's tag in its To header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Party {
    /// The caller.
    A,
    /// The attempt with this index (the answered one is the B side).
    Leg(usize),
}

/// What a client transaction of a call is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientRole {
    /// The INVITE of attempt `n`.
    Invite(usize),
    /// A request relayed from `from`'s server transaction `origin`.
    Relay { origin: ServerTransactionId, from: Party },
    /// A BYE Ringway sent; its answer changes nothing.
    Bye,
}

/// Timers of the call engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    /// Ring timeout of attempt `n`.
    Ring(usize),
    /// Repeat the unacknowledged 2xx toward A (`false`) or B (`true`).
    Retransmit(bool),
    /// The maximum call duration.
    MaxDuration,
}

/// Whether an input belonged to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// A call took it.
    Yes,
    /// No call knows it; the caller answers or drops it.
    No,
}

/// The calls of one shard.
pub struct B2bua {
    settings: CallSettings,
    calls: HashMap<CallKey, Call>,
    next_key: u64,
    /// Ringway's tags → the call and party.
    tags: HashMap<String, (CallKey, Party)>,
    server_txs: HashMap<ServerTransactionId, CallKey>,
    client_txs: HashMap<ClientTransactionId, (CallKey, ClientRole)>,
    timers: std::collections::BTreeMap<(Instant, u64), (CallKey, TimerKind)>,
    timer_seq: u64,
    effects: VecDeque<Effect>,
}

impl B2bua {
    /// No calls yet.
    pub fn new(settings: CallSettings) -> Self {
        B2bua {
            settings,
            calls: HashMap::new(),
            next_key: 0,
            tags: HashMap::new(),
            server_txs: HashMap::new(),
            client_txs: HashMap::new(),
            timers: std::collections::BTreeMap::new(),
            timer_seq: 0,
            effects: VecDeque::new(),
        }
    }

    /// Calls alive in this shard.
    pub fn calls(&self) -> usize {
        self.calls.len()
    }

    /// Entries in the engine's indexes (tags, server and client transactions, timers); all zero
    /// once every call is over and the layer has reported its transactions terminated.
    pub fn index_sizes(&self) -> (usize, usize, usize, usize) {
        (self.tags.len(), self.server_txs.len(), self.client_txs.len(), self.timers.len())
    }

    /// The next effect to execute.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.keys().next().map(|(at, _)| *at)
    }

    /// A new INVITE (no To tag) from an admitted caller. Its offer is checked (no audio →
    /// `415 No Media`, unreadable SDP → `400`), then routing is asked with [`Effect::Route`].
    pub fn handle_invite(&mut self, now: Instant, core: &mut Core<'_>, tx: ServerTransactionId, invite: Request, source: Flow, caller: Caller) {
        let Caller { account, context } = caller;
        let key = CallKey(self.next_key);
        self.next_key += 1;
        let a_tag = core.minter.tag();
        let caller = invite.headers.from_addr().ok().and_then(|f| f.uri.user.map(str::to_owned));
        let call_id = invite.headers.call_id().unwrap_or_default().to_owned();
        let offer = invite.body.clone();
        let mut call = Call {
            phase: Phase::Routing,
            a_tx: tx,
            a_flow: source,
            a_tag: a_tag.clone(),
            offer,
            a: None,
            b: None,
            legs: Vec::new(),
            winner: None,
            queue: VecDeque::new(),
            parallel: false,
            account: account.clone(),
            b_ack_waits: false,
            answered_at: None,
            cancelled: false,
            final_status: None,
            relays: Default::default(),
            timers: Vec::new(),
            offer_sdp: None,
            asker: None,
            plan_start: 0,
            a_invite: invite,
        };
        let request_uri = String::from_utf8_lossy(&call.a_invite.uri).into_owned();
        self.effects.push_back(Effect::Event(CallEvent::Created { call: key, call_id, to: request_uri.clone(), from: caller.clone(), account: account.clone() }));
        self.tags.insert(a_tag, (key, Party::A));
        self.server_txs.insert(tx, key);
        match media::read_offer(&call.a_invite) {
            Ok(media::Offer { sdp, codecs: offered_codecs }) => {
                call.offer_sdp = sdp;
                let a = &call.a_invite.headers;
                let info = RouteInfo {
                    request_uri,
                    caller,
                    account,
                    offered_codecs,
                    call_id: a.call_id().unwrap_or_default().to_owned(),
                    caller_name: a.from_addr().ok().and_then(|f| f.display_text().map(str::to_owned)),
                    callee_name: a.to_addr().ok().and_then(|t| t.display_text().map(str::to_owned)),
                    source,
                    headers: build::end_to_end_headers(a),
                    context,
                };
                self.calls.insert(key, call);
                self.effects.push_back(Effect::Route { call: key, info });
            }
            Err(line) => {
                self.calls.insert(key, call);
                self.fail(now, core, key, line, None)
            }
        }
        debug!(%key, "call created");
    }

    /// Routing's answer for `call`.
    pub fn handle_decision(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, plan: Plan) {
        self.handle_decision_from(now, core, key, plan, None)
    }

    /// Routing's answer for `call`, decided by a plugin that is asked again (`on-failure`) if
    /// every target it chose fails over.
    pub fn handle_decision_from(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, plan: Plan, asker: Option<Asker>) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        if call.phase != Phase::Routing {
            return;
        }
        call.asker = asker;
        call.plan_start = call.legs.len();
        match plan {
            Plan::Settle => {
                // Nobody is asked again: the call ends with its own verdict.
                call.asker = None;
                call.phase = Phase::Proceeding;
                self.settle(now, core, key);
            }
            Plan::Reject(line) => self.fail(now, core, key, line, None),
            Plan::Sequential(targets) | Plan::Parallel(targets) if targets.is_empty() => {
                self.fail(now, core, key, catalog::EMPTY_ROUTE_SET_480, None)
            }
            Plan::Sequential(targets) => {
                if let Some(line) = media::precheck(call.offer_sdp.as_ref(), &targets) {
                    return self.fail(now, core, key, line, None);
                }
                call.phase = Phase::Proceeding;
                call.parallel = false;
                call.queue = targets.into();
                self.next_attempt(now, core, key);
            }
            Plan::Parallel(targets) => {
                if let Some(line) = media::precheck(call.offer_sdp.as_ref(), &targets) {
                    return self.fail(now, core, key, line, None);
                }
                call.phase = Phase::Proceeding;
                call.parallel = true;
                for target in targets {
                    self.start_attempt(now, core, key, target);
                }
                self.settle(now, core, key);
            }
        }
    }

    /// Starts the next queued target, or settles the call when none is left.
    fn next_attempt(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey) {
        loop {
            let Some(call) = self.calls.get_mut(&key) else { return };
            if call.cancelled || call.phase != Phase::Proceeding {
                break;
            }
            let Some(target) = call.queue.pop_front() else { break };
            if self.start_attempt(now, core, key, target) {
                return;
            }
        }
        self.settle(now, core, key);
    }

    /// Sends the INVITE of one attempt; `false` when it could not be sent (no common codec, or
    /// the layer refused), recorded as that attempt's outcome.
    fn start_attempt(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, target: Target) -> bool {
        let Some(call) = self.calls.get_mut(&key) else { return false };
        let index = call.legs.len();
        let body = match media::offer_for(&call.offer, call.offer_sdp.as_ref(), &target.codecs) {
            Ok(body) => body,
            Err(outcome) => {
                let invite = Request::new(Method::Invite, target.uri.clone());
                call.legs.push(Leg::new(target, invite, Some(outcome)));
                return false;
            }
        };
        let tag = core.minter.tag();
        let invite = build::b_invite(call, &target, body, &tag, core.minter, &self.settings.server_name);
        let sent = core.transactions.send_request(now, invite.clone(), target.flow);
        let gateway = target.gateway.clone();
        let ring = target.ring_timeout;
        let uri = target.uri.clone();
        match sent {
            Ok(tx) => {
                call.legs.push(Leg { tx: Some(tx), ..Leg::new(target, invite, None) });
                self.client_txs.insert(tx, (key, ClientRole::Invite(index)));
                self.tags.insert(tag, (key, Party::Leg(index)));
                if let Some(ring) = ring {
                    self.set_timer(now + ring, key, TimerKind::Ring(index));
                }
                if let Some(gateway) = &gateway {
                    self.effects.push_back(Effect::Occupy { gateway: gateway.clone() });
                }
                self.effects.push_back(Effect::Event(CallEvent::Routed { call: key, target: uri, gateway }));
                true
            }
            Err(error) => {
                debug!(%key, %error, "attempt not sent");
                call.legs.push(Leg::new(target, invite, Some(AttemptOutcome::Timeout)));
                false
            }
        }
    }

    /// A response on one of the calls' client transactions.
    pub fn handle_response(&mut self, now: Instant, core: &mut Core<'_>, tx: ClientTransactionId, response: Response) -> Handled {
        let Some(&(key, role)) = self.client_txs.get(&tx) else { return Handled::No };
        match role {
            ClientRole::Invite(index) => self.on_leg_response(now, core, key, index, response),
            ClientRole::Relay { origin, from } => self.on_relay_response(now, core, key, origin, from, response),
            ClientRole::Bye => {}
        }
        Handled::Yes
    }

    /// A client transaction of a call timed out or its transport failed.
    pub fn handle_failure(&mut self, now: Instant, core: &mut Core<'_>, tx: ClientTransactionId) -> Handled {
        let Some((key, role)) = self.client_txs.remove(&tx) else { return Handled::No };
        match role {
            ClientRole::Invite(index) => {
                let Some(call) = self.calls.get_mut(&key) else { return Handled::Yes };
                if let Some(leg) = call.legs.get_mut(index)
                    && leg.pending()
                {
                    leg.outcome = Some(if leg.ring_timed_out && leg.ringing { AttemptOutcome::NoAnswer } else { AttemptOutcome::Timeout });
                    self.leg_over(key, index);
                    self.after_leg_failure(now, core, key, index);
                }
            }
            ClientRole::Relay { origin, .. } => {
                if let Some(call) = self.calls.get(&key) {
                    let request = self.relay_origin_request(call, origin);
                    if let Some(request) = request {
                        let mut response = Response::to_request(&request.headers, StatusCode::REQUEST_TIMEOUT, None);
                        self.stamp_a_tag(key, &mut response);
                        let _ = core.transactions.respond(now, origin, response);
                    }
                }
                self.server_txs.remove(&origin);
            }
            ClientRole::Bye => {}
        }
        Handled::Yes
    }

    /// A client transaction is gone: forget it.
    pub fn handle_client_terminated(&mut self, tx: ClientTransactionId) {
        self.client_txs.remove(&tx);
    }

    /// A server transaction is gone: forget it.
    pub fn handle_server_terminated(&mut self, tx: ServerTransactionId) {
        // The call itself may outlive its INVITE transaction: an attempt it cancelled may still
        // answer 2xx, which must be ACKed and ended with BYE (RFC 3261 §9.1).
        if let Some(key) = self.server_txs.remove(&tx) {
            self.maybe_collect(key);
        }
    }

    /// The caller's CANCEL matched its INVITE (the layer answered the CANCEL with 200).
    /// `reason` is the CANCEL's Reason header (RFC 3326), passed on to the attempts' CANCELs.
    pub fn handle_cancelled(&mut self, now: Instant, core: &mut Core<'_>, invite: ServerTransactionId, reason: Option<bytes::Bytes>) -> Handled {
        let Some(&key) = self.server_txs.get(&invite) else { return Handled::No };
        let Some(call) = self.calls.get_mut(&key) else { return Handled::No };
        if call.a_tx != invite || call.final_status.is_some() {
            return Handled::Yes;
        }
        call.cancelled = true;
        self.cancel_pending(now, core, key, reason);
        self.answer_a(now, core, key, catalog::REQUEST_TERMINATED_487, None, HangupBy::Caller);
        self.maybe_collect(key);
        Handled::Yes
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant, core: &mut Core<'_>) {
        while let Some(entry) = self.timers.first_entry() {
            let (at, _) = *entry.key();
            if at > now {
                break;
            }
            let (key, kind) = entry.remove();
            if !self.calls.contains_key(&key) {
                continue;
            }
            match kind {
                TimerKind::Ring(index) => self.ring_timeout(now, core, key, index),
                TimerKind::Retransmit(b_side) => self.retransmit_2xx(now, core, key, b_side, at),
                TimerKind::MaxDuration => {
                    debug!(%key, "maximum call duration reached");
                    self.hang_up(now, core, key, None, HangupBy::Ringway);
                }
            }
        }
    }

    fn ring_timeout(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, index: usize) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        let Some(leg) = call.legs.get_mut(index) else { return };
        if !leg.pending() || leg.cancelling {
            return;
        }
        debug!(%key, leg = index, "ring timeout");
        leg.ring_timed_out = true;
        leg.cancelling = true;
        if let Some(tx) = leg.tx {
            let _ = core.transactions.cancel(now, tx);
        }
        if !leg.heard {
            // Not even a 100 Trying: the gateway is not there. Fail over now rather than after
            // Timer B; the CANCEL goes out if it ever wakes up, and a late 2xx is taken or hung up.
            leg.outcome = Some(AttemptOutcome::Timeout);
            self.leg_over(key, index);
            self.after_leg_failure(now, core, key, index);
        }
    }

    /// A response to attempt `index`'s INVITE.
    fn on_leg_response(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, index: usize, response: Response) {
        let status = response.status.as_u16();
        let Some(call) = self.calls.get_mut(&key) else { return };
        let Some(leg) = call.legs.get_mut(index) else { return };
        leg.heard = true;
        match status {
            100 => {}
            101..=199 => {
                if !leg.pending() {
                    return;
                }
                let first_ring = !leg.ringing;
                leg.ringing = true;
                if first_ring && call.final_status.is_none() {
                    self.effects.push_back(Effect::Event(CallEvent::Ringing { call: key }));
                }
                self.relay_provisional(now, core, key, &response);
            }
            200..=299 => self.on_leg_answer(now, core, key, index, response),
            _ => {
                if !leg.pending() {
                    return;
                }
                if matches!(status, 401 | 407) && !leg.auth_tried && leg.target.credentials.is_some() && !leg.cancelling && !call.cancelled {
                    return self.retry_with_auth(now, core, key, index, &response);
                }
                let outcome = if leg.ring_timed_out {
                    if leg.ringing { AttemptOutcome::NoAnswer } else { AttemptOutcome::Timeout }
                } else if leg.cancelling {
                    AttemptOutcome::Cancelled
                } else {
                    AttemptOutcome::Failed { status, reason: response.reason.clone(), reason_header: response.headers.get(&HeaderName::Reason).cloned() }
                };
                leg.outcome = Some(outcome);
                self.leg_over(key, index);
                self.after_leg_failure(now, core, key, index);
            }
        }
    }

    /// Bookkeeping when an attempt is over: the gateway's counter.
    fn leg_over(&mut self, key: CallKey, index: usize) {
        let Some(call) = self.calls.get(&key) else { return };
        let Some(leg) = call.legs.get(index) else { return };
        if let (Some(gateway), Some(_)) = (&leg.target.gateway, leg.tx) {
            self.effects.push_back(Effect::Vacate { gateway: gateway.clone() });
        }
    }

    /// An attempt failed: fail over, or wait for the others, or answer the caller.
    fn after_leg_failure(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, index: usize) {
        let Some(call) = self.calls.get(&key) else { return };
        if call.final_status.is_some() || call.cancelled {
            self.maybe_collect(key);
            return;
        }
        let leg = &call.legs[index];
        let fails_over = match &leg.outcome {
            Some(AttemptOutcome::Timeout) => leg.target.failover.on_timeout,
            Some(AttemptOutcome::Failed { status, .. }) => leg.target.failover.statuses.contains(status),
            Some(AttemptOutcome::CodecRefused) => true,
            _ => false,
        };
        let codec_refusal = matches!(&leg.outcome, Some(AttemptOutcome::Failed { status: 488 | 415 | 406, .. }));
        if !call.parallel && (fails_over || codec_refusal) {
            self.next_attempt(now, core, key);
        } else if call.parallel {
            self.settle(now, core, key);
        } else {
            self.settle_with(now, core, key, Some(index));
        }
    }

    /// When no attempt is pending and none answered, gives the caller its answer.
    fn settle(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey) {
        self.settle_with(now, core, key, None)
    }

    fn settle_with(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, decisive: Option<usize>) {
        let Some(call) = self.calls.get(&key) else { return };
        if call.final_status.is_some() || call.winner.is_some() {
            return self.maybe_collect(key);
        }
        let pending = call.legs.iter().any(Leg::pending);
        if pending || (!call.parallel && decisive.is_none() && !call.queue.is_empty()) {
            return;
        }
        let asks = call.asker.as_ref().is_some_and(|a| a.hears_every_failure() || (!call.parallel && decisive.is_none()));
        if asks && !call.cancelled {
            // Every target the plugin chose failed over (its on-failure picks what comes next),
            // or a dialplan's Dial ended unanswered (its DIALSTATUS decides).
            let Some(call) = self.calls.get_mut(&key) else { return };
            let Some(asker) = call.asker.take() else { return };
            call.phase = Phase::Routing;
            let attempts = call.legs.iter().map(media::attempt_of).collect();
            let these = &call.legs[call.plan_start.min(call.legs.len())..];
            let rang_out = !these.is_empty() && these.iter().all(|l| l.outcome == Some(AttemptOutcome::NoAnswer));
            self.effects.push_back(Effect::Exhausted { call: key, asker, attempts, rang_out });
            return;
        }
        let (line, reason_header) = media::verdict(&call.legs, call.parallel, decisive);
        self.answer_failure(now, core, key, line, reason_header);
    }

    /// Answers the caller with a failure of Ringway's own (catalog line) and ends the call.
    fn fail(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, line: StatusLine, reason_header: Option<bytes::Bytes>) {
        self.answer_failure(now, core, key, build::Verdict::Line(line), reason_header)
    }

    fn answer_failure(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, verdict: build::Verdict, reason_header: Option<bytes::Bytes>) {
        let Some(call) = self.calls.get(&key) else { return };
        let by = if call.legs.iter().any(|l| matches!(l.outcome, Some(AttemptOutcome::Failed { .. }))) { HangupBy::Callee } else { HangupBy::Ringway };
        match verdict {
            build::Verdict::Line(line) => self.answer_a(now, core, key, line, reason_header, by),
            build::Verdict::Passed { status, reason } => {
                let Some(call) = self.calls.get_mut(&key) else { return };
                let mut response = Response::to_request(&call.a_invite.headers, status, Some(&reason));
                if let Some(r) = reason_header {
                    response.headers.push(HeaderName::Reason, r);
                }
                self.send_a_final(now, core, key, response, by);
            }
        }
        self.maybe_collect(key);
    }

    /// Sends a catalog line to the caller as the final answer.
    fn answer_a(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, line: StatusLine, reason_header: Option<bytes::Bytes>, by: HangupBy) {
        let Some(call) = self.calls.get(&key) else { return };
        let mut response = Response::to_request(&call.a_invite.headers, line.code, Some(line.reason));
        if line.code == StatusCode::SERVICE_UNAVAILABLE {
            response.headers.push(HeaderName::RetryAfter, "5");
        }
        match reason_header {
            Some(r) => response.headers.push(HeaderName::Reason, r),
            None => {
                let cause = catalog::entry(line).map_or_else(|| cause::cause_for_status(line.code), |e| e.q850);
                response.headers.push(HeaderName::Reason, cause::reason_header(cause));
            }
        }
        self.send_a_final(now, core, key, response, by);
    }

    /// Sends a non-2xx final answer to the caller, records it and emits the call's end.
    fn send_a_final(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, mut response: Response, by: HangupBy) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        if call.final_status.is_some() {
            return;
        }
        crate::sip::ident::ensure_to_tag(&mut response, &call.a_tag);
        let status = response.status.as_u16();
        let reason = String::from_utf8_lossy(&response.reason).into_owned();
        if let Err(error) = core.transactions.respond(now, call.a_tx, response) {
            debug!(%key, %error, "caller's INVITE already answered");
        }
        call.final_status = Some((status, reason.clone()));
        call.phase = Phase::Ended;
        let account = call.account.clone();
        let line = StatusLine { code: StatusCode::new(status).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR), reason: "" };
        let cause = cause::cause_for_status(line.code);
        self.effects.push_back(Effect::Event(CallEvent::Ended {
            call: key,
            account,
            status,
            reason,
            cause,
            dial_status: cause::dial_status_for(line.code),
            by,
            billable: None,
        }));
    }

    fn stamp_a_tag(&self, key: CallKey, response: &mut Response) {
        if let Some(call) = self.calls.get(&key) {
            crate::sip::ident::ensure_to_tag(response, &call.a_tag);
        }
    }

    /// Relays a provisional answer of an attempt to the caller (with its SDP: early media).
    /// Tells a caller who is still waiting `180 Ringing` or `183 Session Progress` (no body) on
    /// Ringway's own account: a dialplan's `Ringing()` or `Progress()`.
    pub fn send_provisional(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, line: StatusLine) {
        let Some(call) = self.calls.get(&key) else { return };
        if call.final_status.is_some() || call.cancelled || call.winner.is_some() {
            return;
        }
        let mut out = Response::to_request(&call.a_invite.headers, line.code, Some(line.reason));
        crate::sip::ident::ensure_to_tag(&mut out, &call.a_tag);
        out.headers.push(HeaderName::Contact, build::contact(call.a_flow));
        let _ = core.transactions.respond(now, call.a_tx, out);
    }

    fn relay_provisional(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, response: &Response) {
        let Some(call) = self.calls.get(&key) else { return };
        if call.final_status.is_some() || call.cancelled {
            return;
        }
        let mut out = build::relayed_response(&call.a_invite.headers, response, &call.a_tag, call.a_flow);
        // 199 and unknown 1xx are meaningful end to end only as 180/183.
        if out.status.as_u16() != 183 && out.status.as_u16() != 180 && out.status.as_u16() != 181 && out.status.as_u16() != 182 {
            out.status = StatusCode::RINGING;
            out.reason = bytes::Bytes::from_static(b"Ringing");
        }
        let _ = core.transactions.respond(now, call.a_tx, out);
    }

    /// A 2xx for attempt `index`.
    fn on_leg_answer(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, index: usize, response: Response) {
        let t1 = self.settings.t1;
        let Some(call) = self.calls.get_mut(&key) else { return };
        let flow = call.legs[index].target.flow;
        // A retransmitted 2xx: repeat the ACK (RFC 3261 §13.2.2.4) — or, with a late offer whose
        // answer is still on its way in the caller's ACK, wait for that ACK (§13.3.1.4: the
        // callee keeps repeating its 2xx until then).
        if let Some(ack) = &call.legs[index].ack {
            core.transactions.send_ack(now, ack.clone(), flow);
            return;
        }
        if call.winner == Some(index) {
            return;
        }
        let Some(mut dialog) = dialog::Dialog::uac(&call.legs[index].invite, &response, flow) else {
            debug!(%key, "2xx without a To tag dropped");
            return;
        };
        let seq = dialog.local_seq;
        let late_offer = call.offer.is_empty();
        let mut ack = dialog.ack(seq);
        build::finish_request(&mut ack, flow, core.minter, &self.settings.server_name);
        let lost = call.winner.is_some() || call.cancelled || call.final_status.is_some();
        if lost {
            // Another branch won, or the caller is gone: take the call and drop it (§13.2.2.4).
            core.transactions.send_ack(now, ack.clone(), flow);
            call.legs[index].ack = Some(ack);
            if call.legs[index].pending() {
                call.legs[index].outcome = Some(AttemptOutcome::Cancelled);
            }
            let mut bye = dialog.request(Method::Bye);
            build::finish_request(&mut bye, flow, core.minter, &self.settings.server_name);
            if let Ok(tx) = core.transactions.send_request(now, bye, flow) {
                self.client_txs.insert(tx, (key, ClientRole::Bye));
            }
            self.leg_over(key, index);
            self.maybe_collect(key);
            return;
        }
        call.winner = Some(index);
        // No more attempts will be offered the caller's SDP: an established call keeps only
        // what its dialogs need (memory per established call is a target).
        call.offer_sdp = None;
        // Nobody is asked about an answered call (a dialplan ends when its Dial is answered).
        call.asker = None;
        call.legs[index].outcome = Some(AttemptOutcome::Answered);
        call.phase = Phase::Answered;
        call.answered_at = Some(now);
        if late_offer {
            call.b_ack_waits = true;
            call.legs[index].ack = None;
        } else {
            core.transactions.send_ack(now, ack.clone(), flow);
            call.legs[index].ack = Some(ack);
        }
        dialog.remote_seq = None;
        call.b = Some(Side { dialog, unacked: None, invite_pending: false, reinvite_ack: None });
        let gateway = call.legs[index].target.gateway.clone();
        // The others lose (RFC 3261 §16.7's forking rule, applied by a UAC).
        self.cancel_pending(now, core, key, Some(bytes::Bytes::from_static(b"SIP;cause=200;text=\"Call completed elsewhere\"")));
        let Some(call) = self.calls.get_mut(&key) else { return };
        let mut ok = build::relayed_response(&call.a_invite.headers, &response, &call.a_tag, call.a_flow);
        ok.status = response.status;
        let Some(a_dialog) = dialog::Dialog::uas(&call.a_invite, &call.a_tag, call.a_flow) else { return };
        // The caller's INVITE has served: the dialog and the stored 2xx hold all the call needs
        // of it from now on (memory per established call is a target).
        call.a_invite = Request::new(Method::Invite, bytes::Bytes::new());
        call.offer = bytes::Bytes::new();
        // So has the answered leg's: its ACK is kept for the 2xx retransmissions, and of the
        // INVITE only the From, whose tag names the call in the index until it is collected.
        let leg = &mut call.legs[index];
        let mut kept = Request::new(Method::Invite, bytes::Bytes::new());
        if let Some(from) = leg.invite.headers.get(&HeaderName::From) {
            kept.headers.push(HeaderName::From, from.clone());
        }
        leg.invite = kept;
        let reliable = call.a_flow.transport.is_reliable();
        if let Err(error) = core.transactions.respond(now, call.a_tx, ok.clone()) {
            debug!(%key, %error, "2xx to the caller not sent");
        }
        let give_up_at = now + 64 * t1;
        let next_at = if reliable { give_up_at } else { now + t1 };
        call.a = Some(Side {
            dialog: a_dialog,
            unacked: Some(Unacked { tx: call.a_tx, response: ok, interval: t1, next_at, give_up_at, initial: true }),
            invite_pending: false,
            reinvite_ack: None,
        });
        call.final_status = Some((response.status.as_u16(), String::from_utf8_lossy(&response.reason).into_owned()));
        self.set_timer(next_at, key, TimerKind::Retransmit(false));
        if let Some(max) = self.settings.max_duration {
            self.set_timer(now + max, key, TimerKind::MaxDuration);
        }
        self.effects.push_back(Effect::Event(CallEvent::Answered { call: key, gateway }));
    }

    /// Cancels every attempt still pending (the caller cancelled, or a branch answered).
    fn cancel_pending(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, reason: Option<bytes::Bytes>) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        call.queue.clear();
        for leg in call.legs.iter_mut().filter(|l| l.pending() && !l.cancelling) {
            leg.cancelling = true;
            if let Some(tx) = leg.tx {
                let _ = core.transactions.cancel_with_reason(now, tx, reason.clone());
            }
        }
    }

    /// Repeats the 2xx toward a side until its ACK (§13.3.1.4); no ACK within 64×T1 ends the
    /// call with BYE.
    fn retransmit_2xx(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, b_side: bool, at: Instant) {
        let t2 = self.settings.t2;
        let Some(call) = self.calls.get_mut(&key) else { return };
        let side = if b_side { call.b.as_mut() } else { call.a.as_mut() };
        let Some(side) = side else { return };
        let Some(unacked) = side.unacked.as_mut() else { return };
        if unacked.next_at != at {
            return;
        }
        if now >= unacked.give_up_at {
            debug!(%key, "no ACK for the 2xx: ending the call");
            side.unacked = None;
            let reason = bytes::Bytes::from(cause::reason_header(cause::Q850Cause(102)));
            self.hang_up(now, core, key, Some(reason), HangupBy::Ringway);
            return;
        }
        let _ = core.transactions.respond(now, unacked.tx, unacked.response.clone());
        unacked.interval = (unacked.interval * 2).min(t2);
        unacked.next_at = (now + unacked.interval).min(unacked.give_up_at);
        let next = unacked.next_at;
        self.set_timer(next, key, TimerKind::Retransmit(b_side));
    }

    /// Ends an answered call: BYE to each side that has a dialog (the one that hung up is
    /// answered by the caller of this), and the call's end event.
    fn hang_up(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, reason: Option<bytes::Bytes>, by: HangupBy) {
        self.bye_sides(now, core, key, reason, [true, true], by);
    }

    fn bye_sides(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, reason: Option<bytes::Bytes>, sides: [bool; 2], by: HangupBy) {
        let server_name = self.settings.server_name.clone();
        let Some(call) = self.calls.get_mut(&key) else { return };
        let mut byes = Vec::new();
        for (i, side) in [call.a.as_mut(), call.b.as_mut()].into_iter().enumerate() {
            let (Some(side), true) = (side, sides[i]) else { continue };
            let mut bye = side.dialog.request(Method::Bye);
            if let Some(r) = &reason {
                bye.headers.push(HeaderName::Reason, r.clone());
            }
            build::finish_request(&mut bye, side.dialog.flow, core.minter, &server_name);
            side.unacked = None;
            byes.push((bye, side.dialog.flow));
        }
        for (bye, flow) in byes {
            if let Ok(tx) = core.transactions.send_request(now, bye, flow) {
                self.client_txs.insert(tx, (key, ClientRole::Bye));
            }
        }
        self.end_answered(now, key, by);
    }

    /// Emits the end of an answered call and lets its state go.
    fn end_answered(&mut self, now: Instant, key: CallKey, by: HangupBy) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        if call.phase == Phase::Ended {
            return;
        }
        call.phase = Phase::Ended;
        let billable = call.answered_at.map(|at| now.saturating_duration_since(at));
        let account = call.account.clone();
        self.effects.push_back(Effect::Event(CallEvent::Ended {
            call: key,
            account,
            status: 200,
            reason: "OK".into(),
            cause: cause::Q850Cause::NORMAL_CLEARING,
            dial_status: cause::DialStatus::Answer,
            by,
            billable,
        }));
        if let Some(index) = call.winner {
            self.leg_over(key, index);
        }
        self.maybe_collect(key);
    }

    /// Removes the call once it is over and no attempt is pending.
    fn maybe_collect(&mut self, key: CallKey) {
        let Some(call) = self.calls.get(&key) else { return };
        if call.phase == Phase::Ended && !call.legs.iter().any(Leg::pending) {
            self.collect(key);
        }
    }

    /// Arms a timer of `key`'s call; the call remembers it so that it goes with the call.
    fn set_timer(&mut self, at: Instant, key: CallKey, kind: TimerKind) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        self.timer_seq += 1;
        let id = (at, self.timer_seq);
        // Fired and stale entries are pruned here, so the list stays a handful long.
        call.timers.retain(|t| self.timers.contains_key(t));
        call.timers.push(id);
        self.timers.insert(id, (key, kind));
    }

    /// Drops a call and the tags naming it (the owner of state removes it). Transaction index
    /// entries go when the layer reports each transaction terminated; until then they name a
    /// call that no longer exists, which every handler treats as "already over".
    fn collect(&mut self, key: CallKey) {
        let Some(call) = self.calls.remove(&key) else { return };
        for id in &call.timers {
            self.timers.remove(id);
        }
        self.tags.remove(&call.a_tag);
        for leg in &call.legs {
            if let Some(tag) = leg.invite.headers.from_addr().ok().and_then(|f| f.tag()) {
                self.tags.remove(tag);
            }
        }
        debug!(%key, legs = call.legs.len(), "call state removed");
    }
}
