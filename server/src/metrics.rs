//! Process-wide counters and gauges, rendered in the Prometheus text exposition format (0.0.4).
//!
//! Every series is a fixed atomic slot chosen by an index computed from the label (method, status
//! code, reason), so the hot paths (one call per SIP message) never lock or allocate; only
//! [`Metrics::render`], called per scrape, builds a string. Counters use `Relaxed` ordering: a
//! scrape needs each value to be eventually right, not a consistent snapshot across series.
//!
//! Not here: histograms, per-peer or per-trunk series (unbounded label sets belong elsewhere).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Instant;

/// Methods counted under their own label; anything else counts as `other`.
const METHODS: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "OPTIONS",
    "REGISTER",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
];
/// Slot of the `other` method label.
const OTHER_METHOD: usize = METHODS.len();
const METHOD_SLOTS: usize = METHODS.len() + 1;

/// Status codes 100..=699 get a slot each; anything else (malformed) lands in slot 0 as `other`.
const STATUS_SLOTS: usize = 601;

/// Transport labels of parse errors; anything else counts as `other`.
const TRANSPORTS: [&str; 5] = ["udp", "tcp", "tls", "ws", "wss"];
const TRANSPORT_SLOTS: usize = TRANSPORTS.len() + 1;

/// Why an incoming message was dropped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// A response that could not be parsed (RFC 3261 §18.1.2: discarded, never answered).
    MalformedResponse,
    /// A datagram larger than `sip.max_message_size`.
    TooLarge,
    /// A response matching no client transaction (RFC 3261 §18.1.2).
    StrayResponse,
    /// An ACK matching no transaction or dialog.
    StrayAck,
    /// A message from a broadcast or multicast source.
    Broadcast,
    /// Shed because a shard's queue was full.
    Overload,
    /// A TCP connection refused at `sip.tcp_max_connections`.
    ConnectionLimit,
    /// A request from a banned source (silence is the answer).
    Banned,
    /// A request from a known scanner's User-Agent.
    Scanner,
}

impl DropReason {
    const ALL: [DropReason; 9] = [
        DropReason::MalformedResponse,
        DropReason::TooLarge,
        DropReason::StrayResponse,
        DropReason::StrayAck,
        DropReason::Broadcast,
        DropReason::Overload,
        DropReason::ConnectionLimit,
        DropReason::Banned,
        DropReason::Scanner,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::MalformedResponse => "malformed_response",
            DropReason::TooLarge => "too_large",
            DropReason::StrayResponse => "stray_response",
            DropReason::StrayAck => "stray_ack",
            DropReason::Broadcast => "broadcast",
            DropReason::Overload => "overload",
            DropReason::ConnectionLimit => "connection_limit",
            DropReason::Banned => "banned",
            DropReason::Scanner => "scanner",
        }
    }
}

/// The daemon's metrics; share one instance as `Arc<Metrics>`.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    requests_in: [AtomicU64; METHOD_SLOTS],
    requests_out: [AtomicU64; METHOD_SLOTS],
    responses_in: [AtomicU64; STATUS_SLOTS],
    responses_out: [AtomicU64; STATUS_SLOTS],
    parse_errors: [AtomicU64; TRANSPORT_SLOTS],
    dropped: [AtomicU64; DropReason::ALL.len()],
    retransmissions_sent_request: AtomicU64,
    retransmissions_sent_response: AtomicU64,
    retransmissions_absorbed: AtomicU64,
    transactions: AtomicI64,
    tcp_connections: AtomicI64,
    bans: AtomicU64,
    banned_sources: AtomicI64,
    auth_failures: AtomicU64,
    registrations: AtomicI64,
    calls_ended: [AtomicU64; STATUS_SLOTS],
    calls_active: AtomicI64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// All counters at zero; uptime counts from now.
    pub fn new() -> Metrics {
        Metrics {
            #[allow(clippy::disallowed_methods)] // the shell's clock: process start for uptime
            started: Instant::now(),
            requests_in: std::array::from_fn(|_| AtomicU64::new(0)),
            requests_out: std::array::from_fn(|_| AtomicU64::new(0)),
            responses_in: std::array::from_fn(|_| AtomicU64::new(0)),
            responses_out: std::array::from_fn(|_| AtomicU64::new(0)),
            parse_errors: std::array::from_fn(|_| AtomicU64::new(0)),
            dropped: std::array::from_fn(|_| AtomicU64::new(0)),
            retransmissions_sent_request: AtomicU64::new(0),
            retransmissions_sent_response: AtomicU64::new(0),
            retransmissions_absorbed: AtomicU64::new(0),
            transactions: AtomicI64::new(0),
            tcp_connections: AtomicI64::new(0),
            bans: AtomicU64::new(0),
            banned_sources: AtomicI64::new(0),
            auth_failures: AtomicU64::new(0),
            registrations: AtomicI64::new(0),
            calls_ended: std::array::from_fn(|_| AtomicU64::new(0)),
            calls_active: AtomicI64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
        }
    }

    /// A request arrived (counted once per message, retransmissions included).
    pub fn request_in(&self, method: &str) {
        bump(&self.requests_in[method_slot(method)], 1);
    }

    /// A request was sent.
    pub fn request_out(&self, method: &str) {
        bump(&self.requests_out[method_slot(method)], 1);
    }

    /// A response arrived.
    pub fn response_in(&self, code: u16) {
        bump(&self.responses_in[status_slot(code)], 1);
    }

    /// A response was sent.
    pub fn response_out(&self, code: u16) {
        bump(&self.responses_out[status_slot(code)], 1);
    }

    /// A message could not be parsed; `transport` is the lower-case transport name.
    pub fn parse_error(&self, transport: &'static str) {
        let slot = TRANSPORTS.iter().position(|t| *t == transport).unwrap_or(TRANSPORTS.len());
        bump(&self.parse_errors[slot], 1);
    }

    /// A call started (admitted).
    pub fn call_started(&self) {
        self.calls_active.fetch_add(1, Ordering::Relaxed);
    }

    /// A call ended; `status` is what the caller got (200 for answered calls).
    pub fn call_ended(&self, status: u16) {
        self.calls_active.fetch_sub(1, Ordering::Relaxed);
        bump(&self.calls_ended[status_slot(status)], 1);
    }

    /// A message was dropped without an answer.
    pub fn dropped(&self, reason: DropReason) {
        bump(&self.dropped[reason as usize], 1);
    }

    /// We retransmitted a request (`false`) or a response (`true`) on a timer.
    pub fn retransmission_sent(&self, is_response: bool) {
        self.retransmissions_sent_add(is_response, 1);
    }

    /// We retransmitted `n` requests (`false`) or responses (`true`) on a timer.
    pub fn retransmissions_sent_add(&self, is_response: bool, n: u64) {
        let counter = if is_response {
            &self.retransmissions_sent_response
        } else {
            &self.retransmissions_sent_request
        };
        bump(counter, n);
    }

    /// A peer's retransmission was answered from transaction state, not passed up.
    pub fn retransmission_absorbed(&self) {
        self.retransmissions_absorbed_add(1);
    }

    /// `n` peer retransmissions were answered from transaction state.
    pub fn retransmissions_absorbed_add(&self, n: u64) {
        bump(&self.retransmissions_absorbed, n);
    }

    /// Live transactions changed by `delta`.
    pub fn transactions_add(&self, delta: i64) {
        self.transactions.fetch_add(delta, Ordering::Relaxed);
    }

    /// Open TCP connections changed by `delta`.
    pub fn tcp_connections_add(&self, delta: i64) {
        self.tcp_connections.fetch_add(delta, Ordering::Relaxed);
    }

    /// A source was banned (guessing passwords or flooding).
    pub fn ban_started(&self) {
        bump(&self.bans, 1);
        self.banned_sources.fetch_add(1, Ordering::Relaxed);
    }

    /// A ban ran out.
    pub fn ban_ended(&self) {
        self.banned_sources.fetch_sub(1, Ordering::Relaxed);
    }

    /// A request failed digest authentication.
    pub fn auth_failure(&self) {
        bump(&self.auth_failures, 1);
    }

    /// Registered contacts changed by `delta`.
    pub fn registrations_add(&self, delta: i64) {
        self.registrations.fetch_add(delta, Ordering::Relaxed);
    }

    /// SIP bytes received on any transport.
    pub fn bytes_in(&self, n: usize) {
        bump(&self.bytes_in, n as u64);
    }

    /// SIP bytes sent on any transport.
    pub fn bytes_out(&self, n: usize) {
        bump(&self.bytes_out, n as u64);
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        header(&mut out, "ringway_uptime_seconds", "gauge", "Seconds since the process started.");
        let uptime = self.started.elapsed().as_secs_f64();
        let _ = writeln!(out, "ringway_uptime_seconds {uptime:.3}");

        render_methods(
            &mut out,
            "ringway_sip_requests_received_total",
            "SIP requests received, by method.",
            &self.requests_in,
        );
        render_methods(
            &mut out,
            "ringway_sip_requests_sent_total",
            "SIP requests sent, by method.",
            &self.requests_out,
        );
        render_statuses(
            &mut out,
            "ringway_sip_responses_received_total",
            "SIP responses received, by status code.",
            &self.responses_in,
        );
        render_statuses(
            &mut out,
            "ringway_sip_responses_sent_total",
            "SIP responses sent, by status code.",
            &self.responses_out,
        );

        header(
            &mut out,
            "ringway_sip_parse_errors_total",
            "counter",
            "SIP messages that could not be parsed, by transport.",
        );
        let transports = TRANSPORTS.iter().copied().chain(["other"]);
        for (name, counter) in transports.zip(&self.parse_errors) {
            let _ = writeln!(
                out,
                "ringway_sip_parse_errors_total{{transport=\"{name}\"}} {}",
                load(counter)
            );
        }

        header(
            &mut out,
            "ringway_sip_dropped_total",
            "counter",
            "SIP messages dropped without an answer, by reason.",
        );
        for (reason, counter) in DropReason::ALL.iter().zip(&self.dropped) {
            let _ = writeln!(
                out,
                "ringway_sip_dropped_total{{reason=\"{}\"}} {}",
                reason.as_str(),
                load(counter)
            );
        }

        header(
            &mut out,
            "ringway_sip_retransmissions_total",
            "counter",
            "SIP retransmissions: sent on our timers, or absorbed from peers by transaction state.",
        );
        for (labels, counter) in [
            ("direction=\"sent\",kind=\"request\"", &self.retransmissions_sent_request),
            ("direction=\"sent\",kind=\"response\"", &self.retransmissions_sent_response),
            ("direction=\"absorbed\",kind=\"request\"", &self.retransmissions_absorbed),
        ] {
            let _ =
                writeln!(out, "ringway_sip_retransmissions_total{{{labels}}} {}", load(counter));
        }

        header(&mut out, "ringway_sip_transactions", "gauge", "Live SIP transactions.");
        let _ =
            writeln!(out, "ringway_sip_transactions {}", self.transactions.load(Ordering::Relaxed));
        header(&mut out, "ringway_tcp_connections", "gauge", "Open SIP TCP connections.");
        let _ = writeln!(
            out,
            "ringway_tcp_connections {}",
            self.tcp_connections.load(Ordering::Relaxed)
        );
        header(&mut out, "ringway_bans_total", "counter", "Sources banned since start.");
        let _ = writeln!(out, "ringway_bans_total {}", load(&self.bans));
        header(&mut out, "ringway_banned_sources", "gauge", "Sources banned now.");
        let _ = writeln!(out, "ringway_banned_sources {}", self.banned_sources.load(Ordering::Relaxed));
        header(&mut out, "ringway_auth_failures_total", "counter", "Failed digest authentications.");
        let _ = writeln!(out, "ringway_auth_failures_total {}", load(&self.auth_failures));
        header(&mut out, "ringway_registrations", "gauge", "Registered contacts (bindings).");
        let _ = writeln!(out, "ringway_registrations {}", self.registrations.load(Ordering::Relaxed));
        header(&mut out, "ringway_calls", "gauge", "Calls in progress.");
        let _ = writeln!(out, "ringway_calls {}", self.calls_active.load(Ordering::Relaxed));
        render_statuses(&mut out, "ringway_calls_ended_total", "Calls ended, by the status the caller got.", &self.calls_ended);
        header(&mut out, "ringway_sip_received_bytes_total", "counter", "SIP bytes received.");
        let _ = writeln!(out, "ringway_sip_received_bytes_total {}", load(&self.bytes_in));
        header(&mut out, "ringway_sip_sent_bytes_total", "counter", "SIP bytes sent.");
        let _ = writeln!(out, "ringway_sip_sent_bytes_total {}", load(&self.bytes_out));
        out
    }
}

fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

/// Method names are case-sensitive (RFC 3261 §7.1), so `invite` is an extension method.
fn method_slot(method: &str) -> usize {
    METHODS.iter().position(|m| *m == method).unwrap_or(OTHER_METHOD)
}

fn status_slot(code: u16) -> usize {
    match code {
        100..=699 => usize::from(code) - 99,
        _ => 0,
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn render_methods(out: &mut String, name: &str, help: &str, counters: &[AtomicU64]) {
    header(out, name, "counter", help);
    for (method, counter) in METHODS.iter().copied().chain(["other"]).zip(counters) {
        let _ = writeln!(out, "{name}{{method=\"{method}\"}} {}", load(counter));
    }
}

/// Only codes seen are printed: 600 zero series per family would swamp every scrape.
fn render_statuses(out: &mut String, name: &str, help: &str, counters: &[AtomicU64]) {
    header(out, name, "counter", help);
    for (slot, counter) in counters.iter().enumerate().skip(1) {
        let value = load(counter);
        if value != 0 {
            let _ = writeln!(out, "{name}{{status=\"{}\"}} {value}", slot + 99);
        }
    }
    let other = load(&counters[0]);
    if other != 0 {
        let _ = writeln!(out, "{name}{{status=\"other\"}} {other}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, series: &str) -> Option<String> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ').map(str::to_owned))
    }

    #[test]
    fn fresh_metrics_render_zero_counters_with_help_and_type_lines() {
        let text = Metrics::new().render();
        assert!(text.contains("# HELP ringway_sip_requests_received_total "));
        assert!(text.contains("# TYPE ringway_sip_requests_received_total counter\n"));
        assert!(text.contains("# TYPE ringway_sip_transactions gauge\n"));
        assert_eq!(
            sample(&text, "ringway_sip_requests_received_total{method=\"INVITE\"}").as_deref(),
            Some("0")
        );
        assert_eq!(sample(&text, "ringway_tcp_connections").as_deref(), Some("0"));
        assert!(sample(&text, "ringway_uptime_seconds").is_some());
    }

    #[test]
    fn every_sample_line_belongs_to_a_family_declared_before_it() {
        let metrics = Metrics::new();
        metrics.response_out(486);
        let text = metrics.render();
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(declared.iter().any(|d| d == name), "{line} has no TYPE line");
            }
        }
    }

    #[test]
    fn requests_are_counted_by_method_and_unknown_methods_as_other() {
        let metrics = Metrics::new();
        metrics.request_in("INVITE");
        metrics.request_in("INVITE");
        metrics.request_in("FOO");
        metrics.request_in("invite"); // RFC 3261 §7.1: methods are case-sensitive
        metrics.request_out("BYE");
        let text = metrics.render();
        assert_eq!(
            sample(&text, "ringway_sip_requests_received_total{method=\"INVITE\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            sample(&text, "ringway_sip_requests_received_total{method=\"other\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            sample(&text, "ringway_sip_requests_sent_total{method=\"BYE\"}").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn only_status_codes_seen_are_rendered() {
        let metrics = Metrics::new();
        metrics.response_out(200);
        metrics.response_out(486);
        metrics.response_out(486);
        metrics.response_in(699);
        metrics.response_in(100);
        metrics.response_in(42);
        let text = metrics.render();
        assert_eq!(
            sample(&text, "ringway_sip_responses_sent_total{status=\"486\"}").as_deref(),
            Some("2")
        );
        assert_eq!(
            sample(&text, "ringway_sip_responses_sent_total{status=\"200\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "ringway_sip_responses_received_total{status=\"699\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "ringway_sip_responses_received_total{status=\"100\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "ringway_sip_responses_received_total{status=\"other\"}").as_deref(),
            Some("1")
        );
        assert_eq!(text.matches("ringway_sip_responses_sent_total{").count(), 2);
    }

    #[test]
    fn drops_parse_errors_and_retransmissions_have_their_own_labels() {
        let metrics = Metrics::new();
        metrics.dropped(DropReason::TooLarge);
        metrics.dropped(DropReason::ConnectionLimit);
        metrics.parse_error("udp");
        metrics.parse_error("sctp");
        metrics.retransmission_sent(false);
        metrics.retransmission_sent(true);
        metrics.retransmission_sent(true);
        metrics.retransmission_absorbed();
        let text = metrics.render();
        assert_eq!(
            sample(&text, "ringway_sip_dropped_total{reason=\"too_large\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "ringway_sip_dropped_total{reason=\"connection_limit\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "ringway_sip_dropped_total{reason=\"overload\"}").as_deref(),
            Some("0")
        );
        assert_eq!(
            sample(&text, "ringway_sip_parse_errors_total{transport=\"udp\"}").as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, "ringway_sip_parse_errors_total{transport=\"other\"}").as_deref(),
            Some("1")
        );
        let retrans = "ringway_sip_retransmissions_total";
        assert_eq!(
            sample(&text, &format!("{retrans}{{direction=\"sent\",kind=\"request\"}}")).as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(&text, &format!("{retrans}{{direction=\"sent\",kind=\"response\"}}")).as_deref(),
            Some("2")
        );
        assert_eq!(
            sample(&text, &format!("{retrans}{{direction=\"absorbed\",kind=\"request\"}}"))
                .as_deref(),
            Some("1")
        );
    }

    #[test]
    fn gauges_go_up_and_down_and_byte_counters_add_up() {
        let metrics = Metrics::new();
        metrics.transactions_add(3);
        metrics.transactions_add(-1);
        metrics.tcp_connections_add(1);
        metrics.tcp_connections_add(-1);
        metrics.bytes_in(100);
        metrics.bytes_in(20);
        metrics.bytes_out(7);
        let text = metrics.render();
        assert_eq!(sample(&text, "ringway_sip_transactions").as_deref(), Some("2"));
        assert_eq!(sample(&text, "ringway_tcp_connections").as_deref(), Some("0"));
        assert_eq!(sample(&text, "ringway_sip_received_bytes_total").as_deref(), Some("120"));
        assert_eq!(sample(&text, "ringway_sip_sent_bytes_total").as_deref(), Some("7"));
    }

    #[test]
    fn counters_from_many_threads_are_not_lost() {
        let metrics = std::sync::Arc::new(Metrics::new());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let metrics = metrics.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| metrics.request_in("OPTIONS")))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let text = metrics.render();
        assert_eq!(
            sample(&text, "ringway_sip_requests_received_total{method=\"OPTIONS\"}").as_deref(),
            Some("4000")
        );
    }
}
