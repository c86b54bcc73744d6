//! Keep-alive OPTIONS to registered devices: answered pings keep a binding, unanswered ones
//! remove it after `registrar.options_ping_failures` misses.

// A deadline for a timer-driven outcome (the binding removal), not a protocol wait.
#![allow(clippy::disallowed_methods)]

use ringway_tests::{Ringway, header, status_of};
use std::io::Read;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

/// Short timers so that a ping times out (Timer F = 64·T1) in about a second.
const CONFIG: &str = "[sip]\nlisten = [\"udp:127.0.0.1:0\"]\nt1_ms = 20\n[http]\nlisten = \"127.0.0.1:0\"\n\
[registrar]\nmin_expires = 1\noptions_ping_secs = 1\noptions_ping_failures = 1\n\
[[accounts]]\nusername = \"1001\"\npassword = \"not-used-by-trusted-peers\"\n\
[[trusted]]\nname = \"lab\"\nnetworks = [\"127.0.0.1/32\"]\naccount = \"1001\"\n";

fn recv(socket: &UdpSocket) -> String {
    let mut buf = [0u8; 65535];
    let (n, _) = socket.recv_from(&mut buf).expect("a datagram");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn registrations(http: SocketAddr) -> Option<u64> {
    let mut stream = TcpStream::connect(http).ok()?;
    std::io::Write::write_all(&mut stream, b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.lines().find_map(|l| l.strip_prefix("ringway_registrations ")).and_then(|v| v.trim().parse().ok())
}

/// The answer a device gives to a request: the mandatory headers copied back.
fn ok_for(request: &str) -> String {
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        if let Some(v) = header(request, name) {
            out.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

#[test]
fn answered_pings_keep_a_binding_and_an_unanswered_one_removes_it() {
    let ringway = Ringway::start_with_config(CONFIG).unwrap();
    let device = UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let me = device.local_addr().unwrap();
    let register = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {me};rport;branch=z9hG4bK-ka1\r\nMax-Forwards: 70\r\n\
From: <sip:1001@127.0.0.1>;tag=ka\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: ka@tests\r\nCSeq: 1 REGISTER\r\n\
Contact: <sip:1001@{me}>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
    );
    device.send_to(register.as_bytes(), ringway.udp.unwrap()).unwrap();
    assert_eq!(status_of(&recv(&device)), Some(200));
    assert_eq!(registrations(ringway.http.unwrap()), Some(1));

    // The first ping comes, is answered: the binding stays.
    let ping = recv(&device);
    assert!(ping.starts_with(&format!("OPTIONS sip:1001@{me} SIP/2.0\r\n")), "{ping}");
    device.send_to(ok_for(&ping).as_bytes(), ringway.udp.unwrap()).unwrap();
    let next = recv(&device);
    assert!(next.starts_with("OPTIONS "), "a second ping follows: {next}");
    assert_eq!(registrations(ringway.http.unwrap()), Some(1));

    // The device goes silent: after Timer F the binding is gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while registrations(ringway.http.unwrap()) != Some(0) {
        assert!(Instant::now() < deadline, "the silent device's binding was not removed");
        // Drain retransmitted pings without answering them; the read timeout paces the loop.
        device.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut buf = [0u8; 65535];
        let _ = device.recv_from(&mut buf);
    }
}
