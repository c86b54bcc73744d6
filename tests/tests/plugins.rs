//! The WASM plugin chain in the real binary: `[[plugins]]` asked off the shard for every call
//! to a number, before the routing tables. The test is the caller and the gateways, UDP
//! sockets on 127.0.0.1 speaking hand-written SIP (see `ringway_tests::sip_peer`).
//!
//! - a plugin that spins, hogs memory or traps costs the caller its `on_error` line, quickly;
//! - a chain whose first plugin fails on every call (`on_error = "continue"`) routes 1,000
//!   calls in a row through the next one, without the process growing;
//! - reloading the chain (SIGHUP, `POST /plugins/reload`) while calls run drops no call, and a
//!   reload that cannot load keeps the chain in service;
//! - what a plugin keeps in its key-value store is still there after a restart;
//! - a plugin with `billing_hooks` hears of each call's answer and end.
//!
//! Every test needs the built plugins (`make plugins`) and fails without them. Timings are
//! printed for the record; the bounds asserted are generous on purpose (figures belong to the
//! benchmarks, `make bench`).

// Wall-clock figures and deadlines of a test harness, not protocol timers.
#![allow(clippy::disallowed_methods)]

use ringway_tests::sip_peer::{ANSWER, OutgoingCall, Peer, Received, WAIT};
use ringway_tests::{Ringway, http_post, metric, plugin, rss_kib};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A config where 127.0.0.0/8 is a trusted dialer acting as account 1001, `gateways` (name,
/// address) exist, and the tables answer every number `404 Out of Order`: a call only a plugin
/// can route. `plugins` (the `[[plugins]]` entries) comes last, so that a test can rewrite it.
fn config(gateways: &[(&str, SocketAddr)], plugins: &str) -> String {
    let gateways: String = gateways
        .iter()
        .map(|(name, addr)| format!("[[gateways]]\nname = \"{name}\"\naddress = \"{addr}\"\n\n"))
        .collect();
    format!(
        r#"[sip]
listen = ["udp:127.0.0.1:0"]
[http]
listen = "127.0.0.1:0"

[[accounts]]
username = "1001"
password = "secret1001"

[[trusted]]
name = "dialer"
networks = ["127.0.0.0/8"]
account = "1001"

{gateways}# Were the chain to continue, the tables would answer 404 Out of Order.
[[routes]]
prefix = ""
out_of_order = true

{plugins}"#
    )
}

/// One `[[plugins]]` entry for the built plugin `file`; `extra` are more lines of the entry
/// (`on_error = ...`, `[plugins.settings]` ...).
fn entry(name: &str, file: &str, extra: &str) -> String {
    let path = plugin(file);
    format!("[[plugins]]\nname = \"{name}\"\npath = {:?}\n{extra}\n", path.display().to_string())
}

/// The deadline of the plugins that must not fail. A decision is charged the time it runs, not
/// the time it is descheduled, but a small machine busy with the other tests of this file
/// (spinning plugins, chain compiles) slows the running too; these tests are not about that.
const ROOMY_DEADLINE: &str = "deadline_ms = 1000";

/// lcr sending +7495 numbers to the gateway `cheap` (95 per minute) before `dear` (300).
fn lcr_entry(cheap: &str, dear: &str) -> String {
    entry(
        "lcr",
        "lcr.wasm",
        &format!("{ROOMY_DEADLINE}\n[plugins.settings]\nmax_targets = 2\n[plugins.settings.rates]\n\"+7495\" = \"{dear}:300, {cheap}:95\"\n"),
    )
}

/// Places a call to `number` that must be refused: returns the final response (ACKed) and the
/// time from the INVITE sent to it received.
fn refused_call(caller: &Peer, server: SocketAddr, number: &str, id: &str) -> (Received, Duration) {
    let started = Instant::now();
    let mut call = OutgoingCall::start(caller, server, &format!("sip:{number}@ringway.test"), id);
    let last = caller.expect(&format!("a final response to INVITE {id}"), |m| call.is_invite_response(m) && m.status().is_some_and(|s| s >= 200));
    let elapsed = started.elapsed();
    call.ack(caller, &last);
    (last, elapsed)
}

/// `min / median / max` of some durations, in milliseconds.
fn spread(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!("min {:.2} ms, median {:.2} ms, max {:.2} ms", ms(times[0]), ms(times[times.len() / 2]), ms(times[times.len() - 1]))
}

/// Calls per fault plugin: enough for a median, few enough to stay fast.
const FAULT_CALLS: usize = 20;

/// The generous bound on a failed decision's answer: the plugin's deadline is 10 ms.
const FAULT_BOUND: Duration = Duration::from_secs(1);

/// A chain of one faulty plugin: every call gets exactly `expected`, well within [`FAULT_BOUND`].
fn fault_answers_its_fallback(name: &str, file: &str, extra: &str, expected: &str) {
    let caller = Peer::bind("caller");
    let ringway = Ringway::start_with_config(&config(&[], &entry(name, file, extra))).unwrap();
    let server = ringway.udp.unwrap();
    let mut times = Vec::with_capacity(FAULT_CALLS);
    for i in 0..FAULT_CALLS {
        let (answer, elapsed) = refused_call(&caller, server, "+74951234567", &format!("{name}-{i}"));
        assert_eq!(answer.start_line(), expected, "{name}: a failed decision answers the plugin's fallback\n{}", answer.text);
        assert!(answer.to_tag().is_some(), "RFC 3261 §8.2.6.2: a final answer carries a To tag\n{}", answer.text);
        assert!(elapsed < FAULT_BOUND, "{name}: {elapsed:?} from INVITE to {expected}");
        times.push(elapsed);
    }
    println!("{name} ({file}, {}): INVITE → final over {FAULT_CALLS} calls: {}", expected, spread(&mut times));
    let stderr = ringway.stderr();
    assert!(stderr.contains("plugin decision failed"), "each failure is logged:\n{stderr}");
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
}

#[test]
fn a_spinning_plugin_is_cut_at_its_deadline_and_the_caller_gets_500_undefined_reason() {
    fault_answers_its_fallback("spin", "faulty_spin.wasm", "deadline_ms = 10", "SIP/2.0 500 Undefined Reason");
}

#[test]
fn a_plugin_growing_past_its_memory_cap_is_stopped_and_the_caller_gets_its_on_error_line() {
    fault_answers_its_fallback(
        "hog",
        "faulty_hog.wasm",
        "memory_mib = 16\non_error = \"480 Temporarily Unavailable\"",
        "SIP/2.0 480 Temporarily Unavailable",
    );
}

#[test]
fn a_trapping_plugin_answers_the_caller_its_fallback_500_undefined_reason() {
    fault_answers_its_fallback("trap", "faulty_trap.wasm", "on_error = \"500 Undefined Reason\"", "SIP/2.0 500 Undefined Reason");
}

/// Calls in the failing-open chain test, and the one after which the first RSS is read.
const CHAIN_CALLS: usize = 1000;
const RSS_WARM_CALLS: usize = 100;
/// How much the process may grow between the two readings.
const RSS_GROWTH_BOUND_KIB: u64 = 20 * 1024;

#[test]
fn a_failing_plugin_set_to_continue_is_skipped_on_each_of_1000_calls_and_the_next_plugin_routes_them_without_the_process_growing() {
    let caller = Peer::bind("caller");
    let gateway = Peer::bind("cheap gateway");
    // `dear` is never tried: 486 is an answer about the callee (RFC 3261 §21.4.24), not failed over.
    let dear: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let plugins = entry("spin", "faulty_spin.wasm", "deadline_ms = 2\non_error = \"continue\"") + &lcr_entry("cheap", "dear");
    let ringway = Ringway::start_with_config(&config(&[("cheap", gateway.addr()), ("dear", dear)], &plugins)).unwrap();
    let server = ringway.udp.unwrap();
    let contact = format!("Contact: <sip:gw@{}>\r\n", gateway.addr());

    let started = Instant::now();
    let mut rss_warm = 0;
    for i in 0..CHAIN_CALLS {
        let number = format!("+7495{i:07}");
        let id = format!("chain-{i}");
        let mut call = OutgoingCall::start(&caller, server, &format!("sip:{number}@ringway.test"), &id);
        let Some(invite) = gateway.recv_new(WAIT) else {
            let answer = caller.recv_new(Duration::from_secs(1)).map(|m| m.text).unwrap_or_default();
            panic!("call {i}: the gateway got no INVITE; the caller got:\n{answer}\nringway's warnings:\n{}", warnings(&ringway));
        };
        assert!(
            invite.request_uri().is_some_and(|uri| uri.starts_with(&format!("sip:{number}@"))),
            "call {i}: lcr's target carries the number\n{}",
            invite.text
        );
        if i % 10 == 9 {
            // Every tenth call is answered and hung up.
            gateway.respond(&invite, 200, "OK", &format!("gw-{i}"), &contact, ANSWER);
            gateway.expect_request("ACK");
            let ok = call.expect_response(&caller, 200);
            call.ack(&caller, &ok);
            let cseq = call.bye(&caller);
            let bye = gateway.expect_request("BYE");
            gateway.respond(&bye, 200, "OK", "unused", "", "");
            call.expect_bye_response(&caller, cseq, 200);
        } else {
            gateway.respond(&invite, 486, "Busy Here", &format!("gw-{i}"), "", "");
            gateway.expect_request("ACK");
            let busy = call.expect_response(&caller, 486);
            assert_eq!(busy.start_line(), "SIP/2.0 486 Busy Here", "call {i}\n{}", busy.text);
            call.ack(&caller, &busy);
        }
        if i + 1 == RSS_WARM_CALLS {
            rss_warm = rss_kib(ringway.pid()).unwrap();
        }
    }
    let elapsed = started.elapsed();
    let rss_end = rss_kib(ringway.pid()).unwrap();
    println!(
        "chain [spin (continue), lcr]: {CHAIN_CALLS} calls in {:.2} s ({:.2} ms each); VmRSS after {RSS_WARM_CALLS} calls {rss_warm} KiB, after {CHAIN_CALLS} {rss_end} KiB ({:+} KiB)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e3 / CHAIN_CALLS as f64,
        rss_end as i64 - rss_warm as i64
    );
    assert!(
        rss_end < rss_warm + RSS_GROWTH_BOUND_KIB,
        "VmRSS grew from {rss_warm} KiB to {rss_end} KiB over {} calls",
        CHAIN_CALLS - RSS_WARM_CALLS
    );
    let skipped = ringway.stderr().matches("plugin failed; continuing without it").count();
    assert_eq!(skipped, CHAIN_CALLS, "spin failed (and was skipped) once per call");
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
}

/// Ringway's log lines at `WARN` and above.
fn warnings(ringway: &Ringway) -> String {
    ringway.stderr().lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")).collect::<Vec<_>>().join("\n")
}

/// Which gateway got the INVITE for each number.
type Routed = Arc<Mutex<HashMap<String, &'static str>>>;

/// A gateway that answers every INVITE 200 at once, ignores ACKs and answers BYE, until `stop`;
/// records where each number went in `routed`. Returns what it could not handle.
fn serve_gateway(peer: Peer, name: &'static str, routed: Routed, stop: Arc<AtomicBool>) -> JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let contact = format!("Contact: <sip:{name}@{}>\r\n", peer.addr());
        let mut problems = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let Some(message) = peer.recv(Duration::from_millis(20)) else { continue };
            match message.method() {
                Some("INVITE") => {
                    let uri = message.request_uri().unwrap_or_default();
                    let number = uri.trim_start_matches("sip:").split('@').next().unwrap_or_default().to_owned();
                    routed.lock().unwrap().insert(number, name);
                    let tag = format!("{name}-{}", message.call_id());
                    peer.respond(&message, 200, "OK", &tag, &contact, ANSWER);
                }
                Some("ACK") => {}
                Some("BYE") => peer.respond(&message, 200, "OK", "unused", "", ""),
                _ => problems.push(format!("{name}: unexpected\n{}", message.text)),
            }
        }
        problems
    })
}

/// One answered call, hung up by the caller; `Err` says how it went wrong (nothing within
/// [`WAIT`] = stuck).
fn answered_call(caller: &Peer, server: SocketAddr, number: &str, id: &str) -> Result<(), String> {
    let mut call = OutgoingCall::start(caller, server, &format!("sip:{number}@ringway.test"), id);
    let final_response = loop {
        let message = caller.recv_new(WAIT).ok_or_else(|| format!("{id}: stuck, no final response within {WAIT:?}"))?;
        if !call.is_invite_response(&message) {
            return Err(format!("{id}: unexpected\n{}", message.text));
        }
        if message.status().is_some_and(|s| s >= 200) {
            break message;
        }
    };
    call.ack(caller, &final_response);
    if final_response.status() != Some(200) {
        return Err(format!("{id}: {}", final_response.start_line()));
    }
    let cseq = call.bye(caller);
    match caller.recv_new(WAIT) {
        Some(m) if m.call_id() == call.call_id && m.cseq() == (cseq, "BYE") && m.status() == Some(200) => Ok(()),
        Some(m) => Err(format!("{id}: expected 200 to BYE, got\n{}", m.text)),
        None => Err(format!("{id}: stuck, no answer to BYE within {WAIT:?}")),
    }
}

/// Caller threads and the pace of each (one call started every `LOAD_PACE`), and the fewest
/// calls the reload test places.
const LOAD_THREADS: usize = 4;
const LOAD_PACE: Duration = Duration::from_millis(100);
const LOAD_MIN_CALLS: usize = 200;

/// Counts the reloads Ringway has finished (loaded or refused) by their log lines: a SIGHUP has
/// no answer to wait for.
fn reloads_done(ringway: &Ringway) -> usize {
    let log = ringway.stderr();
    log.matches("plugin chain reloaded").count() + log.matches("plugin reload refused").count()
}

/// Waits until Ringway has finished `count` reloads.
fn wait_reloads(ringway: &Ringway, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while reloads_done(ringway) < count {
        assert!(Instant::now() < deadline, "reload {count} never finished:\n{}", ringway.stderr());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn reloading_the_chain_by_sighup_and_http_while_calls_run_drops_no_call_and_a_chain_that_cannot_load_leaves_the_old_one_serving() {
    let gateway_a = Peer::bind("gateway a");
    let gateway_b = Peer::bind("gateway b");
    let (addr_a, addr_b) = (gateway_a.addr(), gateway_b.addr());
    // Chain A routes +7495 to gateway a; chain B (another plugin in front) to gateway b.
    let chain_a = lcr_entry("a", "b");
    let chain_b = entry("numbering", "numbering.wasm", ROOMY_DEADLINE) + &lcr_entry("b", "a");
    let broken = chain_a.replace("lcr.wasm", "missing.wasm");
    let ringway = Ringway::start_with_config(&config(&[("a", addr_a), ("b", addr_b)], &chain_a)).unwrap();
    let server = ringway.udp.unwrap();
    let http = ringway.http.unwrap();
    let config_path = ringway.config_path();
    let original = std::fs::read_to_string(&config_path).unwrap();
    let head = &original[..original.find("[[plugins]]").unwrap()];
    let write_chain = |plugins: &str| std::fs::write(&config_path, format!("{head}{plugins}")).unwrap();

    let routed: Routed = Arc::default();
    let stop_gateways = Arc::new(AtomicBool::new(false));
    let gateways = [
        serve_gateway(gateway_a, "a", routed.clone(), stop_gateways.clone()),
        serve_gateway(gateway_b, "b", routed.clone(), stop_gateways.clone()),
    ];

    // The load: each thread starts a call every LOAD_PACE until the reloads are over and the
    // threads have placed LOAD_MIN_CALLS between them.
    let reloading = Arc::new(AtomicBool::new(true));
    let load: Vec<JoinHandle<(usize, Vec<String>)>> = (0..LOAD_THREADS)
        .map(|t| {
            let reloading = reloading.clone();
            std::thread::spawn(move || {
                let caller = Peer::bind(&format!("caller {t}"));
                let started = Instant::now();
                let mut failures = Vec::new();
                let mut i = 0;
                while reloading.load(Ordering::Relaxed) || i < LOAD_MIN_CALLS / LOAD_THREADS {
                    let due = started + LOAD_PACE * i as u32;
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    if let Err(failure) = answered_call(&caller, server, &format!("+7495{t:03}{i:04}"), &format!("load-{t}-{i}")) {
                        failures.push(failure);
                    }
                    i += 1;
                }
                (i, failures)
            })
        })
        .collect();

    // A probe call from the test thread: which gateway does the chain in service pick?
    let prober = Peer::bind("prober");
    let mut probes = 0;
    let mut probe = || {
        probes += 1;
        let number = format!("+7495999{probes:04}");
        answered_call(&prober, server, &number, &format!("probe-{probes}")).unwrap();
        routed.lock().unwrap().get(&number).copied().unwrap()
    };

    let reload_started = Instant::now();
    let mut done = 0;
    let post = |expect_ok: bool| {
        let (status, body) = http_post(http, "/plugins/reload").unwrap();
        assert_eq!(status == 200, expect_ok, "POST /plugins/reload answered {status}: {body}");
        body
    };
    let sighup = |done: &mut usize| {
        ringway.signal("HUP").unwrap();
        *done += 1;
        wait_reloads(&ringway, *done);
    };
    assert_eq!(probe(), "a");
    write_chain(&chain_b);
    sighup(&mut done);
    assert_eq!(probe(), "b", "SIGHUP loaded chain B");
    write_chain(&chain_a);
    assert_eq!(post(true), "{\"plugins\":[\"lcr\"]}\n");
    done += 1;
    assert_eq!(probe(), "a", "POST loaded chain A");
    write_chain(&chain_b);
    assert_eq!(post(true), "{\"plugins\":[\"numbering\", \"lcr\"]}\n");
    done += 1;
    assert_eq!(probe(), "b");
    write_chain(&broken);
    let refusal = post(false);
    done += 1;
    assert!(refusal.contains("missing.wasm"), "the refusal names the file: {refusal}");
    assert_eq!(probe(), "b", "a chain that cannot load leaves the old one serving (POST)");
    sighup(&mut done);
    assert_eq!(probe(), "b", "a chain that cannot load leaves the old one serving (SIGHUP)");
    write_chain(&chain_a);
    sighup(&mut done);
    assert_eq!(probe(), "a");
    write_chain(&broken);
    post(false);
    done += 1;
    assert_eq!(reloads_done(&ringway), done);
    assert_eq!(probe(), "a");
    let reload_time = reload_started.elapsed();
    reloading.store(false, Ordering::Relaxed);

    let mut calls = 0;
    let mut failures = Vec::new();
    for thread in load {
        let (placed, failed) = thread.join().expect("a caller thread panicked");
        calls += placed;
        failures.extend(failed);
    }
    stop_gateways.store(true, Ordering::Relaxed);
    for gateway in gateways {
        failures.extend(gateway.join().expect("a gateway thread panicked"));
    }
    println!(
        "reload under load: {calls} calls (+{probes} probes) around 7 reloads (3 by SIGHUP, 4 by POST; 3 refused) in {:.2} s, {} failed",
        reload_time.as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed:\n{}\nringway's warnings:\n{}",
        failures.len(),
        failures.join("\n"),
        warnings(&ringway)
    );
    assert_eq!(routed.lock().unwrap().len(), calls + probes, "every call reached a gateway once");
    // Every call ended: none is left counted (the gauge settles once the gateways' BYE answers
    // are in, which they are: every caller got its own BYE answered after the B-leg's).
    let deadline = Instant::now() + Duration::from_secs(5);
    while metric(http, "ringway_calls").unwrap() != Some(0.0) {
        assert!(Instant::now() < deadline, "calls still counted active: {:?}", metric(http, "ringway_calls").unwrap());
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
}

/// One overflowed call through business-hours (closed every day) to `gateway`: returns the
/// plugin's `X-Ringway-Overflow-Count` on the INVITE the gateway got.
fn overflow_count(caller: &Peer, gateway: &Peer, server: SocketAddr, id: &str) -> String {
    let mut call = OutgoingCall::start(caller, server, "sip:+74951234567@ringway.test", id);
    let invite = gateway.expect_request("INVITE");
    gateway.respond(&invite, 486, "Busy Here", &format!("gw-{id}"), "", "");
    gateway.expect_request("ACK");
    let busy = call.expect_response(caller, 486);
    call.ack(caller, &busy);
    invite.header("X-Ringway-Overflow-Count").unwrap_or_else(|| panic!("{id}: no count\n{}", invite.text)).to_owned()
}

#[test]
fn what_a_plugin_puts_in_its_key_value_store_is_still_there_after_the_server_restarts() {
    let caller = Peer::bind("caller");
    let gateway = Peer::bind("overflow gateway");
    let data = ringway_tests::ScratchDir::new("plugin-kv").unwrap();
    let plugins = entry("business-hours", "business_hours.wasm", &format!("{ROOMY_DEADLINE}\n[plugins.settings]\noverflow = \"overflow\"\ndays = \"\"\n"));
    let config = config(&[("overflow", gateway.addr())], &plugins);

    let ringway = Ringway::start_with_config_in(&config, data.path()).unwrap();
    let server = ringway.udp.unwrap();
    let counts: Vec<String> = (0..3).map(|i| overflow_count(&caller, &gateway, server, &format!("before-{i}"))).collect();
    assert_eq!(counts, ["1", "2", "3"], "the plugin counts its overflowed calls in its store");
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
    assert!(data.path().join("plugins.redb").is_file(), "the store is a file in the data directory");

    let ringway = Ringway::start_with_config_in(&config, data.path()).unwrap();
    let server = ringway.udp.unwrap();
    assert_eq!(overflow_count(&caller, &gateway, server, "after"), "4", "the count goes on where it stopped");
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
}

/// The first line of ringway's log holding `needle`, waiting for it up to [`WAIT`] (the hooks
/// run beside the call, after the event that calls for them).
fn log_line(ringway: &Ringway, needle: &str) -> String {
    let until = Instant::now() + WAIT;
    loop {
        if let Some(line) = ringway.stderr().lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        assert!(Instant::now() < until, "no log line with {needle:?}:\n{}", ringway.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_plugin_with_billing_hooks_hears_of_the_answer_and_the_end_of_each_call_its_chain_was_asked_about() {
    const TALK: Duration = Duration::from_millis(300);
    let caller = Peer::bind("caller");
    let gateway = Peer::bind("gateway");
    let dear: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let guard = entry("prepaid-guard", "prepaid_guard.wasm", &format!("{ROOMY_DEADLINE}\nbilling_hooks = true\n"));
    let ringway = Ringway::start_with_config(&config(&[("cheap", gateway.addr()), ("dear", dear)], &(guard + &lcr_entry("cheap", "dear")))).unwrap();
    let server = ringway.udp.unwrap();

    // Answered by lcr's gateway, talked over, hung up by the caller.
    let mut call = OutgoingCall::start(&caller, server, "sip:+74951234567@ringway.test", "hooked-1");
    let invite = gateway.expect_request("INVITE");
    gateway.respond(&invite, 200, "OK", "gw-1", &format!("Contact: <sip:gw@{}>\r\n", gateway.addr()), ANSWER);
    gateway.expect_request("ACK");
    let ok = call.expect_response(&caller, 200);
    call.ack(&caller, &ok);
    let answered = log_line(&ringway, "call answered");
    assert!(answered.contains(r#"account="1001""#) && answered.contains(r#"gateway="cheap""#), "{answered}");
    std::thread::sleep(TALK);
    let cseq = call.bye(&caller);
    let bye = gateway.expect_request("BYE");
    gateway.respond(&bye, 200, "OK", "unused", "", "");
    call.expect_bye_response(&caller, cseq, 200);
    let ended = log_line(&ringway, "call ended");
    assert!(ended.contains(r#"status="200 OK""#), "{ended}");
    let talk_ms: u64 = ended.split(r#"talk_ms=""#).nth(1).and_then(|t| t.split('"').next()).and_then(|t| t.parse().ok()).unwrap_or_else(|| panic!("{ended}"));
    assert!(talk_ms >= TALK.as_millis() as u64 && talk_ms < 10_000, "talk time from answer to BYE: {ended}");

    // Refused: no rate covers +1, lcr continues and the tables answer; the hook hears the line.
    let (refused, _) = refused_call(&caller, server, "+12125551212", "hooked-2");
    assert_eq!(refused.start_line(), "SIP/2.0 404 Out of Order");
    let refused_end = log_line(&ringway, r#"status="404 Out of Order""#);
    assert!(refused_end.contains(r#"talk_ms="0""#) && refused_end.contains(&format!(r#"total_talk_ms="{talk_ms}""#)), "{refused_end}");
    assert_eq!(warnings(&ringway), "", "no hook failed");
    assert_eq!(ringway.stop().unwrap().code(), Some(0));
}
