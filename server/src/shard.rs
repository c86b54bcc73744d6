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

use crate::b2bua::{Asker, B2bua, CallEvent, Core, Effect as CallEffect, Handled};
use crate::b2bua::{CallKey, Caller};
use crate::calls::CallPolicy;
use crate::pbx::{DialplanCall, Ground, Next};
use crate::location::LocationView;
use crate::metrics::{DropReason, Metrics};
use crate::registrar::{Authentication, Effect, Identity, Registrar};
use crate::sip::endpoint::Endpoint;
use crate::sip::ident::{Minter, ShardId};
use crate::sip::message::{HeaderName, Method, Request};
use crate::sip::transaction::{ClientTransactionId, Event, Stats, TimerConfig, TransactionLayer, TransmitKind};
use crate::store::LocationStore;
use crate::transport::{Hub, ShardInput};
use std::future::Future;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tracing::{debug, error, info_span, Instrument};

/// Inputs handled per wake-up before timers and outputs are serviced again.
const BATCH: usize = 256;

/// One shard's state and its links to the shell.
pub struct Shard {
    id: ShardId,
    transactions: TransactionLayer,
    endpoint: Endpoint,
    registrar: Registrar,
    minter: Minter,
    b2bua: B2bua,
    links: Links,
    /// Gateway health probes in flight: the gateway each one checks.
    probes: std::collections::HashMap<ClientTransactionId, String>,
    /// When each gateway is probed next (shard 0 probes for the process).
    probe_due: Vec<(Instant, String, std::net::SocketAddr, crate::sip::Transport, std::time::Duration)>,
    /// Keep-alive OPTIONS in flight: the binding each one checks.
    pings: std::collections::HashMap<ClientTransactionId, (String, String)>,
    /// The last stateless challenges by request identity, oldest first.
    recent_challenges: std::collections::HashMap<String, (u16, bytes::Bytes)>,
    recent_order: std::collections::VecDeque<String>,
    /// The layer's cumulative counters at the last export to metrics.
    exported: Stats,
    /// Calls whose plugin chain wants to hear of their answer and end.
    hooks: crate::billing_hooks::BillingHooks,
}

/// What a shard talks to in the shell.
pub struct Links {
    /// Sockets and the ban table.
    pub hub: Arc<Hub>,
    /// Process metrics.
    pub metrics: Arc<Metrics>,
    /// The durable location store.
    pub store: LocationStore,
    /// The location view other shards read.
    pub location: Arc<LocationView>,
    /// This shard's own queue, for the store's commit reports.
    pub inbox: mpsc::Sender<ShardInput>,
    /// The bound SIP listeners: requests Ringway originates leave from one of them.
    pub listen: Arc<[crate::config::ListenSpec]>,
    /// The `User-Agent` of requests Ringway originates.
    pub server_name: String,
    /// Routing, gateway state and admission, shared by the shards.
    pub calls: Arc<CallPolicy>,
}

impl Shard {
    /// A shard with its own transaction layer and registrar.
    pub fn new(id: ShardId, timers: TimerConfig, endpoint: Endpoint, registrar: Registrar, seed: u64, links: Links) -> Self {
        let settings = crate::b2bua::CallSettings {
            max_duration: links.calls.limits().max_duration,
            t1: timers.t1,
            t2: timers.t2,
            server_name: links.server_name.clone(),
        };
        let now = Instant::now();
        let probe_due = if id.0 == 0 {
            links.calls.probes().into_iter().map(|(name, addr, transport, every)| (now, name, addr, transport, every)).collect()
        } else {
            Vec::new()
        };
        Shard {
            id,
            transactions: TransactionLayer::new(timers),
            endpoint,
            registrar,
            minter: Minter::new(id, seed),
            b2bua: B2bua::new(settings),
            links,
            probes: std::collections::HashMap::new(),
            probe_due,
            pings: std::collections::HashMap::new(),
            recent_challenges: std::collections::HashMap::new(),
            recent_order: std::collections::VecDeque::new(),
            exported: Stats::default(),
            hooks: crate::billing_hooks::BillingHooks::default(),
        }
    }

    /// Runs until the queue closes or `shutdown` completes.
    pub async fn run(mut self, mut inputs: mpsc::Receiver<ShardInput>, shutdown: impl Future<Output = ()>) {
        let span = info_span!("shard", id = self.id.0);
        async move {
            tokio::pin!(shutdown);
            let mut batch = Vec::with_capacity(BATCH);
            // Bindings loaded from the store start their expiry sweep now.
            self.registrar.handle_timeout(Instant::now(), unix_now());
            self.drive(Instant::now());
            loop {
                let deadline = [
                    self.transactions.poll_timeout(),
                    self.registrar.poll_timeout(),
                    self.b2bua.poll_timeout(),
                    self.probe_due.iter().map(|p| p.0).min(),
                ]
                .into_iter()
                .flatten()
                .min();
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
                        self.registrar.handle_timeout(now, unix_now());
                        let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                        self.b2bua.handle_timeout(now, &mut core);
                        self.probe_gateways(now);
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
                if let Some((status, bytes)) = self.stateless_challenge(now, &request, source) {
                    self.links.metrics.response_out(status);
                    self.links.hub.send(reply_to, bytes);
                    return;
                }
                self.transactions.handle_request(now, request, source, reply_to)
            }
            ShardInput::Response { response, source } => self.transactions.handle_response(now, response, source),
            ShardInput::TransportError(flow) => self.transactions.handle_transport_error(now, flow),
            ShardInput::Decision { call, plan, asker } => {
                let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                self.b2bua.handle_decision_from(now, &mut core, call, plan, asker);
            }
            ShardInput::Dialplan { call, dialplan } => self.run_dialplan(now, call, dialplan),
            ShardInput::CommitDone { token, result } => self.registrar.handle_commit_done(now, unix_now(), token, result),
        }
    }

    /// A stranger's first REGISTER or INVITE gets its challenge without a transaction, once it
    /// has passed the checks every request passes. A retransmission of it within the last
    /// [`RECENT_CHALLENGES`] challenges gets the very same bytes (same nonce), as a transaction
    /// would have sent; beyond that, a fresh challenge, which is just as good to the client.
    fn stateless_challenge(&mut self, now: Instant, request: &Request, source: crate::sip::Flow) -> Option<(u16, bytes::Bytes)> {
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return None;
        }
        let key = challenge_key(request)?;
        if let Some(bytes) = self.recent_challenges.get(&key) {
            return Some((bytes.0, bytes.1.clone()));
        }
        let challenge = self.registrar.stateless_challenge(now, request, source)?;
        // A request the core refuses anyway gets that refusal, statefully.
        if self.endpoint.precheck(request, "").is_some() {
            return None;
        }
        let entry = (challenge.status.as_u16(), challenge.to_bytes());
        if self.recent_order.len() >= RECENT_CHALLENGES
            && let Some(old) = self.recent_order.pop_front()
        {
            self.recent_challenges.remove(&old);
        }
        self.recent_order.push_back(key.clone());
        self.recent_challenges.insert(key, entry.clone());
        Some(entry)
    }

    /// Runs the TU on every event and sends every transmit until the core is quiet.
    fn drive(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(event) = self.transactions.poll_event() {
                progressed = true;
                self.on_event(now, event);
            }
            while let Some(effect) = self.registrar.poll_effect() {
                progressed = true;
                self.on_registrar_effect(now, effect);
            }
            while let Some(effect) = self.b2bua.poll_effect() {
                progressed = true;
                self.on_call_effect(now, effect);
            }
            while let Some(transmit) = self.transactions.poll_transmit() {
                progressed = true;
                match &transmit.kind {
                    TransmitKind::Request(method) => self.links.metrics.request_out(method.as_str()),
                    TransmitKind::Response(status) => self.links.metrics.response_out(status.as_u16()),
                }
                self.links.hub.send(transmit.flow, transmit.payload);
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
                if let Some(refusal) = self.endpoint.precheck(&request, &tag) {
                    return self.respond(now, tx, refusal);
                }
                if request.method == Method::Register {
                    self.registrar.handle_register(now, unix_now(), tx, request, source, tag);
                    return;
                }
                // Requests inside a dialog were authenticated when the dialog was made.
                let in_dialog = request.headers.to_addr().ok().and_then(|to| to.tag()).is_some();
                if in_dialog {
                    let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                    if self.b2bua.handle_request(now, &mut core, tx, request.clone(), source) == Handled::Yes {
                        return;
                    }
                }
                let authentication = if in_dialog {
                    Authentication::Allowed(Identity::Anonymous)
                } else {
                    self.registrar.authenticate(now, &request, source, &tag)
                };
                let response = match authentication {
                    Authentication::Allowed(identity) if request.method == Method::Invite && !in_dialog => {
                        return self.new_call(now, tx, request, source, identity);
                    }
                    Authentication::Allowed(_identity) => self.endpoint.dispatch(&request, &tag),
                    Authentication::Answer(answer) => answer,
                };
                debug!(%source, method = %request.method, status = %response.status, "answered");
                self.respond(now, tx, response);
            }
            Event::Ack { request, source } => {
                let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                if self.b2bua.handle_ack(now, &mut core, request) == Handled::No {
                    debug!(%source, "stray ACK dropped");
                    self.links.metrics.dropped(DropReason::StrayAck);
                }
            }
            Event::Cancelled { invite, reason } => {
                let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                if self.b2bua.handle_cancelled(now, &mut core, invite, reason) == Handled::No {
                    debug!(%invite, "CANCEL for an INVITE already answered");
                }
            }
            Event::Response { tx, response } => {
                let is_final = response.status.is_final();
                let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                if self.b2bua.handle_response(now, &mut core, tx, response) == Handled::Yes || !is_final {
                    return;
                }
                if let Some((aor, contact)) = self.pings.remove(&tx) {
                    self.registrar.handle_ping_result(&aor, &contact, true);
                }
                if let Some(gateway) = self.probes.remove(&tx) {
                    self.links.calls.probe_result(&gateway, true);
                }
            }
            Event::Timeout { tx } | Event::TransportError { tx } => {
                let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                if self.b2bua.handle_failure(now, &mut core, tx) == Handled::Yes {
                    return;
                }
                if let Some((aor, contact)) = self.pings.remove(&tx) {
                    self.registrar.handle_ping_result(&aor, &contact, false);
                }
                if let Some(gateway) = self.probes.remove(&tx) {
                    self.links.calls.probe_result(&gateway, false);
                }
            }
            Event::ServerTerminated { tx } => self.b2bua.handle_server_terminated(tx),
            Event::ClientTerminated { tx } => self.b2bua.handle_client_terminated(tx),
        }
    }

    /// An authenticated INVITE outside a dialog: admission control, then the B2BUA.
    fn new_call(&mut self, now: Instant, tx: crate::sip::transaction::ServerTransactionId, request: Request, source: crate::sip::Flow, identity: Identity) {
        let context = self.links.calls.context_for(&identity);
        let account = match identity {
            Identity::Account(name) => Some(name),
            Identity::Trusted { account, .. } => account,
            Identity::Anonymous => None,
        };
        if let Err(refusal) = self.links.calls.admit(now, account.as_deref()) {
            debug!(%source, %refusal, "call refused");
            let line = crate::calls::refusal_line(refusal);
            let mut response = crate::sip::message::Response::to_request(&request.headers, line.code, Some(line.reason));
            response.headers.push(HeaderName::RetryAfter, self.links.calls.limits().retry_after_secs.max(1).to_string());
            crate::sip::ident::ensure_to_tag(&mut response, &self.minter.tag());
            return self.respond(now, tx, response);
        }
        self.links.metrics.call_started();
        let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
        self.b2bua.handle_invite(now, &mut core, tx, request, source, Caller { account, context });
    }

    /// Executes what the B2BUA asks: routing decisions, gateway counters, call events.
    fn on_call_effect(&mut self, now: Instant, effect: CallEffect) {
        match effect {
            CallEffect::Route { call, info } => {
                if let Some(dialplan) = self.links.calls.dialplan_call(&info) {
                    return self.run_dialplan(now, call, Box::new(dialplan));
                }
                let registrar = &self.registrar;
                let seed = self.minter.seed();
                let aor = |user: &str| registrar.aor_of(user);
                let calls = &self.links.calls;
                let plan = match calls.plugin_chain() {
                    None => calls.plan(&info, &self.links.location, &self.links.listen, aor, seed),
                    Some(chain) => match calls.local_plan(&info, &self.links.location, &self.links.listen, aor) {
                        Some(plan) => plan,
                        None => {
                            // One request for the decision and, when the chain has billing hooks, for them.
                            let request = Arc::new(calls.route_request(&info));
                            self.hooks.watch(call, &chain, &request, now);
                            let calls = calls.clone();
                            let listen = self.links.listen.clone();
                            let decide = async move {
                                let (plan, decided_by) = calls.plugin_plan(&chain, &request, &listen, seed).await;
                                (plan, decided_by.map(|index| Asker::Plugin { chain, index, info: Box::new(info) }))
                            };
                            let back = move |(plan, asker)| ShardInput::Decision { call, plan, asker };
                            let Some((plan, asker)) = self.decide_here_or_beside(decide, back) else { return };
                            let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                            return self.b2bua.handle_decision_from(now, &mut core, call, plan, asker);
                        }
                    },
                };
                let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                self.b2bua.handle_decision(now, &mut core, call, plan);
            }
            CallEffect::Exhausted { call, asker: Asker::Dialplan(mut dialplan), attempts, rang_out } => {
                dialplan.dial_ended(&attempts, rang_out);
                self.run_dialplan(now, call, dialplan);
            }
            CallEffect::Exhausted { call, asker: Asker::Plugin { chain, index, info }, attempts, .. } => {
                let calls = self.links.calls.clone();
                let listen = self.links.listen.clone();
                let decide = async move {
                    let plan = calls.plugin_on_failure(&chain, index, &info, &attempts, &listen).await;
                    // A plugin may keep choosing targets, but not without end.
                    (plan, (attempts.len() < MAX_PLUGIN_ATTEMPTS).then_some(Asker::Plugin { chain, index, info }))
                };
                let back = move |(plan, asker)| ShardInput::Decision { call, plan, asker };
                if let Some((plan, asker)) = self.decide_here_or_beside(decide, back) {
                    let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
                    self.b2bua.handle_decision_from(now, &mut core, call, plan, asker);
                }
            }
            CallEffect::Occupy { gateway } => self.links.calls.occupy(&gateway),
            CallEffect::Vacate { gateway } => self.links.calls.vacate(&gateway),
            CallEffect::Event(event) => {
                self.hooks.handle_event(now, &event);
                if let CallEvent::Ended { ref account, status, ref reason, .. } = event {
                    self.links.calls.release(account.as_deref());
                    self.links.metrics.call_ended(status);
                    debug!(status, reason = %reason, "call ended");
                }
                tracing::trace!(?event, "call event");
            }
        }
    }

    /// Runs a call's dialplan until it needs the outside world, and sets that going: a plan for
    /// the B2BUA, a provisional response, a plugin asked (see `decide_here_or_beside`), or a
    /// wait.
    fn run_dialplan(&mut self, now: Instant, call: CallKey, mut dialplan: Box<DialplanCall>) {
        loop {
            let registrar = &self.registrar;
            let ground = Ground {
                calls: &self.links.calls,
                location: &self.links.location,
                listen: &self.links.listen,
                aor: |user: &str| registrar.aor_of(user),
                seed: self.minter.seed(),
            };
            let next = dialplan.advance(&ground);
            let mut core = Core { transactions: &mut self.transactions, minter: &mut self.minter };
            match next {
                Next::Provisional(line) => self.b2bua.send_provisional(now, &mut core, call, line),
                Next::Plan { plan, dialing } => {
                    let asker = dialing.then(|| Asker::Dialplan(dialplan));
                    return self.b2bua.handle_decision_from(now, &mut core, call, plan, asker);
                }
                Next::Wait(duration) => {
                    let inbox = self.links.inbox.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(duration).await;
                        // A call that ended meanwhile is ignored by the B2BUA.
                        let _ = inbox.send(ShardInput::Dialplan { call, dialplan }).await;
                    });
                    return;
                }
                Next::Wasm { plugin, args } => {
                    let calls = self.links.calls.clone();
                    let decide = async move {
                        let decision = dialplan.ask_plugin(&calls, &plugin, &args).await;
                        dialplan.resume_wasm(decision);
                        dialplan
                    };
                    let back = move |dialplan| ShardInput::Dialplan { call, dialplan };
                    match self.decide_here_or_beside(decide, back) {
                        Some(resumed) => dialplan = resumed,
                        None => return,
                    }
                }
            }
        }
    }

    /// Runs a plugin decision: polled once here, on the shard, where nearly every decision ends
    /// (a plugin's work takes microseconds); its output is returned. A decision that does not
    /// end in that poll has burnt a slice of fuel (so it held the shard for some tens of
    /// microseconds) or waits; it goes on as a task beside the shard, on the same worker and
    /// with no thread hop, yielding at every slice, and `back` brings its output through the
    /// queue.
    /// Deciding here first spares the common case the task, the queue and the shard's second
    /// wake-up: most of what plugin routing cost over the built-in tables.
    fn decide_here_or_beside<T: Send + 'static>(
        &self,
        decide: impl Future<Output = T> + Send + 'static,
        back: impl FnOnce(T) -> ShardInput + Send + 'static,
    ) -> Option<T> {
        let mut decide = Box::pin(decide);
        // Nothing to wake: a decision that yields is handed to tokio at once, which polls it
        // again with its own waker.
        let mut here = std::task::Context::from_waker(std::task::Waker::noop());
        if let std::task::Poll::Ready(output) = decide.as_mut().poll(&mut here) {
            return Some(output);
        }
        let inbox = self.links.inbox.clone();
        tokio::spawn(async move {
            let output = decide.await;
            // The shard is gone only at shutdown, when nobody waits for the call.
            let _ = inbox.send(back(output)).await;
        });
        None
    }

    /// Sends the OPTIONS health probes that are due (RFC 3261 §11; any answer means alive).
    fn probe_gateways(&mut self, now: Instant) {
        for i in 0..self.probe_due.len() {
            if self.probe_due[i].0 > now {
                continue;
            }
            let (_, name, addr, transport, every) = self.probe_due[i].clone();
            self.probe_due[i].0 = now + every;
            let Some(flow) = crate::calls::flow_to(&self.links.listen, transport, addr) else { continue };
            let request = options_request(&mut self.minter, &format!("sip:{addr}"), flow, &self.links.server_name);
            if let Ok(tx) = self.transactions.send_request(now, request, flow) {
                self.probes.insert(tx, name);
            }
        }
    }

    fn respond(&mut self, now: Instant, tx: crate::sip::transaction::ServerTransactionId, response: crate::sip::message::Response) {
        if let Err(e) = self.transactions.respond(now, tx, response) {
            error!(%tx, error = %e, "cannot answer a server transaction");
        }
    }

    fn on_registrar_effect(&mut self, now: Instant, effect: Effect) {
        match effect {
            Effect::Respond { tx, response } => self.respond(now, tx, response),
            Effect::Commit { token, changes } => {
                let inbox = self.links.inbox.clone();
                self.links.store.commit(
                    changes,
                    Box::new(move |result| {
                        if let Some(token) = token {
                            // The store's thread must not block: the queue has room or the
                            // registrar's commit timer answers 480 DB Timeout.
                            let _ = inbox.try_send(ShardInput::CommitDone { token, result });
                        }
                    }),
                );
            }
            Effect::Location { aor, bindings } => self.links.location.publish(aor, bindings),
            Effect::AuthFailed { source } => self.links.hub.guard().record_failure(source),
            Effect::Ping { aor, contact, source } => self.ping(now, aor, contact, &source),
        }
    }

    /// Sends a keep-alive OPTIONS to a binding, back along the flow it registered from.
    fn ping(&mut self, now: Instant, aor: String, contact: String, source: &str) {
        let Ok(spec) = source.parse::<crate::config::ListenSpec>() else { return };
        let Some(flow) = crate::calls::flow_to(&self.links.listen, spec.transport, spec.addr) else { return };
        let request = options_request(&mut self.minter, &contact, flow, &self.links.server_name);
        match self.transactions.send_request(now, request, flow) {
            Ok(tx) => {
                self.pings.insert(tx, (aor, contact));
            }
            Err(error) => debug!(%error, %contact, "keep-alive not sent"),
        }
    }

    /// Adds what the layer counted since the last export to the process metrics.
    fn export_stats(&mut self) {
        let now = self.transactions.stats().clone();
        let was = &self.exported;
        let metrics = &self.links.metrics;
        metrics.retransmissions_sent_add(false, now.retransmissions_sent_requests - was.retransmissions_sent_requests);
        metrics.retransmissions_sent_add(true, now.retransmissions_sent_responses - was.retransmissions_sent_responses);
        metrics.retransmissions_absorbed_add(now.retransmissions_absorbed - was.retransmissions_absorbed);
        let current = |s: &Stats| (s.server_transactions + s.client_transactions) as i64;
        metrics.transactions_add(current(&now) - current(was));
        self.exported = now;
    }
}

/// An out-of-dialog OPTIONS from Ringway to `uri` on `flow`: keep-alive pings and gateway probes.
fn options_request(minter: &mut Minter, uri: &str, flow: crate::sip::Flow, server_name: &str) -> Request {
    let mut request = Request::new(Method::Options, uri.to_owned());
    request.headers.push(
        HeaderName::Via,
        format!("SIP/2.0/{} {};branch={};rport", flow.transport.via_name(), flow.local, minter.branch()),
    );
    request.headers.push(HeaderName::MaxForwards, "70");
    request.headers.push(HeaderName::From, format!("<sip:ringway@{}>;tag={}", flow.local, minter.tag()));
    request.headers.push(HeaderName::To, format!("<{uri}>"));
    request.headers.push(HeaderName::CallId, minter.call_id());
    request.headers.push(HeaderName::CSeq, "1 OPTIONS");
    request.headers.push(HeaderName::UserAgent, server_name.to_owned());
    request
}

/// Attempts after which a plugin's `on-failure` is no longer asked (its targets so far end the
/// call with the call's own verdict).
const MAX_PLUGIN_ATTEMPTS: usize = 16;

/// Stateless challenges remembered for retransmissions, per shard (a few hundred KB at most).
const RECENT_CHALLENGES: usize = 1024;

/// What identifies a request's retransmissions: top Via branch and sent-by, Call-ID, CSeq.
fn challenge_key(request: &Request) -> Option<String> {
    let via = request.headers.top_via().ok()?;
    let cseq = request.headers.cseq().ok()?;
    Some(format!("{}|{}|{:?}|{}|{}", via.branch().unwrap_or(""), via.host, via.port, request.headers.call_id().ok()?, cseq.seq))
}

/// Seconds since the Unix epoch: binding expiry survives restarts, so it is wall-clock time.
fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
