//! [`Gateway`]: a carrier trunk as the B2BUA uses it, built from a validated `[[gateways]]`
//! entry, and the small enums its configuration is made of.
//!
//! A gateway knows where it is and how to talk to it (address, transport, credentials), how it
//! wants numbers and headers, and which codecs it takes. Whether it is up or full right now is
//! not here: that is runtime state the server keeps and reports through
//! [`GatewayStatus`](super::GatewayStatus).

use super::policy::{FailoverPolicy, HeaderPolicy};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// The transport the B-leg is sent over.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// `udp` (the default).
    #[default]
    Udp,
    /// `tcp`; the target URI carries `;transport=tcp`.
    Tcp,
}

/// How a gateway wants the called number written in the Request-URI.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NumberFormat {
    /// `e164`: `+74951234567` (the default).
    #[default]
    #[serde(rename = "e164")]
    E164,
    /// `e164-no-plus`: `74951234567`.
    #[serde(rename = "e164-no-plus")]
    E164NoPlus,
    /// `national`: `84951234567` (national prefix for home numbers, international prefix for
    /// foreign ones).
    #[serde(rename = "national")]
    National,
}

/// What to answer a gateway's 401/407 challenge with (RFC 3261 §22.2, §22.3).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
    /// Answer only challenges of this realm; `None` answers any realm.
    pub realm: Option<String>,
}

impl fmt::Debug for Credentials {
    /// Never prints the password: gateways end up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("realm", &self.realm)
            .finish()
    }
}

/// A carrier trunk: one validated `[[gateways]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gateway {
    /// The gateway's unique name.
    pub name: String,
    /// `host:port` or `host` as configured; IPv6 hosts in brackets.
    pub address: String,
    /// The transport to reach it over.
    pub transport: Transport,
    /// `false` when the configuration takes it out of service.
    pub enabled: bool,
    /// The concurrent call limit; 0 = unlimited. The server counts calls and reports
    /// [`Availability::AtLimit`](super::Availability::AtLimit).
    pub max_calls: u32,
    /// The OPTIONS health-probe interval, when probing is on.
    pub probe: Option<Duration>,
    /// What to answer the gateway's challenges with, when it challenges.
    pub credentials: Option<Credentials>,
    /// How the number is written in the Request-URI.
    pub number_format: NumberFormat,
    /// Characters removed from the front of the formatted number.
    pub strip_digits: usize,
    /// Prepended to the number after stripping.
    pub add_prefix: String,
    /// The codecs the gateway accepts, in preference order; empty = any.
    pub codecs: Vec<String>,
    /// Header edits for the B-leg INVITE.
    pub headers: HeaderPolicy,
    /// This gateway's own fail-over policy, when it overrides its group's.
    pub failover: Option<FailoverPolicy>,
}

impl Gateway {
    /// The Request-URI of a B-leg to this gateway for an already formatted number:
    /// `sip:<number>@<address>`, with `;transport=tcp` over TCP. `#` is not allowed unescaped
    /// in a SIP URI user part (RFC 3261 §25.1), so it is written `%23`.
    pub fn uri_for(&self, formatted_number: &str) -> String {
        let user = formatted_number.replace('#', "%23");
        match self.transport {
            Transport::Udp => format!("sip:{user}@{}", self.address),
            Transport::Tcp => format!("sip:{user}@{};transport=tcp", self.address),
        }
    }
}

/// Why a gateway address is not `host[:port]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing before the port.
    #[error("missing host")]
    MissingHost,
    /// `[` without `]`, or something other than `:port` after `]`.
    #[error("malformed IPv6 brackets")]
    Brackets,
    /// The bracketed text is not an IPv6 address.
    #[error("not an IPv6 address inside the brackets")]
    BadIpv6,
    /// An IPv6 address written without brackets.
    #[error("an IPv6 address must be written in brackets, e.g. [2001:db8::1]:5060")]
    UnbracketedIpv6,
    /// The host is neither an IPv4 address nor a DNS name.
    #[error("not an IPv4 address or DNS name")]
    BadHost,
    /// The port is not a number in 1–65535.
    #[error("port must be a number in 1-65535")]
    BadPort,
}

/// Checks a gateway address: `host` or `host:port`, where host is an IPv4 address, an IPv6
/// address in brackets or a DNS name (letters, digits, `-`, dot-separated labels).
pub(crate) fn check_address(address: &str) -> Result<(), AddressError> {
    let (host, port) = if let Some(rest) = address.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or(AddressError::Brackets)?;
        v6.parse::<std::net::Ipv6Addr>().map_err(|_| AddressError::BadIpv6)?;
        match after {
            "" => return Ok(()),
            after => (None, Some(after.strip_prefix(':').ok_or(AddressError::Brackets)?)),
        }
    } else {
        match address.split_once(':') {
            Some((_, port)) if port.contains(':') => return Err(AddressError::UnbracketedIpv6),
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(address), None),
        }
    };
    if let Some(host) = host {
        check_host(host)?;
    }
    match port.map(str::parse::<u16>) {
        None | Some(Ok(1..)) => Ok(()),
        Some(_) => Err(AddressError::BadPort),
    }
}

/// An IPv4 address or a DNS name.
fn check_host(host: &str) -> Result<(), AddressError> {
    if host.is_empty() {
        return Err(AddressError::MissingHost);
    }
    let all_numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if all_numeric {
        return host.parse::<std::net::Ipv4Addr>().map(drop).map_err(|_| AddressError::BadHost);
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.split('.').all(label_ok) { Ok(()) } else { Err(AddressError::BadHost) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_host_and_optional_port_with_ipv6_in_brackets() {
        let cases = [
            ("127.0.0.1:5070", Ok(())),
            ("sip.carrier.net", Ok(())),
            ("sip.carrier.net.:5060", Ok(())),
            ("[2001:db8::1]:5060", Ok(())),
            ("[::1]", Ok(())),
            ("2001:db8::1", Err(AddressError::UnbracketedIpv6)),
            ("[2001:db8::1", Err(AddressError::Brackets)),
            ("[2001:db8::1]5060", Err(AddressError::Brackets)),
            ("[gw]:5060", Err(AddressError::BadIpv6)),
            (":5060", Err(AddressError::MissingHost)),
            ("", Err(AddressError::MissingHost)),
            ("300.1.1.1:5060", Err(AddressError::BadHost)),
            ("bad_host:5060", Err(AddressError::BadHost)),
            ("-gw.net", Err(AddressError::BadHost)),
            ("gw:0", Err(AddressError::BadPort)),
            ("gw:65536", Err(AddressError::BadPort)),
            ("gw:", Err(AddressError::BadPort)),
        ];
        for (address, expected) in cases {
            assert_eq!(check_address(address), expected, "{address}");
        }
    }

    #[test]
    fn target_uri_escapes_hash_and_names_tcp_per_rfc3261_section_25_1() {
        let mut gateway = Gateway {
            name: "gw".into(),
            address: "[2001:db8::1]:5061".into(),
            transport: Transport::Udp,
            enabled: true,
            max_calls: 0,
            probe: None,
            credentials: None,
            number_format: NumberFormat::E164,
            strip_digits: 0,
            add_prefix: String::new(),
            codecs: vec![],
            headers: HeaderPolicy::default(),
            failover: None,
        };
        assert_eq!(gateway.uri_for("*21#"), "sip:*21%23@[2001:db8::1]:5061");
        gateway.transport = Transport::Tcp;
        assert_eq!(gateway.uri_for("+7495"), "sip:+7495@[2001:db8::1]:5061;transport=tcp");
    }

    #[test]
    fn credentials_never_print_the_password() {
        let credentials =
            Credentials { username: "u".into(), password: "secret".into(), realm: None };
        assert!(!format!("{credentials:?}").contains("secret"));
    }
}
