//! Prepaid balance check before routing: an account with no money is refused before any
//! gateway is tried, with the status lines operators' tooling expects:
//!
//! - balance zero or below: `403 No Money Left on RFC Account`;
//! - above zero but below the cost of the destination's first billing increment:
//!   `480 No money left`;
//! - otherwise, or when the call has no account: `continue` to the next router.
//!
//! Settings:
//!
//! - `first_increment.<prefix>`: the cost (minor units) of the first billing increment of calls
//!   to numbers starting with `<prefix>`; the longest prefix wins.
//! - `minimum`: the cost when no prefix matches (default 1).
//! - `on_unknown`: what to do while the balance is unknown (no billing yet, store down):
//!   `continue` (default) or `reject` (`480 No money left`).
//!
//! With `billing_hooks = true` in its `[[plugins]]` entry it also follows the calls it let
//! through: it logs each answer and end, and keeps each account's total talk time in
//! milliseconds under `talk_ms.<account>` in its key-value store (what a debit will use once
//! the server bills).

use ringway_sdk::catalog::{NO_MONEY_LEFT_480, NO_MONEY_LEFT_ON_RFC_ACCOUNT_403};
use ringway_sdk::host;
use ringway_sdk::plugin::{Answer, Balance, Call, Decision, Hangup, Level, Plugin};

struct PrepaidGuard;

impl Plugin for PrepaidGuard {
    fn route(call: &Call) -> Decision {
        let Some(account) = call.account.as_deref() else { return Decision::Continue };
        let balance = match host::balance(account) {
            Balance::Amount(minor) => minor,
            Balance::Unknown if call.setting("on_unknown") == Some("reject") => {
                return Decision::reject(NO_MONEY_LEFT_480);
            }
            Balance::Unknown => return Decision::Continue,
        };
        if balance <= 0 {
            host::log(Level::Info, "no money left", &[("account", account)]);
            return Decision::reject(NO_MONEY_LEFT_ON_RFC_ACCOUNT_403);
        }
        if balance < first_increment(call) {
            return Decision::reject(NO_MONEY_LEFT_480);
        }
        Decision::Continue
    }

    fn on_answer(call: &Call, answer: &Answer) {
        let Some(account) = call.account.as_deref() else { return };
        let setup_ms = answer.setup.as_millis().to_string();
        let gateway = answer.gateway.as_deref().unwrap_or("-");
        host::log(Level::Info, "call answered", &[("account", account), ("gateway", gateway), ("setup_ms", &setup_ms)]);
    }

    fn on_hangup(call: &Call, hangup: &Hangup) {
        let Some(account) = call.account.as_deref() else { return };
        let talk_ms = u64::try_from(hangup.talk.as_millis()).unwrap_or(u64::MAX);
        let key = format!("talk_ms.{account}");
        let total = host::kv_get(&key).and_then(|t| t.parse::<u64>().ok()).unwrap_or(0).saturating_add(talk_ms);
        // A full store loses the total, never the call.
        let _ = host::kv_set(&key, &total.to_string());
        let status = format!("{} {}", hangup.status.0, hangup.status.1);
        host::log(
            Level::Info,
            "call ended",
            &[("account", account), ("status", &status), ("talk_ms", &talk_ms.to_string()), ("total_talk_ms", &total.to_string())],
        );
    }
}

/// The cost of the first billing increment toward the dialed number.
fn first_increment(call: &Call) -> i64 {
    let dialed = call.dialed().unwrap_or("");
    let by_prefix = call
        .settings_under("first_increment")
        .filter(|(prefix, _)| dialed.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .and_then(|(_, cost)| cost.trim().parse().ok());
    by_prefix.or_else(|| call.setting("minimum")?.trim().parse().ok()).unwrap_or(1)
}

ringway_sdk::export_plugin!(PrepaidGuard);
