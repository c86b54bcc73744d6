//! What the transaction layer gives back: identifiers, [`Transmit`]s, [`Event`]s for the TU,
//! typed errors of its commands, and counters.

use crate::sip::Flow;
use crate::sip::message::{Method, Request, Response};
use bytes::Bytes;
use ringway_sdk::StatusCode;
use std::fmt;

/// Identifies a server transaction within one [`TransactionLayer`](super::TransactionLayer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTransactionId(pub(crate) u64);

/// Identifies a client transaction within one [`TransactionLayer`](super::TransactionLayer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTransactionId(pub(crate) u64);

impl fmt::Display for ServerTransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uas-{}", self.0)
    }
}

impl fmt::Display for ClientTransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uac-{}", self.0)
    }
}

/// What a [`Transmit`] carries, for metrics and logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransmitKind {
    /// A request with this method.
    Request(Method),
    /// A response with this status.
    Response(StatusCode),
}

/// A message to send: the shell writes `payload` on `flow`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub flow: Flow,
    /// The serialized message.
    pub payload: Bytes,
    /// Whether this repeats a message already sent (a timer retransmission or an answer to a
    /// retransmitted request).
    pub retransmission: bool,
    /// What the payload is.
    pub kind: TransmitKind,
}

/// Something the TU must learn about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new request for the TU; it must be answered with `respond` (except ACK, which never is).
    Request {
        /// The server transaction to answer on.
        tx: ServerTransactionId,
        /// The request.
        request: Request,
        /// Where it came from.
        source: Flow,
    },
    /// An ACK matching no INVITE server transaction in Completed: the ACK for a 2xx (RFC 3261
    /// §17.2.3, RFC 6026), or stray — for the dialog layer.
    Ack {
        /// The ACK.
        request: Request,
        /// Where it came from.
        source: Flow,
    },
    /// A CANCEL matched this INVITE server transaction (RFC 3261 §9.2). The layer has already
    /// answered the CANCEL with 200 (or 481 when nothing matched, without an event); the TU should
    /// answer the INVITE with 487.
    Cancelled {
        /// The INVITE's server transaction.
        invite: ServerTransactionId,
        /// The CANCEL's Reason header (RFC 3326), to pass on.
        reason: Option<Bytes>,
    },
    /// A response for a client transaction: every provisional, the final non-2xx once, every 2xx
    /// (RFC 6026: 2xx retransmissions go to the TU, which ACKs them).
    Response {
        /// The client transaction.
        tx: ClientTransactionId,
        /// The response.
        response: Response,
    },
    /// Timer B/F fired before a final response (RFC 3261 §17.1.1.2, §17.1.2.2), or §9.1's wait
    /// after a CANCEL ran out: the TU treats it as 408.
    Timeout {
        /// The client transaction, now terminated.
        tx: ClientTransactionId,
    },
    /// The transport failed on the transaction's flow (RFC 3261 §17.1.4): the TU treats it as 503.
    TransportError {
        /// The client transaction, now terminated.
        tx: ClientTransactionId,
    },
    /// The transaction is gone (its state removed by the layer); the TU may drop its references.
    ServerTerminated {
        /// The server transaction.
        tx: ServerTransactionId,
    },
    /// The transaction is gone (its state removed by the layer); the TU may drop its references.
    ClientTerminated {
        /// The client transaction.
        tx: ClientTransactionId,
    },
}

/// Why [`send_request`](super::TransactionLayer::send_request) or
/// [`cancel`](super::TransactionLayer::cancel) refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SendError {
    /// ACKs for 2xx have no transaction: use `send_ack`; ACKs for other finals are the layer's.
    #[error("an ACK is not sent in a client transaction")]
    Ack,
    /// The request's top Via lacks a branch with the RFC 3261 magic cookie (§8.1.1.7).
    #[error("the top Via has no z9hG4bK branch")]
    NoBranch,
    /// A header the layer needs (Via, CSeq) is missing or malformed.
    #[error("the request cannot be sent: {0}")]
    Malformed(#[from] crate::sip::message::ParseError),
    /// A client transaction with this branch and method already exists.
    #[error("a client transaction with this branch and method already exists")]
    DuplicateBranch,
    /// No such client transaction (it may have terminated).
    #[error("no client transaction {0}")]
    UnknownTransaction(ClientTransactionId),
    /// `cancel` was given a transaction that is not an INVITE.
    #[error("{0} is not an INVITE client transaction")]
    NotInvite(ClientTransactionId),
    /// The INVITE already has a final response; a CANCEL would have no effect (§9.1).
    #[error("{0} already has a final response")]
    AlreadyFinal(ClientTransactionId),
}

/// Why [`respond`](super::TransactionLayer::respond) refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum RespondError {
    /// No such server transaction (it may have terminated).
    #[error("no server transaction {0}")]
    UnknownTransaction(ServerTransactionId),
    /// The transaction already sent a final response; only an INVITE in Accepted takes more 2xx.
    #[error("{tx} already answered; {status} not sent")]
    AlreadyFinal {
        /// The transaction.
        tx: ServerTransactionId,
        /// The refused response's status.
        status: StatusCode,
    },
}

/// Counters of one layer. Transaction counts are current; the rest are cumulative.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests retransmitted by Timers A and E, and ACKs repeated for retransmitted finals.
    pub retransmissions_sent_requests: u64,
    /// Responses retransmitted by Timer G, answers to retransmitted requests, and 2xx the TU
    /// retransmits in Accepted.
    pub retransmissions_sent_responses: u64,
    /// Retransmitted requests and responses matched to a transaction and not passed to the TU.
    pub retransmissions_absorbed: u64,
    /// Server transactions alive now.
    pub server_transactions: u64,
    /// Client transactions alive now.
    pub client_transactions: u64,
    /// Requests the TU never answered, so the layer sent 500 itself.
    pub tu_unanswered: u64,
    /// Responses that matched no client transaction (dropped).
    pub stray_responses: u64,
}
