//! URIs: SIP and SIPS (RFC 3261 §19.1, §25.1), tel (RFC 3966) and any other scheme kept opaque,
//! with IPv6 references per RFC 5118.
//!
//! A [`Uri`] borrows the text it was parsed from. `%HH` escapes are left as written: comparing
//! or unescaping is the caller's business, and Ringway never unescapes twice (RFC 4475 §3.1.1.3).

use super::ParseError;
use super::syntax::{TrimLws, find_byte, split_at_byte};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The scheme of a URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme<'a> {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:`
    Tel,
    /// Any other syntactically valid scheme, as written.
    Other(&'a str),
}

/// A host: a domain name or an IP address (IPv6 written in brackets on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name, as written.
    Domain(&'a str),
    /// An IP address.
    Ip(IpAddr),
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

impl<'a> Host<'a> {
    /// Parses a host: `[v6]`, dotted IPv4, or a domain name. A bare IPv6 address (no brackets) is
    /// accepted only where the grammar allows it, e.g. Via's `received` (RFC 5118 §4.5), through
    /// [`Host::parse_received`].
    pub fn parse(s: &'a str) -> Result<Host<'a>, ParseError> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(ParseError::BadUri("IPv6 reference"))?;
            return parse_ipv6(inner).map(|ip| Host::Ip(IpAddr::V6(ip)));
        }
        if s.is_empty() {
            return Err(ParseError::BadUri("host"));
        }
        if let Some(ip) = parse_ipv4(s.as_bytes()) {
            return Ok(Host::Ip(IpAddr::V4(ip)));
        }
        let valid = s.bytes().fold(true, |ok, b| ok & (b.is_ascii_alphanumeric() | (b == b'-') | (b == b'.') | (b == b'_')));
        if !valid || s.starts_with('.') || s.starts_with('-') {
            return Err(ParseError::BadUri("host"));
        }
        Ok(Host::Domain(s))
    }

    /// Like [`Host::parse`], and also a bare IPv6 address (Via `received`, RFC 5118 §4.5).
    pub fn parse_received(s: &'a str) -> Result<Host<'a>, ParseError> {
        if s.contains(':') && !s.starts_with('[') {
            return parse_ipv6(s).map(|ip| Host::Ip(IpAddr::V6(ip)));
        }
        Host::parse(s)
    }

    /// The address, when the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Ip(ip) => Some(*ip),
            Host::Domain(_) => None,
        }
    }
}

/// Parses a dotted-quad IPv4 address as `Ipv4Addr::from_str` does (four decimal octets, no
/// leading zeros), without its general-purpose parser: most hosts in Via and Contact are IPv4.
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut count = 0;
    for part in s.split(|&b| b == b'.') {
        if count == 4 || part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut value = 0u16;
        for &d in part {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u16::from(d - b'0');
        }
        octets[count] = u8::try_from(value).ok()?;
        count += 1;
    }
    (count == 4).then(|| Ipv4Addr::from(octets))
}

/// Parses an IPv6 address, tolerating the `:::` spelling of RFC 3261's ABNF bug (RFC 5118 §4.10:
/// `2001:db8:::192.0.2.1` reads as `2001:db8::192.0.2.1`).
fn parse_ipv6(s: &str) -> Result<Ipv6Addr, ParseError> {
    if let Ok(ip) = s.parse::<Ipv6Addr>() {
        return Ok(ip);
    }
    if let Some(at) = s.find(":::") {
        let fixed = format!("{}::{}", &s[..at], &s[at + 3..]);
        if let Ok(ip) = fixed.parse::<Ipv6Addr>() {
            return Ok(ip);
        }
    }
    Err(ParseError::BadUri("IPv6 reference"))
}

/// `;name=value` parameters, kept as written and looked up case-insensitively by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params<'a> {
    raw: &'a str,
}

impl<'a> Params<'a> {
    /// Wraps parameter text that starts with `;` (or is empty). The caller has checked its syntax.
    pub(crate) fn new(raw: &'a str) -> Self {
        Params { raw }
    }

    /// The text as written, starting with `;`, or empty.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Each parameter as `(name, value)`; a flag parameter has no value.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        split_params(self.raw).map(|p| match split_at_byte(p, b'=') {
            Some((n, v)) => (n.trim_lws(), Some(unquote_trim(v.trim_lws()))),
            None => (p.trim_lws(), None),
        })
    }

    /// The parameter with this name: `Some(None)` for a flag, `Some(Some(v))` with a value.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// Whether a parameter with this name is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Splits `;a=1;b;c="x;y"` into `a=1`, `b`, `c="x;y"`, respecting quotes.
fn split_params(raw: &str) -> impl Iterator<Item = &str> {
    let bytes = raw.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < bytes.len() && (bytes[pos] == b';' || bytes[pos] == b' ' || bytes[pos] == b'\t') {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let mut in_quotes = false;
        // Jump between the only octets that matter: `;`, `"` and (inside quotes) `\\`.
        while let Some(off) = memchr::memchr3(b';', b'"', b'\\', &bytes[pos..]) {
            pos += off;
            match bytes[pos] {
                b'\\' if in_quotes => pos += 1,
                b'"' => in_quotes = !in_quotes,
                b';' if !in_quotes => break,
                _ => {}
            }
            pos += 1;
        }
        if pos >= bytes.len() || bytes[pos] != b';' {
            pos = bytes.len();
        }
        Some(&raw[start..pos])
    })
}

fn unquote_trim(v: &str) -> &str {
    v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v)
}

/// A URI of any scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uri<'a> {
    /// The URI as written.
    pub raw: &'a str,
    /// Its scheme.
    pub scheme: Scheme<'a>,
    /// For `sip:`/`sips:`: the user part (may contain `;` per RFC 4475 §3.1.1.9); for `tel:` the
    /// number.
    pub user: Option<&'a str>,
    /// For `sip:`/`sips:`: the password after the user's `:`.
    pub password: Option<&'a str>,
    /// For `sip:`/`sips:`: the host; `None` for other schemes.
    pub host: Option<Host<'a>>,
    /// For `sip:`/`sips:`: the port, when written.
    pub port: Option<u16>,
    /// URI parameters (`;transport=tcp;lr`), for `sip:`, `sips:` and `tel:`.
    pub params: Params<'a>,
    /// URI headers after `?`, as written (without the `?`), for `sip:`/`sips:`.
    pub headers: Option<&'a str>,
}

impl<'a> Uri<'a> {
    /// Parses a URI. `sip:`, `sips:` and `tel:` are parsed in full; any other scheme is checked
    /// for a valid scheme name and kept opaque (RFC 4475 §3.3.2: parse it, then answer 416).
    pub fn parse(raw: &'a str) -> Result<Uri<'a>, ParseError> {
        let (scheme_str, rest) = split_at_byte(raw, b':').ok_or(ParseError::BadUri("URI scheme"))?;
        let scheme_ok = scheme_str.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && scheme_str.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(ParseError::BadUri("URI scheme"));
        }
        // No early exit: a branch-free fold over a short URI vectorises.
        let forbidden = raw.bytes().fold(false, |bad, b| {
            bad | (b <= b' ') | (b == b'<') | (b == b'>') | (b == b'"') | (b == 0x7f)
        });
        if forbidden {
            return Err(ParseError::BadUri("URI (whitespace or delimiter inside)"));
        }
        let scheme = if scheme_str.eq_ignore_ascii_case("sip") {
            Scheme::Sip
        } else if scheme_str.eq_ignore_ascii_case("sips") {
            Scheme::Sips
        } else if scheme_str.eq_ignore_ascii_case("tel") {
            Scheme::Tel
        } else {
            if rest.is_empty() {
                return Err(ParseError::BadUri("URI"));
            }
            return Ok(Uri {
                raw,
                scheme: Scheme::Other(scheme_str),
                user: None,
                password: None,
                host: None,
                port: None,
                params: Params::default(),
                headers: None,
            });
        };
        if scheme == Scheme::Tel {
            let (number, params) = match find_byte(rest, b';') {
                Some(at) => (&rest[..at], &rest[at..]),
                None => (rest, ""),
            };
            if number.is_empty() {
                return Err(ParseError::BadUri("tel URI"));
            }
            check_params(params)?;
            return Ok(Uri {
                raw,
                scheme,
                user: Some(number),
                password: None,
                host: None,
                port: None,
                params: Params::new(params),
                headers: None,
            });
        }
        // userinfo ends at the first '@': '@' never appears unescaped in the user part, the
        // hostport or the parameters, and URI headers must escape it.
        let (userinfo, hostpart) = match find_byte(rest, b'@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some(info) => {
                if info.is_empty() {
                    return Err(ParseError::BadUri("SIP URI user part"));
                }
                // The password follows the first ':' that is not inside the user part's
                // parameters; users rarely contain ':', passwords are rarer still.
                match find_byte(info, b':') {
                    Some(at) => (Some(&info[..at]), Some(&info[at + 1..])),
                    None => (Some(info), None),
                }
            }
            None => (None, None),
        };
        let (hostport, params, headers) = split_hostport(hostpart);
        let (host_str, port) = split_port(hostport)?;
        let host = Host::parse(host_str)?;
        check_params(params)?;
        Ok(Uri {
            raw,
            scheme,
            user,
            password,
            host: Some(host),
            port,
            params: Params::new(params),
            headers,
        })
    }

    /// Whether the scheme is `sip:` or `sips:`.
    pub fn is_sip(&self) -> bool {
        matches!(self.scheme, Scheme::Sip | Scheme::Sips)
    }
}

fn split_hostport(s: &str) -> (&str, &str, Option<&str>) {
    let (before_headers, headers) = match find_byte(s, b'?') {
        Some(at) => (&s[..at], Some(&s[at + 1..])),
        None => (s, None),
    };
    // An IPv6 reference may not contain ';' so the first ';' after any ']' starts the params.
    let search_from =
        if before_headers.starts_with('[') { find_byte(before_headers, b']').unwrap_or(0) } else { 0 };
    match find_byte(&before_headers[search_from..], b';') {
        Some(at) => {
            let at = search_from + at;
            (&before_headers[..at], &before_headers[at..], headers)
        }
        None => (before_headers, "", headers),
    }
}

/// Splits `host[:port]`, where host may be an IPv6 reference in brackets.
pub(crate) fn split_port(s: &str) -> Result<(&str, Option<u16>), ParseError> {
    let (host, port) = if s.starts_with('[') {
        let end = find_byte(s, b']').ok_or(ParseError::BadUri("IPv6 reference"))?;
        match &s[end + 1..] {
            "" => (&s[..=end], None),
            rest => (&s[..=end], Some(rest.strip_prefix(':').ok_or(ParseError::BadUri("port"))?)),
        }
    } else {
        match split_at_byte(s, b':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => Some(parse_port(p)?),
        None => None,
    };
    Ok((host, port))
}

fn parse_port(p: &str) -> Result<u16, ParseError> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadUri("port"));
    }
    p.parse().map_err(|_| ParseError::BadUri("port"))
}

/// Every parameter has a non-empty name (`;;` is a fault, RFC 4475 §3.1.2.1).
fn check_params(params: &str) -> Result<(), ParseError> {
    if params.is_empty() {
        return Ok(());
    }
    let mut parts = params.split(';');
    parts.next(); // text before the first ';' is empty by construction
    for p in parts {
        let name = split_at_byte(p, b'=').map_or(p, |(n, _)| n);
        if name.is_empty() {
            return Err(ParseError::BadUri("URI parameter"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uri_parts_per_rfc3261_section_19_1() {
        let u = Uri::parse("sips:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=x").unwrap();
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(u.user, Some("alice"));
        assert_eq!(u.password, Some("secret"));
        assert_eq!(u.host, Some(Host::Domain("atlanta.com")));
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.params.get("transport"), Some(Some("tcp")));
        assert!(u.params.has("lr"));
        assert_eq!(u.headers, Some("subject=x"));
    }

    #[test]
    fn user_part_may_hold_semicolons_per_rfc4475_section_3_1_1_9() {
        let u = Uri::parse("sip:user;par=u%40example.net@example.com").unwrap();
        assert_eq!(u.user, Some("user;par=u%40example.net"));
        assert_eq!(u.host, Some(Host::Domain("example.com")));
    }

    #[test]
    fn ipv6_references_per_rfc5118() {
        let u = Uri::parse("sip:[2001:db8::10]:5070").unwrap();
        assert_eq!(u.port, Some(5070));
        let u = Uri::parse("sip:user@[2001:db8::10:5070]").unwrap();
        assert_eq!(u.port, None);
        assert_eq!(u.host.unwrap().ip(), Some("2001:db8::10:5070".parse().unwrap()));
        let u = Uri::parse("sip:[2001:db8:::192.0.2.1]").unwrap();
        assert_eq!(u.host.unwrap().ip(), Some("2001:db8::192.0.2.1".parse().unwrap()));
        assert!(Uri::parse("sip:user@2001:db8::10").is_err());
    }

    #[test]
    fn parameters_split_at_semicolons_outside_quoted_strings() {
        let p = Params::new(r#";a="x;y\";z" ; b;c=1;d="\\";e"#);
        let names: Vec<_> = p.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        assert_eq!(p.get("A"), Some(Some(r#"x;y\";z"#)));
        assert_eq!(p.get("b"), Some(None));
        assert_eq!(Params::new(r#";q="open;r"#).iter().count(), 1);
    }

    #[test]
    fn dotted_quads_read_as_ipv4_exactly_when_the_standard_parser_agrees() {
        for s in ["192.0.2.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4.", "a.b.c.d", "1.2.3.-4"] {
            assert_eq!(parse_ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok(), "{s}");
        }
        assert_eq!(Host::parse("1.2.3.4.5").unwrap(), Host::Domain("1.2.3.4.5"));
    }

    #[test]
    fn unknown_schemes_parse_opaque_and_bad_ones_fail() {
        assert_eq!(Uri::parse("soap.beep://192.0.2.103:3002").unwrap().scheme, Scheme::Other("soap.beep"));
        assert!(Uri::parse("<sip:user@example.com>").is_err());
        assert!(Uri::parse("sip:user@example.com;;lr").is_err());
        assert!(Uri::parse("tel:+12125551212;phone-context=x").unwrap().user == Some("+12125551212"));
    }
}
