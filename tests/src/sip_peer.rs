//! Hand-written SIP peers for call tests: a UDP socket that plays a caller, a gateway or a phone
//! with SIP text written out in full, so that the tests see Ringway's B2BUA exactly as a peer on
//! the wire does.
//!
//! - [`Peer`] receives with a deadline and is strict: while waiting for one message it lets pass
//!   only what a correct Ringway may repeat meanwhile (byte-identical retransmissions, RFC 3261
//!   §17, and the `100 Trying` of §17.2.1) and fails the test on anything else;
//! - [`OutgoingCall`] is a caller's side of one call: the INVITE with an SDP offer, the ACK of a
//!   2xx (a new transaction, §13.2.2.4) or of a failure (the INVITE's own transaction,
//!   §17.1.1.3), and BYE (§15.1.1);
//! - [`response_to`] is a callee's answer to any request (§8.2.6.2: Via, From, Call-ID and CSeq
//!   copied, a To tag added).
//!
//! Deliberately not here: retransmission by the peers themselves (loopback does not lose
//! datagrams in a test this small) and any parsing beyond the header lines a test asserts.

use std::cell::RefCell;
use std::collections::HashSet;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// How long a peer waits for a message Ringway owes it. Generous: a test that passes never waits
/// this long, and one that fails says what it got.
pub const WAIT: Duration = Duration::from_secs(5);

/// The SDP offer of every test call: audio from a loopback address (not a private network, so a
/// gateway may be offered it without a media relay).
pub const OFFER: &str = "v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

/// The SDP answer of every callee.
pub const ANSWER: &str = "v=0\r\no=callee 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

/// One SIP message a peer received, and where from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The whole datagram.
    pub text: String,
    /// Its source.
    pub from: SocketAddr,
}

impl Received {
    /// The start line.
    pub fn start_line(&self) -> &str {
        self.text.split("\r\n").next().unwrap_or_default()
    }

    /// The method of a request; `None` for a response.
    pub fn method(&self) -> Option<&str> {
        let line = self.start_line();
        if line.starts_with("SIP/2.0 ") {
            return None;
        }
        line.split(' ').next()
    }

    /// The Request-URI of a request.
    pub fn request_uri(&self) -> Option<&str> {
        self.method()?;
        self.start_line().split(' ').nth(1)
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        crate::status_of(&self.text)
    }

    /// The first value of a header, by full or compact name (RFC 3261 §7.3.3).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::header(&self.text, name).or_else(|| compact(name).and_then(|c| crate::header(&self.text, c)))
    }

    /// Call-ID (empty when absent).
    pub fn call_id(&self) -> &str {
        self.header("Call-ID").unwrap_or_default()
    }

    /// The CSeq's number and method.
    pub fn cseq(&self) -> (u32, &str) {
        let value = self.header("CSeq").unwrap_or_default();
        let mut words = value.split_whitespace();
        let seq = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        (seq, words.next().unwrap_or_default())
    }

    /// The `branch` parameter of the top Via.
    pub fn branch(&self) -> Option<&str> {
        param(self.header("Via")?, "branch")
    }

    /// The `tag` parameter of To.
    pub fn to_tag(&self) -> Option<&str> {
        param(self.header("To")?, "tag")
    }

    /// The URI inside the Contact's angle brackets (or the whole value without them).
    pub fn contact_uri(&self) -> Option<&str> {
        let contact = self.header("Contact")?;
        match (contact.find('<'), contact.find('>')) {
            (Some(open), Some(close)) if open < close => Some(&contact[open + 1..close]),
            _ => contact.split(';').next(),
        }
    }

    /// The body after the blank line.
    pub fn body(&self) -> &str {
        self.text.split_once("\r\n\r\n").map_or("", |(_, body)| body)
    }
}

/// The compact form of a header name (RFC 3261 §7.3.3), for the names these tests read.
fn compact(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "via" => "v",
        "from" => "f",
        "to" => "t",
        "call-id" => "i",
        "contact" => "m",
        "content-length" => "l",
        "content-type" => "c",
        _ => return None,
    })
}

/// A `;name=value` parameter of a header value.
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim().trim_end_matches('>'))
    })
}

/// The raw header lines of a message whose name is `name` or its compact form, in order.
fn header_lines<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let short = compact(name);
    text.split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|line| {
            let Some((n, _)) = line.split_once(':') else { return false };
            let n = n.trim();
            n.eq_ignore_ascii_case(name) || short.is_some_and(|s| n.eq_ignore_ascii_case(s))
        })
        .collect()
}

/// A callee's response to `request` (RFC 3261 §8.2.6.2): every Via line, From, Call-ID and CSeq
/// copied; To copied with `to_tag` added when it has none; then `extra` header lines (each ending
/// in CRLF) and `body` as `application/sdp` when not empty.
pub fn response_to(request: &Received, status: u16, reason: &str, to_tag: &str, extra: &str, body: &str) -> String {
    let mut out = format!("SIP/2.0 {status} {reason}\r\n");
    for line in header_lines(&request.text, "Via") {
        out.push_str(line);
        out.push_str("\r\n");
    }
    for name in ["From", "Call-ID", "CSeq"] {
        for line in header_lines(&request.text, name) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    let to = request.header("To").unwrap_or_default();
    if param(to, "tag").is_some() || status == 100 {
        out.push_str(&format!("To: {to}\r\n"));
    } else {
        out.push_str(&format!("To: {to};tag={to_tag}\r\n"));
    }
    out.push_str(extra);
    if !body.is_empty() {
        out.push_str("Content-Type: application/sdp\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    out
}

/// A UDP socket on 127.0.0.1 playing one SIP party.
#[derive(Debug)]
pub struct Peer {
    socket: UdpSocket,
    label: String,
    /// Every datagram received so far, to recognise retransmissions.
    seen: RefCell<HashSet<String>>,
}

impl Peer {
    /// A peer on a fresh 127.0.0.1 port; `label` names it in failure messages.
    pub fn bind(label: &str) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        Peer { socket, label: label.to_owned(), seen: RefCell::new(HashSet::new()) }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("bound socket")
    }

    /// Sends one datagram.
    pub fn send(&self, to: SocketAddr, text: &str) {
        self.socket.send_to(text.as_bytes(), to).unwrap_or_else(|e| panic!("{}: sending to {to}: {e}", self.label));
    }

    /// Answers a received request with [`response_to`], back to where it came from.
    pub fn respond(&self, request: &Received, status: u16, reason: &str, to_tag: &str, extra: &str, body: &str) {
        self.send(request.from, &response_to(request, status, reason, to_tag, extra, body));
    }

    /// The next datagram within `wait`, retransmissions included.
    pub fn recv(&self, wait: Duration) -> Option<Received> {
        self.socket.set_read_timeout(Some(wait)).expect("read timeout");
        let mut buf = vec![0u8; 65535];
        match self.socket.recv_from(&mut buf) {
            Ok((n, from)) => Some(Received { text: String::from_utf8_lossy(&buf[..n]).into_owned(), from }),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => None,
            Err(e) => panic!("{}: receiving: {e}", self.label),
        }
    }

    /// The next new message, skipping byte-identical retransmissions of what this peer already
    /// received and `100 Trying`; `None` when nothing new arrives within `wait`.
    pub fn recv_new(&self, wait: Duration) -> Option<Received> {
        #[allow(clippy::disallowed_methods)] // a test's deadline on a socket, not a protocol timer
        let deadline = std::time::Instant::now() + wait;
        loop {
            #[allow(clippy::disallowed_methods)]
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            let message = self.recv(left)?;
            if !self.seen.borrow_mut().insert(message.text.clone()) || message.status() == Some(100) {
                continue;
            }
            return Some(message);
        }
    }

    /// The next new message (see [`recv_new`](Self::recv_new)), which must satisfy `wanted`;
    /// panics naming `what` when something else arrives first or nothing within [`WAIT`].
    pub fn expect(&self, what: &str, wanted: impl Fn(&Received) -> bool) -> Received {
        match self.recv_new(WAIT) {
            Some(message) if wanted(&message) => message,
            Some(other) => panic!("{}: expected {what}, got:\n{}", self.label, other.text),
            None => panic!("{}: expected {what}, got nothing within {WAIT:?}", self.label),
        }
    }

    /// The next new message must be a request with this method.
    pub fn expect_request(&self, method: &str) -> Received {
        self.expect(&format!("a {method} request"), |m| m.method() == Some(method))
    }

    /// Nothing new must arrive within `wait` (retransmissions may).
    pub fn expect_nothing_new(&self, wait: Duration) {
        if let Some(message) = self.recv_new(wait) {
            panic!("{}: expected nothing new, got:\n{}", self.label, message.text);
        }
    }
}

/// The caller's side of one call (RFC 3261 §13.2, §15): its INVITE's identifiers and, once
/// answered, the dialog's To and remote target.
#[derive(Debug, Clone)]
pub struct OutgoingCall {
    /// Where every request goes (Ringway; it sends no Record-Route).
    pub server: SocketAddr,
    /// The Request-URI of the INVITE.
    pub uri: String,
    /// Call-ID.
    pub call_id: String,
    /// The INVITE's branch.
    pub branch: String,
    /// The INVITE's text.
    pub invite: String,
    /// The dialog's To (with Ringway's tag) and remote target, once a 2xx came.
    dialog: Option<(String, String)>,
    /// The last CSeq number used.
    cseq: u32,
    local: SocketAddr,
}

impl OutgoingCall {
    /// Sends an INVITE for `uri` with the SDP [`OFFER`] from `caller` to `server`; `id` makes its
    /// Call-ID, tag and branch unique.
    pub fn start(caller: &Peer, server: SocketAddr, uri: &str, id: &str) -> OutgoingCall {
        let local = caller.addr();
        let call_id = format!("{id}@caller.test");
        let branch = format!("z9hG4bK-{id}-1");
        let invite = format!(
            "INVITE {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};rport;branch={branch}\r\nMax-Forwards: 70\r\nFrom: \"Caller\" <sip:1001@{local}>;tag=from-{id}\r\nTo: <{uri}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:1001@{local}>\r\nContent-Type: application/sdp\r\nContent-Length: {length}\r\n\r\n{OFFER}",
            length = OFFER.len()
        );
        caller.send(server, &invite);
        OutgoingCall { server, uri: uri.to_owned(), call_id, branch, invite, dialog: None, cseq: 1, local }
    }

    /// Whether `message` is a response to this call's INVITE.
    pub fn is_invite_response(&self, message: &Received) -> bool {
        message.status().is_some() && message.call_id() == self.call_id && message.cseq() == (1, "INVITE")
    }

    /// The next new message must be a response to the INVITE with this status; provisional
    /// answers of this call other than the one wanted are let pass (forked branches each relay
    /// theirs).
    pub fn expect_response(&self, caller: &Peer, status: u16) -> Received {
        loop {
            let message = caller.expect(&format!("{status} to INVITE {}", self.call_id), |m| self.is_invite_response(m));
            match message.status() {
                Some(s) if s == status => return message,
                Some(s) if s < 200 && status >= 200 => continue,
                _ => panic!("expected {status} to INVITE {}, got:\n{}", self.call_id, message.text),
            }
        }
    }

    /// ACKs a final response to the INVITE: for a 2xx a new transaction to the Contact inside the
    /// dialog (§13.2.2.4), else the INVITE's own branch and Request-URI (§17.1.1.3).
    pub fn ack(&mut self, caller: &Peer, response: &Received) {
        let to = response.header("To").expect("To in the response").to_owned();
        let from = crate::header(&self.invite, "From").expect("From").to_owned();
        let local = self.local;
        let (uri, branch) = if response.status().is_some_and(|s| (200..300).contains(&s)) {
            let target = response.contact_uri().expect("a 2xx to INVITE carries Contact (RFC 3261 §13.3.1.4)").to_owned();
            self.dialog = Some((to.clone(), target.clone()));
            (target, format!("{}-ack", self.branch))
        } else {
            (self.uri.clone(), self.branch.clone())
        };
        let ack = format!(
            "ACK {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};rport;branch={branch}\r\nMax-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
            call_id = self.call_id
        );
        caller.send(self.server, &ack);
    }

    /// Sends BYE inside the answered dialog (§15.1.1); returns its CSeq number.
    pub fn bye(&mut self, caller: &Peer) -> u32 {
        let (to, target) = self.dialog.clone().expect("BYE needs the dialog of an ACKed 2xx");
        self.cseq += 1;
        let from = crate::header(&self.invite, "From").expect("From").to_owned();
        let bye = format!(
            "BYE {target} SIP/2.0\r\nVia: SIP/2.0/UDP {local};rport;branch={branch}-bye{cseq}\r\nMax-Forwards: 70\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} BYE\r\nContent-Length: 0\r\n\r\n",
            local = self.local,
            branch = self.branch,
            cseq = self.cseq,
            call_id = self.call_id
        );
        caller.send(self.server, &bye);
        self.cseq
    }

    /// The next new message must be the answer to this call's BYE number `cseq`, with `status`.
    pub fn expect_bye_response(&self, caller: &Peer, cseq: u32, status: u16) -> Received {
        caller.expect(&format!("{status} to BYE {}", self.call_id), |m| {
            m.call_id() == self.call_id && m.cseq() == (cseq, "BYE") && m.status() == Some(status)
        })
    }
}
