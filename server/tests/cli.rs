//! The `ringway` binary's commands and exit codes, run as a child process.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

fn ringway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ringway"))
}

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config_fixtures").join(name);
    path.display().to_string()
}

#[test]
fn check_config_prints_ok_and_exits_0_for_a_good_file() {
    let file = fixture("good_full.toml");
    let output = ringway().args(["check-config", &file]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), format!("{file}: ok\n"));
}

#[test]
fn check_config_prints_file_line_reason_to_stderr_and_exits_2_for_a_bad_file() {
    let file = fixture("bad_unknown_key.toml");
    let output = ringway().args(["check-config", &file]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with(&format!("{file}:7: unknown field `listn`")), "{stderr}");
}

#[test]
fn print_default_config_prints_the_embedded_default() {
    let output = ringway().arg("print-default-config").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), ringway::config::DEFAULT_TOML);
}

#[test]
fn run_with_a_bad_override_exits_2_before_starting() {
    let output = ringway().args(["run", "--http", "nowhere"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("--http: \"nowhere\" is not ip:port"), "{stderr}");
}

#[test]
fn run_announces_its_listeners_and_exits_0_on_sigterm() {
    let data_dir = std::env::temp_dir().join(format!("ringway-cli-{}", std::process::id()));
    let mut child = ringway()
        .args(["run", "--listen", "udp:127.0.0.1:0", "--http", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        assert_ne!(stdout.read_line(&mut line).unwrap(), 0, "stdout closed before ready");
        let line = line.trim_end().to_owned();
        lines.push(line.clone());
        if line == "ready" {
            break;
        }
    }
    assert_eq!(lines.len(), 3, "{lines:?}");
    let udp: std::net::SocketAddr = lines[0].strip_prefix("listening udp ").expect("a udp line").parse().unwrap();
    assert_ne!(udp.port(), 0);
    let addr = lines[1].strip_prefix("listening http ").expect("an http line");
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert_ne!(addr.port(), 0);
    // No signal crate in the tree; kill(1) is POSIX.
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    let _ = std::fs::remove_dir_all(data_dir);
}

/// A built example plugin (`make plugins`); fails, never skips, when it is missing.
fn plugin(file: &str) -> String {
    let dir = std::env::var("RINGWAY_PLUGIN_DIR").unwrap_or_else(|_| {
        format!("{}/../plugins/target/components", env!("CARGO_MANIFEST_DIR"))
    });
    let path = format!("{dir}/{file}");
    assert!(std::path::Path::new(&path).is_file(), "{path} is missing: run `make plugins`");
    path
}

#[test]
fn plugin_test_prints_the_decision_and_its_timing() {
    let call = format!("{}/../plugins/lcr/call.toml", env!("CARGO_MANIFEST_DIR"));
    let lcr = plugin("lcr.wasm");
    let args = ["plugin", "test", "--plugin", &lcr, "--call", &call];
    let output = ringway().args(args).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let first = "targets\n1. sip:84951234567@192.0.2.2:5060 via carrier-b";
    assert!(stdout.starts_with(first), "{stdout}");
    assert!(stdout.contains("warm decision"), "{stdout}");
}

#[test]
fn plugin_test_exits_1_with_the_fallback_when_the_plugin_fails() {
    let call = format!("{}/../plugins/lcr/call.toml", env!("CARGO_MANIFEST_DIR"));
    let spin = plugin("faulty_spin.wasm");
    let args = ["plugin", "test", "--plugin", &spin, "--call", &call];
    let output = ringway().args(args).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("deadline"), "{stdout}");
    assert!(stdout.contains("the caller would get: reject 500 Undefined Reason"), "{stdout}");
}

#[test]
fn plugin_test_exits_2_when_the_plugin_cannot_load() {
    let call = format!("{}/../plugins/lcr/call.toml", env!("CARGO_MANIFEST_DIR"));
    let args = ["plugin", "test", "--plugin", "/nonexistent.wasm", "--call", &call];
    let output = ringway().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
}

#[test]
fn check_config_checks_the_asterisk_dialplan_it_names_and_reports_file_line_column() {
    let dir = std::env::temp_dir().join(format!("ringway-cli-dialplan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("ringway.toml");
    std::fs::write(&config, "[asterisk]\nextensions = \"extensions.conf\"\n").unwrap();
    let extensions = dir.join("extensions.conf");
    std::fs::write(&extensions, "[default]\nexten => 100,1,NoOp()\n same => n,Dail(PJSIP/100)\n").unwrap();
    let output = ringway().args(["check-config", &config.display().to_string()]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("{}:3:", extensions.display())), "{stderr}");
    assert!(stderr.contains("Dail"), "{stderr}");

    std::fs::write(&extensions, "[default]\nexten => 100,1,Dial(PJSIP/100)\n").unwrap();
    let output = ringway().args(["check-config", &config.display().to_string()]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}
