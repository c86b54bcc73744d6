//! The SIP protocol core, sans I/O.
