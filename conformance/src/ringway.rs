//! Starting and stopping the Ringway daemon under test.
//!
//! The contract with the binary: `ringway run --config FILE` binds its listeners, prints one
//! `listening <kind> <addr>` line per listener and then `ready` on stdout; SIGTERM stops it
//! with exit status 0. The runner knows nothing else about Ringway.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process::{self, Ended};
use crate::transport::Transport;

/// How long Ringway may take to print `ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long Ringway may take to exit after SIGTERM.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The addresses Ringway reported on stdout.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listeners {
    /// The UDP SIP listener.
    pub udp: Option<SocketAddr>,
    /// The TCP SIP listener.
    pub tcp: Option<SocketAddr>,
    /// The HTTP API listener.
    pub http: Option<SocketAddr>,
}

impl Listeners {
    /// The SIP listener for `transport`.
    pub fn sip(&self, transport: Transport) -> Option<SocketAddr> {
        match transport {
            Transport::Udp => self.udp,
            Transport::Tcp => self.tcp,
        }
    }
}

/// One line of Ringway's startup output, as far as the runner cares.
#[derive(Debug, PartialEq, Eq)]
pub enum StartupLine {
    /// `listening <kind> <addr>`.
    Listening {
        /// `udp`, `tcp`, `http`, or a kind this runner does not know (kept, ignored).
        kind: String,
        /// The bound address.
        addr: SocketAddr,
    },
    /// `ready`: all listeners are bound.
    Ready,
    /// Anything else (ignored).
    Other,
}

/// Classifies one stdout line; a `listening` line with a bad address is an error.
pub fn parse_startup_line(line: &str) -> Result<StartupLine> {
    let line = line.trim();
    if line == "ready" {
        return Ok(StartupLine::Ready);
    }
    let mut words = line.split_whitespace();
    if words.next() != Some("listening") {
        return Ok(StartupLine::Other);
    }
    let (Some(kind), Some(addr), None) = (words.next(), words.next(), words.next()) else {
        bail!("malformed listening line {line:?} (expected `listening <kind> <addr>`)");
    };
    let addr = addr.parse().with_context(|| format!("bad address in {line:?}"))?;
    Ok(StartupLine::Listening { kind: kind.to_owned(), addr })
}

impl Listeners {
    fn record(&mut self, kind: &str, addr: SocketAddr) {
        match kind {
            "udp" => self.udp = Some(addr),
            "tcp" => self.tcp = Some(addr),
            "http" => self.http = Some(addr),
            _ => {}
        }
    }
}

/// A running Ringway.
#[derive(Debug)]
pub struct Daemon {
    child: Option<Child>,
    pid: u32,
}

impl Daemon {
    /// Starts `ringway run --config <config>`, logs stdout/stderr into `log_dir`, and waits
    /// for `ready`.
    pub fn start(binary: &Path, config: &Path, log_dir: &Path) -> Result<(Daemon, Listeners)> {
        let stderr = File::create(log_dir.join("ringway.stderr"))?;
        let mut stdout_log = File::create(log_dir.join("ringway.stdout"))?;
        let mut child = Command::new(binary)
            .arg("run")
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("ringway stdout")?;
        let daemon = Daemon { pid: child.id(), child: Some(child) };

        // The reader thread keeps draining stdout into the log after `ready`, so Ringway
        // never blocks on a full pipe; it ends at EOF when Ringway exits.
        let (tx, rx) = mpsc::channel::<String>();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(stdout_log, "{line}");
                let _ = tx.send(line);
            }
        });

        let deadline = Instant::now() + READY_TIMEOUT;
        let mut listeners = Listeners::default();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    bail!("ringway did not print `ready` within {}s", READY_TIMEOUT.as_secs())
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("ringway closed stdout (exited?) before printing `ready`")
                }
            };
            match parse_startup_line(&line)? {
                StartupLine::Ready => break,
                StartupLine::Listening { kind, addr } => listeners.record(&kind, addr),
                StartupLine::Other => {}
            }
        }
        Ok((daemon, listeners))
    }

    /// Sends SIGTERM and requires exit status 0 within [`STOP_TIMEOUT`].
    pub fn stop(mut self) -> Result<()> {
        let child = self.child.take().context("ringway already stopped")?;
        if let Err(err) = process::signal(self.pid, "TERM") {
            let _ = process::wait_with_deadline(child, Duration::ZERO);
            return Err(err.context("sending SIGTERM to ringway"));
        }
        match process::wait_with_deadline(child, STOP_TIMEOUT)? {
            Ended::Exited(status) if status.success() => Ok(()),
            Ended::Exited(status) => bail!("ringway exited with {status} after SIGTERM"),
            Ended::Killed => {
                bail!("ringway did not exit within {}s of SIGTERM", STOP_TIMEOUT.as_secs())
            }
        }
    }
}

impl Drop for Daemon {
    /// A daemon that was never stopped (an error path) is killed, never left behind.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = process::signal(self.pid, "KILL");
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_lines_give_kind_and_address() {
        assert_eq!(
            parse_startup_line("listening udp 127.0.0.1:40211").unwrap(),
            StartupLine::Listening { kind: "udp".into(), addr: "127.0.0.1:40211".parse().unwrap() }
        );
        assert_eq!(
            parse_startup_line("  listening tcp [::1]:5060\r").unwrap(),
            StartupLine::Listening { kind: "tcp".into(), addr: "[::1]:5060".parse().unwrap() }
        );
    }

    #[test]
    fn ready_and_unrelated_lines_are_recognised() {
        assert_eq!(parse_startup_line("ready").unwrap(), StartupLine::Ready);
        assert_eq!(parse_startup_line("ready\r\n").unwrap(), StartupLine::Ready);
        assert_eq!(parse_startup_line("ringway 0.1.0 starting").unwrap(), StartupLine::Other);
        assert_eq!(parse_startup_line("already ready").unwrap(), StartupLine::Other);
    }

    #[test]
    fn malformed_listening_lines_are_errors() {
        assert!(parse_startup_line("listening udp").is_err());
        assert!(parse_startup_line("listening udp 127.0.0.1").is_err());
        assert!(parse_startup_line("listening udp 127.0.0.1:1 extra").is_err());
    }

    #[test]
    fn listeners_are_recorded_per_kind_and_unknown_kinds_ignored() {
        let mut l = Listeners::default();
        for line in [
            "listening udp 127.0.0.1:40211",
            "listening tcp 127.0.0.1:40212",
            "listening http 127.0.0.1:40213",
            "listening ws 127.0.0.1:40214",
        ] {
            if let StartupLine::Listening { kind, addr } = parse_startup_line(line).unwrap() {
                l.record(&kind, addr);
            }
        }
        assert_eq!(l.sip(Transport::Udp), Some("127.0.0.1:40211".parse().unwrap()));
        assert_eq!(l.sip(Transport::Tcp), Some("127.0.0.1:40212".parse().unwrap()));
        assert_eq!(l.http, Some("127.0.0.1:40213".parse().unwrap()));
    }

    #[test]
    fn start_and_stop_against_a_stand_in_daemon() {
        // A shell script honouring the stdout/SIGTERM contract stands in for the binary.
        let dir = crate::process::WorkDir::create("unit-daemon").unwrap();
        let script = dir.path().join("fake-ringway");
        std::fs::write(
            &script,
            "#!/bin/sh\ntrap 'exit 0' TERM\necho 'listening udp 127.0.0.1:40211'\n\
             echo 'listening tcp 127.0.0.1:40212'\necho ready\n\
             while :; do sleep 0.05; done\n",
        )
        .unwrap();
        std::process::Command::new("chmod").arg("+x").arg(&script).status().unwrap();
        let config = dir.path().join("ringway.toml");
        let (daemon, listeners) = Daemon::start(&script, &config, dir.path()).unwrap();
        assert_eq!(listeners.tcp, Some("127.0.0.1:40212".parse().unwrap()));
        daemon.stop().unwrap();
    }

    #[test]
    fn daemon_exiting_before_ready_is_an_error() {
        let dir = crate::process::WorkDir::create("unit-daemon-dies").unwrap();
        let err =
            Daemon::start(Path::new("/bin/false"), &dir.path().join("c"), dir.path()).unwrap_err();
        assert!(err.to_string().contains("before printing `ready`"), "{err}");
    }
}
