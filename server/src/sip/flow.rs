//! Where a message came from and where one goes: the transport and the two socket addresses.
//!
//! A [`Flow`] names a UDP 5-tuple or a TCP connection (connections are reused by flow, RFC 5923
//! style, so "the connection the request came on" and "a new connection to that peer" share one
//! key). [`response_flow`] is RFC 3261 §18.2.2 with RFC 3581 `rport`: where a server transaction
//! sends its responses.

use super::message::{HeaderName, Headers, Host, ParseError, Via};
use bytes::Bytes;
use std::fmt;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// A SIP transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// Datagrams, unreliable: the transaction layer retransmits.
    Udp,
    /// A byte stream, reliable: no retransmissions, framing by Content-Length.
    Tcp,
}

impl Transport {
    /// Whether the transport delivers reliably (RFC 3261 §17: no Timer A/E/G retransmissions).
    pub fn is_reliable(self) -> bool {
        !matches!(self, Transport::Udp)
    }

    /// The name used in Via headers (`UDP`, `TCP`).
    pub fn via_name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }

    /// The lower-case name used in configuration and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport and the local and remote socket addresses of one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flow {
    /// The transport.
    pub transport: Transport,
    /// Ringway's address (the listening socket for UDP and accepted TCP connections).
    pub local: SocketAddr,
    /// The peer's address.
    pub remote: SocketAddr,
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} <-> {}", self.transport, self.local, self.remote)
    }
}

/// Default SIP port for a transport when a Via or URI names none (RFC 3261 §19.1.2).
pub const DEFAULT_PORT: u16 = 5060;

/// Where responses to a request received on `source` go, from its top Via (RFC 3261 §18.2.2,
/// RFC 3581 §4). `None` when the address is one Ringway never sends to: broadcast, multicast,
/// unspecified (RFC 4475 §3.3.10's policy for a Via of 255.255.255.255).
///
/// - reliable transport: back on the same connection (the transport reconnects to the same
///   address if it has closed);
/// - `maddr` is not honoured: sending to a multicast group a request names is a reflection vector
///   and no phone needs it;
/// - unreliable with `rport`: the source address and port;
/// - otherwise: the source address (what `received` holds) and the sent-by port, or 5060.
pub fn response_flow(via: &Via<'_>, source: Flow) -> Option<Flow> {
    let remote = if source.transport.is_reliable() || via.rport().is_some() {
        source.remote
    } else {
        SocketAddr::new(source.remote.ip(), via.port.unwrap_or(DEFAULT_PORT))
    };
    is_sendable(remote.ip()).then_some(Flow { remote, ..source })
}

/// Whether Ringway will send to this address at all.
pub fn is_sendable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified()),
        IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
    }
}

/// Records where a request really came from in its top Via (RFC 3261 §18.2.1, RFC 3581 §4):
/// `received` when the sent-by host is not the source address, and `rport` filled in when the
/// client asked for it. The rest of the Via is kept byte-exact.
pub fn stamp_top_via(headers: &mut Headers, source: SocketAddr) -> Result<(), ParseError> {
    let top = headers.remove_first(&HeaderName::Via).ok_or(ParseError::MissingHeader("Via"))?;
    let stamped = match stamp(&top, source) {
        Ok(stamped) => stamped,
        Err(e) => {
            headers.prepend(HeaderName::Via, top);
            return Err(e);
        }
    };
    headers.prepend(HeaderName::Via, stamped.unwrap_or(top));
    Ok(())
}

/// The stamped Via element, or `None` when it needs no change.
fn stamp(top: &Bytes, source: SocketAddr) -> Result<Option<Bytes>, ParseError> {
    let text = std::str::from_utf8(top).map_err(|_| ParseError::NotUtf8("Via"))?;
    let via = Via::parse(text)?;
    let wants_rport = via.rport().is_some();
    let host_is_source = via.host == Host::Ip(source.ip());
    if host_is_source && !wants_rport {
        return Ok(None);
    }
    let params = via.params.as_str();
    let mut out = String::with_capacity(text.len() + 40);
    out.push_str(text[..text.len() - params.len()].trim_end());
    for param in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let name = param.split('=').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("received") || name.eq_ignore_ascii_case("rport") {
            continue;
        }
        out.push(';');
        out.push_str(param);
    }
    if !host_is_source || wants_rport {
        let _ = write!(out, ";received={}", source.ip());
    }
    if wants_rport {
        let _ = write!(out, ";rport={}", source.port());
    }
    Ok(Some(Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_and_rport_are_stamped_per_rfc3261_section_18_2_1_and_rfc3581() {
        let mut h = Headers::default();
        h.push(HeaderName::Via, "SIP/2.0/UDP phone.example.com:5070;rport;branch=z9hG4bKx, SIP/2.0/UDP p2");
        stamp_top_via(&mut h, "192.0.2.7:40000".parse().unwrap()).unwrap();
        let top = h.top_via().unwrap();
        assert_eq!(top.received().unwrap().ip(), Some("192.0.2.7".parse().unwrap()));
        assert_eq!(top.rport(), Some(Some(40000)));
        assert_eq!(top.branch(), Some("z9hG4bKx"));
        assert_eq!(h.vias().count(), 2);
    }

    #[test]
    fn via_naming_the_source_address_is_left_byte_exact() {
        let mut h = Headers::default();
        h.push(HeaderName::Via, "SIP/2.0/UDP 192.0.2.7:5070 ; branch=z9hG4bKx");
        stamp_top_via(&mut h, "192.0.2.7:5070".parse().unwrap()).unwrap();
        assert_eq!(h.get(&HeaderName::Via).unwrap(), "SIP/2.0/UDP 192.0.2.7:5070 ; branch=z9hG4bKx");
        let mut h = Headers::default();
        h.push(HeaderName::Via, "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKx");
        stamp_top_via(&mut h, "[2001:db8::2]:5070".parse().unwrap()).unwrap();
        assert_eq!(h.top_via().unwrap().received().unwrap().ip(), Some("2001:db8::2".parse().unwrap()));
    }

    fn udp(remote: &str) -> Flow {
        Flow { transport: Transport::Udp, local: "127.0.0.1:5060".parse().unwrap(), remote: remote.parse().unwrap() }
    }

    #[test]
    fn udp_response_goes_to_source_address_and_via_port_per_rfc3261_section_18_2_2() {
        let via = Via::parse("SIP/2.0/UDP phone.example.com:5070;branch=z9hG4bKx").unwrap();
        assert_eq!(response_flow(&via, udp("192.0.2.7:40000")).unwrap().remote, "192.0.2.7:5070".parse().unwrap());
        let via = Via::parse("SIP/2.0/UDP phone.example.com;branch=z9hG4bKx").unwrap();
        assert_eq!(response_flow(&via, udp("192.0.2.7:40000")).unwrap().remote, "192.0.2.7:5060".parse().unwrap());
    }

    #[test]
    fn rport_sends_to_the_source_port_per_rfc3581_section_4() {
        let via = Via::parse("SIP/2.0/UDP phone.example.com:5070;rport;branch=z9hG4bKx").unwrap();
        assert_eq!(response_flow(&via, udp("192.0.2.7:40000")).unwrap().remote, "192.0.2.7:40000".parse().unwrap());
    }

    #[test]
    fn reliable_transports_answer_on_the_same_flow() {
        let via = Via::parse("SIP/2.0/TCP phone.example.com:5070;branch=z9hG4bKx").unwrap();
        let source = Flow { transport: Transport::Tcp, ..udp("192.0.2.7:40000") };
        assert_eq!(response_flow(&via, source), Some(source));
    }

    #[test]
    fn broadcast_and_unspecified_addresses_are_never_targets_per_rfc4475_section_3_3_10() {
        assert!(!is_sendable("255.255.255.255".parse().unwrap()));
        assert!(!is_sendable("0.0.0.0".parse().unwrap()));
        assert!(!is_sendable("ff02::1".parse().unwrap()));
        assert!(is_sendable("127.0.0.1".parse().unwrap()));
    }
}
