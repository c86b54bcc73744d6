//! Small pieces of RFC 3261 §25 grammar shared by the typed headers: tokens, quoted strings,
//! generic parameters.

use super::ParseError;

/// RFC 3261 `token` characters, one table lookup per octet (header names, methods and
/// parameters are all scanned with it).
const TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(c, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~');
        b += 1;
    }
    table
};

/// RFC 3261 `token` characters.
#[inline]
pub fn is_token_char(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// The offset of the first `byte` in `s` (faster than `str::find(char)`), always on a char
/// boundary because `byte` is ASCII.
#[inline]
pub fn find_byte(s: &str, byte: u8) -> Option<usize> {
    // memchr's setup costs more than a plain loop on the short pieces of URIs and parameters.
    if s.len() < 32 { s.bytes().position(|b| b == byte) } else { memchr::memchr(byte, s.as_bytes()) }
}

/// `s` split around the first `byte`, which is dropped.
#[inline]
pub fn split_at_byte(s: &str, byte: u8) -> Option<(&str, &str)> {
    find_byte(s, byte).map(|at| (&s[..at], &s[at + 1..]))
}

/// Trimming of SIP linear white space (SP, HTAB, CR, LF) only. `str::trim` also strips Unicode
/// spaces, which SIP does not treat as LWS, and costs a UTF-8 decode per character.
pub trait TrimLws {
    /// Without leading and trailing LWS.
    fn trim_lws(&self) -> &str;
    /// Without leading LWS.
    fn trim_lws_start(&self) -> &str;
    /// Without trailing LWS.
    fn trim_lws_end(&self) -> &str;
}

fn is_lws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl TrimLws for str {
    fn trim_lws(&self) -> &str {
        self.trim_lws_start().trim_lws_end()
    }

    fn trim_lws_start(&self) -> &str {
        let start = self.bytes().position(|b| !is_lws(b)).unwrap_or(self.len());
        &self[start..]
    }

    fn trim_lws_end(&self) -> &str {
        let end = self.bytes().rposition(|b| !is_lws(b)).map_or(0, |i| i + 1);
        &self[..end]
    }
}

/// A non-empty run of token characters.
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// The length of a quoted string at the start of `s` (which starts with `"`), including both
/// quotes, honouring `\` quoted-pairs. `None` when it is not terminated (RFC 4475 §3.1.2.6).
pub fn quoted_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Checks `*( SEMI generic-param )` where `generic-param = token [ EQUAL gen-value ]` and
/// `gen-value = token / host / quoted-string`, with LWS allowed around `;` and `=`.
pub fn parse_generic_params(s: &str, header: &'static str) -> Result<(), ParseError> {
    visit_generic_params(s, header, |_, _| Ok(()))
}

/// Like [`parse_generic_params`], handing each parameter's name and value (without quotes) to
/// `each` on the way, so that a header can check the parameters it knows in the same pass.
pub fn visit_generic_params<'a>(
    s: &'a str,
    header: &'static str,
    mut each: impl FnMut(&'a str, Option<&'a str>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let e = ParseError::BadHeaderValue(header);
    let mut rest = s.trim_lws_start();
    while !rest.is_empty() {
        rest = rest.strip_prefix(';').ok_or(e)?.trim_lws_start();
        let name_end = rest.bytes().position(|b| !is_token_char(b)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(e);
        }
        let name = &rest[..name_end];
        rest = rest[name_end..].trim_lws_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_lws_start();
            let len = if value.starts_with('"') {
                quoted_len(value).ok_or(e)?
            } else if value.starts_with('[') {
                find_byte(value, b']').ok_or(e)? + 1
            } else {
                value.bytes().position(|b| !(is_token_char(b) || b == b':')).unwrap_or(value.len())
            };
            if len == 0 {
                return Err(e);
            }
            let written = &value[..len];
            each(name, Some(written.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(written)))?;
            rest = value[len..].trim_lws_start();
        } else {
            each(name, None)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_params_accept_quoted_and_ipv6_values_and_reject_empty_names() {
        assert!(parse_generic_params(r#";a=1 ; b ;c="x;y\"z";received=[2001:db8::1];tag=a~'`"#, "X").is_ok());
        assert!(parse_generic_params(";;", "X").is_err());
        assert!(parse_generic_params(r#";c="unterminated"#, "X").is_err());
        assert!(parse_generic_params(";a=", "X").is_err());
    }
}
