//! The tokio shell around the SIP core: sockets in, sockets out.
//!
//! ```text
//!  udp.rs / tcp.rs ──bytes──► Hub::ingress ──parse, validate, stamp Via, count──► shard queue
//!                                 │ malformed request → stateless 400 (or 513)    (by Call-ID)
//!                                 │ malformed response → dropped
//!  shard.rs ──Transmit──► Hub::send ──► UDP socket / TCP connection (reused by flow)
//! ```
//!
//! There is exactly one ingress path ([`Hub::ingress`]) whatever the transport, so every message
//! is framed, parsed, counted and logged once. The hub holds no call or transaction state; it
//! only knows sockets, connections and which shard queue a message belongs to.

pub mod guard;
pub mod tcp;
pub mod udp;

use crate::metrics::{DropReason, Metrics};
use crate::sip::endpoint::Endpoint;
use crate::sip::flow::{Flow, Transport, response_flow, stamp_top_via};
use crate::sip::ident::{shard_of, shard_of_user};
use crate::sip::message::validate::{validate_request, validate_response};
use crate::sip::message::{HeaderName, Malformed, Message, ParseError, Request, Response};
use bytes::{Bytes, BytesMut};
use ringway_sdk::StatusCode;
use std::collections::hash_map::RandomState;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, trace, warn};

/// What a shard task receives.
#[derive(Debug)]
pub enum ShardInput {
    /// A valid request; responses go to `reply_to` (RFC 3261 §18.2.2, already computed).
    Request {
        /// The request, top Via stamped with `received`/`rport`.
        request: Request,
        /// Where it came from.
        source: Flow,
        /// Where its responses go.
        reply_to: Flow,
    },
    /// A valid response.
    Response {
        /// The response.
        response: Response,
        /// Where it came from.
        source: Flow,
    },
    /// A flow failed (connection refused or closed): transactions using it fail over.
    TransportError(Flow),
    /// A router that ran off the shard (the plugin chain) decided where a call goes.
    Decision {
        /// The call, in the shard that asked.
        call: crate::b2bua::CallKey,
        /// Where it goes.
        plan: crate::b2bua::Plan,
        /// The plugin to ask again if every target fails over.
        asker: Option<crate::b2bua::Asker>,
    },
    /// A call run by the Asterisk dialplan goes on: after a `Wait()`, or with a plugin's
    /// answer to `Wasm()` already in it.
    Dialplan {
        /// The call, in the shard that asked.
        call: crate::b2bua::CallKey,
        /// Its dialplan run.
        dialplan: Box<crate::pbx::DialplanCall>,
    },
    /// The location store finished a commit the shard's registrar asked for.
    CommitDone {
        /// The registrar's token for the commit.
        token: u64,
        /// Whether the changes are durable.
        result: Result<(), crate::store::StoreError>,
    },
}

/// Limits the transports enforce.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest message accepted, in octets.
    pub max_message_size: usize,
    /// Open TCP connections at most.
    pub tcp_max_connections: usize,
    /// A TCP connection idle this long is closed.
    pub tcp_idle_timeout: std::time::Duration,
}

/// Sockets, connections and shard queues: everything the shell shares between tasks.
pub struct Hub {
    shards: Vec<mpsc::Sender<ShardInput>>,
    hasher: RandomState,
    endpoint: Endpoint,
    metrics: Arc<Metrics>,
    udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    pub(crate) tcp: tcp::Connections,
    limits: Limits,
    guard: guard::Guard,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("shards", &self.shards.len()).field("udp", &self.udp.len()).finish()
    }
}

impl Hub {
    /// A hub over bound UDP sockets, feeding `shards`.
    pub fn new(
        shards: Vec<mpsc::Sender<ShardInput>>,
        endpoint: Endpoint,
        metrics: Arc<Metrics>,
        udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
        limits: Limits,
        guard: guard::Guard,
        hasher: RandomState,
    ) -> Self {
        Hub { shards, hasher, endpoint, metrics, udp, tcp: tcp::Connections::default(), limits, guard }
    }

    /// The ban table.
    pub fn guard(&self) -> &guard::Guard {
        &self.guard
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The one ingress path: takes a framed, parsed (or failed) message from any transport.
    pub fn ingress(self: &Arc<Self>, parsed: Result<Message, Malformed>, source: Flow) {
        if self.guard.admit(source.remote.ip()) == guard::Admission::Banned {
            self.metrics.dropped(DropReason::Banned);
            return;
        }
        match parsed {
            Ok(Message::Request(request)) => self.ingress_request(request, source),
            Ok(Message::Response(response)) => self.ingress_response(response, source),
            Err(malformed) => {
                self.metrics.parse_error(source.transport.as_str());
                debug!(%source, error = %malformed.error, request = malformed.is_request, "malformed message");
                match self.endpoint.reject_malformed(&malformed) {
                    Some(answer) => self.send_stateless(&malformed.headers, answer, source),
                    None => self.metrics.dropped(DropReason::MalformedResponse),
                }
            }
        }
    }

    fn ingress_request(self: &Arc<Self>, mut request: Request, source: Flow) {
        self.metrics.request_in(request.method.as_str());
        if request.headers.get(&HeaderName::UserAgent).is_some_and(|ua| self.guard.is_scanner(ua)) {
            self.metrics.dropped(DropReason::Scanner);
            return;
        }
        if tracing::enabled!(target: "sip::wire", tracing::Level::TRACE) {
            trace!(target: "sip::wire", %source, message = %redacted(&request.to_bytes()), "in");
        }
        if let Err(error) = validate_request(&request) {
            // An extension method whose CSeq names another method is answered 501, not 400
            // (RFC 4475 §3.1.2.18): the method check comes first.
            let unknown_method_only = error == ParseError::CSeqMethodMismatch && !request.method.is_known();
            if !unknown_method_only {
                self.metrics.parse_error(source.transport.as_str());
                debug!(%source, %error, "invalid request");
                let answer = self.endpoint.reject_invalid(&request, error);
                self.send_stateless(&request.headers, answer, source);
                return;
            }
        }
        if let Err(error) = stamp_top_via(&mut request.headers, source.remote) {
            let answer = self.endpoint.reject_invalid(&request, error);
            self.send_stateless(&request.headers, answer, source);
            return;
        }
        let Some(reply_to) = request.headers.top_via().ok().and_then(|via| response_flow(&via, source)) else {
            self.metrics.dropped(DropReason::Broadcast);
            return;
        };
        let shard = if request.method == crate::sip::message::Method::Register {
            // Each AOR's bindings have one owner: REGISTERs go by the To user, not the Call-ID.
            shard_of_user(request.headers.to_addr().ok().and_then(|to| to.uri.user).unwrap_or(""), self.shards.len() as u16, &self.hasher)
        } else {
            shard_of(&request.headers, false, self.shards.len() as u16, &self.hasher)
        };
        let input = ShardInput::Request { request, source, reply_to };
        if let Err(mpsc::error::TrySendError::Full(ShardInput::Request { request, .. })) = self.shards[usize::from(shard.0)].try_send(input) {
            self.metrics.dropped(DropReason::Overload);
            if request.method != crate::sip::message::Method::Ack {
                let mut answer = Response::to_request(&request.headers, StatusCode::SERVICE_UNAVAILABLE, None);
                answer.headers.push(HeaderName::RetryAfter, "5");
                self.send_stateless(&request.headers, answer, source);
            }
        }
    }

    fn ingress_response(&self, response: Response, source: Flow) {
        self.metrics.response_in(response.status.as_u16());
        if tracing::enabled!(target: "sip::wire", tracing::Level::TRACE) {
            trace!(target: "sip::wire", %source, message = %redacted(&response.to_bytes()), "in");
        }
        if let Err(error) = validate_response(&response) {
            self.metrics.parse_error(source.transport.as_str());
            self.metrics.dropped(DropReason::MalformedResponse);
            debug!(%source, %error, "invalid response dropped");
            return;
        }
        let shard = shard_of(&response.headers, true, self.shards.len() as u16, &self.hasher);
        if self.shards[usize::from(shard.0)].try_send(ShardInput::Response { response, source }).is_err() {
            self.metrics.dropped(DropReason::Overload);
        }
    }

    /// Tells every shard that a flow failed (RFC 3261 §17.1.4, §17.2.4).
    pub fn report_transport_error(&self, flow: Flow) {
        for shard in &self.shards {
            let _ = shard.try_send(ShardInput::TransportError(flow));
        }
    }

    /// Sends a response outside any transaction (a 400 for a request the core cannot read, a
    /// 503 when a shard is full), to where the request's Via says, or back to the source.
    fn send_stateless(self: &Arc<Self>, request_headers: &crate::sip::message::Headers, response: Response, source: Flow) {
        let flow = match request_headers.top_via() {
            Ok(via) => match response_flow(&via, source) {
                Some(flow) => flow,
                None => return self.metrics.dropped(DropReason::Broadcast),
            },
            Err(_) => source,
        };
        self.metrics.response_out(response.status.as_u16());
        let mut buf = BytesMut::new();
        response.write_to(&mut buf);
        self.send(flow, buf.freeze());
    }

    /// Sends bytes on a flow: the UDP socket bound to `flow.local` (or any of the family), or the
    /// TCP connection to `flow.remote` (opened if there is none). Never blocks: a full socket
    /// buffer drops the datagram, and the transaction layer's retransmission covers it.
    pub fn send(self: &Arc<Self>, flow: Flow, payload: Bytes) {
        self.metrics.bytes_out(payload.len());
        trace!(target: "sip::wire", %flow, message = %redacted(&payload), "out");
        match flow.transport {
            Transport::Udp => {
                let socket = self
                    .udp
                    .iter()
                    .find(|(local, _)| *local == flow.local)
                    .or_else(|| self.udp.iter().find(|(local, _)| local.is_ipv4() == flow.remote.is_ipv4()));
                let Some((_, socket)) = socket else {
                    warn!(%flow, "no UDP socket for this address family");
                    return;
                };
                if let Err(error) = socket.try_send_to(&payload, flow.remote) {
                    debug!(%flow, %error, "UDP send failed");
                }
            }
            Transport::Tcp => self.tcp.send(self, flow, payload),
        }
    }

    /// `513 Message too big` for a request too large to take (RFC 3261 §21.5.14), when its head
    /// could be read; sent before the stream carrying it is closed.
    pub fn reject_too_large(self: &Arc<Self>, salvage: &Malformed, source: Flow) {
        self.metrics.dropped(DropReason::TooLarge);
        if let Some(answer) = self.endpoint.reject_too_large(salvage) {
            self.send_stateless(&salvage.headers, answer, source);
        }
    }
}

/// A message as text for the `sip::wire` trace log, with credentials blanked: the values of
/// Authorization and Proxy-Authorization never reach a log file.
fn redacted(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let mut out = String::with_capacity(text.len());
    let mut hiding = false;
    for line in text.split_inclusive('\n') {
        if hiding && line.starts_with([' ', '\t']) {
            continue; // a folded continuation of the hidden value
        }
        let name = line.split(':').next().unwrap_or("").trim();
        hiding = name.eq_ignore_ascii_case("Authorization") || name.eq_ignore_ascii_case("Proxy-Authorization");
        if hiding {
            out.push_str(name);
            out.push_str(": <redacted>\r\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn wire_log_never_shows_credentials() {
        let text = redacted(b"REGISTER sip:a SIP/2.0\r\nAuthorization: Digest username=\"bob\",\r\n response=\"abc\"\r\nproxy-authorization : Digest x\r\nCall-ID: 1\r\n\r\n");
        assert!(!text.contains("bob") && !text.contains("abc") && !text.contains("Digest"), "{text}");
        assert!(text.contains("Call-ID: 1"));
    }
}
