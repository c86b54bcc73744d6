//! Retransmission schedules over UDP, asserted exactly in virtual time.

use super::sim::{Fate, Side, Sim, ev, kinds, ms, secs};
use crate::sip::Transport;
use crate::sip::message::Method;
use crate::sip::transaction::{ClientState, ServerState, TimerConfig};

#[test]
fn an_unanswered_invite_is_retransmitted_by_timer_a_and_times_out_with_timer_b_per_rfc3261_section_17_1_1_2() {
    let mut sim = Sim::new(Transport::Udp);
    sim.network(|s| if s.from == Side::Uac { Fate::Drop } else { Fate::Deliver });
    let tx = sim.send(sim.request(Method::Invite, "z9hG4bKinv1"));
    sim.run_until(secs(60));
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    let flags: Vec<bool> = sim.sent.iter().map(|s| s.retransmission).collect();
    assert_eq!(flags, [false, true, true, true, true, true, true]);
    assert_eq!(kinds(&sim.uac_events), ev(&[(32000, "Timeout"), (32000, "ClientTerminated")]));
    assert_eq!(sim.uac.client_state(tx), None);
    assert_eq!(sim.uac.stats().retransmissions_sent_requests, 6);
    assert_eq!(sim.uac.stats().client_transactions, 0);
    assert_eq!(sim.uac.poll_timeout(), None);
}

#[test]
fn an_unanswered_non_invite_is_retransmitted_by_timer_e_capped_at_t2_and_times_out_with_timer_f_per_rfc3261_section_17_1_2_2() {
    let mut sim = Sim::new(Transport::Udp);
    sim.network(|s| if s.from == Side::Uac { Fate::Drop } else { Fate::Deliver });
    sim.send(sim.request(Method::Options, "z9hG4bKopt1"));
    sim.run_until(secs(60));
    assert_eq!(
        sim.times(Side::Uac, "OPTIONS"),
        [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]
    );
    assert_eq!(kinds(&sim.uac_events), ev(&[(32000, "Timeout"), (32000, "ClientTerminated")]));
}

#[test]
fn a_lost_486_is_retransmitted_by_timer_g_until_the_layers_own_ack_stops_it_then_timer_i_per_rfc3261_section_17_2_1() {
    let mut sim = Sim::new(Transport::Udp);
    // Until 13 s the UAS hears nothing more from the UAC and the UAC hears none of the 486s.
    sim.network(|s| {
        let blackout = s.at > ms(0) && s.at < secs(13);
        let lost_486 = s.from == Side::Uas && s.line.starts_with("SIP/2.0 486") && s.at < secs(13);
        if (s.from == Side::Uac && blackout) || lost_486 { Fate::Drop } else { Fate::Deliver }
    });
    let tx = sim.send(sim.request(Method::Invite, "z9hG4bKbusy"));
    sim.answer(486).unwrap();
    let (server_tx, _) = sim.uas_requests()[0].clone();
    assert_eq!(sim.uas.server_state(server_tx), Some(ServerState::Completed));
    sim.run_until(secs(60));
    // Timer G: T1, 2·T1, 4·T1, then T2; at 15.5 s the INVITE retransmission also gets the 486.
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 486"), [0, 500, 1500, 3500, 7500, 11500, 15500, 15500]);
    assert_eq!(sim.times(Side::Uac, "ACK"), [15500, 15500]);
    let ack = sim.sent.iter().find(|s| s.line.starts_with("ACK")).unwrap();
    let ack_text = String::from_utf8_lossy(&ack.payload);
    assert!(ack_text.contains("branch=z9hG4bKbusy"), "the ACK shares the INVITE's branch: {ack_text}");
    assert!(ack_text.contains("CSeq: 1 ACK"));
    assert!(ack_text.contains(";tag="), "the ACK's To carries the response's tag");
    assert_eq!(sim.uas.stats().retransmissions_absorbed, 2, "one INVITE and one ACK retransmission");
    assert_eq!(
        kinds(&sim.uas_events),
        ev(&[(0, "Request INVITE"), (20500, "ServerTerminated")]),
        "the ACK is absorbed (Confirmed), Timer I ends the transaction T4 later"
    );
    assert_eq!(
        kinds(&sim.uac_events),
        ev(&[(15500, "Response 486"), (47500, "ClientTerminated")]),
        "the 486 reaches the TU once; Timer D is 32 s"
    );
    assert_eq!(sim.uac.client_state(tx), None);
}

#[test]
fn a_lost_200_to_a_non_invite_is_resent_for_the_retransmitted_request_which_the_tu_never_sees_per_rfc3261_section_17_2_2() {
    let mut sim = Sim::new(Transport::Udp);
    let mut first_200 = true;
    sim.network(move |s| {
        if s.line.starts_with("SIP/2.0 200") && std::mem::take(&mut first_200) { Fate::Drop } else { Fate::Deliver }
    });
    sim.send(sim.request(Method::Message, "z9hG4bKmsg"));
    sim.answer(200).unwrap();
    sim.run_until(secs(40));
    assert_eq!(sim.times(Side::Uac, "MESSAGE"), [0, 500]);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 200"), [0, 500]);
    assert!(sim.sent.iter().filter(|s| s.from == Side::Uas).nth(1).unwrap().retransmission);
    assert_eq!(kinds(&sim.uas_events), ev(&[(0, "Request MESSAGE"), (32000, "ServerTerminated")]), "Timer J = 64·T1");
    assert_eq!(kinds(&sim.uac_events), ev(&[(500, "Response 200"), (5500, "ClientTerminated")]), "Timer K = T4");
    assert_eq!(sim.uas.stats().retransmissions_absorbed, 1);
    assert_eq!(sim.uas.stats().retransmissions_sent_responses, 1);
}

#[test]
fn a_duplicated_and_reordered_invite_reaches_the_tu_once_per_rfc3261_section_17_2_3() {
    let mut sim = Sim::new(Transport::Udp);
    let mut invites = 0;
    sim.network(move |s| {
        if !s.line.starts_with("INVITE") {
            return Fate::Deliver;
        }
        invites += 1;
        match invites {
            1 => Fate::Delay(secs(1)), // the original arrives after its retransmission
            2 => Fate::Duplicate,
            _ => Fate::Deliver,
        }
    });
    let tx = sim.send(sim.request(Method::Invite, "z9hG4bKdup"));
    sim.run_until(secs(2));
    assert_eq!(kinds(&sim.uas_events), ev(&[(500, "Request INVITE")]));
    assert_eq!(sim.uas.stats().retransmissions_absorbed, 2);
    assert_eq!(sim.times(Side::Uas, "SIP/2.0 100"), [700, 1000], "auto 100 at 200 ms, resent for the late original");
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 500], "the 100 stops Timer A");
    assert_eq!(kinds(&sim.uac_events), ev(&[(700, "Response 100"), (1000, "Response 100")]));
    assert_eq!(sim.uac.client_state(tx), Some(ClientState::Proceeding));
}

#[test]
fn the_retransmission_schedule_scales_with_a_configured_t1_and_t2_per_rfc3261_section_17_1_1_1() {
    let config = TimerConfig { t1: ms(100), t2: ms(400), ..TimerConfig::default() };
    let mut sim = Sim::with_config(Transport::Udp, config);
    sim.network(|s| if s.from == Side::Uac { Fate::Drop } else { Fate::Deliver });
    sim.send(sim.request(Method::Invite, "z9hG4bKfast1"));
    sim.send(sim.request(Method::Options, "z9hG4bKfast2"));
    sim.run_until(secs(10));
    assert_eq!(sim.times(Side::Uac, "INVITE"), [0, 100, 300, 700, 1500, 3100, 6300]);
    let options = sim.times(Side::Uac, "OPTIONS");
    assert_eq!(options[..6], [0, 100, 300, 700, 1100, 1500]);
    assert_eq!(*options.last().unwrap(), 6300);
    assert_eq!(
        kinds(&sim.uac_events),
        ev(&[(6400, "Timeout"), (6400, "ClientTerminated"), (6400, "Timeout"), (6400, "ClientTerminated")]),
        "Timers B and F are 64·T1"
    );
}
