//! # ringway-sdk
//!
//! The vocabulary shared by the Ringway server, its routers and its WASM plugins.
//!
//! - [`status`]: SIP status codes with the standard reason phrases of RFC 3261 §21 and the
//!   extensions Ringway answers with.
//! - [`catalog`]: every status line operators' tooling expects, byte-exact as the seed
//!   (`seed/sip-gateways.txt`) writes them, operator variants included (`480 Empty Route Set`,
//!   `403 Invalid Phone Number`, …), one [`StatusLine`] constant each; [`catalog::CATALOG`]
//!   gives each line's meaning in English and Russian with its Q.850 cause and `DIALSTATUS`,
//!   and [`catalog::explain`] renders it for the `ringway explain` command.
//! - [`cause`]: Q.850 hangup causes and Asterisk's mapping between them and SIP (chan_pjsip's
//!   `hangup_sip2cause` / `hangup_cause2sip`, app_dial's `DIALSTATUS`), and the RFC 3326
//!   `Reason: Q.850;cause=…` header.
//!
//! The WIT contract and the guest bindings join them as the plugin work lands; they live here so
//! that there is one source for the server, the built-in router, plugins and `ringway explain`.

pub mod catalog;
pub mod cause;
pub mod status;

pub use catalog::StatusLine;
pub use cause::{DialStatus, Q850Cause};
pub use status::StatusCode;
