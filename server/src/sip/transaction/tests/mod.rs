//! Scenario tests of the transaction layer: two layers joined by a lossy fake network, driven by
//! a fake clock (see [`sim`]).

mod sim;
mod retransmission;
mod lifecycle;
