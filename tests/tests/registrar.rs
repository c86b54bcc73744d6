//! The registrar as a phone sees it (RFC 3261 §10, §22; RFC 3327 Path; RFC 8760 digest
//! algorithms): digest registration with SHA-256 and MD5, queries, contact management, the
//! uniform answer to failed guesses, bans, expiry, bindings that survive `kill -9`, and a real
//! third-party UA (baresip) registering.

// Deadlines of bounded polls (expiry timers, a child process) read the real clock.
#![allow(clippy::disallowed_methods)]

use ringway_tests::digest::{Algorithm, challenges};
use ringway_tests::register::{RegisterClient, contacts, header_values};
use ringway_tests::{Ringway, ScratchDir, header, metric, request, status_of};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A config with UDP and HTTP on port 0, `extra` tables, and account 1001 / "secret" plus
/// `accounts` (whole `[[accounts]]` entries).
fn config(extra: &str, accounts: &str) -> String {
    format!(
        "[sip]\nlisten = [\"udp:127.0.0.1:0\"]\n[http]\nlisten = \"127.0.0.1:0\"\n{extra}\n[[accounts]]\nusername = \"1001\"\npassword = \"secret\"\n{accounts}"
    )
}

fn start(extra: &str) -> Ringway {
    Ringway::start_with_config(&config(extra, "")).unwrap()
}

fn client(ringway: &Ringway, algorithm: Algorithm) -> RegisterClient {
    RegisterClient::new(ringway.udp.unwrap(), "1001", "secret", algorithm).unwrap()
}

/// The contact values whose URI is `uri`.
fn bound<'a>(response: &'a str, uri: &str) -> Vec<&'a str> {
    contacts(response).into_iter().filter(|c| c.starts_with(&format!("<{uri}>"))).collect()
}

/// The `name=value` parameter of a Contact value.
fn param<'a>(contact: &'a str, name: &str) -> Option<&'a str> {
    contact.split(';').skip(1).find_map(|p| p.trim().strip_prefix(name)?.strip_prefix('='))
}

fn expires_of(contact: &str) -> u32 {
    param(contact, "expires").and_then(|e| e.parse().ok()).unwrap_or_else(|| panic!("no expires in {contact}"))
}

fn register_lists_the_binding_and_a_query_lists_it_too(algorithm: Algorithm) {
    let ringway = start("");
    let mut phone = client(&ringway, algorithm);
    let contact = phone.contact();

    let challenge = phone.register_unauthenticated(&format!("Contact: <{contact}>\r\nExpires: 3600\r\n")).unwrap();
    assert_eq!(status_of(&challenge), Some(401), "{challenge}");
    let offered: Vec<_> = challenges(&challenge).iter().map(|c| c.algorithm).collect();
    assert_eq!(offered, [Some(Algorithm::Sha256), Some(Algorithm::Md5)], "RFC 8760 §2.4: strongest first\n{challenge}");

    let ok = phone.register(&format!("Contact: <{contact}>\r\nExpires: 3600\r\n")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    let listed = bound(&ok, &contact);
    assert_eq!(listed.len(), 1, "{ok}");
    assert!((3590..=3600).contains(&expires_of(listed[0])), "{ok}");

    // §10.2.3: a REGISTER with no Contact asks for the bindings and changes none.
    let query = phone.register("").unwrap();
    assert_eq!(status_of(&query), Some(200), "{query}");
    assert_eq!(bound(&query, &contact).len(), 1, "{query}");
    assert_eq!(contacts(&query).len(), 1, "{query}");
    assert_eq!(metric(ringway.http.unwrap(), "ringway_registrations").unwrap(), Some(1.0));
}

#[test]
fn register_with_sha256_digest_lists_the_binding_and_a_query_lists_it_per_rfc3261_section_10_2_3() {
    register_lists_the_binding_and_a_query_lists_it_too(Algorithm::Sha256);
}

#[test]
fn register_with_md5_digest_lists_the_binding_and_a_query_lists_it_per_rfc3261_section_10_2_3() {
    register_lists_the_binding_and_a_query_lists_it_too(Algorithm::Md5);
}

/// Blanks what differs between two exchanges only because the client or a random draw chose it:
/// tags, nonces, its Via sent-by and branch, Call-ID, CSeq numbers, rport, Date, and the
/// username.
fn normalise(response: &str, username: &str) -> String {
    let blank_after = |line: &str, key: &str, stop: &[char]| -> String {
        let mut out = String::new();
        let mut rest = line;
        while let Some(at) = rest.find(key) {
            out.push_str(&rest[..at + key.len()]);
            out.push('…');
            rest = &rest[at + key.len()..];
            let end = rest.find(|c| stop.contains(&c)).unwrap_or(rest.len());
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    };
    response
        .split("\r\n")
        .map(|line| {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("call-id:") {
                return "Call-ID: …".to_owned();
            }
            if lower.starts_with("date:") {
                return "Date: …".to_owned();
            }
            if lower.starts_with("cseq:") {
                return blank_after(line, "CSeq: ", &[' ']);
            }
            let line = line.replace(username, "USER");
            let line = blank_after(&line, "SIP/2.0/UDP ", &[';']);
            let line = blank_after(&line, "tag=", &[';', ',', '>', ' ']);
            let line = blank_after(&line, "branch=", &[';', ',', ' ']);
            let line = blank_after(&line, "rport=", &[';', ',', ' ']);
            blank_after(&line, "nonce=\"", &['"'])
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn unknown_user_and_wrong_password_get_the_same_answer_per_rfc3261_section_22_and_no_enumeration() {
    let ringway = start("");
    let server = ringway.udp.unwrap();
    for algorithm in [Algorithm::Sha256, Algorithm::Md5] {
        let mut wrong = RegisterClient::new(server, "1001", "not-the-secret", algorithm).unwrap();
        let mut unknown = RegisterClient::new(server, "1999", "secret", algorithm).unwrap();
        let wrong_answer = wrong.register(&format!("Contact: <{}>\r\n", wrong.contact())).unwrap();
        let unknown_answer = unknown.register(&format!("Contact: <{}>\r\n", unknown.contact())).unwrap();
        assert_eq!(status_of(&wrong_answer), Some(401), "{wrong_answer}");
        assert_eq!(challenges(&wrong_answer).len(), 2, "a fresh challenge per algorithm\n{wrong_answer}");
        let wrong_text = normalise(&wrong_answer, "1001");
        let unknown_text = normalise(&unknown_answer, "1999");
        assert_eq!(wrong_text, unknown_text, "{algorithm}: the answers tell the two apart");
        // And both are the plain challenge anyone gets first.
        let mut fresh = RegisterClient::new(server, "1998", "x", algorithm).unwrap();
        let first = fresh.register_unauthenticated(&format!("Contact: <{}>\r\n", fresh.contact())).unwrap();
        assert_eq!(normalise(&first, "1998"), unknown_text);
    }
}

#[test]
fn several_contacts_with_q_values_are_bound_and_expires_zero_removes_one_per_rfc3261_section_10_2_1_and_10_2_2() {
    let ringway = start("");
    let mut phone = client(&ringway, Algorithm::Sha256);
    let (desk, mobile) = ("sip:1001@127.0.0.1:5071", "sip:1001@127.0.0.1:5072");
    let ok = phone.register(&format!("Contact: <{desk}>;q=0.9, <{mobile}>;q=0.1\r\nExpires: 600\r\n")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    assert_eq!(contacts(&ok).len(), 2, "{ok}");
    let q = |response: &str, uri: &str| -> f64 {
        let c = bound(response, uri);
        assert_eq!(c.len(), 1, "{uri} once in\n{response}");
        param(c[0], "q").and_then(|q| q.parse().ok()).unwrap_or_else(|| panic!("no q in {}", c[0]))
    };
    assert_eq!(q(&ok, desk), 0.9);
    assert_eq!(q(&ok, mobile), 0.1);
    assert!((590..=600).contains(&expires_of(bound(&ok, desk)[0])), "{ok}");

    let ok = phone.register(&format!("Contact: <{mobile}>;expires=0\r\n")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    assert_eq!(contacts(&ok).len(), 1, "{ok}");
    assert_eq!(q(&ok, desk), 0.9);

    let query = phone.register("").unwrap();
    assert_eq!(contacts(&query).len(), 1, "{query}");
    assert_eq!(bound(&query, desk).len(), 1, "{query}");
}

#[test]
fn contact_star_with_expires_zero_removes_every_binding_per_rfc3261_section_10_2_2() {
    let ringway = start("");
    let mut phone = client(&ringway, Algorithm::Sha256);
    let ok = phone.register("Contact: <sip:1001@127.0.0.1:5071>, <sip:1001@127.0.0.1:5072>\r\n").unwrap();
    assert_eq!(contacts(&ok).len(), 2, "{ok}");
    let ok = phone.register("Contact: *\r\nExpires: 0\r\n").unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    assert!(contacts(&ok).is_empty(), "{ok}");
    let query = phone.register("").unwrap();
    assert_eq!(status_of(&query), Some(200), "{query}");
    assert!(contacts(&query).is_empty(), "{query}");
    assert_eq!(metric(ringway.http.unwrap(), "ringway_registrations").unwrap(), Some(0.0));
}

#[test]
fn an_expiry_below_the_minimum_gets_423_with_min_expires_per_rfc3261_section_10_3_step_7() {
    let ringway = start("[registrar]\nmin_expires = 120");
    let mut phone = client(&ringway, Algorithm::Sha256);
    let contact = phone.contact();
    let answer = phone.register(&format!("Contact: <{contact}>\r\nExpires: 30\r\n")).unwrap();
    assert_eq!(status_of(&answer), Some(423), "{answer}");
    assert_eq!(header(&answer, "Min-Expires"), Some("120"), "{answer}");
    // The contact parameter counts as much as the header.
    let answer = phone.register(&format!("Contact: <{contact}>;expires=119\r\n")).unwrap();
    assert_eq!(status_of(&answer), Some(423), "{answer}");
    // Nothing was bound.
    let query = phone.register("").unwrap();
    assert!(contacts(&query).is_empty(), "{query}");
    // The retry the 423 asks for is accepted.
    let ok = phone.register(&format!("Contact: <{contact}>\r\nExpires: 120\r\n")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
}

#[test]
fn a_new_contact_beyond_max_contacts_gets_403_conflict_and_changes_nothing() {
    let ringway = Ringway::start_with_config(&config(
        "",
        "[[accounts]]\nusername = \"1002\"\npassword = \"secret2\"\nmax_contacts = 2\n",
    ))
    .unwrap();
    let mut phone = RegisterClient::new(ringway.udp.unwrap(), "1002", "secret2", Algorithm::Sha256).unwrap();
    let ok = phone.register("Contact: <sip:1002@127.0.0.1:5071>, <sip:1002@127.0.0.1:5072>\r\n").unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    let refused = phone.register("Contact: <sip:1002@127.0.0.1:5073>\r\n").unwrap();
    assert_eq!(status_of(&refused), Some(403), "{refused}");
    assert!(refused.starts_with("SIP/2.0 403 Conflict\r\n"), "{refused}");
    // Refreshing a contact already bound is not a new one.
    let refresh = phone.register("Contact: <sip:1002@127.0.0.1:5072>\r\n").unwrap();
    assert_eq!(status_of(&refresh), Some(200), "{refresh}");
    let query = phone.register("").unwrap();
    assert_eq!(contacts(&query).len(), 2, "{query}");
    assert!(bound(&query, "sip:1002@127.0.0.1:5073").is_empty(), "{query}");
}

#[test]
fn path_is_stored_and_echoed_in_the_200_per_rfc3327_section_5_3() {
    let data = ScratchDir::new("path").unwrap();
    let toml = config("", "");
    let ringway = Ringway::start_with_config_in(&toml, data.path()).unwrap();
    let mut phone = client(&ringway, Algorithm::Sha256);
    let contact = phone.contact();
    let paths = "Path: <sip:edge1.example.net;lr>\r\nPath: <sip:edge2.example.net;lr>\r\nSupported: path\r\n";
    let ok = phone.register(&format!("Contact: <{contact}>\r\n{paths}")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    assert_eq!(header_values(&ok, "Path"), ["<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr>"], "{ok}");
    // Stored with the binding: a restart on the same data still lists the binding. (The stored
    // Path itself shows only once requests are routed to the AOR; a query echoes only its own.)
    ringway.stop().unwrap();
    let ringway = Ringway::start_with_config_in(&toml, data.path()).unwrap();
    let mut phone = RegisterClient::new(ringway.udp.unwrap(), "1001", "secret", Algorithm::Sha256).unwrap();
    let query = phone.register("").unwrap();
    assert_eq!(bound(&query, &contact).len(), 1, "{query}");
}

#[test]
fn bindings_that_got_200_survive_kill_9_per_rfc3261_section_10_3_durability() {
    const ACCOUNTS: usize = 400;
    const KILL_AFTER: usize = 250;
    const THREADS: usize = 4;
    let accounts: String = (0..ACCOUNTS).map(|i| format!("[[accounts]]\nusername = \"u{i}\"\npassword = \"p{i}\"\n")).collect();
    let toml = config("", &accounts);
    let data = ScratchDir::new("durability").unwrap();
    let ringway = Ringway::start_with_config_in(&toml, data.path()).unwrap();
    let server = ringway.udp.unwrap();

    // Every AOR that got a 200 listing its contact, with that contact.
    let registered: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let (ok_tx, ok_rx) = mpsc::channel::<()>();
    let killed = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (registered, ok_tx, killed) = (registered.clone(), ok_tx.clone(), killed.clone());
            std::thread::spawn(move || {
                for i in (t..ACCOUNTS).step_by(THREADS) {
                    if killed.load(Ordering::Relaxed) {
                        break;
                    }
                    let mut phone = RegisterClient::new(server, &format!("u{i}"), &format!("p{i}"), Algorithm::Sha256).unwrap();
                    let contact = phone.contact();
                    // After the kill, requests fail (ICMP port unreachable) or time out: fine.
                    let Ok(answer) = phone.register(&format!("Contact: <{contact}>\r\nExpires: 3600\r\n")) else { continue };
                    if status_of(&answer) == Some(200) {
                        assert_eq!(bound(&answer, &contact).len(), 1, "{answer}");
                        registered.lock().unwrap().push((i, contact));
                        let _ = ok_tx.send(());
                    } else {
                        assert!(killed.load(Ordering::Relaxed), "u{i} refused before the kill:\n{answer}");
                    }
                }
            })
        })
        .collect();
    drop(ok_tx);
    // The workers report each 200 as it arrives; SIGKILL goes out right after the KILL_AFTER-th.
    let started = Instant::now();
    for n in 0..KILL_AFTER {
        ok_rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("only {n} 200s"));
    }
    let at_kill = KILL_AFTER;
    ringway.stop_with("KILL").unwrap();
    killed.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let registered = registered.lock().unwrap().clone();
    eprintln!(
        "{} of {ACCOUNTS} AORs got 200 ({at_kill} when SIGKILL was sent) in {:?}",
        registered.len(),
        started.elapsed()
    );
    assert!(registered.len() < ACCOUNTS, "the kill came after every registration: nothing was in flight");

    let ringway = Ringway::start_with_config_in(&toml, data.path()).unwrap();
    let server = ringway.udp.unwrap();
    let mut lost = Vec::new();
    for (i, contact) in &registered {
        let mut phone = RegisterClient::new(server, &format!("u{i}"), &format!("p{i}"), Algorithm::Sha256).unwrap();
        let query = phone.register("").unwrap();
        assert_eq!(status_of(&query), Some(200), "{query}");
        if bound(&query, contact).is_empty() {
            lost.push(format!("u{i}"));
        }
    }
    assert!(lost.is_empty(), "{} of {} acknowledged bindings lost: {lost:?}", lost.len(), registered.len());
    let loaded = metric(ringway.http.unwrap(), "ringway_registrations").unwrap().unwrap();
    assert!(loaded >= registered.len() as f64, "{loaded} bindings loaded, {} acknowledged", registered.len());
}

#[test]
fn a_source_failing_too_often_is_banned_and_gets_silence_while_others_are_answered() {
    let ringway = start("[security]\nban_after_failures = 3");
    let server = ringway.udp.unwrap();
    let mut guesser = RegisterClient::new(server, "1001", "guess", Algorithm::Sha256).unwrap();
    for n in 1..=3 {
        let answer = guesser.register(&format!("Contact: <{}>\r\n", guesser.contact())).unwrap();
        assert_eq!(status_of(&answer), Some(401), "guess {n}:\n{answer}");
    }
    // Banned now: a REGISTER from 127.0.0.1 goes unanswered…
    let (banned, _) = guesser.build(&format!("Contact: <{}>\r\n", guesser.contact()), None);
    guesser.send_raw(&banned).unwrap();
    // …while an OPTIONS sent after it from another address (127.0.0.2) is answered: Ringway has
    // read past the banned request by the time this answer comes.
    let other = UdpSocket::bind("127.0.0.2:0").unwrap();
    other.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let via = other.local_addr().unwrap().to_string();
    other.send_to(request("OPTIONS", &format!("sip:{server}"), "probe1", &via, "UDP", "").as_bytes(), server).unwrap();
    let mut buf = [0u8; 65535];
    let (n, _) = other.recv_from(&mut buf).expect("the other source is answered");
    assert_eq!(status_of(&String::from_utf8_lossy(&buf[..n])), Some(200));
    let silence = guesser.recv_within(Duration::from_millis(300)).unwrap();
    assert!(silence.is_none(), "the banned source was answered: {silence:?}");
    // Even the right password gets nothing now.
    let mut rightful = RegisterClient::new(server, "1001", "secret", Algorithm::Sha256).unwrap();
    let (message, _) = rightful.build("", None);
    rightful.send_raw(&message).unwrap();
    assert!(rightful.recv_within(Duration::from_millis(300)).unwrap().is_none());
    assert_eq!(metric(ringway.http.unwrap(), "ringway_bans_total").unwrap(), Some(1.0));
}

#[test]
fn a_binding_is_gone_once_its_expiry_passes_per_rfc3261_section_10_2_1() {
    let ringway = start("[registrar]\nmin_expires = 1");
    let mut phone = client(&ringway, Algorithm::Sha256);
    let contact = phone.contact();
    let ok = phone.register(&format!("Contact: <{contact}>\r\nExpires: 1\r\n")).unwrap();
    assert_eq!(status_of(&ok), Some(200), "{ok}");
    assert!(expires_of(bound(&ok, &contact)[0]) <= 1, "{ok}");
    // Waits for the registrar's expiry timer (not for a packet): poll the query to a deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let query = phone.register("").unwrap();
        assert_eq!(status_of(&query), Some(200), "{query}");
        if contacts(&query).is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still bound after 5 s:\n{query}");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while metric(ringway.http.unwrap(), "ringway_registrations").unwrap() != Some(0.0) {
        assert!(Instant::now() < deadline, "the gauge still counts the expired binding");
    }
}

/// Polls `/metrics` until `name` reads `value` or `within` passes.
fn wait_for_metric(http: SocketAddr, name: &str, value: f64, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if metric(http, name).ok().flatten() == Some(value) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::yield_now();
    }
}

/// Kills a child process on drop, so a failing assertion does not leave it running.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn baresip_registers_with_digest_and_unregisters_on_exit() {
    assert!(
        std::process::Command::new("baresip").arg("-h").output().is_ok(),
        "baresip is not installed: `make deps` installs the Debian package baresip-core"
    );
    // Debian 12's baresip 1.0.0 (libre 1.1) knows only MD5 and gives up on the whole 401 when
    // the first challenge is SHA-256 ("Register: Function not implemented") instead of taking
    // the first one it supports (RFC 8760 §2.4), so this account's Ringway offers MD5 alone.
    let ringway = start("[auth]\nalgorithms = [\"MD5\"]");
    let http = ringway.http.unwrap();
    let dir = ScratchDir::new("baresip").unwrap();
    // No audio modules: registering needs none. No UI module: headless. Only loopback.
    std::fs::write(
        dir.path().join("config"),
        "poll_method epoll\nsip_listen 127.0.0.1:0\nnet_interface 127.0.0.1\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule_app account.so\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("accounts"),
        format!("<sip:1001@{};transport=udp>;auth_pass=secret;regint=60\n", ringway.udp.unwrap()),
    )
    .unwrap();
    std::fs::write(dir.path().join("contacts"), "").unwrap();
    let log = std::fs::File::create(dir.path().join("baresip.log")).unwrap();
    let baresip = std::process::Command::new("baresip")
        .arg("-f")
        .arg(dir.path())
        .arg("-t")
        .arg("60")
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let baresip = Reaped(baresip);
    let registered = wait_for_metric(http, "ringway_registrations", 1.0, Duration::from_secs(15));
    let read_log = || std::fs::read_to_string(dir.path().join("baresip.log")).unwrap_or_default();
    assert!(registered, "baresip did not register; its log:\n{}\nringway:\n{}", read_log(), ringway.stderr());
    // SIGTERM: baresip unregisters (Expires 0, RFC 3261 §10.2.2) before it exits.
    let status = std::process::Command::new("kill").arg("-TERM").arg(baresip.0.id().to_string()).status().unwrap();
    assert!(status.success());
    assert!(
        wait_for_metric(http, "ringway_registrations", 0.0, Duration::from_secs(15)),
        "baresip's unregistration was not applied; its log:\n{}",
        read_log()
    );
    drop(baresip);
}
