//! Authentication headers: WWW-Authenticate / Proxy-Authenticate challenges and Authorization /
//! Proxy-Authorization credentials (RFC 3261 §20.7, §20.27, §20.28, §20.44, §25.1; RFC 8760).
//!
//! Both have the same shape, `scheme auth-param *(COMMA auth-param)`; schemes Ringway does not
//! know still parse (RFC 4475 §3.3.7) so that the registrar can answer with one it knows.

use super::ParseError;
use super::syntax::{TrimLws, is_token, is_token_char, quoted_len};
use std::borrow::Cow;

/// A challenge or credentials: the scheme and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthValue<'a> {
    /// `Digest`, or another scheme as written.
    pub scheme: &'a str,
    /// Parameters in order, values unquoted (quoted-pairs resolved).
    pub params: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> AuthValue<'a> {
    /// Parses a challenge or credentials value; `header` names the header in the error.
    pub fn parse(s: &'a str, header: &'static str) -> Result<AuthValue<'a>, ParseError> {
        let e = ParseError::BadHeaderValue(header);
        let s = s.trim_lws();
        let scheme_end = s.find([' ', '\t']).unwrap_or(s.len());
        let scheme = &s[..scheme_end];
        if !is_token(scheme) {
            return Err(e);
        }
        let mut rest = s[scheme_end..].trim_lws_start();
        let mut params = Vec::new();
        while !rest.is_empty() {
            let name_end = rest.bytes().position(|b| !is_token_char(b)).unwrap_or(rest.len());
            if name_end == 0 {
                return Err(e);
            }
            let name = &rest[..name_end];
            rest = rest[name_end..].trim_lws_start().strip_prefix('=').ok_or(e)?.trim_lws_start();
            let (value, len) = if rest.starts_with('"') {
                let len = quoted_len(rest).ok_or(e)?;
                (unescape(&rest[1..len - 1]), len)
            } else {
                let len = rest.bytes().position(|b| b == b',' || b == b' ' || b == b'\t').unwrap_or(rest.len());
                if len == 0 {
                    return Err(e);
                }
                (Cow::Borrowed(&rest[..len]), len)
            };
            params.push((name, value));
            rest = rest[len..].trim_lws_start();
            if let Some(after_comma) = rest.strip_prefix(',') {
                rest = after_comma.trim_lws_start();
            } else if !rest.is_empty() {
                return Err(e);
            }
        }
        Ok(AuthValue { scheme, params })
    }

    /// A parameter's value by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }

    /// Whether the scheme is Digest.
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }
}

/// Resolves quoted-pairs (`\"` → `"`), borrowing when there are none.
fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_credentials_parse_per_rfc3261_section_25_1() {
        let a = AuthValue::parse(
            r#"Digest username="bob", realm="biloxi.com", nonce="dcd9", uri="sip:bob@biloxi.com", qop=auth, nc=00000001, cnonce="0a4f", response="6629", algorithm=SHA-256"#,
            "Authorization",
        )
        .unwrap();
        assert!(a.is_digest());
        assert_eq!(a.param("USERNAME"), Some("bob"));
        assert_eq!(a.param("nc"), Some("00000001"));
        assert_eq!(a.param("algorithm"), Some("SHA-256"));
    }

    #[test]
    fn unknown_scheme_parses_per_rfc4475_section_3_3_7() {
        let a = AuthValue::parse("NoOneKnowsThisScheme opaque-data=here", "Authorization").unwrap();
        assert_eq!(a.scheme, "NoOneKnowsThisScheme");
        assert!(!a.is_digest());
        assert!(AuthValue::parse(r#"Digest realm="x"#, "WWW-Authenticate").is_err());
    }
}
