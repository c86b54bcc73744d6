//! The wasmtime stores decisions run in, each used for a few decisions in turn.
//!
//! Every decision gets a fresh instance (its own memory, globals and tables, reset from the
//! pool) and fresh store data ([`CallState`]: deadline meter, memory cap, WASI context, log
//! budget); nothing of one decision is reachable from the next. The store around them, though,
//! costs as much to make and tear down as a quarter of a decision (its allocation, the three
//! core modules of a component registered in it, its instance bookkeeping), so a store that
//! served a decision without error is kept by the thread and serves the next, up to
//! [`DECISIONS_PER_STORE`]. Its finished instances stay allocated until the store goes (wasmtime
//! frees a store's instances together), which is what bounds the reuse: a thread holds at most
//! `DECISIONS_PER_STORE - 1` finished instances, and the pool has room for them
//! ([`idle_slots`]). A store that saw a trap, an overrun, the memory cap, or a decision dropped
//! before it ended is never reused.

use super::state::CallState;
use std::cell::RefCell;
use wasmtime::{Engine, Store};

/// Decisions one store serves before it is dropped with their instances.
pub(crate) const DECISIONS_PER_STORE: u32 = 8;

/// Threads whose kept stores the instance pool makes room for (shards, executor workers, tools).
const THREADS: u32 = 64;

/// Pool slots for finished instances held by kept stores, besides those of decisions in flight.
pub(crate) fn idle_slots() -> u32 {
    THREADS * (DECISIONS_PER_STORE - 1)
}

/// Fiber stacks held by kept stores (wasmtime keeps a store's last fiber stack for its next
/// call), besides those of decisions in flight.
pub(crate) fn idle_stacks() -> u32 {
    THREADS
}

thread_local! {
    static KEPT: RefCell<Option<Lent>> = const { RefCell::new(None) };
}

/// A store for one decision on `engine`, holding `state`: this thread's kept store, else a new
/// one. Give it back with [`give_back`] when the decision ends well; otherwise drop it.
pub(crate) fn take(engine: &Engine, state: CallState) -> Lent {
    let kept = KEPT.with(|kept| kept.borrow_mut().take());
    match kept {
        Some(mut lent) if Engine::same(lent.store.engine(), engine) => {
            *lent.store.data_mut() = state;
            lent
        }
        _ => {
            let mut store = Store::new(engine, state);
            store.limiter(|state| &mut state.limits);
            Lent { store, served: 0 }
        }
    }
}

/// A store lent to one decision (or kept by the thread between two), and how many decisions
/// it has served.
pub(crate) struct Lent {
    pub store: Store<CallState>,
    served: u32,
}

/// The decision in `lent` ended well: this thread keeps the store for the next one, unless
/// it has served its share (or the thread already keeps another), in which case it is dropped
/// here with its instances.
pub(crate) fn give_back(mut lent: Lent) {
    lent.served += 1;
    if lent.served < DECISIONS_PER_STORE {
        KEPT.with(|kept| {
            kept.borrow_mut().get_or_insert(lent);
        });
    }
}

/// Drops this thread's kept store, returning its instances to the pool.
pub(crate) fn release() {
    let kept = KEPT.with(|kept| kept.borrow_mut().take());
    drop(kept);
}
