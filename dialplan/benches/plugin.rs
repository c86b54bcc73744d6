//! Plugin decisions: what one `lcr` decision costs end to end (a fresh pooled instance, the
//! call lowered into it, the guest's work on a pooled fiber stack, the decision lifted and
//! checked), as Criterion's mean, then p50/p99 latency and decisions per second from 20,000
//! timed decisions on one thread, and mean/p50/p99 of 5,000 decisions each made after 4 MiB of
//! other writes (in a server, the SIP work between two calls leaves the caches cold: that
//! figure, not the warm one, is close to what a plugin adds to a call's CPU). Each decision is
//! driven by a current-thread tokio runtime's `block_on`, as a server task would poll it. The
//! target is p99 ≤ 50 µs. Needs `make plugins`.
//!
//! The figures depend on the kernel: with the PAGEMAP_SCAN ioctl (Linux 6.7+) a pooled slot is
//! reset by restoring only the pages the guest wrote; without it, by madvise and page faults,
//! several times slower. The output says which.

#![allow(clippy::disallowed_methods, reason = "a benchmark reads the wall clock")]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use ringway_dialplan::RouteRequest;
use ringway_dialplan::wasm::PluginChain;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const LCR: &str = r#"
[plugins.settings]
max_targets = 3
[plugins.settings.rates]
"+7" = "carrier-a:200, carrier-b:150, carrier-c:300"
"+7495" = "carrier-a:120, carrier-b:95, carrier-c:130"
"+44" = "carrier-c:90"
"#;

fn request() -> RouteRequest {
    RouteRequest::new("sip:+74951234567@pbx.example.net")
        .with_call_id("bench")
        .with_caller("agent-17")
        .with_offered_codecs(["pcma", "pcmu", "telephone-event"])
        .with_header("X-Campaign", "spring")
}

/// The `q` quantile of sorted samples.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

/// Times `n` decisions one by one and prints the distribution.
fn percentiles(
    name: &str,
    runtime: &Runtime,
    chain: &PluginChain,
    request: &RouteRequest,
    n: usize,
) {
    let mut samples: Vec<Duration> = Vec::with_capacity(n);
    let started = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        black_box(runtime.block_on(chain.decide(black_box(request))).expect("decides"));
        samples.push(t.elapsed());
    }
    let total = started.elapsed();
    samples.sort_unstable();
    println!(
        "{name}: {n} decisions, {:.0} decisions/s on one thread, \
         p50 {:.1?}, p99 {:.1?}, max {:.1?}",
        n as f64 / total.as_secs_f64(),
        quantile(&samples, 0.50),
        quantile(&samples, 0.99),
        samples[samples.len() - 1],
    );
}

/// Times `n` decisions, each after writing 4 MiB elsewhere (what a server's SIP work between
/// two calls does to the caches), and prints the distribution.
fn cold(name: &str, runtime: &Runtime, chain: &PluginChain, request: &RouteRequest, n: usize) {
    let mut junk = vec![0u8; 4 << 20];
    let mut samples: Vec<Duration> = Vec::with_capacity(n);
    for i in 0..n {
        for (j, b) in junk.iter_mut().enumerate().step_by(64) {
            *b = (i ^ j) as u8;
        }
        black_box(&junk);
        let t = Instant::now();
        black_box(runtime.block_on(chain.decide(black_box(request))).expect("decides"));
        samples.push(t.elapsed());
    }
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / n as u32;
    println!(
        "{name}: {n} decisions with cold caches, mean {mean:.1?}, p50 {:.1?}, p99 {:.1?}",
        quantile(&samples, 0.50),
        quantile(&samples, 0.99)
    );
}

fn lcr(c: &mut Criterion) {
    let host = support::host();
    let chain = support::chain(&host, &support::entry("lcr", LCR), &support::env());
    let request = request();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    c.bench_function("lcr decision (fresh instance per decision)", |b| {
        b.iter(|| runtime.block_on(chain.decide(black_box(&request))).expect("decides"))
    });
    percentiles("lcr", &runtime, &chain, &request, 20_000);
    cold("lcr", &runtime, &chain, &request, 5_000);
    let reset = if wasmtime::PoolingAllocationConfig::is_pagemap_scan_available() {
        "PAGEMAP_SCAN"
    } else {
        "madvise (no PAGEMAP_SCAN on this kernel)"
    };
    println!("lcr: pooled slots reset by {reset}");
}

criterion_group!(benches, lcr);
criterion_main!(benches);
