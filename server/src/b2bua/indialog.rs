//! Requests inside a call's dialogs: BYE ends the call; re-INVITE, UPDATE, INFO, OPTIONS,
//! MESSAGE and the rest cross to the other dialog and their answers come back (RFC 3261 §12.2,
//! §14); glare on re-INVITE gets 491 (§14.2). ACKs end the 2xx retransmission.

use super::call::{Phase, Unacked};
use super::{B2bua, CallKey, ClientRole, Core, Handled, HangupBy, Party, TimerKind, build};
use crate::sip::Flow;
use crate::sip::message::{HeaderName, Method, Request, Response};
use crate::sip::transaction::ServerTransactionId;
use ringway_sdk::StatusCode;
use std::time::Instant;
use tracing::debug;

impl B2bua {
    /// The call and party whose dialog a request's To tag names.
    fn party_of(&self, request: &Request) -> Option<(CallKey, Party)> {
        let to = request.headers.to_addr().ok()?;
        let &(key, party) = self.tags.get(to.tag()?)?;
        Some((key, party))
    }

    /// An ACK outside any transaction: the ACK of a 2xx Ringway sent (or stray).
    pub fn handle_ack(&mut self, now: Instant, core: &mut Core<'_>, ack: Request) -> Handled {
        let Some((key, party)) = self.party_of(&ack) else { return Handled::No };
        let server_name = self.settings.server_name.clone();
        let Some(call) = self.calls.get_mut(&key) else { return Handled::No };
        let side = match party {
            Party::A => call.a.as_mut(),
            Party::Leg(i) if call.winner == Some(i) => call.b.as_mut(),
            Party::Leg(_) => None,
        };
        let Some(side) = side else { return Handled::Yes };
        let Some(unacked) = side.unacked.take() else { return Handled::Yes };
        side.invite_pending = false;
        if unacked.initial && call.b_ack_waits {
            // Late offer: the caller's ACK carries the answer to B's offer (§13.2.1).
            call.b_ack_waits = false;
            if let (Some(b), Some(winner)) = (call.b.as_ref(), call.winner) {
                let mut b_ack = b.dialog.ack(b.dialog.local_seq);
                build::relayed_request(&ack, &mut b_ack);
                build::finish_request(&mut b_ack, b.dialog.flow, core.minter, &server_name);
                core.transactions.send_ack(now, b_ack.clone(), b.dialog.flow);
                call.legs[winner].ack = Some(b_ack);
            }
        }
        if unacked.initial && call.phase == Phase::Answered {
            debug!(%key, "call confirmed");
        }
        Handled::Yes
    }

    /// A request with a To tag: inside one of the calls' dialogs, or not ours.
    pub fn handle_request(&mut self, now: Instant, core: &mut Core<'_>, tx: ServerTransactionId, request: Request, source: Flow) -> Handled {
        let Some((key, party)) = self.party_of(&request) else { return Handled::No };
        let _ = source;
        let Some(call) = self.calls.get_mut(&key) else { return Handled::No };
        let from_a = party == Party::A;
        let in_call = from_a || call.winner == matches_leg(party);
        let other = if from_a { call.b.is_some() } else { call.a.is_some() };
        let side = if !in_call {
            None
        } else if from_a {
            call.a.as_mut()
        } else {
            call.b.as_mut()
        };
        if side.is_none() && from_a && request.method == Method::Bye && call.final_status.is_none() {
            // The caller hangs up in the early dialog (RFC 3261 §15): as good as a CANCEL.
            let a_tx = call.a_tx;
            self.answer(now, core, tx, &request, StatusCode::OK, None);
            self.handle_cancelled(now, core, a_tx, request.headers.get(&HeaderName::Reason).cloned());
            return Handled::Yes;
        }
        let Some(side) = side else {
            // A BYE on an early or losing branch, or before the dialog exists on our side.
            let status = if request.method == Method::Bye { StatusCode::OK } else { StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST };
            self.answer(now, core, tx, &request, status, None);
            return Handled::Yes;
        };
        if let Err(error) = side.dialog.accept_remote(&request) {
            debug!(%key, %error, "in-dialog request out of order");
            self.answer(now, core, tx, &request, StatusCode::SERVER_INTERNAL_ERROR, None);
            return Handled::Yes;
        }
        if request.method == Method::Bye {
            self.answer(now, core, tx, &request, StatusCode::OK, None);
            let reason = request.headers.get(&HeaderName::Reason).cloned();
            let by = if from_a { HangupBy::Caller } else { HangupBy::Callee };
            self.bye_sides(now, core, key, reason, [!from_a, from_a], by);
            return Handled::Yes;
        }
        if !other {
            self.answer(now, core, tx, &request, StatusCode::REQUEST_PENDING, Some("Request Pending"));
            return Handled::Yes;
        }
        let is_invite = request.method == Method::Invite;
        if is_invite {
            let Some(call) = self.calls.get_mut(&key) else { return Handled::Yes };
            let glare = call.a.as_ref().is_some_and(|s| s.invite_pending || s.unacked.is_some())
                || call.b.as_ref().is_some_and(|s| s.invite_pending || s.unacked.is_some());
            if glare {
                self.answer(now, core, tx, &request, StatusCode::REQUEST_PENDING, None);
                return Handled::Yes;
            }
        }
        self.relay(now, core, key, tx, request, party);
        Handled::Yes
    }

    /// Sends `request` on the other side's dialog and remembers where its answer goes.
    fn relay(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, tx: ServerTransactionId, request: Request, from: Party) {
        let server_name = self.settings.server_name.clone();
        let Some(call) = self.calls.get_mut(&key) else { return };
        let from_a = from == Party::A;
        let is_invite = request.method == Method::Invite;
        if let Some(here) = if from_a { call.a.as_mut() } else { call.b.as_mut() } {
            if matches!(request.method, Method::Invite | Method::Update) {
                here.dialog.refresh_target(&request.headers);
            }
            here.invite_pending |= is_invite;
        }
        let Some(there) = (if from_a { call.b.as_mut() } else { call.a.as_mut() }) else { return };
        let mut out = there.dialog.request(request.method.clone());
        build::relayed_request(&request, &mut out);
        let flow = there.dialog.flow;
        build::finish_request(&mut out, flow, core.minter, &server_name);
        there.invite_pending |= is_invite;
        call.relays.insert(tx, request);
        match core.transactions.send_request(now, out, flow) {
            Ok(client) => {
                self.client_txs.insert(client, (key, ClientRole::Relay { origin: tx, from }));
                self.server_txs.insert(tx, key);
            }
            Err(error) => {
                debug!(%key, %error, "in-dialog request not relayed");
                let request = call.relays.remove(&tx);
                if let Some(request) = request {
                    self.answer(now, core, tx, &request, StatusCode::SERVER_INTERNAL_ERROR, None);
                }
            }
        }
    }

    /// The far side answered a relayed request: answer the origin the same way.
    pub(super) fn on_relay_response(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, origin: ServerTransactionId, from: Party, response: Response) {
        let status = response.status.as_u16();
        if status == 100 {
            return;
        }
        let t1 = self.settings.t1;
        let server_name = self.settings.server_name.clone();
        let Some(call) = self.calls.get_mut(&key) else { return };
        let from_a = from == Party::A;
        let Some(request) = call.relays.get(&origin) else {
            // Answered already: a retransmitted 2xx to a relayed re-INVITE gets its ACK again.
            let there = if from_a { call.b.as_ref() } else { call.a.as_ref() };
            if let Some(there) = there.filter(|_| response.status.is_success())
                && let Some(ack) = &there.reinvite_ack
                && ack.headers.cseq().ok().map(|c| c.seq) == response.headers.cseq().ok().map(|c| c.seq)
            {
                core.transactions.send_ack(now, ack.clone(), there.dialog.flow);
            }
            return;
        };
        let (tag, flow) = match (from_a, call.a.as_ref(), call.b.as_ref()) {
            (true, Some(a), _) => (a.dialog.local_tag.clone(), a.dialog.flow),
            (false, _, Some(b)) => (b.dialog.local_tag.clone(), b.dialog.flow),
            _ => return,
        };
        let out = build::relayed_response(&request.headers, &response, &tag, flow);
        let is_invite = request.method == Method::Invite;
        if status >= 200 {
            call.relays.remove(&origin);
        }
        if let Err(error) = core.transactions.respond(now, origin, out.clone()) {
            debug!(%key, %error, "relayed answer not sent");
        }
        if !is_invite || status < 200 {
            return;
        }
        let (here, there) = if from_a { (call.a.as_mut(), call.b.as_mut()) } else { (call.b.as_mut(), call.a.as_mut()) };
        if let Some(there) = there {
            there.invite_pending = false;
            if status < 300 {
                // The far side's 2xx: ACK it now (its answer is in hand) and refresh its target.
                there.dialog.refresh_target(&response.headers);
                let seq = response.headers.cseq().map(|c| c.seq).unwrap_or(there.dialog.local_seq);
                let mut ack = there.dialog.ack(seq);
                build::finish_request(&mut ack, there.dialog.flow, core.minter, &server_name);
                core.transactions.send_ack(now, ack.clone(), there.dialog.flow);
                there.reinvite_ack = Some(ack);
            }
        }
        if let Some(here) = here {
            if status < 300 {
                let reliable = here.dialog.flow.transport.is_reliable();
                let give_up_at = now + 64 * t1;
                let next_at = if reliable { give_up_at } else { now + t1 };
                here.unacked = Some(Unacked { tx: origin, response: out, interval: t1, next_at, give_up_at, initial: false });
                self.set_timer(next_at, key, TimerKind::Retransmit(!from_a));
            } else {
                here.invite_pending = false;
            }
        }
    }

    /// The request of a relayed server transaction, to answer it.
    pub(super) fn relay_origin_request(&self, call: &super::call::Call, origin: ServerTransactionId) -> Option<Request> {
        call.relays.get(&origin).cloned()
    }

    /// Answers a server transaction of a call with a plain status.
    fn answer(&mut self, now: Instant, core: &mut Core<'_>, tx: ServerTransactionId, request: &Request, status: StatusCode, reason: Option<&str>) {
        let mut response = Response::to_request(&request.headers, status, reason);
        if status == StatusCode::REQUEST_PENDING {
            response.headers.push(HeaderName::RetryAfter, "1");
        }
        let _ = core.transactions.respond(now, tx, response);
    }

}

fn matches_leg(party: Party) -> Option<usize> {
    match party {
        Party::Leg(i) => Some(i),
        Party::A => None,
    }
}
