//! # ringway
//!
//! The Ringway daemon as a library: the SIP core, and (as later issues land) the registrar, the
//! B2BUA, media, billing and the HTTP/AMI APIs. `main.rs` is a thin CLI over it.
//!
//! Layout, outermost first:
//!
//! - [`sip::message`]: our own SIP message layer (RFC 3261 §7, §20, §25; RFC 5118): framing,
//!   parsing, typed header access, serialization. Pure, no I/O.

pub mod sip;
