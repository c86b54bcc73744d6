//! Small pieces of RFC 3261 §25 grammar shared by the typed headers: tokens, quoted strings,
//! generic parameters.

use super::ParseError;

/// RFC 3261 `token` characters.
pub fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
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
    let e = ParseError::BadHeaderValue(header);
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        rest = rest.strip_prefix(';').ok_or(e)?.trim_start();
        let name_end = rest.bytes().position(|b| !is_token_char(b)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(e);
        }
        rest = rest[name_end..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            let len = if value.starts_with('"') {
                quoted_len(value).ok_or(e)?
            } else if value.starts_with('[') {
                value.find(']').ok_or(e)? + 1
            } else {
                value.bytes().position(|b| !(is_token_char(b) || b == b':')).unwrap_or(value.len())
            };
            if len == 0 {
                return Err(e);
            }
            rest = value[len..].trim_start();
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
