//! The HTTP endpoint: `GET /metrics` (Prometheus text format 0.0.4) and `GET /health`.
//!
//! HTTP/1.1 only, on hyper. [`serve`] takes an already bound listener so tests bind port 0 and
//! read the address back. Other methods on these paths get 405, other paths 404. The calls,
//! registrations, CDR and plugin APIs of DESIGN.md will be routed here as they land.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::metrics::Metrics;

/// How long in-flight HTTP exchanges may take to finish once shutdown starts.
const DRAIN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed accept (usually EMFILE) so the loop does not spin on it.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The content type Prometheus expects for the text exposition format.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Reloads the plugin chain from the config file: the names now loaded, or why the old chain
/// still serves. Blocking (compiles components).
pub type Reload = Arc<dyn Fn() -> Result<Vec<String>, String> + Send + Sync>;

/// Serves requests on `listener` until `shutdown` completes, then lets open exchanges finish
/// (closing idle keep-alive connections at once) for at most a few seconds. `POST
/// /plugins/reload` runs `reload` on a blocking thread.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    reload: Reload,
    shutdown: impl Future<Output = ()>,
) {
    // Dropping the sender tells every connection task to shut down gracefully.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    debug!(%peer, "http connection");
                    connections.spawn(connection(stream, metrics.clone(), reload.clone(), stop_rx.clone()));
                }
                Err(error) => {
                    warn!(%error, "http accept failed");
                    #[allow(clippy::disallowed_methods)] // shell back-off, not a protocol timer
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            // Reap finished connections so the set does not grow with every scrape.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    drop(stop_tx);
    let drain = async { while connections.join_next().await.is_some() {} };
    #[allow(clippy::disallowed_methods)] // bounds how long a stuck client can delay exit
    let grace = tokio::time::sleep(DRAIN_GRACE);
    tokio::select! {
        () = drain => {}
        () = grace => {
            info!(open = connections.len(), "http connections did not finish in time; closing them");
            connections.abort_all();
        }
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    metrics: Arc<Metrics>,
    reload: Reload,
    mut stop: watch::Receiver<()>,
) {
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        let reloading = request.method() == Method::POST && request.uri().path() == "/plugins/reload";
        let response = (!reloading).then(|| respond(&request, &metrics));
        let reload = reload.clone();
        async move {
            if let Some(response) = response {
                return Ok::<_, Infallible>(response);
            }
            let outcome = tokio::task::spawn_blocking(move || reload()).await.unwrap_or_else(|e| Err(e.to_string()));
            Ok(match outcome {
                Ok(names) => reply(StatusCode::OK, "application/json", format!("{{\"plugins\":{names:?}}}\n")),
                Err(error) => {
                    warn!(%error, "plugin reload refused; the old chain keeps serving");
                    reply(StatusCode::UNPROCESSABLE_ENTITY, "text/plain", format!("{error}\n"))
                }
            })
        }
    });
    // The timer enables hyper's header read timeout, so a silent client cannot hold a task.
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(error) = result {
        debug!(%error, "http connection ended with an error");
    }
}

fn respond<B>(request: &Request<B>, metrics: &Metrics) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    match (request.method(), path) {
        (&Method::GET, "/metrics") => reply(StatusCode::OK, METRICS_CONTENT_TYPE, metrics.render()),
        (&Method::GET, "/health") => {
            reply(StatusCode::OK, "application/json", r#"{"status":"ok"}"#)
        }
        (_, "/metrics" | "/health") => {
            let mut response =
                reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
            // RFC 9110 §15.5.6: a 405 must list the allowed methods.
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET"));
            response
        }
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(method: Method, path: &str) -> Response<Full<Bytes>> {
        let request = Request::builder().method(method).uri(path).body(()).unwrap();
        respond(&request, &Metrics::new())
    }

    #[test]
    fn metrics_are_served_as_prometheus_text() {
        let response = get(Method::GET, "/metrics");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], METRICS_CONTENT_TYPE);
    }

    #[test]
    fn health_is_ok_json() {
        let response = get(Method::GET, "/health");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
    }

    #[test]
    fn other_methods_on_known_paths_get_405_with_allow() {
        let response = get(Method::POST, "/metrics");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[ALLOW], "GET");
    }

    #[test]
    fn unknown_paths_get_404() {
        assert_eq!(get(Method::GET, "/nope").status(), StatusCode::NOT_FOUND);
        assert_eq!(get(Method::DELETE, "/").status(), StatusCode::NOT_FOUND);
    }
}
