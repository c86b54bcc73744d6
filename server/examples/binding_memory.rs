//! Memory per registered binding: builds N bindings the way the registrar does (a REGISTER's
//! headers through `registrar::bindings::plan`, kept in the owning shard's table and published to
//! the location view) and prints the growth of the resident set per binding.
//!
//! `cargo run --release -p ringway --example binding_memory [N]`

use ringway::config::Settings;
use ringway::location::LocationView;
use ringway::metrics::Metrics;
use ringway::registrar::bindings::{AorTable, Registration, plan};
use ringway::sip::message::{HeaderName, Headers};
use std::sync::Arc;

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("resident pages");
    pages * 4096
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let settings = Settings::embedded_default().registrar;
    let before = resident_bytes();
    let mut table = AorTable::default();
    let view = LocationView::new(Arc::new(Metrics::new()));
    for i in 0..n {
        let aor = format!("sip:u{i}@ringway");
        let mut h = Headers::default();
        h.push(HeaderName::CallId, format!("{i:08x}-5b1c-4e2a-9d31-7a0c2f6e8b44@192.0.2.10"));
        h.push(HeaderName::CSeq, "1 REGISTER");
        h.push(HeaderName::Contact, format!("<sip:u{i}@192.0.2.10:5062;transport=udp>;expires=3600"));
        h.push(HeaderName::UserAgent, "Yealink SIP-T46S 66.86.0.15");
        let reg = Registration { aor: &aor, unix_now: 1_800_000_000, source: format!("udp:192.0.2.10:{}", 5062 + i % 1000), max_contacts: 3 };
        let planned = plan(&settings, &[], &h, &reg).expect("a valid REGISTER");
        let shared = table.apply(&aor, planned.result);
        view.publish(aor, shared);
    }
    let after = resident_bytes();
    println!("bindings: {}", table.len());
    println!("resident growth: {:.1} MiB", (after - before) as f64 / (1 << 20) as f64);
    println!("bytes per binding (registrar table + location view): {:.0}", (after - before) as f64 / n as f64);
}
