//! Listen specifications: `transport:ip:port`, as written in `[sip] listen` and `--listen`.
//!
//! Only IP literals are accepted (IPv6 in brackets, RFC 3986 style): a daemon binds sockets, and
//! resolving a host name at start-up would make the bound address depend on DNS.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

pub use crate::sip::Transport;

/// The name is not a transport Ringway supports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transport {name:?} (expected \"udp\" or \"tcp\")")]
pub struct UnknownTransport {
    /// The name as written.
    pub name: String,
}

impl FromStr for Transport {
    type Err = UnknownTransport;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("udp") {
            Ok(Transport::Udp)
        } else if s.eq_ignore_ascii_case("tcp") {
            Ok(Transport::Tcp)
        } else {
            Err(UnknownTransport { name: s.to_owned() })
        }
    }
}

/// One socket to listen on: a transport and a local address (port 0 = any free port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenSpec {
    /// The transport the socket carries.
    pub transport: Transport,
    /// The local address to bind.
    pub addr: SocketAddr,
}

impl fmt::Display for ListenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SocketAddr's Display brackets IPv6, so this round-trips through FromStr.
        write!(f, "{}:{}", self.transport, self.addr)
    }
}

/// Why a string is not a listen specification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListenSpecError {
    /// The part before the first `:` is not a transport.
    #[error("{input:?} is not transport:ip:port: {source}")]
    Transport {
        /// The whole specification as written.
        input: String,
        /// The transport problem.
        source: UnknownTransport,
    },
    /// The part after the transport is not an IP literal with a port.
    #[error(
        "{input:?} is not transport:ip:port (for example \"udp:127.0.0.1:5060\" or \
         \"tcp:[::1]:5060\"; host names are not accepted)"
    )]
    Address {
        /// The whole specification as written.
        input: String,
    },
}

impl FromStr for ListenSpec {
    type Err = ListenSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((transport, addr)) = s.split_once(':') else {
            return Err(ListenSpecError::Address { input: s.to_owned() });
        };
        let transport = transport
            .parse()
            .map_err(|source| ListenSpecError::Transport { input: s.to_owned(), source })?;
        let addr = addr.parse().map_err(|_| ListenSpecError::Address { input: s.to_owned() })?;
        Ok(ListenSpec { transport, addr })
    }
}

/// Parses the string form, for serde users outside `[sip] listen` (which parses during validation
/// instead, because toml reports errors inside array elements at the array's span).
impl<'de> Deserialize<'de> for ListenSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_names_are_case_insensitive() {
        assert_eq!("UDP".parse::<Transport>(), Ok(Transport::Udp));
        assert_eq!("Tcp".parse::<Transport>(), Ok(Transport::Tcp));
        assert!("sctp".parse::<Transport>().is_err());
    }

    #[test]
    fn listen_spec_round_trips_through_display_for_ipv4_and_bracketed_ipv6() {
        for text in ["udp:127.0.0.1:5060", "tcp:[::1]:5061", "udp:0.0.0.0:0", "tcp:[fe80::1]:5060"]
        {
            let spec: ListenSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn listen_spec_normalizes_transport_case() {
        let spec: ListenSpec = "UDP:127.0.0.1:5060".parse().unwrap();
        assert_eq!(spec.to_string(), "udp:127.0.0.1:5060");
    }

    #[test]
    fn listen_spec_rejects_host_names_missing_ports_and_unbracketed_ipv6() {
        for text in ["udp:localhost:5060", "udp:localhost", "127.0.0.1:5060", "udp:::1:5060", "udp"]
        {
            assert!(text.parse::<ListenSpec>().is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn listen_spec_error_quotes_the_input_and_names_the_shape() {
        let err = "udp:localhost".parse::<ListenSpec>().unwrap_err();
        assert!(err.to_string().starts_with("\"udp:localhost\" is not transport:ip:port"), "{err}");
        let err = "sctp:127.0.0.1:5060".parse::<ListenSpec>().unwrap_err();
        assert!(err.to_string().contains("unknown transport \"sctp\""), "{err}");
    }
}
