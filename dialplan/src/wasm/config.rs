//! The plugin chain's configuration: one `[[plugins]]` entry per plugin, in chain order.
//!
//! ```text
//! [[plugins]]
//! name = "lcr"
//! path = "plugins/lcr.wasm"
//! deadline_ms = 10          # per decision (default 10)
//! memory_mib = 16           # per instance (default 16)
//! on_error = "500 Undefined Reason"   # or another catalog line, or "continue"
//! [plugins.settings]        # handed to the plugin as name/value strings
//! max_targets = 3
//! [plugins.settings.rates]  # nested tables become dotted names: rates.+7495
//! "+7495" = "carrier-a:120, carrier-b:95"
//! ```

use super::error::{LoadError, LoadErrorKind};
use ringway_sdk::StatusLine;
use ringway_sdk::catalog::{self, UNDEFINED_REASON_500};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The default per-decision deadline.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(10);

/// The default per-instance memory cap.
pub const DEFAULT_MEMORY: usize = 16 << 20;

/// Every plugin of the chain, in order (the serde shape of `[[plugins]]`).
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginsConfig {
    /// The plugins, in chain order.
    #[serde(default)]
    pub plugins: Vec<PluginConfig>,
}

impl PluginsConfig {
    /// Parses a file holding `[[plugins]]` entries (and nothing else).
    pub fn from_toml(text: &str) -> Result<PluginsConfig, LoadError> {
        toml::from_str(text).map_err(|e| LoadError::config(None, e.to_string()))
    }
}

/// One plugin.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginConfig {
    /// A unique name: in logs, errors, and the key of its key-value store.
    pub name: String,
    /// The component file (`.wasm`).
    pub path: PathBuf,
    /// The per-decision deadline in milliseconds (default 10).
    #[serde(default)]
    pub deadline_ms: Option<u64>,
    /// The per-instance memory cap in MiB (default 16).
    #[serde(default)]
    pub memory_mib: Option<u64>,
    /// What a failed decision answers: a catalog status line (`"500 Undefined Reason"`, the
    /// default) or `"continue"` (skip the plugin: fail open).
    #[serde(default)]
    pub on_error: Option<String>,
    /// Whether the server calls the plugin's billing hooks (`on-answer`, `on-hangup`) for every
    /// call the chain was asked about (default false: each hook costs an instance per call).
    #[serde(default)]
    pub billing_hooks: bool,
    /// Settings handed to the plugin with every call.
    #[serde(default)]
    pub settings: toml::Table,
}

/// What a plugin's failed decision turns into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// Answer the caller with this status line (default `500 Undefined Reason`).
    Reject(StatusLine),
    /// Go on to the next router as if the plugin had answered `continue`.
    Continue,
}

impl Default for Fallback {
    fn default() -> Self {
        Fallback::Reject(UNDEFINED_REASON_500)
    }
}

impl Fallback {
    /// Parses `"continue"` or a catalog line (`"480 Temporarily Unavailable"`, byte-exact).
    pub fn parse(text: &str) -> Option<Fallback> {
        if text == "continue" {
            return Some(Fallback::Continue);
        }
        let (code, reason) = text.split_once(' ')?;
        let line = catalog::exact(code.parse().ok()?, reason)?;
        (line.code.as_u16() >= 300).then_some(Fallback::Reject(line))
    }
}

/// A validated plugin entry.
#[derive(Clone, Debug)]
pub(crate) struct PluginSettings {
    pub name: String,
    pub path: PathBuf,
    pub deadline: Duration,
    pub memory: usize,
    pub fallback: Fallback,
    pub billing_hooks: bool,
    pub settings: Vec<(String, String)>,
}

impl PluginConfig {
    /// Checks the entry against the host's limits.
    pub(crate) fn validate(&self, max_memory: usize) -> Result<PluginSettings, LoadError> {
        let bad = |msg: String| LoadError::config(Some(&self.name), msg);
        if self.name.is_empty() {
            return Err(bad("the plugin name is empty".into()));
        }
        let deadline = match self.deadline_ms {
            None => DEFAULT_DEADLINE,
            Some(ms @ 1..=10_000) => Duration::from_millis(ms),
            Some(ms) => return Err(bad(format!("deadline_ms = {ms} is outside 1..=10000"))),
        };
        let memory = match self.memory_mib {
            None => DEFAULT_MEMORY,
            Some(mib) if mib >= 1 && (mib << 20) as usize <= max_memory => (mib << 20) as usize,
            Some(mib) => {
                let max = max_memory >> 20;
                return Err(bad(format!("memory_mib = {mib} is outside 1..={max}")));
            }
        };
        let fallback = match &self.on_error {
            None => Fallback::default(),
            Some(text) => Fallback::parse(text).ok_or_else(|| {
                bad(format!("on_error = {text:?} is neither \"continue\" nor a catalog line"))
            })?,
        };
        let mut settings = Vec::new();
        flatten("", &self.settings, &mut settings);
        Ok(PluginSettings {
            name: self.name.clone(),
            path: self.path.clone(),
            deadline,
            memory,
            fallback,
            billing_hooks: self.billing_hooks,
            settings,
        })
    }
}

/// Settings as the plugin sees them: nested tables become dotted names, scalars their TOML
/// text (strings unquoted), arrays their elements joined with `,`.
fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
    for (key, value) in table {
        let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&name, inner, out),
            toml::Value::Array(items) => {
                let items: Vec<String> = items.iter().map(scalar).collect();
                out.push((name, items.join(",")));
            }
            other => out.push((name, scalar(other))),
        }
    }
}

fn scalar(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl LoadError {
    fn config(plugin: Option<&str>, message: String) -> LoadError {
        LoadError { plugin: plugin.map(str::to_owned), kind: LoadErrorKind::Config(message) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringway_sdk::catalog::TEMPORARILY_UNAVAILABLE_480;

    const FILE: &str = r#"
[[plugins]]
name = "lcr"
path = "lcr.wasm"
on_error = "480 Temporarily Unavailable"
[plugins.settings]
max_targets = 2
days = ["mon", "tue"]
[plugins.settings.rates]
"+7495" = "a:1, b:2"

[[plugins]]
name = "guard"
path = "guard.wasm"
deadline_ms = 5
memory_mib = 8
on_error = "continue"
"#;

    #[test]
    fn entries_validate_with_defaults_and_flattened_settings() {
        let config = PluginsConfig::from_toml(FILE).unwrap();
        let lcr = config.plugins[0].validate(64 << 20).unwrap();
        assert_eq!(lcr.deadline, DEFAULT_DEADLINE);
        assert_eq!(lcr.memory, DEFAULT_MEMORY);
        assert_eq!(lcr.fallback, Fallback::Reject(TEMPORARILY_UNAVAILABLE_480));
        let pairs = |s: &[(&str, &str)]| -> Vec<(String, String)> {
            s.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        assert_eq!(
            lcr.settings,
            pairs(&[("days", "mon,tue"), ("max_targets", "2"), ("rates.+7495", "a:1, b:2")])
        );
        let guard = config.plugins[1].validate(64 << 20).unwrap();
        assert_eq!(guard.deadline, Duration::from_millis(5));
        assert_eq!(guard.memory, 8 << 20);
        assert_eq!(guard.fallback, Fallback::Continue);
    }

    #[test]
    fn unknown_keys_bad_limits_and_non_catalog_fallbacks_are_refused() {
        assert!(PluginsConfig::from_toml("[[plugins]]\nname='a'\npath='a'\nfuel=1").is_err());
        let entry = |extra: &str| {
            let text = format!("[[plugins]]\nname = 'a'\npath = 'a.wasm'\n{extra}");
            PluginsConfig::from_toml(&text).unwrap().plugins.remove(0)
        };
        for extra in [
            "memory_mib = 65",
            "memory_mib = 0",
            "deadline_ms = 0",
            "on_error = '500 Whatever'",
            "on_error = '200 OK'",
        ] {
            let error = entry(extra).validate(64 << 20).unwrap_err();
            assert!(matches!(error.kind, LoadErrorKind::Config(_)), "{extra}: {error}");
        }
    }
}
