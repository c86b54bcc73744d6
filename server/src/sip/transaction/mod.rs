//! The transaction layer of RFC 3261 §17 with the RFC 6026 corrections, sans I/O.
//!
//! One [`TransactionLayer`] lives in each shard and is driven by a single owner:
//!
//! - **inputs**: [`handle_request`](TransactionLayer::handle_request),
//!   [`handle_response`](TransactionLayer::handle_response),
//!   [`handle_timeout`](TransactionLayer::handle_timeout),
//!   [`handle_transport_error`](TransactionLayer::handle_transport_error);
//! - **commands** from the TU: [`send_request`](TransactionLayer::send_request),
//!   [`send_ack`](TransactionLayer::send_ack), [`respond`](TransactionLayer::respond),
//!   [`cancel`](TransactionLayer::cancel);
//! - **outputs**, to drain after every input or command: [`poll_transmit`](TransactionLayer::poll_transmit)
//!   (send these), [`poll_event`](TransactionLayer::poll_event) (give these to the TU), then
//!   [`poll_timeout`](TransactionLayer::poll_timeout) (call `handle_timeout` at that instant).
//!
//! Implemented: the four state machines of §17.1.1 (INVITE client, with RFC 6026 Accepted and
//! Timer M), §17.1.2 (non-INVITE client), §17.2.1 (INVITE server, with RFC 6026 Accepted and
//! Timer L) and §17.2.2 (non-INVITE server); matching of §17.1.3 and §17.2.3 including the RFC 2543
//! fallback; the ACK for non-2xx finals (§17.1.1.3); CANCEL on both sides (§9.1, §9.2); transport
//! errors (§17.1.4, §17.2.4); the automatic `100 Trying` (§17.2.1) and a `500` when the TU never
//! answers. Terminated transactions are removed by the layer and announced with
//! [`Event::ServerTerminated`] / [`Event::ClientTerminated`].
//!
//! Deliberately not here: the ACK for a 2xx and 2xx retransmission by the UAS (the dialog layer's,
//! RFC 3261 §13.3.1.4, §13.2.2.4), Timer C and forking (no proxy core), DNS failover on transport
//! errors (§18.2.2's alternative addresses belong to the shell), and any clock or randomness:
//! time is the caller's `now`, branches are minted by the TU.

mod client;
pub mod fuzz;
mod key;
mod output;
mod server;
mod timer;

#[cfg(test)]
mod tests;

#[doc(hidden)]
pub use fuzz::fuzz_inbound;
pub use client::ClientState;
pub use output::{
    ClientTransactionId, Event, RespondError, SendError, ServerTransactionId, Stats, Transmit, TransmitKind,
};
pub use server::ServerState;
pub use timer::{TRYING_DELAY, Timer, TimerConfig};

use crate::sip::Flow;
use crate::sip::message::{Method, Request, Response};
use bytes::Bytes;
use client::ClientTransaction;
use key::{ClientKey, ServerKey};
use server::ServerTransaction;
use std::collections::VecDeque;
// foldhash: several times cheaper than SipHash on the branch keys of every message, and seeded
// per process, so a peer cannot aim collisions at a shard.
use foldhash::{HashMap, HashMapExt};
use std::time::Instant;
use timer::{Entry, Owner, TimerQueue};

/// The transactions of one shard, their timers and their pending outputs.
#[derive(Debug)]
pub struct TransactionLayer {
    config: TimerConfig,
    servers: HashMap<u64, ServerTransaction>,
    server_keys: HashMap<ServerKey, u64>,
    clients: HashMap<u64, ClientTransaction>,
    client_keys: HashMap<ClientKey, u64>,
    next_id: u64,
    timers: TimerQueue,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
}

impl TransactionLayer {
    /// An empty layer with these timer values.
    pub fn new(config: TimerConfig) -> Self {
        TransactionLayer {
            config,
            servers: HashMap::new(),
            server_keys: HashMap::new(),
            clients: HashMap::new(),
            client_keys: HashMap::new(),
            next_id: 0,
            timers: TimerQueue::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    /// The timer values in use.
    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// A request arrived on `source`; responses to it go to `reply_to` (RFC 3261 §18.2.2, see
    /// [`crate::sip::flow::response_flow`]). The caller has validated it
    /// ([`crate::sip::message::validate::validate_request`]); a request without a usable top Via,
    /// CSeq, From or Call-ID is dropped here.
    pub fn handle_request(&mut self, now: Instant, request: Request, source: Flow, reply_to: Flow) {
        self.server_request(now, request, source, reply_to);
        self.prune_timers();
    }

    /// A response arrived on `source`. One matching no client transaction is counted and dropped.
    pub fn handle_response(&mut self, now: Instant, response: Response, source: Flow) {
        self.client_response(now, response, source);
        self.prune_timers();
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.timers.peek() {
            if entry.at > now {
                break;
            }
            self.timers.pop();
            match entry.owner {
                Owner::Server(id) => self.server_timer(now, id, entry),
                Owner::Client(id) => self.client_timer(now, id, entry),
            }
        }
        self.prune_timers();
    }

    /// Sending on `flow` failed (ICMP unreachable, connection refused or reset). Every client
    /// transaction sending there reports [`Event::TransportError`] and terminates (§17.1.4); every
    /// server transaction answering there terminates (§17.2.4).
    pub fn handle_transport_error(&mut self, now: Instant, flow: Flow) {
        let _ = now;
        let mut clients: Vec<u64> = self.clients.iter().filter(|(_, c)| c.destination == flow).map(|(id, _)| *id).collect();
        clients.sort_unstable();
        for id in clients {
            self.events.push_back(Event::TransportError { tx: ClientTransactionId(id) });
            self.terminate_client(id);
        }
        let mut servers: Vec<u64> = self.servers.iter().filter(|(_, s)| s.reply_to == flow).map(|(id, _)| *id).collect();
        servers.sort_unstable();
        for id in servers {
            self.terminate_server(id);
        }
        self.prune_timers();
    }

    /// The next message to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|e| e.at)
    }

    /// The layer's counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The state of a server transaction, `None` once it has terminated.
    pub fn server_state(&self, tx: ServerTransactionId) -> Option<ServerState> {
        self.servers.get(&tx.0).map(|s| s.state)
    }

    /// The state of a client transaction, `None` once it has terminated.
    pub fn client_state(&self, tx: ClientTransactionId) -> Option<ClientState> {
        self.clients.get(&tx.0).map(|c| c.state)
    }

    fn mint_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn transmit(&mut self, flow: Flow, payload: Bytes, retransmission: bool, kind: TransmitKind) {
        self.transmits.push_back(Transmit { flow, payload, retransmission, kind });
    }

    fn queue_timer(&mut self, at: Instant, owner: Owner, timer: Timer) {
        self.timers.push(Entry { at, owner, timer });
    }

    /// Drops cancelled entries from the top of the queue so that `poll_timeout` is exact.
    fn prune_timers(&mut self) {
        while let Some(entry) = self.timers.peek() {
            let live = match entry.owner {
                Owner::Server(id) => self.servers.get(&id).is_some_and(|s| s.timers.holds(entry.timer, entry.at)),
                Owner::Client(id) => self.clients.get(&id).is_some_and(|c| c.timers.holds(entry.timer, entry.at)),
            };
            if live {
                break;
            }
            self.timers.pop();
        }
    }
}

/// Logs a state change inside a `transaction{branch, method}` span.
fn trace_transition(branch: &[u8], method: &Method, from: impl std::fmt::Debug, to: impl std::fmt::Debug) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        let branch = String::from_utf8_lossy(branch);
        let span = tracing::debug_span!("transaction", branch = %branch, method = %method);
        let _entered = span.enter();
        tracing::debug!(?from, ?to, "transition");
    }
}
