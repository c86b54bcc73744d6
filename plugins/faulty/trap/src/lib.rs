//! Test fixture: a plugin whose `route` panics (an out-of-bounds index), which traps.

use ringway_sdk::plugin::{Call, Decision, Plugin};
use std::hint::black_box;

struct Trap;

impl Plugin for Trap {
    fn route(call: &Call) -> Decision {
        let empty: Vec<u8> = Vec::new();
        let index = black_box(call.request_uri.len());
        black_box(empty[index]);
        Decision::Continue
    }
}

ringway_sdk::export_plugin!(Trap);
