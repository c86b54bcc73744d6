//! Serialization (RFC 3261 §7): start line, header lines as held, Content-Length, body.
//!
//! Header values are written back exactly as held; a message that lacks Content-Length gets one
//! (it is mandatory on streams and harmless on datagrams), so a body is never misframed.

use super::header::HeaderName;
use super::{Message, Request, Response, Version};
use bytes::{BufMut, Bytes, BytesMut};

fn version_bytes(v: &Version) -> &[u8] {
    match v {
        Version::Sip2 => b"SIP/2.0",
        Version::Other(raw) => raw,
    }
}

fn write_headers_and_body(out: &mut BytesMut, headers: &super::Headers, body: &[u8]) {
    let mut has_length = false;
    for h in headers {
        has_length |= h.name == HeaderName::ContentLength;
        out.put_slice(h.name.as_bytes());
        out.put_slice(b": ");
        out.put_slice(&h.value);
        out.put_slice(b"\r\n");
    }
    if !has_length {
        out.put_slice(b"Content-Length: ");
        let mut digits = itoa_buf(body.len());
        out.put_slice(digits.as_bytes_mut());
        out.put_slice(b"\r\n");
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
}

struct Digits {
    buf: [u8; 20],
    start: usize,
}

impl Digits {
    fn as_bytes_mut(&mut self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(mut n: usize) -> Digits {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    Digits { buf, start: i }
}

fn estimated_size(headers: &super::Headers, body: &[u8]) -> usize {
    64 + body.len() + headers.iter().map(|h| h.name.as_bytes().len() + h.value.len() + 4).sum::<usize>()
}

impl Request {
    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.reserve(estimated_size(&self.headers, &self.body) + self.uri.len());
        out.put_slice(self.method.as_str().as_bytes());
        out.put_u8(b' ');
        out.put_slice(&self.uri);
        out.put_u8(b' ');
        out.put_slice(version_bytes(&self.version));
        out.put_slice(b"\r\n");
        write_headers_and_body(out, &self.headers, &self.body);
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.write_to(&mut out);
        out.freeze()
    }
}

impl Response {
    /// Appends the wire form to `out`.
    pub fn write_to(&self, out: &mut BytesMut) {
        out.reserve(estimated_size(&self.headers, &self.body) + self.reason.len());
        out.put_slice(version_bytes(&self.version));
        out.put_u8(b' ');
        let mut code = itoa_buf(usize::from(self.status.as_u16()));
        out.put_slice(code.as_bytes_mut());
        out.put_u8(b' ');
        out.put_slice(&self.reason);
        out.put_slice(b"\r\n");
        write_headers_and_body(out, &self.headers, &self.body);
    }

    /// The wire form.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        self.write_to(&mut out);
        out.freeze()
    }
}

impl Message {
    /// The wire form.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Method, StatusCode, parse_datagram};
    use super::*;

    #[test]
    fn unknown_headers_round_trip_byte_exact_and_content_length_is_added() {
        let mut r = Request::new(Method::Options, "sip:a@b");
        r.headers.push(HeaderName::from_bytes(b"X-Odd_Header"), "  kept ; as=\"is\"");
        r.body = Bytes::from_static(b"hello");
        let wire = r.to_bytes();
        assert_eq!(
            &wire[..],
            b"OPTIONS sip:a@b SIP/2.0\r\nX-Odd_Header:   kept ; as=\"is\"\r\nContent-Length: 5\r\n\r\nhello"
        );
        let back = parse_datagram(wire).unwrap();
        assert_eq!(back.body(), &Bytes::from_static(b"hello"));
    }

    #[test]
    fn response_status_line_keeps_the_reason_phrase_byte_exact() {
        let r = Response::to_request(&Default::default(), StatusCode::new(480).unwrap(), Some("Empty Route Set"));
        assert!(r.to_bytes().starts_with(b"SIP/2.0 480 Empty Route Set\r\n"));
    }
}
