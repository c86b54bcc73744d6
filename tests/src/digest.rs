//! A small SIP digest client (RFC 3261 §22.4, RFC 7616 §3.4 as RFC 8760 applies it to SIP):
//! reads the challenges of a 401/407 and computes the credentials that answer one, with MD5 or
//! SHA-256 and `qop=auth` (nonce count and client nonce). Written apart from the server's code on
//! purpose, so that the two can disagree.

use md5::Md5;
use sha2::{Digest as _, Sha256};
use std::fmt;

/// A digest algorithm the client can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `MD5` (RFC 2617).
    Md5,
    /// `SHA-256` (RFC 7616, RFC 8760).
    Sha256,
}

impl Algorithm {
    /// The token used in challenges and credentials.
    pub fn token(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Lower-case hex of the hash of `data`.
    pub fn hex(self, data: &str) -> String {
        let bytes: Vec<u8> = match self {
            Algorithm::Md5 => Md5::digest(data.as_bytes()).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// One `Digest` challenge (a WWW-Authenticate or Proxy-Authenticate value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `algorithm` (MD5 when absent, RFC 2617 §3.2.1); `None` for one this client cannot answer.
    pub algorithm: Option<Algorithm>,
    /// `qop` options offered, e.g. `["auth"]`.
    pub qop: Vec<String>,
    /// `stale=true`.
    pub stale: bool,
    /// `opaque`, echoed back when present.
    pub opaque: Option<String>,
}

/// The `Digest` challenges in a response's WWW-Authenticate and Proxy-Authenticate headers, in
/// order.
pub fn challenges(response: &str) -> Vec<Challenge> {
    response
        .split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let name = name.trim();
            let is_auth = name.eq_ignore_ascii_case("WWW-Authenticate") || name.eq_ignore_ascii_case("Proxy-Authenticate");
            is_auth.then(|| parse_challenge(value.trim())).flatten()
        })
        .collect()
}

/// Parses one challenge value (`Digest realm="…", nonce="…", …`).
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("Digest") {
        return None;
    }
    let params = parse_params(rest);
    let get = |key: &str| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
    let algorithm = match get("algorithm") {
        None => Some(Algorithm::Md5),
        Some(a) if a.eq_ignore_ascii_case("MD5") => Some(Algorithm::Md5),
        Some(a) if a.eq_ignore_ascii_case("SHA-256") => Some(Algorithm::Sha256),
        Some(_) => None,
    };
    Some(Challenge {
        realm: get("realm")?,
        nonce: get("nonce")?,
        algorithm,
        qop: get("qop").map(|q| q.split(',').map(|s| s.trim().to_owned()).collect()).unwrap_or_default(),
        stale: get("stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        opaque: get("opaque"),
    })
}

/// `key=value` and `key="quoted value"` pairs separated by commas.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else { break };
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        out.push((key, value));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

/// What the client proves and for which request.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// The account's username.
    pub username: &'a str,
    /// Its password.
    pub password: &'a str,
    /// The request's method.
    pub method: &'a str,
    /// The request's Request-URI (the credentials' `uri`).
    pub uri: &'a str,
    /// The nonce count, for `qop=auth` (1 for a nonce's first use).
    pub nc: u32,
    /// The client nonce, for `qop=auth`.
    pub cnonce: &'a str,
}

impl Challenge {
    /// The credentials answering this challenge (an Authorization / Proxy-Authorization value),
    /// with `qop=auth` when the challenge offers it (RFC 7616 §3.4.1), RFC 2069 form otherwise.
    ///
    /// Panics when the challenge's algorithm is not one this client knows.
    pub fn answer(&self, a: &Answer<'_>) -> String {
        let alg = self.algorithm.expect("an algorithm this client can answer");
        let ha1 = alg.hex(&format!("{}:{}:{}", a.username, self.realm, a.password));
        let ha2 = alg.hex(&format!("{}:{}", a.method, a.uri));
        let auth = self.qop.iter().any(|q| q == "auth");
        let nc = format!("{:08x}", a.nc);
        let response = if auth {
            alg.hex(&format!("{ha1}:{}:{nc}:{}:auth:{ha2}", self.nonce, a.cnonce))
        } else {
            alg.hex(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        let mut value = format!(
            r#"Digest username="{}", realm="{}", nonce="{}", uri="{}", response="{response}", algorithm={alg}"#,
            a.username, self.realm, self.nonce, a.uri
        );
        if auth {
            value.push_str(&format!(r#", qop=auth, nc={nc}, cnonce="{}""#, a.cnonce));
        }
        if let Some(opaque) = &self.opaque {
            value.push_str(&format!(r#", opaque="{opaque}""#));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_answer_matches_the_rfc2617_section_3_5_example() {
        // RFC 2617 §3.5: Mufasa / Circle Of Life, GET /dir/index.html.
        let challenge = parse_challenge(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        assert_eq!(challenge.qop, ["auth", "auth-int"]);
        let value = challenge.answer(&Answer {
            username: "Mufasa",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            nc: 1,
            cnonce: "0a4f113b",
        });
        assert!(value.contains(r#"response="6629fae49393a05397450978507c4ef1""#), "{value}");
        assert!(value.contains("nc=00000001"), "{value}");
    }

    #[test]
    fn sha256_answer_matches_the_rfc7616_section_3_9_1_example() {
        let challenge = parse_challenge(
            r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#,
        )
        .unwrap();
        assert_eq!(challenge.algorithm, Some(Algorithm::Sha256));
        let value = challenge.answer(&Answer {
            username: "Mufasa",
            password: "Circle of Life",
            method: "GET",
            uri: "/dir/index.html",
            nc: 1,
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        });
        assert!(value.contains(r#"response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1""#), "{value}");
    }
}
