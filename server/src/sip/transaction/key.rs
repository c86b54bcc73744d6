//! Transaction matching keys (RFC 3261 §17.1.3 for responses, §17.2.3 for requests, with the
//! RFC 2543 fallback for branch-less requests) and the To tag of the layer's own responses
//! (RFC 3261 §8.2.6.2).
//!
//! Keys hold [`Bytes`] slices of the message they came from, so building one copies no text.
//! Via tokens compare case-insensitively (RFC 3261 §7.3.1). It deliberately does not compare
//! Request-URIs by RFC 3261 §19.1.4 URI equality for the RFC 2543 fallback: byte equality is what
//! a retransmitting RFC 2543 element produces.

use crate::sip::message::{HeaderName, Headers, Host, Method, ParseError, Request};
use bytes::Bytes;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Bytes compared and hashed ignoring ASCII case.
#[derive(Clone, Debug)]
pub(crate) struct NoCase(pub(crate) Bytes);

impl PartialEq for NoCase {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for NoCase {}

impl Hash for NoCase {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for b in self.0.iter() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

/// The method part of a server key: an ACK belongs to the INVITE's transaction (§17.2.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum MethodKey {
    /// INVITE, and the ACK for a non-2xx final.
    Invite,
    /// CANCEL, its own transaction.
    Cancel,
    /// Any other method.
    Other(Method),
}

impl MethodKey {
    pub(crate) fn of(method: &Method) -> MethodKey {
        match method {
            Method::Invite | Method::Ack => MethodKey::Invite,
            Method::Cancel => MethodKey::Cancel,
            other => MethodKey::Other(other.clone()),
        }
    }
}

/// The host of a sent-by: an address compares as an address, a name ignoring case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SentByHost {
    Ip(IpAddr),
    Domain(NoCase),
}

/// What identifies a server transaction (RFC 3261 §17.2.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    /// A request whose top Via branch carries the magic cookie: branch + sent-by + method.
    Rfc3261 { branch: NoCase, host: SentByHost, port: Option<u16>, method: MethodKey },
    /// A branch-less (RFC 2543) request: Request-URI, From tag, Call-ID, CSeq number, top Via and
    /// method. The To tag is checked after the lookup, because an ACK carries the tag of the
    /// response while the INVITE carried none.
    Rfc2543 { request_uri: Bytes, from_tag: Bytes, call_id: Bytes, cseq: u32, top_via: NoCase, method: MethodKey },
}

impl ServerKey {
    /// The key of a received request.
    pub(crate) fn of_request(request: &Request) -> Result<ServerKey, ParseError> {
        let headers = &request.headers;
        let via_line = headers.get(&HeaderName::Via).ok_or(ParseError::MissingHeader("Via"))?;
        let via = headers.top_via()?;
        let method = MethodKey::of(&request.method);
        if via.has_rfc3261_branch() {
            let branch = NoCase(share(via_line, via.branch().unwrap_or_default().as_bytes()));
            let host = match via.host {
                Host::Ip(ip) => SentByHost::Ip(ip),
                Host::Domain(name) => SentByHost::Domain(NoCase(share(via_line, name.as_bytes()))),
            };
            return Ok(ServerKey::Rfc3261 { branch, host, port: via.port, method });
        }
        let top_via = headers.elements(&HeaderName::Via).next().ok_or(ParseError::MissingHeader("Via"))?;
        let from_line = headers.get(&HeaderName::From).ok_or(ParseError::MissingHeader("From"))?;
        let from_tag = headers.from_addr()?.tag().map(|t| share(from_line, t.as_bytes())).unwrap_or_default();
        let call_id_line = headers.get(&HeaderName::CallId).ok_or(ParseError::MissingHeader("Call-ID"))?;
        let call_id = share(call_id_line, headers.call_id()?.as_bytes());
        Ok(ServerKey::Rfc2543 {
            request_uri: request.uri.clone(),
            from_tag,
            call_id,
            cseq: headers.cseq()?.seq,
            top_via: NoCase(share(via_line, top_via)),
            method,
        })
    }

    /// The same key for another method: how a CANCEL finds the INVITE it cancels (§9.2).
    pub(crate) fn with_method(&self, method: MethodKey) -> ServerKey {
        let mut key = self.clone();
        match &mut key {
            ServerKey::Rfc3261 { method: m, .. } | ServerKey::Rfc2543 { method: m, .. } => *m = method,
        }
        key
    }

    /// Whether this key came from a branch-less request.
    pub(crate) fn is_rfc2543(&self) -> bool {
        matches!(self, ServerKey::Rfc2543 { .. })
    }

    /// The branch for logs (or the Call-ID for an RFC 2543 key).
    pub(crate) fn label(&self) -> &[u8] {
        match self {
            ServerKey::Rfc3261 { branch, .. } => &branch.0,
            ServerKey::Rfc2543 { call_id, .. } => call_id,
        }
    }
}

/// What identifies a client transaction (RFC 3261 §17.1.3): the top Via branch and the CSeq
/// method (a CANCEL shares its INVITE's branch).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub(crate) branch: NoCase,
    pub(crate) method: Method,
}

impl ClientKey {
    /// The key of a message Ringway sends or the response to it.
    pub(crate) fn of(headers: &Headers) -> Result<ClientKey, ParseError> {
        let via_line = headers.get(&HeaderName::Via).ok_or(ParseError::MissingHeader("Via"))?;
        let branch = headers.top_via()?.branch().ok_or(ParseError::BadHeaderValue("Via"))?;
        Ok(ClientKey { branch: NoCase(share(via_line, branch.as_bytes())), method: headers.cseq()?.method })
    }
}

/// `sub` as a slice of `parent` when it lies inside it (no copy), a copy otherwise.
pub(crate) fn share(parent: &Bytes, sub: &[u8]) -> Bytes {
    let start = parent.as_ptr() as usize;
    let at = sub.as_ptr() as usize;
    if sub.is_empty() {
        Bytes::new()
    } else if at >= start && at + sub.len() <= start + parent.len() {
        parent.slice_ref(sub)
    } else {
        Bytes::copy_from_slice(sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{Message, parse_datagram};

    fn request(text: &str) -> Request {
        match parse_datagram(Bytes::copy_from_slice(text.as_bytes())).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => panic!("not a request"),
        }
    }

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.Example.com:5060;branch=z9hG4bK776asdhds\r\nFrom: <sip:alice@example.com>;tag=1928301774\r\nTo: <sip:bob@example.com>\r\nCall-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\n\r\n";

    fn with(text: &str, from: &str, to: &str) -> Request {
        request(&text.replace(from, to))
    }

    #[test]
    fn ack_and_invite_share_a_server_key_but_cancel_does_not_per_rfc3261_section_17_2_3() {
        let invite = ServerKey::of_request(&request(INVITE)).unwrap();
        let ack = ServerKey::of_request(&with(&INVITE.replace("INVITE sip", "ACK sip"), "314159 INVITE", "314159 ACK")).unwrap();
        let cancel = ServerKey::of_request(&with(&INVITE.replace("INVITE sip", "CANCEL sip"), "314159 INVITE", "314159 CANCEL")).unwrap();
        assert_eq!(invite, ack);
        assert_ne!(invite, cancel);
        assert_eq!(invite, cancel.with_method(MethodKey::Invite));
    }

    #[test]
    fn branch_and_sent_by_host_compare_ignoring_case_per_rfc3261_section_7_3_1() {
        let a = ServerKey::of_request(&request(INVITE)).unwrap();
        let b = ServerKey::of_request(&with(INVITE, "pc33.Example.com", "PC33.example.COM")).unwrap();
        let c = ServerKey::of_request(&with(INVITE, "z9hG4bK776asdhds", "z9hG4bK776ASDHDS")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        use std::collections::HashSet;
        assert_eq!([a, b, c].into_iter().collect::<HashSet<_>>().len(), 1);
    }

    #[test]
    fn a_different_sent_by_port_or_branch_is_another_transaction_per_rfc3261_section_17_2_3() {
        let a = ServerKey::of_request(&request(INVITE)).unwrap();
        assert_ne!(a, ServerKey::of_request(&with(INVITE, ":5060;", ":5070;")).unwrap());
        assert_ne!(a, ServerKey::of_request(&with(INVITE, "776asdhds", "776asdhdt")).unwrap());
        assert_ne!(a, ServerKey::of_request(&with(INVITE, "INVITE sip", "OPTIONS sip")).unwrap());
    }

    #[test]
    fn branchless_requests_use_the_rfc2543_key_per_rfc3261_section_17_2_3() {
        let old = with(INVITE, ";branch=z9hG4bK776asdhds", "");
        let key = ServerKey::of_request(&old).unwrap();
        assert!(key.is_rfc2543());
        let retransmitted = ServerKey::of_request(&old.clone()).unwrap();
        assert_eq!(key, retransmitted);
        assert_ne!(key, ServerKey::of_request(&with(&old_text(), "314159", "314160")).unwrap());
        // A branch without the magic cookie is RFC 2543 too.
        assert!(ServerKey::of_request(&with(INVITE, "z9hG4bK776asdhds", "776asdhds")).unwrap().is_rfc2543());
    }

    fn old_text() -> String {
        INVITE.replace(";branch=z9hG4bK776asdhds", "")
    }

    #[test]
    fn client_key_is_branch_and_cseq_method_per_rfc3261_section_17_1_3() {
        let invite = request(INVITE);
        let key = ClientKey::of(&invite.headers).unwrap();
        assert_eq!(key.method, Method::Invite);
        let cancel = with(INVITE, "314159 INVITE", "314159 CANCEL");
        let cancel_key = ClientKey::of(&cancel.headers).unwrap();
        assert_eq!(key.branch, cancel_key.branch);
        assert_ne!(key, cancel_key);
    }
}
