//! What the host offers a plugin (cargo feature `guest`): structured logging, the clock, a
//! per-plugin key-value store, the built-in routing tables and numbering plans, and balances.
//! Nothing else is reachable: no files, no network.
//!
//! Every function here is a call into the server; each costs a boundary crossing (well under a
//! microsecond), so call them per decision, not per loop iteration.
//!
//! Those that pass strings (`log`, the key-value store, `lookup_route`, `check_number`,
//! `balance`) cost once more, just by being used anywhere in the plugin: they need the plugin's
//! memory, so its component instantiates two more core modules for every decision (about a
//! microsecond). [`log_enabled`] and [`now`] do not, and the call already carries what
//! `check_number` would say about the dialed number ([`Call::dialed_number`]).
//!
//! [`Call::dialed_number`]: crate::plugin::Call::dialed_number

use crate::guest::{decision_from, imports, number_check_from};
use crate::plugin::{Balance, Decision, KvError, Level, NumberCheck, UnixTime};

/// Writes a log line to the server's log, tagged with the plugin and the call, with structured
/// fields. A line at a level the server filters out costs one cheap host call and is not sent.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let level = wit_level(level);
    if !imports::log_enabled(level) {
        return;
    }
    let fields: Vec<(String, String)> =
        fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    imports::log(level, message, &fields);
}

/// Whether a line at `level` would reach the server's log: guard the formatting of costly
/// fields with it (`if host::log_enabled(Level::Debug) { … }`).
pub fn log_enabled(level: Level) -> bool {
    imports::log_enabled(wit_level(level))
}

fn wit_level(level: Level) -> imports::Level {
    match level {
        Level::Trace => imports::Level::Trace,
        Level::Debug => imports::Level::Debug,
        Level::Info => imports::Level::Info,
        Level::Warn => imports::Level::Warn,
        Level::Error => imports::Level::Error,
    }
}

/// The server's wall-clock time.
pub fn now() -> UnixTime {
    let (secs, nanos) = imports::now();
    UnixTime { secs, nanos }
}

/// The value stored under `key` in this plugin's store.
pub fn kv_get(key: &str) -> Option<String> {
    imports::kv_get(key)
}

/// Stores `value` under `key` in this plugin's store (shared by all its instances, kept across
/// calls and reloads).
pub fn kv_set(key: &str, value: &str) -> Result<(), KvError> {
    imports::kv_set(key, value).map_err(|e| match e {
        imports::KvError::TooLarge => KvError::TooLarge,
        imports::KvError::Full => KvError::Full,
    })
}

/// Removes `key` from this plugin's store.
pub fn kv_delete(key: &str) {
    imports::kv_delete(key);
}

/// What the built-in routing tables would decide for `number` under `tariff_plan`
/// ([`Decision::Continue`] when no tables are configured).
pub fn lookup_route(number: &str, tariff_plan: Option<&str>) -> Decision {
    decision_from(imports::lookup_route(number, tariff_plan))
}

/// Normalizes `number` with the server's numbering settings and checks it against its plans.
pub fn check_number(number: &str) -> NumberCheck {
    number_check_from(imports::check_number(number))
}

/// The prepaid balance of `account` ([`Balance::Unknown`] until billing is configured).
pub fn balance(account: &str) -> Balance {
    match imports::account_balance(account) {
        imports::Balance::Unknown => Balance::Unknown,
        imports::Balance::Amount(minor) => Balance::Amount(minor),
    }
}
