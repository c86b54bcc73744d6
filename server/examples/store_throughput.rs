//! Durable binding writes per second through the location store's group commit.
//!
//! `cargo run --release -p ringway --example store_throughput [threads] [in_flight] [per_thread]`
//!
//! Each thread plays a shard: it keeps `in_flight` single-binding commits outstanding (a REGISTER
//! each, answered only when durable) and refills as they are acknowledged. Prints bindings/s,
//! transactions (fsyncs), the average batch, and the bytes per binding in the encoding and on
//! disk. A figure, not a test.

use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use ringway::store::{Binding, Change, LocationStore};

fn binding(aor: String) -> Binding {
    Binding {
        contact: format!(
            "<{}:5060;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000000000000>\"",
            aor.replace("@example.com", "@192.0.2.1")
        ),
        aor,
        expires_at: 1_900_000_000,
        q: None,
        call_id: "3c26700d-4b7c-4a10-a1a2-bf5e33a8e0a1".into(),
        cseq: 1,
        path: Vec::new(),
        source: "udp:192.0.2.1:5060".into(),
        user_agent: Some("Yealink SIP-T46S 66.86.0.15".into()),
    }
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args().nth(n).map(|a| a.parse().expect("numeric argument")).unwrap_or(default)
}

fn main() {
    let threads = arg(1, 4);
    let in_flight = arg(2, 64);
    let per_thread = arg(3, 20_000);
    let dir = std::env::temp_dir().join(format!("ringway-store-throughput-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (store, _) = LocationStore::open(&dir).expect("open");

    // A benchmark reads the clock; this is not core logic.
    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|shard| {
            let store = store.clone();
            thread::spawn(move || {
                let (acks_tx, acks_rx) = mpsc::channel();
                let mut sent = 0;
                let mut acked = 0;
                while acked < per_thread {
                    while sent < per_thread && sent - acked < in_flight {
                        let acks = acks_tx.clone();
                        store.commit(
                            vec![Change::Put(binding(format!("sip:{shard}-{sent}@example.com")))],
                            Box::new(move |result| {
                                let _ = acks.send(result);
                            }),
                        );
                        sent += 1;
                    }
                    acks_rx.recv().expect("answered").expect("durable");
                    acked += 1;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    let elapsed = start.elapsed();
    let stats = store.stats();
    store.close();

    let total = threads * per_thread;
    let file = std::fs::metadata(dir.join("location.redb")).expect("file").len();
    let sample = binding("sip:0-12345@example.com".into());
    println!("threads={threads} in_flight_per_thread={in_flight} bindings={total}");
    println!(
        "{:.0} durable bindings/s in {:.2}s; {} transactions (fsyncs), {:.1} bindings per transaction, {:.0} fsyncs/s",
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        stats.transactions,
        stats.changes as f64 / stats.transactions as f64,
        stats.transactions as f64 / elapsed.as_secs_f64(),
    );
    println!(
        "encoding: {} bytes per binding (key+value); file: {} bytes, {:.0} bytes per binding",
        sample.encoded_len(),
        file,
        file as f64 / total as f64
    );
    let _ = std::fs::remove_dir_all(&dir);
}
