//! The location view: every AOR's current bindings, for whoever routes calls.
//!
//! Each AOR's bindings are owned and changed by one shard's registrar; after each durable change
//! that shard publishes the result here, and any shard (the B2BUA routing an INVITE to a local
//! user) reads it. One writer per AOR, many readers: a striped read-write lock, read locks held
//! only for a reference-count increment: the binding list itself is shared with its owner.

use crate::metrics::Metrics;
use crate::registrar::bindings::SharedBindings;
use foldhash::{HashMap, HashMapExt};
use std::hash::BuildHasher;
use std::sync::{Arc, RwLock};

const STRIPES: usize = 64;

/// AOR → bindings, readable from every shard.
#[derive(Debug)]
pub struct LocationView {
    stripes: Vec<RwLock<HashMap<String, SharedBindings>>>,
    hasher: std::collections::hash_map::RandomState,
    metrics: Arc<Metrics>,
}

impl LocationView {
    /// An empty view that keeps the `ringway_registrations` gauge.
    pub fn new(metrics: Arc<Metrics>) -> LocationView {
        LocationView {
            stripes: (0..STRIPES).map(|_| RwLock::new(HashMap::new())).collect(),
            hasher: Default::default(),
            metrics,
        }
    }

    fn stripe(&self, aor: &str) -> &RwLock<HashMap<String, SharedBindings>> {
        &self.stripes[(self.hasher.hash_one(aor) as usize) % STRIPES]
    }

    /// The AOR's bindings as last published (expired ones are removed by the owner's sweep;
    /// callers that care filter by `expires_at` too).
    pub fn lookup(&self, aor: &str) -> SharedBindings {
        let stripe = self.stripe(aor).read().unwrap_or_else(|p| p.into_inner());
        stripe.get(aor).cloned().unwrap_or_default()
    }

    /// Replaces the AOR's bindings (called by the owning shard only).
    pub fn publish(&self, aor: String, bindings: SharedBindings) {
        let mut stripe = self.stripe(&aor).write().unwrap_or_else(|p| p.into_inner());
        let new = bindings.len() as i64;
        let old = if bindings.is_empty() { stripe.remove(&aor) } else { stripe.insert(aor, bindings) };
        self.metrics.registrations_add(new - old.map_or(0, |o| o.len() as i64));
    }
}
