//! The daemon entry: bind every listener, announce them, run until shutdown, then stop cleanly.
//!
//! Start-up order matters to whoever launches Ringway (tests, the conformance runner, systemd):
//! every socket is bound *before* the announcement, so once `ready` is printed (or the `ready`
//! callback of [`run_with`] fires) every listed address accepts traffic. Binding port 0 is how
//! tests get free ports; the announcement carries the real bound addresses.
//!
//! Shutdown: the caller's `shutdown` future (SIGINT/SIGTERM in `main.rs`) fans out to every
//! component through a watch channel; `run` returns once all of them have stopped.

use crate::calls::CallPolicy;
use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::{ListenSpec, Settings};
use crate::http;
use crate::metrics::Metrics;
use crate::location::LocationView;
use crate::registrar::{Directory, Registrar};
use crate::shard::{Links, Shard};
use crate::sip::digest::Digest;
use crate::sip::ident::shard_of_user;
use crate::store::{Binding, LocationStore, PluginKv};
use crate::transport::guard::Guard;
use std::time::Instant;
use crate::sip::Transport;
use crate::sip::endpoint::{Endpoint, EndpointConfig};
use crate::sip::ident::ShardId;
use crate::sip::transaction::TimerConfig;
use crate::transport::{Hub, Limits, tcp, udp};
use std::hash::BuildHasher;
use std::collections::hash_map::RandomState;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// `data_dir` does not exist and cannot be created.
    #[error("cannot create data directory {}", path.display())]
    DataDir {
        /// The configured directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A store could not be opened (locked by another process, corrupt, no access).
    #[error("cannot open the {what} in {}", path.display())]
    Store {
        /// Which store: "location store", "plugin store".
        what: &'static str,
        /// The data directory.
        path: PathBuf,
        /// Why.
        source: crate::store::StoreError,
    },
    /// A `[[plugins]]` entry could not be loaded (missing file, not a component, bad settings).
    #[error("cannot load the plugin chain: {0}")]
    Plugins(#[from] ringway_dialplan::wasm::LoadError),
    /// The `[asterisk] extensions` dialplan has errors (each `file:line:column: reason`).
    #[error("cannot load the Asterisk dialplan:\n{0}")]
    Dialplan(#[from] crate::calls::DialplanError),
    /// A listener could not be bound (address in use, no permission, no such interface).
    #[error("cannot listen ({what}) on {addr}")]
    Bind {
        /// Which listener: `http`, `udp`, `tcp`.
        what: &'static str,
        /// The configured address.
        addr: SocketAddr,
        /// The I/O error.
        source: io::Error,
    },
}

/// The addresses actually bound, known only after binding (port 0 becomes a real port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundAddresses {
    /// SIP listeners, in configuration order.
    pub sip: Vec<ListenSpec>,
    /// The HTTP endpoint, if enabled.
    pub http: Option<SocketAddr>,
}

impl BoundAddresses {
    /// Writes the start-up announcement: `listening <kind> <addr>` per listener, then `ready`.
    ///
    /// This is the line protocol launchers wait for; its shape is a contract.
    pub fn announce(&self, out: &mut impl Write) -> io::Result<()> {
        for spec in &self.sip {
            writeln!(out, "listening {} {}", spec.transport, spec.addr)?;
        }
        if let Some(addr) = self.http {
            writeln!(out, "listening http {addr}")?;
        }
        writeln!(out, "ready")?;
        out.flush()
    }
}

/// Runs the daemon until `shutdown` completes, announcing the bound listeners on stdout.
pub async fn run(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StartError> {
    run_with(settings, shutdown, |bound| {
        // A launcher that stopped reading stdout is no reason to stop serving.
        if let Err(error) = bound.announce(&mut io::stdout().lock()) {
            warn!(%error, "cannot write the ready announcement to stdout");
        }
    })
    .await
}

/// Like [`run`], but hands the bound addresses to `ready` instead of printing them; tests use it
/// to learn port-0 addresses without parsing stdout or sleeping.
pub async fn run_with(
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send,
    ready: impl FnOnce(&BoundAddresses),
) -> Result<(), StartError> {
    let metrics = Arc::new(Metrics::new());
    tokio::fs::create_dir_all(&settings.data_dir)
        .await
        .map_err(|source| StartError::DataDir { path: settings.data_dir.clone(), source })?;

    let mut bound = BoundAddresses::default();
    let http_listener = match settings.http {
        Some(addr) => {
            let bind_error = |source| StartError::Bind { what: "http", addr, source };
            let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
            bound.http = Some(listener.local_addr().map_err(bind_error)?);
            Some(listener)
        }
        None => None,
    };

    let tables = ringway_dialplan::Tables::new(&settings.dialplan).unwrap_or_else(|_| {
        // Settings::validate built these tables already; an error here is a bug, so serve with
        // empty tables (every call to a number is 404) rather than refuse to start.
        tracing::error!("routing tables rejected after validation; routing is off");
        ringway_dialplan::Tables::default()
    });
    let plugin_kv = Arc::new(
        PluginKv::open(&settings.data_dir)
            .map_err(|source| StartError::Store { what: "plugin store", path: settings.data_dir.clone(), source })?,
    );
    let calls = Arc::new(
        CallPolicy::new(&settings, tables).with_plugins(&settings.plugins, plugin_kv.clone())?.with_dialplan(&settings)?,
    );
    let reload = plugin_reloader(settings.source.clone(), calls.clone());
    let sip = bind_sip(&settings, &mut bound)?;
    let (store, loaded) = LocationStore::open(&settings.data_dir)
        .map_err(|source| StartError::Store { what: "location store", path: settings.data_dir.clone(), source })?;

    // Dropping `stop_tx` resolves every `stopped(..)` future at once.
    let (stop_tx, stop_rx) = watch::channel(());
    // Shards, accounts (HA1s computed once) and loaded bindings are in place before `ready`:
    // a launcher that sends at once must not meet a server still setting up.
    let sip_tasks = start_sip(&settings, sip, &bound, metrics.clone(), store.clone(), loaded, calls, &stop_rx);
    ready(&bound);
    info!(
        http = %bound.http.map_or_else(|| "disabled".to_owned(), |addr| addr.to_string()),
        data_dir = %settings.data_dir.display(),
        shards = settings.sip.shards,
        "ringway ready"
    );

    let http_task = async {
        if let Some(listener) = http_listener {
            http::serve(listener, metrics.clone(), reload.clone(), stopped(&stop_rx)).await;
        }
    };
    let hangup_task = reload_on_sighup(reload.clone(), stopped(&stop_rx));
    let trigger = async move {
        shutdown.await;
        drop(stop_tx);
    };
    let sip_task = async {
        for task in sip_tasks {
            let _ = task.await;
        }
    };
    tokio::join!(http_task, sip_task, trigger, hangup_task);
    // Every shard has stopped: commit what is queued and release the file.
    store.close();
    plugin_kv.close();
    info!("ringway stopped");
    Ok(())
}

/// What `POST /plugins/reload` and SIGHUP run: read the config file again and swap in its
/// `[[plugins]]` chain (only the plugins; other keys need a restart).
fn plugin_reloader(source: Option<PathBuf>, calls: Arc<CallPolicy>) -> http::Reload {
    Arc::new(move || {
        let Some(path) = &source else { return Err("running on the embedded default config: no file to reload".to_owned()) };
        let settings = Settings::load(Some(path)).map_err(|e| e.to_string())?;
        // The dialplan first: a broken one refuses the whole reload, plugins included.
        let dialplan = calls.reload_dialplan(&settings).map_err(|e| e.to_string())?;
        if dialplan {
            info!("Asterisk dialplan reloaded");
        }
        if settings.plugins.plugins.is_empty() && dialplan {
            return Ok(Vec::new());
        }
        let names = calls.reload_plugins(&settings.plugins).map_err(|e| e.to_string())?;
        info!(plugins = ?names, "plugin chain reloaded");
        Ok(names)
    })
}

/// Reloads the plugin chain on every SIGHUP until `stop`.
async fn reload_on_sighup(reload: http::Reload, stop: impl Future<Output = ()>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        warn!("cannot install the SIGHUP handler; reload with POST /plugins/reload");
        return stop.await;
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            Some(()) = hangups.recv() => {
                let reload = reload.clone();
                match tokio::task::spawn_blocking(move || reload()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => warn!(%error, "plugin reload refused; the old chain keeps serving"),
                    Err(error) => warn!(%error, "plugin reload failed"),
                }
            }
        }
    }
}

/// SIP sockets bound before the announcement, not yet served.
struct SipSockets {
    udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    tcp: Vec<TcpListener>,
}

/// Binds every `[sip] listen` entry, recording the real addresses (port 0 resolved).
fn bind_sip(settings: &Settings, bound: &mut BoundAddresses) -> Result<SipSockets, StartError> {
    let mut sockets = SipSockets { udp: Vec::new(), tcp: Vec::new() };
    for spec in &settings.sip.listen {
        let bind_error = |source| StartError::Bind { what: spec.transport.as_str(), addr: spec.addr, source };
        let addr = match spec.transport {
            Transport::Udp => {
                let socket = udp::bind(spec.addr).map_err(bind_error)?;
                let addr = socket.local_addr().map_err(bind_error)?;
                sockets.udp.push((addr, Arc::new(socket)));
                addr
            }
            Transport::Tcp => {
                let listener = tcp::bind(spec.addr).map_err(bind_error)?;
                let addr = listener.local_addr().map_err(bind_error)?;
                sockets.tcp.push(listener);
                addr
            }
        };
        bound.sip.push(ListenSpec { transport: spec.transport, addr });
    }
    Ok(sockets)
}

/// Starts the shard tasks and the transport loops; they stop when `stop` fires.
#[allow(clippy::too_many_arguments)] // each is a distinct part the shards are built from
fn start_sip(
    settings: &Settings,
    sockets: SipSockets,
    bound: &BoundAddresses,
    metrics: Arc<Metrics>,
    store: LocationStore,
    loaded: Vec<Binding>,
    calls: Arc<CallPolicy>,
    stop: &watch::Receiver<()>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let sip = &settings.sip;
    let endpoint = Endpoint::new(EndpointConfig {
        server_name: sip.server_name.clone(),
        local_ips: bound.sip.iter().map(|spec| spec.addr.ip()).collect(),
    });
    let limits = Limits {
        max_message_size: sip.max_message_size,
        tcp_max_connections: sip.tcp_max_connections,
        tcp_idle_timeout: sip.tcp_idle_timeout,
    };
    let timers = TimerConfig { t1: sip.t1, t2: sip.t2, t4: sip.t4, ..TimerConfig::default() };
    let shards = sip.shards.clamp(1, usize::from(u16::MAX));
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..shards).map(|_| mpsc::channel(SHARD_QUEUE)).unzip();
    let hasher = RandomState::new();
    let guard = Guard::new(settings.security.clone(), metrics.clone());
    let hub = Arc::new(Hub::new(senders.clone(), endpoint.clone(), metrics.clone(), sockets.udp.clone(), limits, guard, hasher.clone()));
    let location = Arc::new(LocationView::new(metrics.clone()));
    let directory = Arc::new(Directory::new(&settings.accounts, &settings.trusted));
    let key = nonce_key();
    #[allow(clippy::disallowed_methods)] // the shell's clock: the origin nonces count from
    let origin = Instant::now();
    let mut registrars: Vec<Registrar> = (0..shards)
        .map(|index| {
            let digest = Digest::new(Registrar::digest_config(&settings.auth), key, origin, ShardId(index as u16));
            Registrar::new(settings.registrar.clone(), settings.auth.clone(), directory.clone(), digest)
        })
        .collect();
    // Each binding goes to the shard that owns its AOR, as REGISTERs do.
    #[allow(clippy::disallowed_methods)] // the shell's clock: drop bindings that expired while down
    let unix_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    for binding in loaded.into_iter().filter(|b| b.expires_at > unix_now) {
        let user = binding.aor.strip_prefix("sip:").and_then(|a| a.split('@').next()).unwrap_or("").to_owned();
        let shard = shard_of_user(&user, shards as u16, &hasher);
        registrars[usize::from(shard.0)].load(binding);
    }
    for registrar in &registrars {
        for (aor, bindings) in registrar.loaded() {
            location.publish(aor.clone(), bindings.clone());
        }
    }
    let seeds = RandomState::new();
    let mut tasks = Vec::new();
    for (index, (inputs, registrar)) in receivers.into_iter().zip(registrars).enumerate() {
        let id = ShardId(index as u16);
        let seed = seeds.hash_one(index);
        let links = Links {
            hub: hub.clone(),
            metrics: metrics.clone(),
            store: store.clone(),
            location: location.clone(),
            inbox: senders[index].clone(),
            listen: bound.sip.clone().into(),
            server_name: sip.server_name.clone(),
            calls: calls.clone(),
        };
        let shard = Shard::new(id, timers, endpoint.clone(), registrar, seed, links);
        tasks.push(tokio::spawn(shard.run(inputs, stopped(stop))));
    }
    for (_, socket) in sockets.udp {
        tasks.push(tokio::spawn(udp::serve(socket, hub.clone(), stopped(stop))));
    }
    for listener in sockets.tcp {
        tasks.push(tokio::spawn(tcp::serve(listener, hub.clone(), stopped(stop))));
    }
    tasks
}

/// The key that authenticates nonces: 32 bytes from the OS, new at every start (nonces from
/// before a restart are refused and the phone is simply challenged again).
fn nonce_key() -> [u8; 32] {
    use std::io::Read;
    let mut key = [0u8; 32];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut key)).is_err() {
        // No /dev/urandom: std's OS-seeded hasher keys are the next best source.
        for (i, chunk) in key.chunks_mut(8).enumerate() {
            chunk.copy_from_slice(&RandomState::new().hash_one(i).to_le_bytes());
        }
    }
    key
}

/// Inputs queued per shard before the hub sheds load with 503.
const SHARD_QUEUE: usize = 16 * 1024;

/// A future that completes when the shutdown fan-out fires.
fn stopped(stop: &watch::Receiver<()>) -> impl Future<Output = ()> + Send + 'static {
    let mut stop = stop.clone();
    async move {
        // Err means the sender was dropped, which is exactly the signal.
        let _ = stop.changed().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcement_lists_sip_then_http_then_ready() {
        let bound = BoundAddresses {
            sip: vec!["udp:127.0.0.1:5060".parse().unwrap(), "tcp:[::1]:5061".parse().unwrap()],
            http: Some("127.0.0.1:8088".parse().unwrap()),
        };
        let mut out = Vec::new();
        bound.announce(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "listening udp 127.0.0.1:5060\nlistening tcp [::1]:5061\nlistening http 127.0.0.1:8088\nready\n"
        );
    }

    #[test]
    fn announcement_without_listeners_is_just_ready() {
        let mut out = Vec::new();
        BoundAddresses::default().announce(&mut out).unwrap();
        assert_eq!(out, b"ready\n");
    }
}
