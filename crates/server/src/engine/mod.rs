//! The storage engines the server can run on: kvs-storage (the default) and sled (for
//! comparison). Both take the same jobs — closures over [`Db`] / [`WriteDb`] — so every command
//! is written once, and both keep the design's shape: one writer thread running write jobs in
//! order and reader threads running read jobs, each handing results to a caller-supplied
//! completion (which posts to the owning looper).

mod db;
pub mod kvs;
pub mod sled;

use kvs_storage::{CompactionReport, FsyncPolicy, Result, StorageError, StoreStats};

pub use db::{Db, WriteDb};

/// Called when a write job's effects are committed (or failed).
pub type Completion = Box<dyn FnOnce(Result<()>) + Send>;
/// A write job: runs on the writer against a [`WriteDb`], returns what to do once committed.
pub type WriteJob = Box<dyn FnOnce(&mut dyn WriteDb) -> Completion + Send>;
/// A read job: runs on a reader thread against a [`Db`].
pub type ReadJob = Box<dyn FnOnce(&mut dyn Db) + Send>;

/// A storage engine as the server uses it. Every method is thread-safe and non-blocking unless
/// it says otherwise; results go to the closures given.
pub trait Engine: Send + Sync {
    /// The engine's name (`kvs`, `sled`), recorded in the data directory.
    fn name(&self) -> &'static str;
    /// The fsync policy it runs with.
    fn fsync(&self) -> FsyncPolicy;
    /// Queues write jobs, in order, as one channel message.
    fn submit_writes(&self, jobs: Vec<WriteJob>) -> Result<()>;
    /// Queues read jobs as one channel message.
    fn submit_reads(&self, jobs: Vec<ReadJob>) -> Result<()>;
    /// Deletes every key, after the writes queued before it.
    fn submit_flush_all(&self, done: Completion) -> Result<()>;
    /// Makes everything written so far durable, after the writes queued before it.
    fn submit_sync(&self, done: Completion) -> Result<()>;
    /// Starts a compaction (BGREWRITEAOF).
    fn submit_compact(&self, done: Box<dyn FnOnce(Result<CompactionReport>) + Send>) -> Result<()>;
    /// Blocking sync (shutdown).
    fn sync(&self) -> Result<()>;
    /// Counters for INFO.
    fn stats(&self) -> StoreStats;
    /// Why writes are refused right now (after an I/O failure), if they are: the session then
    /// answers write commands itself, and reads go on as usual. Cheap when they are not.
    fn writes_refused(&self) -> Option<StorageError> {
        None
    }
    /// Runs `f` with a read view on the calling thread (the `--inline-reads` variant: a looper
    /// answers reads itself, without the hop to a reader thread).
    fn with_reader(&self, f: &mut dyn FnMut(&mut dyn Db));
    /// Whether reading every one of `keys` right now cannot wait for the disk, so that a looper
    /// may answer the read itself (the design's rule: a looper runs only reads that cannot
    /// block; the rest go to the reader threads). `false` unless the engine can tell.
    fn reads_without_blocking(&self, keys: &mut dyn Iterator<Item = &[u8]>) -> bool {
        let _ = keys;
        false
    }
}
