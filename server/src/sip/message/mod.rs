//! Ringway's own SIP message layer (RFC 3261 §7, §18.3, §20, §25; RFC 4475; RFC 5118).
//!
//! - [`parse`]: framing by Content-Length over datagrams ([`parse_datagram`], trailing octets
//!   ignored) and streams ([`StreamFramer`], partial reads and several messages per read), then
//!   the start line and the header lines: compact forms, folding, LWS around colons, repeated and
//!   comma-separated headers, extension methods.
//! - [`typed`]: typed access (Via, From/To, Call-ID, CSeq, Contact, Max-Forwards, Content-*,
//!   Route, Record-Route, Expires, option tags, Allow, authentication), parsed on demand from the
//!   received bytes.
//! - [`validate`]: the checks a request or response must pass before the transaction layer sees
//!   it; each failure names its fault for the 400 reason phrase.
//! - [`write`](mod@write): serialization; every header Ringway has no typed use for is written back
//!   byte-exact, so a message can be proxied with only its Via and Route lists changed.
//!
//! It deliberately does not interpret bodies (SDP lives with media) nor unescape `%HH` sequences.

pub mod auth;
mod error;
mod fuzz;
pub mod header;
pub mod name_addr;
pub mod parse;
mod syntax;
pub mod typed;
pub mod uri;
pub mod validate;
pub mod via;
pub mod write;

pub use auth::AuthValue;
pub use error::ParseError;
#[doc(hidden)]
pub use fuzz::fuzz_parse;
pub use header::{Header, HeaderName, Headers};
pub use name_addr::{Contact, NameAddr};
pub use parse::{Framed, Malformed, StreamError, StreamFramer, parse_datagram, parse_message};
pub use typed::CSeq;
pub use uri::{Host, Params, Scheme, Uri};
pub use via::{BRANCH_MAGIC_COOKIE, Via};

use bytes::Bytes;
use ringway_sdk::StatusCode;

macro_rules! methods {
    ($($variant:ident = $name:literal;)*) => {
        /// A request method. Methods are case-sensitive (RFC 3261 §7.1); any token that is not a
        /// method Ringway knows is an [`Method::Extension`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Method {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
            /// Any other method token, as written.
            Extension(Bytes),
        }

        impl Method {
            /// Reads a method token.
            pub fn from_bytes(token: &[u8]) -> Method {
                match token {
                    $(t if t == $name.as_bytes() => Method::$variant,)*
                    other => Method::Extension(Bytes::copy_from_slice(other)),
                }
            }

            /// The method as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Method::$variant => $name,)*
                    Method::Extension(token) => std::str::from_utf8(token).unwrap_or("?"),
                }
            }
        }
    };
}

methods! {
    Invite = "INVITE";
    Ack = "ACK";
    Bye = "BYE";
    Cancel = "CANCEL";
    Options = "OPTIONS";
    Register = "REGISTER";
    Prack = "PRACK";
    Subscribe = "SUBSCRIBE";
    Notify = "NOTIFY";
    Publish = "PUBLISH";
    Info = "INFO";
    Refer = "REFER";
    Message = "MESSAGE";
    Update = "UPDATE";
}

impl Method {
    /// Whether this is a method Ringway knows (not an extension).
    pub fn is_known(&self) -> bool {
        !matches!(self, Method::Extension(_))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SIP-Version of a start line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    /// `SIP/2.0` (compared case-insensitively, RFC 3261 §7.1).
    Sip2,
    /// Anything else that looks like `SIP/x.y`; a request with it gets 505.
    Other(Bytes),
}

impl Version {
    fn from_bytes(v: &[u8]) -> Version {
        if v.eq_ignore_ascii_case(b"SIP/2.0") { Version::Sip2 } else { Version::Other(Bytes::copy_from_slice(v)) }
    }
}

/// A SIP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method of the request line.
    pub method: Method,
    /// The Request-URI as written; parse it with [`Request::uri`].
    pub uri: Bytes,
    /// The SIP-Version of the request line.
    pub version: Version,
    /// The header fields.
    pub headers: Headers,
    /// The body, exactly Content-Length octets.
    pub body: Bytes,
}

impl Request {
    /// Starts a request with no headers and no body.
    pub fn new(method: Method, uri: impl Into<Bytes>) -> Request {
        Request { method, uri: uri.into(), version: Version::Sip2, headers: Headers::with_capacity(10), body: Bytes::new() }
    }

    /// The Request-URI, parsed.
    pub fn uri(&self) -> Result<Uri<'_>, ParseError> {
        let text = std::str::from_utf8(&self.uri).map_err(|_| ParseError::BadUri("Request-URI"))?;
        Uri::parse(text)
    }
}

/// A SIP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The SIP-Version of the status line.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase as written (may be empty, may be UTF-8, RFC 4475 §3.1.1.12–13).
    pub reason: Bytes,
    /// The header fields.
    pub headers: Headers,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response to a request whose headers are `request_headers`: copies Via (all), From, To,
    /// Call-ID and CSeq as RFC 3261 §8.2.6.2 requires. `reason` `None` uses the plain phrase.
    /// Works on the salvaged headers of a malformed request too.
    pub fn to_request(request_headers: &Headers, status: StatusCode, reason: Option<&str>) -> Response {
        let mut headers = Headers::with_capacity(8);
        for h in request_headers {
            if matches!(h.name, HeaderName::Via | HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::CSeq) {
                headers.push(h.name.clone(), h.value.clone());
            }
        }
        let reason = reason.unwrap_or_else(|| status.reason_or_class_default());
        Response {
            version: Version::Sip2,
            status,
            reason: Bytes::copy_from_slice(reason.as_bytes()),
            headers,
            body: Bytes::new(),
        }
    }
}

/// A SIP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The header fields, for editing.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }
}
