//! Scenario tests of the call engine with a fake clock and a fake network: the caller and the
//! gateway are scripts that read what Ringway sent and answer with hand-written messages.

use super::*;
use crate::sip::Transport;
use crate::sip::ident::ShardId;
use crate::sip::message::{Message, parse_datagram};
use crate::sip::transaction::{Event, TimerConfig};
use bytes::Bytes;

const T1: Duration = Duration::from_millis(500);

fn flow(remote: u16) -> Flow {
    Flow { transport: Transport::Udp, local: "127.0.0.1:5060".parse().unwrap(), remote: format!("127.0.0.1:{remote}").parse().unwrap() }
}

const CALLER: u16 = 5061;
const GW1: u16 = 5070;
const GW2: u16 = 5071;

/// Ringway's call engine, its transaction layer, and what it sent, per destination port.
struct Rig {
    now: Instant,
    transactions: TransactionLayer,
    minter: Minter,
    b2bua: B2bua,
    sent: Vec<(u16, Message)>,
    events: Vec<CallEvent>,
    routes: Vec<CallKey>,
    /// Routers asked again: the attempts they were shown and whether the plan rang out.
    exhausted: Vec<(Vec<ringway_dialplan::Attempt>, bool)>,
}

impl Rig {
    fn new() -> Rig {
        #[allow(clippy::disallowed_methods)] // the fake clock needs an origin; only offsets matter
        let origin = Instant::now();
        let settings = CallSettings { max_duration: Some(Duration::from_secs(3600)), t1: T1, t2: Duration::from_secs(4), server_name: "Ringway".into() };
        Rig {
            now: origin,
            transactions: TransactionLayer::new(TimerConfig::default()),
            minter: Minter::new(ShardId(0), 7),
            b2bua: B2bua::new(settings),
            sent: Vec::new(),
            events: Vec::new(),
            routes: Vec::new(),
            exhausted: Vec::new(),
        }
    }

    fn core(&mut self) -> (Core<'_>, &mut B2bua) {
        (Core { transactions: &mut self.transactions, minter: &mut self.minter }, &mut self.b2bua)
    }

    /// Runs the layer's events through the engine and collects transmits and effects.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.transactions.poll_event() {
                progressed = true;
                let now = self.now;
                let (mut core, b2bua) = self.core();
                match event {
                    Event::Request { tx, request, source } => {
                        if request.headers.to_addr().unwrap().tag().is_some() {
                            assert_eq!(b2bua.handle_request(now, &mut core, tx, request, source), Handled::Yes);
                        } else {
                            b2bua.handle_invite(now, &mut core, tx, request, source, Caller { account: Some("1001".into()), context: None });
                        }
                    }
                    Event::Ack { request, .. } => {
                        b2bua.handle_ack(now, &mut core, request);
                    }
                    Event::Cancelled { invite, reason } => {
                        b2bua.handle_cancelled(now, &mut core, invite, reason);
                    }
                    Event::Response { tx, response } => {
                        b2bua.handle_response(now, &mut core, tx, response);
                    }
                    Event::Timeout { tx } | Event::TransportError { tx } => {
                        b2bua.handle_failure(now, &mut core, tx);
                    }
                    Event::ServerTerminated { tx } => b2bua.handle_server_terminated(tx),
                    Event::ClientTerminated { tx } => b2bua.handle_client_terminated(tx),
                }
            }
            while let Some(effect) = self.b2bua.poll_effect() {
                progressed = true;
                match effect {
                    Effect::Route { call, .. } => self.routes.push(call),
                    Effect::Event(e) => self.events.push(e),
                    Effect::Exhausted { attempts, rang_out, .. } => self.exhausted.push((attempts, rang_out)),
                    Effect::Occupy { .. } | Effect::Vacate { .. } => {}
                }
            }
            while let Some(t) = self.transactions.poll_transmit() {
                progressed = true;
                let message = parse_datagram(t.payload).expect("Ringway sends well-formed messages");
                self.sent.push((t.flow.remote.port(), message));
            }
            if !progressed {
                break;
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        let now = self.now;
        self.transactions.handle_timeout(now);
        let (mut core, b2bua) = self.core();
        b2bua.handle_timeout(now, &mut core);
        self.pump();
    }

    fn deliver(&mut self, from: u16, text: &str) {
        let now = self.now;
        match parse_datagram(Bytes::from(text.replace('\n', "\r\n"))).expect("test message parses") {
            Message::Request(r) => self.transactions.handle_request(now, r, flow(from), flow(from)),
            Message::Response(r) => self.transactions.handle_response(now, r, flow(from)),
        }
        self.pump();
    }

    fn decide(&mut self, plan: Plan) {
        self.decide_from(plan, None);
    }

    fn decide_from(&mut self, plan: Plan, asker: Option<Asker>) {
        let call = *self.routes.last().expect("a route was asked");
        let now = self.now;
        let (mut core, b2bua) = self.core();
        b2bua.handle_decision_from(now, &mut core, call, plan, asker);
        self.pump();
    }

    /// Takes what was sent to `port` so far.
    fn take(&mut self, port: u16) -> Vec<Message> {
        let (mine, rest) = std::mem::take(&mut self.sent).into_iter().partition(|(p, _)| *p == port);
        self.sent = rest;
        mine.into_iter().map(|(_, m)| m).collect()
    }

    fn take_request(&mut self, port: u16, method: Method) -> Request {
        self.take(port)
            .into_iter()
            .find_map(|m| match m {
                Message::Request(r) if r.method == method => Some(r),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {method} sent to {port}"))
    }

    fn statuses(&mut self, port: u16) -> Vec<String> {
        self.take(port)
            .into_iter()
            .filter_map(|m| match m {
                Message::Response(r) => Some(format!("{} {}", r.status.as_u16(), String::from_utf8_lossy(&r.reason))),
                Message::Request(_) => None,
            })
            .collect()
    }
}

fn target(port: u16) -> Target {
    Target {
        uri: format!("sip:+74951234567@127.0.0.1:{port}"),
        flow: flow(port),
        gateway: Some(format!("gw{port}")),
        codecs: Vec::new(),
        ring_timeout: Some(Duration::from_secs(30)),
        failover: Failover::default(),
        headers: HeaderPolicy::default(),
        credentials: None,
        number: None,
    }
}

const SDP: &str = "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 0 8\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000\n";

fn invite(cseq: u32) -> String {
    let sdp = SDP;
    format!(
        "INVITE sip:+74951234567@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{CALLER};branch=z9hG4bKa{cseq}\nMax-Forwards: 70\n\
         From: \"Agent\" <sip:1001@127.0.0.1>;tag=caller\nTo: <sip:+74951234567@127.0.0.1>\nCall-ID: a-leg\nCSeq: {cseq} INVITE\n\
         Contact: <sip:1001@127.0.0.1:{CALLER}>\nX-Campaign: 42\nContent-Type: application/sdp\nContent-Length: {}\n\n{sdp}",
        crlf_len(sdp)
    )
}

/// The caller's CANCEL of `invite(1)` (same branch, RFC 3261 §9.1), with `extra` header lines.
fn cancel_from_caller(extra: &str) -> String {
    format!(
        "CANCEL sip:+74951234567@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{CALLER};branch=z9hG4bKa1\nMax-Forwards: 70\n\
         From: \"Agent\" <sip:1001@127.0.0.1>;tag=caller\nTo: <sip:+74951234567@127.0.0.1>\nCall-ID: a-leg\nCSeq: 1 CANCEL\n\
         {extra}Content-Length: 0\n\n"
    )
}

/// A response from a gateway to the request `r`, with `tag` in To.
fn answer(r: &Request, status: &str, tag: &str, port: u16, body: &str) -> String {
    let h = &r.headers;
    let via: Vec<String> = h.get_all(&HeaderName::Via).map(|v| format!("Via: {}\n", String::from_utf8_lossy(v))).collect();
    let to = String::from_utf8_lossy(h.get(&HeaderName::To).unwrap()).into_owned();
    let to = if to.contains("tag=") || tag.is_empty() { to } else { format!("{to};tag={tag}") };
    let ctype = if body.is_empty() { String::new() } else { "Content-Type: application/sdp\n".into() };
    format!(
        "SIP/2.0 {status}\n{}From: {}\nTo: {to}\nCall-ID: {}\nCSeq: {}\nContact: <sip:gw@127.0.0.1:{port}>\n{ctype}Content-Length: {}\n\n{body}",
        via.concat(),
        String::from_utf8_lossy(h.get(&HeaderName::From).unwrap()),
        String::from_utf8_lossy(h.get(&HeaderName::CallId).unwrap()),
        String::from_utf8_lossy(h.get(&HeaderName::CSeq).unwrap()),
        crlf_len(body)
    )
}

/// An in-dialog request from the gateway, inside the dialog of `invite` answered with `tag`.
fn from_gateway(invite: &Request, method: &str, cseq: u32, tag: &str) -> String {
    let h = &invite.headers;
    let from = String::from_utf8_lossy(h.get(&HeaderName::From).unwrap()).into_owned();
    let to = String::from_utf8_lossy(h.get(&HeaderName::To).unwrap()).into_owned();
    format!(
        "{method} sip:ringway@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{GW1};branch=z9hG4bKg{cseq}{method}\nMax-Forwards: 70\n\
         From: {to};tag={tag}\nTo: {from}\nCall-ID: {}\nCSeq: {cseq} {method}\nContent-Length: 0\n\n",
        String::from_utf8_lossy(h.get(&HeaderName::CallId).unwrap())
    )
}

/// An in-dialog request from the caller, with Ringway's tag `to_tag`.
fn from_caller(method: &str, cseq: u32, to_tag: &str, body: &str) -> String {
    let ctype = if body.is_empty() { String::new() } else { "Content-Type: application/sdp\n".into() };
    format!(
        "{method} sip:ringway@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{CALLER};branch=z9hG4bKc{cseq}{method}\nMax-Forwards: 70\n\
         From: \"Agent\" <sip:1001@127.0.0.1>;tag=caller\nTo: <sip:+74951234567@127.0.0.1>;tag={to_tag}\nCall-ID: a-leg\nCSeq: {cseq} {method}\n\
         Contact: <sip:1001@127.0.0.1:{CALLER}>\n{ctype}Content-Length: {}\n\n{body}",
        crlf_len(body)
    )
}

/// The length of a body once `deliver` has turned its line ends into CRLF.
fn crlf_len(body: &str) -> usize {
    body.len() + body.matches('\n').count()
}

fn to_tag(m: &Message) -> String {
    m.headers().to_addr().unwrap().tag().unwrap().to_owned()
}

/// Drives a call to the answered state; returns the gateway's INVITE and Ringway's tag to A.
fn answered_call(rig: &mut Rig) -> (Request, String) {
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b_invite = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b_invite, "180 Ringing", "gw", GW1, ""));
    rig.deliver(GW1, &answer(&b_invite, "200 OK", "gw", GW1, SDP));
    let ok = rig.take(CALLER).into_iter().find(|m| matches!(m, Message::Response(r) if r.status.as_u16() == 200)).expect("200 to the caller");
    let tag = to_tag(&ok);
    rig.take_request(GW1, Method::Ack);
    (b_invite, tag)
}

#[test]
fn a_basic_call_gets_its_own_b_leg_and_relays_ringing_and_answer_per_rfc3261_section_12() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    assert_eq!(rig.routes.len(), 1, "routing is asked as an effect");
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b = rig.take_request(GW1, Method::Invite);
    assert_ne!(b.headers.call_id().unwrap(), "a-leg", "the B-leg has its own Call-ID");
    assert_eq!(b.headers.cseq().unwrap().seq, 1);
    assert_eq!(b.headers.from_addr().unwrap().display_text(), Some("Agent"));
    assert_eq!(b.headers.get(&HeaderName::from_bytes(b"X-Campaign")).map(|v| &v[..]), Some(&b"42"[..]), "end-to-end headers pass");
    assert_eq!(b.headers.max_forwards().unwrap(), Some(69));
    assert!(!b.body.is_empty());
    rig.deliver(GW1, &answer(&b, "180 Ringing", "gw", GW1, ""));
    rig.deliver(GW1, &answer(&b, "200 OK", "gw", GW1, SDP));
    let to_caller = rig.statuses(CALLER);
    assert!(to_caller.contains(&"180 Ringing".to_owned()), "{to_caller:?}");
    assert!(to_caller.contains(&"200 OK".to_owned()), "{to_caller:?}");
    let ack = rig.take_request(GW1, Method::Ack);
    assert_eq!(ack.headers.cseq().unwrap().seq, 1);
    assert!(rig.events.iter().any(|e| matches!(e, CallEvent::Answered { .. })));
}

#[test]
fn the_2xx_to_the_caller_is_repeated_until_its_ack_per_rfc3261_section_13_3_1_4() {
    let mut rig = Rig::new();
    let (_, tag) = answered_call(&mut rig);
    rig.advance(T1);
    assert_eq!(rig.statuses(CALLER), vec!["200 OK"], "first retransmission at T1");
    rig.advance(2 * T1);
    assert_eq!(rig.statuses(CALLER), vec!["200 OK"], "then at 2*T1");
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    rig.advance(Duration::from_secs(8));
    assert!(rig.statuses(CALLER).is_empty(), "the ACK stops it");
    assert_eq!(rig.b2bua.calls(), 1);
}

#[test]
fn a_call_whose_ack_never_comes_is_ended_with_bye_on_both_legs_per_rfc3261_section_13_3_1_4() {
    let mut rig = Rig::new();
    answered_call(&mut rig);
    for _ in 0..80 {
        rig.advance(T1);
    }
    rig.take_request(CALLER, Method::Bye);
    let bye = rig.take_request(GW1, Method::Bye);
    assert!(bye.headers.get(&HeaderName::Reason).is_some());
    assert!(rig.events.iter().any(|e| matches!(e, CallEvent::Ended { by: HangupBy::Ringway, .. })));
    assert_eq!(rig.b2bua.calls(), 0, "state is gone");
}

#[test]
fn cancel_from_the_caller_cancels_the_b_leg_and_the_caller_gets_487_per_rfc3261_section_9() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b, "180 Ringing", "gw", GW1, ""));
    rig.take(CALLER);
    rig.deliver(CALLER, &cancel_from_caller("Reason: Q.850;cause=16;text=\"NORMAL_CLEARING\"\n"));
    let to_caller = rig.statuses(CALLER);
    assert!(to_caller.contains(&"200 OK".to_owned()) && to_caller.contains(&"487 Request Terminated".to_owned()), "{to_caller:?}");
    let cancel = rig.take_request(GW1, Method::Cancel);
    assert_eq!(cancel.headers.get(&HeaderName::Reason).map(|r| &r[..]), Some(&b"Q.850;cause=16;text=\"NORMAL_CLEARING\""[..]), "RFC 3326");
    rig.deliver(GW1, &answer(&cancel, "200 OK", "gw", GW1, ""));
    rig.deliver(GW1, &answer(&b, "487 Request Terminated", "gw", GW1, ""));
    assert_eq!(rig.b2bua.calls(), 0);
}

#[test]
fn a_200_crossing_the_cancel_is_acked_and_hung_up_with_bye_per_rfc3261_section_9_1() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b, "180 Ringing", "gw", GW1, ""));
    rig.deliver(CALLER, &cancel_from_caller(""));
    rig.take(GW1);
    // The gateway answered before it saw the CANCEL.
    rig.deliver(GW1, &answer(&b, "200 OK", "gw", GW1, SDP));
    let sent = rig.take(GW1);
    assert!(sent.iter().any(|m| matches!(m, Message::Request(r) if r.method == Method::Ack)));
    assert!(sent.iter().any(|m| matches!(m, Message::Request(r) if r.method == Method::Bye)));
    let invite_2xx = rig.take(CALLER).into_iter().any(|m| {
        matches!(&m, Message::Response(r) if r.status.is_success() && r.headers.cseq().unwrap().method == Method::Invite)
    });
    assert!(!invite_2xx, "the caller, who cancelled, never gets the 2xx");
}

#[test]
fn a_503_fails_over_to_the_next_gateway_and_a_486_is_passed_back_with_its_phrase() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1), target(GW2)]));
    let b1 = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b1, "503 Service Unavailable", "g1", GW1, ""));
    let b2 = rig.take_request(GW2, Method::Invite);
    assert_ne!(b1.headers.call_id().unwrap(), b2.headers.call_id().unwrap());
    rig.deliver(GW2, &answer(&b2, "486 Busy Right Now", "g2", GW2, ""));
    assert!(rig.statuses(CALLER).contains(&"486 Busy Right Now".to_owned()));
}

#[test]
fn every_gateway_failing_over_ends_in_403_out_of_look_ahead_retries() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1), target(GW2)]));
    let b1 = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b1, "503 Service Unavailable", "g1", GW1, ""));
    let b2 = rig.take_request(GW2, Method::Invite);
    rig.deliver(GW2, &answer(&b2, "500 Server Error", "g2", GW2, ""));
    assert!(rig.statuses(CALLER).contains(&"403 Out of Look-Ahead Retries".to_owned()));
    assert_eq!(rig.b2bua.calls(), 0);
}

#[test]
fn every_gateway_refusing_the_codecs_ends_in_480_codec_mismatch() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1), target(GW2)]));
    let b1 = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b1, "488 Not Acceptable Here", "g1", GW1, ""));
    let b2 = rig.take_request(GW2, Method::Invite);
    rig.deliver(GW2, &answer(&b2, "415 Unsupported Media Type", "g2", GW2, ""));
    assert!(rig.statuses(CALLER).contains(&"480 Codec Mismatch".to_owned()));
}

#[test]
fn a_silent_gateway_is_cancelled_at_the_ring_timeout_and_the_next_one_tried() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    let mut first = target(GW1);
    first.ring_timeout = Some(Duration::from_secs(2));
    rig.decide(Plan::Sequential(vec![first, target(GW2)]));
    let b1 = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b1, "100 Trying", "", GW1, ""));
    rig.advance(Duration::from_secs(2));
    let cancel = rig.take_request(GW1, Method::Cancel);
    rig.deliver(GW1, &answer(&cancel, "200 OK", "g1", GW1, ""));
    rig.deliver(GW1, &answer(&b1, "487 Request Terminated", "g1", GW1, ""));
    rig.take_request(GW2, Method::Invite);
}

#[test]
fn bye_from_the_callee_ends_the_call_with_bye_to_the_caller() {
    let mut rig = Rig::new();
    let (b, tag) = answered_call(&mut rig);
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    rig.deliver(GW1, &from_gateway(&b, "BYE", 2, "gw"));
    assert_eq!(rig.statuses(GW1), vec!["200 OK"]);
    let bye = rig.take_request(CALLER, Method::Bye);
    assert_eq!(bye.headers.to_addr().unwrap().tag(), Some("caller"));
    assert_eq!(bye.headers.from_addr().unwrap().tag(), Some(tag.as_str()));
    assert!(rig.events.iter().any(|e| matches!(e, CallEvent::Ended { by: HangupBy::Callee, status: 200, .. })));
    assert_eq!(rig.b2bua.calls(), 0);
}

#[test]
fn a_hold_reinvite_crosses_to_the_other_leg_and_its_answer_comes_back_per_rfc3261_section_14() {
    let mut rig = Rig::new();
    let (_, tag) = answered_call(&mut rig);
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    let hold = SDP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 127.0.0.1\na=sendonly");
    rig.deliver(CALLER, &from_caller("INVITE", 2, &tag, &hold));
    let reinvite = rig.take_request(GW1, Method::Invite);
    assert_eq!(reinvite.headers.cseq().unwrap().seq, 2, "the B dialog's own CSeq");
    assert!(String::from_utf8_lossy(&reinvite.body).contains("sendonly"));
    rig.deliver(GW1, &answer(&reinvite, "200 OK", "", GW1, SDP));
    rig.take_request(GW1, Method::Ack);
    assert_eq!(rig.statuses(CALLER), vec!["200 OK"]);
}

#[test]
fn a_reinvite_while_one_is_pending_gets_491_per_rfc3261_section_14_2() {
    let mut rig = Rig::new();
    let (b, tag) = answered_call(&mut rig);
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    rig.deliver(CALLER, &from_caller("INVITE", 2, &tag, SDP));
    rig.take_request(GW1, Method::Invite);
    // The gateway's own re-INVITE crosses ours (glare).
    rig.deliver(GW1, &from_gateway(&b, "INVITE", 7, "gw"));
    assert_eq!(rig.statuses(GW1), vec!["491 Request Pending"]);
}

#[test]
fn in_dialog_info_is_relayed_and_answered_end_to_end() {
    let mut rig = Rig::new();
    let (_, tag) = answered_call(&mut rig);
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    rig.deliver(CALLER, &from_caller("INFO", 2, &tag, ""));
    let info = rig.take_request(GW1, Method::Info);
    rig.deliver(GW1, &answer(&info, "200 OK", "", GW1, ""));
    assert_eq!(rig.statuses(CALLER), vec!["200 OK"]);
}

#[test]
fn forked_contacts_ring_in_parallel_and_the_first_2xx_wins_per_rfc3261_section_16_7() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    let mut a = target(GW1);
    let mut b = target(GW2);
    a.gateway = None;
    b.gateway = None;
    a.failover = Failover::never();
    b.failover = Failover::never();
    rig.decide(Plan::Parallel(vec![a, b]));
    let i1 = rig.take_request(GW1, Method::Invite);
    let i2 = rig.take_request(GW2, Method::Invite);
    rig.deliver(GW1, &answer(&i1, "180 Ringing", "p1", GW1, ""));
    rig.deliver(GW2, &answer(&i2, "180 Ringing", "p2", GW2, ""));
    rig.deliver(GW2, &answer(&i2, "200 OK", "p2", GW2, SDP));
    let cancel = rig.take_request(GW1, Method::Cancel);
    assert!(cancel.headers.get(&HeaderName::Reason).is_some_and(|r| r.starts_with(b"SIP;cause=200")), "the loser logs no missed call");
    assert!(rig.statuses(CALLER).contains(&"200 OK".to_owned()));
}

#[test]
fn busy_from_every_contact_is_busy_for_the_caller() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    let (mut a, mut b) = (target(GW1), target(GW2));
    a.gateway = None;
    b.gateway = None;
    rig.decide(Plan::Parallel(vec![a, b]));
    let i1 = rig.take_request(GW1, Method::Invite);
    let i2 = rig.take_request(GW2, Method::Invite);
    rig.deliver(GW1, &answer(&i1, "486 Busy Here", "p1", GW1, ""));
    assert!(rig.statuses(CALLER).is_empty(), "waits for the other branch");
    rig.deliver(GW2, &answer(&i2, "486 Busy Here", "p2", GW2, ""));
    assert!(rig.statuses(CALLER).contains(&"486 Busy Here".to_owned()));
}

#[test]
fn a_rejecting_plan_answers_with_the_catalog_line_and_ends_the_call() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Reject(ringway_sdk::catalog::EMPTY_ROUTE_SET_480));
    assert!(rig.statuses(CALLER).contains(&"480 Empty Route Set".to_owned()));
    assert!(rig.events.iter().any(|e| matches!(e, CallEvent::Ended { status: 480, .. })));
    assert_eq!(rig.b2bua.calls(), 0);
}

#[test]
fn a_gateway_challenge_is_answered_once_with_its_credentials_per_rfc3261_section_22_2() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    let mut t = target(GW1);
    t.credentials = Some(("trunk".into(), "secret".into()));
    rig.decide(Plan::Sequential(vec![t]));
    let first = rig.take_request(GW1, Method::Invite);
    let challenge = answer(&first, "407 Proxy Authentication Required", "gw", GW1, "")
        .replace("Content-Length: 0", "Proxy-Authenticate: Digest realm=\"carrier\", nonce=\"abc\", qop=\"auth\"\nContent-Length: 0");
    rig.deliver(GW1, &challenge);
    let sent = rig.take(GW1);
    let second = sent
        .iter()
        .find_map(|m| match m {
            Message::Request(r) if r.method == Method::Invite => Some(r.clone()),
            _ => None,
        })
        .expect("the INVITE is resent");
    assert_eq!(second.headers.cseq().unwrap().seq, 2);
    assert_eq!(second.headers.call_id().unwrap(), first.headers.call_id().unwrap());
    let credentials = String::from_utf8_lossy(second.headers.get(&HeaderName::ProxyAuthorization).unwrap()).into_owned();
    assert!(credentials.contains("username=\"trunk\"") && credentials.contains("realm=\"carrier\""), "{credentials}");
}

#[test]
fn nothing_is_left_behind_once_a_call_is_over_and_its_transactions_have_terminated() {
    let mut rig = Rig::new();
    let (b, tag) = answered_call(&mut rig);
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    rig.advance(T1);
    rig.deliver(CALLER, &from_caller("BYE", 2, &tag, ""));
    let bye = rig.take_request(GW1, Method::Bye);
    rig.deliver(GW1, &answer(&bye, "200 OK", "", GW1, ""));
    let _ = b;
    for _ in 0..70 {
        rig.advance(T1);
    }
    assert_eq!(rig.b2bua.calls(), 0);
    assert_eq!(rig.b2bua.index_sizes(), (0, 0, 0, 0), "the maximum-duration timer goes with the call");
    assert_eq!(rig.transactions.stats().server_transactions + rig.transactions.stats().client_transactions, 0);
}

#[test]
fn a_gateway_that_answers_nothing_at_all_fails_over_at_the_ring_timeout_not_after_timer_b() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    let mut first = target(GW1);
    first.ring_timeout = Some(Duration::from_secs(3));
    rig.decide(Plan::Sequential(vec![first, target(GW2)]));
    rig.take_request(GW1, Method::Invite);
    rig.advance(Duration::from_secs(3));
    rig.take_request(GW2, Method::Invite);
}

#[test]
fn a_bye_from_the_caller_in_the_early_dialog_cancels_the_attempts_per_rfc3261_section_15() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b, "180 Ringing", "gw", GW1, ""));
    let ringing = rig.take(CALLER).into_iter().find(|m| matches!(m, Message::Response(r) if r.status.as_u16() == 180)).unwrap();
    rig.deliver(CALLER, &from_caller("BYE", 2, &to_tag(&ringing), ""));
    let to_caller = rig.statuses(CALLER);
    assert!(to_caller.contains(&"200 OK".to_owned()) && to_caller.contains(&"487 Request Terminated".to_owned()), "{to_caller:?}");
    rig.take_request(GW1, Method::Cancel);
}

fn invite_without_offer() -> String {
    format!(
        "INVITE sip:+74951234567@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:{CALLER};branch=z9hG4bKlate\nMax-Forwards: 70\n\
         From: \"Agent\" <sip:1001@127.0.0.1>;tag=caller\nTo: <sip:+74951234567@127.0.0.1>\nCall-ID: a-leg\nCSeq: 1 INVITE\n\
         Contact: <sip:1001@127.0.0.1:{CALLER}>\nContent-Length: 0\n\n"
    )
}

#[test]
fn with_a_late_offer_the_b_leg_ack_waits_for_the_callers_answer_even_across_2xx_retransmissions_per_rfc3261_section_13_2_1() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite_without_offer());
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b = rig.take_request(GW1, Method::Invite);
    assert!(b.body.is_empty(), "no offer to pass on");
    rig.deliver(GW1, &answer(&b, "200 OK", "gw", GW1, SDP));
    let ok = rig.take(CALLER).into_iter().find(|m| matches!(m, Message::Response(r) if r.status.as_u16() == 200)).unwrap();
    assert!(!ok.body().is_empty(), "the gateway's offer reaches the caller");
    rig.deliver(GW1, &answer(&b, "200 OK", "gw", GW1, SDP));
    assert!(rig.take(GW1).is_empty(), "no ACK without the answer, and certainly no BYE");
    rig.deliver(CALLER, &from_caller("ACK", 1, &to_tag(&ok), SDP));
    let ack = rig.take_request(GW1, Method::Ack);
    assert!(!ack.body.is_empty(), "the ACK carries the caller's answer");
    rig.deliver(GW1, &answer(&b, "200 OK", "gw", GW1, SDP));
    rig.take_request(GW1, Method::Ack);
}

#[test]
fn a_retransmitted_2xx_to_a_relayed_reinvite_is_acked_again_per_rfc3261_section_13_2_2_4() {
    let mut rig = Rig::new();
    let (_, tag) = answered_call(&mut rig);
    rig.deliver(CALLER, &from_caller("ACK", 1, &tag, ""));
    rig.deliver(CALLER, &from_caller("INVITE", 2, &tag, SDP));
    let reinvite = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&reinvite, "200 OK", "", GW1, SDP));
    let first = rig.take_request(GW1, Method::Ack);
    rig.deliver(GW1, &answer(&reinvite, "200 OK", "", GW1, SDP));
    let again = rig.take_request(GW1, Method::Ack);
    assert_eq!(first.headers.cseq().unwrap().seq, again.headers.cseq().unwrap().seq);
}

#[test]
fn a_2xx_crossing_the_cancel_is_ended_even_after_the_callers_invite_transaction_is_gone() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide(Plan::Sequential(vec![target(GW1)]));
    let b = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b, "180 Ringing", "gw", GW1, ""));
    rig.deliver(CALLER, &cancel_from_caller(""));
    let terminated = rig.take(CALLER).into_iter().find(|m| matches!(m, Message::Response(r) if r.status.as_u16() == 487)).unwrap();
    rig.deliver(CALLER, &from_caller("ACK", 1, &to_tag(&terminated), "").replace("z9hG4bKc1ACK", "z9hG4bKa1"));
    rig.take(GW1);
    // The caller's INVITE transaction ends (Timer I); the gateway is slow.
    rig.advance(Duration::from_secs(6));
    rig.take(GW1);
    rig.deliver(GW1, &answer(&b, "200 OK", "gw", GW1, SDP));
    let sent = rig.take(GW1);
    assert!(sent.iter().any(|m| matches!(m, Message::Request(r) if r.method == Method::Ack)));
    assert!(sent.iter().any(|m| matches!(m, Message::Request(r) if r.method == Method::Bye)));
}

/// A dialplan run as the asker of a Dial (the machine itself is not driven here).
fn dialplan_asker() -> Asker {
    use ringway_dialplan::asterisk::{Channel, Dialplan, Machine};
    let plan = Dialplan::parse("t.conf", "[c]\nexten => 1,1,Dial(PJSIP/1@gw)\n").unwrap();
    let info = RouteInfo {
        request_uri: "sip:1@ringway".into(),
        caller: None,
        account: None,
        offered_codecs: Vec::new(),
        call_id: "a-leg".into(),
        caller_name: None,
        callee_name: None,
        source: flow(CALLER),
        headers: Vec::new(),
        context: Some("c".into()),
    };
    Asker::Dialplan(Box::new(crate::pbx::DialplanCall::new(Machine::new(&plan, "c", "1", Channel::default()), info, None)))
}

#[test]
fn a_dialplan_hears_of_a_busy_dial_instead_of_the_caller_and_its_next_dial_is_answered() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    rig.decide_from(Plan::Parallel(vec![target(GW1)]), Some(dialplan_asker()));
    let b1 = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b1, "486 Busy Here", "g1", GW1, ""));
    assert!(rig.statuses(CALLER).iter().all(|s| s.starts_with('1')), "the caller waits for the dialplan");
    let (attempts, rang_out) = rig.exhausted.pop().expect("the dialplan is told");
    assert_eq!(attempts.iter().map(|a| a.outcome).collect::<Vec<_>>(), [ringway_dialplan::Outcome::Status(486)]);
    assert!(!rang_out);

    rig.decide_from(Plan::Sequential(vec![target(GW2)]), Some(dialplan_asker()));
    let b2 = rig.take_request(GW2, Method::Invite);
    rig.deliver(GW2, &answer(&b2, "200 OK", "g2", GW2, SDP));
    assert!(rig.statuses(CALLER).contains(&"200 OK".to_owned()));
    assert!(rig.exhausted.is_empty());
}

#[test]
fn a_dial_that_rings_out_tells_the_dialplan_so() {
    let mut rig = Rig::new();
    rig.deliver(CALLER, &invite(1));
    let mut ringing = target(GW1);
    ringing.ring_timeout = Some(Duration::from_secs(1));
    ringing.failover = Failover::never();
    rig.decide_from(Plan::Parallel(vec![ringing]), Some(dialplan_asker()));
    let b1 = rig.take_request(GW1, Method::Invite);
    rig.deliver(GW1, &answer(&b1, "180 Ringing", "g1", GW1, ""));
    rig.advance(Duration::from_secs(1));
    let cancel = rig.take_request(GW1, Method::Cancel);
    rig.deliver(GW1, &answer(&cancel, "200 OK", "g1", GW1, ""));
    rig.deliver(GW1, &answer(&b1, "487 Request Terminated", "g1", GW1, ""));
    let (_, rang_out) = rig.exhausted.pop().expect("the dialplan is told");
    assert!(rang_out, "NOANSWER");
}
