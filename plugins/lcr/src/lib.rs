//! Least-cost routing: per-prefix gateway rates in the plugin's settings; the longest prefix of
//! the dialed number picks the rate list, and the call goes to its gateways cheapest first.
//!
//! Settings (`[plugins.settings]` in the server configuration):
//!
//! - `rates.<prefix>`: `gateway:rate, gateway:rate, …`, rates in minor units per minute
//!   (integers: money is never a float). Prefixes are E.164 with `+`.
//! - `max_targets`: at most this many targets (default 3).
//!
//! The dialed number is the one the server's numbering settings normalized (the call's
//! `dialed_number`), so `8 495 …` and `+7495…` find the same rates. A number no prefix covers,
//! or no number at all, is not this plugin's business: `continue`.
//!
//! The plugin calls no host import: everything it needs comes with the call, so its component
//! instantiates one core module per decision, not three (see `panicked` in the WIT).

use ringway_sdk::plugin::{Call, Decision, NumberCheck, Plugin, Target};

struct Lcr;

impl Plugin for Lcr {
    fn route(call: &Call) -> Decision {
        let number = match &call.dialed_number {
            NumberCheck::Valid(n) | NumberCheck::Invalid(n) => n,
            NumberCheck::NotANumber => return Decision::Continue,
        };
        let Some((_, rates)) = call
            .settings_under("rates")
            .filter(|(prefix, _)| number.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
        else {
            return Decision::Continue;
        };
        let mut offers: Vec<(u64, &str)> = rates.split(',').filter_map(parse_offer).collect();
        // Stable: equal rates keep the settings' order.
        offers.sort_by_key(|&(rate, _)| rate);
        let max = call.setting("max_targets").and_then(|m| m.trim().parse().ok()).unwrap_or(3);
        Decision::targets(
            offers
                .into_iter()
                .take(max)
                .map(|(_, gateway)| Target::gateway(gateway).number(number)),
        )
    }
}

/// `gateway:rate` → (rate, gateway); malformed entries are skipped.
fn parse_offer(entry: &str) -> Option<(u64, &str)> {
    let (gateway, rate) = entry.trim().split_once(':')?;
    Some((rate.trim().parse().ok()?, gateway.trim()))
}

ringway_sdk::export_plugin!(Lcr);
