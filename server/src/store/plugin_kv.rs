//! [`PluginKv`]: the plugins' key-value store (`host.kv-*` of the WIT contract), kept in
//! `plugins.redb` beside the location store so that what a plugin counts survives a restart.
//!
//! A plugin reads and writes its keys inside its decision's deadline, so every answer comes
//! from memory: `open` reads the whole file once, and each `set` or `delete` changes the map and
//! queues the change for a writer thread, which commits whatever has gathered in one durable
//! redb transaction (fsync), as the location store does. Writes reach the disk in the order
//! they were made (the queue is fed under the map's lock); a crash loses at most the changes of
//! the last few milliseconds, never the file. A failed commit is logged and counted, and the
//! values stay served from memory.
//!
//! Not for money or CDRs: a plugin's statistics, throttles and caches.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::{self, JoinHandle};

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use ringway_dialplan::wasm::{PluginStore, PluginValues, StoreRefusal};
#[cfg(test)]
use ringway_dialplan::wasm::MAX_KEYS;
use tracing::{debug, error};

use super::{StoreError, db_error, open_database};

/// The file `open` creates in its directory.
const FILE_NAME: &str = "plugins.redb";

/// One table: key (plugin, key), value the value.
const VALUES: TableDefinition<(&str, &str), &str> = TableDefinition::new("plugin_kv");

/// redb's page cache: the file is read once, at `open`.
const CACHE_BYTES: usize = 4 * 1024 * 1024;

/// The most changes one commit gathers.
const MAX_BATCH: usize = 4096;

/// One change, in the order the plugins made them.
enum Change {
    Set { plugin: String, key: String, value: String },
    Delete { plugin: String, key: String },
}

/// The plugins' durable key-value store; see the module docs.
pub struct PluginKv {
    /// Every plugin's keys, and the writer's queue (fed under the same lock, so the file sees
    /// the changes in the order the map did).
    inner: Mutex<Inner>,
    writer: Mutex<Option<JoinHandle<()>>>,
    failed_commits: Arc<AtomicU64>,
}

struct Inner {
    values: PluginValues,
    /// `None` once closed: later changes stay in memory only.
    queue: Option<mpsc::Sender<Change>>,
}

impl std::fmt::Debug for PluginKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginKv").finish_non_exhaustive()
    }
}

impl PluginKv {
    /// Opens (creates) `dir/plugins.redb`, creating `dir` if needed, reads every stored value
    /// and starts the writer thread.
    pub fn open(dir: &Path) -> Result<PluginKv, StoreError> {
        let (db, path) = open_database(dir, FILE_NAME, CACHE_BYTES, VALUES)?;
        let mut values = PluginValues::default();
        {
            let txn = db.begin_read().map_err(db_error)?;
            let table = txn.open_table(VALUES).map_err(db_error)?;
            for entry in table.iter().map_err(db_error)? {
                let (key, value) = entry.map_err(db_error)?;
                let (plugin, key) = key.value();
                // Written under the same cap: nothing stored is refused.
                let _ = values.set(plugin, key, value.value());
            }
        }
        debug!(path = %path.display(), "plugin store opened");

        let (sender, receiver) = mpsc::channel();
        let failed_commits = Arc::new(AtomicU64::new(0));
        let writer = {
            let failed = Arc::clone(&failed_commits);
            thread::Builder::new().name("ringway-plugin-kv".into()).spawn(move || run_writer(&db, &receiver, &failed))?
        };
        Ok(PluginKv {
            inner: Mutex::new(Inner { values, queue: Some(sender) }),
            writer: Mutex::new(Some(writer)),
            failed_commits,
        })
    }

    /// Commits everything queued so far and stops the writer; later changes are kept in memory
    /// only. Called at shutdown, after the last call.
    pub fn close(&self) {
        // Dropping the sender ends the writer once it has committed the queue.
        self.lock().queue = None;
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(handle) = writer
            && handle.join().is_err()
        {
            error!("plugin store: the writer thread panicked");
        }
    }

    /// How many commits have failed since `open` (their changes are still served from memory).
    pub fn failed_commits(&self) -> u64 {
        self.failed_commits.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change to the map is one insert or remove: a panic cannot leave it half-done.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl PluginStore for PluginKv {
    fn get(&self, plugin: &str, key: &str) -> Option<String> {
        self.lock().values.get(plugin, key).map(str::to_owned)
    }

    fn set(&self, plugin: &str, key: &str, value: &str) -> Result<(), StoreRefusal> {
        let mut inner = self.lock();
        if inner.values.set(plugin, key, value)?
            && let Some(queue) = &inner.queue
        {
            let _ = queue.send(Change::Set { plugin: plugin.to_owned(), key: key.to_owned(), value: value.to_owned() });
        }
        Ok(())
    }

    fn delete(&self, plugin: &str, key: &str) {
        let mut inner = self.lock();
        if inner.values.delete(plugin, key) && let Some(queue) = &inner.queue {
            let _ = queue.send(Change::Delete { plugin: plugin.to_owned(), key: key.to_owned() });
        }
    }
}

/// The writer thread: block for a change, take what else is queued, commit once.
fn run_writer(db: &Database, receiver: &mpsc::Receiver<Change>, failed: &AtomicU64) {
    let mut batch = Vec::new();
    while let Ok(first) = receiver.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH
            && let Ok(next) = receiver.try_recv()
        {
            batch.push(next);
        }
        if let Err(e) = apply(db, &batch) {
            failed.fetch_add(1, Ordering::Relaxed);
            error!(changes = batch.len(), error = %e, "plugin store commit failed; the values stay in memory");
        }
        batch.clear();
    }
    debug!("plugin store writer stopped");
}

/// One durable write transaction for `changes`, in order.
fn apply(db: &Database, changes: &[Change]) -> Result<(), StoreError> {
    let mut txn = db.begin_write().map_err(db_error)?;
    txn.set_durability(Durability::Immediate).map_err(db_error)?;
    {
        let mut table = txn.open_table(VALUES).map_err(db_error)?;
        for change in changes {
            match change {
                Change::Set { plugin, key, value } => {
                    table.insert((plugin.as_str(), key.as_str()), value.as_str()).map_err(db_error)?;
                }
                Change::Delete { plugin, key } => {
                    table.remove((plugin.as_str(), key.as_str())).map_err(db_error)?;
                }
            }
        }
    }
    txn.commit().map_err(db_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ringway-plugin-kv-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn values_set_and_deleted_before_close_are_what_the_next_open_reads() {
        let dir = temp_dir("reopen");
        let kv = PluginKv::open(&dir).expect("open");
        kv.set("lcr", "hits", "1").expect("set");
        kv.set("lcr", "hits", "2").expect("set");
        kv.set("lcr", "gone", "x").expect("set");
        kv.delete("lcr", "gone");
        kv.set("other", "hits", "7").expect("set");
        assert_eq!(kv.get("lcr", "hits").as_deref(), Some("2"));
        kv.close();
        drop(kv);

        let kv = PluginKv::open(&dir).expect("reopen");
        assert_eq!(kv.get("lcr", "hits").as_deref(), Some("2"));
        assert_eq!(kv.get("lcr", "gone"), None);
        assert_eq!(kv.get("other", "hits").as_deref(), Some("7"));
        assert_eq!(kv.get("other", "gone"), None);
        assert_eq!(kv.failed_commits(), 0);
        kv.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_plugin_holding_its_maximum_of_keys_is_refused_a_new_one_but_may_change_its_own() {
        let dir = temp_dir("full");
        let kv = PluginKv::open(&dir).expect("open");
        for i in 0..MAX_KEYS {
            kv.set("p", &i.to_string(), "v").expect("below the cap");
        }
        assert_eq!(kv.set("p", "one-more", "v"), Err(StoreRefusal::Full));
        assert_eq!(kv.set("p", "0", "changed"), Ok(()));
        assert_eq!(kv.set("q", "own namespace", "v"), Ok(()));
        kv.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_process_cannot_open_the_same_file() {
        let dir = temp_dir("locked");
        let kv = PluginKv::open(&dir).expect("open");
        assert!(matches!(PluginKv::open(&dir), Err(StoreError::Locked)));
        kv.close();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
