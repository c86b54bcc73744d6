//! Flood and guessing defence at the door (like Kamailio's pike plus fail2ban): sources that fail
//! authentication too often, or send too fast, are banned and get silence; known scanner
//! User-Agents are dropped.
//!
//! Shell state shared by every receive loop and shard, striped by source address so that the
//! locks are short and rarely contended. It holds at most [`MAX_SOURCES_PER_STRIPE`] sources per
//! stripe; beyond that, sources with nothing against them are forgotten first, so a spoofed
//! flood cannot grow it without bound.

#![allow(clippy::disallowed_methods)] // the shell's clock: ban and rate windows

use crate::config::SecuritySettings;
use crate::metrics::Metrics;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::warn;

const STRIPES: usize = 64;
/// Sources remembered per stripe before idle ones are forgotten.
pub const MAX_SOURCES_PER_STRIPE: usize = 16 * 1024;

#[derive(Debug, Default, Clone, Copy)]
struct Source {
    failures: u32,
    failures_since: Option<Instant>,
    requests: u32,
    requests_since: Option<Instant>,
    banned_until: Option<Instant>,
}

/// Whether a request may enter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Let it in.
    Pass,
    /// Drop it silently: the source is banned (or just got banned for flooding).
    Banned,
}

/// The ban table.
#[derive(Debug)]
pub struct Guard {
    settings: SecuritySettings,
    stripes: Vec<Mutex<HashMap<IpAddr, Source>>>,
    hasher: std::collections::hash_map::RandomState,
    /// Bans in force (approximately): lets the hot path skip the lock when nobody is banned.
    active_bans: AtomicUsize,
    metrics: Arc<Metrics>,
}

impl Guard {
    /// A guard applying `settings`.
    pub fn new(settings: SecuritySettings, metrics: Arc<Metrics>) -> Guard {
        Guard {
            settings,
            stripes: (0..STRIPES).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: Default::default(),
            active_bans: AtomicUsize::new(0),
            metrics,
        }
    }

    fn stripe(&self, ip: IpAddr) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Source>> {
        self.stripes[(self.hasher.hash_one(ip) as usize) % STRIPES].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn exempt(&self, ip: IpAddr) -> bool {
        self.settings.exempt_networks.iter().any(|n| n.contains(&ip))
    }

    /// Checks a request from `ip`: banned sources are dropped, and with a rate limit set, a
    /// source over it is banned.
    pub fn admit(&self, ip: IpAddr) -> Admission {
        let rate_limited = self.settings.rate_limit_requests > 0;
        if !rate_limited && self.active_bans.load(Ordering::Relaxed) == 0 {
            return Admission::Pass;
        }
        if self.exempt(ip) {
            return Admission::Pass;
        }
        let now = Instant::now();
        let mut stripe = self.stripe(ip);
        if !rate_limited && !stripe.contains_key(&ip) {
            return Admission::Pass;
        }
        let entry = stripe.entry(ip).or_default();
        if let Some(until) = entry.banned_until {
            if until > now {
                return Admission::Banned;
            }
            entry.banned_until = None;
            self.active_bans.fetch_sub(1, Ordering::Relaxed);
            self.metrics.ban_ended();
        }
        if rate_limited {
            let window = self.settings.rate_limit_window;
            if entry.requests_since.is_none_or(|since| now.duration_since(since) >= window) {
                entry.requests_since = Some(now);
                entry.requests = 0;
            }
            entry.requests += 1;
            if entry.requests > self.settings.rate_limit_requests {
                self.ban(ip, entry, now, "request rate");
                return Admission::Banned;
            }
        }
        let over = stripe.len() > MAX_SOURCES_PER_STRIPE;
        if over {
            stripe.retain(|_, s| s.banned_until.is_some_and(|u| u > now) || s.failures > 0);
        }
        Admission::Pass
    }

    /// Records an authentication failure from `ip`; enough of them within the window ban it.
    pub fn record_failure(&self, ip: IpAddr) {
        self.metrics.auth_failure();
        if self.settings.ban_after_failures == 0 || self.exempt(ip) {
            return;
        }
        let now = Instant::now();
        let mut stripe = self.stripe(ip);
        let entry = stripe.entry(ip).or_default();
        if entry.failures_since.is_none_or(|since| now.duration_since(since) >= self.settings.failure_window) {
            entry.failures_since = Some(now);
            entry.failures = 0;
        }
        entry.failures += 1;
        if entry.failures >= self.settings.ban_after_failures && entry.banned_until.is_none() {
            self.ban(ip, entry, now, "authentication failures");
        }
    }

    fn ban(&self, ip: IpAddr, entry: &mut Source, now: Instant, why: &'static str) {
        if entry.banned_until.is_none() {
            self.active_bans.fetch_add(1, Ordering::Relaxed);
            self.metrics.ban_started();
            // Logged once per ban, not per dropped request.
            warn!(source = %ip, reason = why, seconds = self.settings.ban.as_secs(), "source banned");
        }
        entry.banned_until = Some(now + self.settings.ban);
        entry.failures = 0;
        entry.requests = 0;
    }

    /// Whether a User-Agent is one of the configured scanners.
    pub fn is_scanner(&self, user_agent: &[u8]) -> bool {
        if self.settings.drop_user_agents.is_empty() {
            return false;
        }
        let ua = String::from_utf8_lossy(user_agent).to_ascii_lowercase();
        self.settings.drop_user_agents.iter().any(|needle| ua.contains(needle.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings() -> SecuritySettings {
        SecuritySettings {
            ban_after_failures: 3,
            failure_window: Duration::from_secs(60),
            ban: Duration::from_secs(300),
            rate_limit_requests: 0,
            rate_limit_window: Duration::from_secs(2),
            drop_user_agents: vec!["friendly-scanner".into()],
            exempt_networks: vec!["10.0.0.0/8".parse().unwrap()],
        }
    }

    #[test]
    fn repeated_authentication_failures_ban_the_source_and_exempt_networks_never_are() {
        let guard = Guard::new(settings(), Arc::new(Metrics::new()));
        let attacker: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..2 {
            guard.record_failure(attacker);
            assert_eq!(guard.admit(attacker), Admission::Pass);
        }
        guard.record_failure(attacker);
        assert_eq!(guard.admit(attacker), Admission::Banned);
        assert_eq!(guard.admit("192.0.2.10".parse().unwrap()), Admission::Pass);
        let office: IpAddr = "10.1.2.3".parse().unwrap();
        for _ in 0..10 {
            guard.record_failure(office);
        }
        assert_eq!(guard.admit(office), Admission::Pass);
    }

    #[test]
    fn a_source_over_the_rate_limit_is_banned() {
        let guard = Guard::new(SecuritySettings { rate_limit_requests: 5, ..settings() }, Arc::new(Metrics::new()));
        let flooder: IpAddr = "192.0.2.20".parse().unwrap();
        for _ in 0..5 {
            assert_eq!(guard.admit(flooder), Admission::Pass);
        }
        assert_eq!(guard.admit(flooder), Admission::Banned);
        assert_eq!(guard.admit(flooder), Admission::Banned);
    }

    #[test]
    fn scanner_user_agents_are_recognised_case_insensitively() {
        let guard = Guard::new(settings(), Arc::new(Metrics::new()));
        assert!(guard.is_scanner(b"Friendly-Scanner 1.0"));
        assert!(!guard.is_scanner(b"Yealink SIP-T46S"));
    }
}
