//! Plugin deadlines: the epoch ticker, and the meter that charges one decision for the ticks it
//! used.
//!
//! The engine's epoch advances every [`EPOCH_TICK`]; compiled plugin code checks it at function
//! entries and loop heads. A decision runs as a future, and at every tick its code observes, the
//! [`Meter`] charges it one tick and yields to the executor (wasmtime's
//! `UpdateDeadline::Yield`), so a plugin never holds an executor thread for more than about a
//! tick at a time. Once the decision has been charged its deadline in ticks, the next tick it
//! observes interrupts it (`Trap::Interrupt`, reported as a deadline overrun).
//!
//! What is charged is the plugin's own time, not the executor's:
//!
//! - a tick observed while its code runs: one tick, however long the thread was descheduled
//!   before that (a decision that waited 50 ms for a loaded machine is charged one tick, where a
//!   wall-clock deadline would have failed it);
//! - the time between the executor's yield and its return to the decision: nothing;
//! - a wait the plugin asked for (a WASI poll on a clock): its length in ticks, as wall time.
//!
//! Time spent in a host import that does not yield (they are all quick) counts as running: the
//! next tick the plugin's code observes is charged.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use wasmtime::{Engine, StoreContextMut, UpdateDeadline};

/// How often the engine's epoch advances: the granularity of deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// Advances the engine's epoch every [`EPOCH_TICK`] on its own thread, for as long as a host
/// or a chain holds it, and keeps a copy of it that meters can read (wasmtime does not expose
/// the engine's).
pub(crate) struct Ticker {
    epoch: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    pub fn start(engine: Engine) -> std::io::Result<Ticker> {
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Arc::new(AtomicU64::new(0));
        let (stopped, ticks) = (Arc::clone(&stop), Arc::clone(&epoch));
        let thread =
            std::thread::Builder::new().name("ringway-plugin-epoch".into()).spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticks.fetch_add(1, Ordering::Relaxed);
                    engine.increment_epoch();
                }
            })?;
        Ok(Ticker { epoch, stop, thread: Some(thread) })
    }

    /// The ticks since the ticker started.
    pub fn epoch(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.epoch)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One decision's charge against its deadline, shared by the store's epoch callback and the
/// future that drives the decision ([`Meter::watch`]).
pub(crate) struct Meter {
    /// The deadline in ticks.
    deadline: u64,
    /// Ticks charged so far.
    charged: AtomicU64,
    /// The decision's last `Pending` was the meter's own yield, not a wait of the plugin's.
    yielded: AtomicBool,
    /// The ticker's epoch.
    epoch: Arc<AtomicU64>,
}

impl Meter {
    pub fn new(deadline: u64, epoch: Arc<AtomicU64>) -> Arc<Meter> {
        Arc::new(Meter {
            deadline,
            charged: AtomicU64::new(0),
            yielded: AtomicBool::new(false),
            epoch,
        })
    }

    /// The store's epoch callback: the plugin's code observed a tick. Set the store's deadline
    /// one tick ahead before the first call.
    pub fn on_tick<T>(
        self: &Arc<Self>,
    ) -> impl FnMut(StoreContextMut<'_, T>) -> wasmtime::Result<UpdateDeadline> + Send + Sync + 'static
    {
        let meter = Arc::clone(self);
        move |_| {
            let charged = meter.charged.fetch_add(1, Ordering::Relaxed) + 1;
            if charged >= meter.deadline {
                return Ok(UpdateDeadline::Interrupt);
            }
            meter.yielded.store(true, Ordering::Relaxed);
            Ok(UpdateDeadline::Yield(1))
        }
    }

    /// Drives `decision`, charging the ticks the plugin spends waiting on a host future of its
    /// own asking (not the meter's yields).
    pub async fn watch<F: Future>(&self, decision: F) -> F::Output {
        let mut decision = std::pin::pin!(decision);
        let mut waiting_since = None;
        std::future::poll_fn(|cx| {
            if let Some(since) = waiting_since.take() {
                let waited = self.epoch.load(Ordering::Relaxed).saturating_sub(since);
                self.charged.fetch_add(waited, Ordering::Relaxed);
            }
            let poll = decision.as_mut().poll(cx);
            if poll.is_pending() && !self.yielded.swap(false, Ordering::Relaxed) {
                waiting_since = Some(self.epoch.load(Ordering::Relaxed));
            }
            poll
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Context, Poll, Waker};

    fn meter(deadline: u64) -> (Arc<Meter>, Arc<AtomicU64>) {
        let epoch = Arc::new(AtomicU64::new(100));
        (Meter::new(deadline, Arc::clone(&epoch)), epoch)
    }

    #[test]
    fn yields_are_free_and_waits_are_charged_by_the_epoch() {
        let (meter, epoch) = meter(10);
        let mut step = 0;
        // A decision that yields like the meter (step 0), then waits like a WASI poll (step 1).
        let decision = std::future::poll_fn(|cx| {
            step += 1;
            match step {
                1 => {
                    meter.yielded.store(true, Ordering::Relaxed);
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                2 => Poll::Pending,
                _ => Poll::Ready(()),
            }
        });
        let mut watched = std::pin::pin!(meter.watch(decision));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(watched.as_mut().poll(&mut cx).is_pending());
        epoch.fetch_add(50, Ordering::Relaxed); // descheduled after the yield: not charged
        assert!(watched.as_mut().poll(&mut cx).is_pending());
        epoch.fetch_add(3, Ordering::Relaxed); // the plugin's own wait: charged
        assert!(watched.as_mut().poll(&mut cx).is_ready());
        assert_eq!(meter.charged.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn each_observed_tick_yields_until_the_one_that_reaches_the_deadline_interrupts() {
        let (meter, _) = meter(3);
        let mut store = wasmtime::Store::<()>::default();
        let mut on_tick = meter.on_tick::<()>();
        for _ in 0..2 {
            let update = on_tick(wasmtime::AsContextMut::as_context_mut(&mut store)).unwrap();
            assert!(matches!(update, UpdateDeadline::Yield(1)));
            assert!(meter.yielded.swap(false, Ordering::Relaxed), "watch knows it was a yield");
        }
        let update = on_tick(wasmtime::AsContextMut::as_context_mut(&mut store)).unwrap();
        assert!(matches!(update, UpdateDeadline::Interrupt));
    }
}
