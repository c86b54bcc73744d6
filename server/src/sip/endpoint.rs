//! The answers the SIP core gives by itself, before (and beneath) the registrar and the B2BUA:
//! RFC 3261 §8.2 UAS request processing and §16.3's checks, as a pure function of the request.
//!
//! In order, the first that applies wins:
//!
//! | check | answer |
//! |---|---|
//! | malformed (framing, start line, a header the core reads) | `400 Bad Request (<fault>)` + `Warning: 399` |
//! | SIP-Version is not 2.0 (§7.1, §21.5.20) | `505 SIP Version not supported` |
//! | extension method (§8.2.1) | `501 Method Not Supported Here` + `Allow` |
//! | Request-URI scheme not sip/sips/tel (§8.2.2.1) | `416 Unsupported Scheme` |
//! | Max-Forwards 0 on a request Ringway would pass on (§16.3 step 3) | `483 Too Many Hops` |
//! | Require/Proxy-Require tags Ringway lacks (§8.2.2.3, §16.3 step 5) | `420 Bad extension` + `Unsupported` |
//! | INVITE body that is not SDP (§8.2.3) | `415 Unsupported Media Type` + `Accept` |
//! | INVITE whose Accept excludes SDP (§8.2.3) | `406 Not Acceptable` |
//! | OPTIONS | `200 OK` + `Allow`, `Accept`, `Supported` (§11.2) |
//! | in-dialog request, or BYE, with no dialog | `481 Call Leg/Transaction Does Not Exist` |
//! | INVITE that nothing routes yet | `404 Not found` |
//! | any other known method | `405 Method Not Allowed` + `Allow` |
//!
//! Reason phrases are the plain lines of the status catalog ([`StatusCode::canonical_reason`]).
//! Not here: CANCEL (the transaction layer answers it), ACK (never answered), digest
//! authentication, routing. The registrar and the B2BUA take over the last three rows as they land.

use super::ident::{ensure_to_tag, tag_for_request};
use super::message::{HeaderName, Headers, Malformed, Method, ParseError, Request, Response, Scheme, Version};
use bytes::Bytes;
use ringway_sdk::StatusCode;
use std::net::IpAddr;

/// Methods Ringway accepts today, for `Allow`.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER";
/// Body types Ringway takes in offers and answers, for `Accept`.
pub const ACCEPT: &str = "application/sdp";
/// Option tags Ringway supports: `path` (RFC 3327, the registrar stores and echoes Path).
pub const SUPPORTED: &[&str] = &["path"];

/// What the core needs to know about the server it speaks for.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// Value of the `Server` header.
    pub server_name: String,
    /// Addresses Ringway listens on: a Request-URI naming one of them names Ringway itself.
    pub local_ips: Vec<IpAddr>,
}

/// The core's own answers.
#[derive(Clone, Debug)]
pub struct Endpoint {
    config: EndpointConfig,
    server: Bytes,
}

impl Endpoint {
    /// An endpoint speaking as `config.server_name`.
    pub fn new(config: EndpointConfig) -> Self {
        let server = Bytes::from(config.server_name.clone());
        Endpoint { config, server }
    }

    /// The answer to a well-formed request (never ACK or CANCEL: those belong to the transaction
    /// layer). Always a final response: nothing goes unanswered. `local_tag` becomes the To tag
    /// when the request has none (the shard mints it, so it names the shard).
    pub fn answer(&self, request: &Request, local_tag: &str) -> Response {
        match self.precheck(request, local_tag) {
            Some(refusal) => refusal,
            None => self.dispatch(request, local_tag),
        }
    }

    /// The checks every request passes before anything serves it — registrar, authentication,
    /// routing (RFC 3261 §8.2.1–§8.2.3, §16.3): `None` when it may go on, else the refusal.
    pub fn precheck(&self, request: &Request, local_tag: &str) -> Option<Response> {
        let reply = |status| self.reply(request, status, local_tag);
        if request.version != Version::Sip2 {
            return Some(reply(StatusCode::VERSION_NOT_SUPPORTED));
        }
        if !request.method.is_known() {
            let mut r = reply(StatusCode::NOT_IMPLEMENTED);
            r.headers.push(HeaderName::Allow, ALLOW);
            return Some(r);
        }
        let uri = match request.uri() {
            Ok(uri) => uri,
            Err(e) => return Some(self.reject_invalid(request, e)),
        };
        if matches!(uri.scheme, Scheme::Other(_)) {
            return Some(reply(StatusCode::UNSUPPORTED_URI_SCHEME));
        }
        let to_me = self.is_local(&uri);
        if !to_me && request.headers.max_forwards().ok().flatten() == Some(0) {
            return Some(reply(StatusCode::TOO_MANY_HOPS));
        }
        let unsupported = unsupported_tags(&request.headers);
        if !unsupported.is_empty() {
            let mut r = reply(StatusCode::BAD_EXTENSION);
            r.headers.push(HeaderName::Unsupported, unsupported.join(", "));
            return Some(r);
        }
        if request.method == Method::Invite {
            return self.check_offer(request, local_tag);
        }
        None
    }

    /// The answer to a request that passed [`Endpoint::precheck`] and that no registrar or
    /// router took.
    pub fn dispatch(&self, request: &Request, local_tag: &str) -> Response {
        let reply = |status| self.reply(request, status, local_tag);
        let in_dialog = request.headers.to_addr().ok().and_then(|to| to.tag()).is_some();
        match request.method {
            Method::Options => {
                let mut r = reply(StatusCode::OK);
                r.headers.push(HeaderName::Allow, ALLOW);
                r.headers.push(HeaderName::Accept, ACCEPT);
                r.headers.push(HeaderName::Supported, SUPPORTED.join(", "));
                r
            }
            _ if in_dialog => reply(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST),
            Method::Bye | Method::Prack | Method::Update | Method::Info => {
                reply(StatusCode::CALL_OR_TRANSACTION_DOES_NOT_EXIST)
            }
            Method::Invite => reply(StatusCode::NOT_FOUND),
            _ => {
                let mut r = reply(StatusCode::METHOD_NOT_ALLOWED);
                r.headers.push(HeaderName::Allow, ALLOW);
                r
            }
        }
    }

    /// `400 Bad Request (<fault>)` for a request that failed validation.
    pub fn reject_invalid(&self, request: &Request, error: ParseError) -> Response {
        self.bad_request(&request.headers, error)
    }

    /// `400 Bad Request (<fault>)` for a malformed request; `None` for a malformed response
    /// (dropped, RFC 3261 §18.1.2) or when nothing can be addressed (no Via).
    pub fn reject_malformed(&self, malformed: &Malformed) -> Option<Response> {
        if !malformed.is_request || malformed.headers.get(&HeaderName::Via).is_none() {
            return None;
        }
        Some(self.bad_request(&malformed.headers, malformed.error))
    }

    /// `513 Message too big` for a request too large to take (RFC 3261 §21.5.14), when its head
    /// could be read; `None` for a response or a head without Via.
    pub fn reject_too_large(&self, salvage: &Malformed) -> Option<Response> {
        if !salvage.is_request || salvage.headers.get(&HeaderName::Via).is_none() {
            return None;
        }
        let mut r = Response::to_request(&salvage.headers, StatusCode::MESSAGE_TOO_LARGE, None);
        ensure_to_tag(&mut r, &tag_for_request(&salvage.headers));
        r.headers.push(HeaderName::Server, self.server.clone());
        Some(r)
    }

    fn bad_request(&self, headers: &Headers, error: ParseError) -> Response {
        let reason = format!("Bad Request ({error})");
        let mut r = Response::to_request(headers, StatusCode::BAD_REQUEST, Some(&reason));
        ensure_to_tag(&mut r, &tag_for_request(headers));
        r.headers.push(HeaderName::Server, self.server.clone());
        r.headers.push(HeaderName::Warning, format!("399 {} \"{error}\"", self.warn_agent()));
        r
    }

    fn warn_agent(&self) -> String {
        self.config.local_ips.first().map_or_else(|| "ringway".to_owned(), |ip| ip.to_string())
    }

    /// A response with the plain reason phrase, a To tag (final responses, §8.2.6.2) and Server.
    fn reply(&self, request: &Request, status: StatusCode, local_tag: &str) -> Response {
        let mut r = Response::to_request(&request.headers, status, None);
        if status.is_final() {
            ensure_to_tag(&mut r, local_tag);
        }
        r.headers.push(HeaderName::Server, self.server.clone());
        r
    }

    /// Whether a Request-URI names Ringway itself rather than someone to reach through it.
    fn is_local(&self, uri: &super::message::Uri<'_>) -> bool {
        if uri.scheme == Scheme::Tel {
            return false;
        }
        let Some(host) = uri.host else { return false };
        if uri.user.is_none() {
            return true;
        }
        host.ip().is_some_and(|ip| self.config.local_ips.iter().any(|l| *l == ip || l.is_unspecified()))
    }

    /// §8.2.3: an INVITE's body must be SDP (or multipart carrying it), and the caller must
    /// accept SDP back.
    fn check_offer(&self, request: &Request, local_tag: &str) -> Option<Response> {
        if !request.body.is_empty() {
            let media = request.headers.content_type().ok().flatten().unwrap_or("application/sdp");
            let media = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if media != "application/sdp" && !media.starts_with("multipart/") {
                let mut r = self.reply(request, StatusCode::UNSUPPORTED_MEDIA_TYPE, local_tag);
                r.headers.push(HeaderName::Accept, ACCEPT);
                return Some(r);
            }
        }
        let mut accepts = request.headers.elements(&HeaderName::Accept).peekable();
        if accepts.peek().is_some() {
            let sdp_ok = accepts.any(|a| {
                let media = String::from_utf8_lossy(a.split(|&b| b == b';').next().unwrap_or(a)).trim().to_ascii_lowercase();
                matches!(media.as_str(), "application/sdp" | "application/*" | "*/*")
            });
            if !sdp_ok {
                let mut r = self.reply(request, StatusCode::NOT_ACCEPTABLE, local_tag);
                r.headers.push(HeaderName::Accept, ACCEPT);
                return Some(r);
            }
        }
        None
    }
}

/// Require and Proxy-Require tags Ringway does not support, in order, without repeats.
fn unsupported_tags(headers: &Headers) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for name in [&HeaderName::Require, &HeaderName::ProxyRequire] {
        for tag in headers.option_tags(name) {
            if !SUPPORTED.iter().any(|s| s.eq_ignore_ascii_case(tag)) && !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Message, parse_datagram, validate::validate_request};

    fn endpoint() -> Endpoint {
        Endpoint::new(EndpointConfig { server_name: "Ringway".into(), local_ips: vec!["127.0.0.1".parse().unwrap()] })
    }

    fn request(text: &str) -> Request {
        let text = text.replace('\n', "\r\n") + "\r\n";
        match parse_datagram(Bytes::from(text)).unwrap() {
            Message::Request(r) => {
                validate_request(&r).unwrap();
                r
            }
            Message::Response(_) => panic!("not a request"),
        }
    }

    fn head(method: &str, uri: &str, extra: &str) -> String {
        format!(
            "{method} {uri} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK77\nFrom: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: c1\nCSeq: 1 {method}\nMax-Forwards: 70\n{extra}Content-Length: 0\n"
        )
    }

    fn status_line(r: &Response) -> String {
        format!("{} {}", r.status, String::from_utf8_lossy(&r.reason))
    }

    #[test]
    fn options_gets_200_with_allow_accept_and_supported_per_rfc3261_section_11_2() {
        let r = endpoint().answer(&request(&head("OPTIONS", "sip:127.0.0.1", "")), "t1");
        assert_eq!(status_line(&r), "200 OK");
        assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
        assert!(r.headers.get(&HeaderName::Accept).is_some());
        assert!(r.headers.get(&HeaderName::Supported).is_some());
        assert!(r.headers.to_addr().unwrap().tag().is_some());
    }

    #[test]
    fn unknown_method_gets_501_with_allow_per_rfc3261_section_8_2_1() {
        let r = endpoint().answer(&request(&head("FOOBAR", "sip:127.0.0.1", "")), "t1");
        assert_eq!(status_line(&r), "501 Method Not Supported Here");
        assert!(r.headers.get(&HeaderName::Allow).is_some());
    }

    #[test]
    fn max_forwards_zero_to_someone_else_gets_483_but_to_ringway_is_answered_per_rfc3261_section_16_3() {
        let mut text = head("OPTIONS", "sip:user@example.com", "");
        text = text.replace("Max-Forwards: 70", "Max-Forwards: 0");
        assert_eq!(status_line(&endpoint().answer(&request(&text), "t1")), "483 Too Many Hops");
        let text = head("OPTIONS", "sip:127.0.0.1", "").replace("Max-Forwards: 70", "Max-Forwards: 0");
        assert_eq!(endpoint().answer(&request(&text), "t1").status, StatusCode::OK);
    }

    #[test]
    fn unknown_require_and_proxy_require_get_420_listing_them_per_rfc3261_section_8_2_2_3() {
        let r = endpoint().answer(&request(&head("OPTIONS", "sip:u@h", "Require: foo, bar\nProxy-Require: baz\n")), "t1");
        assert_eq!(status_line(&r), "420 Bad extension");
        assert_eq!(r.headers.get(&HeaderName::Unsupported).unwrap(), "foo, bar, baz");
    }

    #[test]
    fn other_versions_get_505_and_unknown_schemes_416() {
        let text = head("OPTIONS", "sip:127.0.0.1", "").replace(" SIP/2.0\n", " SIP/7.0\n");
        assert_eq!(status_line(&endpoint().answer(&request(&text), "t1")), "505 SIP Version not supported");
        let r = endpoint().answer(&request(&head("OPTIONS", "nobodyKnowsThisScheme:totallyopaquecontent", "")), "t1");
        assert_eq!(status_line(&r), "416 Unsupported Scheme");
    }

    #[test]
    fn invite_with_unknown_body_type_gets_415_and_one_refusing_sdp_gets_406_per_rfc3261_section_8_2_3() {
        let text = head("INVITE", "sip:u@h", "Content-Type: application/unknownformat\n").replace("Content-Length: 0\n", "Content-Length: 3\n\nabc");
        let text = text.trim_end_matches('\n').to_owned();
        let req = match parse_datagram(Bytes::from(text.replace('\n', "\r\n"))).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        };
        let r = endpoint().answer(&req, "t1");
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(r.headers.get(&HeaderName::Accept).unwrap(), ACCEPT);
        let r = endpoint().answer(&request(&head("INVITE", "sip:u@h", "Accept: text/nobodyKnowsThis\n")), "t1");
        assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    }

    #[test]
    fn requests_nothing_handles_yet_still_get_a_final_answer() {
        let e = endpoint();
        assert_eq!(status_line(&e.answer(&request(&head("INVITE", "sip:100@127.0.0.1", "")), "t1")), "404 Not found");
        assert_eq!(status_line(&e.answer(&request(&head("BYE", "sip:100@127.0.0.1", "")), "t1")), "481 Call Leg/Transaction Does Not Exist");
        let r = e.answer(&request(&head("REGISTER", "sip:127.0.0.1", "")), "t1");
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers.get(&HeaderName::Allow).unwrap(), ALLOW);
    }

    #[test]
    fn malformed_requests_get_400_naming_the_fault_and_responses_get_nothing() {
        let bad = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: -5\r\n\r\n";
        let m = parse_datagram(Bytes::from(bad)).unwrap_err();
        let r = endpoint().reject_malformed(&m).unwrap();
        assert_eq!(status_line(&r), "400 Bad Request (malformed Content-Length)");
        assert!(r.headers.get(&HeaderName::Warning).unwrap().starts_with(b"399 "));
        assert_eq!(r.headers.call_id().unwrap(), "x");
        let m = parse_datagram(Bytes::from_static(b"SIP/2.0 999 Nope\r\nVia: SIP/2.0/UDP h\r\n\r\n")).unwrap_err();
        assert!(endpoint().reject_malformed(&m).is_none());
    }
}
