//! The SIP protocol core, sans I/O: messages today; transactions, dialogs and the core's own
//! answers as they land. Nothing here opens a socket, reads the clock or draws a random number.

pub mod digest;
pub mod endpoint;
pub mod flow;
pub mod ident;
pub mod message;
pub mod transaction;

pub use flow::{Flow, Transport};
