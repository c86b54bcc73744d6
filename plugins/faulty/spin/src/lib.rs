//! Test fixture: a plugin whose `route` never returns. The host's deadline must stop it.

use ringway_sdk::plugin::{Call, Decision, Plugin};
use std::hint::black_box;

struct Spin;

impl Plugin for Spin {
    fn route(_call: &Call) -> Decision {
        let mut n: u64 = 0;
        loop {
            n = black_box(n.wrapping_add(1));
        }
    }
}

ringway_sdk::export_plugin!(Spin);
