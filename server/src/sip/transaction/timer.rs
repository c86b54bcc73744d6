//! The transaction timers of RFC 3261 §17 (Table 4) and RFC 6026 §8.4, §8.7, their
//! configuration, and the queue that orders them.
//!
//! The queue is a min-heap of `(deadline, transaction, timer)` with lazy cancellation: disarming a
//! timer only clears the transaction's slot, and an entry whose slot no longer holds its deadline
//! (or whose transaction is gone) is discarded when it reaches the top. It deliberately reads no
//! clock: deadlines are computed from the `now` the caller passes in.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The timer values of RFC 3261 Table 4 that are configurable, and how long the TU may take to
/// answer a request before the layer answers it with 500.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip estimate (default 500 ms): first retransmission interval, and 64×T1 is
    /// Timers B, F, H, J (UDP), L and M.
    pub t1: Duration,
    /// T2, the cap on non-INVITE request and INVITE final response retransmission intervals
    /// (default 4 s).
    pub t2: Duration,
    /// T4, how long a message may stay in the network (default 5 s): Timers I and K on UDP.
    pub t4: Duration,
    /// How long the TU may leave an INVITE without a final response before the layer sends
    /// `500 Internal Server Error` itself (default 180 s, RFC 3261 §13.3.1.1's 3 minutes).
    pub tu_answer_invite: Duration,
    /// The same for non-INVITE requests (default 32 s, 64×T1 with the default T1: the UAC's
    /// Timer F).
    pub tu_answer_non_invite: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            tu_answer_invite: Duration::from_secs(180),
            tu_answer_non_invite: Duration::from_secs(32),
        }
    }
}

/// How long after an INVITE arrives the layer sends `100 Trying` itself (RFC 3261 §17.2.1).
pub const TRYING_DELAY: Duration = Duration::from_millis(200);

impl TimerConfig {
    /// 64×T1: Timers B, F, H, J (UDP), L and M.
    pub fn t1_x64(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: at least 32 s on UDP (RFC 3261 Table 4), and no shorter than the server's Timer H
    /// so that every retransmitted final is still answered with an ACK; zero on reliable transports.
    pub fn timer_d(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t1_x64().max(Duration::from_secs(32)) }
    }

    /// Timer I (T4) and Timer K (T4) on UDP, zero on reliable transports.
    pub fn timer_t4(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t4 }
    }

    /// Timer J: 64×T1 on UDP, zero on reliable transports.
    pub fn timer_j(&self, reliable: bool) -> Duration {
        if reliable { Duration::ZERO } else { self.t1_x64() }
    }
}

/// The timers of RFC 3261 §17 and RFC 6026, plus the two that make sure every request is
/// answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// INVITE client: retransmit the INVITE (UDP), doubling from T1.
    A,
    /// INVITE client: no final response in time (64×T1); also §9.1's wait after a CANCEL.
    B,
    /// INVITE client: how long Completed absorbs retransmitted finals.
    D,
    /// Non-INVITE client: retransmit the request (UDP), doubling from T1 up to T2.
    E,
    /// Non-INVITE client: no final response in time (64×T1).
    F,
    /// INVITE server: retransmit the 3xx–6xx final (UDP), doubling from T1 up to T2.
    G,
    /// INVITE server: no ACK for the 3xx–6xx final (64×T1).
    H,
    /// INVITE server: how long Confirmed absorbs retransmitted ACKs.
    I,
    /// Non-INVITE server: how long Completed absorbs retransmitted requests.
    J,
    /// Non-INVITE client: how long Completed absorbs retransmitted responses.
    K,
    /// INVITE server, RFC 6026: how long Accepted absorbs retransmitted INVITEs.
    L,
    /// INVITE client, RFC 6026: how long Accepted passes retransmitted 2xx to the TU.
    M,
    /// INVITE server: send `100 Trying` when the TU has not answered within 200 ms (§17.2.1).
    Trying,
    /// Any server transaction: the TU never gave a final response; the layer sends 500.
    TuAnswer,
}

impl Timer {
    /// Which slot of a transaction holds this timer. Timers sharing a slot never run together in
    /// one transaction.
    fn slot(self) -> usize {
        match self {
            Timer::A | Timer::E | Timer::G => 0,
            Timer::B | Timer::F | Timer::H => 1,
            Timer::D | Timer::I | Timer::J | Timer::K | Timer::L | Timer::M => 2,
            Timer::Trying => 3,
            Timer::TuAnswer => 4,
        }
    }
}

/// The deadlines a transaction has armed, one per slot.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Slots([Option<Instant>; 5]);

impl Slots {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer.slot()] = Some(at);
    }

    pub(crate) fn clear(&mut self, timer: Timer) {
        self.0[timer.slot()] = None;
    }

    pub(crate) fn clear_all(&mut self) {
        self.0 = [None; 5];
    }

    pub(crate) fn holds(&self, timer: Timer, at: Instant) -> bool {
        self.0[timer.slot()] == Some(at)
    }
}

/// Which transaction a queued timer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    Server(u64),
    Client(u64),
}

/// One queued timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) at: Instant,
    pub(crate) owner: Owner,
    pub(crate) timer: Timer,
}

/// A min-heap of timer entries, cancelled lazily.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
}

impl TimerQueue {
    pub(crate) fn push(&mut self, entry: Entry) {
        self.heap.push(Reverse(entry));
    }

    pub(crate) fn peek(&self) -> Option<Entry> {
        self.heap.peek().map(|r| r.0)
    }

    pub(crate) fn pop(&mut self) -> Option<Entry> {
        self.heap.pop().map(|r| r.0)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_timer_values_follow_rfc3261_table_4() {
        let c = TimerConfig::default();
        assert_eq!(c.t1_x64(), Duration::from_secs(32));
        assert_eq!(c.timer_d(false), Duration::from_secs(32));
        assert_eq!(c.timer_d(true), Duration::ZERO);
        assert_eq!(c.timer_t4(false), Duration::from_secs(5));
        assert_eq!(c.timer_j(true), Duration::ZERO);
        let slow = TimerConfig { t1: Duration::from_secs(1), ..c };
        assert_eq!(slow.timer_d(false), Duration::from_secs(64));
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // a test needs some origin for Instants
    fn the_queue_yields_the_earliest_deadline_first() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        q.push(Entry { at: t0 + Duration::from_secs(2), owner: Owner::Client(1), timer: Timer::B });
        q.push(Entry { at: t0 + Duration::from_secs(1), owner: Owner::Server(7), timer: Timer::G });
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop().unwrap().timer, Timer::G);
        assert_eq!(q.peek().unwrap().owner, Owner::Client(1));
    }
}
