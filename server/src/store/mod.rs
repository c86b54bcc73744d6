//! # store
//!
//! Durable storage in embedded [redb](https://www.redb.org) files in the data directory: the
//! location service of RFC 3261 §10 (the registrar's bindings, `location.redb`, so that
//! registrations survive a crash or a `kill -9` of the daemon), and the plugins' key-value store
//! (`plugins.redb`, [`PluginKv`]: answered from memory, written behind).
//!
//! ## Durability
//!
//! A REGISTER may be answered 200 only once its binding is on disk. [`LocationStore::commit`]
//! therefore calls its `done` callback only after the redb write transaction holding the change
//! has committed with [`redb::Durability::Immediate`], which fsyncs the file before `commit`
//! returns. A new file's directory entry is fsynced too, when the file is created. No
//! acknowledgement is ever given early; if the commit fails, every caller in it is told so
//! (the registrar answers `500 Database Error`), and a commit that takes too long is the caller's
//! business (its own timer, `480 DB Timeout`).
//!
//! ## Group commit
//!
//! redb is synchronous and one fsync costs milliseconds, so throughput comes from sharing it: one
//! dedicated writer thread receives jobs on a channel, blocks for the first, then takes everything
//! already queued (up to [`MAX_BATCH_CHANGES`] changes, never splitting a job), applies the lot in
//! ONE write transaction, commits it with one fsync, and only then calls every job's `done`. While
//! it is syncing, the next batch gathers in the channel, so under load each fsync carries the
//! bindings of many shards; when idle, a lone change is committed at once, with no added delay.
//!
//! ## Layout
//!
//! - [`binding`]: [`Binding`] and its versioned on-disk encoding (key `aor \0 contact`, so
//!   removing an AOR is one range delete).
//! - `location`: [`LocationStore`], the handle, and its writer thread.
//! - `plugin_kv`: [`PluginKv`], the WASM plugins' `host.kv-*` values.
//!
//! ## What it deliberately does not do
//!
//! - **No reads after open.** [`LocationStore::open`] returns every stored binding once; the
//!   registrar keeps its working set in memory and only writes through. There is no lookup API.
//! - **No expiry.** Expired bindings are returned by `open` like any other; the caller filters
//!   them and removes them with a [`Change`] when it likes.
//! - **No cross-machine sharing.** One file, one process (redb locks it). When a site outgrows one
//!   machine, a PostgreSQL store with the same shape (open → snapshot, commit → callback once
//!   durable) takes its place behind the same interface.

pub mod binding;
mod location;
mod plugin_kv;

use std::sync::Arc;

pub use binding::{Binding, DecodeError};
pub use location::{LocationStore, MAX_BATCH_CHANGES, StoreStats};
pub use plugin_kv::PluginKv;

/// One change to the location store, applied in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Adds the binding, or replaces the one with the same AOR and contact.
    Put(Binding),
    /// Removes the binding of `contact` under `aor`, if there is one.
    Remove {
        /// The canonical address-of-record.
        aor: String,
        /// The Contact URI exactly as it was stored.
        contact: String,
    },
    /// Removes every binding of `aor` (a `Contact: *` REGISTER, RFC 3261 §10.2.2).
    RemoveAor {
        /// The canonical address-of-record.
        aor: String,
    },
}

/// Why a store could not open or could not make a change durable.
///
/// The registrar maps every failure of a commit to `500 Database Error`. It is `Clone` because
/// one failed group commit is reported to every caller in it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// The file or its directory could not be read, written or synced.
    #[error("store I/O error: {0}")]
    Io(Arc<std::io::Error>),
    /// redb found its file damaged.
    #[error("store file is corrupt: {0}")]
    Corrupt(String),
    /// A stored binding could not be read back (unknown format or damaged record).
    #[error("stored binding {key:?} cannot be read: {reason}")]
    UndecodableBinding {
        /// The record's key, lossily as text.
        key: String,
        /// What is wrong with it.
        reason: DecodeError,
    },
    /// Another process has the file open.
    #[error("store file is already open in another process")]
    Locked,
    /// An AOR or contact contains a NUL byte, which cannot be part of a key. Only the job that
    /// carried it fails; the others in the same group commit are unaffected.
    #[error("AOR or contact contains a NUL byte: {0:?}")]
    InvalidKey(String),
    /// The store was closed (or its writer stopped) before the change could be committed.
    #[error("store is closed")]
    Closed,
    /// Any other failure reported by redb.
    #[error("store database error: {0}")]
    Database(Arc<redb::Error>),
}

impl From<std::io::Error> for StoreError {
    fn from(error: std::io::Error) -> Self {
        StoreError::Io(Arc::new(error))
    }
}

impl From<redb::Error> for StoreError {
    fn from(error: redb::Error) -> Self {
        match error {
            redb::Error::Io(io) => StoreError::Io(Arc::new(io)),
            redb::Error::Corrupted(detail) => StoreError::Corrupt(detail),
            redb::Error::DatabaseAlreadyOpen => StoreError::Locked,
            redb::Error::DatabaseClosed => StoreError::Closed,
            other => StoreError::Database(Arc::new(other)),
        }
    }
}

/// Opens (creates) `dir/file_name`, creating `dir` if needed, with `table` in it, both durable
/// before it returns: a new file's directory entry is fsynced too.
pub(crate) fn open_database<K: redb::Key + 'static, V: redb::Value + 'static>(
    dir: &std::path::Path,
    file_name: &str,
    cache_bytes: usize,
    table: redb::TableDefinition<'_, K, V>,
) -> Result<(redb::Database, std::path::PathBuf), StoreError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(file_name);
    let existed = path.try_exists()?;
    let db = redb::Builder::new().set_cache_size(cache_bytes).create(&path).map_err(db_error)?;
    if !existed {
        // The file's own fsyncs do not make its directory entry durable.
        std::fs::File::open(dir)?.sync_all()?;
    }
    let mut txn = db.begin_write().map_err(db_error)?;
    txn.set_durability(redb::Durability::Immediate).map_err(db_error)?;
    txn.open_table(table).map_err(db_error)?;
    txn.commit().map_err(db_error)?;
    Ok((db, path))
}

/// Converts any of redb's per-operation errors through [`redb::Error`], which all of them join.
pub(crate) fn db_error(error: impl Into<redb::Error>) -> StoreError {
    StoreError::from(error.into())
}
