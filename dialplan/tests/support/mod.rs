//! Shared by the plugin tests: where the built plugins are, and chains to run them in.

#![allow(dead_code)]

use ringway_dialplan::wasm::{HostEnv, HostSettings, PluginChain, PluginHost, PluginsConfig};
use ringway_dialplan::{DialplanConfig, Tables};
use std::path::PathBuf;
use std::sync::Arc;

/// The folder holding the plugins' `.wasm` files: `RINGWAY_PLUGIN_DIR` (set by `make test`),
/// else the plugins workspace's release output.
pub fn plugin_dir() -> PathBuf {
    std::env::var_os("RINGWAY_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins/target/components")
    })
}

/// The path of a built plugin; panics with how to build it when it is missing (a test that
/// cannot find its plugin fails, it never passes silently).
pub fn plugin(name: &str) -> PathBuf {
    let path = plugin_dir().join(format!("{}.wasm", name.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} is missing: build the plugins first with `make plugins` \
         (or set RINGWAY_PLUGIN_DIR to the folder holding the .wasm files)",
        path.display()
    );
    path
}

/// A `[[plugins]]` entry for `name` with extra TOML lines (limits, `[plugins.settings]`).
pub fn entry(name: &str, extra: &str) -> String {
    let path = plugin(name);
    // Healthy plugins get a roomy deadline: a decision is charged only the time it is seen
    // running, but an unoptimised test build of the host on a busy machine runs slowly.
    // Fault plugins keep the default unless the test says otherwise, since the deadline is
    // what some of them test.
    let deadline = if name.starts_with("faulty-") || extra.contains("deadline_ms") {
        ""
    } else {
        "deadline_ms = 1000\n"
    };
    format!(
        "[[plugins]]\nname = {name:?}\npath = {:?}\n{deadline}{extra}\n",
        path.display().to_string()
    )
}

/// Routing tables with three gateways and a Russian numbering setup.
pub const TABLES: &str = r#"
[routing]
country_code = "7"
national_prefix = "8"
international_prefix = "810"

[[numbering_plans]]
name = "ru"
country_code = "7"
digits = [11, 11]

[[numbering_plans]]
name = "uk"
country_code = "44"
digits = [12, 12]

[[gateways]]
name = "carrier-a"
address = "192.0.2.1:5060"

[[gateways]]
name = "carrier-b"
address = "192.0.2.2:5060"
number_format = "national"

[[gateways]]
name = "carrier-c"
address = "192.0.2.3:5060"
codecs = ["pcma"]

[[gateways]]
name = "overflow"
address = "192.0.2.9:5060"
"#;

pub fn tables() -> Arc<Tables> {
    let config: DialplanConfig = toml::from_str(TABLES).expect("tables parse");
    Arc::new(Tables::new(&config).expect("tables are valid"))
}

/// An environment with [`TABLES`] and otherwise the defaults.
pub fn env() -> HostEnv {
    HostEnv { tables: tables(), ..HostEnv::default() }
}

pub fn host() -> PluginHost {
    PluginHost::new(HostSettings::default()).expect("engine")
}

/// Loads a chain from `[[plugins]]` entries.
pub fn chain(host: &PluginHost, entries: &str, env: &HostEnv) -> PluginChain {
    let config = PluginsConfig::from_toml(entries).expect("plugins config parses");
    host.load(&config, env).unwrap_or_else(|e| panic!("chain loads: {e}"))
}

/// This process's resident set size in bytes (Linux), for loose leak checks.
pub fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}
