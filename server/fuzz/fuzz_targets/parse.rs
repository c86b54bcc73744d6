//! Fuzz target: arbitrary bytes through the SIP message layer (parse, validate, typed access,
//! serialize and reparse, stream framing). The properties live in
//! `ringway::sip::message::fuzz_parse` so that `server/tests/fuzz_replay.rs` checks the same ones.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ringway::sip::message::fuzz_parse(data));
