//! What the host's imports read from the server: the routing tables, gateway availability,
//! balances, the clock and the plugins' key-value store. The server hands one [`HostEnv`] to
//! each loaded chain; every field is a shared handle, so a reload can keep the same store (the
//! plugins' state survives) while swapping tables.

use crate::tables::{AllAvailable, GatewayStatus, Tables};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Longest key a plugin may store (bytes).
pub const MAX_KEY: usize = 256;
/// Longest value a plugin may store (bytes).
pub const MAX_VALUE: usize = 64 << 10;
/// Most keys [`MemoryStore`] keeps per plugin.
pub const MAX_KEYS: usize = 10_000;

/// The server's side of the host imports.
#[derive(Clone)]
pub struct HostEnv {
    /// The built-in routing tables and numbering plans (`lookup-route`, `check-number`, and
    /// gateway targets).
    pub tables: Arc<Tables>,
    /// Gateway availability for `lookup-route`.
    pub gateways: Arc<dyn GatewayStatus + Send + Sync>,
    /// Prepaid balances (`account-balance`).
    pub balances: Arc<dyn Balances>,
    /// The plugins' key-value store.
    pub store: Arc<dyn PluginStore>,
    /// Wall-clock time (`now`).
    pub clock: Arc<dyn Clock>,
}

impl Default for HostEnv {
    /// Empty tables, every gateway available, no billing, an in-memory store, the system clock.
    fn default() -> Self {
        HostEnv {
            tables: Arc::new(Tables::default()),
            gateways: Arc::new(AllAvailable),
            balances: Arc::new(NoBilling),
            store: Arc::new(MemoryStore::default()),
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for HostEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostEnv").finish_non_exhaustive()
    }
}

/// An account's prepaid balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balance {
    /// Not known: no billing, no such account, or the store did not answer.
    Unknown,
    /// Minor currency units.
    Amount(i64),
}

/// Where balances come from. Billing implements it when it lands; until then [`NoBilling`].
pub trait Balances: Send + Sync {
    /// The balance of `account` now.
    fn balance(&self, account: &str) -> Balance;
}

/// Every balance unknown: the server before billing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBilling;

impl Balances for NoBilling {
    fn balance(&self, _account: &str) -> Balance {
        Balance::Unknown
    }
}

impl<F: Fn(&str) -> Balance + Send + Sync> Balances for F {
    fn balance(&self, account: &str) -> Balance {
        self(account)
    }
}

/// Wall-clock time for the `now` import.
pub trait Clock: Send + Sync {
    /// The time now.
    fn now(&self) -> SystemTime;
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods, reason = "the host shell is where time is read")]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock stopped at one moment: for tests and `ringway plugin test`.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub SystemTime);

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// Why a store refused a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreRefusal {
    /// The plugin holds its maximum number of keys.
    Full,
}

/// The plugins' key-value store, one namespace per plugin name, shared by every instance of a
/// plugin and kept across reloads when the server passes the same store. [`MemoryStore`]
/// forgets everything on restart; the server can persist it (redb, DESIGN.md "Storage") by
/// implementing this trait. Calls happen on the decision's thread, inside its deadline: a
/// persistent implementation should answer from memory and write behind.
///
/// The host checks sizes ([`MAX_KEY`], [`MAX_VALUE`]) before calling.
pub trait PluginStore: Send + Sync {
    /// The value of `key` in `plugin`'s namespace.
    fn get(&self, plugin: &str, key: &str) -> Option<String>;
    /// Stores `value` under `key` in `plugin`'s namespace.
    fn set(&self, plugin: &str, key: &str, value: &str) -> Result<(), StoreRefusal>;
    /// Removes `key` from `plugin`'s namespace.
    fn delete(&self, plugin: &str, key: &str);
}

/// Every plugin's keys and values, in memory, at most [`MAX_KEYS`] keys per plugin: the state
/// behind [`MemoryStore`], and behind a persistent store that answers from memory. Its writes
/// say whether they changed anything, so that such a store writes only real changes behind.
#[derive(Debug, Default)]
pub struct PluginValues {
    plugins: HashMap<String, HashMap<String, String>>,
}

impl PluginValues {
    /// The value of `key` in `plugin`'s namespace.
    pub fn get(&self, plugin: &str, key: &str) -> Option<&str> {
        self.plugins.get(plugin)?.get(key).map(String::as_str)
    }

    /// Stores `value` under `key`; `Ok(false)` when it was already there.
    pub fn set(&mut self, plugin: &str, key: &str, value: &str) -> Result<bool, StoreRefusal> {
        let map = self.plugins.entry(plugin.to_owned()).or_default();
        let full = map.len() >= MAX_KEYS;
        match map.get_mut(key) {
            Some(old) if old == value => Ok(false),
            Some(old) => {
                value.clone_into(old);
                Ok(true)
            }
            None if full => Err(StoreRefusal::Full),
            None => {
                map.insert(key.to_owned(), value.to_owned());
                Ok(true)
            }
        }
    }

    /// Removes `key`; whether it was there.
    pub fn delete(&mut self, plugin: &str, key: &str) -> bool {
        self.plugins.get_mut(plugin).is_some_and(|map| map.remove(key).is_some())
    }

    /// How many keys `plugin` holds.
    pub fn len(&self, plugin: &str) -> usize {
        self.plugins.get(plugin).map_or(0, HashMap::len)
    }
}

/// An in-memory [`PluginStore`], at most [`MAX_KEYS`] keys per plugin.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<PluginValues>,
}

impl MemoryStore {
    /// How many keys `plugin` holds.
    pub fn len(&self, plugin: &str) -> usize {
        self.lock().len(plugin)
    }

    /// Whether `plugin` holds no keys.
    pub fn is_empty(&self, plugin: &str) -> bool {
        self.len(plugin) == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PluginValues> {
        // A panic while holding the lock cannot leave a map half-written: recover it.
        self.values.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PluginStore for MemoryStore {
    fn get(&self, plugin: &str, key: &str) -> Option<String> {
        self.lock().get(plugin, key).map(str::to_owned)
    }

    fn set(&self, plugin: &str, key: &str, value: &str) -> Result<(), StoreRefusal> {
        self.lock().set(plugin, key, value).map(|_| ())
    }

    fn delete(&self, plugin: &str, key: &str) {
        self.lock().delete(plugin, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_keeps_plugins_apart_and_caps_keys() {
        let store = MemoryStore::default();
        store.set("a", "k", "1").unwrap();
        store.set("b", "k", "2").unwrap();
        assert_eq!(store.get("a", "k").as_deref(), Some("1"));
        assert_eq!(store.get("b", "k").as_deref(), Some("2"));
        store.delete("a", "k");
        assert_eq!(store.get("a", "k"), None);
        for i in 0..MAX_KEYS {
            store.set("c", &i.to_string(), "").unwrap();
        }
        assert_eq!(store.set("c", "one-more", ""), Err(StoreRefusal::Full));
        assert_eq!(store.set("c", "0", "overwrite"), Ok(()));
        assert_eq!(store.len("c"), MAX_KEYS);
    }
}
