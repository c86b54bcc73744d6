//! Helpers for the workspace integration tests: start the real `ringway` binary on loopback
//! ports chosen by the kernel, learn its addresses from its start-up announcement, stop it with
//! a signal. Black-box on purpose: these tests see Ringway as a SIP peer sees it.

pub mod digest;
pub mod register;
pub mod sip_peer;

use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// How long Ringway may take to print `ready`.
const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long Ringway may take to exit after SIGTERM.
const STOP_DEADLINE: Duration = Duration::from_secs(15);

/// The `ringway` binary: `$RINGWAY_BIN`, or the one cargo built into this target directory.
pub fn ringway_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("RINGWAY_BIN") {
        return PathBuf::from(path);
    }
    // Test executables live in target/<profile>/deps/; the binary in target/<profile>/.
    let exe = std::env::current_exe().expect("current test executable");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    profile_dir.join("ringway")
}

/// The RFC 4475/5118 torture corpus: `$RINGWAY_TORTURE_DIR`, or `../shared/corpora/sip-torture`
/// beside the workspace.
pub fn torture_dir() -> PathBuf {
    let dir = std::env::var_os("RINGWAY_TORTURE_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/sip-torture")
    });
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "the torture corpus is absent: expected {} (../shared beside the clone) or RINGWAY_TORTURE_DIR",
        dir.display()
    );
    dir
}

/// Where the built plugins are: `$RINGWAY_PLUGIN_DIR` (the Makefile exports it), else where
/// `make plugins` puts them, `<workspace>/plugins/target/components`.
pub fn plugin_dir() -> PathBuf {
    std::env::var_os("RINGWAY_PLUGIN_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/target/components")
    })
}

/// A built plugin (`lcr.wasm`, `faulty_spin.wasm`, ...) in [`plugin_dir`]; panics, saying how to
/// build it, when it is not there: a plugin test must fail, never pass, without its plugins.
pub fn plugin(file: &str) -> PathBuf {
    let path = plugin_dir().join(file);
    assert!(
        path.is_file(),
        "plugin {file} is missing: expected {} ($RINGWAY_PLUGIN_DIR, else \
         <workspace>/plugins/target/components); build the plugins with `make plugins`",
        path.display()
    );
    path
}

/// The resident set size of process `pid` in KiB (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS line")?;
    line.split_whitespace().nth(1).context("empty VmRSS line")?.parse().context("VmRSS value")
}

/// A scratch directory removed on drop.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A new empty directory under the system temp dir.
    pub fn new(label: &str) -> Result<ScratchDir> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ringway-test-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(ScratchDir(dir))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `ringway` process.
#[derive(Debug)]
pub struct Ringway {
    child: Option<Child>,
    /// The UDP listener, if configured.
    pub udp: Option<SocketAddr>,
    /// The TCP listener, if configured.
    pub tcp: Option<SocketAddr>,
    /// The HTTP endpoint, if configured.
    pub http: Option<SocketAddr>,
    dir: ScratchDir,
}

impl Ringway {
    /// Starts Ringway with UDP, TCP and HTTP on 127.0.0.1 port 0 and `sip_extra` lines added to
    /// its `[sip]` table (e.g. `tcp_idle_timeout_secs = 1`).
    pub fn start(sip_extra: &str) -> Result<Ringway> {
        Ringway::start_with_config(&format!(
            "[sip]\nlisten = [\"udp:127.0.0.1:0\", \"tcp:127.0.0.1:0\"]\n{sip_extra}\n[http]\nlisten = \"127.0.0.1:0\"\n"
        ))
    }

    /// Starts Ringway on a whole config file (its `data_dir` is set to a scratch directory).
    pub fn start_with_config(toml: &str) -> Result<Ringway> {
        let dir = ScratchDir::new("ringway")?;
        let config = dir.path().join("ringway.toml");
        let data = dir.path().join("data");
        std::fs::write(&config, format!("data_dir = {:?}\n{toml}", data.display().to_string()))?;
        Ringway::spawn(Command::new(ringway_bin()).arg("run").arg("--config").arg(&config), dir)
    }

    /// Starts Ringway on a whole config file with its `data_dir` at `data`, a directory the
    /// caller owns and that outlives the process: a later start on the same `data` sees what this
    /// one made durable.
    pub fn start_with_config_in(toml: &str, data: &Path) -> Result<Ringway> {
        let dir = ScratchDir::new("ringway")?;
        let config = dir.path().join("ringway.toml");
        std::fs::write(&config, format!("data_dir = {:?}\n{toml}", data.display().to_string()))?;
        Ringway::spawn(Command::new(ringway_bin()).arg("run").arg("--config").arg(&config), dir)
    }

    /// Starts `ringway run` with the given extra arguments and no config file.
    pub fn start_with_args(args: &[&str]) -> Result<Ringway> {
        let dir = ScratchDir::new("ringway")?;
        let data = dir.path().join("data");
        Ringway::spawn(Command::new(ringway_bin()).arg("run").args(args).arg("--data-dir").arg(&data), dir)
    }

    fn spawn(command: &mut Command, dir: ScratchDir) -> Result<Ringway> {
        let bin = ringway_bin();
        if !bin.is_file() {
            bail!("{} is missing: run `cargo build --workspace --bins` first (make test does)", bin.display());
        }
        let stderr = std::fs::File::create(dir.path().join("stderr.log"))?;
        let mut child = command
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("stdout")?;
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut ringway = Ringway { child: Some(child), udp: None, tcp: None, http: None, dir };
        loop {
            let line = lines_rx.recv_timeout(START_DEADLINE).map_err(|_| {
                anyhow!("ringway did not print `ready`; stderr:\n{}", ringway.stderr())
            })?;
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("ready"), None, None) => break,
                (Some("listening"), Some(kind), Some(addr)) => {
                    let addr: SocketAddr = addr.parse().with_context(|| format!("bad address in {line:?}"))?;
                    match kind {
                        "udp" => ringway.udp = ringway.udp.or(Some(addr)),
                        "tcp" => ringway.tcp = ringway.tcp.or(Some(addr)),
                        "http" => ringway.http = Some(addr),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Ok(ringway)
    }

    /// What Ringway wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// The config file it was started on (rewrite it, then reload, to change its plugins).
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("ringway.toml")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends a signal (`TERM`, `INT`, `KILL`) by name.
    pub fn signal(&self, name: &str) -> Result<()> {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status()?;
        if !status.success() {
            bail!("kill -{name} failed");
        }
        Ok(())
    }

    /// Stops Ringway with `signal` and returns its exit status.
    pub fn stop_with(mut self, signal: &str) -> Result<ExitStatus> {
        self.signal(signal)?;
        let pid = self.pid();
        let mut child = self.child.take().context("already stopped")?;
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = done_tx.send(child.wait());
        });
        match done_rx.recv_timeout(STOP_DEADLINE) {
            Ok(status) => Ok(status?),
            Err(_) => {
                let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
                bail!("ringway did not exit within {STOP_DEADLINE:?} of SIG{signal}")
            }
        }
    }

    /// Stops Ringway with SIGTERM.
    pub fn stop(self) -> Result<ExitStatus> {
        self.stop_with("TERM")
    }
}

impl Drop for Ringway {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A minimal SIP request for tests: `method` to `uri`, with a branch and Call-ID derived from
/// `id`, `via` as the sent-by (`127.0.0.1:5099`), optional extra header lines and Content-Length 0.
pub fn request(method: &str, uri: &str, id: &str, via: &str, transport: &str, extra: &str) -> String {
    format!(
        "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{transport} {via};rport;branch=z9hG4bK-{id}\r\nMax-Forwards: 70\r\nFrom: <sip:tester@example.com>;tag=t-{id}\r\nTo: <sip:ringway@example.com>\r\nCall-ID: {id}@tests\r\nCSeq: 1 {method}\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

/// The status code of a response's status line.
pub fn status_of(response: &str) -> Option<u16> {
    let line = response.lines().next()?;
    line.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
}

/// The value of the first header with this (case-insensitive) name.
pub fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.split("\r\n").skip(1).take_while(|l| !l.is_empty()).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The body of an HTTP/1.1 GET on `addr` (the whole answer, head included).
pub fn http_get(addr: SocketAddr, path: &str) -> Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out)
}

/// An HTTP/1.1 POST with an empty body on `addr`: the status code and the body.
pub fn http_post(addr: SocketAddr, path: &str) -> Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(stream, "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    let status = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).with_context(|| format!("no status line in {out:?}"))?;
    let body = out.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_owned();
    Ok((status, body))
}

/// The value of an unlabelled Prometheus metric in Ringway's `/metrics`.
pub fn metric(http: SocketAddr, name: &str) -> Result<Option<f64>> {
    let text = http_get(http, "/metrics")?;
    Ok(text.lines().find_map(|line| {
        let (n, v) = line.split_once(' ')?;
        (n == name).then(|| v.trim().parse().ok()).flatten()
    }))
}

/// Reads one SIP message (head and Content-Length body) from a stream, keeping any bytes after it
/// in `pending`; `None` when the peer closes (or the read times out) first.
pub fn read_stream_message(stream: &mut std::net::TcpStream, pending: &mut Vec<u8>) -> Option<String> {
    use std::io::Read;
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end + 4]).into_owned();
            let length: usize = header(&head, "Content-Length").and_then(|v| v.parse().ok()).unwrap_or(0);
            if pending.len() >= end + 4 + length {
                let message: Vec<u8> = pending.drain(..end + 4 + length).collect();
                return Some(String::from_utf8_lossy(&message).into_owned());
            }
        }
        let mut buf = [0u8; 65536];
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads until the peer closes: true when it closed (EOF or reset) without sending anything more,
/// false when it sent more or the read timed out.
pub fn closed_by_peer(stream: &mut std::net::TcpStream) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}
