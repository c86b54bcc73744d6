//! A shard: one task owning the transactions (and, as they land, the dialogs, registrations and
//! calls) of the Call-IDs that hash to it. No locks: inputs arrive on a queue, the sans-I/O core
//! runs, its transmits go to the hub.
//!
//! ```text
//! queue ──ShardInput──► TransactionLayer::handle_* ──poll_event──► TU (Endpoint today)
//! timer ──handle_timeout─┘                 │                         │ respond / send_*
//!                                          └──poll_transmit──► Hub::send
//! ```
//!
//! The driver is the only place that reads the clock for the core (`now` is taken once per
//! batch of inputs) and the only place that sleeps, until the core's `poll_timeout`.

#![allow(clippy::disallowed_methods)] // the shard driver is the shell that owns the clock

use crate::metrics::{DropReason, Metrics};
use crate::sip::endpoint::Endpoint;
use crate::sip::ident::{Minter, ShardId};
use crate::sip::transaction::{Event, Stats, TimerConfig, TransactionLayer, TransmitKind};
use crate::transport::{Hub, ShardInput};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tracing::{debug, error, info_span, Instrument};

/// Inputs handled per wake-up before timers and outputs are serviced again.
const BATCH: usize = 256;

/// One shard's state and its links to the shell.
pub struct Shard {
    id: ShardId,
    transactions: TransactionLayer,
    endpoint: Endpoint,
    minter: Minter,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    /// The layer's cumulative counters at the last export to metrics.
    exported: Stats,
}

impl Shard {
    /// A shard with its own transaction layer.
    pub fn new(id: ShardId, timers: TimerConfig, endpoint: Endpoint, seed: u64, hub: Arc<Hub>, metrics: Arc<Metrics>) -> Self {
        Shard {
            id,
            transactions: TransactionLayer::new(timers),
            endpoint,
            minter: Minter::new(id, seed),
            hub,
            metrics,
            exported: Stats::default(),
        }
    }

    /// Runs until the queue closes or `shutdown` completes.
    pub async fn run(mut self, mut inputs: mpsc::Receiver<ShardInput>, shutdown: impl Future<Output = ()>) {
        let span = info_span!("shard", id = self.id.0);
        async move {
            tokio::pin!(shutdown);
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                let deadline = self.transactions.poll_timeout();
                let sleep = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    n = inputs.recv_many(&mut batch, BATCH) => {
                        if n == 0 {
                            return;
                        }
                        let now = Instant::now();
                        for input in batch.drain(..) {
                            self.handle(now, input);
                        }
                        self.drive(now);
                    }
                    () = sleep => {
                        let now = Instant::now();
                        self.transactions.handle_timeout(now);
                        self.drive(now);
                    }
                    () = &mut shutdown => return,
                }
            }
        }
        .instrument(span)
        .await
    }

    fn handle(&mut self, now: Instant, input: ShardInput) {
        match input {
            ShardInput::Request { request, source, reply_to } => {
                self.transactions.handle_request(now, request, source, reply_to)
            }
            ShardInput::Response { response, source } => self.transactions.handle_response(now, response, source),
            ShardInput::TransportError(flow) => self.transactions.handle_transport_error(now, flow),
        }
    }

    /// Runs the TU on every event and sends every transmit until the core is quiet.
    fn drive(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.transactions.poll_event() {
                progressed = true;
                self.on_event(now, event);
            }
            while let Some(transmit) = self.transactions.poll_transmit() {
                progressed = true;
                match &transmit.kind {
                    TransmitKind::Request(method) => self.metrics.request_out(method.as_str()),
                    TransmitKind::Response(status) => self.metrics.response_out(status.as_u16()),
                }
                self.hub.send(transmit.flow, transmit.payload);
            }
            if !progressed {
                break;
            }
        }
        self.export_stats();
    }

    /// The transaction user: today the core's own answers; the registrar and the B2BUA plug in
    /// here by method.
    fn on_event(&mut self, now: Instant, event: Event) {
        match event {
            Event::Request { tx, request, source } => {
                let tag = self.minter.tag();
                let response = self.endpoint.answer(&request, &tag);
                debug!(%source, method = %request.method, status = %response.status, "answered");
                if let Err(e) = self.transactions.respond(now, tx, response) {
                    error!(%tx, error = %e, "cannot answer a server transaction");
                }
            }
            Event::Ack { source, .. } => {
                // No dialogs yet: an ACK outside a transaction belongs to nobody.
                debug!(%source, "stray ACK dropped");
                self.metrics.dropped(DropReason::StrayAck);
            }
            Event::Cancelled { invite } => debug!(%invite, "CANCEL for an INVITE already answered"),
            Event::Response { tx, response } => debug!(%tx, status = %response.status, "response to no TU"),
            Event::Timeout { tx } | Event::TransportError { tx } => debug!(%tx, "client transaction failed"),
            Event::ServerTerminated { .. } | Event::ClientTerminated { .. } => {}
        }
    }

    /// Adds what the layer counted since the last export to the process metrics.
    fn export_stats(&mut self) {
        let now = self.transactions.stats().clone();
        let was = &self.exported;
        self.metrics.retransmissions_sent_add(false, now.retransmissions_sent_requests - was.retransmissions_sent_requests);
        self.metrics.retransmissions_sent_add(true, now.retransmissions_sent_responses - was.retransmissions_sent_responses);
        self.metrics.retransmissions_absorbed_add(now.retransmissions_absorbed - was.retransmissions_absorbed);
        let current = |s: &Stats| (s.server_transactions + s.client_transactions) as i64;
        self.metrics.transactions_add(current(&now) - current(was));
        self.exported = now;
    }
}
