//! The state of one call: the A-leg Ringway answers, the B-leg attempts it makes, and the values
//! routing hands it ([`Target`], [`Plan`]).

use super::dialog::Dialog;
use crate::sip::Flow;
use crate::sip::message::{Request, Response};
use crate::sip::transaction::{ClientTransactionId, ServerTransactionId};
use bytes::Bytes;
use ringway_sdk::StatusLine;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Identifies a call within one shard's [`B2bua`](super::B2bua).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallKey(pub u64);

impl std::fmt::Display for CallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "call-{}", self.0)
    }
}

/// Which outcomes of an attempt move on to the next target (DESIGN.md: default timeout, 408,
/// 500, 502, 503, 504; never 486, 600, 603, 404, 484).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failover {
    /// No final answer in time (Timer B, ring timeout before any ringing, transport failure).
    pub on_timeout: bool,
    /// Final statuses that fail over.
    pub statuses: Vec<u16>,
}

impl Default for Failover {
    fn default() -> Self {
        Failover { on_timeout: true, statuses: vec![408, 500, 502, 503, 504] }
    }
}

impl Failover {
    /// Never fail over (forks to registered users: each binding is tried once, in parallel).
    pub fn never() -> Self {
        Failover { on_timeout: false, statuses: Vec::new() }
    }
}

/// Header policy for a B-leg INVITE (per account, gateway or plugin decision): the router's own
/// type, so that what a router decides reaches the wire unchanged.
pub use ringway_dialplan::HeaderPolicy;

/// One place a call may go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The Request-URI of the B-leg INVITE.
    pub uri: String,
    /// Where the INVITE is sent.
    pub flow: Flow,
    /// The gateway, for gateway targets (counted against its limit, `None` for registered users).
    pub gateway: Option<String>,
    /// Permitted codecs in preference order; empty = whatever was offered.
    pub codecs: Vec<String>,
    /// CANCEL the attempt when no answer came within this long.
    pub ring_timeout: Option<Duration>,
    /// What moves on to the next target.
    pub failover: Failover,
    /// Header edits for this target.
    pub headers: HeaderPolicy,
    /// Credentials for the gateway's 401/407 challenges: username, password.
    pub credentials: Option<(String, String)>,
    /// The dialed number after normalisation, for events (CDR, billing).
    pub number: Option<String>,
}

/// What routing decided for a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Try these one after another (gateway failover).
    Sequential(Vec<Target>),
    /// Ring all at once; the first 2xx wins and the rest are cancelled (registered contacts).
    Parallel(Vec<Target>),
    /// Answer the caller with this line.
    Reject(StatusLine),
    /// No more targets: answer with the call's own verdict (`403 Out of Look-Ahead Retries`,
    /// `480 Codec Mismatch`, the last gateway's status…).
    Settle,
}

/// The router that decided a call's targets and is asked again when they end unanswered
/// ([`Effect::Exhausted`](super::Effect::Exhausted)).
#[derive(Clone)]
pub enum Asker {
    /// A WASM plugin: asked (`on-failure`) when every target it chose failed over, so that it
    /// picks more targets or the final status. A target's non-fail-over answer (486…) goes to
    /// the caller without asking.
    Plugin {
        /// The chain as it was when the call was routed (a reload does not change a call's
        /// plugins).
        chain: std::sync::Arc<ringway_dialplan::wasm::PluginChain>,
        /// Which plugin of it decided.
        index: ringway_dialplan::wasm::PluginIndex,
        /// What it was asked.
        info: Box<super::RouteInfo>,
    },
    /// An Asterisk dialplan: told how every `Dial` that is not answered ends (busy included),
    /// since `${DIALSTATUS}` decides what it does next.
    Dialplan(Box<crate::pbx::DialplanCall>),
}

impl Asker {
    /// Whether it hears of every unanswered end, not only of fail-over exhaustion.
    pub fn hears_every_failure(&self) -> bool {
        matches!(self, Asker::Dialplan(_))
    }
}

impl std::fmt::Debug for Asker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Asker::Plugin { chain, index, .. } => f.debug_struct("Plugin").field("plugin", &chain.name(*index)).finish(),
            Asker::Dialplan(call) => f.debug_tuple("Dialplan").field(&call.machine.location()).finish(),
        }
    }
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Answered.
    Answered,
    /// A final non-2xx with this status and reason phrase.
    Failed {
        /// Status code.
        status: u16,
        /// Reason phrase as received.
        reason: Bytes,
        /// The response's Reason header, if any (RFC 3326).
        reason_header: Option<Bytes>,
    },
    /// No final answer in time, or the transport failed.
    Timeout,
    /// Ringing until the ring timeout.
    NoAnswer,
    /// Cancelled because the caller hung up or another branch answered.
    Cancelled,
    /// Not sent: the target permits none of the offered codecs.
    CodecRefused,
}

/// One B-leg attempt.
#[derive(Debug)]
pub(super) struct Leg {
    pub target: Target,
    /// The INVITE as sent (for CANCEL, auth retries and the ACK).
    pub invite: Request,
    pub tx: Option<ClientTransactionId>,
    /// The ACK sent for the 2xx, repeated for each 2xx retransmission.
    pub ack: Option<Request>,
    /// Any response arrived (even 100 Trying).
    pub heard: bool,
    pub ringing: bool,
    pub ring_timed_out: bool,
    pub cancelling: bool,
    pub auth_tried: bool,
    pub outcome: Option<AttemptOutcome>,
}

impl Leg {
    pub fn pending(&self) -> bool {
        self.outcome.is_none()
    }
}

/// A 2xx Ringway sent as UAS and repeats until the ACK (RFC 3261 §13.3.1.4).
#[derive(Debug)]
pub(super) struct Unacked {
    pub tx: ServerTransactionId,
    pub response: Response,
    pub interval: Duration,
    pub next_at: Instant,
    pub give_up_at: Instant,
    /// The ACK of the initial INVITE completes the call setup (late offer answer goes to B).
    pub initial: bool,
}

/// One side of an established call.
#[derive(Debug)]
pub(super) struct Side {
    pub dialog: Dialog,
    pub unacked: Option<Unacked>,
    /// A re-INVITE from or to this side is in progress (glare → 491, RFC 3261 §14.1–2).
    pub invite_pending: bool,
    /// The ACK Ringway sent for this side's last 2xx to a relayed re-INVITE, repeated for each
    /// retransmission of that 2xx (§13.2.2.4).
    pub reinvite_ack: Option<Request>,
}

/// Where a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Waiting for routing's decision.
    Routing,
    /// Attempts in progress.
    Proceeding,
    /// The caller has its final answer (2xx or failure); legs may still be winding down.
    Answered,
    /// Hung up; waiting only for pending attempts to finish before the state goes.
    Ended,
}

/// A call: the caller's INVITE and everything it started.
#[derive(Debug)]
pub(super) struct Call {
    pub phase: Phase,
    /// The caller's INVITE server transaction and the request.
    pub a_tx: ServerTransactionId,
    pub a_invite: Request,
    pub a_flow: Flow,
    /// Ringway's tag toward the caller (To of every response).
    pub a_tag: String,
    /// The offer as it arrived (empty = late offer).
    pub offer: Bytes,
    /// The offer, parsed once (`None` for a late offer or a body that is not SDP).
    pub offer_sdp: Option<crate::sdp::SessionDescription>,
    /// Set once the caller's dialog exists (the 2xx was sent).
    pub a: Option<Side>,
    /// The answered B-leg's side.
    pub b: Option<Side>,
    /// Attempts in order; the winner's index when answered.
    pub legs: Vec<Leg>,
    pub winner: Option<usize>,
    /// Targets not tried yet (sequential plans).
    pub queue: VecDeque<Target>,
    pub parallel: bool,
    /// The caller's account, for limits and events.
    pub account: Option<String>,
    /// The ACK toward B waits for the caller's ACK (late offer: the answer is in it).
    pub b_ack_waits: bool,
    pub answered_at: Option<Instant>,
    /// The caller cancelled or hung up before the answer.
    pub cancelled: bool,
    /// The status line the caller got, once it has one.
    pub final_status: Option<(u16, String)>,
    /// The plugin to ask when the targets are exhausted.
    pub asker: Option<Asker>,
    /// The first attempt of the plan in progress (earlier ones belong to earlier plans).
    pub plan_start: usize,
    /// Timers armed for this call (removed with it).
    pub timers: Vec<(Instant, u64)>,
    /// In-dialog requests relayed to the other side, by the origin's server transaction.
    pub relays: std::collections::HashMap<ServerTransactionId, Request>,
}

impl Leg {
    /// An attempt toward `target` with `invite`, already over when `outcome` is given.
    pub fn new(target: Target, invite: Request, outcome: Option<AttemptOutcome>) -> Leg {
        Leg {
            target,
            invite,
            tx: None,
            ack: None,
            heard: false,
            ringing: false,
            ring_timed_out: false,
            cancelling: false,
            auth_tried: false,
            outcome,
        }
    }
}
