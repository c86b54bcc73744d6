//! Criterion microbenchmarks of the SIP message layer against rsip 0.4.
//!
//! One realistic INVITE with an SDP offer (about 750 octets, as a softphone sends it):
//! - `parse_invite/ringway`: `parse_datagram`, then the six reads every transaction and dialog
//!   lookup needs (top Via branch, From tag, To, Call-ID, CSeq, first Contact URI);
//! - `parse_invite/rsip`: the same with rsip's `SipMessage` and typed headers;
//! - `serialize_invite/ringway`: `to_bytes` of the parsed message;
//! - `proxy_cycle/ringway`: parse, prepend our Via, pop the first Route if any, serialize.
//!
//! Run with `cargo bench -p ringway --bench message`. Figures are printed, nothing is asserted.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ringway::sip::message::{Contact, HeaderName, Message, parse_datagram};
use std::hint::black_box;

const SDP: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49170 RTP/AVP 8 0 3 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

fn invite() -> Bytes {
    let head = format!(
        "INVITE sip:+74951234567@gw.ringway.example.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK-524287-1---7f3a9c2e51d04b8a;rport\r\n\
Max-Forwards: 70\r\n\
From: \"Agent 1017\" <sip:1017@pbx.callcenter.example.com>;tag=8f2c1e7a\r\n\
To: <sip:+74951234567@gw.ringway.example.net>\r\n\
Call-ID: 5b3e0d9c4a7f41e2b8c6d1a09e7f3b25@192.0.2.101\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:1017@192.0.2.101:5060;transport=udp>\r\n\
Content-Type: application/sdp\r\n\
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n\
Supported: replaces, norefersub, timer\r\n\
User-Agent: Zoiper rv2.10.19.4\r\n\
Content-Length: {}\r\n\r\n",
        SDP.len()
    );
    Bytes::from(format!("{head}{SDP}"))
}

/// The six reads, returning something derived from each so that none is optimised away.
fn ringway_reads(m: &Message) -> usize {
    let h = m.headers();
    let via = h.top_via().unwrap();
    let from = h.from_addr().unwrap();
    let to = h.to_addr().unwrap();
    let call_id = h.call_id().unwrap();
    let cseq = h.cseq().unwrap();
    let Some(Ok(Contact::Address(contact))) = h.contacts().next() else { panic!("contact") };
    via.branch().unwrap().len()
        + from.tag().unwrap().len()
        + to.uri.raw.len()
        + call_id.len()
        + cseq.seq as usize
        + contact.uri.raw.len()
}

fn rsip_reads(m: &rsip::SipMessage) -> usize {
    use rsip::prelude::*;
    let via = m.via_header().unwrap().typed().unwrap();
    let from = m.from_header().unwrap().typed().unwrap();
    let to = m.to_header().unwrap().typed().unwrap();
    let call_id = m.call_id_header().unwrap();
    let cseq = m.cseq_header().unwrap().typed().unwrap();
    let contact = m.contact_header().unwrap().typed().unwrap();
    via.branch().unwrap().to_string().len()
        + from.tag().unwrap().to_string().len()
        + to.uri.host_with_port.to_string().len()
        + call_id.value().len()
        + cseq.seq as usize
        + contact.uri.host_with_port.to_string().len()
}

fn benches(c: &mut Criterion) {
    let wire = invite();
    let parsed = parse_datagram(wire.clone()).unwrap();
    assert!(ringway_reads(&parsed) > 0);
    let via =
        Bytes::from_static(b"SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-rw-0-1-9f0e3d2c1b0a");

    let mut group = c.benchmark_group("parse_invite");
    group.bench_function("ringway", |b| {
        b.iter(|| {
            let m = parse_datagram(black_box(wire.clone())).unwrap();
            ringway_reads(&m)
        })
    });
    group.bench_function("rsip", |b| {
        b.iter(|| {
            let m = rsip::SipMessage::try_from(black_box(&wire[..])).unwrap();
            rsip_reads(&m)
        })
    });
    group.finish();

    c.bench_function("serialize_invite/ringway", |b| b.iter(|| black_box(&parsed).to_bytes()));

    c.bench_function("proxy_cycle/ringway", |b| {
        b.iter(|| {
            let mut m = parse_datagram(black_box(wire.clone())).unwrap();
            let h = m.headers_mut();
            h.prepend(HeaderName::Via, via.clone());
            h.remove_first(&HeaderName::Route);
            m.to_bytes()
        })
    });
}

criterion_group!(message, benches);
criterion_main!(message);
