//! Running SIPp as the case's UAC (towards Ringway) or UAS (a peer Ringway sends to).
//!
//! Every run uses one socket (`-t u1` / `-t t1`), `-nostdin`, a global `-timeout` with
//! `-timeout_error` (so a silent server is a failure, not a hang), and writes its error,
//! message and screen traces into the case's work directory. The runner additionally bounds
//! each SIPp process with a hard deadline and kills it by pid past that.

use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::process::{self, Ended};
use crate::transport::Transport;

/// The install hint printed when SIPp is missing.
pub const INSTALL_HINT: &str = "apt-get install -y sip-tester";

/// Which side of the call SIPp plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends to Ringway.
    Uac,
    /// Listens on a fixed port for Ringway.
    Uas,
    /// A second peer, on its own fixed port.
    Uas2,
}

impl Role {
    /// The prefix of the role's log files and its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Role::Uac => "uac",
            Role::Uas => "uas",
            Role::Uas2 => "uas2",
        }
    }
}

/// One SIPp invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// UAC or UAS.
    pub role: Role,
    /// The scenario file.
    pub scenario: PathBuf,
    /// Where the UAC sends (Ringway's listener); `None` for a UAS.
    pub remote: Option<SocketAddr>,
    /// The local port (`-p`); the UAS needs a known one, the UAC lets the system choose.
    pub local_port: Option<u16>,
    /// Transport of the run.
    pub transport: Transport,
    /// Number of calls (`-m`).
    pub calls: u32,
    /// SIPp's own global timeout (`-timeout`), after which it fails the run.
    pub timeout: Duration,
    /// Where the traces go.
    pub log_dir: PathBuf,
    /// Scenario keywords set on the command line (`-key NAME VALUE`, used as `[NAME]`).
    pub keys: Vec<(String, String)>,
}

impl Invocation {
    /// The command-line arguments, without the program.
    pub fn args(&self) -> Vec<String> {
        let role = self.role.name();
        let log =
            |suffix: &str| self.log_dir.join(format!("{role}_{suffix}")).display().to_string();
        let mut args = vec!["-sf".to_owned(), self.scenario.display().to_string()];
        if let Some(remote) = self.remote {
            args.push(remote.to_string());
        }
        args.extend(["-i".to_owned(), "127.0.0.1".to_owned()]);
        if let Some(port) = self.local_port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        for (name, value) in &self.keys {
            args.extend(["-key".to_owned(), name.clone(), value.clone()]);
        }
        args.extend([
            "-t".to_owned(),
            self.transport.sipp_mode().to_owned(),
            "-m".to_owned(),
            self.calls.to_string(),
            "-timeout".to_owned(),
            format!("{}s", self.timeout.as_secs().max(1)),
            "-timeout_error".to_owned(),
            "-nostdin".to_owned(),
            "-trace_err".to_owned(),
            "-error_file".to_owned(),
            log("errors.log"),
            "-trace_msg".to_owned(),
            "-message_file".to_owned(),
            log("messages.log"),
            "-trace_screen".to_owned(),
            "-screen_file".to_owned(),
            log("screen.log"),
        ]);
        args
    }

    /// Starts SIPp; its stdout (the statistics screen) and stderr go to files in `log_dir`.
    pub fn spawn(&self, sipp: &Path) -> Result<Running> {
        let role = self.role.name();
        let stdout = File::create(self.log_dir.join(format!("{role}.stdout")))?;
        let stderr = File::create(self.log_dir.join(format!("{role}.stderr")))?;
        let child = Command::new(sipp)
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", sipp.display()))?;
        Ok(Running { child, role: self.role, log_dir: self.log_dir.clone() })
    }
}

/// A SIPp process that has been started.
#[derive(Debug)]
pub struct Running {
    child: Child,
    role: Role,
    log_dir: PathBuf,
}

impl Running {
    /// Waits until a UAS has bound `port` (as seen in `/proc/net`), or fails if it exits or
    /// `timeout` passes. Without `/proc/net` (not Linux) it returns at once.
    pub fn wait_bound(&mut self, port: u16, transport: Transport, timeout: Duration) -> Result<()> {
        let table = match transport {
            Transport::Udp => "/proc/net/udp",
            Transport::Tcp => "/proc/net/tcp",
        };
        if !Path::new(table).exists() {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let text = fs::read_to_string(table).unwrap_or_default();
            let text6 = fs::read_to_string(format!("{table}6")).unwrap_or_default();
            if port_bound(&text, port, transport) || port_bound(&text6, port, transport) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("sipp {} exited with {status} before binding port {port}", self.role.name());
            }
            if Instant::now() >= deadline {
                bail!("sipp {} did not bind port {port} within {timeout:?}", self.role.name());
            }
            // Polling a kernel table for process start-up, not waiting on protocol behaviour.
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits for SIPp to finish, killing it past `hard_timeout`; an error describes the
    /// failure and quotes SIPp's error output.
    pub fn finish(self, hard_timeout: Duration) -> Result<()> {
        let role = self.role.name();
        let outcome = process::wait_with_deadline(self.child, hard_timeout)?;
        let problem = match outcome {
            Ended::Exited(status) if status.success() => return Ok(()),
            Ended::Exited(status) => match status.code() {
                Some(code) => {
                    format!("sipp {role} exited with status {code} ({})", exit_meaning(code))
                }
                None => format!("sipp {role} ended by {status}"),
            },
            Ended::Killed => {
                format!("sipp {role} killed after the hard timeout of {hard_timeout:?}")
            }
        };
        let mut message = problem;
        for line in error_excerpt(&self.log_dir, self.role, 8) {
            message.push_str("\n| ");
            message.push_str(&line);
        }
        bail!(message)
    }
    /// Kills SIPp at once (the case already failed) and returns a note with its error output,
    /// if it logged any.
    pub fn kill(self) -> Option<String> {
        let role = self.role.name();
        let _ = process::wait_with_deadline(self.child, Duration::ZERO);
        let excerpt = error_excerpt(&self.log_dir, self.role, 8);
        if excerpt.is_empty() {
            return None;
        }
        Some(format!("sipp {role} (stopped early) reported:\n| {}", excerpt.join("\n| ")))
    }
}

/// What SIPp's documented exit codes mean.
pub fn exit_meaning(code: i32) -> &'static str {
    match code {
        0 => "all calls successful",
        1 => "at least one call failed",
        97 => "exit on internal command",
        99 => "normal exit without calls processed",
        255 => "fatal error",
        254 => "fatal error binding a socket",
        _ => "undocumented exit code",
    }
}

/// The first `max` meaningful lines of SIPp's stderr and error trace, each shortened.
pub fn error_excerpt(log_dir: &Path, role: Role, max: usize) -> Vec<String> {
    let role = role.name();
    let mut lines = Vec::new();
    for file in [format!("{role}.stderr"), format!("{role}_errors.log")] {
        let text = fs::read_to_string(log_dir.join(file)).unwrap_or_default();
        lines.extend(meaningful_lines(&text));
    }
    lines.dedup();
    lines.truncate(max);
    lines
}

fn meaningful_lines(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(str::trim_end)
        .filter(|l| {
            !l.trim().is_empty()
                && !l.starts_with("The following events occurred")
                && !l.starts_with("Resolving remote host")
        })
        .map(|l| {
            // SIPp prefixes events with "date\ttime\tepoch: "; the message is what matters.
            let l = l.rsplit_once('\t').map_or(l, |(_, msg)| msg);
            let l = l.split_once(": ").filter(|(ts, _)| is_timestamp(ts)).map_or(l, |(_, m)| m);
            shorten(l, 200)
        })
}

fn is_timestamp(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// Whether a `/proc/net/{udp,tcp}[6]` table shows a socket bound to `port` (listening, for
/// TCP).
pub fn port_bound(table: &str, port: u16, transport: Transport) -> bool {
    const TCP_LISTEN: &str = "0A";
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace();
        let (Some(_slot), Some(local), Some(_remote), Some(state)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return false;
        };
        let Some((_, hex_port)) = local.rsplit_once(':') else { return false };
        u16::from_str_radix(hex_port, 16) == Ok(port)
            && (transport == Transport::Udp || state == TCP_LISTEN)
    })
}

/// A loopback port free for both UDP and TCP right now (the UAS binds it next).
pub fn free_port() -> Result<u16> {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").context("binding a probe UDP socket")?;
        let port = udp.local_addr()?.port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no loopback port free for both UDP and TCP after 50 tries")
}

/// Finds the SIPp binary: `explicit` if given, else `$SIPP_BIN`, else `sipp` on `$PATH`.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
    let wanted = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("SIPP_BIN").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("sipp"));
    let found = if wanted.components().count() > 1 {
        Some(wanted.clone()).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths).map(|dir| dir.join(&wanted)).find(|p| p.is_file())
        })
    };
    found.with_context(|| {
        format!(
            "SIPp not found ({}). Install it with `{INSTALL_HINT}` (Debian/Ubuntu package \
             sip-tester), or pass --sipp PATH / set SIPP_BIN",
            wanted.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uac() -> Invocation {
        Invocation {
            role: Role::Uac,
            scenario: PathBuf::from("/s/options_uac.xml"),
            remote: Some("127.0.0.1:40212".parse().unwrap()),
            local_port: None,
            transport: Transport::Tcp,
            calls: 1,
            timeout: Duration::from_secs(10),
            log_dir: PathBuf::from("/w"),
            keys: vec![],
        }
    }

    #[test]
    fn uac_arguments_target_ringway_with_timeouts_and_traces() {
        let args = uac().args().join(" ");
        assert_eq!(
            args,
            "-sf /s/options_uac.xml 127.0.0.1:40212 -i 127.0.0.1 -t t1 -m 1 -timeout 10s \
             -timeout_error -nostdin -trace_err -error_file /w/uac_errors.log -trace_msg \
             -message_file /w/uac_messages.log -trace_screen -screen_file /w/uac_screen.log"
        );
    }

    #[test]
    fn keys_become_sipp_keywords_before_the_transport() {
        let with_keys = Invocation {
            keys: vec![("uas_port".into(), "41000".into()), ("uas2_port".into(), "41002".into())],
            ..uac()
        };
        let args = with_keys.args().join(" ");
        assert!(
            args.contains("-i 127.0.0.1 -key uas_port 41000 -key uas2_port 41002 -t t1 "),
            "{args}"
        );
    }

    #[test]
    fn uas_arguments_bind_a_fixed_port_and_have_no_remote() {
        let uas = Invocation {
            role: Role::Uas,
            remote: None,
            local_port: Some(41000),
            transport: Transport::Udp,
            calls: 2,
            ..uac()
        };
        let args = uas.args().join(" ");
        assert!(args.starts_with("-sf /s/options_uac.xml -i 127.0.0.1 -p 41000 -t u1 -m 2 "));
        assert!(args.contains("-error_file /w/uas_errors.log"));
        let second = Invocation { role: Role::Uas2, local_port: Some(41002), ..uas };
        let args = second.args().join(" ");
        assert!(args.contains("-p 41002 "), "{args}");
        assert!(args.contains("-message_file /w/uas2_messages.log"), "{args}");
    }

    #[test]
    fn proc_net_tables_show_bound_ports() {
        let udp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt\n\
                   \x20 12: 0100007F:A028 00000000:0000 07 00000000:00000000 00:00000000 00000000\n";
        assert!(port_bound(udp, 0xA028, Transport::Udp));
        assert!(!port_bound(udp, 0xA029, Transport::Udp));
        let tcp = "  sl  local_address rem_address   st\n\
                   \x20  0: 0100007F:A028 0100007F:9C40 01 0\n\
                   \x20  1: 00000000:A029 00000000:0000 0A 0\n";
        assert!(!port_bound(tcp, 0xA028, Transport::Tcp), "established, not listening");
        assert!(port_bound(tcp, 0xA029, Transport::Tcp));
    }

    #[test]
    fn error_excerpt_drops_sipp_boilerplate_and_timestamps() {
        let text = "The following events occurred:\n\
                    2026-11-25\t12:58:30.870694\t1795611510.870694: Aborting call on unexpected \
                    message for Call-Id '1-6352@127.0.0.1': while expecting '400' (index 1)\n\
                    Via: SIP/2.0/UDP 127.0.0.1:5060\n";
        let lines: Vec<String> = meaningful_lines(text).collect();
        assert_eq!(
            lines,
            [
                "Aborting call on unexpected message for Call-Id '1-6352@127.0.0.1': while \
                 expecting '400' (index 1)",
                "Via: SIP/2.0/UDP 127.0.0.1:5060",
            ]
        );
    }

    #[test]
    fn free_port_is_bindable_for_udp_and_tcp() {
        let port = free_port().unwrap();
        UdpSocket::bind(("127.0.0.1", port)).unwrap();
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }

    #[test]
    fn missing_sipp_names_the_debian_package() {
        let err = locate(Some(Path::new("/nonexistent/sipp"))).unwrap_err();
        assert!(err.to_string().contains(INSTALL_HINT), "{err}");
    }
}
