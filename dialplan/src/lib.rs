//! # ringway-dialplan
//!
//! The decision engine of Ringway: given a call, decide where it goes.
//!
//! Routers form a chain; each answers a [`RouteRequest`] with a [`Decision`]: an ordered list of
//! targets, a rejection with a catalog status (`ringway_sdk::catalog`), or "continue" to the
//! next router. The routing tables are pure logic: no sockets, no clock, no randomness (callers
//! pass a seed), so every decision is reproducible in a unit test. The WASM host is the crate's
//! one shell: it measures its decisions' running time and reads the time of day through its
//! `Clock` trait.
//!
//! ## Layout
//!
//! - [`request`]: [`RouteRequest`], what every router is asked.
//! - [`tables`]: the built-in routing tables, the first router. Its configuration
//!   ([`DialplanConfig`]: `[routing]`, `[[numbering_plans]]`, `[[tariff_plans]]`,
//!   `[[gateways]]`, `[[gateway_groups]]`, `[[routes]]`) is validated once into immutable
//!   [`Tables`]; [`Tables::route`] decides per call. The module docs hold the order of checks
//!   and the status line each one answers with.
//!
//! - [`wasm`]: the WASM plugin host: routers written as sandboxed WebAssembly components
//!   (`sdk/wit/ringway.wit`), loaded into a [`wasm::PluginChain`], one fresh instance per
//!   decision under a deadline and a memory cap. Its module docs say how the server calls it.
//!
//! - [`asterisk`]: the `extensions.conf` interpreter: Asterisk dialplans loaded once into a
//!   [`asterisk::Dialplan`] and run per call by a pure step machine ([`asterisk::Machine`])
//!   that yields Dial/Answer/Hangup/… actions and resumes with `DIALSTATUS` or a router's
//!   decision. Its module docs say how the server drives it; `src/asterisk/SUPPORTED.md` lists
//!   the applications and functions it runs.
//!
//! The server only ever talks to the chain of routers.

pub mod asterisk;
pub mod request;
pub mod tables;
pub mod wasm;

pub use request::{Attempt, RequestTransport, RouteRequest};
pub use tables::{
    AllAvailable, Availability, ConfigError, ConfigErrorKind, Credentials, Decision,
    DialplanConfig, FailoverPolicy, Gateway, GatewayStatus, HeaderPolicy, NumberFormat, Numbering,
    Outcome, RoutingConfig, Tables, Target, Transport, format_number,
};
