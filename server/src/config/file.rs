//! The raw shape of the TOML file, exactly as written: every key optional, unknown keys rejected.
//!
//! Values whose line matters for a later check (numbers, strings, the listen list) are kept
//! [`Spanned`], so `Settings` validation can point at the offending line. Listen entries stay
//! strings here: toml reports an error inside an array element at the array's span, so they are
//! parsed during validation, where each entry still knows its own line.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    pub data_dir: Option<Spanned<String>>,
    #[serde(default)]
    pub log: LogTable,
    #[serde(default)]
    pub sip: SipTable,
    #[serde(default)]
    pub http: HttpTable,
    #[serde(default)]
    pub registrar: super::registrar::RegistrarTable,
    #[serde(default)]
    pub auth: super::registrar::AuthTable,
    #[serde(default)]
    pub security: super::registrar::SecurityTable,
    #[serde(default)]
    pub accounts: Vec<super::registrar::AccountTable>,
    #[serde(default)]
    pub trusted: Vec<super::registrar::TrustedTable>,
    #[serde(default)]
    pub calls: CallsTable,
    // The built-in routing tables' keys, as plain fields so their spans survive.
    #[serde(default)]
    pub routing: ringway_dialplan::RoutingConfig,
    #[serde(default)]
    pub numbering_plans: Vec<ringway_dialplan::tables::NumberingPlanConfig>,
    #[serde(default)]
    pub tariff_plans: Vec<ringway_dialplan::tables::TariffPlanConfig>,
    #[serde(default)]
    pub gateways: Vec<ringway_dialplan::tables::GatewayConfig>,
    #[serde(default)]
    pub gateway_groups: Vec<ringway_dialplan::tables::GatewayGroupConfig>,
    #[serde(default)]
    pub routes: Vec<ringway_dialplan::tables::RouteConfig>,
    #[serde(default)]
    pub plugins: Vec<ringway_dialplan::wasm::PluginConfig>,
    #[serde(default)]
    pub asterisk: AsteriskTable,
}

/// `[asterisk]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AsteriskTable {
    pub extensions: Option<Spanned<String>>,
    pub context: Option<Spanned<String>>,
    pub timezone: Option<Spanned<String>>,
}

/// `[calls]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CallsTable {
    pub max_calls: Option<Spanned<u64>>,
    pub max_calls_per_second: Option<Spanned<u64>>,
    pub retry_after_secs: Option<Spanned<u64>>,
    pub max_duration_secs: Option<Spanned<u64>>,
}

/// `[log]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LogTable {
    pub level: Option<Spanned<String>>,
}

/// `[sip]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SipTable {
    pub listen: Option<Spanned<Vec<Spanned<String>>>>,
    pub shards: Option<Spanned<u64>>,
    pub server_name: Option<Spanned<String>>,
    pub max_message_size: Option<Spanned<u64>>,
    pub tcp_max_connections: Option<Spanned<u64>>,
    pub tcp_idle_timeout_secs: Option<Spanned<u64>>,
    pub t1_ms: Option<Spanned<u64>>,
    pub t2_ms: Option<Spanned<u64>>,
    pub t4_ms: Option<Spanned<u64>>,
}

/// `[http]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HttpTable {
    pub listen: Option<Spanned<String>>,
}
