//! The registrar (RFC 3261 §10.3, RFC 3327 Path) and the authentication of requests from
//! accounts (RFC 3261 §22, RFC 8760), sans I/O.
//!
//! One [`Registrar`] lives in each shard; REGISTERs are routed to shards by AOR, so each AOR's
//! bindings have exactly one owner and are changed by nobody else. A REGISTER is answered only
//! after its changes are durable: the registrar asks for a store commit ([`Effect::Commit`]) and
//! answers when [`Registrar::handle_commit_done`] reports it (or `480 DB Timeout` when the store
//! is slower than `commit_timeout`, `500 Database Error` when it fails). REGISTERs for an AOR with
//! a commit in flight wait their turn, so no update is lost.
//!
//! Failures answer uniformly — an unknown user, a wrong password, a disabled account and a
//! source outside the account's networks all get the same `401`/`407` with a fresh challenge —
//! unless the source is in `auth.detailed_errors_networks`, which gets the seed catalog's
//! detailed lines (`403 Wrong Guess`, `403 No Such User`, `404 Unknown user account`,
//! `403 User Disabled`, `401 Expired Authorization`). Every failure is reported
//! ([`Effect::AuthFailed`]) so that the shell can ban the source.
//!
//! Not here: the location view other shards read (the shell keeps it from
//! [`Effect::Location`]), keep-alive pings, and any I/O.

pub mod bindings;

use crate::config::{Account, AuthSettings, RegistrarSettings, TrustedPeer};
use crate::sip::Flow;
use crate::sip::digest::{Algorithm, Digest, DigestConfig, Rejection, Secrets, Verdict};
use crate::sip::ident::ensure_to_tag;
use crate::sip::message::{HeaderName, Method, Request, Response, Scheme};
use crate::sip::transaction::ServerTransactionId;
use crate::store::{Binding, Change, StoreError};
use bindings::{AorTable, Refusal, Registration, SharedBindings, plan};
use ipnet::IpNet;
use ringway_sdk::StatusCode;
use foldhash::{HashMap, HashMapExt};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The 400 for a REGISTER whose To is not a SIP AOR (§10.3 step 5).
const AOR_NOT_SIP: &str = "Bad Request (the AOR in To must be a SIP URI)";

/// How often expired bindings are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Accounts and trusted peers, shared read-only by every shard.
#[derive(Debug)]
pub struct Directory {
    accounts: HashMap<String, (Account, Secrets)>,
    trusted: Vec<TrustedPeer>,
}

impl Directory {
    /// Indexes the configured accounts, computing HA1s from passwords once.
    pub fn new(accounts: &[Account], trusted: &[TrustedPeer]) -> Directory {
        let accounts = accounts
            .iter()
            .map(|a| {
                let secrets = match &a.password {
                    Some(password) => Secrets::from_password(&a.username, &a.realm, password),
                    None => Secrets::from_ha1(a.ha1_md5.as_deref(), a.ha1_sha256.as_deref())
                        .unwrap_or_else(|_| Secrets::from_password(&a.username, &a.realm, "\u{0}unusable")),
                };
                (a.username.clone(), (a.clone(), secrets))
            })
            .collect();
        Directory { accounts, trusted: trusted.to_vec() }
    }

    /// The account with this username.
    pub fn account(&self, username: &str) -> Option<&Account> {
        self.accounts.get(username).map(|(a, _)| a)
    }

    /// The trusted peer a source address belongs to.
    pub fn trusted_peer(&self, ip: IpAddr) -> Option<&TrustedPeer> {
        self.trusted.iter().find(|t| t.networks.iter().any(|n| n.contains(&ip)))
    }
}

/// Who sent a request, once authentication has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An account that proved its password.
    Account(String),
    /// A trusted peer, by source address (optionally acting as an account).
    Trusted {
        /// The peer's name.
        peer: String,
        /// The account it acts as.
        account: Option<String>,
    },
    /// Nobody in particular: the method is not challenged.
    Anonymous,
}

/// The outcome of authenticating a request that is not a REGISTER.
#[derive(Debug)]
pub enum Authentication {
    /// It may go on, sent by this identity.
    Allowed(Identity),
    /// Answer it with this instead: a challenge or a refusal.
    Answer(Response),
}

/// What the shell must do for the registrar.
#[derive(Debug)]
pub enum Effect {
    /// Answer a server transaction.
    Respond {
        /// The transaction.
        tx: ServerTransactionId,
        /// The answer.
        response: Response,
    },
    /// Make changes durable, then call [`Registrar::handle_commit_done`] with `token` (when it
    /// is `Some`; sweeps need no answer).
    Commit {
        /// Names the commit in the answer.
        token: Option<u64>,
        /// The changes.
        changes: Vec<Change>,
    },
    /// An AOR's bindings changed: publish them to the location view.
    Location {
        /// The AOR.
        aor: String,
        /// Its bindings now (empty: none), shared with the registrar's table.
        bindings: SharedBindings,
    },
    /// A source failed authentication (for the ban counters).
    AuthFailed {
        /// The source address.
        source: IpAddr,
    },
    /// Send an OPTIONS keep-alive to a binding and report with [`Registrar::handle_ping_result`].
    Ping {
        /// The binding's AOR.
        aor: String,
        /// The binding's contact URI.
        contact: String,
        /// Where it registered from (`udp:192.0.2.1:5060`): pings follow the same path back.
        source: String,
    },
}

/// A REGISTER whose commit is in flight, or waiting for one on its AOR.
#[derive(Debug)]
struct Pending {
    tx: ServerTransactionId,
    request: Request,
    source: Flow,
    tag: String,
    max_contacts: u32,
    aor: String,
}

#[derive(Debug)]
struct InFlight {
    pending: Pending,
    result: Vec<Binding>,
    deadline: Instant,
    answered: bool,
}

/// The registrar and authenticator of one shard.
#[derive(Debug)]
pub struct Registrar {
    settings: RegistrarSettings,
    auth: AuthSettings,
    directory: Arc<Directory>,
    digest: Digest,
    table: AorTable,
    in_flight: HashMap<u64, InFlight>,
    busy: HashMap<String, VecDeque<Pending>>,
    next_token: u64,
    next_sweep: Option<Instant>,
    /// Keep-alive state per (AOR, contact): when the next ping is due and misses so far.
    pings: HashMap<(String, String), PingState>,
    effects: VecDeque<Effect>,
}

#[derive(Debug, Clone, Copy)]
struct PingState {
    due: Instant,
    misses: u32,
    outstanding: bool,
}

impl Registrar {
    /// A registrar for one shard; `digest` carries the process-wide nonce key.
    pub fn new(settings: RegistrarSettings, auth: AuthSettings, directory: Arc<Directory>, digest: Digest) -> Self {
        Registrar {
            settings,
            auth,
            directory,
            digest,
            table: AorTable::default(),
            in_flight: HashMap::new(),
            busy: HashMap::new(),
            next_token: 0,
            next_sweep: None,
            pings: HashMap::new(),
            effects: VecDeque::new(),
        }
    }

    /// The digest configuration matching `auth` settings.
    pub fn digest_config(auth: &AuthSettings) -> DigestConfig {
        let algorithms = auth
            .algorithms
            .iter()
            .filter_map(|a| if a.eq_ignore_ascii_case("MD5") { Some(Algorithm::Md5) } else if a.eq_ignore_ascii_case("SHA-256") { Some(Algorithm::Sha256) } else { None })
            .collect();
        DigestConfig { nonce_lifetime: auth.nonce_lifetime, algorithms }
    }

    /// Loads a binding read from the store at start (the AOR must be one this shard owns).
    pub fn load(&mut self, binding: Binding) {
        self.table.load(binding);
    }

    /// Every AOR loaded, with its bindings, for the location view at start.
    pub fn loaded(&self) -> impl Iterator<Item = (&String, &SharedBindings)> {
        self.table.aors()
    }

    /// The canonical AOR of a username: `sip:user@realm`.
    pub fn aor_of(&self, username: &str) -> String {
        let realm = self.directory.account(username).map_or(self.settings.realm.as_str(), |a| a.realm.as_str());
        format!("sip:{username}@{realm}")
    }

    /// The challenge for a request that carries no credentials at all, answered without a server
    /// transaction (as Kamailio's `www_challenge` over `sl` does): a stranger's first request
    /// costs no state, and a retransmission simply gets a fresh challenge. `None` when the
    /// request needs the stateful path: it has credentials, comes from a trusted peer, is not
    /// challenged, is inside a dialog, or its source gets the detailed answers.
    pub fn stateless_challenge(&mut self, now: Instant, request: &Request, source: Flow) -> Option<Response> {
        let header = match request.method {
            Method::Register => HeaderName::Authorization,
            _ if self.auth.challenge_methods.iter().any(|m| m == request.method.as_str()) => HeaderName::ProxyAuthorization,
            _ => return None,
        };
        if request.headers.get(&header).is_some()
            || self.directory.trusted_peer(source.remote.ip()).is_some()
            || self.auth.detailed_errors_networks.iter().any(|n| n.contains(&source.remote.ip()))
            || request.headers.to_addr().ok().and_then(|to| to.tag()).is_some()
        {
            return None;
        }
        let realm = self.settings.realm.clone();
        let tag = crate::sip::ident::tag_for_request(&request.headers);
        Some(self.challenge(now, request, &realm, false, &tag))
    }

    /// Authenticates a request that is not a REGISTER: trusted peers and methods not challenged
    /// pass; accounts prove their password (RFC 3261 §22.3, 407 challenges).
    pub fn authenticate(&mut self, now: Instant, request: &Request, source: Flow, tag: &str) -> Authentication {
        if let Some(peer) = self.directory.trusted_peer(source.remote.ip()) {
            return Authentication::Allowed(Identity::Trusted { peer: peer.name.clone(), account: peer.account.clone() });
        }
        if !self.auth.challenge_methods.iter().any(|m| m == request.method.as_str()) {
            return Authentication::Allowed(Identity::Anonymous);
        }
        match self.verify(now, request, source, tag, HeaderName::ProxyAuthorization) {
            Ok(username) => Authentication::Allowed(Identity::Account(username)),
            Err(answer) => Authentication::Answer(*answer),
        }
    }

    /// Handles a REGISTER (RFC 3261 §10.3). Answers come out as [`Effect::Respond`].
    pub fn handle_register(&mut self, now: Instant, unix_now: u64, tx: ServerTransactionId, request: Request, source: Flow, tag: String) {
        // §10.3 step 5: the To URI is the AOR and must be a SIP URI naming the account.
        let to_user = match request.headers.to_addr() {
            Ok(to) if matches!(to.uri.scheme, Scheme::Sip | Scheme::Sips) => to.uri.user.filter(|u| !u.is_empty()).map(str::to_owned),
            _ => None,
        };
        let trusted = self.directory.trusted_peer(source.remote.ip()).map(|p| p.account.clone());
        let username = match (trusted, &to_user) {
            (Some(Some(account)), _) => account,
            // A trusted peer acting as no account (an SBC, a proxy registering for its users)
            // may register any AOR: the To user names it.
            (Some(None), Some(user)) => user.clone(),
            (Some(None), None) => return self.respond(tx, &request, StatusCode::BAD_REQUEST, Some(AOR_NOT_SIP), &tag),
            (None, _) => match self.verify(now, &request, source, &tag, HeaderName::Authorization) {
                Ok(username) => username,
                Err(response) => return self.effects.push_back(Effect::Respond { tx, response: *response }),
            },
        };
        if request.headers.to_addr().is_ok_and(|to| !matches!(to.uri.scheme, Scheme::Sip | Scheme::Sips)) {
            return self.respond(tx, &request, StatusCode::BAD_REQUEST, Some(AOR_NOT_SIP), &tag);
        }
        if to_user.as_deref() != Some(username.as_str()) {
            return self.respond(tx, &request, StatusCode::FORBIDDEN, None, &tag);
        }
        let max_contacts = self.directory.account(&username).map_or(self.settings.max_contacts, |a| a.max_contacts);
        let aor = self.aor_of(&username);
        let pending = Pending { tx, request, source, tag, max_contacts, aor: aor.clone() };
        if let Some(queue) = self.busy.get_mut(&aor) {
            queue.push_back(pending);
            return;
        }
        self.busy.insert(aor, VecDeque::new());
        self.start(now, unix_now, pending);
    }

    /// Plans a REGISTER whose AOR has nothing in flight, and asks for its commit.
    fn start(&mut self, now: Instant, unix_now: u64, pending: Pending) {
        let current = self.table.current(&pending.aor, unix_now);
        let reg = Registration {
            aor: &pending.aor,
            unix_now,
            source: format!("{}:{}", pending.source.transport, pending.source.remote),
            max_contacts: pending.max_contacts,
        };
        match plan(&self.settings, &current, &pending.request.headers, &reg) {
            Err(refusal) => {
                self.refuse(&pending, refusal);
                self.next_in_line(now, unix_now, &pending.aor);
            }
            Ok(plan) if plan.changes.is_empty() => {
                // A query (no Contact) or nothing to change: answer with the bindings as they are.
                self.answer_ok(&pending, &current, unix_now);
                self.next_in_line(now, unix_now, &pending.aor);
            }
            Ok(plan) => {
                let token = self.next_token;
                self.next_token += 1;
                self.effects.push_back(Effect::Commit { token: Some(token), changes: plan.changes });
                let deadline = now + self.settings.commit_timeout;
                self.in_flight.insert(token, InFlight { pending, result: plan.result, deadline, answered: false });
            }
        }
    }

    /// The store reports on a commit.
    pub fn handle_commit_done(&mut self, now: Instant, unix_now: u64, token: u64, result: Result<(), StoreError>) {
        let Some(flight) = self.in_flight.remove(&token) else { return };
        let aor = flight.pending.aor.clone();
        match result {
            Ok(()) => {
                let shared = self.table.apply(&aor, flight.result);
                self.next_sweep.get_or_insert(now + SWEEP_EVERY);
                if !flight.answered {
                    self.answer_ok(&flight.pending, &shared, unix_now);
                }
                self.effects.push_back(Effect::Location { aor: aor.clone(), bindings: shared });
            }
            Err(error) => {
                tracing::warn!(%error, aor, "binding not stored");
                if !flight.answered {
                    let p = &flight.pending;
                    self.respond(p.tx, &p.request, StatusCode::SERVER_INTERNAL_ERROR, Some("Database Error"), &p.tag);
                }
            }
        }
        self.next_in_line(now, unix_now, &aor);
    }

    fn next_in_line(&mut self, now: Instant, unix_now: u64, aor: &str) {
        match self.busy.get_mut(aor).and_then(VecDeque::pop_front) {
            Some(next) => self.start(now, unix_now, next),
            None => {
                self.busy.remove(aor);
            }
        }
    }

    /// Timers: commits slower than allowed are answered `480 DB Timeout`; expired bindings go.
    pub fn handle_timeout(&mut self, now: Instant, unix_now: u64) {
        let mut late = Vec::new();
        for flight in self.in_flight.values_mut() {
            if !flight.answered && flight.deadline <= now {
                flight.answered = true;
                late.push((flight.pending.tx, flight.pending.request.clone(), flight.pending.tag.clone()));
            }
        }
        for (tx, request, tag) in late {
            self.respond(tx, &request, StatusCode::TEMPORARILY_UNAVAILABLE, Some("DB Timeout"), &tag);
        }
        if self.next_sweep.is_none_or(|at| at <= now) {
            let (changes, touched) = self.table.sweep(unix_now);
            for aor in touched {
                let bindings = self.table.shared(&aor);
                self.effects.push_back(Effect::Location { aor, bindings });
            }
            if !changes.is_empty() {
                self.effects.push_back(Effect::Commit { token: None, changes });
            }
            self.next_sweep = Some(now + SWEEP_EVERY);
            self.schedule_pings(now);
            // Nonce-count state is swept with the bindings, once a second, not on every timer.
            self.digest.sweep(now);
        }
    }

    /// RFC 3261 has no keep-alive for UDP bindings; like Kamailio's nathelper, Ringway sends
    /// OPTIONS on a timer and forgets a binding that stops answering.
    fn schedule_pings(&mut self, now: Instant) {
        let Some(every) = self.settings.options_ping else { return };
        let mut live = std::collections::HashSet::new();
        for b in self.table.all() {
            let key = (b.aor.clone(), b.contact.clone());
            let state = self.pings.entry(key.clone()).or_insert(PingState { due: now + every, misses: 0, outstanding: false });
            if !state.outstanding && state.due <= now {
                state.outstanding = true;
                state.due = now + every;
                self.effects.push_back(Effect::Ping { aor: b.aor.clone(), contact: b.contact.clone(), source: b.source.clone() });
            }
            live.insert(key);
        }
        self.pings.retain(|key, _| live.contains(key));
    }

    /// The answer (or the lack of one) to a keep-alive OPTIONS: any response proves the device
    /// is there; `options_ping_failures` misses in a row remove the binding.
    pub fn handle_ping_result(&mut self, aor: &str, contact: &str, answered: bool) {
        let key = (aor.to_owned(), contact.to_owned());
        let Some(state) = self.pings.get_mut(&key) else { return };
        state.outstanding = false;
        if answered {
            state.misses = 0;
            return;
        }
        state.misses += 1;
        if state.misses < self.settings.options_ping_failures {
            return;
        }
        self.pings.remove(&key);
        if self.busy.contains_key(aor) {
            return; // a REGISTER for this AOR is in flight; it decides the bindings
        }
        if let Some(change) = self.table.remove(aor, contact) {
            tracing::info!(aor, contact, "binding removed: keep-alive unanswered");
            let bindings = self.table.shared(aor);
            self.effects.push_back(Effect::Location { aor: aor.to_owned(), bindings });
            self.effects.push_back(Effect::Commit { token: None, changes: vec![change] });
        }
    }

    /// The next instant [`Registrar::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let commit = self.in_flight.values().filter(|f| !f.answered).map(|f| f.deadline).min();
        // Bindings to expire, or nonce-count state to forget: both swept once a second.
        let sweep = self.next_sweep;
        [commit, sweep].into_iter().flatten().min()
    }

    /// The next effect for the shell.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// Bindings held by this shard.
    pub fn bindings(&self) -> usize {
        self.table.len()
    }

    /// Digest verification shared by REGISTER (401/WWW-) and other methods (407/Proxy-).
    fn verify(&mut self, now: Instant, request: &Request, source: Flow, tag: &str, header: HeaderName) -> Result<String, Box<Response>> {
        let detailed = self.auth.detailed_errors_networks.iter().any(|n: &IpNet| n.contains(&source.remote.ip()));
        let realm = self.settings.realm.clone();
        let credentials = request
            .headers
            .auth_values(&header)
            .filter_map(Result::ok)
            .find(|c| c.is_digest() && c.param("realm").is_some_and(|r| self.realm_served(r)));
        let Some(credentials) = credentials else {
            if detailed && request.method == Method::Register {
                let to_user = request.headers.to_addr().ok().and_then(|t| t.uri.user.map(str::to_owned));
                if to_user.is_some_and(|u| self.directory.account(&u).is_none()) {
                    return Err(Box::new(self.build(request, StatusCode::NOT_FOUND, Some("Unknown user account"), tag)));
                }
            }
            return Err(Box::new(self.challenge(now, request, &realm, false, tag)));
        };
        let directory = self.directory.clone();
        let verdict = self.digest.verify(now, request.method.as_str(), &credentials, |username, realm| {
            directory.accounts.get(username).filter(|(a, _)| a.realm == realm).map(|(_, s)| s.clone())
        });
        let failure = |reg: &mut Self, detail: Option<(StatusCode, &str)>| {
            reg.effects.push_back(Effect::AuthFailed { source: source.remote.ip() });
            match detail {
                Some((status, reason)) if detailed => Err(Box::new(reg.build(request, status, Some(reason), tag))),
                _ => Err(Box::new(reg.challenge(now, request, &realm, false, tag))),
            }
        };
        match verdict {
            Verdict::Authenticated { username, .. } => {
                let account = self.directory.account(&username).cloned();
                match account {
                    Some(a) if !a.enabled => failure(self, Some((StatusCode::FORBIDDEN, "User Disabled"))),
                    Some(a) if !a.allowed_networks.is_empty() && !a.allowed_networks.iter().any(|n| n.contains(&source.remote.ip())) => {
                        failure(self, Some((StatusCode::FORBIDDEN, "Forbidden")))
                    }
                    Some(_) => Ok(username),
                    None => failure(self, Some((StatusCode::FORBIDDEN, "No Such User"))),
                }
            }
            Verdict::Stale => {
                if detailed {
                    let mut r = self.challenge(now, request, &realm, true, tag);
                    r.reason = bytes::Bytes::from_static(b"Expired Authorization");
                    return Err(Box::new(r));
                }
                Err(Box::new(self.challenge(now, request, &realm, true, tag)))
            }
            Verdict::Rejected(Rejection::UnknownUser) => failure(self, Some((StatusCode::FORBIDDEN, "No Such User"))),
            Verdict::Rejected(Rejection::WrongPassword) => failure(self, Some((StatusCode::FORBIDDEN, "Wrong Guess"))),
            // A nonce from before a restart, or a correct response with a reused nonce count:
            // nobody guessed anything, so a fresh challenge (stale for the replay) and no strike.
            Verdict::Rejected(Rejection::ForgedNonce) => Err(Box::new(self.challenge(now, request, &realm, false, tag))),
            Verdict::Rejected(Rejection::ReplayedNonceCount) => Err(Box::new(self.challenge(now, request, &realm, true, tag))),
            Verdict::Rejected(_) => failure(self, None),
        }
    }

    fn realm_served(&self, realm: &str) -> bool {
        realm == self.settings.realm || self.directory.accounts.values().any(|(a, _)| a.realm == realm)
    }

    /// `401 Unauthorized` with WWW-Authenticate (REGISTER) or `407 Proxy Authentication
    /// Required` with Proxy-Authenticate (everything else), one challenge per algorithm.
    fn challenge(&mut self, now: Instant, request: &Request, realm: &str, stale: bool, tag: &str) -> Response {
        let (status, header) = if request.method == Method::Register {
            (StatusCode::UNAUTHORIZED, HeaderName::WwwAuthenticate)
        } else {
            (StatusCode::PROXY_AUTHENTICATION_REQUIRED, HeaderName::ProxyAuthenticate)
        };
        let mut response = self.build(request, status, None, tag);
        for value in self.digest.challenges(now, realm, stale) {
            response.headers.push(header.clone(), value);
        }
        response
    }

    fn build(&self, request: &Request, status: StatusCode, reason: Option<&str>, tag: &str) -> Response {
        let mut response = Response::to_request(&request.headers, status, reason);
        ensure_to_tag(&mut response, tag);
        response
    }

    fn respond(&mut self, tx: ServerTransactionId, request: &Request, status: StatusCode, reason: Option<&str>, tag: &str) {
        let response = self.build(request, status, reason, tag);
        self.effects.push_back(Effect::Respond { tx, response });
    }

    fn refuse(&mut self, p: &Pending, refusal: Refusal) {
        match refusal {
            Refusal::Malformed(why) => {
                let reason = format!("Bad Request ({why})");
                self.respond(p.tx, &p.request, StatusCode::BAD_REQUEST, Some(&reason), &p.tag);
            }
            Refusal::TooBrief { min_expires } => {
                let mut response = self.build(&p.request, StatusCode::INTERVAL_TOO_BRIEF, None, &p.tag);
                response.headers.push(HeaderName::MinExpires, min_expires.to_string());
                self.effects.push_back(Effect::Respond { tx: p.tx, response });
            }
            Refusal::OutOfOrder => {
                self.respond(p.tx, &p.request, StatusCode::BAD_REQUEST, Some("Bad Request (CSeq not higher than the binding's)"), &p.tag)
            }
            Refusal::Conflict => self.respond(p.tx, &p.request, StatusCode::FORBIDDEN, Some("Conflict"), &p.tag),
        }
    }

    /// `200 OK` listing every current binding with its remaining expiry (§10.3 step 8).
    fn answer_ok(&mut self, p: &Pending, bindings: &[Binding], unix_now: u64) {
        let mut response = self.build(&p.request, StatusCode::OK, None, &p.tag);
        for b in bindings {
            let left = b.expires_at.saturating_sub(unix_now);
            let q = b.q.map(|q| format!(";q={}.{:03}", q / 1000, q % 1000)).unwrap_or_default();
            response.headers.push(HeaderName::Contact, format!("<{}>;expires={left}{q}", b.contact));
        }
        for path in p.request.headers.get_all(&HeaderName::Path) {
            response.headers.push(HeaderName::Path, path.clone());
        }
        response.headers.push(HeaderName::Date, http_date(unix_now));
        self.effects.push_back(Effect::Respond { tx: p.tx, response });
    }
}

/// RFC 1123 date (`Sun, 06 Nov 1994 08:49:37 GMT`) for the Date header (RFC 3261 §20.17).
pub fn http_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::sip::Transport;
    use crate::sip::ident::ShardId;
    use crate::sip::message::{Message, parse_datagram};

    /// A registrar whose only account is a trusted peer's (no digest needed).
    fn registrar() -> Registrar {
        let settings = Settings::from_toml(
            "[[accounts]]\nusername = \"1001\"\npassword = \"x\"\n[[trusted]]\nname = \"lab\"\nnetworks = [\"192.0.2.0/24\"]\naccount = \"1001\"\n",
            "test.toml",
        )
        .unwrap();
        let directory = Arc::new(Directory::new(&settings.accounts, &settings.trusted));
        #[allow(clippy::disallowed_methods)] // the fake clock's origin
        let origin = Instant::now();
        let digest = Digest::new(Registrar::digest_config(&settings.auth), [7; 32], origin, ShardId(0));
        Registrar::new(settings.registrar, settings.auth, directory, digest)
    }

    fn register() -> Request {
        let text = "REGISTER sip:192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKdb\r\nFrom: <sip:1001@r>;tag=1\r\nTo: <sip:1001@r>\r\nCall-ID: db\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@192.0.2.9>\r\nContent-Length: 0\r\n\r\n";
        match parse_datagram(bytes::Bytes::from(text)).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        }
    }

    fn flow() -> Flow {
        Flow { transport: Transport::Udp, local: "192.0.2.1:5060".parse().unwrap(), remote: "192.0.2.9:5060".parse().unwrap() }
    }

    /// Starts a REGISTER and returns the token of the commit it asked for.
    fn start(reg: &mut Registrar, now: Instant) -> u64 {
        reg.handle_register(now, 1_000, ServerTransactionId(1), register(), flow(), "t".into());
        match reg.poll_effect() {
            Some(Effect::Commit { token: Some(token), .. }) => token,
            other => panic!("expected a commit, got {other:?}"),
        }
    }

    fn answer(reg: &mut Registrar) -> String {
        loop {
            match reg.poll_effect() {
                Some(Effect::Respond { response, .. }) => {
                    return format!("{} {}", response.status, String::from_utf8_lossy(&response.reason));
                }
                Some(_) => continue,
                None => panic!("no answer"),
            }
        }
    }

    #[test]
    fn a_failed_store_commit_answers_500_database_error() {
        let mut reg = registrar();
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let token = start(&mut reg, now);
        reg.handle_commit_done(now, 1_000, token, Err(StoreError::Closed));
        assert_eq!(answer(&mut reg), "500 Database Error");
        assert_eq!(reg.bindings(), 0);
    }

    #[test]
    fn a_store_slower_than_commit_timeout_answers_480_db_timeout_and_never_hangs() {
        let mut reg = registrar();
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let token = start(&mut reg, now);
        let deadline = reg.poll_timeout().expect("the commit timer");
        assert_eq!(deadline, now + Duration::from_secs(2));
        reg.handle_timeout(deadline, 1_002);
        assert_eq!(answer(&mut reg), "480 DB Timeout");
        // The late commit still lands: the binding is on disk, so it is served.
        reg.handle_commit_done(deadline, 1_002, token, Ok(()));
        assert_eq!(reg.bindings(), 1);
        assert!(!std::iter::from_fn(|| reg.poll_effect()).any(|e| matches!(e, Effect::Respond { .. })), "answered twice");
    }

    #[test]
    fn a_durable_commit_answers_200_listing_the_binding() {
        let mut reg = registrar();
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let token = start(&mut reg, now);
        reg.handle_commit_done(now, 1_000, token, Ok(()));
        assert_eq!(answer(&mut reg), "200 OK");
    }

    #[test]
    fn date_header_is_rfc1123() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_795_000_000), "Wed, 18 Nov 2026 11:06:40 GMT");
    }
}
