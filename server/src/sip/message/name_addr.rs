//! `name-addr` / `addr-spec` values: From, To, Contact, Route, Record-Route, Path
//! (RFC 3261 §20.10, §20.20, §20.39, §25.1).

use super::ParseError;
use super::syntax::{TrimLws, find_byte, is_token_char, parse_generic_params, quoted_len};
use super::uri::{Params, Uri};

/// `[display-name] <uri>;params` or `uri;params`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameAddr<'a> {
    /// The display name as written: a quoted string with its quotes, or tokens; `None` if absent.
    pub display_name: Option<&'a str>,
    /// The URI.
    pub uri: Uri<'a>,
    /// Header parameters after the URI (`;tag=…`, `;expires=…`, `;q=…`).
    pub params: Params<'a>,
    /// Whether the URI was enclosed in `<>`.
    pub bracketed: bool,
}

impl<'a> NameAddr<'a> {
    /// Parses one element. `header` names the header in the error.
    pub fn parse(s: &'a str, header: &'static str) -> Result<NameAddr<'a>, ParseError> {
        let e = ParseError::BadHeaderValue(header);
        let s = s.trim_lws();
        let (display_name, after_display) = if s.starts_with('"') {
            let len = quoted_len(s).ok_or(e)?;
            (Some(&s[..len]), s[len..].trim_lws_start())
        } else if let Some(lt) = find_byte(s, b'<') {
            // Display name as tokens separated by LWS; no LWS before '<' is tolerated
            // (RFC 4475 §3.1.1.6).
            let name = s[..lt].trim_lws();
            if !name.bytes().all(|b| is_token_char(b) || b == b' ' || b == b'\t') {
                return Err(e);
            }
            ((!name.is_empty()).then_some(name), &s[lt..])
        } else {
            (None, s)
        };
        if let Some(inner) = after_display.strip_prefix('<') {
            let gt = find_byte(inner, b'>').ok_or(e)?;
            let uri_text = &inner[..gt];
            // RFC 3261 has no LWS between LAQUOT/RAQUOT and the addr-spec (RFC 4475 §3.1.2.14).
            let uri = Uri::parse(uri_text).map_err(|_| e)?;
            let params = &inner[gt + 1..];
            parse_generic_params(params, header)?;
            return Ok(NameAddr { display_name, uri, params: Params::new(params.trim_lws()), bracketed: true });
        }
        if display_name.is_some() {
            return Err(e);
        }
        // addr-spec: the URI ends at the first ';' and may not contain ',', '?' or ';'
        // (RFC 3261 §20.10; RFC 4475 §3.1.2.13).
        let end = find_byte(s, b';').unwrap_or(s.len());
        let uri_text = s[..end].trim_lws_end();
        if uri_text.bytes().any(|b| b == b'?' || b == b',') {
            return Err(e);
        }
        let uri = Uri::parse(uri_text).map_err(|_| e)?;
        let params = &s[end..];
        parse_generic_params(params, header)?;
        Ok(NameAddr { display_name: None, uri, params: Params::new(params), bracketed: false })
    }

    /// The `tag` parameter (From/To).
    pub fn tag(&self) -> Option<&'a str> {
        self.params.get("tag").flatten()
    }

    /// The display name without quotes (quoted-pairs left as written).
    pub fn display_text(&self) -> Option<&'a str> {
        self.display_name.map(|d| d.strip_prefix('"').and_then(|d| d.strip_suffix('"')).unwrap_or(d))
    }
}

/// A Contact header element: a name-addr, or `*` (only in REGISTER, RFC 3261 §10.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contact<'a> {
    /// `Contact: *`
    Wildcard,
    /// One contact address.
    Address(NameAddr<'a>),
}

impl<'a> Contact<'a> {
    /// Parses one Contact element.
    pub fn parse(s: &'a str) -> Result<Contact<'a>, ParseError> {
        if s.trim_lws() == "*" {
            return Ok(Contact::Wildcard);
        }
        NameAddr::parse(s, "Contact").map(Contact::Address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_token_and_bare_forms_parse() {
        let n = NameAddr::parse(r#""Mr. J. User" <sip:j.user@example.com>;tag=abc"#, "To").unwrap();
        assert_eq!(n.display_text(), Some("Mr. J. User"));
        assert_eq!(n.tag(), Some("abc"));
        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323", "From").unwrap();
        assert_eq!(n.display_name, Some("caller"));
        let n = NameAddr::parse("sip:caller@example.net;tag=1", "From").unwrap();
        assert_eq!(n.uri.user, Some("caller"));
        assert_eq!(n.tag(), Some("1"));
        assert!(!n.bracketed);
    }

    #[test]
    fn malformed_name_addrs_fail_per_rfc4475_section_3_1_2() {
        assert!(NameAddr::parse(r#""Mr. J. User <sip:j.user@example.com>"#, "To").is_err());
        assert!(NameAddr::parse("< sip:t.watson@example.org >", "To").is_err());
        assert!(NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", "From").is_err());
        assert!(NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E", "Contact").is_err());
        assert!(NameAddr::parse(r#""Joe" <sip:joe@example.org>;;;;"#, "Contact").is_err());
    }

    #[test]
    fn contact_wildcard_and_contact_params() {
        assert_eq!(Contact::parse(" * ").unwrap(), Contact::Wildcard);
        let Contact::Address(c) = Contact::parse("<sip:u@h;unknownparam>;expires=60;q=0.5").unwrap() else {
            panic!("not an address")
        };
        assert!(c.uri.params.has("unknownparam"));
        assert_eq!(c.params.get("expires"), Some(Some("60")));
    }
}
