//! UDP and TCP as a peer sees them (RFC 3261 §18, RFC 3581, RFC 5626 §4.4.1): addressing,
//! framing on streams, connection reuse and limits, IPv6.

use ringway_tests::{Ringway, closed_by_peer, header, read_stream_message, request, status_of};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

fn udp_client(bind: &str) -> UdpSocket {
    let socket = UdpSocket::bind(bind).unwrap();
    socket.set_read_timeout(Some(WAIT)).unwrap();
    socket
}

fn recv(socket: &UdpSocket) -> String {
    let mut buf = [0u8; 65535];
    let (n, _) = socket.recv_from(&mut buf).expect("an answer");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn tcp_client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}



#[test]
fn udp_response_goes_to_the_source_port_with_rport_per_rfc3581() {
    let ringway = Ringway::start("").unwrap();
    let socket = udp_client("127.0.0.1:0");
    // The Via names a port nobody listens on; rport sends the answer to the real source port.
    let options = request("OPTIONS", "sip:127.0.0.1", "rport1", "127.0.0.1:9", "UDP", "");
    socket.send_to(options.as_bytes(), ringway.udp.unwrap()).unwrap();
    let answer = recv(&socket);
    assert_eq!(status_of(&answer), Some(200));
    let via = header(&answer, "Via").unwrap();
    assert!(via.contains(&format!("rport={}", socket.local_addr().unwrap().port())), "{via}");
    assert!(via.contains("received=127.0.0.1"), "{via}");
}

#[test]
fn udp_response_without_rport_goes_to_the_via_port_per_rfc3261_section_18_2_2() {
    let ringway = Ringway::start("").unwrap();
    let listener = udp_client("127.0.0.1:0");
    let sender = udp_client("127.0.0.1:0");
    let via_port = listener.local_addr().unwrap().port();
    let options = request("OPTIONS", "sip:127.0.0.1", "norport1", &format!("127.0.0.1:{via_port}"), "UDP", "")
        .replace(";rport", "");
    sender.send_to(options.as_bytes(), ringway.udp.unwrap()).unwrap();
    assert_eq!(status_of(&recv(&listener)), Some(200));
}

#[test]
fn a_retransmitted_request_is_absorbed_and_answered_with_the_same_response_per_rfc3261_section_17_2_2() {
    let ringway = Ringway::start("").unwrap();
    let socket = udp_client("127.0.0.1:0");
    let via = socket.local_addr().unwrap().to_string();
    let options = request("OPTIONS", "sip:127.0.0.1", "retx1", &via, "UDP", "");
    socket.send_to(options.as_bytes(), ringway.udp.unwrap()).unwrap();
    let first = recv(&socket);
    socket.send_to(options.as_bytes(), ringway.udp.unwrap()).unwrap();
    let second = recv(&socket);
    assert_eq!(first, second, "the retransmission gets the stored response, To tag included");
}

#[test]
fn tcp_frames_pipelined_and_split_messages_and_answers_on_the_same_connection() {
    let ringway = Ringway::start("").unwrap();
    let mut stream = tcp_client(ringway.tcp.unwrap());
    let via = stream.local_addr().unwrap().to_string();
    let a = request("OPTIONS", "sip:127.0.0.1", "tcp-a", &via, "TCP", "");
    let b = request("FOOBAR", "sip:127.0.0.1", "tcp-b", &via, "TCP", "");
    stream.write_all(format!("{a}{b}").as_bytes()).unwrap();
    let c = request("OPTIONS", "sip:127.0.0.1", "tcp-c", &via, "TCP", "");
    let (first_half, second_half) = c.split_at(c.len() / 2);
    stream.write_all(first_half.as_bytes()).unwrap();
    stream.flush().unwrap();
    stream.write_all(second_half.as_bytes()).unwrap();
    let mut pending = Vec::new();
    let mut seen: Vec<(u16, String)> = (0..3)
        .map(|_| {
            let m = read_stream_message(&mut stream, &mut pending).expect("an answer");
            (status_of(&m).unwrap(), header(&m, "Call-ID").unwrap().to_owned())
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![(200, "tcp-a@tests".into()), (200, "tcp-c@tests".into()), (501, "tcp-b@tests".into())]
    );
}

#[test]
fn tcp_keepalive_ping_gets_a_pong_per_rfc5626_section_4_4_1() {
    let ringway = Ringway::start("").unwrap();
    let mut stream = tcp_client(ringway.tcp.unwrap());
    stream.write_all(b"\r\n\r\n").unwrap();
    let mut pong = [0u8; 2];
    stream.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"\r\n");
}

#[test]
fn tcp_message_over_the_size_limit_gets_513_and_the_connection_closes() {
    let ringway = Ringway::start("max_message_size = 1000").unwrap();
    let mut stream = tcp_client(ringway.tcp.unwrap());
    let via = stream.local_addr().unwrap().to_string();
    let big = request("OPTIONS", "sip:127.0.0.1", "big1", &via, "TCP", &format!("X-Padding: {}\r\n", "p".repeat(1200)));
    stream.write_all(big.as_bytes()).unwrap();
    let mut pending = Vec::new();
    let answer = read_stream_message(&mut stream, &mut pending).expect("a 513");
    assert!(answer.starts_with("SIP/2.0 513 Message too big\r\n"), "{answer}");
    assert!(closed_by_peer(&mut stream));
}

#[test]
fn tcp_negative_content_length_gets_400_and_the_connection_closes_per_rfc4475_section_3_1_2_3() {
    let ringway = Ringway::start("").unwrap();
    let mut stream = tcp_client(ringway.tcp.unwrap());
    let via = stream.local_addr().unwrap().to_string();
    let bad = request("OPTIONS", "sip:127.0.0.1", "ncl1", &via, "TCP", "").replace("Content-Length: 0", "Content-Length: -9");
    stream.write_all(bad.as_bytes()).unwrap();
    let mut pending = Vec::new();
    let answer = read_stream_message(&mut stream, &mut pending).expect("a 400");
    assert!(answer.starts_with("SIP/2.0 400 Bad Request (malformed Content-Length)\r\n"), "{answer}");
    assert!(closed_by_peer(&mut stream));
}

#[test]
fn idle_tcp_connections_are_closed() {
    let ringway = Ringway::start("tcp_idle_timeout_secs = 1").unwrap();
    let mut stream = tcp_client(ringway.tcp.unwrap());
    assert!(closed_by_peer(&mut stream), "the idle connection was not closed");
}

#[test]
fn connections_beyond_the_limit_are_refused() {
    let ringway = Ringway::start("tcp_max_connections = 1").unwrap();
    let mut first = tcp_client(ringway.tcp.unwrap());
    let via = first.local_addr().unwrap().to_string();
    first.write_all(request("OPTIONS", "sip:127.0.0.1", "lim1", &via, "TCP", "").as_bytes()).unwrap();
    let mut pending = Vec::new();
    assert_eq!(status_of(&read_stream_message(&mut first, &mut pending).unwrap()), Some(200));
    let mut second = tcp_client(ringway.tcp.unwrap());
    assert!(closed_by_peer(&mut second));
}

#[test]
fn ipv6_loopback_works_over_udp_and_tcp() {
    let ringway = Ringway::start_with_config(
        "[sip]\nlisten = [\"udp:[::1]:0\", \"tcp:[::1]:0\"]\n[http]\nlisten = \"\"\n",
    )
    .unwrap();
    let udp = udp_client("[::1]:0");
    let via = udp.local_addr().unwrap().to_string();
    udp.send_to(request("OPTIONS", "sip:[::1]", "v6u", &via, "UDP", "").as_bytes(), ringway.udp.unwrap()).unwrap();
    assert_eq!(status_of(&recv(&udp)), Some(200));
    let mut tcp = tcp_client(ringway.tcp.unwrap());
    let via = tcp.local_addr().unwrap().to_string();
    tcp.write_all(request("OPTIONS", "sip:[::1]", "v6t", &via, "TCP", "").as_bytes()).unwrap();
    let mut pending = Vec::new();
    assert_eq!(status_of(&read_stream_message(&mut tcp, &mut pending).unwrap()), Some(200));
}

#[test]
fn oversized_udp_datagram_is_dropped_and_the_next_one_answered() {
    let ringway = Ringway::start("max_message_size = 1000").unwrap();
    let socket = udp_client("127.0.0.1:0");
    let via = socket.local_addr().unwrap().to_string();
    let big = request("OPTIONS", "sip:127.0.0.1", "bigu", &via, "UDP", &format!("X-Padding: {}\r\n", "p".repeat(1200)));
    socket.send_to(big.as_bytes(), ringway.udp.unwrap()).unwrap();
    socket.send_to(request("OPTIONS", "sip:127.0.0.1", "smallu", &via, "UDP", "").as_bytes(), ringway.udp.unwrap()).unwrap();
    let answer = recv(&socket);
    assert_eq!(header(&answer, "Call-ID"), Some("smallu@tests"), "the oversized datagram was answered");
}
