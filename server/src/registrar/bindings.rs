//! The bindings of the AORs one shard owns, and the RFC 3261 §10.3 rules that change them.
//!
//! [`plan`] is a pure function: the current bindings of an AOR and a REGISTER in, either a
//! rejection or the set of changes and the bindings that will result. Nothing changes until the
//! store has made the changes durable; then [`AorTable::apply`] installs them.

use crate::config::RegistrarSettings;
use crate::sip::message::{Contact, HeaderName, Headers, ParseError};
use crate::store::{Binding, Change};
use foldhash::HashMap;
use std::sync::Arc;

/// Why a REGISTER cannot be carried out, with the answer it deserves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A Contact or Expires the core cannot read, or `*` misused (§10.3 step 6).
    Malformed(String),
    /// An expiry shorter than allowed: `423 Interval Too Brief` with `Min-Expires` (§10.3 step 7).
    TooBrief {
        /// The shortest expiry allowed.
        min_expires: u32,
    },
    /// A binding of this Call-ID already has an equal or higher CSeq (§10.3 step 7).
    OutOfOrder,
    /// The account is at its contact limit and replacement is off: `403 Conflict`.
    Conflict,
}

/// What a REGISTER will do once durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The store changes.
    pub changes: Vec<Change>,
    /// Every binding of the AOR after the changes.
    pub result: Vec<Binding>,
}

/// What the registrar needs to know about the request besides its headers.
#[derive(Debug, Clone)]
pub struct Registration<'a> {
    /// The canonical AOR (`sip:user@realm`).
    pub aor: &'a str,
    /// Seconds since the Unix epoch, now.
    pub unix_now: u64,
    /// Where it came from, as a flow string (`udp:192.0.2.1:5060`).
    pub source: String,
    /// The contact limit of the account.
    pub max_contacts: u32,
}

/// Plans a REGISTER against the AOR's current (unexpired) bindings.
pub fn plan(
    settings: &RegistrarSettings,
    current: &[Binding],
    headers: &Headers,
    reg: &Registration<'_>,
) -> Result<Plan, Refusal> {
    let malformed = |e: ParseError| Refusal::Malformed(e.to_string());
    let call_id = headers.call_id().map_err(malformed)?.to_owned();
    let cseq = headers.cseq().map_err(malformed)?.seq;
    let header_expires = headers.expires().map_err(malformed)?;
    let contacts: Vec<Contact<'_>> = headers.contacts().collect::<Result<_, _>>().map_err(malformed)?;
    let mut result: Vec<Binding> = current.to_vec();
    let mut changes = Vec::new();

    if contacts.iter().any(|c| matches!(c, Contact::Wildcard)) {
        // §10.3 step 6: `*` only alone and only with Expires: 0.
        if contacts.len() != 1 || header_expires != Some(0) {
            return Err(Refusal::Malformed("Contact: * needs Expires: 0 and no other Contact".into()));
        }
        if result.iter().any(|b| b.call_id == call_id && b.cseq >= cseq) {
            return Err(Refusal::OutOfOrder);
        }
        changes.push(Change::RemoveAor { aor: reg.aor.to_owned() });
        return Ok(Plan { changes, result: Vec::new() });
    }

    let path: Vec<String> = headers
        .elements(&HeaderName::Path)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let user_agent = headers.get(&HeaderName::UserAgent).map(|v| String::from_utf8_lossy(v).into_owned());
    let mut added = 0usize;
    for contact in &contacts {
        let Contact::Address(addr) = contact else { continue };
        let expires = match addr.params.get("expires") {
            Some(Some(v)) => v.parse::<u64>().map(|v| v.min(u64::from(u32::MAX)) as u32).map_err(|_| Refusal::Malformed("Contact expires".into()))?,
            Some(None) => return Err(Refusal::Malformed("Contact expires without a value".into())),
            None => header_expires.unwrap_or(settings.default_expires),
        };
        if expires != 0 && expires < settings.min_expires {
            return Err(Refusal::TooBrief { min_expires: settings.min_expires });
        }
        let expires = expires.min(settings.max_expires);
        let uri = addr.uri.raw.to_owned();
        let q = match addr.params.get("q") {
            Some(Some(q)) => Some(parse_q(q).ok_or_else(|| Refusal::Malformed("Contact q".into()))?),
            Some(None) => return Err(Refusal::Malformed("Contact q without a value".into())),
            None => None,
        };
        let existing = result.iter().position(|b| same_contact(&b.contact, &uri));
        if let Some(at) = existing {
            let old = &result[at];
            if old.call_id == call_id && old.cseq >= cseq {
                return Err(Refusal::OutOfOrder);
            }
        }
        if expires == 0 {
            if let Some(at) = existing {
                let old = result.remove(at);
                changes.push(Change::Remove { aor: reg.aor.to_owned(), contact: old.contact });
            }
            continue;
        }
        let binding = Binding {
            aor: reg.aor.to_owned(),
            contact: uri,
            expires_at: reg.unix_now + u64::from(expires),
            q,
            call_id: call_id.clone(),
            cseq,
            path: path.clone(),
            source: reg.source.clone(),
            user_agent: user_agent.clone(),
        };
        match existing {
            Some(at) => result[at] = binding.clone(),
            None => {
                added += 1;
                result.push(binding.clone());
            }
        }
        changes.push(Change::Put(binding));
    }

    let limit = reg.max_contacts as usize;
    if added > 0 && result.len() > limit {
        if !settings.replace_oldest {
            return Err(Refusal::Conflict);
        }
        // Replace the bindings that expire first, never the ones this request writes.
        let mut evictable: Vec<usize> = (0..result.len()).filter(|&i| !(result[i].call_id == call_id && result[i].cseq == cseq)).collect();
        evictable.sort_by_key(|&i| result[i].expires_at);
        let excess = result.len() - limit;
        let mut gone: Vec<usize> = evictable.into_iter().take(excess).collect();
        if gone.len() < excess {
            return Err(Refusal::Conflict);
        }
        gone.sort_unstable_by(|a, b| b.cmp(a));
        for i in gone {
            let old = result.remove(i);
            changes.push(Change::Remove { aor: reg.aor.to_owned(), contact: old.contact });
        }
    }
    Ok(Plan { changes, result })
}

/// `q` per RFC 3261 §20.10: 0 to 1 with up to three decimals, kept ×1000.
fn parse_q(q: &str) -> Option<u16> {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u16 = int.parse().ok()?;
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let value = int * 1000 + frac;
    (value <= 1000).then_some(value)
}

/// Contact URIs compare by RFC 3261 §19.1.4 rules in spirit: scheme and host case-insensitive.
/// Ringway compares them whole and case-insensitively, which phones re-registering the same
/// Contact always satisfy.
fn same_contact(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// One AOR's bindings, shared between the owning shard's table and the location view: one
/// copy in memory however many readers.
pub type SharedBindings = Arc<Vec<Binding>>;

/// The bindings of the AORs a shard owns.
#[derive(Debug, Default)]
pub struct AorTable {
    by_aor: HashMap<String, SharedBindings>,
}

impl AorTable {
    /// The AOR's bindings still valid at `unix_now`.
    pub fn current(&self, aor: &str, unix_now: u64) -> Vec<Binding> {
        self.by_aor.get(aor).map(|list| list.iter().filter(|b| b.expires_at > unix_now).cloned().collect()).unwrap_or_default()
    }

    /// The AOR's bindings as held (for publishing), empty when it has none.
    pub fn shared(&self, aor: &str) -> SharedBindings {
        self.by_aor.get(aor).cloned().unwrap_or_default()
    }

    /// Installs the result of a durable plan; returns it shared, for the location view.
    pub fn apply(&mut self, aor: &str, result: Vec<Binding>) -> SharedBindings {
        let shared = Arc::new(result);
        if shared.is_empty() {
            self.by_aor.remove(aor);
        } else {
            self.by_aor.insert(aor.to_owned(), shared.clone());
        }
        shared
    }

    /// Loads a binding read from the store at start.
    pub fn load(&mut self, binding: Binding) {
        Arc::make_mut(self.by_aor.entry(binding.aor.clone()).or_default()).push(binding);
    }

    /// Every AOR and its bindings (to publish what was loaded at start).
    pub fn aors(&self) -> impl Iterator<Item = (&String, &SharedBindings)> {
        self.by_aor.iter()
    }

    /// Removes bindings expired at `unix_now`; returns the store changes that forget them and
    /// the AORs whose bindings changed.
    pub fn sweep(&mut self, unix_now: u64) -> (Vec<Change>, Vec<String>) {
        let mut changes = Vec::new();
        let mut touched = Vec::new();
        self.by_aor.retain(|aor, list| {
            if list.iter().all(|b| b.expires_at > unix_now) {
                return true;
            }
            for b in list.iter().filter(|b| b.expires_at <= unix_now) {
                changes.push(Change::Remove { aor: aor.clone(), contact: b.contact.clone() });
            }
            Arc::make_mut(list).retain(|b| b.expires_at > unix_now);
            touched.push(aor.clone());
            !list.is_empty()
        });
        (changes, touched)
    }

    /// Every binding held, for the keep-alive pinger.
    pub fn all(&self) -> impl Iterator<Item = &Binding> {
        self.by_aor.values().flat_map(|list| list.iter())
    }

    /// Removes one binding; the store change that forgets it, if it was there.
    pub fn remove(&mut self, aor: &str, contact: &str) -> Option<Change> {
        let list = self.by_aor.get_mut(aor)?;
        let at = list.iter().position(|b| b.contact == contact)?;
        let gone = Arc::make_mut(list).remove(at);
        if list.is_empty() {
            self.by_aor.remove(aor);
        }
        Some(Change::Remove { aor: aor.to_owned(), contact: gone.contact })
    }

    /// How many bindings are held.
    pub fn len(&self) -> usize {
        self.by_aor.values().map(|list| list.len()).sum()
    }

    /// Whether no binding is held.
    pub fn is_empty(&self) -> bool {
        self.by_aor.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RegistrarSettings {
        RegistrarSettings {
            realm: "r".into(),
            min_expires: 60,
            max_expires: 3600,
            default_expires: 600,
            max_contacts: 2,
            replace_oldest: false,
            options_ping: None,
            options_ping_failures: 3,
            commit_timeout: std::time::Duration::from_secs(2),
        }
    }

    fn headers(call_id: &str, cseq: u32, contacts: &[&str], expires: Option<u32>) -> Headers {
        let mut h = Headers::default();
        h.push(HeaderName::CallId, call_id.to_owned());
        h.push(HeaderName::CSeq, format!("{cseq} REGISTER"));
        for c in contacts {
            h.push(HeaderName::Contact, (*c).to_owned());
        }
        if let Some(e) = expires {
            h.push(HeaderName::Expires, e.to_string());
        }
        h
    }

    fn reg(aor: &str) -> Registration<'_> {
        Registration { aor, unix_now: 1000, source: "udp:192.0.2.1:5060".into(), max_contacts: 2 }
    }

    #[test]
    fn new_contacts_bind_with_header_or_param_expiry_per_rfc3261_section_10_3() {
        let h = headers("c1", 1, &["<sip:a@192.0.2.1>;q=0.7", "<sip:b@192.0.2.1>;expires=120"], Some(300));
        let plan = plan(&settings(), &[], &h, &reg("sip:1001@r")).unwrap();
        assert_eq!(plan.result.len(), 2);
        assert_eq!(plan.result[0].expires_at, 1300);
        assert_eq!(plan.result[0].q, Some(700));
        assert_eq!(plan.result[1].expires_at, 1120);
        assert_eq!(plan.changes.len(), 2);
    }

    #[test]
    fn too_brief_expiry_is_refused_with_min_expires_and_long_ones_are_capped() {
        let h = headers("c1", 1, &["<sip:a@h>"], Some(10));
        assert_eq!(plan(&settings(), &[], &h, &reg("x")), Err(Refusal::TooBrief { min_expires: 60 }));
        let h = headers("c1", 1, &["<sip:a@h>"], Some(99_999));
        assert_eq!(plan(&settings(), &[], &h, &reg("x")).unwrap().result[0].expires_at, 1000 + 3600);
    }

    #[test]
    fn refresh_needs_a_higher_cseq_for_the_same_call_id() {
        let first = plan(&settings(), &[], &headers("c1", 5, &["<sip:a@h>"], None), &reg("x")).unwrap().result;
        assert_eq!(plan(&settings(), &first, &headers("c1", 5, &["<sip:a@h>"], None), &reg("x")), Err(Refusal::OutOfOrder));
        let refreshed = plan(&settings(), &first, &headers("c1", 6, &["<sip:a@h>"], Some(120)), &reg("x")).unwrap();
        assert_eq!(refreshed.result.len(), 1);
        assert_eq!(refreshed.result[0].expires_at, 1120);
    }

    #[test]
    fn expires_zero_removes_one_binding_and_the_wildcard_removes_all() {
        let two = plan(&settings(), &[], &headers("c1", 1, &["<sip:a@h>", "<sip:b@h>"], None), &reg("x")).unwrap().result;
        let one = plan(&settings(), &two, &headers("c1", 2, &["<sip:a@h>"], Some(0)), &reg("x")).unwrap();
        assert_eq!(one.result.len(), 1);
        assert!(matches!(&one.changes[0], Change::Remove { contact, .. } if contact == "sip:a@h"));
        let none = plan(&settings(), &two, &headers("c2", 1, &["*"], Some(0)), &reg("x")).unwrap();
        assert!(none.result.is_empty());
        assert_eq!(none.changes, vec![Change::RemoveAor { aor: "x".into() }]);
        assert!(matches!(plan(&settings(), &two, &headers("c2", 1, &["*"], None), &reg("x")), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn a_third_device_over_the_limit_gets_conflict_or_replaces_the_oldest() {
        let two = plan(&settings(), &[], &headers("c1", 1, &["<sip:a@h>;expires=100", "<sip:b@h>;expires=200"], None), &reg("x")).unwrap().result;
        let third = headers("c3", 1, &["<sip:c@h>"], None);
        assert_eq!(plan(&settings(), &two, &third, &reg("x")), Err(Refusal::Conflict));
        let replacing = RegistrarSettings { replace_oldest: true, ..settings() };
        let p = plan(&replacing, &two, &third, &reg("x")).unwrap();
        let contacts: Vec<_> = p.result.iter().map(|b| b.contact.as_str()).collect();
        assert_eq!(contacts, ["sip:b@h", "sip:c@h"]);
    }

    #[test]
    fn sweep_forgets_expired_bindings() {
        let mut table = AorTable::default();
        let bindings = plan(&settings(), &[], &headers("c1", 1, &["<sip:a@h>;expires=100", "<sip:b@h>;expires=200"], None), &reg("x")).unwrap().result;
        table.apply("x", bindings);
        assert_eq!(table.current("x", 1150).len(), 1);
        assert_eq!(table.sweep(1150).0.len(), 1);
        assert_eq!(table.len(), 1);
        assert_eq!(table.sweep(1300), (vec![Change::Remove { aor: "x".into(), contact: "sip:b@h".into() }], vec!["x".to_owned()]));
        assert!(table.is_empty());
    }
}
