//! Calls through the real binary (RFC 3261 §13–§17 as a B2BUA plays them): the test is the
//! caller, the carrier gateway and the registered phones, each a UDP socket on 127.0.0.1 speaking
//! hand-written SIP. Covers admission control (503 with Retry-After), the call metrics, calls to
//! registered users (parallel forking, 480, 404) and the routing tables' config errors.

use ringway_tests::register::RegisterClient;
use ringway_tests::digest::Algorithm;
use ringway_tests::sip_peer::{ANSWER, OutgoingCall, Peer, Received, WAIT};
use ringway_tests::{Ringway, ScratchDir, http_get, ringway_bin, status_of};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// What the caller dials toward the gateway: any number matches the catch-all route.
const NUMBER: &str = "5551000";

/// A config where 127.0.0.0/8 is a trusted dialer acting as account 1001 and every number is
/// routed to the one gateway at `gateway`; `calls` are the `[calls]` keys.
fn gateway_config(gateway: SocketAddr, calls: &str) -> String {
    format!(
        r#"[sip]
listen = ["udp:127.0.0.1:0"]
[http]
listen = "127.0.0.1:0"
[calls]
{calls}
[[accounts]]
username = "1001"
password = "secret1001"
[[trusted]]
name = "dialer"
networks = ["127.0.0.0/8"]
account = "1001"
[[gateways]]
name = "gw1"
address = "{gateway}"
[[gateway_groups]]
name = "carriers"
members = [{{ gateway = "gw1" }}]
[[routes]]
prefix = ""
group = "carriers"
"#
    )
}

/// A config with accounts 2001 and 2002 and no routes, where 127.0.0.0/8 is a trusted peer
/// acting as no account (so it may register any of them without digest).
const USERS_CONFIG: &str = r#"[sip]
listen = ["udp:127.0.0.1:0"]
[http]
listen = "127.0.0.1:0"
[[accounts]]
username = "2001"
password = "secret2001"
[[accounts]]
username = "2002"
password = "secret2002"
[[trusted]]
name = "lan"
networks = ["127.0.0.0/8"]
"#;

/// The URI the caller dials toward the gateway.
fn gateway_uri() -> String {
    format!("sip:{NUMBER}@ringway.test")
}

/// Places a call that the gateway answers with 180: returns the caller's side and the INVITE the
/// gateway got (the B-leg).
fn ringing_call(caller: &Peer, gateway: &Peer, server: SocketAddr, id: &str) -> (OutgoingCall, Received) {
    let call = OutgoingCall::start(caller, server, &gateway_uri(), id);
    let invite = gateway.expect_request("INVITE");
    assert!(
        invite.request_uri().is_some_and(|uri| uri.starts_with(&format!("sip:{NUMBER}@"))),
        "the gateway is asked for the dialed number:\n{}",
        invite.text
    );
    assert_ne!(invite.call_id(), call.call_id, "a B2BUA's B-leg is its own dialog (own Call-ID)");
    gateway.respond(&invite, 180, "Ringing", &format!("gw-{id}"), "", "");
    let ringing = call.expect_response(caller, 180);
    assert_eq!(ringing.start_line(), "SIP/2.0 180 Ringing");
    (call, invite)
}

/// The gateway answers a ringing call with 200 and the SDP answer; Ringway ACKs it at the
/// gateway's Contact (RFC 3261 §13.2.2.4) and relays the 200 with the answer to the caller, who
/// ACKs it.
fn answer(caller: &Peer, gateway: &Peer, call: &mut OutgoingCall, b_invite: &Received, id: &str) {
    let gateway_contact = format!("sip:gw@{}", gateway.addr());
    gateway.respond(b_invite, 200, "OK", &format!("gw-{id}"), &format!("Contact: <{gateway_contact}>\r\n"), ANSWER);
    let ack = gateway.expect_request("ACK");
    assert_eq!(ack.call_id(), b_invite.call_id(), "{}", ack.text);
    assert_eq!(ack.cseq(), (1, "ACK"), "{}", ack.text);
    assert_eq!(ack.request_uri(), Some(gateway_contact.as_str()), "the ACK of a 2xx goes to the remote target\n{}", ack.text);
    let ok = call.expect_response(caller, 200);
    assert_eq!(ok.start_line(), "SIP/2.0 200 OK");
    assert!(ok.to_tag().is_some(), "{}", ok.text);
    assert!(ok.body().contains("m=audio 50000 RTP/AVP 0"), "the callee's answer reaches the caller\n{}", ok.text);
    call.ack(caller, &ok);
}

/// The caller hangs up an answered call: Ringway answers its BYE with 200 and sends BYE on the
/// gateway's dialog (RFC 3261 §15.1.2), which the gateway answers.
fn hang_up(caller: &Peer, gateway: &Peer, call: &mut OutgoingCall, b_invite: &Received) {
    let cseq = call.bye(caller);
    call.expect_bye_response(caller, cseq, 200);
    let bye = gateway.expect_request("BYE");
    assert_eq!(bye.call_id(), b_invite.call_id(), "{}", bye.text);
    gateway.respond(&bye, 200, "OK", "unused", "", "");
}

/// The `name{labels} value` lines of one metric family in `/metrics`.
fn series(http: SocketAddr, name: &str) -> Vec<String> {
    let text = http_get(http, "/metrics").unwrap();
    text.lines()
        .filter(|l| l.strip_prefix(name).is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{')))
        .map(str::to_owned)
        .collect()
}

#[test]
fn beyond_max_calls_a_new_call_gets_503_with_retry_after_and_the_admitted_call_completes_per_rfc3261_section_21_5_4() {
    let caller = Peer::bind("caller");
    let gateway = Peer::bind("gateway");
    // retry_after_secs is not the default 5, so that the answer shows the key is honoured.
    let ringway = Ringway::start_with_config(&gateway_config(gateway.addr(), "max_calls = 1\nmax_calls_per_second = 0\nretry_after_secs = 7")).unwrap();
    let server = ringway.udp.unwrap();

    let (mut first, first_b) = ringing_call(&caller, &gateway, server, "limit-1");

    let mut second = OutgoingCall::start(&caller, server, &gateway_uri(), "limit-2");
    let refused = second.expect_response(&caller, 503);
    assert_eq!(refused.start_line(), "SIP/2.0 503 Service Unavailable", "{}", refused.text);
    assert_eq!(refused.header("Retry-After"), Some("7"), "§20.33: when to try again\n{}", refused.text);
    assert!(refused.to_tag().is_some(), "§8.2.6.2: a final answer carries a To tag\n{}", refused.text);
    second.ack(&caller, &refused);

    // The refusal did not touch the admitted call: it is answered and hung up normally, and
    // the refused call never reached the gateway (its next message is call 1's ACK).
    answer(&caller, &gateway, &mut first, &first_b, "limit-1");
    hang_up(&caller, &gateway, &mut first, &first_b);

    // Call 1 ended, so its place is free again.
    let mut third = OutgoingCall::start(&caller, server, &gateway_uri(), "limit-3");
    let third_b = gateway.expect_request("INVITE");
    assert_ne!(third_b.call_id(), first_b.call_id(), "{}", third_b.text);
    gateway.respond(&third_b, 486, "Busy Here", "gw-limit-3", "", "");
    let ack = gateway.expect_request("ACK");
    assert_eq!(ack.branch(), third_b.branch(), "§17.1.1.3: the ACK of a failure is in the INVITE's transaction\n{}", ack.text);
    let busy = third.expect_response(&caller, 486);
    assert_eq!(busy.start_line(), "SIP/2.0 486 Busy Here", "the callee's answer is passed back\n{}", busy.text);
    third.ack(&caller, &busy);
}

#[test]
fn beyond_max_calls_per_second_the_excess_invites_get_503_with_retry_after_per_rfc3261_section_21_5_4() {
    let caller = Peer::bind("caller");
    let gateway = Peer::bind("gateway");
    let ringway = Ringway::start_with_config(&gateway_config(gateway.addr(), "max_calls = 0\nmax_calls_per_second = 2\nretry_after_secs = 7")).unwrap();
    let server = ringway.udp.unwrap();

    let mut calls: Vec<OutgoingCall> =
        (1..=5).map(|n| OutgoingCall::start(&caller, server, &gateway_uri(), &format!("rate-{n}"))).collect();

    // The gateway turns down whatever reaches it; the caller collects one final answer per call.
    let mut finals: HashMap<String, Received> = HashMap::new();
    let mut reached = 0;
    #[allow(clippy::disallowed_methods)] // the test's own deadline, not a protocol timer
    let deadline = std::time::Instant::now() + WAIT;
    #[allow(clippy::disallowed_methods)]
    while finals.len() < calls.len() && std::time::Instant::now() < deadline {
        while let Some(message) = gateway.recv_new(Duration::from_millis(20)) {
            match message.method() {
                Some("INVITE") => {
                    reached += 1;
                    gateway.respond(&message, 486, "Busy Here", &format!("gw-rate-{reached}"), "", "");
                }
                Some("ACK") => {}
                _ => panic!("gateway: unexpected\n{}", message.text),
            }
        }
        while let Some(message) = caller.recv_new(Duration::from_millis(20)) {
            let call = calls.iter().find(|c| c.is_invite_response(&message));
            let Some(call) = call else { panic!("caller: unexpected\n{}", message.text) };
            if message.status().is_some_and(|s| s >= 200) {
                assert!(finals.insert(call.call_id.clone(), message.clone()).is_none(), "two final answers:\n{}", message.text);
            }
        }
    }
    assert_eq!(finals.len(), calls.len(), "a final answer for every INVITE: {finals:#?}");
    for call in &mut calls {
        let answer = finals[&call.call_id].clone();
        call.ack(&caller, &answer);
    }

    let refused: Vec<&Received> = finals.values().filter(|m| m.status() == Some(503)).collect();
    for answer in &refused {
        assert_eq!(answer.start_line(), "SIP/2.0 503 Service Unavailable", "{}", answer.text);
        assert_eq!(answer.header("Retry-After"), Some("7"), "{}", answer.text);
    }
    let busy = finals.values().filter(|m| m.start_line() == "SIP/2.0 486 Busy Here").count();
    assert!(refused.len() >= 3, "2 calls per second admitted at most, {} refused of 5", refused.len());
    assert!((1..=2).contains(&reached), "the first INVITE is admitted and at most two are: {reached} reached the gateway");
    assert_eq!(busy, reached, "every admitted call reached the gateway and got its answer");
    assert_eq!(refused.len() + busy, 5, "{finals:#?}");
}

#[test]
fn after_a_completed_call_the_metrics_show_no_call_in_progress_and_one_ended_with_200() {
    let caller = Peer::bind("caller");
    let gateway = Peer::bind("gateway");
    let ringway = Ringway::start_with_config(&gateway_config(gateway.addr(), "")).unwrap();
    let (server, http) = (ringway.udp.unwrap(), ringway.http.unwrap());
    assert_eq!(series(http, "ringway_calls"), ["ringway_calls 0"]);

    let (mut call, b_invite) = ringing_call(&caller, &gateway, server, "metrics-1");
    answer(&caller, &gateway, &mut call, &b_invite, "metrics-1");
    assert_eq!(series(http, "ringway_calls"), ["ringway_calls 1"], "an answered call is in progress");
    assert!(series(http, "ringway_calls_ended_total").is_empty());

    hang_up(&caller, &gateway, &mut call, &b_invite);
    assert_eq!(series(http, "ringway_calls"), ["ringway_calls 0"]);
    assert_eq!(series(http, "ringway_calls_ended_total"), ["ringway_calls_ended_total{status=\"200\"} 1"]);
}

/// Registers `contact` for `user` from a trusted address (no digest); the 200 lists it.
fn register(ringway: &Ringway, user: &str, contact: &str) {
    let mut client = RegisterClient::new(ringway.udp.unwrap(), user, "unused: trusted peer", Algorithm::Sha256).unwrap();
    let ok = client.register_unauthenticated(&format!("Contact: <{contact}>\r\nExpires: 300\r\n")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    assert!(ok.contains(&format!("<{contact}>")), "{ok}");
}

#[test]
fn an_invite_to_a_registered_user_reaches_its_contact_per_rfc3261_section_10_and_16_5() {
    let caller = Peer::bind("caller");
    let phone = Peer::bind("phone");
    let ringway = Ringway::start_with_config(USERS_CONFIG).unwrap();
    let contact = format!("sip:2001@{}", phone.addr());
    register(&ringway, "2001", &contact);

    let mut call = OutgoingCall::start(&caller, ringway.udp.unwrap(), "sip:2001@ringway", "user-1");
    let invite = phone.expect_request("INVITE");
    assert_eq!(invite.request_uri(), Some(contact.as_str()), "the Request-URI is the registered contact\n{}", invite.text);
    assert!(invite.body().contains("m=audio 40000"), "the caller's offer is passed on\n{}", invite.text);
    phone.respond(&invite, 486, "Busy Here", "phone-1", "", "");
    let ack = phone.expect_request("ACK");
    assert_eq!(ack.branch(), invite.branch(), "{}", ack.text);
    let busy = call.expect_response(&caller, 486);
    assert_eq!(busy.start_line(), "SIP/2.0 486 Busy Here", "{}", busy.text);
    call.ack(&caller, &busy);
}

#[test]
fn an_invite_to_an_account_with_no_registration_gets_480_per_rfc3261_section_21_4_18() {
    let caller = Peer::bind("caller");
    let ringway = Ringway::start_with_config(USERS_CONFIG).unwrap();
    let mut call = OutgoingCall::start(&caller, ringway.udp.unwrap(), "sip:2002@ringway", "offline-1");
    let answer = call.expect_response(&caller, 480);
    assert_eq!(answer.start_line(), "SIP/2.0 480 Temporarily Unavailable", "{}", answer.text);
    call.ack(&caller, &answer);
}

#[test]
fn an_invite_to_a_user_nobody_has_gets_404_per_rfc3261_section_21_4_4() {
    let caller = Peer::bind("caller");
    let ringway = Ringway::start_with_config(USERS_CONFIG).unwrap();
    let mut call = OutgoingCall::start(&caller, ringway.udp.unwrap(), "sip:nobody@ringway", "nobody-1");
    let answer = call.expect_response(&caller, 404);
    assert_eq!(answer.start_line(), "SIP/2.0 404 Not found", "{}", answer.text);
    call.ack(&caller, &answer);
}

#[test]
fn a_user_with_two_phones_rings_both_and_the_first_200_wins_while_the_other_is_cancelled_per_rfc3261_section_16_7() {
    let caller = Peer::bind("caller");
    let desk = Peer::bind("desk phone");
    let mobile = Peer::bind("mobile phone");
    let ringway = Ringway::start_with_config(USERS_CONFIG).unwrap();
    register(&ringway, "2001", &format!("sip:2001@{}", desk.addr()));
    register(&ringway, "2001", &format!("sip:2001@{}", mobile.addr()));

    let mut call = OutgoingCall::start(&caller, ringway.udp.unwrap(), "sip:2001@ringway", "fork-1");
    let desk_invite = desk.expect_request("INVITE");
    let mobile_invite = mobile.expect_request("INVITE");
    assert_eq!(desk_invite.request_uri(), Some(format!("sip:2001@{}", desk.addr()).as_str()));
    assert_eq!(mobile_invite.request_uri(), Some(format!("sip:2001@{}", mobile.addr()).as_str()));

    // The mobile rings (so that it may be cancelled, §9.1); the desk phone picks up.
    mobile.respond(&mobile_invite, 180, "Ringing", "mobile-1", "", "");
    call.expect_response(&caller, 180);
    let desk_contact = format!("sip:2001@{}", desk.addr());
    desk.respond(&desk_invite, 200, "OK", "desk-1", &format!("Contact: <{desk_contact}>\r\n"), ANSWER);
    let desk_ack = desk.expect_request("ACK");
    assert_eq!(desk_ack.request_uri(), Some(desk_contact.as_str()), "{}", desk_ack.text);

    let cancel = mobile.expect_request("CANCEL");
    assert_eq!(cancel.branch(), mobile_invite.branch(), "§9.1: CANCEL has the INVITE's branch\n{}", cancel.text);
    assert_eq!(cancel.call_id(), mobile_invite.call_id(), "{}", cancel.text);
    assert_eq!(cancel.cseq(), (1, "CANCEL"), "{}", cancel.text);
    mobile.respond(&cancel, 200, "OK", "mobile-1", "", "");
    mobile.respond(&mobile_invite, 487, "Request Terminated", "mobile-1", "", "");
    let mobile_ack = mobile.expect_request("ACK");
    assert_eq!(mobile_ack.branch(), mobile_invite.branch(), "{}", mobile_ack.text);

    let ok = call.expect_response(&caller, 200);
    assert_eq!(ok.start_line(), "SIP/2.0 200 OK");
    assert!(ok.body().contains("m=audio 50000"), "{}", ok.text);
    call.ack(&caller, &ok);
    let cseq = call.bye(&caller);
    call.expect_bye_response(&caller, cseq, 200);
    let bye = desk.expect_request("BYE");
    assert_eq!(bye.call_id(), desk_invite.call_id(), "{}", bye.text);
    desk.respond(&bye, 200, "OK", "desk-1", "", "");
    mobile.expect_nothing_new(Duration::from_millis(200));
}

#[test]
fn check_config_names_the_line_of_a_route_to_an_unknown_gateway_group_or_gateway_and_exits_2() {
    let dir = ScratchDir::new("calls-config").unwrap();
    let cases = [
        (
            "[[gateways]]\nname = \"gw1\"\naddress = \"127.0.0.1:5070\"\n[[gateway_groups]]\nname = \"carriers\"\nmembers = [{ gateway = \"gw1\" }]\n[[routes]]\nprefix = \"\"\ngroup = \"x\"\n",
            9,
            "unknown gateway group \"x\"",
        ),
        (
            "[[gateways]]\nname = \"gw1\"\naddress = \"127.0.0.1:5070\"\n[[gateway_groups]]\nname = \"carriers\"\nmembers = [{ gateway = \"gw2\" }]\n[[routes]]\nprefix = \"\"\ngroup = \"carriers\"\n",
            6,
            "unknown gateway \"gw2\"",
        ),
    ];
    for (n, (toml, line, reason)) in cases.into_iter().enumerate() {
        let file = dir.path().join(format!("bad-{n}.toml"));
        std::fs::write(&file, toml).unwrap();
        let output = std::process::Command::new(ringway_bin()).arg("check-config").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(output.stdout.is_empty(), "{}", String::from_utf8_lossy(&output.stdout));
        let expected = format!("{}:{line}: {reason}", file.display());
        assert!(stderr.starts_with(&expected), "got  {stderr}\nwant {expected}…");
    }
}
