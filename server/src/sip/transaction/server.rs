//! Server transactions: INVITE (RFC 3261 §17.2.1 with RFC 6026 §7.1, §8.5–§8.7: Accepted and
//! Timer L) and non-INVITE (§17.2.2), request matching (§17.2.3), CANCEL (§9.2), the automatic
//! `100 Trying` and the `500` sent when the TU never answers.
//!
//! It deliberately does not retransmit 2xx (the dialog layer does, §13.3.1.4; `respond` passes
//! each of them on while Accepted) and never passes a retransmitted request to the TU.

use super::key::{MethodKey, ServerKey, share};
use crate::sip::ident::{ensure_to_tag, tag_for_request};
use super::output::{Event, RespondError, ServerTransactionId, TransmitKind};
use super::timer::{Entry, Owner, TRYING_DELAY, Timer};
use super::{TransactionLayer, trace_transition};
use crate::sip::Flow;
use crate::sip::message::{HeaderName, Headers, Method, Request, Response};
use bytes::Bytes;
use ringway_sdk::StatusCode;
use std::time::{Duration, Instant};

/// The states of a server transaction (Terminated is removal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    /// Non-INVITE: no response sent yet.
    Trying,
    /// INVITE from creation, non-INVITE after a provisional: waiting for the TU's final response.
    Proceeding,
    /// A final response (3xx–6xx for INVITE, any for non-INVITE) was sent; absorbing retransmissions.
    Completed,
    /// INVITE: the ACK for the non-2xx final arrived; absorbing ACK retransmissions (Timer I).
    Confirmed,
    /// INVITE, RFC 6026: a 2xx was sent; absorbing INVITE retransmissions (Timer L).
    Accepted,
}

#[derive(Debug)]
pub(super) struct ServerTransaction {
    key: ServerKey,
    method: Method,
    pub(super) state: ServerState,
    pub(super) reply_to: Flow,
    /// The headers a response copies (§8.2.6.2), kept for the layer's own 100 and 500.
    headers: Headers,
    /// The last response sent and its status: resent for a retransmitted request and by Timer G.
    last_response: Option<(Bytes, StatusCode)>,
    g_interval: Duration,
    /// The To tag of the final response: how an RFC 2543 ACK is matched (§17.2.3).
    final_to_tag: Option<Bytes>,
    /// Whether the layer created it for a CANCEL it answered itself (the TU never saw its id).
    internal: bool,
    pub(super) timers: super::timer::Slots,
}

impl ServerTransaction {
    fn is_invite(&self) -> bool {
        self.method == Method::Invite
    }
}

impl TransactionLayer {
    pub(super) fn server_request(&mut self, now: Instant, request: Request, source: Flow, reply_to: Flow) {
        let key = match ServerKey::of_request(&request) {
            Ok(key) => key,
            Err(error) => {
                tracing::debug!(%error, method = %request.method, "request without a transaction key dropped");
                return;
            }
        };
        if request.method == Method::Ack {
            self.server_ack(now, key, request, source);
        } else if let Some(&id) = self.server_keys.get(&key) {
            self.absorb_request(id);
        } else if request.method == Method::Cancel {
            self.server_cancel(now, key, request, reply_to);
        } else {
            self.server_new(now, key, request, source, reply_to);
        }
    }

    fn server_new(&mut self, now: Instant, key: ServerKey, request: Request, source: Flow, reply_to: Flow) {
        let id = self.mint_id();
        let invite = request.method == Method::Invite;
        let mut st = ServerTransaction {
            key: key.clone(),
            method: request.method.clone(),
            state: if invite { ServerState::Proceeding } else { ServerState::Trying },
            reply_to,
            headers: Response::to_request(&request.headers, StatusCode::TRYING, None).headers,
            last_response: None,
            g_interval: self.config.t1,
            final_to_tag: None,
            internal: false,
            timers: Default::default(),
        };
        let answer_within = if invite { self.config.tu_answer_invite } else { self.config.tu_answer_non_invite };
        self.arm_server(&mut st, id, Timer::TuAnswer, now + answer_within);
        if invite {
            self.arm_server(&mut st, id, Timer::Trying, now + TRYING_DELAY);
        }
        trace_transition(st.key.label(), &st.method, "new", st.state);
        self.servers.insert(id, st);
        self.server_keys.insert(key, id);
        self.stats.server_transactions += 1;
        self.events.push_back(Event::Request { tx: ServerTransactionId(id), request, source });
    }

    /// A retransmitted request (§17.2.1, §17.2.2): resend the last response, never tell the TU.
    fn absorb_request(&mut self, id: u64) {
        self.stats.retransmissions_absorbed += 1;
        let Some(st) = self.servers.get(&id) else { return };
        let resend = match st.state {
            ServerState::Proceeding | ServerState::Completed => st.last_response.clone(),
            // Trying has nothing to resend; Confirmed and Accepted absorb silently (RFC 6026 §8.7).
            ServerState::Trying | ServerState::Confirmed | ServerState::Accepted => None,
        };
        if let Some((payload, status)) = resend {
            let flow = st.reply_to;
            self.stats.retransmissions_sent_responses += 1;
            self.transmit(flow, payload, true, TransmitKind::Response(status));
        }
    }

    fn server_ack(&mut self, now: Instant, key: ServerKey, request: Request, source: Flow) {
        let found = self.server_keys.get(&key).copied().filter(|id| {
            let Some(st) = self.servers.get(id) else { return false };
            // RFC 2543 ACKs must also carry the To tag of the response sent (§17.2.3).
            !st.key.is_rfc2543() || {
                let to_tag = request.headers.to_addr().ok().and_then(|to| to.tag());
                to_tag.map(str::as_bytes) == st.final_to_tag.as_deref()
            }
        });
        let state = found.and_then(|id| self.servers.get(&id)).map(|st| st.state);
        match (found, state) {
            (Some(id), Some(ServerState::Completed)) => {
                let reliable = self.servers[&id].reply_to.transport.is_reliable();
                let wait = self.config.timer_t4(reliable);
                let Some(mut st) = self.servers.remove(&id) else { return };
                trace_transition(st.key.label(), &st.method, st.state, ServerState::Confirmed);
                st.state = ServerState::Confirmed;
                st.timers.clear(Timer::G);
                st.timers.clear(Timer::H);
                self.arm_server(&mut st, id, Timer::I, now + wait);
                self.servers.insert(id, st);
                if wait.is_zero() {
                    self.terminate_server(id);
                }
            }
            (Some(_), Some(ServerState::Confirmed)) => self.stats.retransmissions_absorbed += 1,
            _ => self.events.push_back(Event::Ack { request, source }),
        }
    }

    /// CANCEL (§9.2): its own non-INVITE transaction, answered here with 200 when it matches an
    /// INVITE (the TU learns through [`Event::Cancelled`] while that INVITE awaits its final) or
    /// 481 when nothing matches.
    fn server_cancel(&mut self, now: Instant, key: ServerKey, request: Request, reply_to: Flow) {
        let invite = self.server_keys.get(&key.with_method(MethodKey::Invite)).copied();
        let cancel_reason = request.headers.get(&crate::sip::message::HeaderName::Reason).cloned();
        let pending = invite.filter(|id| self.servers.get(id).is_some_and(|st| st.state == ServerState::Proceeding));
        let status = if invite.is_some() { StatusCode::OK } else { StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST };
        let id = self.mint_id();
        let mut response = Response::to_request(&request.headers, status, None);
        ensure_to_tag(&mut response, &tag_for_request(&request.headers));
        let payload = response.to_bytes();
        let reliable = reply_to.transport.is_reliable();
        let mut st = ServerTransaction {
            key: key.clone(),
            method: Method::Cancel,
            state: ServerState::Completed,
            reply_to,
            headers: Headers::default(),
            last_response: Some((payload.clone(), status)),
            g_interval: self.config.t1,
            final_to_tag: None,
            internal: true,
            timers: Default::default(),
        };
        trace_transition(st.key.label(), &st.method, "new", st.state);
        let wait = self.config.timer_j(reliable);
        self.arm_server(&mut st, id, Timer::J, now + wait);
        self.servers.insert(id, st);
        self.server_keys.insert(key, id);
        self.stats.server_transactions += 1;
        self.transmit(reply_to, payload, false, TransmitKind::Response(status));
        if let Some(invite) = pending {
            self.events.push_back(Event::Cancelled { invite: ServerTransactionId(invite), reason: cancel_reason });
        }
        if wait.is_zero() {
            self.terminate_server(id);
        }
    }

    /// Sends the TU's response on a server transaction.
    pub fn respond(&mut self, now: Instant, tx: ServerTransactionId, response: Response) -> Result<(), RespondError> {
        let status = response.status;
        let st = self.servers.get(&tx.0).ok_or(RespondError::UnknownTransaction(tx))?;
        let accepts = match st.state {
            ServerState::Trying | ServerState::Proceeding => true,
            ServerState::Accepted => status.is_success(),
            ServerState::Completed | ServerState::Confirmed => false,
        };
        if !accepts || st.internal {
            return Err(RespondError::AlreadyFinal { tx, status });
        }
        self.send_server_response(now, tx.0, response);
        self.prune_timers();
        Ok(())
    }

    /// Sends a response (the TU's or the layer's) and moves the state machine.
    fn send_server_response(&mut self, now: Instant, id: u64, response: Response) {
        let Some(mut st) = self.servers.remove(&id) else { return };
        let status = response.status;
        let payload = response.to_bytes();
        let flow = st.reply_to;
        let reliable = flow.transport.is_reliable();
        let before = st.state;
        let retransmission = st.state == ServerState::Accepted;
        if st.key.is_rfc2543() && status.is_final() {
            let to = response.headers.get(&HeaderName::To).cloned().unwrap_or_default();
            st.final_to_tag =
                response.headers.to_addr().ok().and_then(|a| a.tag()).map(|t| share(&to, t.as_bytes()));
        }
        st.timers.clear(Timer::Trying);
        let mut terminate = false;
        if status.is_provisional() {
            st.state = ServerState::Proceeding;
        } else {
            st.timers.clear(Timer::TuAnswer);
            if !st.is_invite() {
                st.state = ServerState::Completed;
                let wait = self.config.timer_j(reliable);
                self.arm_server(&mut st, id, Timer::J, now + wait);
                terminate = wait.is_zero();
            } else if status.is_success() {
                if st.state != ServerState::Accepted {
                    st.state = ServerState::Accepted;
                    self.arm_server(&mut st, id, Timer::L, now + self.config.t1_x64());
                }
            } else {
                st.state = ServerState::Completed;
                if !reliable {
                    st.g_interval = self.config.t1;
                    self.arm_server(&mut st, id, Timer::G, now + self.config.t1);
                }
                self.arm_server(&mut st, id, Timer::H, now + self.config.t1_x64());
            }
        }
        if before != st.state {
            trace_transition(st.key.label(), &st.method, before, st.state);
        }
        if st.state == ServerState::Accepted {
            // Accepted absorbs retransmitted INVITEs without answering them (RFC 6026 §8.7) and
            // the layer sends nothing of its own any more: what it kept for that goes, since
            // every established call holds this transaction for Timer L.
            st.last_response = None;
            st.headers = Headers::default();
        } else {
            st.last_response = Some((payload.clone(), status));
        }
        self.servers.insert(id, st);
        if retransmission {
            self.stats.retransmissions_sent_responses += 1;
        }
        self.transmit(flow, payload, retransmission, TransmitKind::Response(status));
        if terminate {
            self.terminate_server(id);
        }
    }

    pub(super) fn server_timer(&mut self, now: Instant, id: u64, entry: Entry) {
        let Some(st) = self.servers.get_mut(&id) else { return };
        if !st.timers.holds(entry.timer, entry.at) {
            return;
        }
        st.timers.clear(entry.timer);
        match entry.timer {
            Timer::Trying if st.state == ServerState::Proceeding && st.last_response.is_none() => {
                let response = Response::to_request(&st.headers, StatusCode::TRYING, None);
                self.send_server_response(now, id, response);
            }
            Timer::TuAnswer => {
                if matches!(st.state, ServerState::Trying | ServerState::Proceeding) {
                    let mut response = Response::to_request(&st.headers, StatusCode::SERVER_INTERNAL_ERROR, None);
                    ensure_to_tag(&mut response, &tag_for_request(&st.headers));
                    tracing::error!(
                        branch = %String::from_utf8_lossy(st.key.label()),
                        method = %st.method,
                        "the TU never answered the request; sending 500"
                    );
                    self.stats.tu_unanswered += 1;
                    self.send_server_response(now, id, response);
                }
            }
            Timer::G if st.state == ServerState::Completed => {
                let Some((payload, status)) = st.last_response.clone() else { return };
                st.g_interval = (st.g_interval * 2).min(self.config.t2);
                let at = now + st.g_interval;
                st.timers.set(Timer::G, at);
                let flow = st.reply_to;
                self.queue_timer(at, Owner::Server(id), Timer::G);
                self.stats.retransmissions_sent_responses += 1;
                self.transmit(flow, payload, true, TransmitKind::Response(status));
            }
            Timer::H => {
                tracing::debug!(branch = %String::from_utf8_lossy(st.key.label()), "Timer H: no ACK for the final response");
                self.terminate_server(id);
            }
            Timer::I | Timer::J | Timer::L => self.terminate_server(id),
            _ => {}
        }
    }

    fn arm_server(&mut self, st: &mut ServerTransaction, id: u64, timer: Timer, at: Instant) {
        st.timers.set(timer, at);
        self.queue_timer(at, Owner::Server(id), timer);
    }

    /// Removes a server transaction and tells the TU (unless the TU never knew it).
    pub(super) fn terminate_server(&mut self, id: u64) {
        let Some(mut st) = self.servers.remove(&id) else { return };
        st.timers.clear_all();
        if self.server_keys.get(&st.key) == Some(&id) {
            self.server_keys.remove(&st.key);
        }
        self.stats.server_transactions -= 1;
        trace_transition(st.key.label(), &st.method, st.state, "Terminated");
        if !st.internal {
            self.events.push_back(Event::ServerTerminated { tx: ServerTransactionId(id) });
        }
    }
}
