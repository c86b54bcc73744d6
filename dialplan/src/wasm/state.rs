//! One decision's store: the data a fresh instance runs against (its WASI context with nothing
//! granted, its memory cap, its deadline meter, its plugin's identity and environment) and the
//! host imports of `ringway:plugin/host` that read it.

use super::bindings::ringway::plugin::host::{self, Level};
use super::bindings::ringway::plugin::types;
use super::convert::{decision_to_wit, number_check};
use super::deadline::Meter;
use super::env::{Balance, HostEnv, MAX_KEY, MAX_VALUE, StoreRefusal};
use crate::RouteRequest;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::UNIX_EPOCH;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Result};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Most log lines one decision may write; the rest are dropped (a plugin must not flood the
/// server's log).
const MAX_LOG_LINES: u32 = 32;
/// Longest log message kept (bytes); longer ones are cut.
const MAX_LOG_MESSAGE: usize = 1024;
/// Longest panic message kept (bytes); the rest of the pieces is dropped.
const MAX_PANIC_MESSAGE: usize = 1024;
/// How much of a plugin's stderr is kept for its trap message (bytes).
const STDERR_CAPACITY: usize = 4096;

/// What a loaded plugin's instances share.
#[derive(Debug)]
pub(crate) struct PluginMeta {
    pub name: Arc<str>,
    pub env: HostEnv,
    pub memory: usize,
}

/// The store data of one decision.
pub(crate) struct CallState {
    /// Made at the plugin's first WASI call: most decisions make none.
    wasi: Option<Wasi>,
    table: ResourceTable,
    pub limits: MemoryCap,
    meter: Arc<Meter>,
    meta: Arc<PluginMeta>,
    call_id: String,
    log_lines: u32,
    /// What the plugin said it panicked with (`host::panicked`, in pieces), for its trap's
    /// error.
    panic: Vec<u8>,
}

/// A decision's WASI context and the stderr it writes to.
struct Wasi {
    ctx: WasiCtx,
    stderr: MemoryOutputPipe,
}

impl Wasi {
    fn new() -> Wasi {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        // Nothing is granted: no preopened directories, no environment, no arguments, no
        // sockets, no name lookups. stdout is discarded; stderr is kept for trap messages.
        let ctx = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Wasi { ctx, stderr }
    }
}

impl CallState {
    pub fn new(meta: Arc<PluginMeta>, request: &RouteRequest, meter: Arc<Meter>) -> CallState {
        CallState {
            wasi: None,
            table: ResourceTable::new(),
            limits: MemoryCap { cap: meta.memory, exceeded: false },
            meter,
            call_id: request.call_id.clone(),
            meta,
            log_lines: 0,
            panic: Vec::new(),
        }
    }

    /// Why the plugin trapped, on one line, if it said: the message it sent to `panicked` (the
    /// SDK's panic hook), else what it wrote to stderr (a plugin without that hook), without
    /// Rust's advice about backtraces.
    pub fn trap_reason(&self) -> Option<String> {
        if !self.panic.is_empty() {
            return Some(String::from_utf8_lossy(&self.panic).replace('\n', " "));
        }
        let stderr = self.wasi.as_ref()?.stderr.contents();
        let stderr = String::from_utf8_lossy(&stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
            .collect();
        let stderr = lines.join(" ");
        let stderr = stderr.trim();
        (!stderr.is_empty()).then(|| format!("stderr: {stderr}"))
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let wasi = self.wasi.get_or_insert_with(Wasi::new);
        WasiCtxView { ctx: &mut wasi.ctx, table: &mut self.table }
    }
}

/// The per-instance memory cap. Growth past it traps the instance at once (rather than letting
/// `memory.grow` fail and the guest's allocator abort), and `exceeded` tells the host why.
pub(crate) struct MemoryCap {
    cap: usize,
    pub exceeded: bool,
}

/// The error a capped growth traps with.
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {0} bytes reached")]
pub(crate) struct MemoryCapReached(pub usize);

/// Most table elements an instance may grow to (function tables of large Rust plugins stay
/// far below).
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool> {
        if desired > self.cap {
            self.exceeded = true;
            return Err(MemoryCapReached(self.cap).into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut at = max;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.truncate(at);
    }
    text
}

/// A log line's fields as `key="value" key="value"`.
struct Fields<'a>(&'a [(String, String)]);

impl std::fmt::Display for Fields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (key, value)) in self.0.iter().enumerate() {
            let separator = if i == 0 { "" } else { " " };
            write!(f, "{separator}{key}={value:?}")?;
        }
        Ok(())
    }
}

impl types::Host for CallState {}

// Every import checks the deadline first: a loop of imports runs little wasm, so it burns little
// fuel and yields seldom (see `deadline`).
impl host::Host for CallState {
    fn log(&mut self, level: Level, message: String, fields: Vec<(String, String)>) -> Result<()> {
        self.meter.check()?;
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return Ok(());
        }
        let message = cut(message, MAX_LOG_MESSAGE);
        let fields = Fields(&fields);
        let (plugin, call_id) = (&*self.meta.name, self.call_id.as_str());
        // `%fields` is formatted only if a subscriber takes the event: a plugin that logs on
        // every decision costs nothing more while its level is filtered out.
        macro_rules! emit {
            ($level:expr) => {
                tracing::event!(
                    target: "ringway::plugin", $level, plugin, call_id, %fields, "{message}"
                )
            };
        }
        match level {
            Level::Trace => emit!(tracing::Level::TRACE),
            Level::Debug => emit!(tracing::Level::DEBUG),
            Level::Info => emit!(tracing::Level::INFO),
            Level::Warn => emit!(tracing::Level::WARN),
            Level::Error => emit!(tracing::Level::ERROR),
        }
        Ok(())
    }

    fn log_enabled(&mut self, level: Level) -> Result<bool> {
        self.meter.check()?;
        Ok(match level {
            Level::Trace => tracing::enabled!(target: "ringway::plugin", tracing::Level::TRACE),
            Level::Debug => tracing::enabled!(target: "ringway::plugin", tracing::Level::DEBUG),
            Level::Info => tracing::enabled!(target: "ringway::plugin", tracing::Level::INFO),
            Level::Warn => tracing::enabled!(target: "ringway::plugin", tracing::Level::WARN),
            Level::Error => tracing::enabled!(target: "ringway::plugin", tracing::Level::ERROR),
        })
    }

    fn panicked(&mut self, bytes: (u64, u64, u64, u64), len: u8) -> Result<()> {
        let piece = [bytes.0, bytes.1, bytes.2, bytes.3].map(u64::to_le_bytes).concat();
        let room = MAX_PANIC_MESSAGE.saturating_sub(self.panic.len());
        self.panic.extend(piece.iter().take(usize::from(len).min(room)));
        Ok(())
    }

    fn now(&mut self) -> Result<(u64, u32)> {
        self.meter.check()?;
        let since = self.meta.env.clock.now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Ok((since.as_secs(), since.subsec_nanos()))
    }

    fn kv_get(&mut self, key: String) -> Result<Option<String>> {
        self.meter.check()?;
        Ok(self.meta.env.store.get(&self.meta.name, &key))
    }

    fn kv_set(
        &mut self,
        key: String,
        value: String,
    ) -> Result<std::result::Result<(), host::KvError>> {
        self.meter.check()?;
        if key.len() > MAX_KEY || value.len() > MAX_VALUE {
            return Ok(Err(host::KvError::TooLarge));
        }
        let stored = self.meta.env.store.set(&self.meta.name, &key, &value);
        Ok(stored.map_err(|refusal| match refusal {
            StoreRefusal::Full => host::KvError::Full,
        }))
    }

    fn kv_delete(&mut self, key: String) -> Result<()> {
        self.meter.check()?;
        self.meta.env.store.delete(&self.meta.name, &key);
        Ok(())
    }

    fn lookup_route(
        &mut self,
        number: String,
        tariff_plan: Option<String>,
    ) -> Result<types::Decision> {
        self.meter.check()?;
        let mut request = RouteRequest::new(format!("sip:{number}@lookup"));
        if request.dialed.as_deref() != Some(number.as_str()) {
            // Not a user part that survives a URI (an `@`, a `;`): nothing to look up.
            return Ok(types::Decision::Continue);
        }
        request.tariff_plan = tariff_plan;
        // The same call always gets the same order among equal-priority gateways.
        let mut hasher = DefaultHasher::new();
        self.call_id.hash(&mut hasher);
        let env = &self.meta.env;
        Ok(decision_to_wit(&env.tables.route(&request, &*env.gateways, hasher.finish())))
    }

    fn check_number(&mut self, number: String) -> Result<types::NumberCheck> {
        self.meter.check()?;
        Ok(number_check(&self.meta.env.tables, &number))
    }

    fn account_balance(&mut self, account: String) -> Result<host::Balance> {
        self.meter.check()?;
        Ok(match self.meta.env.balances.balance(&account) {
            Balance::Unknown => host::Balance::Unknown,
            Balance::Amount(minor) => host::Balance::Amount(minor),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_fields_read_as_key_and_quoted_value_pairs() {
        let fields = [("prefix".into(), "+7495".into()), ("gateway".into(), "a \"b\"".into())];
        assert_eq!(Fields(&fields).to_string(), r#"prefix="+7495" gateway="a \"b\"""#);
        assert_eq!(Fields(&[]).to_string(), "");
    }
}
