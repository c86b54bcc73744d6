//! Lifecycles: 2xx and RFC 6026, CANCEL, RFC 2543 matching, the layer's own answers, reliable
//! transports and transport errors.

use super::sim::{Fate, Side, Sim, UAC_ADDR, UAS_ADDR, addr, ev, kinds, ms, request, response_to, secs};
use crate::sip::message::{HeaderName, Method, Request, Response};
use crate::sip::transaction::{
    ClientState, Event, RespondError, SendError, ServerState, TimerConfig, TransactionLayer,
};
use crate::sip::{Flow, Transport};
use ringway_sdk::StatusCode;

#[test]
fn a_2xx_moves_both_invite_transactions_to_accepted_with_timers_l_and_m_per_rfc6026_section_8() {
    let mut sim = Sim::new(Transport::Udp);
    let mut first_200 = true;
    sim.network(move |s| {
        if s.line.starts_with("SIP/2.0 200") && std::mem::take(&mut first_200) { Fate::Drop } else { Fate::Deliver }
    });
    let tx = sim.send(sim.request(Method::Invite, "z9hG4bKok"));
    sim.answer(200).unwrap();
    let (server_tx, invite) = sim.uas_requests()[0].clone();
    assert_eq!(sim.uas.server_state(server_tx), Some(ServerState::Accepted));
    sim.run_until(ms(500));
    // The retransmitted INVITE is absorbed silently: the 2xx is the TU's to retransmit.
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 500]);
    assert_eq!(sim.uas.stats().retransmissions_absorbed, 1);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 200"), [0]);
    // The dialog layer retransmits its 2xx; Accepted passes each one on.
    sim.answer_tx(server_tx, &invite, 200).unwrap();
    sim.run_until(ms(1500));
    sim.answer_tx(server_tx, &invite, 200).unwrap();
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 200"), [0, 500, 1500]);
    assert_eq!(sim.uac.client_state(tx), Some(ClientState::Accepted));
    // The UAC's dialog layer ACKs the 2xx outside any transaction; the UAS hands it up.
    let mut ack = sim.request(Method::Ack, "z9hG4bKack");
    ack.headers.set(HeaderName::CSeq, "1 ACK");
    sim.uac.send_ack(sim.now, ack, sim.uac_flow());
    sim.settle();
    assert_eq!(sim.answer_tx(server_tx, &invite, 486), Err(RespondError::AlreadyFinal { tx: server_tx, status: StatusCode::BUSY_HERE }));
    sim.run_until(secs(40));
    assert_eq!(
        kinds(&sim.uac_events),
        ev(&[(500, "Response 200"), (1500, "Response 200"), (32500, "ClientTerminated")]),
        "every 2xx reaches the TU; Timer M = 64·T1 from the first"
    );
    assert_eq!(
        kinds(&sim.uas_events),
        ev(&[(0, "Request INVITE"), (1500, "Ack"), (32000, "ServerTerminated")]),
        "Timer L = 64·T1"
    );
    // After Timer L the TU can no longer send; after Timer M a late 2xx is a stray.
    assert_eq!(sim.answer_tx(server_tx, &invite, 200), Err(RespondError::UnknownTransaction(server_tx)));
    let late = response_to(&invite, 200);
    let flow = sim.uac_flow();
    sim.uac.handle_response(sim.now, late, flow);
    assert_eq!(sim.uac.poll_event(), None);
    assert_eq!(sim.uac.stats().stray_responses, 1);
}

#[test]
fn a_cancel_for_a_pending_invite_gets_200_and_tells_the_tu_which_answers_487_per_rfc3261_section_9() {
    let mut sim = Sim::new(Transport::Udp);
    let invite_tx = sim.send(sim.request(Method::Invite, "z9hG4bKcan"));
    sim.run_until(secs(1));
    assert_eq!(sim.uac.client_state(invite_tx), Some(ClientState::Proceeding), "the auto 100 arrived");
    let cancel_tx = sim.uac.cancel(sim.now, invite_tx).unwrap().expect("sent at once after a provisional");
    sim.settle();
    let cancel = sim.sent.iter().find(|s| s.line.starts_with("CANCEL")).unwrap();
    let text = String::from_utf8_lossy(&cancel.payload);
    assert!(text.starts_with("CANCEL sip:bob@192.0.2.20 SIP/2.0\r\n"));
    assert!(text.contains("branch=z9hG4bKcan") && text.contains("CSeq: 1 CANCEL"), "{text}");
    let (server_tx, invite) = sim.uas_requests()[0].clone();
    assert_eq!(kinds(&sim.uas_events), ev(&[(0, "Request INVITE"), (1000, "Cancelled")]));
    assert!(matches!(sim.uas_events[1].1, Event::Cancelled { invite, .. } if invite == server_tx));
    sim.answer_tx(server_tx, &invite, 487).unwrap();
    sim.run_until(secs(60));
    let uac: Vec<_> = sim.uac_events.iter().filter_map(|(_, e)| match e {
        Event::Response { tx, response } => Some((*tx, response.status.as_u16())),
        _ => None,
    }).collect();
    assert_eq!(uac, [(invite_tx, 100), (cancel_tx, 200), (invite_tx, 487)]);
    assert_eq!(sim.times(Side::Uac, "ACK"), [1000], "the layer ACKs the 487");
    let ok = sim.sent.iter().find(|s| s.line.starts_with("SIP/2.0 200")).unwrap();
    let tag = format!("tag={}", crate::sip::ident::tag_for_request(&invite.headers));
    assert!(String::from_utf8_lossy(&ok.payload).contains(&tag), "the CANCEL's 200 carries the INVITE's To tag");
    assert_eq!(sim.uas.stats().server_transactions, 0);
    assert_eq!(sim.uac.stats().client_transactions, 0);
}

#[test]
fn a_cancel_before_any_provisional_waits_for_the_first_one_per_rfc3261_section_9_1() {
    let mut sim = Sim::new(Transport::Udp);
    let invite_tx = sim.send(sim.request(Method::Invite, "z9hG4bKearly"));
    assert_eq!(sim.uac.cancel(sim.now, invite_tx), Ok(None));
    sim.settle();
    assert!(sim.times(Side::Uac, "CANCEL").is_empty());
    sim.run_until(secs(1));
    assert_eq!(sim.times(Side::Uac, "CANCEL"), [200], "sent when the auto 100 arrives");
    assert_eq!(kinds(&sim.uas_events)[1], (200, "Cancelled".to_owned()));
}

#[test]
fn a_cancel_matching_no_transaction_is_answered_481_without_bothering_the_tu_per_rfc3261_section_9_2() {
    let mut sim = Sim::new(Transport::Udp);
    let tx = sim.send(sim.request(Method::Cancel, "z9hG4bKnothing"));
    sim.run_until(secs(1));
    assert!(sim.uas_events.is_empty());
    let (_, event) = &sim.uac_events[0];
    let Event::Response { tx: got, response } = event else { panic!("{event:?}") };
    assert_eq!((*got, response.status), (tx, StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST));
    assert!(response.headers.to_addr().unwrap().tag().is_some(), "a final from the layer has a To tag");
}

fn rfc2543_invite() -> Request {
    let mut r = Request::new(Method::Invite, "sip:bob@192.0.2.20");
    r.headers.push(HeaderName::Via, "SIP/2.0/UDP 192.0.2.10:5060");
    r.headers.push(HeaderName::From, "<sip:alice@example.com>;tag=old1");
    r.headers.push(HeaderName::To, "<sip:bob@example.com>");
    r.headers.push(HeaderName::CallId, "2543@192.0.2.10");
    r.headers.push(HeaderName::CSeq, "5 INVITE");
    r
}

#[test]
fn a_branchless_rfc2543_invite_and_its_ack_match_by_dialog_fields_and_the_response_to_tag_per_rfc3261_section_17_2_3() {
    let mut layer = TransactionLayer::new(TimerConfig::default());
    #[allow(clippy::disallowed_methods)] // the test's fake clock needs an origin
    let now = std::time::Instant::now();
    let flow = Flow { transport: Transport::Udp, local: addr(UAS_ADDR), remote: addr(UAC_ADDR) };
    layer.handle_request(now, rfc2543_invite(), flow, flow);
    layer.handle_request(now, rfc2543_invite(), flow, flow);
    let events: Vec<_> = std::iter::from_fn(|| layer.poll_event()).collect();
    assert_eq!(events.len(), 1, "the retransmission is absorbed");
    let Event::Request { tx, request, .. } = &events[0] else { panic!() };
    let mut busy = Response::to_request(&request.headers, StatusCode::BUSY_HERE, None);
    busy.headers.set(HeaderName::To, "<sip:bob@example.com>;tag=uas9");
    layer.respond(now, *tx, busy).unwrap();
    // An ACK with another To tag is not this transaction's.
    let mut ack = rfc2543_invite();
    ack.method = Method::Ack;
    ack.headers.set(HeaderName::CSeq, "5 ACK");
    ack.headers.set(HeaderName::To, "<sip:bob@example.com>;tag=other");
    layer.handle_request(now, ack.clone(), flow, flow);
    assert!(matches!(layer.poll_event(), Some(Event::Ack { .. })));
    assert_eq!(layer.server_state(*tx), Some(ServerState::Completed));
    ack.headers.set(HeaderName::To, "<sip:bob@example.com>;tag=uas9");
    layer.handle_request(now, ack, flow, flow);
    assert_eq!(layer.poll_event(), None);
    assert_eq!(layer.server_state(*tx), Some(ServerState::Confirmed));
}

#[test]
fn the_layer_sends_100_trying_after_200_ms_of_tu_silence_but_not_when_the_tu_answers_at_once_per_rfc3261_section_17_2_1() {
    let mut sim = Sim::new(Transport::Udp);
    sim.send(sim.request(Method::Invite, "z9hG4bKslow"));
    sim.run_until(secs(2));
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 100 Trying"), [200]);
    assert_eq!(kinds(&sim.uac_events), ev(&[(200, "Response 100")]));

    let mut sim = Sim::new(Transport::Udp);
    sim.send(sim.request(Method::Invite, "z9hG4bKfast"));
    sim.answer(180).unwrap();
    sim.run_until(secs(2));
    assert!(sim.times(Side::Uas, "SIP/2.0 100").is_empty());
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 180"), [0]);
}

#[test]
fn a_non_invite_the_tu_never_answers_gets_500_after_64_t1_and_an_error_is_counted() {
    let mut sim = Sim::new(Transport::Udp);
    sim.send(sim.request(Method::Options, "z9hG4bKmute"));
    sim.run_until(secs(70));
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 500 Internal Server Error"), [32000]);
    let five_hundred = sim.sent.iter().find(|s| s.line.starts_with("SIP/2.0 500")).unwrap();
    assert!(String::from_utf8_lossy(&five_hundred.payload).contains(";tag="), "final responses carry a To tag");
    assert_eq!(sim.uas.stats().tu_unanswered, 1);
    assert_eq!(sim.uas.stats().server_transactions, 0);
    let (tx, request) = sim.uas_requests()[0].clone();
    assert_eq!(sim.answer_tx(tx, &request, 200), Err(RespondError::UnknownTransaction(tx)));
}

#[test]
fn an_invite_the_tu_never_answers_gets_500_after_180_s_which_the_uac_acks() {
    let mut sim = Sim::new(Transport::Udp);
    let tx = sim.send(sim.request(Method::Invite, "z9hG4bKmute"));
    sim.run_until(secs(300));
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 500"), [180000]);
    assert_eq!(sim.times(Side::Uac, "ACK"), [180000]);
    assert_eq!(sim.uas.stats().tu_unanswered, 1);
    assert_eq!(kinds(&sim.uas_events).last().unwrap(), &(185000, "ServerTerminated".to_owned()), "Timer I");
    assert_eq!(sim.uac.client_state(tx), None);
}

#[test]
fn over_tcp_nothing_is_retransmitted_and_timers_d_i_j_k_are_zero_per_rfc3261_section_17() {
    let mut sim = Sim::new(Transport::Tcp);
    sim.send(sim.request(Method::Invite, "z9hG4bKtcp1"));
    sim.answer(486).unwrap();
    sim.send(sim.request(Method::Options, "z9hG4bKtcp2"));
    sim.answer(200).unwrap();
    assert_eq!(
        kinds(&sim.uac_events),
        ev(&[(0, "Response 486"), (0, "ClientTerminated"), (0, "Response 200"), (0, "ClientTerminated")]),
        "Timers D and K are zero"
    );
    assert_eq!(
        kinds(&sim.uas_events),
        ev(&[(0, "Request INVITE"), (0, "ServerTerminated"), (0, "Request OPTIONS"), (0, "ServerTerminated")]),
        "Timers I and J are zero"
    );
    // An unanswered request over TCP is sent once and times out with Timer B.
    sim.network(|s| if s.from == Side::Uac { Fate::Drop } else { Fate::Deliver });
    sim.send(sim.request(Method::Invite, "z9hG4bKtcp3"));
    sim.run_until(secs(60));
    assert!(sim.sent.iter().all(|s| !s.retransmission));
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 0]);
    assert_eq!(kinds(&sim.uac_events)[4..], ev(&[(32000, "Timeout"), (32000, "ClientTerminated")]));
}

#[test]
fn a_transport_error_ends_every_client_transaction_on_that_flow_per_rfc3261_section_17_1_4() {
    let mut sim = Sim::new(Transport::Tcp);
    let invite = sim.send(sim.request(Method::Invite, "z9hG4bKerr1"));
    let options = sim.send(sim.request(Method::Options, "z9hG4bKerr2"));
    let elsewhere = Flow { remote: addr("198.51.100.7:5060"), ..sim.uac_flow() };
    let other = sim.uac.send_request(sim.now, request(Method::Options, "z9hG4bKerr3", Transport::Tcp), elsewhere).unwrap();
    while sim.uac.poll_transmit().is_some() {}
    sim.uac.handle_transport_error(sim.now, sim.uac_flow());
    let events: Vec<_> = std::iter::from_fn(|| sim.uac.poll_event()).collect();
    assert_eq!(
        events,
        [
            Event::TransportError { tx: invite },
            Event::ClientTerminated { tx: invite },
            Event::TransportError { tx: options },
            Event::ClientTerminated { tx: options },
        ]
    );
    assert_eq!(sim.uac.client_state(other), Some(ClientState::Trying));
    assert_eq!(sim.uac.stats().client_transactions, 1);
    assert_eq!(sim.uac.poll_timeout(), Some(sim.now + secs(32)), "only the other flow's Timer F is left");
}

#[test]
fn commands_that_make_no_sense_are_refused_with_typed_errors() {
    let mut sim = Sim::new(Transport::Udp);
    let flow = sim.uac_flow();
    let now = sim.now;
    assert_eq!(sim.uac.send_request(now, sim.request(Method::Ack, "z9hG4bKa"), flow), Err(SendError::Ack));
    assert_eq!(sim.uac.send_request(now, sim.request(Method::Options, "old"), flow), Err(SendError::NoBranch));
    let options = sim.uac.send_request(now, sim.request(Method::Options, "z9hG4bKo"), flow).unwrap();
    assert_eq!(sim.uac.send_request(now, sim.request(Method::Options, "z9hG4bKo"), flow), Err(SendError::DuplicateBranch));
    assert_eq!(sim.uac.cancel(now, options), Err(SendError::NotInvite(options)));
}
