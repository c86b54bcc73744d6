//! Client transactions: INVITE (RFC 3261 §17.1.1 with RFC 6026 §7.2, §8.4: Accepted and
//! Timer M) and non-INVITE (§17.1.2), response matching (§17.1.3), the ACK for 3xx–6xx finals
//! (§17.1.1.3) and CANCEL (§9.1).
//!
//! It deliberately does not ACK 2xx responses: every 2xx goes to the TU, whose dialog layer builds
//! that ACK (§13.2.2.4) and sends it with [`TransactionLayer::send_ack`].

use super::key::{ClientKey, share};
use super::output::{ClientTransactionId, Event, SendError, TransmitKind};
use super::timer::{Entry, Owner, Slots, Timer};
use super::{TransactionLayer, trace_transition};
use crate::sip::Flow;
use crate::sip::message::{HeaderName, Method, Request, Response};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// The states of a client transaction (Terminated is removal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// INVITE: sent, nothing received yet (Timers A and B).
    Calling,
    /// Non-INVITE: sent, nothing received yet (Timers E and F).
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response (3xx–6xx for INVITE, any for non-INVITE) arrived; absorbing retransmissions.
    Completed,
    /// INVITE, RFC 6026: a 2xx arrived; further 2xx still go to the TU (Timer M).
    Accepted,
}

#[derive(Debug)]
pub(super) struct ClientTransaction {
    key: ClientKey,
    pub(super) state: ClientState,
    pub(super) destination: Flow,
    request: Request,
    payload: Bytes,
    /// The current Timer A or E interval.
    interval: Duration,
    /// The ACK sent for a 3xx–6xx final, repeated for each retransmission of that final.
    ack: Option<Bytes>,
    /// The TU asked to cancel before any provisional arrived (§9.1).
    cancel_pending: bool,
    /// The Reason header the CANCEL carries (RFC 3326), if the TU gave one.
    cancel_reason: Option<bytes::Bytes>,
    /// A CANCEL has been sent for this INVITE.
    cancel_sent: bool,
    pub(super) timers: Slots,
}

impl ClientTransaction {
    fn is_invite(&self) -> bool {
        self.request.method == Method::Invite
    }
}

impl TransactionLayer {
    /// Starts a client transaction and sends `request` to `destination`. The request carries its
    /// top Via with a `z9hG4bK` branch (the TU mints it). INVITE starts an INVITE client
    /// transaction, ACK is refused (use [`send_ack`](Self::send_ack)), anything else starts a
    /// non-INVITE one.
    pub fn send_request(&mut self, now: Instant, request: Request, destination: Flow) -> Result<ClientTransactionId, SendError> {
        if request.method == Method::Ack {
            return Err(SendError::Ack);
        }
        if !request.headers.top_via()?.has_rfc3261_branch() {
            return Err(SendError::NoBranch);
        }
        let key = ClientKey::of(&request.headers)?;
        if self.client_keys.contains_key(&key) {
            return Err(SendError::DuplicateBranch);
        }
        let id = self.start_client(now, key, request, destination);
        self.prune_timers();
        Ok(id)
    }

    /// Sends the ACK for a 2xx: no transaction, one transmission (RFC 3261 §13.2.2.4). The dialog
    /// layer repeats it for each retransmitted 2xx it is given.
    pub fn send_ack(&mut self, now: Instant, ack: Request, destination: Flow) {
        let _ = now;
        self.transmit(destination, ack.to_bytes(), false, TransmitKind::Request(Method::Ack));
    }

    /// Cancels an INVITE client transaction (§9.1). The CANCEL is sent now when a provisional has
    /// arrived (its transaction id is returned), or as soon as the first one arrives (`Ok(None)`).
    /// If no final response follows within 64×T1 of the CANCEL, the INVITE ends with
    /// [`Event::Timeout`].
    pub fn cancel(&mut self, now: Instant, invite: ClientTransactionId) -> Result<Option<ClientTransactionId>, SendError> {
        self.cancel_with_reason(now, invite, None)
    }

    /// [`cancel`](Self::cancel) with a `Reason` header value for the CANCEL (RFC 3326), e.g.
    /// `SIP;cause=200;text="Call completed elsewhere"` so that a losing phone logs no missed call.
    pub fn cancel_with_reason(
        &mut self,
        now: Instant,
        invite: ClientTransactionId,
        reason: Option<bytes::Bytes>,
    ) -> Result<Option<ClientTransactionId>, SendError> {
        let ct = self.clients.get_mut(&invite.0).ok_or(SendError::UnknownTransaction(invite))?;
        if !ct.is_invite() {
            return Err(SendError::NotInvite(invite));
        }
        if reason.is_some() {
            ct.cancel_reason = reason;
        }
        let result = match ct.state {
            ClientState::Calling => {
                ct.cancel_pending = true;
                Ok(None)
            }
            ClientState::Proceeding => self.send_cancel(now, invite.0).map(Some),
            _ => Err(SendError::AlreadyFinal(invite)),
        };
        self.prune_timers();
        result
    }

    fn send_cancel(&mut self, now: Instant, id: u64) -> Result<ClientTransactionId, SendError> {
        let Some(ct) = self.clients.get_mut(&id) else { return Err(SendError::UnknownTransaction(ClientTransactionId(id))) };
        if ct.cancel_sent {
            return Err(SendError::DuplicateBranch);
        }
        ct.cancel_sent = true;
        ct.cancel_pending = false;
        let mut cancel = in_transaction_request(&ct.request, Method::Cancel, None);
        if let Some(reason) = ct.cancel_reason.take() {
            cancel.headers.push(crate::sip::message::HeaderName::Reason, reason);
        }
        let destination = ct.destination;
        let at = now + self.config.t1_x64();
        ct.timers.set(Timer::B, at);
        self.queue_timer(at, Owner::Client(id), Timer::B);
        let key = ClientKey::of(&cancel.headers)?;
        if self.client_keys.contains_key(&key) {
            return Err(SendError::DuplicateBranch);
        }
        Ok(self.start_client(now, key, cancel, destination))
    }

    fn start_client(&mut self, now: Instant, key: ClientKey, request: Request, destination: Flow) -> ClientTransactionId {
        let id = self.mint_id();
        let invite = request.method == Method::Invite;
        let payload = request.to_bytes();
        let kind = TransmitKind::Request(request.method.clone());
        let mut ct = ClientTransaction {
            key: key.clone(),
            state: if invite { ClientState::Calling } else { ClientState::Trying },
            destination,
            request,
            payload: payload.clone(),
            interval: self.config.t1,
            ack: None,
            cancel_pending: false,
            cancel_reason: None,
            cancel_sent: false,
            timers: Slots::default(),
        };
        if !destination.transport.is_reliable() {
            self.arm_client(&mut ct, id, if invite { Timer::A } else { Timer::E }, now + self.config.t1);
        }
        self.arm_client(&mut ct, id, if invite { Timer::B } else { Timer::F }, now + self.config.t1_x64());
        trace_transition(&ct.key.branch.0, &ct.request.method, "new", ct.state);
        self.clients.insert(id, ct);
        self.client_keys.insert(key, id);
        self.stats.client_transactions += 1;
        self.transmit(destination, payload, false, kind);
        ClientTransactionId(id)
    }

    pub(super) fn client_response(&mut self, now: Instant, response: Response, source: Flow) {
        let id = ClientKey::of(&response.headers).ok().and_then(|key| self.client_keys.get(&key).copied());
        let Some(id) = id else {
            self.stats.stray_responses += 1;
            tracing::debug!(status = %response.status, %source, "stray response dropped");
            return;
        };
        let Some(ct) = self.clients.get(&id) else { return };
        let status = response.status;
        let before = ct.state;
        if ct.is_invite() {
            match (ct.state, status.class()) {
                (ClientState::Calling | ClientState::Proceeding, 1) => {
                    let send_cancel = ct.cancel_pending;
                    self.update_client(id, |ct| {
                        if ct.state == ClientState::Calling {
                            ct.timers.clear(Timer::A);
                            ct.timers.clear(Timer::B);
                        }
                        ct.state = ClientState::Proceeding;
                    });
                    self.events.push_back(Event::Response { tx: ClientTransactionId(id), response });
                    if send_cancel && let Err(error) = self.send_cancel(now, id) {
                        tracing::debug!(%error, "pending CANCEL not sent");
                    }
                }
                (ClientState::Calling | ClientState::Proceeding, 2) => {
                    let at = now + self.config.t1_x64();
                    self.update_client(id, |ct| {
                        ct.timers.clear(Timer::A);
                        ct.timers.clear(Timer::B);
                        ct.state = ClientState::Accepted;
                        ct.timers.set(Timer::M, at);
                        // Accepted only passes 2xx retransmissions up (RFC 6026 §8.4): nothing is
                        // resent, cancelled or ACKed from here, so the INVITE it kept for that
                        // goes — every established call holds this transaction for Timer M.
                        ct.request = Request::new(Method::Invite, Bytes::new());
                        ct.payload = Bytes::new();
                    });
                    self.queue_timer(at, Owner::Client(id), Timer::M);
                    self.events.push_back(Event::Response { tx: ClientTransactionId(id), response });
                }
                (ClientState::Accepted, 2) => {
                    self.events.push_back(Event::Response { tx: ClientTransactionId(id), response });
                }
                (ClientState::Calling | ClientState::Proceeding, _) => {
                    let ack = in_transaction_request(&ct.request, Method::Ack, response.headers.get(&HeaderName::To)).to_bytes();
                    let destination = ct.destination;
                    let wait = self.config.timer_d(destination.transport.is_reliable());
                    let at = now + wait;
                    self.update_client(id, |ct| {
                        ct.timers.clear(Timer::A);
                        ct.timers.clear(Timer::B);
                        ct.state = ClientState::Completed;
                        ct.ack = Some(ack.clone());
                        ct.timers.set(Timer::D, at);
                    });
                    self.queue_timer(at, Owner::Client(id), Timer::D);
                    self.transmit(destination, ack, false, TransmitKind::Request(Method::Ack));
                    self.events.push_back(Event::Response { tx: ClientTransactionId(id), response });
                    if wait.is_zero() {
                        self.terminate_client(id);
                    }
                }
                (ClientState::Completed, 3..) => {
                    let (destination, ack) = (ct.destination, ct.ack.clone());
                    self.stats.retransmissions_absorbed += 1;
                    if let Some(ack) = ack {
                        self.stats.retransmissions_sent_requests += 1;
                        self.transmit(destination, ack, true, TransmitKind::Request(Method::Ack));
                    }
                }
                _ => self.stats.retransmissions_absorbed += 1,
            }
        } else {
            match (ct.state, status.is_final()) {
                (ClientState::Trying | ClientState::Proceeding, false) => {
                    self.update_client(id, |ct| ct.state = ClientState::Proceeding);
                    self.events.push_back(Event::Response { tx: ClientTransactionId(id), response });
                }
                (ClientState::Trying | ClientState::Proceeding, true) => {
                    let wait = self.config.timer_t4(ct.destination.transport.is_reliable());
                    let at = now + wait;
                    self.update_client(id, |ct| {
                        ct.timers.clear(Timer::E);
                        ct.timers.clear(Timer::F);
                        ct.state = ClientState::Completed;
                        ct.timers.set(Timer::K, at);
                    });
                    self.queue_timer(at, Owner::Client(id), Timer::K);
                    self.events.push_back(Event::Response { tx: ClientTransactionId(id), response });
                    if wait.is_zero() {
                        self.terminate_client(id);
                    }
                }
                _ => self.stats.retransmissions_absorbed += 1,
            }
        }
        if let Some(ct) = self.clients.get(&id)
            && ct.state != before
        {
            trace_transition(&ct.key.branch.0, &ct.request.method, before, ct.state);
        }
    }

    pub(super) fn client_timer(&mut self, now: Instant, id: u64, entry: Entry) {
        let Some(ct) = self.clients.get_mut(&id) else { return };
        if !ct.timers.holds(entry.timer, entry.at) {
            return;
        }
        ct.timers.clear(entry.timer);
        match entry.timer {
            Timer::A | Timer::E => {
                ct.interval = match (entry.timer, ct.state) {
                    (Timer::A, _) => ct.interval * 2,
                    (_, ClientState::Proceeding) => self.config.t2,
                    _ => (ct.interval * 2).min(self.config.t2),
                };
                let at = now + ct.interval;
                ct.timers.set(entry.timer, at);
                let (destination, payload) = (ct.destination, ct.payload.clone());
                let kind = TransmitKind::Request(ct.request.method.clone());
                self.queue_timer(at, Owner::Client(id), entry.timer);
                self.stats.retransmissions_sent_requests += 1;
                self.transmit(destination, payload, true, kind);
            }
            Timer::B | Timer::F => {
                tracing::debug!(branch = %String::from_utf8_lossy(&ct.key.branch.0), timer = ?entry.timer, "no final response in time");
                self.events.push_back(Event::Timeout { tx: ClientTransactionId(id) });
                self.terminate_client(id);
            }
            Timer::D | Timer::K | Timer::M => self.terminate_client(id),
            _ => {}
        }
    }

    fn arm_client(&mut self, ct: &mut ClientTransaction, id: u64, timer: Timer, at: Instant) {
        ct.timers.set(timer, at);
        self.queue_timer(at, Owner::Client(id), timer);
    }

    fn update_client(&mut self, id: u64, change: impl FnOnce(&mut ClientTransaction)) {
        if let Some(ct) = self.clients.get_mut(&id) {
            change(ct);
        }
    }

    /// Removes a client transaction and tells the TU.
    pub(super) fn terminate_client(&mut self, id: u64) {
        let Some(mut ct) = self.clients.remove(&id) else { return };
        ct.timers.clear_all();
        if self.client_keys.get(&ct.key) == Some(&id) {
            self.client_keys.remove(&ct.key);
        }
        self.stats.client_transactions -= 1;
        trace_transition(&ct.key.branch.0, &ct.request.method, ct.state, "Terminated");
        self.events.push_back(Event::ClientTerminated { tx: ClientTransactionId(id) });
    }
}

/// The ACK for a non-2xx final (§17.1.1.3) or a CANCEL (§9.1) for `invite`: the same
/// Request-URI, Call-ID, From, CSeq number and single top Via, the INVITE's Route set, and the To
/// of the response (ACK) or of the INVITE (CANCEL).
fn in_transaction_request(invite: &Request, method: Method, to: Option<&Bytes>) -> Request {
    let h = &invite.headers;
    let mut r = Request::new(method, invite.uri.clone());
    if let (Some(line), Some(top)) = (h.get(&HeaderName::Via), h.elements(&HeaderName::Via).next()) {
        r.headers.push(HeaderName::Via, share(line, top));
    }
    for route in h.get_all(&HeaderName::Route) {
        r.headers.push(HeaderName::Route, route.clone());
    }
    r.headers.push(HeaderName::MaxForwards, Bytes::from_static(b"70"));
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId] {
        let value = if name == HeaderName::To { to.or_else(|| h.get(&name)) } else { h.get(&name) };
        if let Some(value) = value {
            r.headers.push(name, value.clone());
        }
    }
    let seq = h.cseq().map(|c| c.seq).unwrap_or_default();
    r.headers.push(HeaderName::CSeq, format!("{seq} {}", r.method));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Message, parse_datagram};

    #[test]
    fn the_ack_for_a_non_2xx_final_copies_the_invite_and_the_responses_to_per_rfc3261_section_17_1_1_3() {
        let text = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bKabc, SIP/2.0/UDP b.example.com;branch=z9hG4bKdef\r\nRoute: <sip:p1.example.com;lr>\r\nRoute: <sip:p2.example.com;lr>\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 7 INVITE\r\nContact: <sip:alice@a.example.com>\r\nContent-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0";
        let Ok(Message::Request(invite)) = parse_datagram(Bytes::from(text)) else { panic!() };
        let to = Bytes::from_static(b"<sip:bob@example.com>;tag=xyz");
        let ack = in_transaction_request(&invite, Method::Ack, Some(&to));
        let wire = String::from_utf8(ack.to_bytes().to_vec()).unwrap();
        assert_eq!(
            wire,
            "ACK sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bKabc\r\nRoute: <sip:p1.example.com;lr>\r\nRoute: <sip:p2.example.com;lr>\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=xyz\r\nCall-ID: c1\r\nCSeq: 7 ACK\r\nContent-Length: 0\r\n\r\n"
        );
        let cancel = in_transaction_request(&invite, Method::Cancel, None);
        assert_eq!(cancel.headers.to_addr().unwrap().tag(), None);
        assert_eq!(cancel.headers.cseq().unwrap().method, Method::Cancel);
        assert_eq!(cancel.headers.vias().count(), 1);
    }
}
