//! The daemon as a user meets it: the embedded default config, the announcement, signals,
//! check-config, the HTTP endpoint.

use ringway_tests::{Ringway, header, request, ringway_bin, status_of};
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;

fn udp_client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    socket
}

fn exchange(socket: &UdpSocket, to: std::net::SocketAddr, message: &str) -> String {
    socket.send_to(message.as_bytes(), to).unwrap();
    let mut buf = [0u8; 65535];
    let (n, _) = socket.recv_from(&mut buf).expect("an answer");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn embedded_default_serves_options_on_5060_and_sigint_stops_it_cleanly() {
    // No config file: UDP and TCP on 127.0.0.1:5060. The HTTP port is moved to a free one so
    // that a developer's own daemon on 8088 does not fail this test.
    let ringway = Ringway::start_with_args(&["--http", "127.0.0.1:0"]).expect("ringway starts");
    assert_eq!(ringway.udp, Some("127.0.0.1:5060".parse().unwrap()));
    assert_eq!(ringway.tcp, Some("127.0.0.1:5060".parse().unwrap()));
    let socket = udp_client();
    let port = socket.local_addr().unwrap().port();
    let answer = exchange(&socket, ringway.udp.unwrap(), &request("OPTIONS", "sip:127.0.0.1:5060", "dflt1", &format!("127.0.0.1:{port}"), "UDP", ""));
    assert_eq!(status_of(&answer), Some(200), "{answer}");
    assert!(header(&answer, "Allow").unwrap().contains("OPTIONS"));
    let status = ringway.stop_with("INT").unwrap();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn sigterm_stops_the_daemon_with_status_zero() {
    let ringway = Ringway::start("").unwrap();
    assert!(ringway.stop().unwrap().success());
}

#[test]
fn check_config_reports_file_and_line_of_an_unknown_key() {
    let dir = ringway_tests::ScratchDir::new("checkconfig").unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[sip]\nshards = 2\nlisn = [\"udp:127.0.0.1:5060\"]\n").unwrap();
    let out = Command::new(ringway_bin()).arg("check-config").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:3:", file.display())), "{stderr}");
    assert!(stderr.contains("lisn"), "{stderr}");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[sip]\nshards = 2\n").unwrap();
    let out = Command::new(ringway_bin()).arg("check-config").arg(&good).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn metrics_count_messages_by_method_and_status_and_health_answers() {
    let ringway = Ringway::start("").unwrap();
    let socket = udp_client();
    let port = socket.local_addr().unwrap().port();
    let via = format!("127.0.0.1:{port}");
    exchange(&socket, ringway.udp.unwrap(), &request("OPTIONS", "sip:127.0.0.1", "m1", &via, "UDP", ""));
    exchange(&socket, ringway.udp.unwrap(), &request("FOOBAR", "sip:127.0.0.1", "m2", &via, "UDP", ""));
    let metrics = http_get(ringway.http.unwrap(), "/metrics");
    assert!(metrics.contains("ringway_sip_requests_received_total{method=\"OPTIONS\"} 1"), "{metrics}");
    assert!(metrics.contains("ringway_sip_requests_received_total{method=\"other\"} 1"), "{metrics}");
    assert!(metrics.contains("ringway_sip_responses_sent_total{status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("ringway_sip_responses_sent_total{status=\"501\"} 1"), "{metrics}");
    let health = http_get(ringway.http.unwrap(), "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"ok\""));
}

fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}
