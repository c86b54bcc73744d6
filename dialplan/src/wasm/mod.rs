//! The WASM plugin host: dialplan plugins as sandboxed WebAssembly components (wasmtime 48,
//! component model, the `router` world of `sdk/wit/ringway.wit`).
//!
//! ## Model
//!
//! A [`PluginHost`] owns the engine (pooling allocator, fuel) and the linker (the
//! host imports of `ringway:plugin/host`, and WASI with nothing granted: no preopened
//! directories, no environment, no sockets; stderr is captured for trap messages).
//! [`PluginHost::load`] compiles every `[[plugins]]` entry ([`PluginsConfig`]) and
//! pre-instantiates it into an immutable [`PluginChain`]. Each decision then takes a **fresh
//! instance** from the pool, under the plugin's **deadline** (default 10 ms of the plugin's own
//! running time: see `deadline`) and **memory cap** (a
//! `ResourceLimiter`, default 16 MiB), and calls one export; the instance is never called again
//! (it goes back to the pool with its wasmtime store, which serves a few decisions in turn:
//! see `stores`). Nothing leaks from one call to the next except what the plugin writes to its
//! key-value store ([`PluginStore`]).
//!
//! A trap, an overrun or an answer the B2BUA cannot carry out fails that one decision with a
//! [`PluginError`]; [`PluginError::decision`] is what the caller gets instead (the plugin's
//! `on_error` fallback, by default `500 Undefined Reason`). A plugin whose fallback is
//! `continue` is skipped inside the chain (logged at `warn`).
//!
//! ## How the server calls it
//!
//! ```text
//! startup:  host  = PluginHost::new(HostSettings::default())?
//!           chain = SharedChain::new(host.load(&plugins_config, &env)?)
//! per call: let chain = shared.current();               // Arc snapshot: a reload mid-call
//!                                                       // does not change this call's plugins
//!           let decide = async move { chain.decide(&request).await };
//!           poll it once on the shard; Pending (it yielded) → tokio::spawn the rest
//!             Ok(ChainDecision { decision, decided_by }) → walk decision's targets
//!             Err(e)                                     → answer e.decision(), log e
//!           targets exhausted and decided_by = Some(p):
//!             chain.on_failure(p, &request, &attempts).await → more targets, a status, or
//!                                                          Continue (= tables::exhausted)
//!           answered / ended: chain.on_answer(..) / chain.on_hangup(..) (billing hooks, async)
//! reload:   shared.reload(&host, &new_config, &env)      // Err keeps the old chain serving
//! ```
//!
//! The chain's methods are `async` and their futures `Send` (and `'static` once they own their
//! chain and request). A decision runs its plugin's code inside `poll` (on a pooled fiber
//! stack), and yields to the executor every million wasm instructions or so, so a plugin that
//! spins holds an executor thread for tens of microseconds at a time, never for its whole
//! deadline.
//! Nearly every decision ends in its first poll (microseconds); never `.await` one inside a
//! task that serves other calls, which would wait for its whole deadline: poll it once, and
//! spawn it if it yields. Tools and tests without a runtime use [`block_on`]. At most [`HostSettings::max_instances`] decisions are in
//! flight at once; beyond that, instantiation fails with [`PluginErrorKind::Instantiate`]
//! rather than queueing.
//!
//! ## Layout
//!
//! `config` (the `[[plugins]]` shape, [`Fallback`]), `deadline` (what a decision is charged and
//! how it is stopped), `error` ([`LoadError`], [`PluginError`]),
//! `env` ([`HostEnv`]: tables, balances, clock, store), `state` (one decision's store data and
//! the host imports), `stores` (the wasmtime stores decisions run in, kept per thread),
//! `convert` (request and decision ↔ WIT, with the checks on plugin answers), `harness`
//! ([`test_call`], behind `ringway plugin test`).

mod config;
mod convert;
mod deadline;
mod env;
mod error;
mod harness;
mod state;
mod stores;

pub use config::{DEFAULT_DEADLINE, DEFAULT_MEMORY, Fallback, PluginConfig, PluginsConfig};
pub use convert::MAX_TARGETS;
pub use env::{
    Balance, Balances, Clock, FixedClock, HostEnv, MAX_KEY, MAX_KEYS, MAX_VALUE, MemoryStore,
    NoBilling, PluginStore, PluginValues, StoreRefusal, SystemClock,
};
pub use error::{LoadError, LoadErrorKind, PluginError, PluginErrorKind};
pub use harness::{CallFile, HarnessError, TestReport, block_on, describe, test_call};

use crate::request::Attempt;
use crate::{Decision, RouteRequest};
use arc_swap::ArcSwap;
use bindings::ringway::plugin::types as wit;
use bindings::{Router, RouterPre};
use deadline::{FUEL, Meter, Overrun, YIELD_FUEL};
use ringway_sdk::StatusLine;
use state::{CallState, MemoryCapReached, PluginMeta};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, HasSelf, InstancePre, Lift, Linker, Lower,
};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
};

/// Generated from the contract; the host implements `ringway:plugin/host` in `state`.
mod bindings {
    #![allow(missing_docs)]
    wasmtime::component::bindgen!({
        path: "../sdk/wit",
        world: "router",
        // Every host import may trap: it checks the decision's deadline first.
        imports: { default: trappable },
    });
}

/// Most bytes of a pooled memory or table slot that stay resident between instances, reset by
/// hand rather than released to the kernel (a small plugin's working set: its stack top, its
/// data and heap). Bounds the pool's idle RSS per warm slot.
const KEEP_RESIDENT: usize = 1 << 20;

/// The native stack a decision runs on (a pooled fiber stack): the guest's frames, up to
/// wasmtime's default `max_wasm_stack` of 512 KiB, and the host imports called from it.
const FIBER_STACK: usize = 1 << 20;

/// Engine-wide limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostSettings {
    /// Most decisions in flight at once (pooling allocator slots; the pool also has room for
    /// the finished instances that threads' kept stores hold, see `stores`). Default 256.
    pub max_instances: u32,
    /// The largest memory cap a plugin may configure (bytes). Default 64 MiB.
    pub max_memory: usize,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings { max_instances: 256, max_memory: 64 << 20 }
    }
}

/// The engine and linker every chain is loaded with. Create one per server.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<CallState>,
    settings: HostSettings,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl PluginHost {
    /// Creates the engine (reserving the instance pool) and the linker.
    pub fn new(settings: HostSettings) -> Result<PluginHost, LoadError> {
        let engine_error = |e: &dyn std::fmt::Display| LoadError {
            plugin: None,
            kind: LoadErrorKind::Engine(e.to_string()),
        };
        // Decisions in flight, and the finished instances that threads' kept stores hold
        // (see `stores`).
        let n = settings.max_instances.max(1).saturating_add(stores::idle_slots());
        let mut pool = PoolingAllocationConfig::default();
        // A Rust component instantiates a handful of core modules (the program and the
        // component model's shims), each with a table; one memory. A fiber stack is held only
        // while a decision runs, and by a kept store between two (1 MiB of address space and
        // two mappings each: not one per finished instance).
        pool.total_component_instances(n)
            .total_core_instances(n.saturating_mul(8))
            .total_memories(n.saturating_mul(2))
            .total_tables(n.saturating_mul(8))
            .total_stacks(settings.max_instances.max(1).saturating_add(stores::idle_stacks()))
            .max_memory_size(settings.max_memory)
            .table_keep_resident(KEEP_RESIDENT);
        // Returning a slot to the pool must reset what the last instance wrote. By default that
        // is an madvise of the whole memory, after which the next instance page-faults its stack
        // and heap back in, and every madvise flushes the TLBs of the other threads: most of a
        // decision's cost. With the PAGEMAP_SCAN ioctl (Linux 6.7+) the pool finds the pages
        // the guest wrote and restores only those with memcpy, and the slot stays resident.
        // Without it, keeping memory resident would mean a memset of its first bytes whatever
        // the guest touched (a Rust guest's 1 MiB stack comes first), so the default stays.
        // Tables are a few hundred bytes: zeroing them by hand always beats a system call.
        let pagemap_scan = PoolingAllocationConfig::is_pagemap_scan_available();
        if pagemap_scan {
            pool.pagemap_scan(Enabled::Yes).linear_memory_keep_resident(KEEP_RESIDENT);
        }
        tracing::debug!(pagemap_scan, "plugin instance pool");
        // Decisions run on fibers (`call_async`) so that they can yield as they burn fuel. A
        // fiber stack comes from the pool and stays resident: it is not zeroed between
        // decisions, as the blocking threads' stacks that ran them before never were either
        // (wasm code never reads a stack slot it did not write).
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .async_stack_size(FIBER_STACK)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| engine_error(&e))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| engine_error(&e))?;
        Router::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| engine_error(&e))?;
        Ok(PluginHost { engine, linker, settings })
    }

    /// Compiles and pre-instantiates every plugin of `config`, in order. Relative paths are
    /// relative to the working directory (the server resolves them against its config file).
    /// Any problem fails the whole chain: a server keeps its previous chain (see
    /// [`SharedChain::reload`]).
    pub fn load(&self, config: &PluginsConfig, env: &HostEnv) -> Result<PluginChain, LoadError> {
        let mut names = HashSet::new();
        let mut plugins = Vec::with_capacity(config.plugins.len());
        for entry in &config.plugins {
            let settings = entry.validate(self.settings.max_memory)?;
            if !names.insert(settings.name.clone()) {
                let kind = LoadErrorKind::Config("the name is used twice".into());
                return Err(LoadError { plugin: Some(settings.name), kind });
            }
            let fail = |kind| LoadError { plugin: Some(settings.name.clone()), kind };
            let bytes = std::fs::read(&settings.path).map_err(|source| {
                fail(LoadErrorKind::Read { path: settings.path.display().to_string(), source })
            })?;
            let component = Component::from_binary(&self.engine, &bytes)
                .map_err(|e| fail(LoadErrorKind::Compile(format!("{e:#}"))))?;
            // `RouterPre::new` checks that the component exports the `router` world's functions
            // with its types; the chain then instantiates without the generated wrapper, to look
            // up only the export a decision calls (see `RouterExports`).
            let pre = self
                .linker
                .instantiate_pre(&component)
                .and_then(RouterPre::new)
                .map_err(|e| fail(LoadErrorKind::Link(format!("{e:#}"))))?;
            let exports = RouterExports::find(&component)
                .ok_or_else(|| fail(LoadErrorKind::Link("a `router` export is missing".into())))?;
            plugins.push(LoadedPlugin {
                meta: Arc::new(PluginMeta {
                    name: settings.name.as_str().into(),
                    env: env.clone(),
                    memory: settings.memory,
                }),
                pre: pre.instance_pre().clone(),
                exports,
                engine: self.engine.clone(),
                deadline: settings.deadline,
                fallback: settings.fallback,
                billing_hooks: settings.billing_hooks,
                settings: convert::settings_to_wit(&settings.settings),
            });
        }
        Ok(PluginChain { plugins })
    }

    /// How many plugin instances are alive right now (pooled slots in use): those of decisions
    /// in flight, and the finished ones that threads' kept stores hold until they are dropped
    /// (at most seven per thread; see [`release_kept_store`](Self::release_kept_store)).
    pub fn live_instances(&self) -> u64 {
        self.engine.pooling_allocator_metrics().map_or(0, |m| m.component_instances())
    }

    /// Drops the store the calling thread keeps between decisions, giving its finished
    /// instances back to the pool. A store is reused for a few decisions (each still in a fresh
    /// instance) because making one costs a quarter of a decision; this is for tests and tools
    /// that count instances.
    pub fn release_kept_store(&self) {
        stores::release();
    }
}

/// Which plugin of a chain made a decision (to ask it again with [`PluginChain::on_failure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PluginIndex(usize);

/// A chain's answer and which plugin gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainDecision {
    /// The decision; [`Decision::Continue`] when every plugin continued (or the chain is empty).
    pub decision: Decision,
    /// The plugin that decided; `None` with `Continue`.
    pub decided_by: Option<PluginIndex>,
}

/// The call was answered (for the billing hooks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnswerInfo {
    /// The gateway that answered, for gateway targets.
    pub gateway: Option<String>,
    /// The Request-URI of the answered leg.
    pub uri: String,
    /// Time from the INVITE to the answer.
    pub setup: Duration,
}

/// The call ended (for the billing hooks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HangupInfo {
    /// Whether it was answered.
    pub answered: bool,
    /// Talk time.
    pub talk: Duration,
    /// The final status sent to the caller (200 when answered).
    pub status: StatusLine,
    /// Whether the caller hung up.
    pub by_caller: bool,
}

/// Loaded plugins, in order: immutable, shared by every call (`Send + Sync`).
#[derive(Default)]
pub struct PluginChain {
    plugins: Vec<LoadedPlugin>,
}

impl std::fmt::Debug for PluginChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.plugins.iter().map(|p| &*p.meta.name)).finish()
    }
}

struct LoadedPlugin {
    meta: Arc<PluginMeta>,
    pre: InstancePre<CallState>,
    exports: RouterExports,
    engine: Engine,
    deadline: Duration,
    fallback: Fallback,
    /// Whether `on_answer` and `on_hangup` call this plugin (`billing_hooks = true`).
    billing_hooks: bool,
    settings: Vec<wit::Pair>,
}

/// Where the `router` world's exports are in a loaded component. The generated
/// `RouterPre::instantiate` typechecks all four exports against their WIT signatures on every
/// instantiation (walking the `call` record field by field, four times); a decision calls one,
/// so it typechecks only that one.
struct RouterExports {
    route: ComponentExportIndex,
    on_failure: ComponentExportIndex,
    on_answer: ComponentExportIndex,
    on_hangup: ComponentExportIndex,
}

impl RouterExports {
    fn find(component: &Component) -> Option<RouterExports> {
        let find = |name| component.get_export_index(None, name);
        Some(RouterExports {
            route: find("route")?,
            on_failure: find("on-failure")?,
            on_answer: find("on-answer")?,
            on_hangup: find("on-hangup")?,
        })
    }
}

impl PluginChain {
    /// A chain without plugins: every call continues to the next router.
    pub fn empty() -> PluginChain {
        PluginChain::default()
    }

    /// The plugins' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.plugins.iter().map(|p| &*p.meta.name)
    }

    /// The name of the plugin at `index`.
    pub fn name(&self, index: PluginIndex) -> Option<&str> {
        self.plugins.get(index.0).map(|p| &*p.meta.name)
    }

    /// Asks each plugin's `route` in turn until one answers something other than `continue`.
    /// `Err` carries the failed plugin's fallback line: answer the caller with
    /// [`PluginError::decision`].
    pub async fn decide(&self, request: &RouteRequest) -> Result<ChainDecision, PluginError> {
        let Some(mut call) = self.call_view(request) else {
            return Ok(ChainDecision { decision: Decision::Continue, decided_by: None });
        };
        for (index, plugin) in self.plugins.iter().enumerate() {
            match plugin.route(&mut call, request).await? {
                Decision::Continue => continue,
                decision => {
                    return Ok(ChainDecision { decision, decided_by: Some(PluginIndex(index)) });
                }
            }
        }
        Ok(ChainDecision { decision: Decision::Continue, decided_by: None })
    }

    /// Asks only the plugin called `name` (the dialplan's `Wasm(name)`), with no fallthrough
    /// to the rest of the chain; `None` when the chain has no such plugin. A failure is the
    /// plugin's fallback, as in [`decide`](Self::decide) (`continue` included).
    pub async fn decide_by(
        &self,
        name: &str,
        request: &RouteRequest,
    ) -> Option<Result<Decision, PluginError>> {
        let plugin = self.plugins.iter().find(|p| &*p.meta.name == name)?;
        Some(plugin.route(&mut convert::call_view(request, &plugin.meta.env.tables), request).await)
    }

    /// The targets of the plugin at `decided_by` were all tried and failed over: asks its
    /// `on-failure` for more targets or the final status. `Continue` means the server answers
    /// its own ([`crate::tables::exhausted`]).
    pub async fn on_failure(
        &self,
        decided_by: PluginIndex,
        request: &RouteRequest,
        attempts: &[Attempt],
    ) -> Result<Decision, PluginError> {
        let Some(plugin) = self.plugins.get(decided_by.0) else { return Ok(Decision::Continue) };
        let mut call = convert::call_view(request, &plugin.meta.env.tables);
        call.settings = &plugin.settings;
        let attempts = convert::attempts_to_wit(attempts);
        let decision = plugin
            .run(request, &plugin.exports.on_failure, (&call, attempts.as_slice()))
            .await
            .and_then(|(d,)| plugin.check(d, call.target_number()));
        plugin.skip_if_failing_open(decision)
    }

    /// The call record for `request`; `None` for an empty chain. The plugins of a chain share
    /// one environment, whose tables read the dialed number once for all of them.
    fn call_view<'a>(&self, request: &'a RouteRequest) -> Option<convert::CallView<'a>> {
        self.plugins.first().map(|p| convert::call_view(request, &p.meta.env.tables))
    }

    /// Whether any plugin of the chain has its billing hooks on: the server tells the chain
    /// about its calls' answers and ends only then.
    pub fn has_billing_hooks(&self) -> bool {
        self.plugins.iter().any(|p| p.billing_hooks)
    }

    /// Billing hook: tells every plugin with `billing_hooks` the call was answered. Returns the
    /// plugins that failed (the call goes on regardless).
    pub async fn on_answer(&self, request: &RouteRequest, answer: &AnswerInfo) -> Vec<PluginError> {
        let answer = convert::answer_to_wit(answer);
        let Some(mut call) = self.call_view(request) else { return Vec::new() };
        let mut errors = Vec::new();
        for plugin in self.plugins.iter().filter(|p| p.billing_hooks) {
            call.settings = &plugin.settings;
            let result = plugin.run(request, &plugin.exports.on_answer, (&call, &answer)).await;
            note_hook_failure(result, &mut errors);
        }
        errors
    }

    /// Billing hook: tells every plugin with `billing_hooks` the call ended. Returns the
    /// plugins that failed.
    pub async fn on_hangup(&self, request: &RouteRequest, hangup: &HangupInfo) -> Vec<PluginError> {
        let hangup = convert::hangup_to_wit(hangup);
        let Some(mut call) = self.call_view(request) else { return Vec::new() };
        let mut errors = Vec::new();
        for plugin in self.plugins.iter().filter(|p| p.billing_hooks) {
            call.settings = &plugin.settings;
            let result = plugin.run(request, &plugin.exports.on_hangup, (&call, &hangup)).await;
            note_hook_failure(result, &mut errors);
        }
        errors
    }
}

/// A billing hook's failure is logged and collected; the call goes on.
fn note_hook_failure(result: Result<(), PluginError>, errors: &mut Vec<PluginError>) {
    if let Err(error) = result {
        tracing::warn!(%error, "plugin billing hook failed");
        errors.push(error);
    }
}

impl LoadedPlugin {
    /// Asks this plugin's `route` about `call` (its settings put in), a failure to fail open
    /// becoming `Continue`.
    async fn route<'a>(
        &'a self,
        call: &mut convert::CallView<'a>,
        request: &RouteRequest,
    ) -> Result<Decision, PluginError> {
        call.settings = &self.settings;
        let decision = self
            .run(request, &self.exports.route, (&*call,))
            .await
            .and_then(|(d,)| self.check(d, call.target_number()));
        self.skip_if_failing_open(decision)
    }

    /// Calls `export` with `params` on a fresh instance under the plugin's deadline (see
    /// `deadline`) and memory cap.
    fn run<Params, Return>(
        &self,
        request: &RouteRequest,
        export: &ComponentExportIndex,
        params: Params,
    ) -> impl Future<Output = Result<Return, PluginError>> + Send
    where
        Params: ComponentNamedList + Lower + Send + Sync,
        Return: ComponentNamedList + Lift + Send + Sync + 'static,
    {
        let meter = Meter::new(self.deadline);
        let state = CallState::new(Arc::clone(&self.meta), request, Arc::clone(&meter));
        let mut lent = stores::take(&self.engine, state);
        let store = &mut lent.store;
        let fuelled = store.set_fuel(FUEL).and_then(|()| store.fuel_async_yield_interval(Some(YIELD_FUEL)));
        async move {
            let store = &mut lent.store;
            fuelled.map_err(|e| self.classify(e, store, true))?;
            let outcome = meter
                .watch(async {
                    let instance = self.pre.instantiate_async(&mut *store).await;
                    let func = instance
                        .and_then(|i| i.get_typed_func::<Params, Return>(&mut *store, export))
                        .map_err(|e| (e, true))?;
                    func.call_async(&mut *store, params).await.map_err(|e| (e, false))
                })
                .await
                .unwrap_or_else(|overrun| Err((overrun.into(), false)));
            match outcome {
                Ok(value) => {
                    stores::give_back(lent);
                    Ok(value)
                }
                Err((e, instantiating)) => Err(self.classify(e, &lent.store, instantiating)),
            }
        }
    }

    /// Why a run failed.
    fn classify(
        &self,
        error: wasmtime::Error,
        store: &Store<CallState>,
        instantiating: bool,
    ) -> PluginError {
        let kind = if store.data().limits.exceeded || error.is::<MemoryCapReached>() {
            PluginErrorKind::Memory(self.meta.memory)
        } else if error.is::<Overrun>() {
            PluginErrorKind::Deadline(self.deadline)
        } else if let Some(trap) = error.downcast_ref::<Trap>() {
            match store.data().trap_reason() {
                Some(reason) => PluginErrorKind::Trap(format!("{trap}; {reason}")),
                None => PluginErrorKind::Trap(trap.to_string()),
            }
        } else if instantiating {
            PluginErrorKind::Instantiate(format!("{error:#}"))
        } else {
            PluginErrorKind::Trap(format!("{error:#}"))
        };
        self.error(kind)
    }

    fn error(&self, kind: PluginErrorKind) -> PluginError {
        PluginError { plugin: Arc::clone(&self.meta.name), kind, fallback: self.fallback }
    }

    /// The plugin's WIT decision as the server's, or a bad-decision error (a target without a
    /// number dials `number`).
    fn check(&self, decision: wit::Decision, number: &str) -> Result<Decision, PluginError> {
        convert::decision_from_wit(decision, number, &self.meta.env.tables)
            .map_err(|reason| self.error(PluginErrorKind::BadDecision(reason)))
    }

    /// A failure of a plugin configured to fail open becomes `Continue` (and a log line).
    fn skip_if_failing_open(
        &self,
        result: Result<Decision, PluginError>,
    ) -> Result<Decision, PluginError> {
        match result {
            Err(error) if error.fallback == Fallback::Continue => {
                tracing::warn!(%error, "plugin failed; continuing without it");
                Ok(Decision::Continue)
            }
            other => other,
        }
    }
}

/// The chain in service, swappable while calls use it: readers take a snapshot with
/// [`current`](SharedChain::current); [`reload`](SharedChain::reload) swaps atomically and
/// keeps the old chain when the new one fails to load. Cheap to clone (one `Arc`).
#[derive(Clone, Default)]
pub struct SharedChain(Arc<ArcSwap<PluginChain>>);

impl std::fmt::Debug for SharedChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedChain").field(&*self.0.load()).finish()
    }
}

impl SharedChain {
    /// Puts `chain` in service.
    pub fn new(chain: PluginChain) -> SharedChain {
        SharedChain(Arc::new(ArcSwap::from_pointee(chain)))
    }

    /// The chain in service now; calls keep their snapshot across reloads.
    pub fn current(&self) -> Arc<PluginChain> {
        self.0.load_full()
    }

    /// Loads `config` and, only if every plugin loads, swaps it in. On `Err` the chain in
    /// service is untouched.
    pub fn reload(
        &self,
        host: &PluginHost,
        config: &PluginsConfig,
        env: &HostEnv,
    ) -> Result<(), LoadError> {
        let chain = host.load(config, env)?;
        self.0.store(Arc::new(chain));
        Ok(())
    }
}
