//! Typed access to the headers the core needs, read on demand from [`Headers`].
//!
//! Nothing here is cached: each accessor parses the bytes it needs, borrowing from the message.
//! Accessors exist on [`Headers`] rather than on requests or responses so that they also work on
//! the headers salvaged from a malformed message (to build its 400).

use super::auth::AuthValue;
use super::header::{HeaderName, Headers};
use super::name_addr::{Contact, NameAddr};
use super::syntax::TrimLws;
use super::via::Via;
use super::{Method, ParseError};

/// `CSeq: 4711 INVITE` (RFC 3261 §20.16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number, below 2³¹ in requests Ringway creates but up to 2³²−1 accepted.
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(value: &[u8]) -> Result<CSeq, ParseError> {
        const E: ParseError = ParseError::BadHeaderValue("CSeq");
        let s = super::header::trim(value);
        let digits = s.iter().position(|b| !b.is_ascii_digit()).ok_or(E)?;
        if digits == 0 || digits > 10 {
            return Err(E);
        }
        let seq: u64 = std::str::from_utf8(&s[..digits]).map_err(|_| E)?.parse().map_err(|_| E)?;
        let seq = u32::try_from(seq).map_err(|_| E)?;
        let method = super::header::trim(&s[digits..]);
        if s.len() == digits || !super::header::is_wsp(s[digits]) || method.is_empty() {
            return Err(E);
        }
        if !method.iter().all(|&b| super::syntax::is_token_char(b)) {
            return Err(E);
        }
        Ok(CSeq { seq, method: Method::from_bytes(method) })
    }
}

fn text<'a>(value: &'a [u8], header: &'static str) -> Result<&'a str, ParseError> {
    std::str::from_utf8(value).map_err(|_| ParseError::NotUtf8(header))
}

fn single<'a>(headers: &'a Headers, name: &'static HeaderName, label: &'static str) -> Result<&'a [u8], ParseError> {
    let mut values = headers.get_all(name);
    let first = values.next().ok_or(ParseError::MissingHeader(label))?;
    if values.next().is_some() {
        return Err(ParseError::DuplicateHeader(label));
    }
    Ok(first)
}

fn decimal(value: &[u8], header: &'static str) -> Result<u64, ParseError> {
    let v = super::header::trim(value);
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadHeaderValue(header));
    }
    // Saturate absurdly long numbers rather than overflow (RFC 4475 §3.1.2.4 Expires).
    if v.len() > 18 {
        return Ok(u64::MAX);
    }
    Ok(v.iter().fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')))
}

impl Headers {
    /// Every Via element, top first.
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'_>, ParseError>> + '_ {
        self.elements(&HeaderName::Via).map(|v| Via::parse(text(v, "Via")?))
    }

    /// The top Via: where a response goes and the transaction identifier.
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        self.vias().next().unwrap_or(Err(ParseError::MissingHeader("Via")))
    }

    /// The From header (exactly one).
    pub fn from_addr(&self) -> Result<NameAddr<'_>, ParseError> {
        NameAddr::parse(text(single(self, &HeaderName::From, "From")?, "From")?, "From")
    }

    /// The To header (exactly one).
    pub fn to_addr(&self) -> Result<NameAddr<'_>, ParseError> {
        NameAddr::parse(text(single(self, &HeaderName::To, "To")?, "To")?, "To")
    }

    /// The Call-ID (exactly one, non-empty, no whitespace).
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let v = text(single(self, &HeaderName::CallId, "Call-ID")?, "Call-ID")?;
        if v.is_empty() || v.bytes().any(|b| b == b' ' || b == b'\t') {
            return Err(ParseError::BadHeaderValue("Call-ID"));
        }
        Ok(v)
    }

    /// The CSeq (exactly one).
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        CSeq::parse(single(self, &HeaderName::CSeq, "CSeq")?)
    }

    /// Max-Forwards, when present. Values above 255 read as 255 (RFC 4475 §3.1.2.4 allows
    /// treating them as absent; keeping the limit is the safer reading for loop protection).
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        match single(self, &HeaderName::MaxForwards, "Max-Forwards") {
            Ok(v) => Ok(Some(decimal(v, "Max-Forwards")?.min(255) as u8)),
            Err(ParseError::MissingHeader(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Content-Length, when present.
    pub fn content_length(&self) -> Result<Option<usize>, ParseError> {
        match single(self, &HeaderName::ContentLength, "Content-Length") {
            Ok(v) => {
                let n = decimal(v, "Content-Length").map_err(|_| ParseError::BadContentLength)?;
                usize::try_from(n).map(Some).map_err(|_| ParseError::BadContentLength)
            }
            Err(ParseError::MissingHeader(_)) => Ok(None),
            Err(ParseError::DuplicateHeader(_)) => Err(ParseError::DuplicateHeader("Content-Length")),
            Err(e) => Err(e),
        }
    }

    /// Content-Type, when present: `type/subtype` lower-cased comparison is the caller's; the value
    /// is returned as written (parameters included).
    pub fn content_type(&self) -> Result<Option<&str>, ParseError> {
        match single(self, &HeaderName::ContentType, "Content-Type") {
            Ok(v) => {
                let v = text(v, "Content-Type")?;
                let media = v.split(';').next().unwrap_or("").trim_lws();
                let valid = media.split_once('/').is_some_and(|(t, s)| {
                    super::syntax::is_token(t.trim_lws()) && super::syntax::is_token(s.trim_lws())
                });
                if !valid {
                    return Err(ParseError::BadHeaderValue("Content-Type"));
                }
                Ok(Some(v))
            }
            Err(ParseError::MissingHeader(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Expires, when present; an overlarge value reads as 2³²−1 (RFC 3261 §20.19 delta-seconds).
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        match single(self, &HeaderName::Expires, "Expires") {
            Ok(v) => Ok(Some(decimal(v, "Expires")?.min(u64::from(u32::MAX)) as u32)),
            Err(ParseError::MissingHeader(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every Contact element.
    pub fn contacts(&self) -> impl Iterator<Item = Result<Contact<'_>, ParseError>> + '_ {
        self.elements(&HeaderName::Contact).map(|v| Contact::parse(text(v, "Contact")?))
    }

    /// Every Route element, in order.
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'_>, ParseError>> + '_ {
        self.elements(&HeaderName::Route).map(|v| NameAddr::parse(text(v, "Route")?, "Route"))
    }

    /// Every Record-Route element, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'_>, ParseError>> + '_ {
        self.elements(&HeaderName::RecordRoute).map(|v| NameAddr::parse(text(v, "Record-Route")?, "Record-Route"))
    }

    /// Option tags of Require, Supported, Proxy-Require or Unsupported (any list of tokens).
    pub fn option_tags<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a str> + 'a {
        self.elements(name).filter_map(|v| std::str::from_utf8(v).ok())
    }

    /// The methods of Allow.
    pub fn allow(&self) -> impl Iterator<Item = Method> + '_ {
        self.elements(&HeaderName::Allow).map(Method::from_bytes)
    }

    /// WWW-Authenticate, Proxy-Authenticate, Authorization or Proxy-Authorization values.
    pub fn auth_values<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = Result<AuthValue<'a>, ParseError>> + 'a {
        let label = match name {
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::Authorization => "Authorization",
            _ => "Proxy-Authorization",
        };
        self.get_all(name).map(move |v| AuthValue::parse(text(v, label)?, label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_overflow_is_malformed_per_rfc4475_section_3_1_2_4() {
        assert!(CSeq::parse(b"36893488147419103232 REGISTER").is_err());
        assert!(CSeq::parse(b"4294967296 INVITE").is_err());
        assert_eq!(CSeq::parse(b"4294967295 INVITE").unwrap().seq, u32::MAX);
        assert_eq!(CSeq::parse(b"  8   INVITE ").unwrap().method, Method::Invite);
        assert!(CSeq::parse(b"abc OPTIONS").is_err());
        assert!(CSeq::parse(b"8INVITE").is_err());
    }

    #[test]
    fn overlarge_expires_saturates_and_max_forwards_caps_at_255() {
        let mut h = Headers::default();
        h.push(HeaderName::Expires, "1".repeat(100));
        h.push(HeaderName::MaxForwards, "300");
        assert_eq!(h.expires().unwrap(), Some(u32::MAX));
        assert_eq!(h.max_forwards().unwrap(), Some(255));
        h.push(HeaderName::MaxForwards, "1");
        assert_eq!(h.max_forwards(), Err(ParseError::DuplicateHeader("Max-Forwards")));
    }
}
