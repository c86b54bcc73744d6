//! The Asterisk dialplan in the real binary: `[asterisk] extensions` loaded at start (a broken
//! file refuses to start, naming file, line and column), asked first for calls whose context has
//! the extension (others go on to the tables), and loaded again by `POST /plugins/reload` and
//! SIGHUP — a file that does not load keeps the old dialplan serving. The test is the caller,
//! a UDP socket on 127.0.0.1 speaking hand-written SIP (`ringway_tests::sip_peer`).

// Deadlines of a test harness, not protocol timers.
#![allow(clippy::disallowed_methods)]

use ringway_tests::sip_peer::{OutgoingCall, Peer};
use ringway_tests::{Ringway, ScratchDir, http_post};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// The caller is a trusted dialer whose calls start in `from-agents`; the tables answer every
/// number `404 Out of Order`, so a call the dialplan does not take is told apart at once.
fn config(extensions: &Path) -> String {
    format!(
        r#"[sip]
listen = ["udp:127.0.0.1:0"]
[http]
listen = "127.0.0.1:0"

[[trusted]]
name = "dialer"
networks = ["127.0.0.0/8"]
context = "from-agents"

[asterisk]
extensions = {:?}

[[routes]]
prefix = ""
out_of_order = true
"#,
        extensions.display().to_string()
    )
}

/// Places a call to `number` that the server refuses; returns its status line (the final
/// response is ACKed).
fn refused(caller: &Peer, server: SocketAddr, number: &str, id: &str) -> String {
    let mut call = OutgoingCall::start(caller, server, &format!("sip:{number}@ringway.test"), id);
    let last = caller.expect(&format!("a final response to INVITE {id}"), |m| call.is_invite_response(m) && m.status().is_some_and(|s| s >= 200));
    call.ack(caller, &last);
    last.start_line().to_owned()
}

/// Waits until the log has `count` lines containing `needle`.
fn wait_log(ringway: &Ringway, needle: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while ringway.stderr().matches(needle).count() < count {
        assert!(Instant::now() < deadline, "no {count}× {needle:?} in the log:\n{}", ringway.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_dialplan_answers_its_extensions_others_go_to_the_tables_and_reloads_swap_it_unless_broken() {
    let dir = ScratchDir::new("dialplan").unwrap();
    let extensions = dir.path().join("extensions.conf");
    let write = |text: &str| std::fs::write(&extensions, text).unwrap();
    write("[from-agents]\nexten => 100,1,Hangup(480,Empty Route Set)\n");
    let ringway = Ringway::start_with_config(&config(&extensions)).unwrap();
    let (server, http) = (ringway.udp.unwrap(), ringway.http.unwrap());
    let caller = Peer::bind("caller");

    assert_eq!(refused(&caller, server, "100", "d1"), "SIP/2.0 480 Empty Route Set");
    assert_eq!(refused(&caller, server, "200", "d2"), "SIP/2.0 404 Out of Order", "no extension 200: the tables decide");

    write("[from-agents]\nexten => 100,1,Hangup(17)\n");
    let (status, body) = http_post(http, "/plugins/reload").unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(refused(&caller, server, "100", "d3"), "SIP/2.0 486 Busy Here", "the reloaded dialplan answers");

    write("[from-agents]\nexten => 100,1,NoOp()\n same => n,Dail(PJSIP/100)\n");
    let (status, body) = http_post(http, "/plugins/reload").unwrap();
    assert_ne!(status, 200, "a broken dialplan is refused: {body}");
    assert!(body.contains(&format!("{}:3:", extensions.display())) && body.contains("Dail"), "file:line and the reason: {body}");
    assert_eq!(refused(&caller, server, "100", "d4"), "SIP/2.0 486 Busy Here", "the old dialplan keeps serving");

    write("[from-agents]\nexten => 100,1,Hangup(34)\n");
    ringway.signal("HUP").unwrap();
    wait_log(&ringway, "Asterisk dialplan reloaded", 2);
    assert_eq!(refused(&caller, server, "100", "d5"), "SIP/2.0 503 Service Unavailable", "SIGHUP reloads it too");
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
}

#[test]
fn a_dialplan_that_does_not_load_stops_the_start_naming_file_line_and_column() {
    let dir = ScratchDir::new("dialplan-bad").unwrap();
    let extensions = dir.path().join("extensions.conf");
    std::fs::write(&extensions, "[from-agents]\nexten => 100,1,Playback(hello)\nexten => 101,1,Dail(PJSIP/101)\n").unwrap();
    let error = Ringway::start_with_config(&config(&extensions)).unwrap_err().to_string();
    let file = extensions.display().to_string();
    assert!(error.contains(&format!("{file}:2:")) && error.contains("media"), "Playback needs media: {error}");
    assert!(error.contains(&format!("{file}:3:")) && error.contains("Dail"), "every problem is listed: {error}");
}
