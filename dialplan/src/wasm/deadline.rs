//! Plugin deadlines: what one decision is charged against its deadline, and how it is stopped.
//!
//! Compiled plugin code consumes fuel, about one unit per wasm instruction, and a decision's
//! store yields to the executor every [`YIELD_FUEL`] units (wasmtime's
//! `fuel_async_yield_interval`), so a plugin never holds an executor thread for more than some
//! tens of microseconds at a time. [`Meter::watch`] drives the decision future and charges it:
//!
//! - the time its code runs inside each `poll`, measured around the poll: a decision that was
//!   descheduled for 50 ms by a loaded machine is not charged those 50 ms, where a wall-clock
//!   deadline would have failed it;
//! - the time between a fuel yield and the next poll: nothing;
//! - a wait the plugin asked for (a WASI poll on a clock): its wall-clock length.
//!
//! At the first yield after the charge reaches the deadline, `watch` stops polling and drops the
//! decision (wasmtime unwinds the suspended fiber) and reports [`Overrun`]. A loop of host
//! imports runs little wasm and so yields seldom: every host import of `ringway:plugin/host`
//! asks [`Meter::check`] first, which traps the decision once the charge is over.
//!
//! No thread ticks for the deadlines (the epoch interruption this replaces woke a ticker thread
//! a thousand times a second, which cost a loaded server more than the plugins' own code).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// Fuel a decision's code consumes between two yields to the executor (about as many wasm
/// instructions: some tens of microseconds). Decisions of the example plugins use a few
/// thousand and never yield.
pub(crate) const YIELD_FUEL: u64 = 1_000_000;

/// Fuel a decision starts with: no budget in instructions, only the deadline in time.
pub(crate) const FUEL: u64 = u64::MAX;

/// A decision ran past its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the decision ran past its deadline")]
pub(crate) struct Overrun;

/// One decision's charge against its deadline, shared by [`Meter::watch`] (which measures
/// polls) and the store's host imports (which ask [`Meter::check`]).
pub(crate) struct Meter {
    deadline: Duration,
    /// When the meter was made: the origin of the nanosecond counts below.
    origin: Instant,
    /// Nanoseconds charged by the polls and waits that have ended.
    charged: AtomicU64,
    /// When the poll in progress started, in nanoseconds since `origin` (0: none).
    polling_since: AtomicU64,
    /// The clock (the system's monotonic clock but in tests).
    now: fn() -> Instant,
}

#[allow(clippy::disallowed_methods, reason = "a deadline is measured against the clock")]
fn now() -> Instant {
    Instant::now()
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Meter {
    pub fn new(deadline: Duration) -> Arc<Meter> {
        Meter::with_clock(deadline, now)
    }

    fn with_clock(deadline: Duration, now: fn() -> Instant) -> Arc<Meter> {
        Arc::new(Meter {
            deadline,
            origin: now(),
            charged: AtomicU64::new(0),
            polling_since: AtomicU64::new(0),
            now,
        })
    }

    /// Whether the decision is past its deadline, counting the poll in progress. Host imports
    /// call it first and trap with the error.
    pub fn check(&self) -> Result<(), Overrun> {
        let since = self.polling_since.load(Ordering::Relaxed);
        let running = if since == 0 {
            0
        } else {
            nanos((self.now)().duration_since(self.origin)).saturating_sub(since)
        };
        let charged = self.charged.load(Ordering::Relaxed).saturating_add(running);
        if charged >= nanos(self.deadline) { Err(Overrun) } else { Ok(()) }
    }

    fn charge(&self, duration: Duration) -> u64 {
        self.charged.fetch_add(nanos(duration), Ordering::Relaxed).saturating_add(nanos(duration))
    }

    /// Drives `decision` to its end, or until it yields past its deadline.
    pub async fn watch<F: Future>(&self, decision: F) -> Result<F::Output, Overrun> {
        let mut decision = std::pin::pin!(decision);
        let mut waiting_since = None;
        std::future::poll_fn(|cx| {
            let start = (self.now)();
            if let Some(since) = waiting_since.take() {
                self.charge(start.saturating_duration_since(since));
            }
            // At least 1: 0 means "not polling".
            let since = nanos(start.duration_since(self.origin)).max(1);
            self.polling_since.store(since, Ordering::Relaxed);
            // Whether the decision woke itself before returning `Pending` (a fuel yield) or
            // waits for something else (a wait of its own asking, charged as wall time).
            let flag = Arc::new(SelfWake { woken: AtomicBool::new(false), waker: cx.waker().clone() });
            let waker = Waker::from(Arc::clone(&flag));
            let poll = decision.as_mut().poll(&mut Context::from_waker(&waker));
            let end = (self.now)();
            self.polling_since.store(0, Ordering::Relaxed);
            let charged = self.charge(end.saturating_duration_since(start));
            match poll {
                Poll::Ready(output) => Poll::Ready(Ok(output)),
                Poll::Pending if charged >= nanos(self.deadline) => Poll::Ready(Err(Overrun)),
                Poll::Pending => {
                    if !flag.woken.load(Ordering::Relaxed) {
                        waiting_since = Some(end);
                    }
                    Poll::Pending
                }
            }
        })
        .await
    }
}

/// The waker a decision is polled with: records a wake, and passes it on.
struct SelfWake {
    woken: AtomicBool,
    waker: Waker,
}

impl Wake for SelfWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Relaxed);
        self.waker.wake_by_ref();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// The test clock: a fixed origin plus what the test has advanced it by.
        static ELAPSED: Cell<Duration> = const { Cell::new(Duration::ZERO) };
        static ORIGIN: Instant = now();
    }

    fn fake_now() -> Instant {
        ORIGIN.with(|origin| *origin + ELAPSED.with(Cell::get))
    }

    fn advance(by: Duration) {
        ELAPSED.with(|elapsed| elapsed.set(elapsed.get() + by));
    }

    fn meter(deadline_ms: u64) -> Arc<Meter> {
        Meter::with_clock(Duration::from_millis(deadline_ms), fake_now)
    }

    /// A decision that runs `per_poll` in each poll and ends at its `polls`th; between polls it
    /// either yields (wakes itself) or waits (does not).
    fn decision(polls: u32, per_poll: Duration, yields: bool) -> impl Future<Output = u32> {
        let mut n = 0;
        std::future::poll_fn(move |cx| {
            advance(per_poll);
            n += 1;
            if n == polls {
                return Poll::Ready(n);
            }
            if yields {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        })
    }

    /// Polls `future` to its end, running `between` after every `Pending`.
    fn drive<F: Future>(future: F, mut between: impl FnMut()) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            between();
        }
    }

    fn charged(meter: &Meter) -> Duration {
        Duration::from_nanos(meter.charged.load(Ordering::Relaxed))
    }

    #[test]
    fn the_time_between_a_yield_and_the_next_poll_is_not_charged() {
        let meter = meter(30);
        // Five polls of 2 ms, 20 ms descheduled after each: 10 ms charged of 90 ms.
        let watched = meter.watch(decision(5, Duration::from_millis(2), true));
        assert_eq!(drive(watched, || advance(Duration::from_millis(20))), Ok(5));
        assert_eq!(charged(&meter), Duration::from_millis(10));
    }

    #[test]
    fn a_wait_of_the_plugins_own_is_charged_as_wall_time() {
        let meter = meter(30);
        let watched = meter.watch(decision(2, Duration::from_millis(1), false));
        assert_eq!(drive(watched, || advance(Duration::from_millis(20))), Ok(2));
        assert_eq!(charged(&meter), Duration::from_millis(22));
    }

    #[test]
    fn a_decision_that_keeps_running_is_stopped_at_its_first_yield_past_the_deadline() {
        let meter = meter(10);
        let mut yields = 0;
        let watched = meter.watch(decision(u32::MAX, Duration::from_millis(3), true));
        assert_eq!(drive(watched, || yields += 1), Err(Overrun));
        assert_eq!(yields, 3, "charged 3, 6, 9 ms, then 12 ms: stopped at the fourth poll's end");
    }

    #[test]
    fn check_counts_the_poll_in_progress() {
        let meter = meter(5);
        assert_eq!(meter.check(), Ok(()));
        let inside = Arc::clone(&meter);
        let decision = std::future::poll_fn(move |_| {
            let before = inside.check();
            advance(Duration::from_millis(6));
            Poll::Ready((before, inside.check()))
        });
        let (before, after) = drive(meter.watch(decision), || {}).expect("ends in its first poll");
        assert_eq!((before, after), (Ok(()), Err(Overrun)));
        assert_eq!(meter.check(), Err(Overrun), "the ended poll is charged");
    }
}
