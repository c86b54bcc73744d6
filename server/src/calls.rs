//! The shell side of calls, shared by every shard: where a call goes (registered users first,
//! then the built-in routing tables), gateway counters and health, and admission control.
//!
//! Everything here is read by many shards at once, so state is atomics (counters, health) and one
//! small mutex (the calls-per-second window); no call state lives here — that is the shard's
//! [`crate::b2bua::B2bua`].

#![allow(clippy::disallowed_methods)] // admission windows read the shell's clock

use crate::b2bua::{Failover, HeaderPolicy, Plan, RouteInfo, Target};
use crate::config::{ListenSpec, Settings};
use crate::location::LocationView;
use crate::sip::{Flow, Transport};
use ringway_dialplan::wasm::{HostEnv, HostSettings, LoadError, PluginChain, PluginHost, PluginIndex, PluginStore, PluginsConfig, SharedChain};
use ringway_dialplan::asterisk::{Channel, CivilTime, Destination, DialResult, DialTarget, Dialplan, FsResolver, Machine};
use ringway_dialplan::{Availability, Decision, GatewayStatus, RouteRequest, Tables};
use std::sync::Arc;
use ringway_sdk::cause::{DialStatus, Q850Cause};
use ringway_sdk::{StatusLine, catalog};
use std::collections::HashMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// `[calls]`: admission limits and call duration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallLimits {
    /// Concurrent calls at most; 0 = unlimited.
    pub max_calls: u32,
    /// New calls per second at most; 0 = unlimited.
    pub max_calls_per_second: u32,
    /// Seconds suggested in Retry-After when refusing.
    pub retry_after_secs: u32,
    /// Longest call; `None` = unlimited.
    pub max_duration: Option<Duration>,
}

/// One gateway's live state.
#[derive(Debug)]
struct GatewayState {
    /// Resolved once at start (DNS with RFC 3263 arrives with the trunk issue).
    addr: Option<SocketAddr>,
    calls: AtomicU32,
    up: AtomicBool,
    max_calls: u32,
    /// Consecutive failed probes.
    misses: AtomicU32,
}

/// An account's call policy.
#[derive(Debug, Default)]
struct AccountPolicy {
    max_calls: u32,
    calls: AtomicU32,
    tariff_plan: Option<String>,
    codecs: Vec<String>,
    caller_id: Option<String>,
    context: Option<String>,
}

/// Why a call was not admitted: answer `503 Service Unavailable` with Retry-After.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The global concurrent-call limit.
    #[error("concurrent call limit reached")]
    Calls,
    /// The account's concurrent-call limit.
    #[error("the account's concurrent call limit reached")]
    AccountCalls,
    /// The calls-per-second limit.
    #[error("call rate limit reached")]
    Rate,
}

/// Every gateway's live state, shared with the plugin host (for `lookup-route`).
#[derive(Debug, Default)]
struct GatewayBoard(HashMap<String, GatewayState>);

impl GatewayStatus for GatewayBoard {
    fn availability(&self, gateway: &str) -> Availability {
        match self.0.get(gateway) {
            None => Availability::Down,
            Some(g) if !g.up.load(Ordering::Relaxed) => Availability::Down,
            Some(g) if g.max_calls > 0 && g.calls.load(Ordering::Relaxed) >= g.max_calls => Availability::AtLimit,
            Some(_) => Availability::Available,
        }
    }
}

/// The WASM plugin chain and what reloading it needs.
struct Plugins {
    host: PluginHost,
    env: HostEnv,
    chain: SharedChain,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins").field("chain", &self.chain.current().names().collect::<Vec<_>>()).finish()
    }
}

/// The Asterisk dialplan and where each caller's calls start in it.
struct Asterisk {
    plan: arc_swap::ArcSwap<Dialplan>,
    zone: jiff::tz::TimeZone,
    default_context: String,
    /// Trusted peer name → context, for peers that name one.
    peers: HashMap<String, String>,
}

impl std::fmt::Debug for Asterisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Asterisk").field("contexts", &self.plan.load().contexts()).field("default_context", &self.default_context).finish_non_exhaustive()
    }
}

/// Why the Asterisk dialplan did not load: every problem, `file:line:column: reason`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DialplanError(pub String);

/// Routing, counters and limits for every call of the process.
#[derive(Debug)]
pub struct CallPolicy {
    tables: Arc<Tables>,
    gateways: Arc<GatewayBoard>,
    plugins: Option<Plugins>,
    asterisk: Option<Asterisk>,
    accounts: HashMap<String, AccountPolicy>,
    limits: CallLimits,
    active: AtomicU32,
    window: Mutex<(Instant, u32)>,
}

/// Probe misses after which a gateway counts as down.
const PROBE_MISSES_DOWN: u32 = 2;

impl CallPolicy {
    /// Builds the policy from validated settings (the tables were checked at load), with no
    /// plugins.
    pub fn new(settings: &Settings, tables: Tables) -> CallPolicy {
        let gateways: HashMap<String, GatewayState> = tables
            .gateways()
            .iter()
            .map(|g| {
                let addr = resolve(&g.address);
                if addr.is_none() {
                    tracing::warn!(gateway = %g.name, address = %g.address, "gateway address does not resolve; it is out of service");
                }
                let state = GatewayState {
                    addr,
                    calls: AtomicU32::new(0),
                    up: AtomicBool::new(addr.is_some()),
                    max_calls: g.max_calls,
                    misses: AtomicU32::new(0),
                };
                (g.name.clone(), state)
            })
            .collect();
        let accounts = settings
            .accounts
            .iter()
            .map(|a| {
                let policy = AccountPolicy {
                    max_calls: a.max_calls,
                    calls: AtomicU32::new(0),
                    tariff_plan: Some(a.tariff_plan.clone()).filter(|p| !p.is_empty()),
                    codecs: a.codecs.clone(),
                    caller_id: Some(a.caller_id_number.clone()).filter(|c| !c.is_empty()),
                    context: a.context.clone(),
                };
                (a.username.clone(), policy)
            })
            .collect();
        CallPolicy {
            tables: Arc::new(tables),
            gateways: Arc::new(GatewayBoard(gateways)),
            plugins: None,
            asterisk: None,
            accounts,
            limits: settings.calls.clone(),
            active: AtomicU32::new(0),
            window: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Loads the `[[plugins]]` chain (compiling each component); routing asks it before the
    /// built-in tables, and its plugins keep their `host.kv-*` values in `store`. Without plugins
    /// nothing is loaded.
    pub fn with_plugins(mut self, config: &PluginsConfig, store: Arc<dyn PluginStore>) -> Result<CallPolicy, LoadError> {
        if config.plugins.is_empty() {
            return Ok(self);
        }
        let host = PluginHost::new(HostSettings::default())?;
        let env = HostEnv {
            tables: self.tables.clone(),
            gateways: self.gateways.clone(),
            store,
            ..HostEnv::default()
        };
        let chain = SharedChain::new(host.load(config, &env)?);
        self.plugins = Some(Plugins { host, env, chain });
        Ok(self)
    }

    /// Loads `[asterisk] extensions` (nothing when none is configured): calls whose context
    /// has their extension are run by it before the plugins and the tables.
    pub fn with_dialplan(mut self, settings: &Settings) -> Result<CallPolicy, DialplanError> {
        let Some(path) = &settings.asterisk.extensions else { return Ok(self) };
        let plan = load_dialplan(path)?;
        let zone = match &settings.asterisk.timezone {
            // Checked when the config was read.
            Some(name) => jiff::tz::TimeZone::get(name).map_err(|e| DialplanError(format!("time zone {name:?}: {e}")))?,
            None => jiff::tz::TimeZone::system(),
        };
        let peers = settings.trusted.iter().filter_map(|t| Some((t.name.clone(), t.context.clone()?))).collect();
        self.asterisk = Some(Asterisk { plan: arc_swap::ArcSwap::from_pointee(plan), zone, default_context: settings.asterisk.context.clone(), peers });
        Ok(self)
    }

    /// Loads the dialplan at `path` again and swaps it in; on any error the old one keeps
    /// serving. Calls in progress keep the dialplan they started with.
    pub fn reload_dialplan(&self, settings: &Settings) -> Result<bool, DialplanError> {
        let (Some(asterisk), Some(path)) = (&self.asterisk, &settings.asterisk.extensions) else {
            if settings.asterisk.extensions.is_some() {
                return Err(DialplanError("this process started without [asterisk] extensions; restart to add them".into()));
            }
            return Ok(false);
        };
        asterisk.plan.store(Arc::new(load_dialplan(path)?));
        Ok(true)
    }

    /// The context a caller's calls start in: its trusted peer's, else its account's, else the
    /// `[asterisk]` default; `None` without a dialplan.
    pub fn context_for(&self, identity: &crate::registrar::Identity) -> Option<String> {
        use crate::registrar::Identity;
        let asterisk = self.asterisk.as_ref()?;
        let of_account = |a: &str| self.accounts.get(a).and_then(|p| p.context.clone());
        let context = match identity {
            Identity::Account(name) => of_account(name),
            Identity::Trusted { peer, account } => asterisk.peers.get(peer).cloned().or_else(|| account.as_deref().and_then(of_account)),
            Identity::Anonymous => None,
        };
        Some(context.unwrap_or_else(|| asterisk.default_context.clone()))
    }

    /// The local time the dialplan's `GotoIfTime` and timed includes read.
    pub fn civil_now(&self) -> CivilTime {
        let zone = self.asterisk.as_ref().map_or_else(jiff::tz::TimeZone::system, |a| a.zone.clone());
        let now = jiff::Timestamp::now().to_zoned(zone).datetime();
        let field = |v: i8| u8::try_from(v).unwrap_or(0);
        CivilTime::new(i32::from(now.year()), field(now.month()), field(now.day()), field(now.hour()), field(now.minute()), field(now.second()))
            .unwrap_or_else(|_| CivilTime::new(1970, 1, 1, 0, 0, 0).expect("the epoch is a valid time"))
    }

    /// A dialplan run for this call, when a dialplan is configured and the call's context has
    /// its extension (else the next routers decide).
    pub fn dialplan_call(&self, info: &RouteInfo) -> Option<crate::pbx::DialplanCall> {
        let asterisk = self.asterisk.as_ref()?;
        let context = info.context.as_deref()?;
        let plan = asterisk.plan.load_full();
        let request = self.route_request(info);
        let exten = request.dialed.clone().unwrap_or_else(|| "s".to_owned());
        let caller = request.caller.clone().unwrap_or_default();
        if !plan.exists(context, &exten, &caller, self.civil_now()) {
            return None;
        }
        let machine = Machine::new(&plan, context, &exten, Channel::from_request(&request));
        Some(crate::pbx::DialplanCall::new(machine, info.clone(), self.plugin_chain()))
    }

    /// The plan for a dialplan's `Dial()`: every target at once (Asterisk's `&`), each ringing
    /// at most `timeout`. `Err` when none of them can be called: the dial result to resume with
    /// (`CHANUNAVAIL`, as Asterisk's Dial when no channel could be created).
    pub fn dial_plan(&self, targets: &[DialTarget], timeout: Option<Duration>, info: &RouteInfo, location: &LocationView, listen: &[ListenSpec], aor: impl Fn(&str) -> String) -> Result<Plan, DialResult> {
        let account = info.account.as_deref().and_then(|a| self.accounts.get(a));
        let codecs = account.map(|a| a.codecs.clone()).unwrap_or_default();
        let mut out: Vec<Target> = Vec::new();
        for dial in targets {
            let found = match &dial.destination {
                Destination::Endpoint(name) => {
                    // A registered user rings on every contact; a gateway by name gets a
                    // Request-URI without a user part, as chan_pjsip dials an endpoint.
                    let local = self.local_plan(&RouteInfo { request_uri: format!("sip:{name}@ringway"), ..info.clone() }, location, listen, &aor);
                    match local {
                        Some(Plan::Parallel(contacts)) => contacts,
                        Some(_) => Vec::new(),
                        None => self.gateway_target(name, None, None, listen, account).into_iter().collect(),
                    }
                }
                Destination::Number { number, gateway } => self.gateway_target(gateway, Some(number), None, listen, account).into_iter().collect(),
                Destination::Uri { endpoint, uri } => self.gateway_target(endpoint, None, Some(uri), listen, account).into_iter().collect(),
            };
            if found.is_empty() {
                tracing::warn!(target = %dial.raw, "Dial: nothing to call (not a registered user, a gateway or a reachable address)");
            }
            out.extend(found);
        }
        if out.is_empty() {
            // Asterisk: no channel could be created; the cause is "subscriber absent".
            return Err(DialResult { status: DialStatus::ChanUnavail, hangup_cause: Q850Cause::SUBSCRIBER_ABSENT, answered: false });
        }
        for target in &mut out {
            target.ring_timeout = timeout;
            target.failover = Failover::never();
            if target.codecs.is_empty() {
                target.codecs.clone_from(&codecs);
            }
        }
        Ok(Plan::Parallel(out))
    }

    /// A Dial target through `name`: a configured gateway (made as a router's gateway target
    /// is, by [`target`](Self::target)), else `name` as a host or `host:port` literal. `number`
    /// becomes the user part; `uri` replaces the Request-URI.
    fn gateway_target(&self, name: &str, number: Option<&str>, uri: Option<&str>, listen: &[ListenSpec], account: Option<&AccountPolicy>) -> Option<Target> {
        if let Some(g) = self.tables.gateway(name) {
            // chan_pjsip dials an endpoint without a number at its address, with no user part.
            let bare = || match g.transport {
                ringway_dialplan::Transport::Udp => format!("sip:{}", g.address),
                ringway_dialplan::Transport::Tcp => format!("sip:{};transport=tcp", g.address),
            };
            let uri = uri.map(str::to_owned).or_else(|| number.map(|n| g.uri_for(n))).unwrap_or_else(bare);
            let routed = ringway_dialplan::Target {
                gateway: Some(g.name.clone()),
                uri,
                number: String::new(),
                codecs: Vec::new(),
                ring_timeout: None,
                failover: ringway_dialplan::FailoverPolicy::new(false, []),
                headers: g.headers.clone(),
            };
            let mut target = self.target(routed, listen, account)?;
            target.number = number.map(str::to_owned);
            return Some(target);
        }
        let user = number.map(|n| format!("{}@", n.replace('#', "%23"))).unwrap_or_default();
        let headers = HeaderPolicy { caller_id: account.and_then(|a| a.caller_id.clone()), ..HeaderPolicy::default() };
        Some(Target {
            uri: uri.map_or_else(|| format!("sip:{user}{name}"), str::to_owned),
            flow: flow_to(listen, Transport::Udp, resolve(name)?)?,
            gateway: None,
            codecs: Vec::new(),
            ring_timeout: None,
            failover: Failover::never(),
            headers,
            credentials: None,
            number: number.map(str::to_owned),
        })
    }

    /// The built-in tables' decision for a dialplan's `Route([table])`, for `exten`.
    pub fn route_decision(&self, info: &RouteInfo, exten: &str, table: Option<&str>, seed: u64) -> Decision {
        let mut request = self.route_request(info);
        request.dialed = Some(exten.to_owned());
        if let Some(name) = table
            && !self.tables.has_table(name)
        {
            tracing::warn!(table = name, "Route(): no such route table");
        }
        self.tables.route_in(&request, table, self.gateways.as_ref(), seed)
    }

    /// The plugin chain as it is now (a call keeps this snapshot), `None` without plugins.
    pub fn plugin_chain(&self) -> Option<Arc<PluginChain>> {
        self.plugins.as_ref().map(|p| p.chain.current())
    }

    /// Swaps in a new plugin chain; on any error the old chain keeps serving. A process started
    /// without plugins cannot gain them by reloading (the host is made at start).
    pub fn reload_plugins(&self, config: &PluginsConfig) -> Result<Vec<String>, LoadError> {
        let Some(plugins) = &self.plugins else {
            let message = "this process started without [[plugins]]; restart to add them".to_owned();
            return Err(LoadError { plugin: None, kind: ringway_dialplan::wasm::LoadErrorKind::Config(message) });
        };
        plugins.chain.reload(&plugins.host, config, &plugins.env)?;
        Ok(plugins.chain.current().names().map(str::to_owned).collect())
    }

    /// The limits in force.
    pub fn limits(&self) -> &CallLimits {
        &self.limits
    }

    /// Calls admitted and not yet ended.
    pub fn active_calls(&self) -> u32 {
        self.active.load(Ordering::Relaxed)
    }

    /// Admits a new call (counting it) or refuses it. Every admitted call must be
    /// [`release`](Self::release)d exactly once, when its end event is seen.
    pub fn admit(&self, now: Instant, account: Option<&str>) -> Result<(), Refusal> {
        if self.limits.max_calls_per_second > 0 {
            let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
            if now.saturating_duration_since(window.0) >= Duration::from_secs(1) {
                *window = (now, 0);
            }
            if window.1 >= self.limits.max_calls_per_second {
                return Err(Refusal::Rate);
            }
            window.1 += 1;
        }
        if !take(&self.active, self.limits.max_calls) {
            return Err(Refusal::Calls);
        }
        if let Some(policy) = account.and_then(|a| self.accounts.get(a))
            && !take(&policy.calls, policy.max_calls)
        {
            self.active.fetch_sub(1, Ordering::Relaxed);
            return Err(Refusal::AccountCalls);
        }
        Ok(())
    }

    /// A call admitted by [`admit`](Self::admit) is over.
    pub fn release(&self, account: Option<&str>) {
        self.active.fetch_sub(1, Ordering::Relaxed);
        if let Some(policy) = account.and_then(|a| self.accounts.get(a)) {
            policy.calls.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// An attempt to `gateway` started.
    pub fn occupy(&self, gateway: &str) {
        if let Some(g) = self.gateways.0.get(gateway) {
            g.calls.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An attempt to `gateway` is over.
    pub fn vacate(&self, gateway: &str) {
        if let Some(g) = self.gateways.0.get(gateway) {
            g.calls.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Gateways to probe with OPTIONS: name, address, transport and interval.
    pub fn probes(&self) -> Vec<(String, SocketAddr, Transport, Duration)> {
        self.tables
            .gateways()
            .iter()
            .filter(|g| g.enabled)
            .filter_map(|g| {
                let addr = self.gateways.0.get(&g.name)?.addr?;
                Some((g.name.clone(), addr, transport_of(g.transport), g.probe?))
            })
            .collect()
    }

    /// The result of one health probe: any answer means alive; two misses in a row mean down.
    pub fn probe_result(&self, gateway: &str, answered: bool) {
        let Some(g) = self.gateways.0.get(gateway) else { return };
        if answered {
            g.misses.store(0, Ordering::Relaxed);
            if !g.up.swap(true, Ordering::Relaxed) {
                tracing::info!(gateway, "gateway is up");
            }
        } else if g.misses.fetch_add(1, Ordering::Relaxed) + 1 >= PROBE_MISSES_DOWN && g.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(gateway, "gateway is down (OPTIONS probes unanswered)");
        }
    }

    /// Where a call goes, without plugins: a registered user's contacts (all at once), else the
    /// built-in tables; `aor` maps a user part to its AOR.
    pub fn plan(&self, info: &RouteInfo, location: &LocationView, listen: &[ListenSpec], aor: impl Fn(&str) -> String, seed: u64) -> Plan {
        if let Some(plan) = self.local_plan(info, location, listen, aor) {
            return plan;
        }
        self.tables_plan(&self.route_request(info), listen, seed)
    }

    /// Where a call goes with plugins (`request` is [`route_request`](Self::route_request) of
    /// the call): `chain` first (a future that yields every slice of fuel a
    /// plugin burns: poll it once on the shard, spawn it if it yields), then the
    /// built-in tables when every plugin says continue. Call [`local_plan`](Self::local_plan)
    /// first: registered users are not the plugins' business.
    /// The plugin that decided, if one did, is returned too: it is asked again (`on-failure`)
    /// when its targets are exhausted.
    pub async fn plugin_plan(&self, chain: &PluginChain, request: &RouteRequest, listen: &[ListenSpec], seed: u64) -> (Plan, Option<PluginIndex>) {
        let (decision, decided_by) = match chain.decide(request).await {
            Ok(chosen) => (chosen.decision, chosen.decided_by),
            Err(error) => {
                tracing::warn!(plugin = %error.plugin, %error, "plugin decision failed; its fallback answers");
                (error.decision(), None)
            }
        };
        match decision {
            Decision::Continue => (self.tables_plan(request, listen, seed), None),
            decision => (self.plan_of(decision, listen, request.account.as_deref()), decided_by),
        }
    }

    /// Asks the plugin that chose a call's targets what comes after they all failed over:
    /// more targets, a status line, or [`Plan::Settle`] (the call's own verdict). Run it as
    /// [`plugin_plan`](Self::plugin_plan).
    pub async fn plugin_on_failure(&self, chain: &PluginChain, index: PluginIndex, info: &RouteInfo, attempts: &[ringway_dialplan::Attempt], listen: &[ListenSpec]) -> Plan {
        let request = self.route_request(info);
        let decision = match chain.on_failure(index, &request, attempts).await {
            Ok(decision) => decision,
            Err(error) => {
                tracing::warn!(plugin = %error.plugin, %error, "plugin on-failure failed; its fallback answers");
                error.decision()
            }
        };
        match decision {
            Decision::Continue => Plan::Settle,
            decision => self.plan_of(decision, listen, info.account.as_deref()),
        }
    }

    /// The plan for a registered user or a known account, `None` when the call is for a number
    /// or nobody local.
    pub fn local_plan(&self, info: &RouteInfo, location: &LocationView, listen: &[ListenSpec], aor: impl Fn(&str) -> String) -> Option<Plan> {
        let request = RouteRequest::new(info.request_uri.clone());
        if let Some(user) = request.dialed.as_deref() {
            let bindings = location.lookup(&aor(user));
            if !bindings.is_empty() {
                let codecs = self.account_codecs(info.account.as_deref());
                let targets: Vec<Target> = bindings
                    .iter()
                    .filter_map(|b| {
                        let flow = binding_flow(listen, &b.contact, &b.source)?;
                        Some(Target {
                            uri: b.contact.clone(),
                            flow,
                            gateway: None,
                            codecs: codecs.clone(),
                            ring_timeout: self.tables.ring_timeout(),
                            failover: Failover::never(),
                            headers: HeaderPolicy::default(),
                            credentials: None,
                            number: Some(user.to_owned()),
                        })
                    })
                    .collect();
                if !targets.is_empty() {
                    return Some(Plan::Parallel(targets));
                }
            }
            if self.accounts.contains_key(user) {
                return Some(Plan::Reject(catalog::TEMPORARILY_UNAVAILABLE_480));
            }
        }
        None
    }

    /// What routers are asked about a call.
    pub fn route_request(&self, info: &RouteInfo) -> RouteRequest {
        let account = info.account.as_deref().and_then(|a| self.accounts.get(a));
        let mut request = RouteRequest::new(info.request_uri.clone()).with_offered_codecs(info.offered_codecs.iter().cloned());
        request.call_id = info.call_id.clone();
        request.caller_name = info.caller_name.clone();
        request.callee_name = info.callee_name.clone();
        request.source = Some(info.source.remote);
        request.transport = Some(match info.source.transport {
            Transport::Udp => ringway_dialplan::RequestTransport::Udp,
            Transport::Tcp => ringway_dialplan::RequestTransport::Tcp,
        });
        request.headers = info.headers.clone();
        if let Some(caller) = &info.caller {
            request = request.with_caller(caller.clone());
        }
        if let Some(name) = &info.account {
            request = request.with_account(name.clone());
        }
        if let Some(policy) = account {
            if let Some(plan) = &policy.tariff_plan {
                request = request.with_tariff_plan(plan.clone());
            }
            request = request.with_account_codecs(policy.codecs.iter().cloned());
        }
        request
    }

    /// The built-in tables' plan.
    fn tables_plan(&self, request: &RouteRequest, listen: &[ListenSpec], seed: u64) -> Plan {
        let decision = self.tables.route(request, self.gateways.as_ref(), seed);
        self.plan_of(decision, listen, request.account.as_deref())
    }

    /// A router's decision as the B2BUA's plan; nobody routing the call is `404 Not found`.
    pub fn plan_of(&self, decision: Decision, listen: &[ListenSpec], account: Option<&str>) -> Plan {
        let account = account.and_then(|a| self.accounts.get(a));
        match decision {
            Decision::Reject(line) => Plan::Reject(line),
            Decision::Continue => Plan::Reject(catalog::NOT_FOUND_404),
            Decision::Targets(targets) => {
                let targets: Vec<Target> = targets.into_iter().filter_map(|t| self.target(t, listen, account)).collect();
                if targets.is_empty() { Plan::Reject(catalog::EMPTY_ROUTE_SET_480) } else { Plan::Sequential(targets) }
            }
        }
    }

    fn account_codecs(&self, account: Option<&str>) -> Vec<String> {
        account.and_then(|a| self.accounts.get(a)).map(|p| p.codecs.clone()).unwrap_or_default()
    }

    /// A router's target as the B2BUA's [`Target`]: a gateway of the tables, or a SIP URI with
    /// an IP address (DNS for URI targets arrives with the trunk issue).
    fn target(&self, t: ringway_dialplan::Target, listen: &[ListenSpec], account: Option<&AccountPolicy>) -> Option<Target> {
        let gateway = match &t.gateway {
            Some(name) => Some(self.tables.gateway(name)?),
            None => None,
        };
        let flow = match gateway {
            Some(g) => flow_to(listen, transport_of(g.transport), self.gateways.0.get(&g.name)?.addr?)?,
            None => {
                let uri = crate::sip::message::Uri::parse(&t.uri).ok()?;
                let ip = uri.host.as_ref()?.ip()?;
                let tcp = uri.params.get("transport").flatten().is_some_and(|v| v.eq_ignore_ascii_case("tcp"));
                flow_to(listen, if tcp { Transport::Tcp } else { Transport::Udp }, SocketAddr::new(ip, uri.port.unwrap_or(5060)))?
            }
        };
        let name = t.gateway.clone();
        let mut headers = t.headers.clone();
        if headers.caller_id.is_none() {
            headers.caller_id = account.and_then(|a| a.caller_id.clone());
        }
        let statuses = t.failover.statuses().to_vec();
        Some(Target {
            uri: t.uri,
            flow,
            gateway: name,
            codecs: t.codecs,
            ring_timeout: t.ring_timeout,
            failover: Failover { on_timeout: t.failover.on_timeout(), statuses },
            headers,
            credentials: gateway.and_then(|g| g.credentials.as_ref()).map(|c| (c.username.clone(), c.password.clone())),
            number: Some(t.number),
        })
    }
}

impl GatewayStatus for CallPolicy {
    fn availability(&self, gateway: &str) -> Availability {
        self.gateways.availability(gateway)
    }
}

/// Loads an `extensions.conf`, logging its warnings.
fn load_dialplan(path: &std::path::Path) -> Result<Dialplan, DialplanError> {
    let plan = Dialplan::load(path, &FsResolver).map_err(|errors| DialplanError(errors.to_string()))?;
    for warning in plan.warnings() {
        tracing::warn!(%warning, "dialplan");
    }
    Ok(plan)
}

/// The status line for a refusal.
pub fn refusal_line(_refusal: Refusal) -> StatusLine {
    catalog::SERVICE_UNAVAILABLE_503
}

/// Takes one unit of `counter` when below `limit` (0 = unlimited).
fn take(counter: &AtomicU32, limit: u32) -> bool {
    if limit == 0 {
        counter.fetch_add(1, Ordering::Relaxed);
        return true;
    }
    counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < limit).then_some(n + 1)).is_ok()
}

fn transport_of(t: ringway_dialplan::Transport) -> Transport {
    match t {
        ringway_dialplan::Transport::Udp => Transport::Udp,
        ringway_dialplan::Transport::Tcp => Transport::Tcp,
    }
}

/// A flow from the listener of `transport` and the address family of `remote`.
pub fn flow_to(listen: &[ListenSpec], transport: Transport, remote: SocketAddr) -> Option<Flow> {
    let local = listen.iter().find(|l| l.transport == transport && l.addr.is_ipv4() == remote.is_ipv4())?;
    Some(Flow { transport, local: local.addr, remote })
}

/// Where a call to a registered contact goes. Over TCP: back on the flow the REGISTER came
/// from (the phone keeps that connection open; RFC 5626's idea). Over UDP: the Contact's own
/// address when it is an IP literal that can be reached — that is what a LAN phone registers,
/// and what lets one device register several contacts — but the REGISTER's source when the
/// Contact is a private address and the source is not (the phone is behind NAT).
fn binding_flow(listen: &[ListenSpec], contact: &str, source: &str) -> Option<Flow> {
    let source: ListenSpec = source.parse().ok()?;
    if source.transport != Transport::Udp {
        return flow_to(listen, source.transport, source.addr);
    }
    let contact_addr = crate::sip::message::Uri::parse(contact).ok().and_then(|uri| {
        let ip = uri.host.as_ref()?.ip()?;
        let tcp = uri.params.get("transport").flatten().is_some_and(|t| !t.eq_ignore_ascii_case("udp"));
        (!tcp).then(|| SocketAddr::new(ip, uri.port.unwrap_or(5060)))
    });
    let remote = match contact_addr {
        Some(addr) if crate::sdp::is_private(addr.ip()) && !crate::sdp::is_private(source.addr.ip()) => source.addr,
        Some(addr) if !addr.ip().is_unspecified() => addr,
        _ => source.addr,
    };
    flow_to(listen, Transport::Udp, remote)
}

/// A gateway address (`host[:port]`, default port 5060), resolved once.
fn resolve(address: &str) -> Option<SocketAddr> {
    if let Ok(addr) = address.parse::<SocketAddr>() {
        return Some(addr);
    }
    let with_port = if address.ends_with(']') || !address.contains(':') { format!("{address}:5060") } else { address.to_owned() };
    with_port.to_socket_addrs().ok()?.next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::store::binding::Binding;
    use std::sync::Arc;

    const CONFIG: &str = r#"
[[accounts]]
username = "1001"
password = "x"
max_calls = 1
codecs = ["pcma"]
[[accounts]]
username = "2001"
password = "y"
[[gateways]]
name = "gw1"
address = "127.0.0.1:5070"
max_calls = 1
[[gateways]]
name = "gw2"
address = "127.0.0.1:5071"
[[gateway_groups]]
name = "all"
members = [{ gateway = "gw1", priority = 1 }, { gateway = "gw2", priority = 2 }]
[[routes]]
prefix = "+7"
group = "all"
[calls]
max_calls = 2
max_calls_per_second = 3
"#;

    fn policy(text: &str) -> CallPolicy {
        let settings = Settings::from_toml(text, "t.toml").unwrap();
        let tables = Tables::new(&settings.dialplan).unwrap();
        CallPolicy::new(&settings, tables)
    }

    fn listen() -> Vec<ListenSpec> {
        vec!["udp:127.0.0.1:5060".parse().unwrap(), "tcp:127.0.0.1:5060".parse().unwrap()]
    }

    fn info(uri: &str, account: Option<&str>) -> RouteInfo {
        RouteInfo {
            request_uri: uri.into(),
            caller: Some("1001".into()),
            account: account.map(str::to_owned),
            offered_codecs: Vec::new(),
            call_id: "c1".into(),
            caller_name: None,
            callee_name: None,
            source: Flow { transport: Transport::Udp, local: "127.0.0.1:5060".parse().unwrap(), remote: "127.0.0.1:5061".parse().unwrap() },
            headers: Vec::new(),
            context: None,
        }
    }

    fn aor(user: &str) -> String {
        format!("sip:{user}@ringway")
    }

    #[test]
    fn admission_counts_global_and_account_calls_and_releases_them() {
        let p = policy(&CONFIG.replace("max_calls_per_second = 3", "max_calls_per_second = 0"));
        let now = Instant::now();
        assert_eq!(p.admit(now, Some("1001")), Ok(()));
        assert_eq!(p.admit(now, Some("1001")), Err(Refusal::AccountCalls), "the account allows one call");
        assert_eq!(p.admit(now, Some("2001")), Ok(()));
        assert_eq!(p.admit(now, None), Err(Refusal::Calls), "two calls in all");
        p.release(Some("1001"));
        assert_eq!(p.active_calls(), 1);
        assert_eq!(p.admit(now, Some("1001")), Ok(()));
    }

    #[test]
    fn the_call_rate_limit_refuses_beyond_its_rate_within_one_second() {
        let p = policy(&CONFIG.replace("max_calls = 2", "max_calls = 0"));
        let now = Instant::now();
        let admitted = (0..5).filter(|_| p.admit(now, None).is_ok()).count();
        assert_eq!(admitted, 3);
        assert_eq!(p.admit(now + Duration::from_millis(1000), None), Ok(()), "a new second, a new allowance");
    }

    #[test]
    fn a_gateway_at_its_limit_or_down_is_skipped_and_none_left_is_480_empty_route_set() {
        let p = policy(CONFIG);
        let location = LocationView::new(Arc::new(Metrics::new()));
        let plan = p.plan(&info("sip:+74951234567@ringway", None), &location, &listen(), aor, 1);
        let Plan::Sequential(targets) = plan else { panic!("{plan:?}") };
        assert_eq!(targets.iter().map(|t| t.gateway.clone().unwrap()).collect::<Vec<_>>(), ["gw1", "gw2"]);
        p.occupy("gw1");
        let Plan::Sequential(targets) = p.plan(&info("sip:+74951234567@ringway", None), &location, &listen(), aor, 1) else { panic!() };
        assert_eq!(targets.len(), 1, "gw1 is at its limit");
        p.probe_result("gw2", false);
        assert_eq!(p.availability("gw2"), Availability::Available, "one missed probe is not down");
        p.probe_result("gw2", false);
        assert_eq!(p.availability("gw2"), Availability::Down);
        assert_eq!(p.plan(&info("sip:+74951234567@ringway", None), &location, &listen(), aor, 1), Plan::Reject(catalog::EMPTY_ROUTE_SET_480));
        p.probe_result("gw2", true);
        p.vacate("gw1");
        assert_eq!(p.availability("gw1"), Availability::Available);
    }

    #[test]
    fn registered_users_ring_on_every_contact_and_known_but_unregistered_ones_get_480() {
        let p = policy(CONFIG);
        let location = LocationView::new(Arc::new(Metrics::new()));
        let binding = |contact: &str, source: &str| Binding {
            aor: aor("2001"),
            contact: contact.into(),
            expires_at: u64::MAX,
            q: None,
            call_id: "c".into(),
            cseq: 1,
            path: Vec::new(),
            source: source.into(),
            user_agent: None,
        };
        assert_eq!(p.plan(&info("sip:2001@ringway", None), &location, &listen(), aor, 1), Plan::Reject(catalog::TEMPORARILY_UNAVAILABLE_480));
        assert_eq!(p.plan(&info("sip:nobody@ringway", None), &location, &listen(), aor, 1), Plan::Reject(catalog::NOT_FOUND_404));
        location.publish(
            aor("2001"),
            Arc::new(vec![
                binding("sip:2001@127.0.0.2:5062", "udp:127.0.0.2:5062"),
                binding("sip:2001@192.168.1.20:5060", "udp:203.0.113.9:40000"),
                binding("sip:2001@10.0.0.5:5060;transport=tcp", "tcp:127.0.0.3:50000"),
            ]),
        );
        let Plan::Parallel(targets) = p.plan(&info("sip:2001@ringway", None), &location, &listen(), aor, 1) else { panic!() };
        let remotes: Vec<String> = targets.iter().map(|t| format!("{}:{}", t.flow.transport, t.flow.remote)).collect();
        assert_eq!(remotes, ["udp:127.0.0.2:5062", "udp:203.0.113.9:40000", "tcp:127.0.0.3:50000"], "contact; NAT source; TCP flow");
    }

    #[test]
    fn an_account_codec_policy_the_offer_cannot_meet_is_488_codec_mismatch() {
        let p = policy(CONFIG);
        let location = LocationView::new(Arc::new(Metrics::new()));
        let mut request = info("sip:+74951234567@ringway", Some("1001"));
        request.offered_codecs = vec!["pcmu".into()];
        assert_eq!(p.plan(&request, &location, &listen(), aor, 1), Plan::Reject(catalog::CODEC_MISMATCH_488));
    }
}
