//! The local harness behind `ringway plugin test --plugin X.wasm --call call.toml`: runs one
//! plugin against a call description, without a server, and reports its decision and timing.
//!
//! A call file (unknown keys are refused):
//!
//! ```text
//! [call]                       # the RouteRequest; only request_uri is required
//! request_uri = "sip:+74951234567@pbx.example.net"
//! caller = "alice"             # caller_name, callee_name, account, tariff_plan, call_id
//! source = "192.0.2.10:5060"   # with transport = "udp" | "tcp" | "tls"
//! offered_codecs = ["pcma", "pcmu"]
//! headers = { "x-campaign" = "spring" }
//! variables = { QUEUE = "sales" }
//!
//! [host]                       # what the host imports answer
//! now = 1777883400             # the clock, Unix seconds (default: the real clock)
//! balance = 500                # the account's balance, minor units (default: unknown)
//!
//! [plugin]                     # the [[plugins]] entry, without name and path
//! deadline_ms = 10
//! [plugin.settings]
//! max_targets = 2
//!
//! [[gateways]]                 # optional routing tables, as in the server's file
//! name = "carrier-a"
//! address = "192.0.2.1"
//! ```

use super::config::PluginConfig;
use super::env::{Balance, FixedClock, HostEnv};
use super::{HostSettings, LoadError, PluginError, PluginHost, PluginsConfig};
use crate::request::RequestTransport;
use crate::tables::{
    GatewayConfig, GatewayGroupConfig, NumberingPlanConfig, RouteConfig, RoutingConfig,
    TariffPlanConfig,
};
use crate::{ConfigError, Decision, DialplanConfig, RouteRequest, Tables};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

/// A call description for [`test_call`] (see the module docs for the file).
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct CallFile {
    /// The call.
    pub call: CallSection,
    /// What the host imports answer.
    #[serde(default)]
    pub host: HostSection,
    /// The plugin's limits, fallback and settings.
    #[serde(default)]
    pub plugin: PluginSection,
    #[serde(default)]
    routing: RoutingConfig,
    #[serde(default)]
    numbering_plans: Vec<NumberingPlanConfig>,
    #[serde(default)]
    tariff_plans: Vec<TariffPlanConfig>,
    #[serde(default)]
    gateways: Vec<GatewayConfig>,
    #[serde(default)]
    gateway_groups: Vec<GatewayGroupConfig>,
    #[serde(default)]
    routes: Vec<RouteConfig>,
}

/// `[call]`: the request the plugin is asked about.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct CallSection {
    /// The Request-URI.
    pub request_uri: String,
    /// The Call-ID (default `plugin-test`).
    pub call_id: Option<String>,
    /// The From user.
    pub caller: Option<String>,
    /// The From display name.
    pub caller_name: Option<String>,
    /// The To display name.
    pub callee_name: Option<String>,
    /// The authenticated account.
    pub account: Option<String>,
    /// The account's tariff plan.
    pub tariff_plan: Option<String>,
    /// Where the request came from.
    pub source: Option<SocketAddr>,
    /// `udp`, `tcp` or `tls`.
    pub transport: Option<String>,
    /// Headers the plugin sees.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Channel variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// The offer's codecs.
    #[serde(default)]
    pub offered_codecs: Vec<String>,
    /// The account's codecs.
    #[serde(default)]
    pub account_codecs: Vec<String>,
}

/// `[host]`: what the host imports answer.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct HostSection {
    /// The clock, Unix seconds; absent: the real clock.
    pub now: Option<u64>,
    /// The account's balance in minor units; absent: unknown.
    pub balance: Option<i64>,
}

/// `[plugin]`: a `[[plugins]]` entry without name and path.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PluginSection {
    /// Per-decision deadline.
    pub deadline_ms: Option<u64>,
    /// Memory cap.
    pub memory_mib: Option<u64>,
    /// Fallback.
    pub on_error: Option<String>,
    /// Settings.
    #[serde(default)]
    pub settings: toml::Table,
}

/// Why the harness could not run the plugin at all.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// The call file is not valid TOML of the expected shape.
    #[error("call file: {0}")]
    CallFile(String),
    /// Its routing tables are invalid.
    #[error("call file routing tables: {}", join(.0))]
    Tables(Vec<ConfigError>),
    /// The plugin did not load.
    #[error(transparent)]
    Load(#[from] LoadError),
}

fn join(errors: &[ConfigError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// What [`test_call`] measured.
#[derive(Debug)]
pub struct TestReport {
    /// The plugin's decision, or why it failed (its fallback is in the error).
    pub outcome: Result<Decision, PluginError>,
    /// Time to compile and pre-instantiate the component.
    pub load: Duration,
    /// The first decision (cold caches), instantiation included.
    pub first: Duration,
    /// The median of the next decisions (warm), instantiation included; zero when the first
    /// failed.
    pub warm: Duration,
}

/// How many warm decisions [`test_call`] times.
const WARM_RUNS: usize = 101;

/// Runs the plugin at `plugin` once on the call described by `call_toml`, then
/// `WARM_RUNS` (101) more times for timing.
pub fn test_call(plugin: &Path, call_toml: &str) -> Result<TestReport, HarnessError> {
    let file: CallFile =
        toml::from_str(call_toml).map_err(|e| HarnessError::CallFile(e.to_string()))?;
    let tables = Tables::new(&DialplanConfig {
        routing: file.routing,
        numbering_plans: file.numbering_plans,
        tariff_plans: file.tariff_plans,
        gateways: file.gateways,
        gateway_groups: file.gateway_groups,
        routes: file.routes,
    })
    .map_err(HarnessError::Tables)?;
    let request = request(file.call)?;
    let mut env = HostEnv { tables: Arc::new(tables), ..HostEnv::default() };
    if let Some(secs) = file.host.now {
        env.clock = Arc::new(FixedClock(UNIX_EPOCH + Duration::from_secs(secs)));
    }
    let balance = file.host.balance.map_or(Balance::Unknown, Balance::Amount);
    env.balances = Arc::new(move |_: &str| balance);
    let config = PluginsConfig {
        plugins: vec![PluginConfig {
            name: plugin.file_stem().map_or("plugin".into(), |s| s.to_string_lossy().into_owned()),
            path: plugin.to_owned(),
            deadline_ms: file.plugin.deadline_ms,
            memory_mib: file.plugin.memory_mib,
            on_error: file.plugin.on_error,
            billing_hooks: false,
            settings: file.plugin.settings,
        }],
    };
    let host = PluginHost::new(HostSettings::default())?;
    let started = now();
    let chain = host.load(&config, &env)?;
    let load = started.elapsed();
    let runtime = runtime();
    let started = now();
    let outcome = runtime.block_on(chain.decide(&request)).map(|d| d.decision);
    let first = started.elapsed();
    let mut warm = Vec::with_capacity(WARM_RUNS);
    if outcome.is_ok() {
        for _ in 0..WARM_RUNS {
            let started = now();
            let _ = runtime.block_on(chain.decide(&request));
            warm.push(started.elapsed());
        }
    }
    warm.sort_unstable();
    let warm = warm.get(warm.len() / 2).copied().unwrap_or_default();
    Ok(TestReport { outcome, load, first, warm })
}

/// Runs a plugin future (a [`PluginChain`](super::PluginChain) method's) to completion on the
/// calling thread: for tools, tests and benchmarks, which have no runtime of their own. A
/// current-thread tokio runtime, with the timer that a plugin's WASI clock waits need. Panics
/// when called inside a tokio runtime: there, spawn the future or await it.
pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime with only a timer starts")
}

#[allow(clippy::disallowed_methods, reason = "the harness measures wall time, like a benchmark")]
fn now() -> Instant {
    Instant::now()
}

fn request(call: CallSection) -> Result<RouteRequest, HarnessError> {
    let mut request = RouteRequest::new(call.request_uri)
        .with_offered_codecs(call.offered_codecs)
        .with_account_codecs(call.account_codecs)
        .with_call_id(call.call_id.unwrap_or_else(|| "plugin-test".into()));
    request.caller = call.caller;
    request.caller_name = call.caller_name;
    request.callee_name = call.callee_name;
    request.account = call.account;
    request.tariff_plan = call.tariff_plan;
    request.source = call.source;
    request.transport = match call.transport.as_deref() {
        None => None,
        Some("udp") => Some(RequestTransport::Udp),
        Some("tcp") => Some(RequestTransport::Tcp),
        Some("tls") => Some(RequestTransport::Tls),
        Some(other) => {
            return Err(HarnessError::CallFile(format!(
                "transport {other:?} is not udp, tcp or tls"
            )));
        }
    };
    for (name, value) in call.headers {
        request = request.with_header(&name, value);
    }
    for (name, value) in call.variables {
        request = request.with_variable(name, value);
    }
    Ok(request)
}

/// A decision in a few lines, for people: `continue`, the status line, or one line per target.
pub fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Continue => "continue".into(),
        Decision::Reject(line) => format!("reject {line}"),
        Decision::Targets(targets) => {
            let lines: Vec<String> = targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let via = t.gateway.as_deref().map(|g| format!(" via {g}")).unwrap_or_default();
                    let codecs =
                        if t.codecs.is_empty() { "any".into() } else { t.codecs.join(",") };
                    format!("{}. {}{via} (number {}, codecs {codecs})", i + 1, t.uri, t.number)
                })
                .collect();
            format!("targets\n{}", lines.join("\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_files_refuse_unknown_keys_and_transports() {
        let bad = |text: &str| test_call(Path::new("/nonexistent.wasm"), text).unwrap_err();
        assert!(matches!(
            bad("[call]\nrequest_uri = 'sip:1@x'\ncolour = 1"),
            HarnessError::CallFile(_)
        ));
        assert!(matches!(
            bad("[call]\nrequest_uri = 'sip:1@x'\ntransport = 'sctp'"),
            HarnessError::CallFile(_)
        ));
        assert!(matches!(bad("[call]\nrequest_uri = 'sip:1@x'"), HarnessError::Load(_)));
    }
}
