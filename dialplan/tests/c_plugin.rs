//! The plugin written in C (`plugins/blocklist-c`, built by `make plugins` with clang and
//! ringway-c-tool) runs in the same host as the Rust ones: the contract is the WIT, not Rust.

mod support;

use ringway_dialplan::wasm::{HangupInfo, block_on};
use ringway_dialplan::{Decision, RouteRequest};
use ringway_sdk::catalog::{FORBIDDEN_403, OK_200};
use std::time::Duration;
use support::{chain, entry, env, host};

#[test]
fn the_c_blocklist_refuses_blocked_prefixes_with_403_forbidden_and_continues_otherwise() {
    let host = host();
    let settings = "[plugins.settings]\nprefixes = \" +7900, +7809 \"\n";
    let chain = chain(&host, &entry("blocklist-c", &format!("billing_hooks = true\n{settings}")), &env());
    let decide = |uri: &str| block_on(chain.decide(&RouteRequest::new(uri))).expect("decides").decision;
    let cases = [
        ("sip:+79001234567@pbx", Decision::Reject(FORBIDDEN_403)),
        ("sip:+78091234567@pbx", Decision::Reject(FORBIDDEN_403)),
        ("sip:+7900@pbx", Decision::Reject(FORBIDDEN_403)),
        ("sip:+790@pbx", Decision::Continue),
        ("sip:+74951234567@pbx", Decision::Continue),
        ("sip:alice@pbx", Decision::Continue),
        ("sip:pbx.example.net", Decision::Continue),
    ];
    for (uri, expected) in cases {
        assert_eq!(decide(uri), expected, "{uri}");
    }
    let hangup = HangupInfo { answered: true, talk: Duration::from_secs(3), status: OK_200, by_caller: true };
    assert!(block_on(chain.on_hangup(&RouteRequest::new("sip:+79001234567@pbx"), &hangup)).is_empty(), "billing hooks run too");
}

#[test]
fn the_c_blocklist_without_settings_blocks_nothing() {
    let host = host();
    let chain = chain(&host, &entry("blocklist-c", ""), &env());
    let decision = block_on(chain.decide(&RouteRequest::new("sip:+79001234567@pbx"))).expect("decides").decision;
    assert_eq!(decision, Decision::Continue);
}
