//! Fuzz target: arbitrary bytes fed to the transaction layer as inbound datagrams
//! (`ringway::sip::transaction::fuzz_inbound`): whatever arrives, it must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ringway::sip::transaction::fuzz_inbound(data));
