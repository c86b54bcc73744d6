//! Time-of-day routing: inside business hours calls go on to the next router (the agents);
//! outside them, to an overflow gateway (an answering service, another site).
//!
//! Settings:
//!
//! - `overflow`: the gateway for calls outside business hours (required; without it the plugin
//!   always answers `continue`).
//! - `open`, `close`: `HH:MM` local time (default `09:00`, `18:00`); `close` may be `24:00`.
//! - `days`: comma-separated open days (default `mon,tue,wed,thu,fri`).
//! - `utc_offset_minutes`: local time's offset east of UTC (default 0; fixed, no DST).
//!
//! Each overflowed call increments the counter `overflowed` in the plugin's key-value store
//! (which the server keeps on disk), and carries it to the overflow gateway in
//! `X-Ringway-Overflow-Count`.

use ringway_sdk::host;
use ringway_sdk::plugin::{Call, Decision, Plugin, Target, Weekday, parse_hhmm};

struct BusinessHours;

impl Plugin for BusinessHours {
    fn route(call: &Call) -> Decision {
        let Some(overflow) = call.setting("overflow") else { return Decision::Continue };
        let offset =
            call.setting("utc_offset_minutes").and_then(|o| o.trim().parse().ok()).unwrap_or(0);
        let open = call.setting("open").and_then(parse_hhmm).unwrap_or(9 * 60);
        let close = call.setting("close").and_then(parse_hhmm).unwrap_or(18 * 60);
        let days = call.setting("days").unwrap_or("mon,tue,wed,thu,fri");
        let now = host::now();
        let today = now.weekday(offset);
        let minute = now.minute_of_day(offset);
        let open_today =
            days.split(',').filter_map(|d| Weekday::parse(d.trim())).any(|d| d == today);
        if open_today && (open..close).contains(&minute) {
            return Decision::Continue;
        }
        let count = host::kv_get("overflowed").and_then(|c| c.parse::<u64>().ok()).unwrap_or(0) + 1;
        // A full store only loses the statistic, never the call.
        let _ = host::kv_set("overflowed", &count.to_string());
        let mut target = Target::gateway(overflow)
            .set_header("X-Ringway-Overflow", "after-hours")
            .set_header("X-Ringway-Overflow-Count", count.to_string());
        if let Some(dialed) = call.dialed() {
            target = target.number(dialed);
        }
        Decision::targets([target])
    }
}

ringway_sdk::export_plugin!(BusinessHours);
