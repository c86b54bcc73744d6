//! [`Binding`], the record the location store keeps, and its on-disk encoding.
//!
//! A binding is stored under the key `aor ++ 0x00 ++ contact`, so all the bindings of one
//! address-of-record are adjacent and removing an AOR is one range delete. Neither part may
//! contain a NUL byte (a SIP URI never does: RFC 3261 §25.1 escapes it), which keeps the separator
//! unambiguous.
//!
//! The value is a small hand-written binary encoding, versioned by its first byte so a later
//! release can read what this one wrote:
//!
//! ```text
//! format (u8 = 1)
//! expires_at (u64 LE) | cseq (u32 LE) | q: 0 | 1 u16 LE
//! call_id | source : varint length ++ UTF-8 bytes
//! user_agent       : 0 | 1 ++ string
//! path             : varint count ++ strings
//! ```
//!
//! The AOR and the contact are not repeated in the value: they are read back from the key.

/// The first byte of every value this version writes.
const FORMAT_V1: u8 = 1;

/// The byte between the AOR and the contact in a key.
const KEY_SEPARATOR: u8 = 0;

/// One registered contact of an address-of-record (RFC 3261 §10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The canonical address-of-record, e.g. `sip:1001@example.com`.
    pub aor: String,
    /// The Contact URI as registered, parameters kept.
    pub contact: String,
    /// When the binding expires, in unix seconds.
    pub expires_at: u64,
    /// The Contact's q-value times 1000 (RFC 3261 §10.2.1.2), if it had one.
    pub q: Option<u16>,
    /// The Call-ID of the REGISTER that made or refreshed the binding (RFC 3261 §10.3 step 7).
    pub call_id: String,
    /// The CSeq number of that REGISTER.
    pub cseq: u32,
    /// The Path header values of that REGISTER (RFC 3327), outermost first.
    pub path: Vec<String>,
    /// The flow the REGISTER arrived on, e.g. `udp:192.0.2.1:5060`.
    pub source: String,
    /// The User-Agent header of that REGISTER, if any.
    pub user_agent: Option<String>,
}

/// Why a stored record could not be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The key has no separator between the AOR and the contact.
    #[error("key has no AOR/contact separator")]
    KeyWithoutSeparator,
    /// The value starts with a format byte this version does not know.
    #[error("unknown record format {0}")]
    UnknownFormat(u8),
    /// The value ends in the middle of a field.
    #[error("record truncated")]
    Truncated,
    /// The value has bytes after its last field.
    #[error("{0} trailing bytes after the record")]
    TrailingBytes(usize),
    /// A text field (or the key) is not UTF-8.
    #[error("text field is not UTF-8")]
    NotUtf8,
    /// An optional field's presence flag is neither 0 nor 1.
    #[error("bad presence flag {0}")]
    BadFlag(u8),
    /// A length does not fit in memory or overflows.
    #[error("length out of range")]
    BadLength,
}

impl Binding {
    /// The number of bytes this binding takes in the store's encoding (key plus value), before
    /// redb's own page overhead. Useful to size a deployment.
    pub fn encoded_len(&self) -> usize {
        key_len(&self.aor, &self.contact) + encode_value(self).len()
    }
}

/// Whether `aor` and `contact` can form a key (neither contains the separator).
pub(crate) fn valid_key_parts(aor: &str, contact: &str) -> bool {
    !aor.as_bytes().contains(&KEY_SEPARATOR) && !contact.as_bytes().contains(&KEY_SEPARATOR)
}

fn key_len(aor: &str, contact: &str) -> usize {
    aor.len() + 1 + contact.len()
}

/// The key of the binding of `contact` under `aor`.
pub(crate) fn encode_key(aor: &str, contact: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(key_len(aor, contact));
    key.extend_from_slice(aor.as_bytes());
    key.push(KEY_SEPARATOR);
    key.extend_from_slice(contact.as_bytes());
    key
}

/// The half-open key range `[start, end)` that holds every binding of `aor`.
pub(crate) fn aor_range(aor: &str) -> (Vec<u8>, Vec<u8>) {
    let mut start = Vec::with_capacity(aor.len() + 1);
    start.extend_from_slice(aor.as_bytes());
    start.push(KEY_SEPARATOR);
    let mut end = start.clone();
    *end.last_mut().expect("pushed above") = KEY_SEPARATOR + 1;
    (start, end)
}

/// Encodes everything of `binding` but its key.
pub(crate) fn encode_value(binding: &Binding) -> Vec<u8> {
    let strings = binding.call_id.len()
        + binding.source.len()
        + binding.user_agent.as_ref().map_or(0, String::len)
        + binding.path.iter().map(String::len).sum::<usize>();
    let mut out = Vec::with_capacity(1 + 8 + 4 + 3 + strings + 4 * (4 + binding.path.len()));
    out.push(FORMAT_V1);
    out.extend_from_slice(&binding.expires_at.to_le_bytes());
    out.extend_from_slice(&binding.cseq.to_le_bytes());
    match binding.q {
        None => out.push(0),
        Some(q) => {
            out.push(1);
            out.extend_from_slice(&q.to_le_bytes());
        }
    }
    put_str(&mut out, &binding.call_id);
    put_str(&mut out, &binding.source);
    match &binding.user_agent {
        None => out.push(0),
        Some(user_agent) => {
            out.push(1);
            put_str(&mut out, user_agent);
        }
    }
    put_varint(&mut out, binding.path.len() as u64);
    for hop in &binding.path {
        put_str(&mut out, hop);
    }
    out
}

/// Reads a binding back from its key and value.
pub(crate) fn decode(key: &[u8], value: &[u8]) -> Result<Binding, DecodeError> {
    let split =
        key.iter().position(|&b| b == KEY_SEPARATOR).ok_or(DecodeError::KeyWithoutSeparator)?;
    let aor = utf8(&key[..split])?;
    let contact = utf8(&key[split + 1..])?;

    let mut r = Reader { rest: value };
    match r.u8()? {
        FORMAT_V1 => {}
        other => return Err(DecodeError::UnknownFormat(other)),
    }
    let expires_at = u64::from_le_bytes(r.array()?);
    let cseq = u32::from_le_bytes(r.array()?);
    let q = match r.u8()? {
        0 => None,
        1 => Some(u16::from_le_bytes(r.array()?)),
        flag => return Err(DecodeError::BadFlag(flag)),
    };
    let call_id = r.string()?;
    let source = r.string()?;
    let user_agent = match r.u8()? {
        0 => None,
        1 => Some(r.string()?),
        flag => return Err(DecodeError::BadFlag(flag)),
    };
    let hops = r.length()?;
    // Every hop takes at least one byte, so a count larger than what is left is corrupt; checking
    // it first keeps a corrupt count from reserving a huge vector.
    if hops > r.rest.len() {
        return Err(DecodeError::Truncated);
    }
    let mut path = Vec::with_capacity(hops);
    for _ in 0..hops {
        path.push(r.string()?);
    }
    if !r.rest.is_empty() {
        return Err(DecodeError::TrailingBytes(r.rest.len()));
    }
    Ok(Binding { aor, contact, expires_at, q, call_id, cseq, path, source, user_agent })
}

fn utf8(bytes: &[u8]) -> Result<String, DecodeError> {
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| DecodeError::NotUtf8)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// LEB128: seven bits per byte, low first, high bit set on all but the last.
fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.rest.split_first().ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(first)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (head, rest) = self.rest.split_first_chunk::<N>().ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(*head)
    }

    fn length(&mut self) -> Result<usize, DecodeError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            n |= u64::from(byte & 0x7f).checked_shl(shift).ok_or(DecodeError::BadLength)?;
            if byte & 0x80 == 0 {
                return usize::try_from(n).map_err(|_| DecodeError::BadLength);
            }
        }
        Err(DecodeError::BadLength)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let len = self.length()?;
        if len > self.rest.len() {
            return Err(DecodeError::Truncated);
        }
        let (bytes, rest) = self.rest.split_at(len);
        self.rest = rest;
        utf8(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Binding {
        Binding {
            aor: "sip:1001@example.com".into(),
            contact: "<sip:1001@192.0.2.1:5060;transport=udp>;+sip.instance=\"<urn:uuid:1>\""
                .into(),
            expires_at: 1_800_000_000,
            q: Some(700),
            call_id: "a84b4c76e66710@pc33.example.com".into(),
            cseq: 314_159,
            path: vec!["<sip:edge1.example.com;lr>".into(), "<sip:edge2.example.com;lr>".into()],
            source: "udp:192.0.2.1:5060".into(),
            user_agent: Some("Softphone/1.0".into()),
        }
    }

    fn minimal() -> Binding {
        Binding {
            aor: "sip:a@b".into(),
            contact: "sip:a@c".into(),
            expires_at: 0,
            q: None,
            call_id: String::new(),
            cseq: 0,
            path: Vec::new(),
            source: String::new(),
            user_agent: None,
        }
    }

    fn round_trip(binding: &Binding) -> Binding {
        let key = encode_key(&binding.aor, &binding.contact);
        decode(&key, &encode_value(binding)).expect("decodes")
    }

    #[test]
    fn a_binding_with_every_field_set_reads_back_equal() {
        assert_eq!(round_trip(&full()), full());
    }

    #[test]
    fn a_binding_with_every_optional_field_empty_reads_back_equal() {
        assert_eq!(round_trip(&minimal()), minimal());
    }

    #[test]
    fn a_string_longer_than_127_bytes_uses_a_multi_byte_length_and_reads_back() {
        let mut binding = full();
        binding.call_id = "x".repeat(70_000);
        assert_eq!(round_trip(&binding), binding);
    }

    #[test]
    fn every_value_starts_with_the_format_byte() {
        assert_eq!(encode_value(&full())[0], FORMAT_V1);
    }

    #[test]
    fn a_value_of_an_unknown_format_is_refused_not_misread() {
        let mut value = encode_value(&full());
        value[0] = 2;
        let key = encode_key("sip:a@b", "sip:c@d");
        assert_eq!(decode(&key, &value), Err(DecodeError::UnknownFormat(2)));
    }

    #[test]
    fn every_truncation_of_a_value_is_reported_as_corrupt_never_a_panic() {
        let value = encode_value(&full());
        let key = encode_key("sip:a@b", "sip:c@d");
        for len in 0..value.len() {
            assert!(decode(&key, &value[..len]).is_err(), "prefix of {len} bytes");
        }
    }

    #[test]
    fn trailing_bytes_after_a_value_are_reported() {
        let mut value = encode_value(&minimal());
        value.push(0);
        let key = encode_key("sip:a@b", "sip:c@d");
        assert_eq!(decode(&key, &value), Err(DecodeError::TrailingBytes(1)));
    }

    #[test]
    fn a_key_without_separator_is_reported() {
        let value = encode_value(&minimal());
        assert_eq!(decode(b"sip:a@b", &value), Err(DecodeError::KeyWithoutSeparator));
    }

    #[test]
    fn the_aor_range_holds_its_own_contacts_and_not_an_aor_it_prefixes() {
        let (start, end) = aor_range("sip:1001@example.co");
        let own = encode_key("sip:1001@example.co", "sip:x@y");
        let longer = encode_key("sip:1001@example.com", "sip:x@y");
        assert!(start <= own && own < end);
        assert!(!(start <= longer && longer < end));
    }

    #[test]
    fn keys_containing_the_separator_are_not_valid() {
        assert!(valid_key_parts("sip:a@b", "sip:c@d"));
        assert!(!valid_key_parts("sip:a\0@b", "sip:c@d"));
        assert!(!valid_key_parts("sip:a@b", "sip:c\0@d"));
    }

    #[test]
    fn encoded_len_counts_key_and_value() {
        let binding = full();
        let key = encode_key(&binding.aor, &binding.contact);
        assert_eq!(binding.encoded_len(), key.len() + encode_value(&binding).len());
    }
}
