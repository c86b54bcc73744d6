//! # ringway
//!
//! The Ringway daemon as a library: the SIP core, and (as later issues land) the registrar, the
//! B2BUA, media, billing and the HTTP/AMI APIs. `main.rs` is a thin CLI over it.
//!
//! Layout, outermost first:
//!
//! - [`server`]: the daemon entry (`run`): binds the listeners, announces them, runs until
//!   shutdown. The tokio shell around everything below.
//! - [`config`]: the TOML file and the command line turned into typed `Settings`
//!   (defaults < file < CLI; every error reads `file:line: reason`).
//! - [`http`]: the HTTP endpoint (`/metrics`, `/health`) on hyper.
//! - [`metrics`]: lock-free counters and gauges, rendered in Prometheus text format.
//! - [`transport`]: UDP and TCP sockets, the one ingress path ([`transport::Hub`]), connection
//!   reuse and limits.
//! - [`shard`]: the task that owns the transactions of the Call-IDs hashed to it and drives the
//!   sans-I/O core with the clock.
//! - [`sip`]: the sans-I/O protocol core: [`sip::transaction`] (RFC 3261 §17, RFC 6026),
//!   [`sip::endpoint`] (the core's own answers), [`sip::flow`] (RFC 3261 §18.2 addressing),
//!   [`sip::ident`] (identifiers that carry their shard).
//! - [`sip::message`]: our own SIP message layer (RFC 3261 §7, §20, §25; RFC 5118): framing,
//!   parsing, typed header access, serialization. Pure, no I/O.
//! - [`calls`]: where calls go (registered users, the built-in routing tables), gateway counters
//!   and health, admission control; shared by the shards.
//! - [`b2bua`]: the call engine (calls as two dialogs, failover, forking), sans I/O, driven by
//!   each shard beside its transaction layer; [`sdp`]: offers, answers and the codec policy.
//! - [`billing_hooks`]: the calls a plugin chain wants to hear about, and its `on-answer` /
//!   `on-hangup` hooks run from their events.
//! - [`store`]: durable storage on redb: the registrar's location store, group-committed with
//!   one fsync per batch, on its own thread, and the plugins' key-value store.

pub mod b2bua;
pub mod billing_hooks;
pub mod calls;
pub mod config;
pub mod http;
pub mod location;
pub mod metrics;
pub mod pbx;
pub mod registrar;
/// SDP offers and answers: parsing, the codec policy, media addresses (pure).
pub mod sdp;
pub mod server;
pub mod shard;
pub mod sip;
pub mod store;
pub mod transport;
