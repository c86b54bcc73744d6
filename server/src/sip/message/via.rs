//! The Via header (RFC 3261 §20.42, §18.2.2) with RFC 3581 `rport` and RFC 5118 IPv6 `received`.

use super::ParseError;
use super::header::is_wsp;
use super::syntax::{TrimLws, find_byte, is_token, split_at_byte, visit_generic_params};
use super::uri::{Host, Params, split_port};

/// The RFC 3261 magic cookie every compliant branch starts with (§8.1.1.7).
pub const BRANCH_MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via element: `SIP/2.0/UDP host:port;branch=…;received=…;rport`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// The protocol name and version, normally `SIP` and `2.0`.
    pub protocol: (&'a str, &'a str),
    /// The transport as written (`UDP`, `TCP`, `TLS`, `SCTP`, or an extension).
    pub transport: &'a str,
    /// The sent-by host.
    pub host: Host<'a>,
    /// The sent-by port, when written.
    pub port: Option<u16>,
    /// The via-params.
    pub params: Params<'a>,
}

impl<'a> Via<'a> {
    /// Parses one Via element (one comma-separated part of a Via header).
    pub fn parse(s: &'a str) -> Result<Via<'a>, ParseError> {
        const E: ParseError = ParseError::BadHeaderValue("Via");
        let (name, rest) = split_at_byte(s, b'/').ok_or(E)?;
        let (version, rest) = split_at_byte(rest, b'/').ok_or(E)?;
        let (name, version, rest) = (name.trim_lws(), version.trim_lws(), rest.trim_lws_start());
        let transport_end = rest.bytes().position(is_wsp).ok_or(E)?;
        let transport = &rest[..transport_end];
        if !is_token(name) || !is_token(version) || !is_token(transport) {
            return Err(E);
        }
        let rest = rest[transport_end..].trim_lws_start();
        let sent_by_end = find_byte(rest, b';').unwrap_or(rest.len());
        let sent_by = rest[..sent_by_end].trim_lws_end();
        // LWS is allowed around the ':' of sent-by only in the liberal reading; keep it strict.
        let (host, port) = split_port(sent_by).map_err(|_| E)?;
        let host = Host::parse(host).map_err(|_| E)?;
        let params = &rest[sent_by_end..];
        // RFC 3581 rport and RFC 5118 received are checked in the same pass as the syntax.
        visit_generic_params(params, "Via", |name, value| {
            if name.eq_ignore_ascii_case("received") {
                Host::parse_received(value.ok_or(E)?).map_err(|_| E)?;
            } else if name.eq_ignore_ascii_case("rport")
                && let Some(rport) = value
            {
                rport.parse::<u16>().map_err(|_| E)?;
            }
            Ok(())
        })?;
        let via = Via { protocol: (name, version), transport, host, port, params: Params::new(params) };
        Ok(via)
    }

    /// The branch parameter, the transaction identifier of RFC 3261 §17.
    pub fn branch(&self) -> Option<&'a str> {
        self.params.get("branch").flatten()
    }

    /// Whether the branch starts with the magic cookie (RFC 3261 §17.2.3 matching applies).
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch().is_some_and(|b| b.len() > BRANCH_MAGIC_COOKIE.len() && b.starts_with(BRANCH_MAGIC_COOKIE))
    }

    /// The `received` parameter (RFC 3261 §18.2.1), bare or bracketed IPv6 accepted.
    pub fn received(&self) -> Option<Host<'a>> {
        self.params.get("received").flatten().and_then(|r| Host::parse_received(r).ok())
    }

    /// The `rport` parameter: `None` absent, `Some(None)` asked for, `Some(Some(p))` filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params.get("rport").map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.params.get("maddr").flatten()
    }

    /// Whether the transport is a reliable one (everything but UDP), per RFC 3261 §18.
    pub fn is_reliable(&self) -> bool {
        !self.transport.eq_ignore_ascii_case("UDP")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_with_lws_and_params_per_rfc4475_section_3_1_1_1() {
        let v = Via::parse("SIP  /   2.0  /  UDP  192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.has_rfc3261_branch());
        let v = Via::parse("SIP/2.0/TCP [2001:db8::9:1]:5070;received=2001:db8::9:255;branch=z9hG4bKas3;rport").unwrap();
        assert_eq!(v.port, Some(5070));
        assert_eq!(v.received().unwrap().ip(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(v.rport(), Some(None));
        assert!(v.is_reliable());
    }

    #[test]
    fn empty_via_params_are_malformed_per_rfc4475_section_3_1_2_1() {
        assert!(Via::parse("SIP/2.0/UDP 192.0.2.15;;,;,,").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
        assert!(Via::parse("SIP/2.0/UDP host;branch=z9hG4bK;rport=99999").is_err());
    }
}
