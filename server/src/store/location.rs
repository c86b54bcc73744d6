//! [`LocationStore`]: the handle, and the writer thread that group-commits to redb.
//!
//! Concurrency, in one place: the handles (one per shard, cloned) only ever `send` on an
//! `mpsc` channel. The writer thread alone owns the [`redb::Database`] after `open`. A job's
//! callback is wrapped in [`Job`], whose `Drop` answers `Closed` if nothing else answered it, so a
//! job lost in the channel at shutdown (or in a writer that panicked) still gets its answer.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::{self, JoinHandle};

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};
use tracing::{debug, error};

use super::binding::{self, Binding};
use super::{Change, StoreError, db_error, open_database};

/// The file `open` creates in its directory.
const FILE_NAME: &str = "location.redb";

/// One table: key `aor \0 contact`, value the encoded rest of the binding.
const BINDINGS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("bindings");

/// The most changes one group commit gathers before it commits; a job is never split, so a
/// single larger job makes a larger transaction.
pub const MAX_BATCH_CHANGES: usize = 4096;

/// redb's page cache for the location store.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// How long the writer waits for more changes after the first before it commits.
pub const COMMIT_WINDOW: std::time::Duration = std::time::Duration::from_millis(1);

/// What a `commit` caller is told, once.
type Done = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

thread_local! {
    /// Set on the writer thread, so `close` called from a `done` callback does not join itself.
    static ON_WRITER: Cell<bool> = const { Cell::new(false) };
}

/// A handle to the durable location store. Cheap to clone: every shard keeps one, and all
/// clones feed the same writer thread.
#[derive(Clone)]
pub struct LocationStore {
    sender: mpsc::Sender<Message>,
    shared: Arc<Shared>,
}

/// Counters of the writer's work since `open`, for metrics and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Write transactions committed (each one fsync).
    pub transactions: u64,
    /// Write transactions that failed; every job in them was answered with the error.
    pub failed_transactions: u64,
    /// Jobs (calls to [`LocationStore::commit`]) answered `Ok`.
    pub jobs: u64,
    /// Changes made durable.
    pub changes: u64,
}

struct Shared {
    closed: AtomicBool,
    writer: Mutex<Option<JoinHandle<()>>>,
    transactions: AtomicU64,
    failed_transactions: AtomicU64,
    jobs: AtomicU64,
    changes: AtomicU64,
}

enum Message {
    Commit(Job),
    Close,
}

struct Job {
    changes: Vec<Change>,
    done: Option<Done>,
}

impl Job {
    fn answer(mut self, result: Result<(), StoreError>) {
        if let Some(done) = self.done.take() {
            call(done, result);
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            call(done, Err(StoreError::Closed));
        }
    }
}

/// Runs a caller's callback; a panic in it is logged rather than allowed to stop the writer.
fn call(done: Done, result: Result<(), StoreError>) {
    if catch_unwind(AssertUnwindSafe(|| done(result))).is_err() {
        error!("location store: a commit callback panicked");
    }
}

impl LocationStore {
    /// Opens (creates) `dir/location.redb`, creating `dir` if needed, and returns the handle and
    /// every binding stored, expired ones included (the caller filters them).
    ///
    /// Fails with [`StoreError::Locked`] if another process has the file open, and with
    /// [`StoreError::UndecodableBinding`] rather than silently dropping a record it cannot read.
    pub fn open(dir: &Path) -> Result<(LocationStore, Vec<Binding>), StoreError> {
        // redb caches up to 1 GiB by default; this store is written and read back only at start,
        // so a small cache does the same job without holding every page in memory.
        let (db, path) = open_database(dir, FILE_NAME, CACHE_BYTES, BINDINGS)?;
        let bindings = read_all(&db)?;
        debug!(path = %path.display(), bindings = bindings.len(), "location store opened");

        let shared = Arc::new(Shared {
            closed: AtomicBool::new(false),
            writer: Mutex::new(None),
            transactions: AtomicU64::new(0),
            failed_transactions: AtomicU64::new(0),
            jobs: AtomicU64::new(0),
            changes: AtomicU64::new(0),
        });
        let (sender, receiver) = mpsc::channel();
        let writer = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name("ringway-store".into())
                .spawn(move || run_writer(db, receiver, shared))?
        };
        *shared.writer.lock().unwrap_or_else(PoisonError::into_inner) = Some(writer);
        Ok((LocationStore { sender, shared }, bindings))
    }

    /// Queues `changes` to be applied together, in order, atomically. `done` is called from the
    /// store's thread once they are durable (committed with fsync) or have failed; keep it short
    /// (hand the result to a channel), as the next group commit waits for it. Changes from
    /// concurrent callers are committed together (group commit).
    ///
    /// After [`close`](Self::close), `done` is called at once, on the caller's thread, with
    /// [`StoreError::Closed`].
    pub fn commit(
        &self,
        changes: Vec<Change>,
        done: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
    ) {
        let job = Job { changes, done: Some(done) };
        if self.shared.closed.load(Ordering::Acquire) {
            job.answer(Err(StoreError::Closed));
            return;
        }
        // On failure the job comes back inside the error and its Drop answers Closed.
        let _ = self.sender.send(Message::Commit(job));
    }

    /// Stops the writer thread after committing everything queued so far (clean shutdown), and
    /// waits for it. Later commits, from any clone, fail with [`StoreError::Closed`].
    pub fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        let _ = self.sender.send(Message::Close);
        if ON_WRITER.get() {
            // Called from a `done` callback: the writer finishes on its own after this batch.
            return;
        }
        let mut writer = self.shared.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(handle) = writer.take()
            && handle.join().is_err()
        {
            error!("location store: the writer thread panicked");
        }
    }

    /// The writer's counters so far.
    pub fn stats(&self) -> StoreStats {
        let shared = &self.shared;
        StoreStats {
            transactions: shared.transactions.load(Ordering::Relaxed),
            failed_transactions: shared.failed_transactions.load(Ordering::Relaxed),
            jobs: shared.jobs.load(Ordering::Relaxed),
            changes: shared.changes.load(Ordering::Relaxed),
        }
    }
}

fn read_all(db: &Database) -> Result<Vec<Binding>, StoreError> {
    let txn = db.begin_read().map_err(db_error)?;
    let table = txn.open_table(BINDINGS).map_err(db_error)?;
    let mut bindings =
        Vec::with_capacity(usize::try_from(table.len().map_err(db_error)?).unwrap_or(0));
    for entry in table.iter().map_err(db_error)? {
        let (key, value) = entry.map_err(db_error)?;
        let binding = binding::decode(key.value(), value.value()).map_err(|reason| {
            StoreError::UndecodableBinding {
                key: String::from_utf8_lossy(key.value()).into_owned(),
                reason,
            }
        })?;
        bindings.push(binding);
    }
    Ok(bindings)
}

/// The writer thread: block for a job, gather what else is queued, commit once, answer all.
fn run_writer(db: Database, receiver: mpsc::Receiver<Message>, shared: Arc<Shared>) {
    ON_WRITER.set(true);
    let mut closing = false;
    let mut batch: Vec<Job> = Vec::new();
    loop {
        // Once closing, only what is already queued is committed.
        let first = if closing { receiver.try_recv().ok() } else { receiver.recv().ok() };
        let Some(first) = first else { break };
        #[allow(clippy::disallowed_methods)] // the store thread's own clock for its commit window
        let gathered_since = std::time::Instant::now();
        let mut changes = 0;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Commit(job) => {
                    changes += job.changes.len();
                    batch.push(job);
                }
                Message::Close => closing = true,
            }
            if changes < MAX_BATCH_CHANGES {
                next = receiver.try_recv().ok();
                // Nothing else queued yet: linger briefly for more (PostgreSQL's commit_delay).
                // At a few thousand REGISTERs per second this turns one fsync and one wake-up
                // per binding into one per handful, for at most COMMIT_WINDOW more latency.
                if next.is_none() && !closing {
                    // checked_sub: the window may run out between two reads of the clock.
                    if let Some(left) = COMMIT_WINDOW.checked_sub(gathered_since.elapsed()) {
                        next = receiver.recv_timeout(left).ok();
                    }
                }
            }
        }
        if !batch.is_empty() {
            commit_batch(&db, &mut batch, &shared);
        }
    }
    // Dropping the receiver drops anything sent after the last look; each such Job answers
    // Closed from its Drop.
    shared.closed.store(true, Ordering::Release);
    debug!("location store writer stopped");
}

/// Applies every valid job of `batch` in one durable transaction and answers all of them.
fn commit_batch(db: &Database, batch: &mut Vec<Job>, shared: &Shared) {
    batch.retain_mut(|job| match invalid_key(&job.changes) {
        None => true,
        Some(text) => {
            if let Some(done) = job.done.take() {
                call(done, Err(StoreError::InvalidKey(text)));
            }
            false
        }
    });
    if batch.is_empty() {
        return;
    }
    let changes: usize = batch.iter().map(|job| job.changes.len()).sum();
    let result = apply(db, batch);
    match &result {
        Ok(()) => {
            shared.transactions.fetch_add(1, Ordering::Relaxed);
            shared.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
            shared.changes.fetch_add(changes as u64, Ordering::Relaxed);
            debug!(jobs = batch.len(), changes, "location store group commit");
        }
        Err(failure) => {
            shared.failed_transactions.fetch_add(1, Ordering::Relaxed);
            error!(jobs = batch.len(), changes, error = %failure, "location store commit failed");
        }
    }
    for job in batch.drain(..) {
        job.answer(result.clone());
    }
}

/// The first AOR or contact in `changes` that cannot be part of a key, if any.
fn invalid_key(changes: &[Change]) -> Option<String> {
    changes.iter().find_map(|change| {
        let (aor, contact) = match change {
            Change::Put(binding) => (binding.aor.as_str(), binding.contact.as_str()),
            Change::Remove { aor, contact } => (aor.as_str(), contact.as_str()),
            Change::RemoveAor { aor } => (aor.as_str(), ""),
        };
        (!binding::valid_key_parts(aor, contact)).then(|| format!("{aor} {contact}"))
    })
}

/// One write transaction for all of `jobs`, committed with fsync. Any error aborts it whole
/// (the transaction is dropped uncommitted).
fn apply(db: &Database, jobs: &[Job]) -> Result<(), StoreError> {
    let mut txn = db.begin_write().map_err(db_error)?;
    txn.set_durability(Durability::Immediate).map_err(db_error)?;
    {
        let mut table = txn.open_table(BINDINGS).map_err(db_error)?;
        for change in jobs.iter().flat_map(|job| &job.changes) {
            match change {
                Change::Put(binding) => {
                    let key = binding::encode_key(&binding.aor, &binding.contact);
                    let value = binding::encode_value(binding);
                    table.insert(key.as_slice(), value.as_slice()).map_err(db_error)?;
                }
                Change::Remove { aor, contact } => {
                    let key = binding::encode_key(aor, contact);
                    table.remove(key.as_slice()).map_err(db_error)?;
                }
                Change::RemoveAor { aor } => {
                    let (start, end) = binding::aor_range(aor);
                    table
                        .retain_in(start.as_slice()..end.as_slice(), |_, _| false)
                        .map_err(db_error)?;
                }
            }
        }
    }
    txn.commit().map_err(db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_refuses_a_stored_record_of_an_unknown_format_rather_than_dropping_it() {
        let dir = std::env::temp_dir().join(format!("ringway-store-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        {
            let db = Database::create(dir.join(FILE_NAME)).expect("create");
            let txn = db.begin_write().expect("write");
            {
                let mut table = txn.open_table(BINDINGS).expect("table");
                let key = binding::encode_key("sip:a@example.com", "<sip:a@192.0.2.1>");
                let from_the_future: &[u8] = &[2, 0xde, 0xad];
                table.insert(key.as_slice(), from_the_future).expect("insert");
            }
            txn.commit().expect("commit");
        }
        let result = LocationStore::open(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        match result {
            Err(StoreError::UndecodableBinding { key, reason }) => {
                assert_eq!(key, "sip:a@example.com\0<sip:a@192.0.2.1>");
                assert_eq!(reason, binding::DecodeError::UnknownFormat(2));
            }
            Err(other) => panic!("unexpected error {other}"),
            Ok(_) => panic!("opened a store with an unreadable record"),
        }
    }
}
