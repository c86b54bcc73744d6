//! Test fixture: a plugin that tries to remember across decisions. It counts its decisions in a
//! static and sends each call to `carrier-a` with the count in `X-Decisions`, and the string it
//! last built in memory in `X-Last-Number`. In a fresh instance the count is always 1 and there
//! is no last number; anything else would mean one call's state reached the next.

use ringway_sdk::plugin::{Call, Decision, Plugin, Target};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

static DECISIONS: AtomicU32 = AtomicU32::new(0);
static LAST_NUMBER: Mutex<String> = Mutex::new(String::new());

struct Remember;

impl Plugin for Remember {
    fn route(call: &Call) -> Decision {
        let count = DECISIONS.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = LAST_NUMBER.lock().unwrap_or_else(|e| e.into_inner());
        let previous = std::mem::replace(&mut *last, call.dialed().unwrap_or("").to_owned());
        let target = Target::gateway("carrier-a")
            .set_header("X-Decisions", count.to_string())
            .set_header("X-Last-Number", if previous.is_empty() { "none" } else { &previous });
        Decision::targets([target])
    }
}

ringway_sdk::export_plugin!(Remember);
