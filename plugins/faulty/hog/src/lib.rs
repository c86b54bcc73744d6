//! Test fixture: a plugin whose `route` allocates without bound. The host's memory cap must stop
//! it.

use ringway_sdk::plugin::{Call, Decision, Plugin};
use std::hint::black_box;

struct Hog;

impl Plugin for Hog {
    fn route(_call: &Call) -> Decision {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        loop {
            chunks.push(black_box(vec![1u8; 1 << 20]));
            black_box(&chunks);
        }
    }
}

ringway_sdk::export_plugin!(Hog);
