//! What the B2BUA tells the rest of the server: [`Effect`]s to execute (routing, gateway
//! counters) and [`CallEvent`]s for later consumers (CDR, billing, AMI).

use super::call::CallKey;
use ringway_sdk::cause::{DialStatus, Q850Cause};
use std::time::Duration;

/// What routing is asked about a new call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// The Request-URI as received.
    pub request_uri: String,
    /// The caller's user part (From).
    pub caller: Option<String>,
    /// The authenticated account.
    pub account: Option<String>,
    /// Audio codecs of the caller's offer, lower-case names; empty = no offer.
    pub offered_codecs: Vec<String>,
    /// The caller's Call-ID.
    pub call_id: String,
    /// The caller's display name (From).
    pub caller_name: Option<String>,
    /// The callee's display name (To).
    pub callee_name: Option<String>,
    /// Where the INVITE came from.
    pub source: crate::sip::Flow,
    /// The Asterisk dialplan context the caller's calls start in (account, trusted peer or
    /// `[asterisk]` default); `None` when no dialplan is configured.
    pub context: Option<String>,
    /// The INVITE's end-to-end headers (name, value), for routers that read them.
    pub headers: Vec<(String, String)>,
}

/// Something the shell must do for the B2BUA.
#[derive(Clone, Debug)]
pub enum Effect {
    /// Decide where the call goes and answer with [`B2bua::handle_decision`](super::B2bua::handle_decision).
    Route {
        /// The call.
        call: CallKey,
        /// What to decide on.
        info: RouteInfo,
    },
    /// The targets a router chose ended unanswered (see [`Asker`](super::Asker) for when): ask
    /// it and answer with [`B2bua::handle_decision_from`](super::B2bua::handle_decision_from)
    /// (`Plan::Settle` for the call's own verdict).
    Exhausted {
        /// The call.
        call: CallKey,
        /// The plugin to ask.
        asker: super::call::Asker,
        /// Every attempt so far.
        attempts: Vec<ringway_dialplan::Attempt>,
        /// Every attempt of the plan just ended rang until its ring timeout (Asterisk's
        /// `NOANSWER`).
        rang_out: bool,
    },
    /// An attempt to this gateway started: count it against the gateway's limit.
    Occupy {
        /// Gateway name.
        gateway: String,
    },
    /// An attempt to this gateway (answered or not) is over.
    Vacate {
        /// Gateway name.
        gateway: String,
    },
    /// A call event for consumers.
    Event(CallEvent),
}

/// Who ended an answered call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HangupBy {
    /// The caller (A-leg BYE or CANCEL).
    Caller,
    /// The callee (B-leg BYE, or its final failure).
    Callee,
    /// Ringway (ring timeout, maximum duration, missing ACK, no route).
    Ringway,
}

/// The life of a call, as values (DESIGN.md: CDR, billing and AMI consume these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallEvent {
    /// A new call arrived.
    Created {
        /// The call.
        call: CallKey,
        /// The caller's Call-ID.
        call_id: String,
        /// The Request-URI.
        to: String,
        /// The caller (From user).
        from: Option<String>,
        /// The authenticated account.
        account: Option<String>,
    },
    /// An attempt started.
    Routed {
        /// The call.
        call: CallKey,
        /// The B-leg Request-URI.
        target: String,
        /// The gateway, for gateway targets.
        gateway: Option<String>,
    },
    /// The callee is ringing (first 180/183).
    Ringing {
        /// The call.
        call: CallKey,
    },
    /// The callee answered.
    Answered {
        /// The call.
        call: CallKey,
        /// The gateway that answered, for gateway targets.
        gateway: Option<String>,
    },
    /// The call is over.
    Ended {
        /// The call.
        call: CallKey,
        /// The caller's account (limits are released with this event).
        account: Option<String>,
        /// The status the caller got (200 for answered calls).
        status: u16,
        /// Its reason phrase.
        reason: String,
        /// The Q.850 cause (Asterisk's HANGUPCAUSE).
        cause: Q850Cause,
        /// Asterisk's DIALSTATUS.
        dial_status: DialStatus,
        /// Who ended it.
        by: HangupBy,
        /// Talk time, for answered calls.
        billable: Option<Duration>,
    },
}
