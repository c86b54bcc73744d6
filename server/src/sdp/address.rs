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
