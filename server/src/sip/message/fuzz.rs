//! The entry point the fuzz targets (`server/fuzz/`) and `tests/fuzz_replay.rs` share.
//!
//! It states the properties the message layer promises for arbitrary input: nothing panics;
//! a message that parses and validates serializes to bytes that parse back to the same message
//! (apart from a Content-Length the writer adds when it was absent); the stream framer survives
//! the same bytes arriving in two reads.

use super::Message;
use super::header::HeaderName;
use super::parse::{Framed, StreamFramer, parse_datagram};
use super::validate::{validate_request, validate_response};
use bytes::Bytes;

/// Runs one fuzz input through parsing, validation, typed access, serialization, reparsing and
/// stream framing. Panics only when a property above is broken.
#[doc(hidden)]
pub fn fuzz_parse(data: &[u8]) {
    if let Ok(message) = parse_datagram(Bytes::copy_from_slice(data)) {
        let valid = match &message {
            Message::Request(r) => validate_request(r).is_ok(),
            Message::Response(r) => validate_response(r).is_ok(),
        };
        read_everything(&message);
        let wire = message.to_bytes();
        let back = parse_datagram(wire.clone());
        if valid {
            let back =
                back.unwrap_or_else(|e| panic!("serialized valid message fails to parse: {e:?}"));
            assert_eq!(
                without_content_length(&message),
                without_content_length(&back),
                "serialized valid message reparses differently"
            );
        }
    }
    let split = data.first().map_or(0, |&b| usize::from(b) % (data.len() + 1));
    let mut framer = StreamFramer::new(65_535);
    framer.push(&data[..split]);
    drain(&mut framer, data.len());
    framer.push(&data[split..]);
    drain(&mut framer, data.len());
}

fn drain(framer: &mut StreamFramer, limit: usize) {
    for _ in 0..=limit + 1 {
        match framer.next_message() {
            Ok(Some(Framed::Message(m))) => read_everything(&m),
            Ok(Some(Framed::Malformed(_) | Framed::Ping)) => {}
            Ok(None) | Err(_) => return,
        }
    }
    panic!("stream framer produced more messages than there are octets");
}

/// Every typed accessor, so that their parsers see hostile input too.
fn read_everything(message: &Message) {
    let h = message.headers();
    if let Message::Request(r) = message {
        let _ = r.uri();
    }
    for via in h.vias().flatten() {
        let _ = (via.branch(), via.received(), via.rport(), via.has_rfc3261_branch());
    }
    let _ = (
        h.from_addr().map(|a| a.tag()),
        h.to_addr().map(|a| a.display_text()),
        h.call_id(),
        h.cseq(),
    );
    let _ = (h.max_forwards(), h.content_length(), h.content_type(), h.expires());
    let _ =
        h.contacts().count() + h.routes().count() + h.record_routes().count() + h.allow().count();
    let _ = h.option_tags(&HeaderName::Require).count();
    for name in [HeaderName::WwwAuthenticate, HeaderName::Authorization] {
        for a in h.auth_values(&name).flatten() {
            let _ = a.param("nonce");
        }
    }
}

fn without_content_length(message: &Message) -> Message {
    let mut m = message.clone();
    m.headers_mut().remove_all(&HeaderName::ContentLength);
    m
}
