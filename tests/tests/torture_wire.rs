//! The RFC 4475 / RFC 5118 torture corpus on the wire: every message of
//! `../shared/corpora/sip-torture` is sent over UDP and over TCP to the running server, and the
//! answer (or the silence) is checked against what the MANIFEST expects, as Ringway reads it.
//!
//! Silence is checked without waiting: after a message that must go unanswered, a probe OPTIONS
//! with the same Call-ID follows on the same socket. The same Call-ID lands on the same shard
//! queue, so if the first message had been answered, that answer would come first.

use ringway_tests::{Ringway, closed_by_peer, header, read_stream_message, status_of, torture_dir};
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// What Ringway answers to each corpus message: `Some(code)` or `None` for silence. The last
/// column says what happens on a stream when it differs from datagrams.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stream {
    /// The same answer as over UDP.
    Same,
    /// The answer, then the connection is closed (framing cannot be trusted).
    ThenClosed,
    /// No answer: the server waits for the body it was promised, then closes on idle.
    ClosedOnIdle,
    /// Not sent on a stream (no Content-Length and no probe can follow it).
    Skip,
}

const EXPECTED: &[(&str, Option<u16>, Stream)] = &[
    // RFC 4475 §3.1.1 valid messages: accepted, then answered as the core does today: REGISTER
    // and dialog-creating requests from strangers are challenged (401 / 407, RFC 3261 §22), the
    // rest answered by the core.
    ("wsinv.dat", Some(481), Stream::Same), // a re-INVITE (To tag) for a dialog that does not exist
    ("intmeth.dat", Some(501), Stream::Same),
    ("esc01.dat", Some(407), Stream::Same),
    ("escnull.dat", Some(401), Stream::Same),
    ("esc02.dat", Some(501), Stream::Same),
    ("lwsdisp.dat", Some(200), Stream::Same),
    ("longreq.dat", Some(407), Stream::Same),
    ("dblreq.dat", Some(401), Stream::Same),
    ("semiuri.dat", Some(200), Stream::Same),
    ("transports.dat", Some(200), Stream::Same),
    ("mpart01.dat", Some(407), Stream::Same),
    ("unreason.dat", None, Stream::Same),
    ("noreason.dat", None, Stream::Same),
    // §3.1.2 invalid messages.
    ("badinv01.dat", Some(400), Stream::Same),
    ("clerr.dat", Some(400), Stream::ClosedOnIdle),
    ("ncl.dat", Some(400), Stream::ThenClosed),
    ("scalar02.dat", Some(400), Stream::Same),
    ("scalarlg.dat", None, Stream::Same),
    ("quotbal.dat", Some(400), Stream::Same),
    ("ltgtruri.dat", Some(400), Stream::Same),
    ("lwsruri.dat", Some(400), Stream::Same),
    ("lwsstart.dat", Some(400), Stream::Same),
    ("trws.dat", Some(400), Stream::Same),
    ("escruri.dat", Some(400), Stream::Same),
    ("baddate.dat", Some(407), Stream::Same),
    ("regbadct.dat", Some(400), Stream::Same),
    ("badaspec.dat", Some(400), Stream::Same),
    ("baddn.dat", Some(400), Stream::Same),
    ("badvers.dat", Some(505), Stream::Same),
    ("mismatch01.dat", Some(400), Stream::Same),
    ("mismatch02.dat", Some(501), Stream::Same),
    ("bigcode.dat", None, Stream::Same),
    // §3.2 transaction layer.
    ("badbranch.dat", Some(200), Stream::Same),
    // §3.3 application layer.
    ("insuf.dat", Some(400), Stream::Same),
    ("unkscm.dat", Some(416), Stream::Same),
    ("novelsc.dat", Some(416), Stream::Same),
    ("unksm2.dat", Some(401), Stream::Same),
    ("bext01.dat", Some(420), Stream::Same),
    ("invut.dat", Some(415), Stream::Same),
    ("regaut01.dat", Some(401), Stream::Same),
    ("multi01.dat", Some(400), Stream::Same),
    ("mcl01.dat", Some(400), Stream::ThenClosed),
    ("bcast.dat", None, Stream::Same),
    ("zeromf.dat", Some(483), Stream::Same),
    ("cparam01.dat", Some(401), Stream::Same),
    ("cparam02.dat", Some(401), Stream::Same),
    ("regescrt.dat", Some(401), Stream::Same),
    ("sdp01.dat", Some(406), Stream::Same),
    // §3.4 backward compatibility: no Content-Length, so on a stream the body becomes garbage
    // after the head; the INVITE itself is still answered first.
    ("inv2543.dat", Some(407), Stream::Same),
    // In the archive but in no section; it has no Via, so nothing can be answered.
    ("test.dat", None, Stream::Skip),
    // RFC 5118.
    ("rfc5118/ipv6-good.dat", Some(401), Stream::Same),
    ("rfc5118/ipv6-bad.dat", Some(400), Stream::Same),
    ("rfc5118/port-ambiguous.dat", Some(401), Stream::Same),
    ("rfc5118/port-unambiguous.dat", Some(401), Stream::Same),
    ("rfc5118/via-received-param-with-delim.dat", Some(481), Stream::Same),
    ("rfc5118/via-received-param-no-delim.dat", Some(200), Stream::Same),
    ("rfc5118/ipv6-in-sdp.dat", Some(407), Stream::Same),
    ("rfc5118/mult-ip-in-header.dat", Some(481), Stream::Same),
    ("rfc5118/mult-ip-in-sdp.dat", Some(407), Stream::Same),
    ("rfc5118/ipv4-mapped-ipv6.dat", Some(407), Stream::Same),
    ("rfc5118/ipv6-bug-abnf-3-colons.dat", Some(200), Stream::Same),
    ("rfc5118/ipv6-correct-abnf-2-colons.dat", Some(200), Stream::Same),
];

/// The loopback address the UDP side sends from: responses without rport go to the source
/// address and the Via's port (RFC 3261 §18.2.2), so the test binds that port on an address of
/// its own to keep clear of anything on 127.0.0.1.
const UDP_CLIENT_IP: &str = "127.0.0.61";

fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = torture_dir();
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    manifest
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let file = l.split('\t').next().unwrap().to_owned();
            let bytes = std::fs::read(dir.join(&file)).unwrap();
            (file, bytes)
        })
        .collect()
}

fn expected(file: &str) -> (Option<u16>, Stream) {
    let (_, code, stream) = EXPECTED.iter().find(|(f, _, _)| *f == file).unwrap_or_else(|| panic!("no expectation for {file}"));
    (*code, *stream)
}

#[test]
fn every_manifest_file_has_an_expectation() {
    for (file, _) in corpus() {
        expected(&file);
    }
    assert_eq!(corpus().len(), EXPECTED.len());
}

/// The top Via's port (the first Via line of the raw message), 5060 when it names none.
fn via_port(message: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(message);
    let unfolded = text.replace("\r\n ", " ").replace("\r\n\t", " ");
    let Some(line) = unfolded.lines().find(|l| {
        let name = l.split(':').next().unwrap_or("").trim();
        name.eq_ignore_ascii_case("via") || name.eq_ignore_ascii_case("v")
    }) else {
        return 5060;
    };
    let value = line.split_once(':').map_or("", |(_, v)| v);
    // "SIP/2.0/UDP host[:port];params": the sent-by is the first word after the protocol.
    let after_proto = value.rsplit('/').next().unwrap_or("").trim();
    let sent_by = after_proto.split_whitespace().nth(1).unwrap_or("");
    let sent_by = sent_by.split([';', ',']).next().unwrap_or("");
    let port = if let Some(end) = sent_by.find(']') { sent_by[end + 1..].strip_prefix(':') } else { sent_by.split_once(':').map(|(_, p)| p) };
    port.and_then(|p| p.parse().ok()).unwrap_or(5060)
}

fn call_id(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message).into_owned();
    text.lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            let n = n.trim();
            (n.eq_ignore_ascii_case("call-id") || n.eq_ignore_ascii_case("i")).then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| "probe-without-call-id".to_owned())
}

fn probe(call_id: &str, via: &str, transport: &str) -> String {
    format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/{transport} {via};branch=z9hG4bK-probe\r\nMax-Forwards: 70\r\nFrom: <sip:probe@example.com>;tag=probe\r\nTo: <sip:probe@example.com>\r\nCall-ID: {call_id}\r\nCSeq: 424242 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

fn is_probe_answer(answer: &str) -> bool {
    header(answer, "CSeq").is_some_and(|c| c.starts_with("424242"))
}

#[test]
fn torture_corpus_over_udp_gets_the_expected_answer_or_silence() {
    let ringway = Ringway::start("").unwrap();
    let server = ringway.udp.unwrap();
    let mut failures = Vec::new();
    for (file, bytes) in corpus() {
        let (want, _) = expected(&file);
        let port = via_port(&bytes);
        let socket = UdpSocket::bind((UDP_CLIENT_IP, port)).unwrap_or_else(|e| panic!("binding {UDP_CLIENT_IP}:{port} for {file}: {e}"));
        socket.set_read_timeout(Some(WAIT)).unwrap();
        socket.send_to(&bytes, server).unwrap();
        if want.is_none() {
            let via = format!("{UDP_CLIENT_IP}:{port}");
            socket.send_to(probe(&call_id(&bytes), &via, "UDP").as_bytes(), server).unwrap();
        }
        let mut buf = [0u8; 65535];
        let got = match socket.recv_from(&mut buf) {
            Ok((n, _)) => String::from_utf8_lossy(&buf[..n]).into_owned(),
            Err(e) => format!("<nothing: {e}>"),
        };
        let ok = match want {
            Some(code) => status_of(&got) == Some(code) && !is_probe_answer(&got),
            None => is_probe_answer(&got),
        };
        if !ok {
            failures.push(format!("{file}: expected {want:?}, got {}", got.lines().next().unwrap_or("")));
        }
    }
    assert!(failures.is_empty(), "UDP torture failures:\n{}\nringway stderr:\n{}", failures.join("\n"), ringway.stderr());
}



#[test]
fn torture_corpus_over_tcp_gets_the_expected_answer_silence_or_close() {
    let ringway = Ringway::start("tcp_idle_timeout_secs = 1").unwrap();
    let server: SocketAddr = ringway.tcp.unwrap();
    let mut failures = Vec::new();
    for (file, bytes) in corpus() {
        let (want, stream_rule) = expected(&file);
        if stream_rule == Stream::Skip {
            continue;
        }
        let mut stream = TcpStream::connect(server).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let via = stream.local_addr().unwrap().to_string();
        stream.write_all(&bytes).unwrap();
        if want.is_none() {
            stream.write_all(probe(&call_id(&bytes), &via, "TCP").as_bytes()).unwrap();
        }
        let mut pending = Vec::new();
        let problem = match stream_rule {
            Stream::ClosedOnIdle => read_stream_message(&mut stream, &mut pending)
                .map(|m| format!("expected no answer and a close, got {}", m.lines().next().unwrap_or(""))),
            _ => {
                // A stream may carry more than one message (dblreq's trailing INVITE is a second
                // message on TCP); answers to different Call-IDs come from different shards in
                // any order, so take the answer to this file's own first message.
                let own = call_id(&bytes);
                let got = std::iter::from_fn(|| read_stream_message(&mut stream, &mut pending))
                    .take(4)
                    .find(|m| header(m, "Call-ID").is_none_or(|c| c == own) || is_probe_answer(m))
                    .unwrap_or_else(|| "<closed without an answer>".into());
                let ok = match want {
                    Some(code) => status_of(&got) == Some(code) && !is_probe_answer(&got),
                    None => is_probe_answer(&got),
                };
                if !ok {
                    Some(format!("expected {want:?}, got {}", got.lines().next().unwrap_or("")))
                } else if stream_rule == Stream::ThenClosed && !(pending.is_empty() && closed_by_peer(&mut stream)) {
                    Some("the connection stayed open after unrecoverable framing".to_owned())
                } else {
                    None
                }
            }
        };
        if let Some(problem) = problem {
            failures.push(format!("{file}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "TCP torture failures:\n{}\nringway stderr:\n{}", failures.join("\n"), ringway.stderr());
}
