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
//! - [`plugin`]: the plugin contract as Rust types: [`plugin::Plugin`], [`plugin::Call`],
//!   [`plugin::Decision`] and the [`plugin::Target`] builder. The contract itself is the WIT
//!   world in `sdk/wit/ringway.wit` (the single source of truth; the host generates its side from
//!   the same file).
//! - With the cargo feature `guest` (plugins built for `wasm32-unknown-unknown` or
//!   `wasm32-wasip2`): [`host`], the host's imports as plain functions, and [`export_plugin!`],
//!   which exports a `Plugin`. The native server never enables it, so it never compiles
//!   `wit-bindgen`.
//!
//! They live here so that there is one source for the server, the built-in router, plugins and
//! `ringway explain`.

// `export_plugin!` and the generated bindings name this crate by its path, also from inside it.
extern crate self as ringway_sdk;

#[cfg(any(test, all(feature = "arena", feature = "guest", target_family = "wasm")))]
pub mod arena;
pub mod catalog;
pub mod cause;
#[cfg(feature = "guest")]
#[doc(hidden)]
pub mod guest;
#[cfg(feature = "guest")]
pub mod host;
pub mod plugin;
pub mod status;

pub use catalog::StatusLine;
pub use cause::{DialStatus, Q850Cause};
pub use status::StatusCode;
