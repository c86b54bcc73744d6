//! Configuration: one TOML file turned into typed [`Settings`].
//!
//! Precedence is defaults < file < command line. The defaults are written once, as the embedded
//! [`DEFAULT_TOML`] (what `ringway print-default-config` prints); a test holds it equal to an
//! empty file, so the constants below and the documented file cannot drift apart.
//!
//! Every error reads `file:line: reason`, semantic ones included: values are kept with their byte
//! spans while parsing ([`toml::Spanned`]) and validation reports the span of the value at fault.
//! What this module does not do: watch the file or reload it, resolve host names, or bind sockets.

mod file;
mod listen;
mod registrar;

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

pub use listen::{ListenSpec, ListenSpecError, Transport, UnknownTransport};
pub use registrar::{Account, AuthSettings, RegistrarSettings, SecuritySettings, TrustedPeer};

/// The embedded default configuration, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// The file name used in messages about [`DEFAULT_TOML`].
const DEFAULT_TOML_NAME: &str = "default.toml";

const DEFAULT_DATA_DIR: &str = "./ringway-data";
const DEFAULT_LOG_LEVEL: &str = "info";
/// Asterisk's context for endpoints that name none.
const DEFAULT_CONTEXT: &str = "default";
const DEFAULT_SIP_LISTEN: [&str; 2] = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"];
const DEFAULT_SERVER_NAME: &str = "Ringway";
const DEFAULT_HTTP_LISTEN: &str = "127.0.0.1:8088";
const DEFAULT_SHARDS: u64 = 0;
const DEFAULT_MAX_MESSAGE_SIZE: u64 = 65535;
const DEFAULT_TCP_MAX_CONNECTIONS: u64 = 4096;
const DEFAULT_TCP_IDLE_TIMEOUT_SECS: u64 = 300;
// RFC 3261 §17.1.1.1 and Table 4.
const DEFAULT_T1_MS: u64 = 500;
const DEFAULT_T2_MS: u64 = 4000;
const DEFAULT_T4_MS: u64 = 5000;

/// Calls end after this long unless configured otherwise (0 = no limit).
const DEFAULT_MAX_DURATION_SECS: u64 = 14_400;
/// Retry-After of `503 Service Unavailable` when a limit refuses a call.
const DEFAULT_RETRY_AFTER_SECS: u64 = 5;

/// More shard tasks than this is a typo, not a deployment (each may get a worker thread).
const MAX_SHARDS: u64 = 1024;
/// A bound on per-connection buffering; SIP messages that large do not exist in practice.
const MAX_MESSAGE_SIZE_LIMIT: u64 = 16 * 1024 * 1024;
/// Timer values beyond an hour are typos (milliseconds written as seconds, or the reverse).
const MAX_TIMER_MS: u64 = 3_600_000;
/// An idle TCP connection kept for more than a day is a leak, not a setting.
const MAX_IDLE_SECS: u64 = 86_400;

/// The validated configuration the daemon runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where Ringway keeps its on-disk store (registrations, CDRs, balances).
    pub data_dir: PathBuf,
    /// The `tracing` `EnvFilter` directive (the `RUST_LOG` environment variable overrides it).
    pub log_level: String,
    /// The SIP core and its transports.
    pub sip: SipSettings,
    /// Address of the Prometheus `/metrics` and `/health` endpoint; `None` = disabled.
    pub http: Option<SocketAddr>,
    /// `[registrar]`: bindings, expiry limits, keep-alive pings.
    pub registrar: RegistrarSettings,
    /// `[auth]`: digest authentication.
    pub auth: AuthSettings,
    /// `[security]`: bans and rate limits.
    pub security: SecuritySettings,
    /// `[[accounts]]`: users with passwords.
    pub accounts: Vec<Account>,
    /// `[[trusted]]`: peers identified by source address.
    pub trusted: Vec<TrustedPeer>,
    /// `[calls]`: admission limits and the maximum call duration.
    pub calls: crate::calls::CallLimits,
    /// The built-in routing tables (`[routing]`, `[[gateways]]`, `[[routes]]`…), already
    /// checked by [`ringway_dialplan::Tables::new`].
    pub dialplan: ringway_dialplan::DialplanConfig,
    /// `[[plugins]]`: the WASM plugin chain, asked before the tables. Relative paths are
    /// resolved against the config file's directory by [`Settings::load`].
    pub plugins: ringway_dialplan::wasm::PluginsConfig,
    /// `[asterisk]`: the Asterisk dialplan (`extensions.conf`) routing calls before the plugins
    /// and the tables.
    pub asterisk: AsteriskSettings,
    /// The file these settings came from (`None` for the embedded default): what a reload
    /// (SIGHUP, `POST /plugins/reload`) reads again.
    pub source: Option<PathBuf>,
}

/// The `[asterisk]` table, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsteriskSettings {
    /// The `extensions.conf` to run (relative paths are resolved against the config file's
    /// directory by [`Settings::load`]); `None`: no Asterisk dialplan.
    pub extensions: Option<PathBuf>,
    /// The context of calls whose account or trusted peer names none (Asterisk's `default`).
    pub context: String,
    /// The time zone `GotoIfTime` and timed includes read the clock in (IANA name);
    /// `None`: the system's.
    pub timezone: Option<String>,
}

/// The `[sip]` table, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipSettings {
    /// Sockets to listen on, never empty and without duplicates (except port-0 entries).
    pub listen: Vec<ListenSpec>,
    /// Shard tasks owning transactions, already resolved (0 in the file = one per CPU core).
    pub shards: usize,
    /// Value of the Server and User-Agent headers Ringway sends.
    pub server_name: String,
    /// Largest SIP message accepted, in bytes.
    pub max_message_size: usize,
    /// Open TCP connections at most; further connections are refused.
    pub tcp_max_connections: usize,
    /// A TCP connection with no traffic for this long is closed.
    pub tcp_idle_timeout: Duration,
    /// RFC 3261 §17 T1: round-trip time estimate.
    pub t1: Duration,
    /// RFC 3261 §17 T2: maximum retransmit interval for non-INVITE requests and INVITE responses.
    pub t2: Duration,
    /// RFC 3261 §17 T4: maximum time a message remains in the network.
    pub t4: Duration,
}

/// Values given on the command line; each one that is set replaces the file's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--listen`, repeatable; empty keeps the file's list.
    pub listen: Vec<ListenSpec>,
    /// `--http ADDR`; `""` disables HTTP.
    pub http: Option<String>,
    /// `--data-dir DIR`.
    pub data_dir: Option<PathBuf>,
    /// `--log-level LEVEL`.
    pub log_level: Option<String>,
}

/// What is wrong with one value, wherever it was written (file or command line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The TOML parser's own complaint: syntax, types, unknown keys.
    #[error("{message}")]
    Toml {
        /// The parser's message, without location.
        message: String,
    },
    /// A count or duration that must be positive is 0.
    #[error("{key} must be greater than 0")]
    Zero {
        /// The key, with its table (`sip.t1_ms`).
        key: &'static str,
    },
    /// A number above its sanity limit.
    #[error("{key} = {value} is too large (at most {max})")]
    TooLarge {
        /// The key, with its table.
        key: &'static str,
        /// The value as written.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// A string or list that must have content is empty.
    #[error("{key} must not be empty")]
    Empty {
        /// The key, with its table.
        key: &'static str,
    },
    /// The HTTP listen address is not an IP literal with a port.
    #[error("{value:?} is not ip:port (for example \"127.0.0.1:8088\"; \"\" disables HTTP)")]
    HttpAddress {
        /// The value as written.
        value: String,
    },
    /// The log level is not an `EnvFilter` directive.
    #[error("{value:?} is not a tracing filter directive: {reason}")]
    LogLevel {
        /// The value as written.
        value: String,
        /// The filter parser's message.
        reason: String,
    },
    /// The server name would corrupt the header it is sent in.
    #[error("server_name {value:?} contains control characters")]
    ServerName {
        /// The value as written.
        value: String,
    },
    /// T1 above T2 makes the RFC 3261 §17.1.2.2 back-off (`min(2^n * T1, T2)`) meaningless.
    #[error("sip.t1_ms = {t1} is greater than sip.t2_ms = {t2}")]
    TimerOrder {
        /// T1 in milliseconds.
        t1: u64,
        /// T2 in milliseconds.
        t2: u64,
    },
    /// A listen entry is not `transport:ip:port`.
    #[error(transparent)]
    Listen {
        /// The parse error, which quotes the entry.
        source: ListenSpecError,
    },
    /// A name that is not one of the known values.
    #[error("unknown {what} {value:?}")]
    Unknown {
        /// What kind of value.
        what: &'static str,
        /// The value as written.
        value: String,
    },
    /// Expiry limits out of order.
    #[error("registrar expiries must satisfy min_expires ({min}) <= default_expires ({default}) <= max_expires ({max})")]
    ExpiresOrder {
        /// min_expires.
        min: u64,
        /// default_expires.
        default: u64,
        /// max_expires.
        max: u64,
    },
    /// A problem the routing tables found (unknown gateway, duplicate route…).
    #[error("{message}")]
    Routing {
        /// The router's message.
        message: String,
    },
    /// Two accounts with one username.
    #[error("account {username:?} is defined twice")]
    DuplicateAccount {
        /// The username.
        username: String,
    },
    /// An account with neither password nor HA1.
    #[error("account {username:?} has no password, ha1_md5 or ha1_sha256")]
    NoCredentials {
        /// The username.
        username: String,
    },
    /// An HA1 that is not the right number of hex digits.
    #[error("{key} must be {hex_digits} hex digits")]
    Ha1 {
        /// The key.
        key: &'static str,
        /// How many digits it needs.
        hex_digits: usize,
    },
    /// The same socket is listed twice; the second bind would fail.
    #[error("{spec} is listed twice")]
    DuplicateListen {
        /// The repeated entry.
        spec: ListenSpec,
    },
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value in the file is wrong; `line` is 1-based.
    #[error("{file}:{line}: {problem}")]
    Invalid {
        /// The file name as given.
        file: String,
        /// The line of the offending value.
        line: usize,
        /// What is wrong.
        problem: Problem,
    },
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file name as given.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A command-line value is wrong.
    #[error("{option}: {problem}")]
    Override {
        /// The option, as spelled on the command line (`--http`).
        option: &'static str,
        /// What is wrong.
        problem: Problem,
    },
}

/// A problem and the byte span of the value it is about.
struct Located {
    span: Range<usize>,
    problem: Problem,
}

impl Settings {
    /// Parses and validates a whole file; `file_name` only labels error messages.
    pub fn from_toml(text: &str, file_name: &str) -> Result<Settings, ConfigError> {
        let invalid = |span: Option<Range<usize>>, problem| ConfigError::Invalid {
            file: file_name.to_owned(),
            line: span.map_or(1, |span| line_of(text, span.start)),
            problem,
        };
        let raw: file::File = toml::from_str(text).map_err(|err| {
            invalid(err.span(), Problem::Toml { message: err.message().trim_end().to_owned() })
        })?;
        Settings::validate(raw).map_err(|located| invalid(Some(located.span), located.problem))
    }

    /// The settings of the embedded [`DEFAULT_TOML`], the same as those of an empty file.
    pub fn embedded_default() -> Settings {
        match Settings::from_toml(DEFAULT_TOML, DEFAULT_TOML_NAME) {
            Ok(settings) => settings,
            // Unreachable while the unit tests pass: they parse the embedded file.
            Err(err) => panic!("the embedded default config is invalid: {err}"),
        }
    }

    /// Reads `path`, or returns the embedded default when there is no file.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let Some(path) = path else { return Ok(Settings::embedded_default()) };
        let file = path.display().to_string();
        let mut settings = match std::fs::read_to_string(path) {
            Ok(text) => Settings::from_toml(&text, &file)?,
            Err(source) => return Err(ConfigError::Read { file, source }),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        for plugin in &mut settings.plugins.plugins {
            if plugin.path.is_relative() {
                plugin.path = dir.join(&plugin.path);
            }
        }
        if let Some(extensions) = &mut settings.asterisk.extensions
            && extensions.is_relative()
        {
            *extensions = dir.join(&*extensions);
        }
        settings.source = Some(path.to_path_buf());
        Ok(settings)
    }

    /// Applies command-line values on top of the file's.
    pub fn apply(&mut self, overrides: Overrides) -> Result<(), ConfigError> {
        let Overrides { listen, http, data_dir, log_level } = overrides;
        if !listen.is_empty() {
            if let Some(spec) = first_duplicate(listen.iter().copied()) {
                let problem = Problem::DuplicateListen { spec };
                return Err(ConfigError::Override { option: "--listen", problem });
            }
            self.sip.listen = listen;
        }
        if let Some(http) = http {
            self.http = parse_http(&http)
                .map_err(|problem| ConfigError::Override { option: "--http", problem })?;
        }
        if let Some(data_dir) = data_dir {
            if data_dir.as_os_str().is_empty() {
                let problem = Problem::Empty { key: "data_dir" };
                return Err(ConfigError::Override { option: "--data-dir", problem });
            }
            self.data_dir = data_dir;
        }
        if let Some(level) = log_level {
            check_log_level(&level)
                .map_err(|problem| ConfigError::Override { option: "--log-level", problem })?;
            self.log_level = level;
        }
        Ok(())
    }

    fn validate(raw: file::File) -> Result<Settings, Located> {
        let data_dir = match raw.data_dir {
            Some(dir) => {
                non_empty(&dir, "data_dir")?;
                PathBuf::from(dir.into_inner())
            }
            None => PathBuf::from(DEFAULT_DATA_DIR),
        };
        let log_level = match raw.log.level {
            Some(level) => {
                check_log_level(level.get_ref()).map_err(|problem| at(&level, problem))?;
                level.into_inner()
            }
            None => DEFAULT_LOG_LEVEL.to_owned(),
        };
        let http = match raw.http.listen {
            Some(listen) => parse_http(listen.get_ref()).map_err(|problem| at(&listen, problem))?,
            None => Some(DEFAULT_HTTP_LISTEN.parse().expect("the default HTTP address parses")),
        };
        let sip = validate_sip(raw.sip)?;
        let registrar = registrar::validate_registrar(raw.registrar)?;
        let auth = registrar::validate_auth(raw.auth)?;
        let security = registrar::validate_security(raw.security)?;
        let accounts = registrar::validate_accounts(raw.accounts, &registrar)?;
        let trusted = registrar::validate_trusted(raw.trusted, &accounts)?;
        let calls = validate_calls(&raw.calls)?;
        let dialplan = ringway_dialplan::DialplanConfig {
            routing: raw.routing,
            numbering_plans: raw.numbering_plans,
            tariff_plans: raw.tariff_plans,
            gateways: raw.gateways,
            gateway_groups: raw.gateway_groups,
            routes: raw.routes,
        };
        if let Err(problems) = ringway_dialplan::Tables::new(&dialplan) {
            // The first problem in file order; the rest are usually its consequences.
            let first = problems.into_iter().next().expect("Tables::new reports at least one problem");
            return Err(Located { span: first.span.unwrap_or(0..0), problem: Problem::Routing { message: first.message } });
        }
        for plugin in &raw.plugins {
            if let Some(on_error) = &plugin.on_error
                && ringway_dialplan::wasm::Fallback::parse(on_error).is_none()
            {
                let problem = Problem::Unknown { what: "plugin on_error (\"continue\" or a catalog line)", value: on_error.clone() };
                return Err(Located { span: 0..0, problem });
            }
        }
        let plugins = ringway_dialplan::wasm::PluginsConfig { plugins: raw.plugins };
        let asterisk = validate_asterisk(raw.asterisk)?;
        Ok(Settings { data_dir, log_level, sip, http, registrar, auth, security, accounts, trusted, calls, dialplan, plugins, asterisk, source: None })
    }
}

fn validate_asterisk(t: file::AsteriskTable) -> Result<AsteriskSettings, Located> {
    let extensions = match t.extensions {
        Some(path) => {
            non_empty(&path, "asterisk.extensions")?;
            Some(PathBuf::from(path.into_inner()))
        }
        None => None,
    };
    let context = match t.context {
        Some(context) => {
            non_empty(&context, "asterisk.context")?;
            context.into_inner()
        }
        None => DEFAULT_CONTEXT.to_owned(),
    };
    let timezone = match t.timezone {
        Some(zone) => {
            if jiff::tz::TimeZone::get(zone.get_ref()).is_err() {
                return Err(at(&zone, Problem::Unknown { what: "time zone (an IANA name such as \"Europe/Moscow\")", value: zone.get_ref().clone() }));
            }
            Some(zone.into_inner())
        }
        None => None,
    };
    Ok(AsteriskSettings { extensions, context, timezone })
}

fn validate_calls(t: &file::CallsTable) -> Result<crate::calls::CallLimits, Located> {
    let max_duration = bounded(&t.max_duration_secs, "calls.max_duration_secs", DEFAULT_MAX_DURATION_SECS, 0, 7 * 86_400)?;
    Ok(crate::calls::CallLimits {
        max_calls: bounded(&t.max_calls, "calls.max_calls", 0, 0, 10_000_000)? as u32,
        max_calls_per_second: bounded(&t.max_calls_per_second, "calls.max_calls_per_second", 0, 0, 1_000_000)? as u32,
        retry_after_secs: bounded(&t.retry_after_secs, "calls.retry_after_secs", DEFAULT_RETRY_AFTER_SECS, 1, 3600)? as u32,
        max_duration: (max_duration > 0).then(|| Duration::from_secs(max_duration)),
    })
}

fn validate_sip(sip: file::SipTable) -> Result<SipSettings, Located> {
    let listen = match sip.listen {
        Some(list) => {
            if list.get_ref().is_empty() {
                return Err(at(&list, Problem::Empty { key: "sip.listen" }));
            }
            let mut specs: Vec<ListenSpec> = Vec::new();
            for entry in list.get_ref() {
                let spec: ListenSpec = entry
                    .get_ref()
                    .parse()
                    .map_err(|source| at(entry, Problem::Listen { source }))?;
                if spec.addr.port() != 0 && specs.contains(&spec) {
                    return Err(at(entry, Problem::DuplicateListen { spec }));
                }
                specs.push(spec);
            }
            specs
        }
        None => DEFAULT_SIP_LISTEN
            .iter()
            .map(|spec| spec.parse().expect("the default listen specs parse"))
            .collect(),
    };
    let shards = bounded(&sip.shards, "sip.shards", DEFAULT_SHARDS, 0, MAX_SHARDS)?;
    let server_name = match sip.server_name {
        Some(name) => {
            non_empty(&name, "sip.server_name")?;
            if name.get_ref().chars().any(char::is_control) {
                let value = name.get_ref().clone();
                return Err(at(&name, Problem::ServerName { value }));
            }
            name.into_inner()
        }
        None => DEFAULT_SERVER_NAME.to_owned(),
    };
    let max_message_size = bounded(
        &sip.max_message_size,
        "sip.max_message_size",
        DEFAULT_MAX_MESSAGE_SIZE,
        1,
        MAX_MESSAGE_SIZE_LIMIT,
    )?;
    let tcp_max_connections = bounded(
        &sip.tcp_max_connections,
        "sip.tcp_max_connections",
        DEFAULT_TCP_MAX_CONNECTIONS,
        1,
        u64::from(u32::MAX),
    )?;
    let tcp_idle_timeout = bounded(
        &sip.tcp_idle_timeout_secs,
        "sip.tcp_idle_timeout_secs",
        DEFAULT_TCP_IDLE_TIMEOUT_SECS,
        1,
        MAX_IDLE_SECS,
    )?;
    let t1 = bounded(&sip.t1_ms, "sip.t1_ms", DEFAULT_T1_MS, 1, MAX_TIMER_MS)?;
    let t2 = bounded(&sip.t2_ms, "sip.t2_ms", DEFAULT_T2_MS, 1, MAX_TIMER_MS)?;
    let t4 = bounded(&sip.t4_ms, "sip.t4_ms", DEFAULT_T4_MS, 1, MAX_TIMER_MS)?;
    if t1 > t2 {
        // Blame the value the operator changed; with both written, T1 is the usual culprit.
        let span = match (&sip.t1_ms, &sip.t2_ms) {
            (Some(t1), _) => t1.span(),
            (None, Some(t2)) => t2.span(),
            (None, None) => 0..0,
        };
        return Err(Located { span, problem: Problem::TimerOrder { t1, t2 } });
    }
    Ok(SipSettings {
        listen,
        shards: resolve_shards(shards),
        server_name,
        max_message_size: to_usize(max_message_size),
        tcp_max_connections: to_usize(tcp_max_connections),
        tcp_idle_timeout: Duration::from_secs(tcp_idle_timeout),
        t1: Duration::from_millis(t1),
        t2: Duration::from_millis(t2),
        t4: Duration::from_millis(t4),
    })
}

/// 0 means one shard per CPU core, as `available_parallelism` reports it (1 if unknown).
fn resolve_shards(shards: u64) -> usize {
    if shards == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        to_usize(shards)
    }
}

/// Every limit above fits in 32 bits, so this never saturates on supported targets.
fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn at<T>(value: &Spanned<T>, problem: Problem) -> Located {
    Located { span: value.span(), problem }
}

fn bounded(
    value: &Option<Spanned<u64>>,
    key: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, Located> {
    let Some(value) = value else { return Ok(default) };
    let number = *value.get_ref();
    if number < min {
        // Every minimum in this file is 0 or 1.
        return Err(at(value, Problem::Zero { key }));
    }
    if number > max {
        return Err(at(value, Problem::TooLarge { key, value: number, max }));
    }
    Ok(number)
}

fn non_empty(value: &Spanned<String>, key: &'static str) -> Result<(), Located> {
    if value.get_ref().trim().is_empty() {
        return Err(at(value, Problem::Empty { key }));
    }
    Ok(())
}

fn parse_http(value: &str) -> Result<Option<SocketAddr>, Problem> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| Problem::HttpAddress { value: value.to_owned() })
}

fn check_log_level(value: &str) -> Result<(), Problem> {
    if value.trim().is_empty() {
        return Err(Problem::Empty { key: "log.level" });
    }
    match tracing_subscriber::EnvFilter::builder().parse(value) {
        Ok(_) => Ok(()),
        Err(err) => Err(Problem::LogLevel { value: value.to_owned(), reason: err.to_string() }),
    }
}

/// Port-0 entries are not duplicates: each binds its own free port.
fn first_duplicate(specs: impl Iterator<Item = ListenSpec>) -> Option<ListenSpec> {
    let mut seen = Vec::new();
    for spec in specs {
        if spec.addr.port() != 0 && seen.contains(&spec) {
            return Some(spec);
        }
        seen.push(spec);
    }
    None
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, ConfigError> {
        Settings::from_toml(text, "ringway.toml")
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("the config was accepted").to_string()
    }

    #[test]
    fn embedded_default_equals_an_empty_file() {
        assert_eq!(Settings::embedded_default(), parse("").unwrap());
    }

    #[test]
    fn embedded_default_has_the_documented_values() {
        let settings = Settings::embedded_default();
        assert_eq!(settings.data_dir, PathBuf::from("./ringway-data"));
        assert_eq!(settings.log_level, "info");
        assert_eq!(settings.http, Some("127.0.0.1:8088".parse().unwrap()));
        let sip = &settings.sip;
        let listen: Vec<String> = sip.listen.iter().map(ToString::to_string).collect();
        assert_eq!(listen, ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]);
        assert!(sip.shards >= 1, "shards = 0 resolves to the core count");
        assert_eq!(sip.server_name, "Ringway");
        assert_eq!(sip.max_message_size, 65535);
        assert_eq!(sip.tcp_max_connections, 4096);
        assert_eq!(sip.tcp_idle_timeout, Duration::from_secs(300));
        assert_eq!(
            (sip.t1, sip.t2, sip.t4),
            (Duration::from_millis(500), Duration::from_millis(4000), Duration::from_millis(5000))
        );
    }

    #[test]
    fn file_values_replace_defaults() {
        let settings = parse(
            "data_dir = \"/var/lib/ringway\"\n[sip]\nlisten = [\"tcp:[::1]:5070\"]\nshards = 3\n\
             t1_ms = 250\n[http]\nlisten = \"\"\n",
        )
        .unwrap();
        assert_eq!(settings.data_dir, PathBuf::from("/var/lib/ringway"));
        assert_eq!(settings.sip.listen, vec!["tcp:[::1]:5070".parse().unwrap()]);
        assert_eq!(settings.sip.shards, 3);
        assert_eq!(settings.sip.t1, Duration::from_millis(250));
        assert_eq!(settings.http, None, "an empty http.listen disables HTTP");
    }

    #[test]
    fn unknown_key_is_reported_with_its_line_and_the_expected_keys() {
        let err = error("[sip]\nshards = 2\nlistn = []\n");
        assert!(
            err.starts_with("ringway.toml:3: unknown field `listn`, expected one of `listen`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_table_is_rejected() {
        assert!(error("\n[sipp]\n").starts_with("ringway.toml:2: unknown field `sipp`"));
    }

    #[test]
    fn syntax_error_is_reported_with_its_line() {
        assert!(error("[sip]\n\nshards = = 2\n").starts_with("ringway.toml:3: "));
    }

    #[test]
    fn wrong_type_is_reported_at_the_value() {
        let err = error("[sip]\nshards = \"two\"\n");
        assert!(err.starts_with("ringway.toml:2: "), "{err}");
    }

    #[test]
    fn malformed_listen_entry_is_reported_at_its_own_line() {
        let err = error("[sip]\nlisten = [\n  \"udp:127.0.0.1:5060\",\n  \"udp:localhost\",\n]\n");
        assert!(
            err.starts_with("ringway.toml:4: \"udp:localhost\" is not transport:ip:port"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_listen_entry_is_reported_at_the_second_occurrence() {
        let err =
            error("[sip]\nlisten = [\n  \"udp:127.0.0.1:5060\",\n  \"UDP:127.0.0.1:5060\",\n]\n");
        assert_eq!(err, "ringway.toml:4: udp:127.0.0.1:5060 is listed twice");
    }

    #[test]
    fn port_zero_listen_entries_may_repeat_because_each_binds_a_fresh_port() {
        let settings =
            parse("[sip]\nlisten = [\"udp:127.0.0.1:0\", \"udp:127.0.0.1:0\"]\n").unwrap();
        assert_eq!(settings.sip.listen.len(), 2);
    }

    #[test]
    fn empty_listen_list_is_rejected() {
        assert_eq!(error("[sip]\nlisten = []\n"), "ringway.toml:2: sip.listen must not be empty");
    }

    #[test]
    fn zero_sizes_and_timers_are_rejected_at_their_line() {
        for key in
            ["max_message_size", "tcp_max_connections", "tcp_idle_timeout_secs", "t1_ms", "t4_ms"]
        {
            let err = error(&format!("[sip]\n\n{key} = 0\n"));
            assert_eq!(err, format!("ringway.toml:3: sip.{key} must be greater than 0"));
        }
    }

    #[test]
    fn absurd_shard_count_is_rejected() {
        let err = error("[sip]\nshards = 100000\n");
        assert_eq!(err, "ringway.toml:2: sip.shards = 100000 is too large (at most 1024)");
    }

    #[test]
    fn t1_above_t2_is_reported_at_the_t1_line_rfc3261_17_1_2_2() {
        let err = error("[sip]\nt2_ms = 1000\nt1_ms = 2000\n");
        assert_eq!(err, "ringway.toml:3: sip.t1_ms = 2000 is greater than sip.t2_ms = 1000");
    }

    #[test]
    fn t2_below_the_default_t1_is_reported_at_the_t2_line() {
        let err = error("[sip]\n\nt2_ms = 100\n");
        assert_eq!(err, "ringway.toml:3: sip.t1_ms = 500 is greater than sip.t2_ms = 100");
    }

    #[test]
    fn negative_numbers_are_rejected() {
        assert!(error("[sip]\nt4_ms = -1\n").starts_with("ringway.toml:2: "));
    }

    #[test]
    fn bad_http_address_is_reported_at_its_line() {
        let err = error("[http]\nlisten = \"localhost:8088\"\n");
        assert!(err.starts_with("ringway.toml:2: \"localhost:8088\" is not ip:port"), "{err}");
    }

    #[test]
    fn invalid_log_directive_is_rejected() {
        let err = error("[log]\nlevel = \"ringway=loud\"\n");
        assert!(
            err.starts_with("ringway.toml:2: \"ringway=loud\" is not a tracing filter"),
            "{err}"
        );
    }

    #[test]
    fn server_name_with_a_line_break_is_rejected_because_it_would_inject_a_header() {
        let err = error("[sip]\nserver_name = \"Ringway\\r\\nX-Evil: 1\"\n");
        assert!(err.starts_with("ringway.toml:2: server_name"), "{err}");
    }

    #[test]
    fn empty_data_dir_is_rejected() {
        assert_eq!(error("data_dir = \"\"\n"), "ringway.toml:1: data_dir must not be empty");
    }

    #[test]
    fn missing_file_error_names_the_file() {
        let path = Path::new("/nonexistent/ringway.toml");
        let err = Settings::load(Some(path)).unwrap_err().to_string();
        assert!(err.starts_with("/nonexistent/ringway.toml: cannot read: "), "{err}");
    }

    #[test]
    fn no_file_loads_the_embedded_default() {
        assert_eq!(Settings::load(None).unwrap(), Settings::embedded_default());
    }

    #[test]
    fn command_line_values_replace_file_values() {
        let mut settings = parse("[sip]\nlisten = [\"udp:127.0.0.1:5060\"]\n").unwrap();
        settings
            .apply(Overrides {
                listen: vec!["tcp:[::1]:0".parse().unwrap()],
                http: Some(String::new()),
                data_dir: Some(PathBuf::from("/tmp/rw")),
                log_level: Some("debug".to_owned()),
            })
            .unwrap();
        assert_eq!(settings.sip.listen, vec!["tcp:[::1]:0".parse().unwrap()]);
        assert_eq!(settings.http, None);
        assert_eq!(settings.data_dir, PathBuf::from("/tmp/rw"));
        assert_eq!(settings.log_level, "debug");
    }

    #[test]
    fn empty_overrides_keep_the_file_values() {
        let mut settings = Settings::embedded_default();
        settings.apply(Overrides::default()).unwrap();
        assert_eq!(settings, Settings::embedded_default());
    }

    #[test]
    fn bad_command_line_values_name_the_option() {
        let mut settings = Settings::embedded_default();
        let http = Overrides { http: Some("nope".to_owned()), ..Overrides::default() };
        let err = settings.apply(http).unwrap_err().to_string();
        assert!(err.starts_with("--http: \"nope\" is not ip:port"), "{err}");
        let spec: ListenSpec = "udp:127.0.0.1:5060".parse().unwrap();
        let twice = Overrides { listen: vec![spec, spec], ..Overrides::default() };
        let err = settings.apply(twice).unwrap_err().to_string();
        assert_eq!(err, "--listen: udp:127.0.0.1:5060 is listed twice");
    }

    #[test]
    fn line_of_counts_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
