//! Criterion benchmarks of the SIP message layer (filled with the message layer).
fn main() {}
