//! A fuzzing entry point for the transaction layer: arbitrary bytes through parse → the layer →
//! its timers, with a fake clock. Wired to cargo-fuzz elsewhere; it implements no RFC itself.
//!
//! It does not validate messages first (the shell does), so the layer is also exercised with
//! requests the validator would refuse.

use super::{Event, TimerConfig, TransactionLayer};
use crate::sip::message::{HeaderName, Message, Method, Request, Response, parse_datagram};
use crate::sip::{Flow, Transport};
use bytes::Bytes;
use ringway_sdk::StatusCode;
use std::time::{Duration, Instant};

/// Splits `data` at `\0` into datagrams and feeds each to a [`TransactionLayer`] as a request or
/// a response. The first byte of each datagram picks the transport (odd: TCP), the time step
/// before it (in units of 100 ms) and how the fake TU answers requests. The layer first sends an
/// INVITE (branch `z9hG4bKfuzz1`) and a MESSAGE (branch `z9hG4bKfuzz2`) so that responses can
/// match. Finally every timer runs out and no server transaction may remain (the layer answers
/// and removes each one). Panics on any broken invariant.
#[doc(hidden)]
pub fn fuzz_inbound(data: &[u8]) {
    // The fake clock needs an origin; only offsets from it matter.
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let mut layer = TransactionLayer::new(TimerConfig::default());
    let local = "192.0.2.1:5060".parse().expect("literal address");
    let remote = "192.0.2.2:5060".parse().expect("literal address");
    let udp = Flow { transport: Transport::Udp, local, remote };
    for (branch, method) in [("z9hG4bKfuzz1", Method::Invite), ("z9hG4bKfuzz2", Method::Message)] {
        let mut request = Request::new(method.clone(), "sip:fuzz@192.0.2.2");
        request.headers.push(HeaderName::Via, format!("SIP/2.0/UDP 192.0.2.1;branch={branch}"));
        request.headers.push(HeaderName::From, "<sip:a@192.0.2.1>;tag=f");
        request.headers.push(HeaderName::To, "<sip:fuzz@192.0.2.2>");
        request.headers.push(HeaderName::CallId, "fuzz");
        request.headers.push(HeaderName::CSeq, format!("1 {method}"));
        layer.send_request(now, request, udp).expect("a well-formed request is accepted");
    }
    let mut pending: Vec<(super::ServerTransactionId, Request)> = Vec::new();
    for chunk in data.split(|&b| b == 0) {
        let Some((&control, datagram)) = chunk.split_first() else { continue };
        let flow = Flow { transport: if control & 1 == 1 { Transport::Tcp } else { Transport::Udp }, ..udp };
        now += Duration::from_millis(100 * u64::from(control >> 4));
        layer.handle_timeout(now);
        match parse_datagram(Bytes::copy_from_slice(datagram)) {
            Ok(Message::Request(request)) => layer.handle_request(now, request, flow, flow),
            Ok(Message::Response(response)) => layer.handle_response(now, response, flow),
            Err(_) => {}
        }
        if control & 0x2 == 0x2 {
            let _ = layer.cancel(now, super::ClientTransactionId(1));
        }
        if control & 0x4 == 0x4 {
            layer.handle_transport_error(now, flow);
        }
        drain(&mut layer, &mut pending);
        let status = [100, 180, 200, 486, 500][usize::from(control >> 1) % 5];
        for (tx, request) in pending.drain(..) {
            let response = Response::to_request(&request.headers, StatusCode::new(status).expect("valid code"), None);
            let _ = layer.respond(now, tx, response);
        }
        drain(&mut layer, &mut pending);
        pending.clear();
    }
    for _ in 0..100_000 {
        let Some(at) = layer.poll_timeout() else { break };
        now = now.max(at);
        layer.handle_timeout(now);
        drain(&mut layer, &mut pending);
        pending.clear();
    }
    assert_eq!(layer.stats().server_transactions, 0, "every server transaction is answered and removed");
}

fn drain(layer: &mut TransactionLayer, pending: &mut Vec<(super::ServerTransactionId, Request)>) {
    while layer.poll_transmit().is_some() {}
    while let Some(event) = layer.poll_event() {
        if let Event::Request { tx, request, .. } = event {
            pending.push((tx, request));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fuzz_inbound;

    fn response(code: u16, branch: &str, method: &str) -> String {
        format!(
            "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP 192.0.2.1;branch={branch}\r\nFrom: <sip:a@192.0.2.1>;tag=f\r\nTo: <sip:fuzz@192.0.2.2>;tag=t\r\nCall-ID: fuzz\r\nCSeq: 1 {method}\r\n\r\n"
        )
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_every_server_transaction_ends() {
        fuzz_inbound(b"");
        fuzz_inbound(b"\0\0\xff\0garbage\0\x01SIP/2.0 200 OK\r\n\r\n");
        let mut input = Vec::new();
        for (control, text) in [
            (0x10u8, response(180, "z9hG4bKfuzz1", "INVITE")),
            (0x22, response(486, "z9hG4bKfuzz1", "INVITE")),
            (0x23, response(486, "z9hG4bKfuzz1", "INVITE")),
            (0x30, response(200, "z9hG4bKfuzz2", "MESSAGE")),
            (0x02, response(200, "z9hG4bKfuzz1", "CANCEL")),
        ] {
            input.push(control);
            input.extend_from_slice(text.as_bytes());
            input.push(0);
        }
        fuzz_inbound(&input);
    }

    #[test]
    fn every_torture_message_goes_through_the_layer_without_panic() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/sip-torture");
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        let mut all = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "dat") {
                let data = std::fs::read(&path).unwrap();
                for control in [0u8, 1, 0x12, 0x26] {
                    let mut input = vec![control];
                    input.extend_from_slice(&data);
                    fuzz_inbound(&input);
                }
                all.push(0x14);
                all.extend_from_slice(&data);
                all.push(0);
            }
        }
        fuzz_inbound(&all);
    }
}
