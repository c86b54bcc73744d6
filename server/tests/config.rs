//! The config fixtures in `tests/config_fixtures/`: the good file loads, and every bad file fails
//! with exactly the `file:line:` an operator would be pointed to.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ringway::config::{ConfigError, Settings};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config_fixtures").join(name)
}

#[test]
fn the_full_fixture_loads_with_every_key_set() {
    let settings = Settings::load(Some(&fixture("good_full.toml"))).unwrap();
    assert_eq!(settings.data_dir, PathBuf::from("/var/lib/ringway"));
    assert_eq!(settings.log_level, "ringway=debug,hyper=warn");
    let listen: Vec<String> = settings.sip.listen.iter().map(ToString::to_string).collect();
    assert_eq!(listen, ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060", "udp:[::]:5060"]);
    assert_eq!(settings.sip.shards, 4);
    assert_eq!(settings.sip.server_name, "Ringway call center gateway");
    assert_eq!(settings.sip.max_message_size, 8192);
    assert_eq!(settings.sip.tcp_max_connections, 1000);
    assert_eq!(settings.sip.tcp_idle_timeout, Duration::from_secs(120));
    assert_eq!(settings.sip.t1, Duration::from_millis(250));
    assert_eq!(settings.sip.t2, Duration::from_millis(2000));
    assert_eq!(settings.sip.t4, Duration::from_millis(2500));
    assert_eq!(settings.http, Some("[::1]:9100".parse().unwrap()));
}

#[test]
fn accounts_trusted_peers_and_security_load_with_their_defaults_filled_in() {
    let settings = Settings::load(Some(&fixture("good_accounts.toml"))).unwrap();
    assert_eq!(settings.registrar.realm, "callcenter.example");
    assert_eq!(settings.registrar.options_ping, Some(Duration::from_secs(30)));
    assert_eq!(settings.auth.algorithms, ["MD5"]);
    assert_eq!(settings.security.drop_user_agents, ["friendly-scanner", "sipvicious"]);
    assert_eq!(settings.accounts.len(), 2);
    let agent = &settings.accounts[0];
    assert_eq!((agent.username.as_str(), agent.realm.as_str(), agent.max_contacts), ("1001", "callcenter.example", 3));
    assert_eq!(agent.allowed_networks.len(), 2);
    let disabled = &settings.accounts[1];
    assert!(!disabled.enabled);
    assert_eq!(disabled.ha1_md5.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    assert_eq!(disabled.max_contacts, 2, "the registrar's default");
    assert_eq!(settings.trusted[0].account.as_deref(), Some("1001"));
}

#[test]
fn every_bad_fixture_is_rejected_at_the_offending_line() {
    let cases = [
        ("bad_unknown_key.toml", 7, "unknown field `listn`, expected one of `listen`"),
        ("bad_listen_host_name.toml", 4, "\"udp:localhost\" is not transport:ip:port"),
        ("bad_duplicate_listen.toml", 4, "udp:127.0.0.1:5060 is listed twice"),
        ("bad_timer_order.toml", 4, "sip.t1_ms = 8000 is greater than sip.t2_ms = 4000"),
        ("bad_zero_size.toml", 4, "sip.max_message_size must be greater than 0"),
        ("bad_syntax.toml", 3, ""),
        ("bad_http_address.toml", 3, "\"localhost:8088\" is not ip:port"),
        ("bad_unknown_table.toml", 4, "unknown field `media`"),
        ("bad_duplicate_account.toml", 6, "account \"1001\" is defined twice"),
        ("bad_account_without_credentials.toml", 5, "account \"1001\" has no password, ha1_md5 or ha1_sha256"),
        ("bad_network.toml", 5, "unknown network (CIDR such as 10.0.0.0/8) \"10.0.0.0/33\""),
        ("bad_expires_order.toml", 2, "registrar expiries must satisfy min_expires (600)"),
    ];
    for (name, line, reason) in cases {
        let path = fixture(name);
        let err = Settings::load(Some(&path)).expect_err(name);
        assert!(matches!(err, ConfigError::Invalid { .. }), "{name}: {err:?}");
        let expected = format!("{}:{line}: {reason}", path.display());
        assert!(
            err.to_string().starts_with(&expected),
            "{name}:\n  got  {err}\n  want {expected}…"
        );
    }
}

#[test]
fn every_fixture_is_covered_by_a_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config_fixtures");
    let source = include_str!("config.rs");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(source.contains(&format!("\"{name}\"")), "{name} is not checked by a test");
    }
}
