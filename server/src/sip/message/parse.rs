//! Framing and parsing: bytes in, [`Message`] out (RFC 3261 §7, §18.3).
//!
//! Datagrams: one message per datagram; the body is exactly Content-Length octets and anything
//! after it is ignored (RFC 4475 §3.1.1.8); a datagram without Content-Length carries its body up
//! to the end (RFC 4475 §3.4.1). Streams: [`StreamFramer`] accumulates reads and cuts messages by
//! Content-Length, answers RFC 5626 CRLF keep-alives, and reports framing it cannot recover from
//! (a bad or duplicated Content-Length) so that the connection is closed.
//!
//! Parsing copies nothing but folded header values: names and values are [`Bytes`] slices of the
//! received buffer.

use super::header::{HeaderName, Headers, is_wsp, trim};
use super::syntax::is_token_char;
use super::{Message, Method, ParseError, Request, Response, Version};
use bytes::{Buf, Bytes, BytesMut};
use ringway_sdk::StatusCode;

/// A message that could not be parsed, with what could be salvaged to answer it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    /// The first fault found.
    pub error: ParseError,
    /// Whether the start line looked like a request (then it deserves a 400) rather than a
    /// response (then it is dropped, RFC 4475 §3.1.2).
    pub is_request: bool,
    /// The header lines that could be read, for building the 400.
    pub headers: Headers,
}

enum StartLine {
    Request { method: Method, uri: Bytes, version: Version },
    Response { version: Version, status: StatusCode, reason: Bytes },
}

struct Head {
    start: Result<StartLine, ParseError>,
    is_request: bool,
    headers: Headers,
    /// First fault among the header lines, if any.
    header_error: Option<ParseError>,
    /// Offset of the first body octet; `None` if the empty line ending the head never came.
    body_start: Option<usize>,
}

/// Parses one datagram.
pub fn parse_datagram(buf: Bytes) -> Result<Message, Malformed> {
    let head = parse_head(&buf);
    let Some(body_start) = head.body_start else {
        return Err(head.into_malformed(ParseError::Incomplete));
    };
    let body = match head.headers.content_length() {
        Ok(Some(n)) if n > buf.len() - body_start => return Err(head.into_malformed(ParseError::BodyTruncated)),
        Ok(Some(n)) => buf.slice(body_start..body_start + n),
        Ok(None) => buf.slice(body_start..),
        Err(e) => return Err(head.into_malformed(e)),
    };
    head.into_message(body)
}

/// Parses one complete message whose framing is already known (`buf` is exactly the message).
pub fn parse_message(buf: Bytes) -> Result<Message, Malformed> {
    parse_datagram(buf)
}

impl Head {
    fn into_malformed(self, error: ParseError) -> Malformed {
        Malformed { error, is_request: self.is_request, headers: self.headers }
    }

    fn into_message(self, body: Bytes) -> Result<Message, Malformed> {
        let start = match self.start {
            Ok(start) => start,
            Err(e) => return Err(Malformed { error: e, is_request: self.is_request, headers: self.headers }),
        };
        if let Some(e) = self.header_error {
            return Err(Malformed { error: e, is_request: self.is_request, headers: self.headers });
        }
        Ok(match start {
            StartLine::Request { method, uri, version } => {
                Message::Request(Request { method, uri, version, headers: self.headers, body })
            }
            StartLine::Response { version, status, reason } => {
                Message::Response(Response { version, status, reason, headers: self.headers, body })
            }
        })
    }
}

/// Reads the start line and the header lines. Never fails outright: faults are recorded so that
/// the caller can still answer with what was salvaged.
fn parse_head(buf: &Bytes) -> Head {
    let mut pos = 0;
    // RFC 3261 §7.5: ignore CRLFs before the start line.
    while pos < buf.len() && (buf[pos] == b'\r' || buf[pos] == b'\n') {
        pos += 1;
    }
    let (first_line, next) = line_at(buf, pos);
    let is_request = !(first_line.len() >= 4 && first_line[..4].eq_ignore_ascii_case(b"SIP/"));
    let start = parse_start_line(buf, pos, first_line.len(), is_request);
    let mut head = Head { start, is_request, headers: Headers::with_capacity(16), header_error: None, body_start: None };
    let Some(mut pos) = next else { return head };

    // The header being read: name, value start and end offsets, whether it was folded.
    let mut current: Option<(HeaderName, usize, usize, bool)> = None;
    loop {
        let (line, next) = line_at(buf, pos);
        let line_start = pos;
        if line.is_empty() && next.is_some() {
            finish_header(buf, &mut head, current.take());
            head.body_start = next;
            return head;
        }
        if !line.is_empty() && is_wsp(line[0]) {
            match current.as_mut() {
                Some((_, _, end, folded)) => {
                    *end = line_start + line.len();
                    *folded = true;
                }
                None => record(&mut head.header_error, ParseError::BadHeaderLine),
            }
        } else {
            finish_header(buf, &mut head, current.take());
            match split_header_line(line) {
                Some((name_len, value_off)) => {
                    // Known names are recognised on the borrowed bytes: only an unknown name
                    // takes a (reference-counted) slice of the buffer.
                    let raw_name = &buf[line_start..line_start + name_len];
                    let name = HeaderName::known(raw_name)
                        .unwrap_or_else(|| HeaderName::Other(buf.slice(line_start..line_start + name_len)));
                    current = Some((name, line_start + value_off, line_start + line.len(), false));
                }
                None if next.is_none() && line.is_empty() => {}
                None => record(&mut head.header_error, ParseError::BadHeaderLine),
            }
        }
        match next {
            Some(n) => pos = n,
            None => {
                finish_header(buf, &mut head, current.take());
                return head;
            }
        }
    }
}

fn record(slot: &mut Option<ParseError>, e: ParseError) {
    slot.get_or_insert(e);
}

fn finish_header(buf: &Bytes, head: &mut Head, current: Option<(HeaderName, usize, usize, bool)>) {
    let Some((name, start, end, folded)) = current else { return };
    let raw = &buf[start..end];
    let value = if folded {
        Bytes::from(unfold(raw))
    } else {
        // Trim by offsets and slice once (cheaper than `slice_ref`'s pointer arithmetic).
        let lead = raw.iter().position(|&b| !is_lws_octet(b)).unwrap_or(raw.len());
        let trail = raw.iter().rposition(|&b| !is_lws_octet(b)).map_or(lead, |i| i + 1);
        if lead == trail { Bytes::new() } else { buf.slice(start + lead..start + trail) }
    };
    head.headers.push(name, value);
}

fn is_lws_octet(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Replaces each line break and the whitespace around it with one space (RFC 3261 §7.3.1).
fn unfold(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'\r' || b == b'\n' {
            while out.last().is_some_and(|&c| is_wsp(c)) {
                out.pop();
            }
            while i < raw.len() && (raw[i] == b'\r' || raw[i] == b'\n' || is_wsp(raw[i])) {
                i += 1;
            }
            out.push(b' ');
            continue;
        }
        out.push(b);
        i += 1;
    }
    trim(&out).to_vec()
}

/// The line starting at `pos` without its CRLF (or bare LF), and where the next line starts
/// (`None` when the buffer ends without a line break).
fn line_at(buf: &[u8], pos: usize) -> (&[u8], Option<usize>) {
    match memchr::memchr(b'\n', &buf[pos..]) {
        Some(off) => {
            let mut line = &buf[pos..pos + off];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            (line, Some(pos + off + 1))
        }
        None => (&buf[pos..], None),
    }
}

/// `name LWS ":" LWS value`: the length of the name and the offset of the value in the line.
fn split_header_line(line: &[u8]) -> Option<(usize, usize)> {
    let name_len = line.iter().position(|&b| !is_token_char(b))?;
    if name_len == 0 {
        return None;
    }
    let mut i = name_len;
    while i < line.len() && is_wsp(line[i]) {
        i += 1;
    }
    (line.get(i) == Some(&b':')).then_some((name_len, i + 1))
}

fn parse_start_line(buf: &Bytes, pos: usize, len: usize, is_request: bool) -> Result<StartLine, ParseError> {
    let line = &buf[pos..pos + len];
    if line.is_empty() {
        return Err(ParseError::Incomplete);
    }
    if is_request {
        // Method SP Request-URI SP SIP-Version, single spaces (RFC 4475 §3.1.2.9–10: extra
        // spaces are rejected, never forwarded).
        let mut parts = line.split(|&b| b == b' ');
        let (Some(method), Some(uri), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::BadStartLine("request line is not Method SP Request-URI SP SIP-Version"));
        };
        if method.is_empty() || !method.iter().all(|&b| is_token_char(b)) {
            return Err(ParseError::BadStartLine("method is not a token"));
        }
        if uri.is_empty() || uri.iter().any(|&b| b.is_ascii_whitespace()) {
            return Err(ParseError::BadStartLine("empty Request-URI"));
        }
        if !looks_like_version(version) {
            return Err(ParseError::BadStartLine("SIP-Version"));
        }
        return Ok(StartLine::Request {
            method: Method::from_bytes(method),
            uri: buf.slice_ref(uri),
            version: Version::from_bytes(version),
        });
    }
    // SIP-Version SP Status-Code SP Reason-Phrase; an empty phrase is fine (RFC 4475 §3.1.1.13).
    let version_end = line.iter().position(|&b| b == b' ').ok_or(ParseError::BadStartLine("status line"))?;
    let version = &line[..version_end];
    let rest = &line[version_end + 1..];
    if !looks_like_version(version) || rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadStartLine("status line"));
    }
    if rest.len() > 3 && rest[3] != b' ' {
        return Err(ParseError::BadStartLine("status code is not three digits"));
    }
    let code = u16::from(rest[0] - b'0') * 100 + u16::from(rest[1] - b'0') * 10 + u16::from(rest[2] - b'0');
    let status = StatusCode::new(code).map_err(|_| ParseError::BadStartLine("status code outside 100-699"))?;
    let reason = if rest.len() > 4 { buf.slice_ref(&rest[4..]) } else { Bytes::new() };
    Ok(StartLine::Response { version: Version::from_bytes(version), status, reason })
}

/// `SIP/1*DIGIT.1*DIGIT`, case-insensitive.
fn looks_like_version(v: &[u8]) -> bool {
    if v.len() < 7 || !v[..4].eq_ignore_ascii_case(b"SIP/") {
        return false;
    }
    let rest = &v[4..];
    match rest.iter().position(|&b| b == b'.') {
        Some(dot) => {
            dot > 0
                && dot + 1 < rest.len()
                && rest[..dot].iter().all(u8::is_ascii_digit)
                && rest[dot + 1..].iter().all(u8::is_ascii_digit)
        }
        None => false,
    }
}

/// What a stream produced.
#[derive(Debug)]
pub enum Framed {
    /// A complete, well-formed message.
    Message(Message),
    /// A complete message that does not parse; the stream itself is still in step.
    Malformed(Malformed),
    /// An RFC 5626 §4.4.1 keep-alive ping (CRLFCRLF); answer with a CRLF pong.
    Ping,
}

/// Framing faults after which a stream cannot be trusted: answer if possible, then close.
#[derive(Debug)]
pub enum StreamError {
    /// The message is larger than the limit; `salvage` holds its head when it was readable, to
    /// answer 513 (RFC 3261 §21.5.14).
    TooLarge {
        /// The readable part of the offending message.
        salvage: Option<Malformed>,
    },
    /// Content-Length is missing its number, negative, or given twice (RFC 4475 §3.1.2.3,
    /// §3.3.9): nobody can tell where the next message starts.
    BadFraming(Malformed),
}

/// Cuts a byte stream (TCP, TLS) into SIP messages by Content-Length.
#[derive(Debug)]
pub struct StreamFramer {
    buf: BytesMut,
    max_message_size: usize,
}

impl StreamFramer {
    /// A framer that refuses messages larger than `max_message_size` octets.
    pub fn new(max_message_size: usize) -> Self {
        StreamFramer { buf: BytesMut::with_capacity(4096), max_message_size }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The buffer to read into directly (avoids a copy); call after filling it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Octets held that are not yet a complete message.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete message, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Framed>, StreamError> {
        // Keep-alives and stray line ends between messages.
        loop {
            if self.buf.starts_with(b"\r\n\r\n") {
                self.buf.advance(4);
                return Ok(Some(Framed::Ping));
            }
            match self.buf.first() {
                Some(b'\r') if self.buf.len() < 4 && b"\r\n\r\n".starts_with(&self.buf) => return Ok(None),
                Some(b'\r' | b'\n') => self.buf.advance(1),
                _ => break,
            }
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        let Some(body_start) = find_head_end(&self.buf) else {
            if self.buf.len() > self.max_message_size {
                return Err(StreamError::TooLarge { salvage: None });
            }
            return Ok(None);
        };
        let content_length = match scan_content_length(&self.buf[..body_start]) {
            Ok(n) => n.unwrap_or(0),
            Err(error) => {
                let head = self.buf.split_to(body_start).freeze();
                let mut salvage = parse_head_salvage(head);
                salvage.error = error;
                return Err(StreamError::BadFraming(salvage));
            }
        };
        let total = body_start.saturating_add(content_length);
        if total > self.max_message_size {
            let head = self.buf.split_to(body_start).freeze();
            let mut salvage = parse_head_salvage(head);
            salvage.error = ParseError::TooLarge;
            return Err(StreamError::TooLarge { salvage: Some(salvage) });
        }
        if self.buf.len() < total {
            self.buf.reserve(total - self.buf.len());
            return Ok(None);
        }
        let bytes = self.buf.split_to(total).freeze();
        let head = parse_head(&bytes);
        let body = bytes.slice(body_start..total);
        Ok(Some(match head.into_message(body) {
            Ok(m) => Framed::Message(m),
            Err(m) => Framed::Malformed(m),
        }))
    }
}

fn parse_head_salvage(head_bytes: Bytes) -> Malformed {
    let head = parse_head(&head_bytes);
    head.into_malformed(ParseError::Incomplete)
}

/// Where the body starts: after the first empty line (CRLFCRLF, or bare LF line ends).
fn find_head_end(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(off) = memchr::memchr(b'\n', &buf[from..]) {
        let nl = from + off;
        let next = nl + 1;
        match buf.get(next) {
            Some(b'\n') => return Some(next + 1),
            Some(b'\r') if buf.get(next + 1) == Some(&b'\n') => return Some(next + 2),
            Some(_) => from = next,
            None => return None,
        }
    }
    None
}

/// Finds Content-Length (or `l`) in a head without parsing the rest: `Ok(None)` when absent.
fn scan_content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let mut found = None;
    for line in head.split(|&b| b == b'\n') {
        let Some((name_len, value_off)) = split_header_line(line) else { continue };
        let name = &line[..name_len];
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            if found.is_some() {
                return Err(ParseError::DuplicateHeader("Content-Length"));
            }
            let v = trim(&line[value_off..]);
            if v.is_empty() || v.len() > 12 || !v.iter().all(u8::is_ascii_digit) {
                return Err(ParseError::BadContentLength);
            }
            found = Some(v.iter().fold(0usize, |acc, b| acc * 10 + usize::from(b - b'0')));
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:ringway@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody";

    #[test]
    fn datagram_body_is_content_length_octets_and_trailing_bytes_are_ignored() {
        let mut dgram = OPTIONS.to_vec();
        dgram.extend_from_slice(b"INVITE garbage");
        let Message::Request(r) = parse_datagram(Bytes::from(dgram)).unwrap() else { panic!() };
        assert_eq!(&r.body[..], b"body");
        assert_eq!(r.method, Method::Options);
    }

    #[test]
    fn folded_header_values_unfold_to_one_space_per_rfc3261_section_7_3_1() {
        let m = parse_datagram(Bytes::from_static(
            b"OPTIONS sip:a@b SIP/2.0\r\nSubject: I know you're there,\r\n   pick up the phone\r\n\tand talk to me!\r\nl: 0\r\n\r\n",
        ))
        .unwrap();
        let subject = m.headers().get(&HeaderName::Subject).unwrap();
        assert_eq!(&subject[..], b"I know you're there, pick up the phone and talk to me!");
    }

    #[test]
    fn stream_frames_partial_reads_and_several_messages_per_read() {
        let mut framer = StreamFramer::new(65535);
        let mut two = OPTIONS.to_vec();
        two.extend_from_slice(b"\r\n\r\n");
        two.extend_from_slice(OPTIONS);
        framer.push(&two[..10]);
        assert!(framer.next_message().unwrap().is_none());
        framer.push(&two[10..]);
        assert!(matches!(framer.next_message().unwrap(), Some(Framed::Message(_))));
        assert!(matches!(framer.next_message().unwrap(), Some(Framed::Ping)));
        assert!(matches!(framer.next_message().unwrap(), Some(Framed::Message(_))));
        assert!(framer.next_message().unwrap().is_none());
        assert_eq!(framer.buffered(), 0);
    }

    #[test]
    fn stream_with_negative_content_length_cannot_be_framed_per_rfc4475_section_3_1_2_3() {
        let mut framer = StreamFramer::new(65535);
        framer.push(b"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: -999\r\n\r\nv=0\r\n");
        let Err(StreamError::BadFraming(m)) = framer.next_message() else { panic!() };
        assert_eq!(m.error, ParseError::BadContentLength);
        assert!(m.is_request);
        assert_eq!(m.headers.call_id().unwrap(), "x");
    }

    #[test]
    fn stream_message_over_the_limit_is_refused_with_its_head_salvaged() {
        let mut framer = StreamFramer::new(100);
        framer.push(OPTIONS);
        let Err(StreamError::TooLarge { salvage: Some(m) }) = framer.next_message() else { panic!() };
        assert_eq!(m.error, ParseError::TooLarge);
        assert_eq!(m.headers.cseq().unwrap().seq, 1);
    }

    #[test]
    fn malformed_start_lines_name_their_fault() {
        for bad in [&b"INVITE  sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"[..], b"OPTIONS sip:a@b SIP/2.0  \r\n\r\n", b"INVITE sip:a@b; lr SIP/2.0\r\n\r\n"] {
            let err = parse_datagram(Bytes::copy_from_slice(bad)).unwrap_err();
            assert!(matches!(err.error, ParseError::BadStartLine(_)), "{err:?}");
            assert!(err.is_request);
        }
        let err = parse_datagram(Bytes::from_static(b"SIP/2.0 4294967301 better not break the receiver\r\n\r\n")).unwrap_err();
        assert!(!err.is_request);
    }
}
