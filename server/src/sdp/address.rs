//! Where media is to be sent, and whether that address is private.
//!
//! An offer whose media address is private (RFC 1918, or IPv6 unique-local) comes from behind a
//! NAT or from a local network: the far side cannot send RTP there. When media is not relayed the
//! B2BUA refuses such an offer (`488 Private IP Address`); when it is relayed, the relay latches
//! onto the source of the RTP instead and the address does not matter.

use super::SessionDescription;
use std::net::IpAddr;

/// True for addresses that are not reachable from outside their own network: IPv4 RFC 1918
/// (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) and IPv6 unique-local (fc00::/7, RFC 4193),
/// including an IPv4-mapped IPv6 form (`::ffff:10.0.0.1`) of an RFC 1918 address.
///
/// Deliberately not private here:
/// - loopback (127.0.0.0/8, `::1`): every party of the integration and conformance tests runs on
///   127.0.0.1 or ::1, and those calls must be accepted with media relay off; a loopback address
///   is never the result of a NAT, so refusing it would protect nobody;
/// - the unspecified address (0.0.0.0, `::`): that is hold (RFC 3264 §8.4), not an address;
/// - link-local, CGNAT (100.64.0.0/10) and documentation ranges: not in the policy's definition
///   of private, which follows the seed's "RFC 1918".
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.is_private(),
            None => v6.is_unique_local(),
        },
    }
}

impl SessionDescription {
    /// The effective connection address of each active media section (port other than 0), in
    /// order: the section's own `c=`, else the session's. Sections whose effective `c=` is a host
    /// name, or that have none, contribute nothing. A hold address (`0.0.0.0`) is included: it is
    /// the address the section states.
    pub fn media_addresses(&self) -> Vec<IpAddr> {
        self.media()
            .iter()
            .filter(|m| m.is_active())
            .filter_map(|m| self.effective_connection(m).and_then(|c| c.ip()))
            .collect()
    }

    /// The first media address that [`is_private`], if any.
    pub fn private_media_address(&self) -> Option<IpAddr> {
        self.media_addresses().into_iter().find(|ip| is_private(*ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::fixtures;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn sdp(text: &str) -> SessionDescription {
        SessionDescription::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn rfc1918_ranges_are_private_up_to_their_edges() {
        for private in
            ["10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.20"]
        {
            assert!(is_private(ip(private)), "{private}");
        }
        for public in ["9.255.255.255", "11.0.0.1", "172.15.255.255", "172.32.0.1", "192.169.0.1"] {
            assert!(!is_private(ip(public)), "{public}");
        }
    }

    #[test]
    fn ipv6_unique_local_is_private_per_rfc4193_and_mapped_rfc1918_too() {
        assert!(is_private(ip("fd12:3456:789a::20")));
        assert!(is_private(ip("fc00::1")));
        assert!(is_private(ip("::ffff:192.168.0.1")));
        assert!(!is_private(ip("2001:db8::1")));
        assert!(!is_private(ip("fe80::1")));
        assert!(!is_private(ip("::ffff:203.0.113.1")));
    }

    #[test]
    fn loopback_and_the_hold_address_are_not_private() {
        // The test suite runs every party on 127.0.0.1 or ::1 with media relay off.
        assert!(!is_private(ip("127.0.0.1")));
        assert!(!is_private(ip("127.1.2.3")));
        assert!(!is_private(ip("::1")));
        assert!(!is_private(ip("0.0.0.0")));
        assert!(!is_private(ip("::")));
    }

    #[test]
    fn media_addresses_fall_back_to_the_session_connection_per_rfc8866_section_5_7() {
        let addresses = sdp(fixtures::AUDIO_VIDEO).media_addresses();
        assert_eq!(addresses, [ip("198.51.100.7"), ip("198.51.100.8")]);
        assert_eq!(sdp(fixtures::IPV6).media_addresses(), [ip("fd12:3456:789a::20")]);
        assert_eq!(sdp(fixtures::HOLD).media_addresses(), [ip("0.0.0.0")]);
    }

    #[test]
    fn rejected_sections_and_host_names_contribute_no_media_address() {
        assert_eq!(sdp(fixtures::AUDIO_PORT_0).media_addresses(), [ip("203.0.113.30")]);
        let named = "v=0\r\nc=IN IP4 192.168.0.9\r\n\
                     m=audio 4000 RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n";
        assert!(sdp(named).media_addresses().is_empty(), "a media-level name overrides");
        assert!(sdp("v=0\r\nm=audio 4000 RTP/AVP 0\r\n").media_addresses().is_empty());
    }

    #[test]
    fn private_media_address_is_the_first_private_address_of_an_active_section() {
        assert_eq!(sdp(fixtures::PRIVATE).private_media_address(), Some(ip("192.168.1.20")));
        assert_eq!(sdp(fixtures::IPV6).private_media_address(), Some(ip("fd12:3456:789a::20")));
        assert_eq!(sdp(fixtures::SIPP).private_media_address(), None);
        assert_eq!(sdp(fixtures::HOLD).private_media_address(), None);
        let rejected_private = "v=0\r\nc=IN IP4 203.0.113.1\r\n\
                                m=audio 0 RTP/AVP 0\r\nc=IN IP4 10.0.0.5\r\n\
                                m=audio 4000 RTP/AVP 0\r\n\
                                m=video 4002 RTP/AVP 31\r\nc=IN IP4 172.20.0.2\r\n";
        assert_eq!(sdp(rejected_private).private_media_address(), Some(ip("172.20.0.2")));
    }
}
