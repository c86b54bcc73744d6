//! # ringway-sdk
//!
//! The vocabulary shared by the Ringway server, its routers and its WASM plugins.
//!
//! Today it holds [`status`]: SIP status codes with the standard reason phrases of RFC 3261
//! §21 and the extensions Ringway answers with. The status catalog of operators' variants
//! (`480 Empty Route Set`, `403 Invalid Phone Number`, …), the WIT contract and the guest
//! bindings join it as the routing and plugin work lands; they live here so that there is one
//! source for the server, the built-in router, plugins and the `ringway explain` command.

pub mod catalog;
pub mod status;

pub use catalog::StatusLine;

pub use status::StatusCode;
