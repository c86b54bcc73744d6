//! A REGISTER client over UDP (RFC 3261 §10.2) for tests: one Call-ID per client with rising
//! CSeq, the 401 → digest → answer exchange (§22.2), and a non-INVITE client transaction that
//! retransmits on Timer E and gives up at Timer F (§17.1.2.2), so that a lost datagram on a busy
//! loopback does not fail a test.

// A test client is a shell, not the core: its transaction timers read the real clock.
#![allow(clippy::disallowed_methods)]

use crate::digest::{Algorithm, Answer, challenges};
use crate::{header, status_of};
use anyhow::{Context, Result, anyhow, bail};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// RFC 3261 T1 and T2, and Timer F = 64·T1.
const T1: Duration = Duration::from_millis(500);
const T2: Duration = Duration::from_secs(4);
const TIMER_F: Duration = Duration::from_secs(32);

/// A registering user agent for one account.
#[derive(Debug)]
pub struct RegisterClient {
    socket: UdpSocket,
    server: SocketAddr,
    /// The username (To user and digest username).
    pub username: String,
    /// The password it answers challenges with.
    pub password: String,
    /// The challenge it picks from a 401.
    pub algorithm: Algorithm,
    call_id: String,
    cseq: u32,
    branches: u32,
    cnonces: u32,
}

impl RegisterClient {
    /// A client on a fresh 127.0.0.1 port, connected to `server` (so that a dead server shows up
    /// as `ConnectionRefused` rather than as silence).
    pub fn new(server: SocketAddr, username: &str, password: &str, algorithm: Algorithm) -> Result<RegisterClient> {
        RegisterClient::bind("127.0.0.1:0", server, username, password, algorithm)
    }

    /// A client on the given local address (e.g. `127.0.0.2:0` to be another source).
    pub fn bind(local: &str, server: SocketAddr, username: &str, password: &str, algorithm: Algorithm) -> Result<RegisterClient> {
        let socket = UdpSocket::bind(local).with_context(|| format!("binding {local}"))?;
        socket.connect(server)?;
        let port = socket.local_addr()?.port();
        Ok(RegisterClient {
            socket,
            server,
            username: username.to_owned(),
            password: password.to_owned(),
            algorithm,
            call_id: format!("reg-{username}-{port}@tests"),
            cseq: 0,
            branches: 0,
            cnonces: 0,
        })
    }

    /// The client's own address.
    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("bound socket")
    }

    /// The contact URI this client registers by default: its own address.
    pub fn contact(&self) -> String {
        format!("sip:{}@{};transport=udp", self.username, self.local_addr())
    }

    /// The Request-URI: the registrar's domain (§10.2).
    pub fn request_uri(&self) -> String {
        format!("sip:{}", self.server)
    }

    /// The next REGISTER of this client's registration (same Call-ID, CSeq one higher), with
    /// `extra` header lines (each ending in CRLF) and an optional Authorization value.
    pub fn build(&mut self, extra: &str, authorization: Option<&str>) -> (String, String) {
        self.cseq += 1;
        self.branches += 1;
        let branch = format!("z9hG4bK-{}-{}-{}", self.username, self.local_addr().port(), self.branches);
        let local = self.local_addr();
        let user = &self.username;
        let server = self.server;
        let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        let message = format!(
            "REGISTER {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};rport;branch={branch}\r\nMax-Forwards: 70\r\nFrom: <sip:{user}@{server}>;tag=f-{port}\r\nTo: <sip:{user}@{server}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\nUser-Agent: ringway-tests\r\n{auth}{extra}Content-Length: 0\r\n\r\n",
            uri = self.request_uri(),
            port = local.port(),
            call_id = self.call_id,
            cseq = self.cseq,
        );
        (message, branch)
    }

    /// Sends a datagram as is (no retransmission).
    pub fn send_raw(&self, message: &str) -> Result<()> {
        self.socket.send(message.as_bytes())?;
        Ok(())
    }

    /// The next datagram received within `wait`, if any.
    pub fn recv_within(&self, wait: Duration) -> Result<Option<String>> {
        self.socket.set_read_timeout(Some(wait))?;
        let mut buf = vec![0u8; 65535];
        match self.socket.recv(&mut buf) {
            Ok(n) => Ok(Some(String::from_utf8_lossy(&buf[..n]).into_owned())),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A non-INVITE client transaction: sends `message`, retransmits it at T1, 2·T1, … capped at
    /// T2 until a final response on `branch` arrives; fails at Timer F or when the server is gone.
    pub fn transact(&self, message: &str, branch: &str) -> Result<String> {
        let started = Instant::now();
        let mut interval = T1;
        self.send_raw(message)?;
        let mut next_send = Instant::now() + interval;
        loop {
            let now = Instant::now();
            if now.duration_since(started) >= TIMER_F {
                bail!("no final response within Timer F to:\n{message}");
            }
            let wait = next_send.saturating_duration_since(now).max(Duration::from_millis(1));
            match self.recv_within(wait)? {
                Some(answer) => {
                    let ours = header(&answer, "Via").is_some_and(|v| v.contains(branch));
                    if ours && status_of(&answer).is_some_and(|s| s >= 200) {
                        return Ok(answer);
                    }
                }
                None => {
                    interval = (interval * 2).min(T2);
                    self.send_raw(message)?;
                    next_send = Instant::now() + interval;
                }
            }
        }
    }

    /// One REGISTER without credentials; its final response.
    pub fn register_unauthenticated(&mut self, extra: &str) -> Result<String> {
        let (message, branch) = self.build(extra, None);
        self.transact(&message, &branch)
    }

    /// REGISTER with `extra` header lines, answering the 401 with digest credentials for this
    /// client's algorithm (RFC 3261 §22.2). Returns the final response to the authenticated
    /// request; a first answer other than 401 is an error.
    pub fn register(&mut self, extra: &str) -> Result<String> {
        let first = self.register_unauthenticated(extra)?;
        if status_of(&first) != Some(401) {
            bail!("expected a 401 challenge, got:\n{first}");
        }
        let authorization = self.answer(&first)?;
        let (message, branch) = self.build(extra, Some(&authorization));
        self.transact(&message, &branch)
    }

    /// Credentials answering the challenge for this client's algorithm in `challenge_response`.
    pub fn answer(&mut self, challenge_response: &str) -> Result<String> {
        let challenge = challenges(challenge_response)
            .into_iter()
            .find(|c| c.algorithm == Some(self.algorithm))
            .ok_or_else(|| anyhow!("no {} challenge in:\n{challenge_response}", self.algorithm))?;
        self.cnonces += 1;
        let cnonce = format!("c{}x{}", self.local_addr().port(), self.cnonces);
        let uri = self.request_uri();
        Ok(challenge.answer(&Answer {
            username: &self.username,
            password: &self.password,
            method: "REGISTER",
            uri: &uri,
            nc: 1,
            cnonce: &cnonce,
        }))
    }
}

/// Every value of the headers with this (case-insensitive) name, in order; comma-separated
/// values of one header line stay together.
pub fn header_values<'a>(message: &'a str, name: &str) -> Vec<&'a str> {
    message
        .split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .collect()
}

/// The Contact values of a response (full name or compact `m`), in order.
pub fn contacts(message: &str) -> Vec<&str> {
    let mut out = header_values(message, "Contact");
    out.extend(header_values(message, "m"));
    out
}
