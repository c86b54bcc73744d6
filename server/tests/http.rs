//! The daemon's HTTP endpoint over real TCP on 127.0.0.1 port 0, driven through
//! `server::run_with` so the test learns the bound address from the ready callback.

use std::net::SocketAddr;
use std::path::PathBuf;

use ringway::config::Settings;
use ringway::server::{self, BoundAddresses, StartError};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A daemon started for one test; dropping `stop` or sending on it shuts it down.
struct Daemon {
    bound: BoundAddresses,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), StartError>>,
    data_dir: PathBuf,
}

impl Daemon {
    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    fn http(&self) -> SocketAddr {
        self.bound.http.expect("http is enabled")
    }
}

fn settings(test: &str) -> Settings {
    let mut settings = Settings::embedded_default();
    settings.http = Some("127.0.0.1:0".parse().unwrap());
    // These tests run side by side: SIP on free ports, not the default 5060.
    settings.sip.listen = vec!["udp:127.0.0.1:0".parse().unwrap(), "tcp:127.0.0.1:0".parse().unwrap()];
    settings.data_dir =
        std::env::temp_dir().join(format!("ringway-http-{}-{test}", std::process::id()));
    settings
}

/// Starts `run_with` and waits for its ready callback, or returns its start error.
async fn start(settings: Settings) -> Result<Daemon, StartError> {
    let data_dir = settings.data_dir.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready_tx, ready_rx) = oneshot::channel();
    let task = tokio::spawn(server::run_with(
        settings,
        async move {
            let _ = stopped.await;
        },
        move |bound| {
            let _ = ready_tx.send(bound.clone());
        },
    ));
    match ready_rx.await {
        Ok(bound) => Ok(Daemon { bound, stop, task, data_dir }),
        // The callback was dropped unsent: run_with returned before announcing.
        Err(_) => Err(task.await.unwrap().expect_err("run_with ended without announcing")),
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends one HTTP/1.1 request and reads one response (framed by Content-Length).
async fn exchange(stream: &mut BufReader<TcpStream>, method: &str, path: &str) -> Reply {
    let request = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    stream.get_mut().write_all(request.as_bytes()).await.unwrap();
    let mut status_line = String::new();
    stream.read_line(&mut status_line).await.unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let mut reply = Reply { status, headers, body: String::new() };
    let length: usize = reply.header("content-length").unwrap().parse().unwrap();
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.unwrap();
    reply.body = String::from_utf8(body).unwrap();
    reply
}

async fn get(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let mut stream = BufReader::new(TcpStream::connect(addr).await.unwrap());
    exchange(&mut stream, method, path).await
}

#[tokio::test]
async fn health_answers_200_ok_json_on_a_port_zero_listener() {
    let daemon = start(settings("health")).await.unwrap();
    assert_ne!(daemon.http().port(), 0, "the callback reports the bound port");
    let reply = get(daemon.http(), "GET", "/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, r#"{"status":"ok"}"#);
    daemon.stop().await;
}

#[tokio::test]
async fn metrics_are_served_in_prometheus_text_format() {
    let daemon = start(settings("metrics")).await.unwrap();
    let reply = get(daemon.http(), "GET", "/metrics").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    assert!(reply.body.contains("# TYPE ringway_uptime_seconds gauge\n"));
    assert!(reply.body.contains("ringway_sip_requests_received_total{method=\"INVITE\"} 0\n"));
    daemon.stop().await;
}

#[tokio::test]
async fn unknown_paths_get_404_and_other_methods_get_405() {
    let daemon = start(settings("errors")).await.unwrap();
    let mut stream = BufReader::new(TcpStream::connect(daemon.http()).await.unwrap());
    assert_eq!(exchange(&mut stream, "GET", "/calls").await.status, 404);
    let reply = exchange(&mut stream, "POST", "/metrics").await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET"));
    drop(stream);
    daemon.stop().await;
}

#[tokio::test]
async fn shutdown_closes_idle_keep_alive_connections_and_the_listener() {
    let daemon = start(settings("shutdown")).await.unwrap();
    let addr = daemon.http();
    let mut stream = BufReader::new(TcpStream::connect(addr).await.unwrap());
    assert_eq!(exchange(&mut stream, "GET", "/health").await.status, 200);
    // run_with returns only after the connection task ended, so this cannot hang on it.
    daemon.stop().await;
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).await.unwrap(), 0, "the server closed the connection");
    assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn missing_data_dir_is_created_at_start() {
    let settings = settings("data-dir");
    let data_dir = settings.data_dir.join("nested");
    let settings = Settings { data_dir: data_dir.clone(), ..settings };
    let daemon = start(settings).await.unwrap();
    assert!(data_dir.is_dir());
    daemon.stop().await;
}

#[tokio::test]
async fn disabled_http_binds_nothing() {
    let settings = Settings { http: None, ..settings("disabled") };
    let daemon = start(settings).await.unwrap();
    assert_eq!(daemon.bound.http, None);
    daemon.stop().await;
}

#[tokio::test]
async fn a_busy_http_port_fails_to_start_naming_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let settings = Settings { http: Some(addr), ..settings("busy") };
    let data_dir = settings.data_dir.clone();
    let Err(err) = start(settings).await else { panic!("started on a busy port") };
    assert!(matches!(err, StartError::Bind { what: "http", .. }), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    let _ = std::fs::remove_dir_all(data_dir);
}
