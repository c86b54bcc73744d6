//! The RFC 4475 / RFC 5118 torture corpus (`../shared/corpora/sip-torture/`) at the parser level.
//!
//! For every MANIFEST.tsv row: what `parse_datagram` plus `validate_request`/`validate_response`
//! say, that the stream framer agrees (fed 1 octet, 7 octets or everything at a time), and that
//! whatever parses survives serialization. What the server then answers (400, 505, 501, 416…)
//! is the core's business; here we check that the parser hands it the right fault or message.
//! `tests/TORTURE.md` explains each choice.

mod common;

use bytes::Bytes;
use ringway::sip::message::{
    Contact, Framed, HeaderName, Host, Message, Method, ParseError, StreamError, StreamFramer,
    Version, parse_datagram, validate::validate_request, validate::validate_response,
};

/// A predicate on the fault that explains a rejection.
type Fault = fn(&ParseError) -> bool;

/// What the parser must make of a corpus file.
#[derive(Clone, Copy)]
enum Expect {
    /// Parses and validates (the application may still refuse it with 4xx/5xx of its own).
    Accept,
    /// A request that fails parsing or validation with this fault: the server answers 400.
    Reject(Fault),
    /// A response that fails parsing or validation: it is dropped.
    Drop,
    /// Parses with an unknown SIP-Version: the server answers 505.
    VersionNotSupported,
    /// Parses with an extension method: the server answers 501 before looking at CSeq.
    NotImplemented,
}

use Expect::*;

macro_rules! fault {
    ($p:pat) => {
        Reject(|e: &ParseError| matches!(e, $p))
    };
}

fn expected(file: &str) -> Expect {
    match file {
        "badinv01.dat" => fault!(ParseError::BadHeaderValue("Via")),
        "clerr.dat" => fault!(ParseError::BodyTruncated),
        "ncl.dat" => fault!(ParseError::BadContentLength),
        "scalar02.dat" => fault!(ParseError::BadHeaderValue("CSeq")),
        "scalarlg.dat" | "bigcode.dat" => Drop,
        "quotbal.dat" => fault!(ParseError::BadHeaderValue("To")),
        "ltgtruri.dat" => fault!(ParseError::BadUri(_) | ParseError::BadStartLine(_)),
        "lwsruri.dat" | "lwsstart.dat" | "trws.dat" | "test.dat" => {
            fault!(ParseError::BadStartLine(_))
        }
        "escruri.dat" | "rfc5118/ipv6-bad.dat" => fault!(ParseError::BadUri(_)),
        "regbadct.dat" => fault!(ParseError::BadHeaderValue("Contact")),
        "badaspec.dat" => fault!(ParseError::BadHeaderValue("To")),
        "baddn.dat" => fault!(ParseError::BadHeaderValue("From")),
        "badvers.dat" => VersionNotSupported,
        "mismatch01.dat" => fault!(ParseError::CSeqMethodMismatch),
        "mismatch02.dat" => NotImplemented,
        "insuf.dat" => fault!(ParseError::MissingHeader("From")),
        "multi01.dat" => fault!(ParseError::DuplicateHeader("From")),
        "mcl01.dat" => fault!(ParseError::DuplicateHeader("Content-Length")),
        _ => Accept,
    }
}

/// The first fault of parsing then validating, or the message.
fn verdict(
    parsed: Result<Message, ringway::sip::message::Malformed>,
) -> Result<Message, ParseError> {
    let message = parsed.map_err(|m| m.error)?;
    match &message {
        Message::Request(r) => validate_request(r)?,
        Message::Response(r) => validate_response(r)?,
    }
    Ok(message)
}

fn datagram(file: &str) -> Result<Message, ringway::sip::message::Malformed> {
    parse_datagram(Bytes::from(common::read(file)))
}

/// Checks one file against its expectation; returns what went wrong.
fn check(file: &str, manifest_verdict: &str) -> Result<(), String> {
    let parsed = datagram(file);
    let is_response = common::read(file).starts_with(b"SIP/");
    match (expected(file), verdict(parsed.clone())) {
        (Accept, Ok(_)) => {}
        (Accept, Err(e)) => return Err(format!("expected accept ({manifest_verdict}), got {e:?}")),
        (Reject(matches), Err(e)) if matches(&e) && !is_response => {}
        (Reject(_), other) => {
            return Err(format!("expected a specific 400 fault, got {:?}", other.err()));
        }
        (Drop, Err(_)) if is_response => {}
        (Drop, other) => return Err(format!("expected a dropped response, got {:?}", other.err())),
        (VersionNotSupported | NotImplemented, _) => {
            let Ok(Message::Request(r)) = &parsed else {
                return Err(format!("expected a request, got {parsed:?}"));
            };
            let wanted = match expected(file) {
                VersionNotSupported => matches!(r.version, Version::Other(_)),
                _ => matches!(r.method, Method::Extension(_)),
            };
            if !wanted {
                return Err(format!("version {:?} method {:?}", r.version, r.method));
            }
        }
    }
    Ok(())
}

#[test]
fn every_manifest_row_has_the_parser_outcome_its_verdict_calls_for() {
    let mut failures = Vec::new();
    let rows = common::manifest();
    assert!(rows.len() >= 60, "MANIFEST.tsv has only {} rows", rows.len());
    for row in &rows {
        if let Err(why) = check(&row.file, &row.verdict) {
            failures.push(format!("{} [{}]: {why}", row.file, row.verdict));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The first thing a stream framer makes of `data` pushed `chunk` octets at a time: a message
/// (or malformed message), a framing error, or `None` when it waits for more.
fn stream_first(
    data: &[u8],
    chunk: usize,
) -> Option<Result<Result<Message, ParseError>, ParseError>> {
    let mut framer = StreamFramer::new(65_535);
    for piece in data.chunks(chunk) {
        framer.push(piece);
        match framer.next_message() {
            Ok(None) => {}
            Ok(Some(Framed::Message(m))) => return Some(Ok(verdict(Ok(m)))),
            Ok(Some(Framed::Malformed(m))) => return Some(Ok(Err(m.error))),
            Ok(Some(Framed::Ping)) => panic!("no corpus file starts with a keep-alive"),
            Err(StreamError::BadFraming(m)) => return Some(Err(m.error)),
            Err(StreamError::TooLarge { .. }) => panic!("no corpus file is over 64 KiB"),
        }
    }
    None
}

#[test]
fn stream_framing_gives_the_datagram_verdict_whatever_the_read_sizes() {
    let mut failures = Vec::new();
    for row in common::manifest() {
        let data = common::read(&row.file);
        let dgram = verdict(datagram(&row.file));
        for chunk in [1, 7, data.len()] {
            let got = stream_first(&data, chunk);
            let ok = match row.file.as_str() {
                // RFC 4475 §3.1.2.2: on a stream, a short body means "wait for more".
                "clerr.dat" => got.is_none(),
                // §3.1.2.3, §3.3.9: nobody can tell where the next message starts.
                "ncl.dat" => matches!(got, Some(Err(ParseError::BadContentLength))),
                "mcl01.dat" => {
                    matches!(got, Some(Err(ParseError::DuplicateHeader("Content-Length"))))
                }
                // §3.4.1 on a stream: no Content-Length means an empty body (RFC 3261 §18.3).
                "inv2543.dat" => matches!(&got, Some(Ok(Ok(m))) if m.body().is_empty()),
                _ => match (&got, &dgram) {
                    (Some(Ok(Ok(s))), Ok(d)) => s == d,
                    (Some(Ok(Err(s))), Err(d)) => s == d,
                    _ => false,
                },
            };
            if !ok {
                failures.push(format!(
                    "{} in {chunk}-octet reads: stream {got:?}, datagram {:?}",
                    row.file,
                    dgram.as_ref().err()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_file_that_parses_reparses_equal_after_serialization() {
    let mut failures = Vec::new();
    for row in common::manifest() {
        let Ok(original) = datagram(&row.file) else { continue };
        let wire = original.to_bytes();
        match parse_datagram(wire) {
            Ok(back) if without_content_length(&back) == without_content_length(&original) => {}
            other => failures.push(format!("{}: reparsed as {other:?}", row.file)),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn without_content_length(m: &Message) -> Message {
    let mut m = m.clone();
    m.headers_mut().remove_all(&HeaderName::ContentLength);
    m
}

fn request(file: &str) -> ringway::sip::message::Request {
    match datagram(file) {
        Ok(Message::Request(r)) => r,
        other => panic!("{file}: {other:?}"),
    }
}

#[test]
fn extra_trailing_octets_in_a_datagram_are_ignored_per_rfc4475_section_3_1_1_8() {
    let r = request("dblreq.dat");
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
}

#[test]
fn percent_in_a_header_name_or_method_is_not_an_escape_per_rfc4475_section_3_1_1_5() {
    let r = request("esc02.dat");
    assert_eq!(r.method, Method::Extension(Bytes::from_static(b"RE%47IST%45R")));
    assert_eq!(r.headers.contacts().count(), 2);
    assert!(
        r.headers.iter().any(|h| h.name == HeaderName::Other(Bytes::from_static(b"C%6Fntact")))
    );
}

#[test]
fn escaped_nulls_make_two_distinct_contacts_per_rfc4475_section_3_1_1_4() {
    let r = request("escnull.dat");
    let contacts: Vec<_> = r.headers.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 2);
    assert_ne!(contacts[0], contacts[1]);
    let Contact::Address(first) = contacts[0] else { panic!("wildcard") };
    assert_eq!(first.uri.user, Some("%00"));
}

#[test]
fn request_uri_user_part_keeps_its_semicolon_per_rfc4475_section_3_1_1_9() {
    let r = request("semiuri.dat");
    assert_eq!(r.uri().unwrap().user, Some("user;par=u%40example.net"));
}

#[test]
fn rfc2543_invite_without_content_length_takes_the_rest_of_the_datagram_per_rfc4475_section_3_4_1()
{
    let data = common::read("inv2543.dat");
    let r = request("inv2543.dat");
    let head_end = data.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(&r.body[..], &data[head_end..]);
    assert!(r.headers.from_addr().unwrap().tag().is_none());
    assert!(r.headers.top_via().unwrap().branch().is_none());
}

#[test]
fn multipart_body_is_exactly_content_length_octets_per_rfc4475_section_3_1_1_11() {
    let r = request("mpart01.dat");
    assert_eq!(Some(r.body.len()), r.headers.content_length().unwrap());
    assert!(r.body.contains(&0), "the binary part keeps its NUL octets");
}

#[test]
fn short_tortuous_invite_keeps_unknown_headers_byte_exact_per_rfc4475_section_3_1_1_1() {
    let r = request("wsinv.dat");
    let wire = r.to_bytes();
    let contains = |needle: &[u8]| wire.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"\r\nUnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"));
    assert!(contains(b"\r\nNewFangledHeader: newfangled value continued newfangled value\r\n"));
    let Ok(Message::Request(back)) = parse_datagram(wire) else { panic!("reparse") };
    assert_eq!(back, r);
    assert_eq!(r.headers.max_forwards().unwrap(), Some(68));
    assert_eq!(r.headers.cseq().unwrap().seq, 9);
    let vias: Vec<_> = r.headers.vias().map(Result::unwrap).collect();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[1].branch(), Some("z9hG4bK9ikj8"));
}

#[test]
fn ipv6_reference_with_a_trailing_number_has_no_port_per_rfc5118_section_4_3() {
    let r = request("rfc5118/port-ambiguous.dat");
    let uri = r.uri().unwrap();
    assert_eq!(uri.port, None);
    assert_eq!(uri.host.unwrap().ip(), Some("2001:db8::10:5070".parse().unwrap()));
    let r = request("rfc5118/port-unambiguous.dat");
    assert_eq!(r.uri().unwrap().port, Some(5070));
}

#[test]
fn three_colon_ipv6_spelling_reads_as_the_two_colon_address_per_rfc5118_section_4_10() {
    let r = request("rfc5118/ipv6-bug-abnf-3-colons.dat");
    let host = r.uri().unwrap().host.unwrap();
    assert_eq!(host, Host::Ip("2001:db8::192.0.2.1".parse().unwrap()));
    let r = request("rfc5118/ipv6-correct-abnf-2-colons.dat");
    assert_eq!(r.uri().unwrap().host.unwrap(), host);
}

/// Runs `check` on the single Contact of a corpus request.
fn with_only_contact(file: &str, check: impl FnOnce(ringway::sip::message::NameAddr<'_>)) {
    let r = request(file);
    let contacts: Vec<_> = r.headers.contacts().map(Result::unwrap).collect();
    assert_eq!(contacts.len(), 1, "{file}");
    let Contact::Address(c) = contacts[0] else { panic!("{file}: wildcard") };
    check(c);
}

#[test]
fn unbracketed_contact_parameter_belongs_to_the_contact_per_rfc4475_section_3_3_12() {
    with_only_contact("cparam01.dat", |c| {
        assert!(c.params.has("unknownparam"));
        assert!(!c.uri.params.has("unknownparam"));
    });
}

#[test]
fn bracketed_contact_parameter_belongs_to_the_uri_per_rfc4475_section_3_3_13() {
    with_only_contact("cparam02.dat", |c| {
        assert!(c.uri.params.has("unknownparam"));
        assert!(!c.params.has("unknownparam"));
    });
}

#[test]
fn bracketed_contact_keeps_its_escaped_route_header_per_rfc4475_section_3_3_14() {
    with_only_contact("regescrt.dat", |c| {
        assert_eq!(c.uri.headers, Some("Route=%3Csip:sip.example.com%3E"));
    });
}

#[test]
fn branch_that_is_only_the_magic_cookie_falls_back_to_rfc2543_matching_per_rfc4475_section_3_2_1() {
    let r = request("badbranch.dat");
    validate_request(&r).unwrap();
    let via = r.headers.top_via().unwrap();
    assert_eq!(via.branch(), Some("z9hG4bK"));
    assert!(!via.has_rfc3261_branch());
}

#[test]
fn unknown_version_parses_for_a_505_per_rfc4475_section_3_1_2_16() {
    let r = request("badvers.dat");
    assert_eq!(r.version, Version::Other(Bytes::from_static(b"SIP/7.0")));
}

#[test]
fn unknown_method_with_mismatched_cseq_parses_for_a_501_per_rfc4475_section_3_1_2_18() {
    let r = request("mismatch02.dat");
    assert_eq!(r.method, Method::Extension(Bytes::from_static(b"NEWMETHOD")));
    assert_eq!(validate_request(&r), Err(ParseError::CSeqMethodMismatch));
}

#[test]
fn overlarge_scalars_in_a_request_blame_cseq_per_rfc4475_section_3_1_2_4() {
    let r = request("scalar02.dat");
    assert_eq!(r.headers.max_forwards().unwrap(), Some(255));
    assert_eq!(r.headers.expires().unwrap(), Some(u32::MAX));
    assert_eq!(r.headers.cseq(), Err(ParseError::BadHeaderValue("CSeq")));
}
