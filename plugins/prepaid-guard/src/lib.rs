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

use ringway_sdk::catalog::{NO_MONEY_LEFT_480, NO_MONEY_LEFT_ON_RFC_ACCOUNT_403};
use ringway_sdk::host;
use ringway_sdk::plugin::{Balance, Call, Decision, Level, Plugin};

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
