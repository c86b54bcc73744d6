//! Running one case over one transport: work dir, optional SIPp UASes, Ringway, SIPp UAC.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

use crate::case::Case;
use crate::config::{self, Placeholders};
use crate::process::WorkDir;
use crate::ringway::Daemon;
use crate::sipp::{self, Invocation, Role};
use crate::transport::Transport;

/// SIPp's own global timeout for a UAC (`-timeout`, with `-timeout_error`).
const UAC_TIMEOUT: Duration = Duration::from_secs(10);
/// The UAS lives through Ringway's start and the whole UAC run.
const UAS_TIMEOUT: Duration = Duration::from_secs(40);
/// Grace beyond SIPp's own timeout before the runner kills it.
const HARD_GRACE: Duration = Duration::from_secs(10);
/// How long each UAS may take to bind its port.
const UAS_BIND_TIMEOUT: Duration = Duration::from_secs(5);

/// The binaries under test and how to treat work directories.
#[derive(Debug)]
pub struct Env {
    /// The ringway binary.
    pub ringway: PathBuf,
    /// The SIPp binary.
    pub sipp: PathBuf,
    /// Keep work directories of passing cases too.
    pub keep: bool,
    /// The built plugins, for `{plugin_dir}` in case fragments.
    pub plugin_dir: PathBuf,
}

/// The result of one case over one transport.
#[derive(Debug)]
pub struct Outcome {
    /// Case name.
    pub case: String,
    /// Transport.
    pub transport: Transport,
    /// Wall-clock duration.
    pub elapsed: Duration,
    /// Every problem found; empty means pass.
    pub problems: Vec<String>,
    /// The kept work directory, if any.
    pub logs: Option<PathBuf>,
}

impl Outcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs `case` over `transport`. Never fails itself: every problem lands in the outcome.
pub fn run(env: &Env, case: &Case, transport: Transport) -> Outcome {
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut logs = None;
    match WorkDir::create(&format!("{}-{transport}", case.name)) {
        Err(err) => problems.push(format!("{err:#}")),
        Ok(mut dir) => {
            attempt(env, case, transport, dir.path(), &mut problems);
            if !problems.is_empty() || env.keep {
                dir.keep();
                logs = Some(dir.path().to_owned());
            }
        }
    }
    Outcome { case: case.name.clone(), transport, elapsed: started.elapsed(), problems, logs }
}

/// The steps of one run. Cleanup steps (stopping Ringway, reaping the UAS) run even after an
/// earlier failure, and each failure is recorded.
fn attempt(env: &Env, case: &Case, transport: Transport, dir: &Path, problems: &mut Vec<String>) {
    let record = |problems: &mut Vec<String>, result: Result<()>| {
        if let Err(err) = result {
            problems.push(format!("{err:#}"));
        }
    };

    // 1. The UASes first, so Ringway's config can name their ports. Each is bound before the
    //    next port is picked, so the two cannot be handed the same one.
    let mut peers: Vec<Peer> = Vec::new();
    let wanted = [(Role::Uas, &case.uas), (Role::Uas2, &case.uas2)];
    for (role, scenario) in wanted.into_iter().filter_map(|(r, s)| s.as_ref().map(|s| (r, s))) {
        match start_uas(env, role, scenario, transport, case.directives.uas_calls(), dir) {
            Ok(peer) => peers.push(peer),
            Err(err) => {
                record(problems, Err(err.context(format!("starting the SIPp {}", role.name()))));
                for peer in peers {
                    if let Some(note) = peer.running.kill() {
                        problems.push(note);
                    }
                }
                return;
            }
        }
    }
    let port_of = |role| peers.iter().find(|p| p.role == role).map(|p| p.port);

    // 2. Ringway.
    let vars = Placeholders {
        uas_port: port_of(Role::Uas),
        uas2_port: port_of(Role::Uas2),
        transport,
        plugin_dir: &env.plugin_dir,
    };
    let daemon = prepare_config(case, dir, vars).and_then(|config_path| {
        Daemon::start(&env.ringway, &config_path, dir).context("starting ringway")
    });

    // 3. The UAC, then Ringway's clean stop.
    match daemon {
        Err(err) => record(problems, Err(err)),
        Ok((daemon, listeners)) => {
            let uac = listeners
                .sip(transport)
                .ok_or_else(|| anyhow!("ringway printed no `listening {transport} ...` line"))
                .and_then(|remote| {
                    let invocation = Invocation {
                        role: Role::Uac,
                        scenario: case.uac.clone(),
                        remote: Some(remote),
                        local_port: None,
                        transport,
                        calls: case.directives.calls,
                        timeout: UAC_TIMEOUT,
                        log_dir: dir.to_owned(),
                        keys: peers
                            .iter()
                            .map(|p| (format!("{}_port", p.role.name()), p.port.to_string()))
                            .collect(),
                    };
                    invocation.spawn(&env.sipp)?.finish(UAC_TIMEOUT + HARD_GRACE)
                });
            record(problems, uac);
            record(problems, daemon.stop());
        }
    }

    // 4. Each UAS must have completed its calls too. After an earlier failure it would only
    //    sit out its timeout, so it is killed at once; its errors may still explain things.
    for peer in peers {
        if problems.is_empty() {
            record(problems, peer.running.finish(UAS_TIMEOUT + HARD_GRACE));
        } else if let Some(note) = peer.running.kill() {
            problems.push(note);
        }
    }

    if !problems.is_empty() {
        let tail = tail_lines(&dir.join("ringway.stderr"), 10);
        if !tail.is_empty() {
            problems.push(format!("ringway stderr (last lines):\n{}", tail.join("\n")));
        }
    }
}

/// A SIPp UAS of the case, bound and waiting for Ringway.
struct Peer {
    role: Role,
    port: u16,
    running: sipp::Running,
}

/// Starts a UAS on a free port and waits until it has bound it.
fn start_uas(
    env: &Env,
    role: Role,
    scenario: &Path,
    transport: Transport,
    calls: u32,
    dir: &Path,
) -> Result<Peer> {
    let port = sipp::free_port()?;
    let invocation = Invocation {
        role,
        scenario: scenario.to_owned(),
        remote: None,
        local_port: Some(port),
        transport,
        calls,
        timeout: UAS_TIMEOUT,
        log_dir: dir.to_owned(),
        keys: Vec::new(),
    };
    let mut running = invocation.spawn(&env.sipp)?;
    if let Err(err) = running.wait_bound(port, transport, UAS_BIND_TIMEOUT) {
        let _ = running.kill();
        return Err(err);
    }
    Ok(Peer { role, port, running })
}

/// The last `n` non-empty lines of a log file (empty if it is missing).
fn tail_lines(path: &Path, n: usize) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<String> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| format!("| {l}")).collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

fn prepare_config(case: &Case, dir: &Path, vars: Placeholders<'_>) -> Result<PathBuf> {
    let data_dir = dir.join("data");
    fs::create_dir_all(&data_dir)?;
    let text = config::render(&data_dir, case.fragment.as_deref(), vars)
        .with_context(|| format!("rendering the config of case {}", case.name))?;
    let path = dir.join("ringway.toml");
    fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    if let Some(extensions) = &case.extensions {
        let text = config::substitute(extensions, vars).with_context(|| format!("rendering the dialplan of case {}", case.name))?;
        let path = dir.join("extensions.conf");
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_lines_keeps_the_last_non_empty_lines_quoted() {
        let dir = WorkDir::create("unit-tail").unwrap();
        let path = dir.path().join("log");
        fs::write(&path, "one\n\ntwo\nthree\n").unwrap();
        assert_eq!(tail_lines(&path, 2), ["| two", "| three"]);
        assert!(tail_lines(&dir.path().join("missing"), 2).is_empty());
    }
}
