//! Identifiers Ringway mints (branches, tags, Call-IDs) and the shard they route home to.
//!
//! Every identifier Ringway mints carries the minting shard (`z9hG4bK-rw3-…`, `rw3-…`), so a
//! response to a request Ringway sent, or a request inside a dialog Ringway created, reaches the
//! shard that owns the state without a global map or lock. Anything else routes by a hash of its
//! Call-ID. Deterministic given the seed: the shell seeds each [`Minter`] from the OS, the core
//! never draws randomness itself.

use super::message::{BRANCH_MAGIC_COOKIE, HeaderName, Headers, Response};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};

/// Index of a shard task, `0..shards`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShardId(pub u16);

/// The marker that starts the shard field of minted identifiers.
const MARK: &str = "rw";

/// Mints unique identifiers for one shard.
#[derive(Debug)]
pub struct Minter {
    shard: ShardId,
    seed: u64,
    counter: u64,
}

impl Minter {
    /// A minter for `shard`; `seed` must differ between processes (the shell takes it from the OS).
    pub fn new(shard: ShardId, seed: u64) -> Self {
        Minter { shard, seed, counter: 0 }
    }

    /// The shard this minter belongs to.
    pub fn shard(&self) -> ShardId {
        self.shard
    }

    fn next_token(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        // splitmix64 of seed+counter: unique per counter, unpredictable without the seed.
        let mut z = self.seed.wrapping_add(self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An unpredictable number for choices that must vary per call (weighted gateway order).
    pub fn seed(&mut self) -> u64 {
        self.next_token()
    }

    /// A Via branch: `z9hG4bK-rw<shard>-<token>`.
    pub fn branch(&mut self) -> String {
        let token = self.next_token();
        let mut s = String::with_capacity(32);
        let _ = write!(s, "{BRANCH_MAGIC_COOKIE}-{MARK}{}-{token:x}", self.shard.0);
        s
    }

    /// A From/To tag: `rw<shard>-<token>`.
    pub fn tag(&mut self) -> String {
        let token = self.next_token();
        format!("{MARK}{}-{token:x}", self.shard.0)
    }

    /// A Call-ID for a leg Ringway originates: `rw<shard>-<token>-<token>`.
    pub fn call_id(&mut self) -> String {
        let (a, b) = (self.next_token(), self.next_token());
        format!("{MARK}{}-{a:x}{b:x}", self.shard.0)
    }
}

/// The shard a minted identifier names, if it is one of Ringway's and in range.
fn minted_shard(id: &str, shards: u16) -> Option<ShardId> {
    let rest = id.strip_prefix(BRANCH_MAGIC_COOKIE).and_then(|r| r.strip_prefix('-')).unwrap_or(id);
    let rest = rest.strip_prefix(MARK)?;
    let end = rest.find('-')?;
    let shard: u16 = rest[..end].parse().ok()?;
    (shard < shards).then_some(ShardId(shard))
}

/// Which shard owns a message: the shard named by a branch Ringway minted (responses to our
/// requests), else by a Call-ID Ringway minted, else a hash of the Call-ID. The hash is keyed by
/// `hasher` so that a peer cannot aim all its calls at one shard.
pub fn shard_of(headers: &Headers, is_response: bool, shards: u16, hasher: &impl BuildHasher) -> ShardId {
    if shards <= 1 {
        return ShardId(0);
    }
    if is_response
        && let Some(shard) = headers.top_via().ok().and_then(|v| v.branch()).and_then(|b| minted_shard(b, shards))
    {
        return shard;
    }
    let call_id = headers.call_id().unwrap_or("");
    if let Some(shard) = minted_shard(call_id, shards) {
        return shard;
    }
    let mut h = hasher.build_hasher();
    h.write(call_id.as_bytes());
    ShardId((h.finish() % u64::from(shards)) as u16)
}

/// Which shard owns a user's registrations: a keyed hash of the AOR's user part, so that every
/// REGISTER for one AOR, from any device or Call-ID, meets the same registrar.
pub fn shard_of_user(user: &str, shards: u16, hasher: &impl BuildHasher) -> ShardId {
    if shards <= 1 {
        return ShardId(0);
    }
    let mut h = hasher.build_hasher();
    h.write(b"aor:");
    h.write(user.as_bytes());
    ShardId((h.finish() % u64::from(shards)) as u16)
}

/// A To tag for a final response the core sends without a dialog (RFC 3261 §8.2.6.2), derived
/// from the request so that a retransmitted request gets the same tag.
pub fn tag_for_request(headers: &Headers) -> String {
    // FNV-1a over the transaction-identifying fields: stable across processes and cheap.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(headers.call_id().unwrap_or("").as_bytes());
    if let Ok(from) = headers.from_addr() {
        eat(from.tag().unwrap_or("").as_bytes());
    }
    if let Ok(via) = headers.top_via() {
        eat(via.branch().unwrap_or("").as_bytes());
    }
    if let Ok(cseq) = headers.cseq() {
        eat(&cseq.seq.to_le_bytes());
    }
    format!("{MARK}x-{hash:x}")
}

/// Adds `;tag=` to the To header of a response when it has none (RFC 3261 §8.2.6.2: a final
/// response must carry one). A To header that does not parse is left alone.
pub fn ensure_to_tag(response: &mut Response, tag: &str) {
    let has_tag = response.headers.to_addr().map(|to| to.tag().is_some()).unwrap_or(true);
    if let (false, Some(to)) = (has_tag, response.headers.get(&HeaderName::To)) {
        let mut value = Vec::with_capacity(to.len() + 5 + tag.len());
        value.extend_from_slice(to);
        value.extend_from_slice(b";tag=");
        value.extend_from_slice(tag.as_bytes());
        response.headers.set(HeaderName::To, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::HeaderName;
    use std::collections::hash_map::RandomState;

    #[test]
    fn minted_identifiers_route_home_to_their_shard() {
        let mut m = Minter::new(ShardId(3), 42);
        let (b1, b2) = (m.branch(), m.branch());
        assert_ne!(b1, b2);
        assert!(b1.starts_with("z9hG4bK-rw3-"));
        let mut h = Headers::default();
        h.push(HeaderName::Via, format!("SIP/2.0/UDP 127.0.0.1;branch={b1}"));
        h.push(HeaderName::CallId, "foreign-call-id");
        assert_eq!(shard_of(&h, true, 8, &RandomState::new()), ShardId(3));
        let mut h = Headers::default();
        h.push(HeaderName::CallId, m.call_id());
        assert_eq!(shard_of(&h, false, 8, &RandomState::new()), ShardId(3));
    }

    #[test]
    fn foreign_call_ids_spread_by_hash_and_stay_put() {
        let hasher = RandomState::new();
        let mut seen = std::collections::HashSet::new();
        for i in 0..64 {
            let mut h = Headers::default();
            h.push(HeaderName::CallId, format!("call-{i}@example.com"));
            let shard = shard_of(&h, false, 4, &hasher);
            assert_eq!(shard, shard_of(&h, false, 4, &hasher));
            seen.insert(shard);
        }
        assert_eq!(seen.len(), 4);
        let mut h = Headers::default();
        h.push(HeaderName::CallId, "rw9-abc");
        assert!(shard_of(&h, false, 4, &hasher).0 < 4);
    }

    #[test]
    fn an_invite_and_its_cancel_get_the_same_core_tag_per_rfc3261_section_9_2() {
        let headers = |method: &str, branch: &str| {
            let mut h = Headers::default();
            h.push(HeaderName::Via, format!("SIP/2.0/UDP a;branch={branch}"));
            h.push(HeaderName::From, "<sip:a@b>;tag=f1");
            h.push(HeaderName::To, "<sip:c@d>");
            h.push(HeaderName::CallId, "x");
            h.push(HeaderName::CSeq, format!("7 {method}"));
            h
        };
        assert_eq!(tag_for_request(&headers("INVITE", "z9hG4bK1")), tag_for_request(&headers("CANCEL", "z9hG4bK1")));
        assert_ne!(tag_for_request(&headers("INVITE", "z9hG4bK1")), tag_for_request(&headers("INVITE", "z9hG4bK2")));
        let mut response = Response::to_request(&headers("INVITE", "z9hG4bK1"), ringway_sdk::StatusCode::OK, None);
        ensure_to_tag(&mut response, "abc");
        ensure_to_tag(&mut response, "def");
        assert_eq!(response.headers.to_addr().unwrap().tag(), Some("abc"));
    }
}
