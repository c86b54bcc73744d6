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
//! - [`sip::message`]: our own SIP message layer (RFC 3261 §7, §20, §25; RFC 5118): framing,
//!   parsing, typed header access, serialization. Pure, no I/O.

pub mod config;
pub mod http;
pub mod metrics;
pub mod server;
pub mod sip;
pub mod transport;
