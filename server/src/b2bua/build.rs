//! Building the messages a call sends: the B-leg INVITE with the header policy, requests inside a
//! dialog, and responses relayed to the other side.

use super::call::{Call, Target};
use crate::sip::Flow;
use crate::sip::ident::Minter;
use crate::sip::message::{HeaderName, Headers, Method, Request, Response};
use bytes::Bytes;
use ringway_sdk::{StatusCode, StatusLine};

/// The caller's final answer when no attempt succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A catalog line of Ringway's own.
    Line(StatusLine),
    /// A target's final status, passed back with its own reason phrase.
    Passed {
        /// The status.
        status: StatusCode,
        /// Its reason phrase as the target wrote it.
        reason: String,
    },
}

/// Headers a B2BUA never copies from one leg to the other: each leg has its own transaction and
/// dialog identifiers, its own routing and its own capabilities (no 100rel, no session timers).
const HOP_BY_HOP: &[&str] = &[
    "via",
    "from",
    "to",
    "call-id",
    "cseq",
    "contact",
    "max-forwards",
    "content-length",
    "content-type",
    "route",
    "record-route",
    "authorization",
    "proxy-authorization",
    "www-authenticate",
    "proxy-authenticate",
    "require",
    "proxy-require",
    "supported",
    "allow",
    "user-agent",
    "server",
    "session-expires",
    "min-se",
    "rseq",
    "rack",
    "path",
    "p-asserted-identity",
    "p-preferred-identity",
    "privacy",
    "remote-party-id",
];

/// Methods a B-leg accepts from Ringway's side.
const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE, NOTIFY, REFER";

/// `<sip:ringway@local>` for the Contact of a flow's local end.
pub fn contact(flow: Flow) -> String {
    match flow.transport {
        crate::sip::Transport::Udp => format!("<sip:ringway@{}>", flow.local),
        crate::sip::Transport::Tcp => format!("<sip:ringway@{};transport=tcp>", flow.local),
    }
}

/// Adds what every request Ringway sends on `flow` carries: a Via with a fresh branch, and for
/// target-refreshing methods a Contact; plus User-Agent.
pub fn finish_request(request: &mut Request, flow: Flow, minter: &mut Minter, server_name: &str) {
    let via = format!("SIP/2.0/{} {};branch={};rport", flow.transport.via_name(), flow.local, minter.branch());
    request.headers.prepend(HeaderName::Via, via);
    if matches!(request.method, Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer) && request.headers.get(&HeaderName::Contact).is_none() {
        request.headers.push(HeaderName::Contact, contact(flow));
    }
    if request.headers.get(&HeaderName::UserAgent).is_none() {
        request.headers.push(HeaderName::UserAgent, server_name.to_owned());
    }
}

/// The INVITE of a B-leg: a new dialog (own Call-ID, tag, CSeq) toward `target`, carrying the
/// caller's identity as the header policy allows and `body` as the offer.
pub fn b_invite(call: &Call, target: &Target, body: Option<Bytes>, tag: &str, minter: &mut Minter, server_name: &str) -> Request {
    let a = &call.a_invite.headers;
    let flow = target.flow;
    let mut invite = Request::new(Method::Invite, target.uri.clone());
    let max_forwards = a.max_forwards().ok().flatten().unwrap_or(70).saturating_sub(1).max(1);
    let policy = &target.headers;
    let (display, user) = caller_identity(a);
    let from = if policy.privacy {
        format!("\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag={tag}")
    } else {
        let user = policy.caller_id.clone().or(user).unwrap_or_else(|| "anonymous".into());
        match display {
            Some(name) if policy.caller_id.is_none() => format!("\"{name}\" <sip:{user}@{}>;tag={tag}", flow.local.ip_for_uri()),
            _ => format!("<sip:{user}@{}>;tag={tag}", flow.local.ip_for_uri()),
        }
    };
    let h = &mut invite.headers;
    h.push(HeaderName::MaxForwards, max_forwards.to_string());
    h.push(HeaderName::From, from);
    h.push(HeaderName::To, format!("<{}>", target.uri));
    h.push(HeaderName::CallId, minter.call_id());
    h.push(HeaderName::CSeq, "1 INVITE");
    h.push(HeaderName::Allow, ALLOW);
    if let Some(pai) = &policy.pai {
        h.push(HeaderName::Other(Bytes::from_static(b"P-Asserted-Identity")), format!("<{pai}>"));
    } else if let Some(pai) = a.get(&HeaderName::Other(Bytes::from_static(b"P-Asserted-Identity"))) {
        h.push(HeaderName::Other(Bytes::from_static(b"P-Asserted-Identity")), pai.clone());
    }
    if policy.privacy {
        h.push(HeaderName::Other(Bytes::from_static(b"Privacy")), "id");
    }
    copy_end_to_end(a, h, &policy.strip, &policy.pass);
    for (name, value) in &policy.set {
        let name = HeaderName::from_bytes(name.as_bytes());
        h.remove_all(&name);
        h.push(name, value.clone());
    }
    if let Some(body) = body {
        let content_type = a.get(&HeaderName::ContentType).cloned().unwrap_or_else(|| Bytes::from_static(b"application/sdp"));
        h.push(HeaderName::ContentType, content_type);
        invite.body = body;
    }
    finish_request(&mut invite, flow, minter, server_name);
    invite
}

/// The caller's display name and user, from P-Asserted-Identity when a trusted peer sent one,
/// else From.
fn caller_identity(a: &Headers) -> (Option<String>, Option<String>) {
    match a.from_addr() {
        Ok(from) => (from.display_text().map(str::to_owned).filter(|d| !d.is_empty()), from.uri.user.map(str::to_owned)),
        Err(_) => (None, None),
    }
}

/// Copies end-to-end headers (everything not hop-by-hop), minus `strip`, and only `pass` when
/// that list is not empty.
pub fn copy_end_to_end(from: &Headers, to: &mut Headers, strip: &[String], pass: &[String]) {
    for header in from {
        let name = header.name.as_str();
        if HOP_BY_HOP.iter().any(|h| h.eq_ignore_ascii_case(name)) || strip.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        if !pass.is_empty() && !pass.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            continue;
        }
        to.push(header.name.clone(), header.value.clone());
    }
}

/// Routers see at most this many of the caller's headers.
const MAX_ROUTED_HEADERS: usize = 32;

/// The caller's end-to-end headers as (name, value) text, for routers (plugins, dialplans).
pub fn end_to_end_headers(from: &Headers) -> Vec<(String, String)> {
    from.iter()
        .filter(|h| !HOP_BY_HOP.iter().any(|n| n.eq_ignore_ascii_case(h.name.as_str())))
        .take(MAX_ROUTED_HEADERS)
        .map(|h| (h.name.as_str().to_owned(), String::from_utf8_lossy(&h.value).into_owned()))
        .collect()
}

/// A response for the other side: `response`'s status, reason, body and end-to-end headers on
/// the transaction whose request had `request_headers`, with Ringway's tag and Contact.
pub fn relayed_response(request_headers: &Headers, response: &Response, tag: &str, flow: Flow) -> Response {
    let reason = String::from_utf8_lossy(&response.reason);
    let mut out = Response::to_request(request_headers, response.status, Some(&reason));
    crate::sip::ident::ensure_to_tag(&mut out, tag);
    if response.status.as_u16() > 100 && response.status.as_u16() < 300 {
        out.headers.push(HeaderName::Contact, contact(flow));
    }
    copy_end_to_end(&response.headers, &mut out.headers, &[], &[]);
    if !response.body.is_empty() {
        if let Some(ct) = response.headers.get(&HeaderName::ContentType) {
            out.headers.push(HeaderName::ContentType, ct.clone());
        }
        out.body = response.body.clone();
    }
    out
}

/// A request for the other side's dialog carrying `request`'s body and end-to-end headers.
pub fn relayed_request(request: &Request, out: &mut Request) {
    copy_end_to_end(&request.headers, &mut out.headers, &[], &[]);
    if !request.body.is_empty() {
        if let Some(ct) = request.headers.get(&HeaderName::ContentType) {
            out.headers.push(HeaderName::ContentType, ct.clone());
        }
        out.body = request.body.clone();
    }
}

/// An address as it goes into a SIP URI host (IPv6 in brackets).
trait UriHost {
    fn ip_for_uri(&self) -> String;
}

impl UriHost for std::net::SocketAddr {
    fn ip_for_uri(&self) -> String {
        match self.ip() {
            std::net::IpAddr::V4(ip) => ip.to_string(),
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        }
    }
}
