//! The example plugins' own files stay true: each `plugins/<name>/plugin.toml` loads, and each
//! `call.toml` gives the decision its comment promises through the `ringway plugin test` harness.

mod support;

use ringway_dialplan::wasm::{PluginsConfig, describe, test_call};
use std::path::PathBuf;

fn example(name: &str, file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../plugins").join(name).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_example_plugin_toml_loads_into_a_chain() {
    let host = support::host();
    for name in ["lcr", "numbering", "prepaid-guard", "business-hours"] {
        let mut config = PluginsConfig::from_toml(&example(name, "plugin.toml"))
            .unwrap_or_else(|e| panic!("{name}/plugin.toml: {e}"));
        // The file's path is relative to the repository root; the test may run elsewhere.
        assert_eq!(config.plugins.len(), 1);
        let entry = &mut config.plugins[0];
        assert!(entry.path.ends_with(support::plugin(name).file_name().unwrap()), "{name}");
        entry.path = support::plugin(name);
        let chain = host.load(&config, &support::env()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(chain.names().collect::<Vec<_>>(), [name]);
    }
}

#[test]
fn every_example_call_toml_gives_its_promised_decision() {
    let cases = [
        ("lcr", "targets\n1. sip:84951234567@192.0.2.2:5060 via carrier-b"),
        ("numbering", "reject 480 Invalid Phone Number"),
        ("prepaid-guard", "reject 480 No money left"),
        ("business-hours", "targets\n1. sip:+74951234567@192.0.2.50:5060 via answering-service"),
    ];
    for (name, expected) in cases {
        let report = test_call(&support::plugin(name), &example(name, "call.toml"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let decision = report.outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = describe(&decision);
        assert!(text.starts_with(expected), "{name}: {text}");
    }
}

#[test]
fn lcr_built_for_wasm32_wasip2_decides_as_the_wasi_free_build() {
    // `make plugins` builds lcr both ways: a component with WASI imports, straight from
    // rustc, and a core module without them, made a component by ringway-c-tool.
    let wasip2 = support::plugin("lcr_wasip2");
    let bytes = std::fs::read(&wasip2).expect("lcr_wasip2.wasm");
    let wasi_free = std::fs::read(support::plugin("lcr")).expect("lcr.wasm");
    let imports_wasi = |b: &[u8]| b.windows(9).any(|w| w == b"wasi:cli/");
    assert!(imports_wasi(&bytes), "the wasip2 build imports WASI");
    assert!(!imports_wasi(&wasi_free), "the other build imports no WASI");
    for path in [wasip2, support::plugin("lcr")] {
        let report =
            test_call(&path, &example("lcr", "call.toml")).unwrap_or_else(|e| panic!("{e}"));
        let decision = report.outcome.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = describe(&decision);
        let expected = "targets\n1. sip:84951234567@192.0.2.2:5060 via carrier-b";
        assert!(text.starts_with(expected), "{}: {text}", path.display());
    }
}
