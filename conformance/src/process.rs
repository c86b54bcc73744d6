//! Child-process helpers: signals by pid, waiting with a hard deadline, work directories.
//!
//! Signals go through the `kill` command so the runner needs no libc binding (the workspace
//! forbids `unsafe`). A waiter thread owns the child; the caller waits on a channel with a
//! deadline and, when it passes, kills the child by its pid.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

/// Sends `signal` (a name such as `TERM` or `KILL`) to process `pid`.
pub fn signal(pid: u32, signal: &str) -> Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running kill")?;
    if !status.success() {
        bail!("kill -{signal} {pid} failed ({status})");
    }
    Ok(())
}

/// How a waited-for child ended.
#[derive(Debug)]
pub enum Ended {
    /// It exited (or was signalled) on its own before the deadline.
    Exited(ExitStatus),
    /// The deadline passed; the child was killed with SIGKILL.
    Killed,
}

/// Waits for `child` for at most `timeout`; past it, kills the child by pid and reaps it.
pub fn wait_with_deadline(mut child: Child, timeout: Duration) -> Result<Ended> {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(timeout) {
        Ok(status) => {
            let _ = waiter.join();
            Ok(Ended::Exited(status.context("waiting for child")?))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            signal(pid, "KILL")?;
            let _ = rx.recv();
            let _ = waiter.join();
            Ok(Ended::Killed)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => bail!("waiter thread for pid {pid} died"),
    }
}

/// A fresh directory under the system temp dir, removed on drop unless [`WorkDir::keep`] was
/// called.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    /// Creates `ringway-conformance-<pid>-<label>-<nanos>` under the temp dir.
    pub fn create(label: &str) -> Result<WorkDir> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let name = format!("ringway-conformance-{}-{label}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        fs::create_dir(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(WorkDir { path, keep: false })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Leaves the directory in place when dropped (for a failing case's logs).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_past_its_deadline_is_killed() {
        let child = Command::new("sleep").arg("30").spawn().unwrap();
        let ended = wait_with_deadline(child, Duration::from_millis(50)).unwrap();
        assert!(matches!(ended, Ended::Killed), "{ended:?}");
    }

    #[test]
    fn child_that_exits_reports_its_status() {
        let child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
        match wait_with_deadline(child, Duration::from_secs(10)).unwrap() {
            Ended::Exited(status) => assert_eq!(status.code(), Some(3)),
            Ended::Killed => panic!("killed"),
        }
    }

    #[test]
    fn work_dir_is_removed_on_drop_unless_kept() {
        let dir = WorkDir::create("unit").unwrap();
        let path = dir.path().to_owned();
        assert!(path.is_dir());
        drop(dir);
        assert!(!path.exists());

        let mut kept = WorkDir::create("unit-kept").unwrap();
        kept.keep();
        let path = kept.path().to_owned();
        drop(kept);
        assert!(path.is_dir());
        fs::remove_dir_all(path).unwrap();
    }
}
