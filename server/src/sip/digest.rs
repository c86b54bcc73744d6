//! SIP digest authentication, sans I/O: challenges for 401/407 and the check of the credentials
//! that answer them (RFC 3261 §22.1, §22.4; RFC 7616 §3.3–§3.5 as RFC 8760 §2 applies it to SIP).
//!
//! # Shape
//!
//! A [`Digest`] lives in each shard. [`Digest::challenges`] mints a nonce and renders one
//! challenge per configured [`Algorithm`], strongest first (RFC 8760 §2.4); the caller puts each
//! in its own WWW-Authenticate (401) or Proxy-Authenticate (407) header. [`Digest::verify`] checks
//! an Authorization / Proxy-Authorization value and returns a [`Verdict`], an outcome rather than
//! an error. [`Digest::sweep`] forgets the nonce-count state of expired nonces; call it from the
//! shard's timer now and then. Time comes in as `now`; the HMAC key comes in at construction (the
//! shell draws it from the OS once and hands the same key and `origin` to every shard).
//!
//! # Nonces
//!
//! A nonce is self-authenticating, so verifying one needs no table: 60 lower-case hex digits of
//! `shard (u16) ‖ seconds since origin (u32) ‖ counter (u64) ‖ tag`, where the tag is
//! HMAC-SHA-256 under the key of those 14 bytes and the realm, truncated to 16 bytes (compared in
//! constant time). The shard comes first and in the clear so that [`nonce_shard`] can route a
//! request home without the key; that shard holds the nonce's count state. A nonce is bound to the
//! realm it was minted for. Nonces die with the process (the key is new at each start): a nonce
//! from before a restart reads as [`Rejection::ForgedNonce`], and the caller challenges afresh.
//!
//! # Replay (RFC 7616 §3.4)
//!
//! Per nonce, the highest nonce-count accepted; a request with a count not above it is
//! [`Rejection::ReplayedNonceCount`]. State is created only when a request *authenticates*, so a
//! flood of unauthenticated requests costs no memory, and it goes when the nonce expires
//! ([`Digest::sweep`]). Credentials without `qop` (RFC 2069 compatibility, old phones) carry no
//! count, so such a nonce is good for exactly one request; the next one is a replay. Count state
//! is per shard: a request verified on a shard other than the nonce's still authenticates, but its
//! count is tracked apart, so route with [`nonce_shard`] for full protection.
//!
//! # No enumeration, no timing oracle
//!
//! Everything that can be judged without the account (syntax, algorithm, qop, the nonce's tag) is
//! judged before `lookup`. When `lookup` finds no account, or the account has no HA1 for the
//! algorithm, the full response is still computed, against a dummy HA1, and compared: the same
//! hashes as a real check. [`Rejection::UnknownUser`] and [`Rejection::WrongPassword`] are told
//! apart only for logs: **callers must answer both identically** (same status, same headers).
//! `lookup` itself should take the same time whether or not the user exists. [`Verdict::Stale`] is
//! given only when the response was right (RFC 7616 §3.3), so it reveals nothing either.
//!
//! # Deliberately not done
//!
//! `qop=auth-int` ([`Rejection::UnsupportedQop`]); the `-sess` algorithms and SHA-512-256
//! ([`Rejection::UnsupportedAlgorithm`]); `userhash` and `username*` (RFC 7616 §3.4.4, §3.4.5:
//! never offered, so credentials using them are [`Rejection::Malformed`]); `opaque`; the
//! Authentication-Info header (RFC 7616 §3.5); comparing the credentials' `uri` with the
//! Request-URI (RFC 3261 §22.4 leaves it to the caller, who has the request).

use super::ident::ShardId;
use super::message::AuthValue;
use hmac::{Hmac, KeyInit, Mac};
use md5::Md5;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// A digest hash algorithm Ringway offers and accepts (RFC 7616 §3.3, RFC 8760 §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`: what every phone speaks; also the meaning of credentials without `algorithm`.
    Md5,
    /// `SHA-256`: preferred, offered first (RFC 8760 §2.4).
    Sha256,
}

impl Algorithm {
    /// The token as written in `algorithm=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Length in hex digits of this algorithm's hashes (HA1, response).
    fn hex_len(self) -> usize {
        match self {
            Algorithm::Md5 => 32,
            Algorithm::Sha256 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `algorithm=` value Ringway does not support (including the `-sess` variants).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported digest algorithm {0:?}")]
pub struct UnsupportedAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;

    /// `MD5` or `SHA-256`, in any case.
    fn from_str(s: &str) -> Result<Algorithm, UnsupportedAlgorithm> {
        if s.eq_ignore_ascii_case("MD5") {
            Ok(Algorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Ok(Algorithm::Sha256)
        } else {
            Err(UnsupportedAlgorithm(s.to_owned()))
        }
    }
}

/// Why account secrets could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// A precomputed HA1 is not `hex_len` hex digits (32 for MD5, 64 for SHA-256).
    #[error("{algorithm} HA1 must be {hex_len} hex digits")]
    InvalidHa1 {
        /// The algorithm whose HA1 is wrong.
        algorithm: Algorithm,
        /// The expected number of hex digits.
        hex_len: usize,
    },
    /// Neither an MD5 nor a SHA-256 HA1 was given.
    #[error("an account needs at least one HA1")]
    NoHa1,
}

/// An account's digest secrets: HA1 = H(username ":" realm ":" password) per algorithm
/// (RFC 7616 §3.4.2), lower-case hex. `Debug` does not print them.
#[derive(Clone, PartialEq, Eq)]
pub struct Secrets {
    md5: Option<String>,
    sha256: Option<String>,
}

impl Secrets {
    /// Both HA1s computed from a clear-text password.
    pub fn from_password(username: &str, realm: &str, password: &str) -> Secrets {
        let parts: [&[u8]; 5] =
            [username.as_bytes(), b":", realm.as_bytes(), b":", password.as_bytes()];
        Secrets {
            md5: Some(hex(&hash(Algorithm::Md5, &parts))),
            sha256: Some(hex(&hash(Algorithm::Sha256, &parts))),
        }
    }

    /// Precomputed hex HA1s, as an account store keeps them instead of passwords; either may be
    /// absent, not both. Upper-case hex is accepted and stored lower-case.
    pub fn from_ha1(md5: Option<&str>, sha256: Option<&str>) -> Result<Secrets, DigestError> {
        if md5.is_none() && sha256.is_none() {
            return Err(DigestError::NoHa1);
        }
        let check = |algorithm: Algorithm, ha1: Option<&str>| match ha1 {
            None => Ok(None),
            Some(h)
                if h.len() == algorithm.hex_len() && h.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Ok(Some(h.to_ascii_lowercase()))
            }
            Some(_) => Err(DigestError::InvalidHa1 { algorithm, hex_len: algorithm.hex_len() }),
        };
        Ok(Secrets { md5: check(Algorithm::Md5, md5)?, sha256: check(Algorithm::Sha256, sha256)? })
    }

    /// The HA1 for `alg`, lower-case hex, if the account has one.
    pub fn ha1(&self, alg: Algorithm) -> Option<&str> {
        match alg {
            Algorithm::Md5 => self.md5.as_deref(),
            Algorithm::Sha256 => self.sha256.as_deref(),
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("md5", &self.md5.as_ref().map(|_| "<redacted>"))
            .field("sha256", &self.sha256.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Digest settings shared by every shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestConfig {
    /// How long a nonce is good for, to the second; after that it is [`Verdict::Stale`].
    pub nonce_lifetime: Duration,
    /// Algorithms offered, in offer order, and the only ones accepted.
    pub algorithms: Vec<Algorithm>,
}

impl Default for DigestConfig {
    /// Five-minute nonces; SHA-256 then MD5 (RFC 8760 §2.4).
    fn default() -> Self {
        DigestConfig {
            nonce_lifetime: Duration::from_secs(300),
            algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
        }
    }
}

/// The outcome of checking credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The response is right, the nonce fresh and its count new.
    Authenticated {
        /// The `username` of the credentials.
        username: String,
        /// The `realm` of the credentials (the one passed to `lookup`).
        realm: String,
    },
    /// The response is right but the nonce has expired: challenge again with `stale=true` so the
    /// phone retries without asking its user (RFC 7616 §3.3).
    Stale,
    /// Not authenticated.
    Rejected(Rejection),
}

/// Why credentials were rejected. Callers answer [`Rejection::UnknownUser`] and
/// [`Rejection::WrongPassword`] identically; the difference is for logs only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// `lookup` found no account (a dummy check was run all the same).
    UnknownUser,
    /// The response does not match (or the account has no HA1 for the algorithm).
    WrongPassword,
    /// The nonce was not minted with this key and realm (or predates a restart).
    ForgedNonce,
    /// The nonce-count is not above the highest already accepted for this nonce, or a nonce used
    /// without `qop` came again (RFC 7616 §3.4). The response was right, so a fresh challenge
    /// (with `stale=true`) lets an honest client recover.
    ReplayedNonceCount,
    /// Not Digest, or a required parameter is missing or ill-formed.
    Malformed,
    /// An `algorithm` not configured or not supported (`-sess`, SHA-512-256).
    UnsupportedAlgorithm,
    /// A `qop` other than `auth` (`auth-int` is not supported).
    UnsupportedQop,
}

/// Bytes of the nonce before the tag: shard, seconds, counter.
const NONCE_BODY: usize = 2 + 4 + 8;
/// Bytes of the truncated HMAC tag.
const NONCE_TAG: usize = 16;
/// Hex digits of a whole nonce.
const NONCE_HEX: usize = 2 * (NONCE_BODY + NONCE_TAG);

/// The shard that minted `nonce`, if it looks like one of Ringway's and names a shard below
/// `shards`. Reads only the clear-text prefix (no key): the answer is a routing hint, and the
/// nonce is still verified on arrival.
pub fn nonce_shard(nonce: &str, shards: u16) -> Option<ShardId> {
    if nonce.len() != NONCE_HEX {
        return None;
    }
    let shard = u16::from_str_radix(nonce.get(..4)?, 16).ok()?;
    (shard < shards).then_some(ShardId(shard))
}

/// Per-nonce count state, created when a request first authenticates with the nonce.
#[derive(Clone, Copy, Debug)]
struct NonceUse {
    /// When the nonce was minted, in seconds since origin (for [`Digest::sweep`]).
    minted: u32,
    /// The highest nonce-count accepted; `u32::MAX` once used without `qop`.
    highest_nc: u32,
}

/// A nonce whose tag checked out.
#[derive(Clone, Copy, Debug)]
struct Nonce {
    shard: u16,
    minted: u32,
    counter: u64,
}

/// The fields of Digest credentials, borrowed and checked for shape.
struct Credentials<'c> {
    username: &'c str,
    realm: &'c str,
    nonce: &'c str,
    uri: &'c str,
    response: Vec<u8>,
    algorithm: Algorithm,
    /// `(qop, nc as written, nc, cnonce)` when `qop` is present.
    qop: Option<(&'c str, &'c str, u32, &'c str)>,
}

/// Digest challenges and checks for one shard. Inputs: [`Digest::challenges`],
/// [`Digest::verify`]; housekeeping: [`Digest::sweep`].
pub struct Digest {
    config: DigestConfig,
    mac: Hmac<Sha256>,
    origin: Instant,
    shard: ShardId,
    counter: u64,
    used: HashMap<(u16, u64), NonceUse>,
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digest")
            .field("config", &self.config)
            .field("shard", &self.shard)
            .field("counter", &self.counter)
            .field("nonces_in_use", &self.used.len())
            .finish_non_exhaustive()
    }
}

impl Digest {
    /// A shard's digest state. `key` and `origin` must be the same for every shard of the process
    /// (the shell draws the key from the OS at start) so that any shard can verify any nonce.
    pub fn new(config: DigestConfig, key: [u8; 32], origin: Instant, shard: ShardId) -> Digest {
        let mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length");
        Digest { config, mac, origin, shard, counter: 0, used: HashMap::new() }
    }

    /// One challenge value per configured algorithm, strongest first (RFC 8760 §2.4), all with
    /// the same fresh nonce: `Digest realm="..", nonce="..", algorithm=SHA-256, qop="auth"`, plus
    /// `stale=true` when asked (after [`Verdict::Stale`]). Each goes in its own WWW-Authenticate
    /// (401) or Proxy-Authenticate (407) header.
    pub fn challenges(&mut self, now: Instant, realm: &str, stale: bool) -> Vec<String> {
        let nonce = self.mint(now, realm);
        let realm = quote(realm);
        let stale = if stale { ", stale=true" } else { "" };
        self.config
            .algorithms
            .iter()
            .map(|alg| {
                format!(
                    r#"Digest realm="{realm}", nonce="{nonce}", algorithm={alg}, qop="auth"{stale}"#
                )
            })
            .collect()
    }

    /// Checks `credentials` (an Authorization or Proxy-Authorization value) for a request whose
    /// method is `method` against the account `lookup(username, realm)` finds, `realm` being the
    /// credentials' own; the caller's `lookup` decides which realms it serves. See the module docs
    /// for the order of checks and why unknown users cost a full check.
    pub fn verify(
        &mut self,
        now: Instant,
        method: &str,
        credentials: &AuthValue<'_>,
        lookup: impl FnOnce(&str, &str) -> Option<Secrets>,
    ) -> Verdict {
        let c = match self.parse(credentials) {
            Ok(c) => c,
            Err(rejection) => return Verdict::Rejected(rejection),
        };
        let Some(nonce) = self.open(c.nonce, c.realm) else {
            return Verdict::Rejected(Rejection::ForgedNonce);
        };
        let secrets = lookup(c.username, c.realm);
        let real_ha1 = secrets.as_ref().and_then(|s| s.ha1(c.algorithm));
        let dummy = "0".repeat(c.algorithm.hex_len());
        let ha1 = real_ha1.unwrap_or(&dummy);
        let expected = response(
            c.algorithm,
            ha1,
            c.nonce,
            c.qop.map(|(qop, nc, _, cnonce)| (nc, cnonce, qop)),
            method,
            c.uri,
        );
        let matches = bool::from(expected.ct_eq(&c.response));
        match (secrets.is_some(), real_ha1.is_some() && matches) {
            (false, _) => return Verdict::Rejected(Rejection::UnknownUser),
            (true, false) => return Verdict::Rejected(Rejection::WrongPassword),
            (true, true) => {}
        }
        if self.age(now, nonce.minted) > self.config.nonce_lifetime {
            return Verdict::Stale;
        }
        let nc = c.qop.map_or(u32::MAX, |(_, _, nc, _)| nc);
        let entry = self.used.entry((nonce.shard, nonce.counter));
        match entry {
            std::collections::hash_map::Entry::Occupied(mut seen) => {
                if c.qop.is_none() || nc <= seen.get().highest_nc {
                    return Verdict::Rejected(Rejection::ReplayedNonceCount);
                }
                seen.get_mut().highest_nc = nc;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(NonceUse { minted: nonce.minted, highest_nc: nc });
            }
        }
        Verdict::Authenticated { username: c.username.to_owned(), realm: c.realm.to_owned() }
    }

    /// Forgets the count state of nonces that have expired (they are [`Verdict::Stale`] now, so
    /// the state can never matter again). Bounds memory to the nonces used within one lifetime.
    pub fn sweep(&mut self, now: Instant) {
        let lifetime = self.config.nonce_lifetime;
        let now_secs = self.seconds(now);
        self.used.retain(|_, u| {
            Duration::from_secs(u64::from(now_secs.saturating_sub(u.minted))) <= lifetime
        });
    }

    /// Whole seconds from origin to `now` (saturating; u32 lasts 136 years).
    fn seconds(&self, now: Instant) -> u32 {
        u32::try_from(now.saturating_duration_since(self.origin).as_secs()).unwrap_or(u32::MAX)
    }

    /// The age of a nonce minted at `minted` seconds since origin.
    fn age(&self, now: Instant, minted: u32) -> Duration {
        Duration::from_secs(u64::from(self.seconds(now).saturating_sub(minted)))
    }

    /// A fresh nonce for `realm`.
    fn mint(&mut self, now: Instant, realm: &str) -> String {
        self.counter = self.counter.wrapping_add(1);
        let mut body = [0u8; NONCE_BODY];
        body[..2].copy_from_slice(&self.shard.0.to_be_bytes());
        body[2..6].copy_from_slice(&self.seconds(now).to_be_bytes());
        body[6..].copy_from_slice(&self.counter.to_be_bytes());
        let tag = self.tag(&body, realm);
        let mut nonce = hex(&body);
        nonce.push_str(&hex(&tag));
        nonce
    }

    /// HMAC-SHA-256 of the nonce body and realm, truncated.
    fn tag(&self, body: &[u8; NONCE_BODY], realm: &str) -> [u8; NONCE_TAG] {
        let mut mac = self.mac.clone();
        mac.update(body);
        mac.update(realm.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; NONCE_TAG];
        tag.copy_from_slice(&full[..NONCE_TAG]);
        tag
    }

    /// The nonce's fields if its tag is right for `realm`.
    fn open(&self, nonce: &str, realm: &str) -> Option<Nonce> {
        let bytes = unhex(nonce).filter(|b| b.len() == NONCE_BODY + NONCE_TAG)?;
        let body: [u8; NONCE_BODY] = bytes[..NONCE_BODY].try_into().ok()?;
        let expected = self.tag(&body, realm);
        if !bool::from(expected.ct_eq(&bytes[NONCE_BODY..])) {
            return None;
        }
        Some(Nonce {
            shard: u16::from_be_bytes([body[0], body[1]]),
            minted: u32::from_be_bytes([body[2], body[3], body[4], body[5]]),
            counter: u64::from_be_bytes(body[6..].try_into().ok()?),
        })
    }

    /// Everything about the credentials that can be judged without the account.
    fn parse<'c>(&self, v: &'c AuthValue<'_>) -> Result<Credentials<'c>, Rejection> {
        if !v.is_digest() {
            return Err(Rejection::Malformed);
        }
        let algorithm = match v.param("algorithm") {
            None => Algorithm::Md5,
            Some(a) => a.parse().map_err(|_| Rejection::UnsupportedAlgorithm)?,
        };
        if !self.config.algorithms.contains(&algorithm) {
            return Err(Rejection::UnsupportedAlgorithm);
        }
        let qop = match v.param("qop") {
            None => None,
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc_text = v.param("nc").ok_or(Rejection::Malformed)?;
                let nc = (nc_text.len() == 8)
                    .then(|| u32::from_str_radix(nc_text, 16).ok())
                    .flatten()
                    .filter(|&n| n != 0)
                    .ok_or(Rejection::Malformed)?;
                let cnonce =
                    v.param("cnonce").filter(|c| !c.is_empty()).ok_or(Rejection::Malformed)?;
                Some((q, nc_text, nc, cnonce))
            }
            Some(_) => return Err(Rejection::UnsupportedQop),
        };
        if v.param("userhash").is_some_and(|u| u.eq_ignore_ascii_case("true")) {
            return Err(Rejection::Malformed);
        }
        let required = |name| v.param(name).filter(|s| !s.is_empty()).ok_or(Rejection::Malformed);
        let response = v
            .param("response")
            .filter(|r| r.len() == algorithm.hex_len())
            .and_then(unhex)
            .ok_or(Rejection::Malformed)?;
        Ok(Credentials {
            username: required("username")?,
            realm: v.param("realm").ok_or(Rejection::Malformed)?,
            nonce: required("nonce")?,
            uri: required("uri")?,
            response,
            algorithm,
            qop,
        })
    }
}

/// The request-digest (RFC 7616 §3.4.1; RFC 2069 form when `qop` is `None`), raw bytes.
/// `qop` is `(nc, cnonce, qop)` as the client wrote them.
fn response(
    alg: Algorithm,
    ha1: &str,
    nonce: &str,
    qop: Option<(&str, &str, &str)>,
    method: &str,
    uri: &str,
) -> Vec<u8> {
    let ha2 = hex(&hash(alg, &[method.as_bytes(), b":", uri.as_bytes()]));
    match qop {
        Some((nc, cnonce, qop)) => hash(
            alg,
            &[
                ha1.as_bytes(),
                b":",
                nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                cnonce.as_bytes(),
                b":",
                qop.as_bytes(),
                b":",
                ha2.as_bytes(),
            ],
        ),
        None => hash(alg, &[ha1.as_bytes(), b":", nonce.as_bytes(), b":", ha2.as_bytes()]),
    }
}

#[cfg(test)]
thread_local! {
    /// Hash invocations on this thread, so tests can compare the work of two checks.
    static HASHES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The client side (RFC 7616 §3.4, RFC 3261 §22.4): credentials answering `challenge` for a
/// request with `method` and `uri`, as an Authorization / Proxy-Authorization value. `cnonce`
/// must differ per request (the caller mints it). `None` when the challenge is not Digest, names
/// an algorithm Ringway does not speak, or lacks realm or nonce.
pub fn authorize(challenge: &crate::sip::message::AuthValue<'_>, method: &str, uri: &str, username: &str, password: &str, cnonce: &str) -> Option<String> {
    if !challenge.is_digest() {
        return None;
    }
    let alg = match challenge.param("algorithm") {
        None => Algorithm::Md5,
        Some(a) if a.eq_ignore_ascii_case("MD5") => Algorithm::Md5,
        Some(a) if a.eq_ignore_ascii_case("SHA-256") => Algorithm::Sha256,
        Some(_) => return None,
    };
    let realm = challenge.param("realm")?;
    let nonce = challenge.param("nonce")?;
    let qop_auth = challenge.param("qop").is_some_and(|q| q.split(',').any(|q| q.trim().eq_ignore_ascii_case("auth")));
    let ha1 = hex(&hash(alg, &[username.as_bytes(), b":", realm.as_bytes(), b":", password.as_bytes()]));
    let ha2 = hex(&hash(alg, &[method.as_bytes(), b":", uri.as_bytes()]));
    let nc = "00000001";
    let response = if qop_auth {
        hex(&hash(alg, &[ha1.as_bytes(), b":", nonce.as_bytes(), b":", nc.as_bytes(), b":", cnonce.as_bytes(), b":auth:", ha2.as_bytes()]))
    } else {
        hex(&hash(alg, &[ha1.as_bytes(), b":", nonce.as_bytes(), b":", ha2.as_bytes()]))
    };
    let mut value = format!(
        "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm={}",
        alg.as_str()
    );
    if let Some(opaque) = challenge.param("opaque") {
        value.push_str(&format!(", opaque=\"{opaque}\""));
    }
    if qop_auth {
        value.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
    }
    Some(value)
}

/// H(concatenation of `parts`).
fn hash(alg: Algorithm, parts: &[&[u8]]) -> Vec<u8> {
    #[cfg(test)]
    HASHES.with(|h| h.set(h.get() + 1));
    match alg {
        Algorithm::Md5 => {
            parts.iter().fold(Md5::new(), |h, p| h.chain_update(p)).finalize().to_vec()
        }
        Algorithm::Sha256 => {
            parts.iter().fold(Sha256::new(), |h, p| h.chain_update(p)).finalize().to_vec()
        }
    }
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Bytes of an even-length hex string, either case.
fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    s.as_bytes().chunks_exact(2).map(|p| Some(digit(p[0])? << 4 | digit(p[1])?)).collect()
}

/// `s` with `"` and `\` escaped for a quoted-string (RFC 3261 §25.1).
fn quote(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['"', '\\']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const REALM: &str = "biloxi.com";
    const URI: &str = "sip:biloxi.com";

    /// The fake clock's zero: every `now` in these tests is `origin + Duration`.
    #[allow(clippy::disallowed_methods)] // a test needs some origin for Instants
    fn origin() -> Instant {
        Instant::now()
    }

    fn digest(origin: Instant, shard: u16) -> Digest {
        Digest::new(DigestConfig::default(), KEY, origin, ShardId(shard))
    }

    fn bob() -> Secrets {
        Secrets::from_password("bob", REALM, "zanzibar")
    }

    fn accounts(user: &str, realm: &str) -> Option<Secrets> {
        (user == "bob" && realm == REALM).then(bob)
    }

    /// The nonce of the challenge offering `alg`.
    fn nonce_of(challenges: &[String], alg: Algorithm) -> String {
        challenges
            .iter()
            .map(|c| AuthValue::parse(c, "WWW-Authenticate").unwrap())
            .find(|c| c.param("algorithm") == Some(alg.as_str()))
            .and_then(|c| c.param("nonce").map(str::to_owned))
            .unwrap()
    }

    /// What a phone sends: credentials for REGISTER computed from `password`.
    fn credentials(
        alg: Algorithm,
        user: &str,
        password: &str,
        nonce: &str,
        nc: Option<u32>,
    ) -> String {
        let ha1 = Secrets::from_password(user, REALM, password).ha1(alg).unwrap().to_owned();
        match nc {
            Some(nc) => {
                let nc = format!("{nc:08x}");
                let r = hex(&response(
                    alg,
                    &ha1,
                    nonce,
                    Some((&nc, "c0ffee", "auth")),
                    "REGISTER",
                    URI,
                ));
                format!(
                    r#"Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{URI}", response="{r}", algorithm={alg}, qop=auth, nc={nc}, cnonce="c0ffee""#
                )
            }
            None => {
                let r = hex(&response(alg, &ha1, nonce, None, "REGISTER", URI));
                format!(
                    r#"Digest username="{user}", realm="{REALM}", nonce="{nonce}", uri="{URI}", response="{r}", algorithm={alg}"#
                )
            }
        }
    }

    fn check(d: &mut Digest, now: Instant, creds: &str) -> Verdict {
        d.verify(now, "REGISTER", &AuthValue::parse(creds, "Authorization").unwrap(), accounts)
    }

    fn authenticated() -> Verdict {
        Verdict::Authenticated { username: "bob".into(), realm: REALM.into() }
    }

    #[test]
    fn md5_response_matches_the_rfc2617_section_3_5_example() {
        let secrets = Secrets::from_password("Mufasa", "testrealm@host.com", "Circle Of Life");
        let r = response(
            Algorithm::Md5,
            secrets.ha1(Algorithm::Md5).unwrap(),
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b", "auth")),
            "GET",
            "/dir/index.html",
        );
        assert_eq!(hex(&r), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn sha256_and_md5_responses_match_the_rfc7616_section_3_9_1_example() {
        let secrets = Secrets::from_password("Mufasa", "http-auth@example.org", "Circle of Life");
        let respond = |alg| {
            hex(&response(
                alg,
                secrets.ha1(alg).unwrap(),
                "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth")),
                "GET",
                "/dir/index.html",
            ))
        };
        assert_eq!(
            respond(Algorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        assert_eq!(respond(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
    }

    #[test]
    fn challenges_offer_sha256_before_md5_per_rfc8760_section_2_4() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let c = d.challenges(origin, REALM, false);
        assert_eq!(c.len(), 2);
        assert!(c[0].contains("algorithm=SHA-256"), "{}", c[0]);
        assert!(c[1].contains("algorithm=MD5"), "{}", c[1]);
        for challenge in &c {
            let v = AuthValue::parse(challenge, "WWW-Authenticate").unwrap();
            assert!(v.is_digest());
            assert_eq!(v.param("realm"), Some(REALM));
            assert_eq!(v.param("qop"), Some("auth"));
            assert_eq!(v.param("stale"), None);
        }
        assert_eq!(nonce_of(&c, Algorithm::Sha256), nonce_of(&c, Algorithm::Md5));
        assert_ne!(
            nonce_of(&c, Algorithm::Md5),
            nonce_of(&d.challenges(origin, REALM, false), Algorithm::Md5)
        );
    }

    #[test]
    fn challenges_carry_stale_true_when_asked_per_rfc7616_section_3_3() {
        let origin = origin();
        let c = digest(origin, 0).challenges(origin, REALM, true);
        for challenge in &c {
            assert_eq!(
                AuthValue::parse(challenge, "WWW-Authenticate").unwrap().param("stale"),
                Some("true")
            );
        }
    }

    #[test]
    fn a_realm_with_quotes_is_escaped_in_the_challenge_per_rfc3261_section_25_1() {
        let origin = origin();
        let c = digest(origin, 0).challenges(origin, r#"a"b\c"#, false);
        assert_eq!(
            AuthValue::parse(&c[0], "WWW-Authenticate").unwrap().param("realm"),
            Some(r#"a"b\c"#)
        );
    }

    #[test]
    fn a_phone_answering_the_challenge_authenticates_with_either_algorithm_per_rfc3261_section_22_4()
     {
        let origin = origin();
        let mut d = digest(origin, 0);
        for alg in [Algorithm::Sha256, Algorithm::Md5] {
            let nonce = nonce_of(&d.challenges(origin, REALM, false), alg);
            let now = origin + Duration::from_secs(2);
            assert_eq!(
                check(&mut d, now, &credentials(alg, "bob", "zanzibar", &nonce, Some(1))),
                authenticated()
            );
        }
    }

    #[test]
    fn credentials_without_algorithm_mean_md5_per_rfc7616_section_3_4() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Md5);
        let creds = credentials(Algorithm::Md5, "bob", "zanzibar", &nonce, Some(1))
            .replace(", algorithm=MD5", "");
        assert_eq!(check(&mut d, origin, &creds), authenticated());
    }

    #[test]
    fn a_wrong_password_is_rejected_per_rfc3261_section_22_4() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let creds = credentials(Algorithm::Sha256, "bob", "guess", &nonce, Some(1));
        assert_eq!(check(&mut d, origin, &creds), Verdict::Rejected(Rejection::WrongPassword));
    }

    #[test]
    fn an_unknown_user_costs_the_same_hashing_as_a_wrong_password_so_users_cannot_be_enumerated() {
        let origin = origin();
        let mut d = digest(origin, 0);
        for alg in [Algorithm::Sha256, Algorithm::Md5] {
            let nonce = nonce_of(&d.challenges(origin, REALM, false), alg);
            let wrong = credentials(alg, "bob", "guess", &nonce, Some(1));
            let unknown = credentials(alg, "mallory", "guess", &nonce, Some(1));
            // The account store holds precomputed HA1s, so lookup itself hashes nothing.
            let stored = bob();
            let hashes_for = |d: &mut Digest, creds: &str| {
                let before = HASHES.with(|h| h.get());
                let creds = AuthValue::parse(creds, "Authorization").unwrap();
                let verdict = d.verify(origin, "REGISTER", &creds, |user, _| {
                    (user == "bob").then(|| stored.clone())
                });
                (verdict, HASHES.with(|h| h.get()) - before)
            };
            let (v_wrong, n_wrong) = hashes_for(&mut d, &wrong);
            let (v_unknown, n_unknown) = hashes_for(&mut d, &unknown);
            assert_eq!(v_wrong, Verdict::Rejected(Rejection::WrongPassword));
            assert_eq!(v_unknown, Verdict::Rejected(Rejection::UnknownUser));
            assert_eq!(n_wrong, n_unknown);
            assert!(n_unknown >= 2, "HA2 and the response are computed");
        }
    }

    #[test]
    fn an_account_without_an_ha1_for_the_algorithm_reads_as_a_wrong_password() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        let md5_only = || Secrets::from_ha1(bob().ha1(Algorithm::Md5), None).ok();
        let verdict = d.verify(
            origin,
            "REGISTER",
            &AuthValue::parse(&creds, "Authorization").unwrap(),
            |_, _| md5_only(),
        );
        assert_eq!(verdict, Verdict::Rejected(Rejection::WrongPassword));
    }

    #[test]
    fn a_nonce_with_a_bad_tag_is_forged() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let mut tampered = nonce.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &tampered, Some(1));
        assert_eq!(check(&mut d, origin, &creds), Verdict::Rejected(Rejection::ForgedNonce));
        let creds = credentials(
            Algorithm::Sha256,
            "bob",
            "zanzibar",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(1),
        );
        assert_eq!(check(&mut d, origin, &creds), Verdict::Rejected(Rejection::ForgedNonce));
    }

    #[test]
    fn a_nonce_from_another_key_or_realm_is_forged() {
        let origin = origin();
        let mut other = Digest::new(DigestConfig::default(), [8; 32], origin, ShardId(0));
        let nonce = nonce_of(&other.challenges(origin, REALM, false), Algorithm::Sha256);
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        assert_eq!(
            check(&mut digest(origin, 0), origin, &creds),
            Verdict::Rejected(Rejection::ForgedNonce)
        );
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, "atlanta.com", false), Algorithm::Sha256);
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        assert_eq!(check(&mut d, origin, &creds), Verdict::Rejected(Rejection::ForgedNonce));
    }

    #[test]
    fn an_expired_nonce_with_a_right_response_is_stale_per_rfc7616_section_3_3() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(
            &d.challenges(origin + Duration::from_secs(10), REALM, false),
            Algorithm::Sha256,
        );
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        assert_eq!(check(&mut d, origin + Duration::from_secs(310), &creds), authenticated());
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(2));
        assert_eq!(check(&mut d, origin + Duration::from_secs(311), &creds), Verdict::Stale);
        let wrong = credentials(Algorithm::Sha256, "bob", "guess", &nonce, Some(3));
        assert_eq!(
            check(&mut d, origin + Duration::from_secs(311), &wrong),
            Verdict::Rejected(Rejection::WrongPassword)
        );
    }

    #[test]
    fn a_replayed_nonce_count_is_rejected_and_a_higher_one_accepted_per_rfc7616_section_3_4() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let with_nc = |nc| credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(nc));
        assert_eq!(check(&mut d, origin, &with_nc(1)), authenticated());
        assert_eq!(
            check(&mut d, origin, &with_nc(1)),
            Verdict::Rejected(Rejection::ReplayedNonceCount)
        );
        assert_eq!(check(&mut d, origin, &with_nc(3)), authenticated());
        assert_eq!(
            check(&mut d, origin, &with_nc(2)),
            Verdict::Rejected(Rejection::ReplayedNonceCount)
        );
        assert_eq!(check(&mut d, origin, &with_nc(4)), authenticated());
    }

    #[test]
    fn a_nonce_used_without_qop_is_good_for_one_request_per_rfc2069_compatibility() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Md5);
        let creds = credentials(Algorithm::Md5, "bob", "zanzibar", &nonce, None);
        assert_eq!(check(&mut d, origin, &creds), authenticated());
        assert_eq!(check(&mut d, origin, &creds), Verdict::Rejected(Rejection::ReplayedNonceCount));
        let later = credentials(Algorithm::Md5, "bob", "zanzibar", &nonce, Some(9));
        assert_eq!(check(&mut d, origin, &later), Verdict::Rejected(Rejection::ReplayedNonceCount));
    }

    #[test]
    fn sweep_forgets_count_state_only_once_the_nonce_has_expired() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        assert_eq!(check(&mut d, origin, &creds), authenticated());
        d.sweep(origin + Duration::from_secs(300));
        assert_eq!(d.used.len(), 1);
        assert_eq!(
            check(&mut d, origin + Duration::from_secs(300), &creds),
            Verdict::Rejected(Rejection::ReplayedNonceCount)
        );
        d.sweep(origin + Duration::from_secs(301));
        assert!(d.used.is_empty());
        assert_eq!(check(&mut d, origin + Duration::from_secs(301), &creds), Verdict::Stale);
    }

    #[test]
    fn nonce_shard_reads_the_minting_shard_without_the_key() {
        let origin = origin();
        let mut d = digest(origin, 5);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Md5);
        assert_eq!(nonce_shard(&nonce, 8), Some(ShardId(5)));
        assert_eq!(nonce_shard(&nonce, 5), None);
        assert_eq!(nonce_shard("dcd98b7102dd2f0e8b11d0f600bfb0c093", 8), None);
        assert_eq!(nonce_shard("", 8), None);
    }

    #[test]
    fn any_shard_verifies_a_nonce_minted_by_another() {
        let origin = origin();
        let nonce =
            nonce_of(&digest(origin, 3).challenges(origin, REALM, false), Algorithm::Sha256);
        let creds = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        assert_eq!(check(&mut digest(origin, 0), origin, &creds), authenticated());
    }

    #[test]
    fn credentials_missing_a_field_or_with_a_bad_nc_are_malformed() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let good = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        let resp =
            AuthValue::parse(&good, "Authorization").unwrap().param("response").unwrap().to_owned();
        let broken = [
            good.replace(r#"username="bob", "#, ""),
            good.replace(&format!(r#"realm="{REALM}", "#), ""),
            good.replace(&format!(r#"nonce="{nonce}", "#), ""),
            good.replace(&format!(r#"uri="{URI}", "#), ""),
            good.replace(&format!(r#"response="{resp}", "#), ""),
            good.replace(&resp, &resp[..63]),
            good.replace(&resp, &format!("{}g", &resp[..63])),
            good.replace("nc=00000001", "nc=1"),
            good.replace("nc=00000001", "nc=0000000z"),
            good.replace("nc=00000001", "nc=00000000"),
            good.replace(", nc=00000001", ""),
            good.replace(r#", cnonce="c0ffee""#, ""),
            format!("{good}, userhash=true"),
            good.replacen("Digest", "Basic", 1),
        ];
        for creds in broken {
            assert_eq!(
                check(&mut d, origin, &creds),
                Verdict::Rejected(Rejection::Malformed),
                "{creds}"
            );
        }
        let upper = good.replace(&resp, &resp.to_ascii_uppercase());
        assert_eq!(check(&mut d, origin, &upper), authenticated());
    }

    #[test]
    fn auth_int_and_sess_algorithms_are_unsupported_per_rfc7616_section_3_4() {
        let origin = origin();
        let mut d = digest(origin, 0);
        let nonce = nonce_of(&d.challenges(origin, REALM, false), Algorithm::Sha256);
        let good = credentials(Algorithm::Sha256, "bob", "zanzibar", &nonce, Some(1));
        let int = good.replace("qop=auth", "qop=auth-int");
        assert_eq!(check(&mut d, origin, &int), Verdict::Rejected(Rejection::UnsupportedQop));
        for alg in ["SHA-256-sess", "MD5-sess", "SHA-512-256"] {
            let creds = good.replace("algorithm=SHA-256", &format!("algorithm={alg}"));
            assert_eq!(
                check(&mut d, origin, &creds),
                Verdict::Rejected(Rejection::UnsupportedAlgorithm),
                "{alg}"
            );
        }
    }

    #[test]
    fn an_algorithm_not_configured_is_not_accepted_so_md5_cannot_be_forced() {
        let origin = origin();
        let config =
            DigestConfig { algorithms: vec![Algorithm::Sha256], ..DigestConfig::default() };
        let mut d = Digest::new(config, KEY, origin, ShardId(0));
        let c = d.challenges(origin, REALM, false);
        assert_eq!(c.len(), 1);
        let nonce = nonce_of(&c, Algorithm::Sha256);
        let creds = credentials(Algorithm::Md5, "bob", "zanzibar", &nonce, Some(1));
        assert_eq!(
            check(&mut d, origin, &creds),
            Verdict::Rejected(Rejection::UnsupportedAlgorithm)
        );
    }

    #[test]
    fn algorithm_names_parse_in_any_case_and_display_as_rfc7616_writes_them() {
        assert_eq!("sha-256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!("md5".parse::<Algorithm>(), Ok(Algorithm::Md5));
        assert!("MD5-sess".parse::<Algorithm>().is_err());
        assert_eq!(Algorithm::Sha256.to_string(), "SHA-256");
        assert_eq!(Algorithm::Md5.to_string(), "MD5");
    }

    #[test]
    fn precomputed_ha1s_are_checked_for_length_and_hex() {
        let md5 = bob().ha1(Algorithm::Md5).unwrap().to_ascii_uppercase();
        let s = Secrets::from_ha1(Some(&md5), None).unwrap();
        assert_eq!(s.ha1(Algorithm::Md5), bob().ha1(Algorithm::Md5));
        assert_eq!(s.ha1(Algorithm::Sha256), None);
        assert_eq!(
            Secrets::from_ha1(Some("abc"), None),
            Err(DigestError::InvalidHa1 { algorithm: Algorithm::Md5, hex_len: 32 })
        );
        assert_eq!(
            Secrets::from_ha1(None, Some(&"z".repeat(64))),
            Err(DigestError::InvalidHa1 { algorithm: Algorithm::Sha256, hex_len: 64 })
        );
        assert_eq!(Secrets::from_ha1(None, None), Err(DigestError::NoHa1));
        assert!(!format!("{:?}", bob()).contains(bob().ha1(Algorithm::Md5).unwrap()));
    }
}
