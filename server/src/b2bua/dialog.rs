//! One side of a call as a SIP dialog (RFC 3261 §12): the identifiers, the sequence numbers and
//! where in-dialog requests go.
//!
//! Ringway is the UAS of the A-leg dialog and the UAC of each B-leg dialog. Either way a
//! [`Dialog`] holds *our* tag as `local_tag`, so a request that arrives inside it names our tag in
//! its To header, whichever side sent it: one index by local tag finds every dialog.
//!
//! Where requests go: a dialog sends on the [`Flow`] it was created on (the caller's source for the
//! A-leg, the gateway or binding flow for a B-leg), with the remote target as Request-URI and the
//! route set as Route headers. Sending back along the flow is what phones behind NAT need and what
//! the registrar already does for pings; DNS-based §8.1.2 resolution of the remote target arrives
//! with the trunk issue. Not here: session timers (RFC 4028), `sips` / secure dialogs.

use crate::sip::Flow;
use crate::sip::message::{HeaderName, Headers, Method, Request, Response};
use bytes::Bytes;

/// The state of one dialog Ringway is a party to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialog {
    /// The Call-ID.
    pub call_id: Bytes,
    /// Ringway's tag (To of the A-leg, From of a B-leg).
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
    /// Ringway's header value in requests it sends (From in requests on this dialog).
    pub local_uri: Bytes,
    /// The peer's header value (To in requests Ringway sends).
    pub remote_uri: Bytes,
    /// Where requests go: the peer's Contact URI.
    pub remote_target: Bytes,
    /// Route headers for requests Ringway sends, in order.
    pub route_set: Vec<Bytes>,
    /// The CSeq of the last request Ringway sent here.
    pub local_seq: u32,
    /// The CSeq of the last request the peer sent, once one arrived (§12.2.2).
    pub remote_seq: Option<u32>,
    /// Where requests are sent.
    pub flow: Flow,
}

/// Why an in-dialog request is refused (RFC 3261 §12.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InDialogError {
    /// The CSeq is lower than one already seen: answer `500 Server Internal Error`.
    #[error("CSeq {got} is below the last seen {last}")]
    OutOfOrder {
        /// The request's CSeq.
        got: u32,
        /// The highest seen.
        last: u32,
    },
}

impl Dialog {
    /// The A-leg dialog: Ringway answers `invite` with `local_tag` in To (§12.1.1). The route set
    /// is the request's Record-Route in order; the remote target its Contact (or the From URI when
    /// a broken client sent none).
    pub fn uas(invite: &Request, local_tag: &str, flow: Flow) -> Option<Dialog> {
        let h = &invite.headers;
        let from = h.get(&HeaderName::From)?.clone();
        let remote_tag = h.from_addr().ok()?.tag()?.to_owned();
        let to = h.get(&HeaderName::To)?;
        let remote_target = contact_uri(h).unwrap_or_else(|| h.from_addr().map(|f| Bytes::copy_from_slice(f.uri.raw.as_bytes())).unwrap_or_default());
        Some(Dialog {
            call_id: h.get(&HeaderName::CallId)?.clone(),
            local_tag: local_tag.to_owned(),
            remote_tag,
            local_uri: with_tag(to, local_tag),
            remote_uri: from,
            remote_target,
            route_set: h.get_all(&HeaderName::RecordRoute).cloned().collect(),
            local_seq: 0,
            remote_seq: h.cseq().ok().map(|c| c.seq),
            flow,
        })
    }

    /// A B-leg dialog from the INVITE Ringway sent and a response with a To tag (§12.1.2): the
    /// route set is the response's Record-Route reversed.
    pub fn uac(invite: &Request, response: &Response, flow: Flow) -> Option<Dialog> {
        let h = &response.headers;
        let remote_tag = h.to_addr().ok()?.tag()?.to_owned();
        let local_tag = invite.headers.from_addr().ok()?.tag()?.to_owned();
        let mut route_set: Vec<Bytes> = h.get_all(&HeaderName::RecordRoute).cloned().collect();
        route_set.reverse();
        Some(Dialog {
            call_id: invite.headers.get(&HeaderName::CallId)?.clone(),
            local_tag,
            remote_tag,
            local_uri: invite.headers.get(&HeaderName::From)?.clone(),
            remote_uri: h.get(&HeaderName::To)?.clone(),
            remote_target: contact_uri(h).unwrap_or_else(|| invite.uri.clone()),
            route_set,
            local_seq: invite.headers.cseq().ok()?.seq,
            remote_seq: None,
            flow,
        })
    }

    /// A new request inside the dialog with the next local CSeq (§12.2.1.1). The caller adds the
    /// Via (with a fresh branch), Contact and body.
    pub fn request(&mut self, method: Method) -> Request {
        self.local_seq = self.local_seq.wrapping_add(1);
        self.request_with_seq(method, self.local_seq)
    }

    /// The ACK for a 2xx to the INVITE with CSeq `seq` (§13.2.2.4): same CSeq number, method ACK.
    pub fn ack(&self, seq: u32) -> Request {
        self.request_with_seq(Method::Ack, seq)
    }

    fn request_with_seq(&self, method: Method, seq: u32) -> Request {
        let mut request = Request::new(method.clone(), self.remote_target.clone());
        let h = &mut request.headers;
        for route in &self.route_set {
            h.push(HeaderName::Route, route.clone());
        }
        h.push(HeaderName::MaxForwards, "70");
        h.push(HeaderName::From, self.local_uri.clone());
        h.push(HeaderName::To, self.remote_uri.clone());
        h.push(HeaderName::CallId, self.call_id.clone());
        h.push(HeaderName::CSeq, format!("{seq} {method}"));
        request
    }

    /// Checks and records the CSeq of a request the peer sent in this dialog (§12.2.2). ACK and
    /// CANCEL reuse their INVITE's number and are not checked.
    pub fn accept_remote(&mut self, request: &Request) -> Result<(), InDialogError> {
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        let Ok(cseq) = request.headers.cseq() else { return Ok(()) };
        match self.remote_seq {
            Some(last) if cseq.seq < last => Err(InDialogError::OutOfOrder { got: cseq.seq, last }),
            _ => {
                self.remote_seq = Some(cseq.seq);
                Ok(())
            }
        }
    }

    /// A target refresh (re-INVITE, UPDATE, or their 2xx) may move the peer (§12.2.2).
    pub fn refresh_target(&mut self, headers: &Headers) {
        if let Some(uri) = contact_uri(headers) {
            self.remote_target = uri;
        }
    }
}

/// The URI of the first Contact, without angle brackets or header parameters.
pub fn contact_uri(headers: &Headers) -> Option<Bytes> {
    match headers.contacts().next()?.ok()? {
        crate::sip::message::Contact::Address(addr) => Some(Bytes::copy_from_slice(addr.uri.raw.as_bytes())),
        crate::sip::message::Contact::Wildcard => None,
    }
}

/// A To/From value with `;tag=` added (or left as is when it has one).
fn with_tag(value: &Bytes, tag: &str) -> Bytes {
    let text = String::from_utf8_lossy(value);
    if text.to_ascii_lowercase().contains(";tag=") {
        return value.clone();
    }
    Bytes::from(format!("{text};tag={tag}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Transport;
    use crate::sip::message::parse_datagram;
    use crate::sip::message::Message;

    fn flow() -> Flow {
        Flow { transport: Transport::Udp, local: "127.0.0.1:5060".parse().unwrap(), remote: "127.0.0.1:5070".parse().unwrap() }
    }

    fn invite() -> Request {
        let text = "INVITE sip:+74951234567@ringway SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
            Record-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p2;lr>\r\n\
            From: \"Alice\" <sip:1001@ringway>;tag=a1\r\nTo: <sip:+74951234567@ringway>\r\nCall-ID: c1\r\n\
            CSeq: 5 INVITE\r\nContact: <sip:1001@127.0.0.1:5070>\r\nContent-Length: 0\r\n\r\n";
        match parse_datagram(Bytes::from(text)).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        }
    }

    #[test]
    fn the_uas_dialog_takes_route_set_in_order_and_the_contact_as_target_per_rfc3261_section_12_1_1() {
        let mut d = Dialog::uas(&invite(), "rw0-x", flow()).unwrap();
        assert_eq!(d.remote_tag, "a1");
        assert_eq!(&d.remote_target[..], b"sip:1001@127.0.0.1:5070");
        assert_eq!(d.route_set, vec![Bytes::from("<sip:p1;lr>"), Bytes::from("<sip:p2;lr>")]);
        let bye = d.request(Method::Bye);
        assert_eq!(bye.headers.to_addr().unwrap().tag(), Some("a1"));
        assert_eq!(bye.headers.from_addr().unwrap().tag(), Some("rw0-x"));
        assert_eq!(bye.headers.cseq().unwrap().seq, 1);
        assert_eq!(&bye.uri[..], b"sip:1001@127.0.0.1:5070");
    }

    #[test]
    fn a_lower_cseq_from_the_peer_is_refused_per_rfc3261_section_12_2_2() {
        let mut d = Dialog::uas(&invite(), "t", flow()).unwrap();
        let mut req = invite();
        req.headers.set(HeaderName::CSeq, "4 BYE");
        req.method = Method::Bye;
        assert_eq!(d.accept_remote(&req), Err(InDialogError::OutOfOrder { got: 4, last: 5 }));
        req.headers.set(HeaderName::CSeq, "6 BYE");
        assert_eq!(d.accept_remote(&req), Ok(()));
    }
}
