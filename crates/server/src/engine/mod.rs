//! The storage engines the server can run on: kvs-storage (the default) and sled (for
//! comparison). Both take the same jobs — [`Job`]s, which run their commands against a [`Db`] /
//! [`WriteDb`] view — so every command is written once, and both keep the design's
//! shape: one writer thread running write jobs in order and reader threads running read jobs,
//! each job handing its reply to its [`ReplyTo`](crate::job::ReplyTo) (which posts it to the
//! owning looper).

pub mod kvs;
pub mod sled;

use kvs_storage::{
    CompactionReport, FsyncPolicy, ReadCommand, Result, StorageError, StoreStats, WriteCommand,
};

pub use crate::db::{Db, WriteDb};

/// A batch of commands any engine can run: on the writer
/// ([`run_write_on`](Job::run_write_on), then [`WriteCommand::committed`]) or on a reader
/// ([`run_read_on`](Job::run_read_on)). The kvs engine hands it to kvs-storage as it is — a
/// `Job` *is* a storage [`WriteCommand`] / [`ReadCommand`], so the box the session made is the
/// box the storage thread runs. The server's one job type is
/// [`CommandJob`](crate::job::CommandJob); the trait keeps the engines free of the commands.
pub trait Job: WriteCommand + ReadCommand {
    /// Runs the batch as reads against `db` and sends its reply.
    fn run_read_on(self: Box<Self>, db: &mut dyn Db);
    /// Runs the batch's commands in the writer's transaction `txn`; its reply waits for
    /// [`WriteCommand::committed`].
    fn run_write_on(&mut self, txn: &mut dyn WriteDb);
}

/// Called when a whole-store operation (FLUSHALL, SAVE) is done (or failed).
pub type Completion = Box<dyn FnOnce(Result<()>) + Send>;

/// A storage engine as the server uses it. Every method is thread-safe and non-blocking unless
/// it says otherwise; results go to the closures given.
pub trait Engine: Send + Sync {
    /// The engine's name (`kvs`, `sled`), recorded in the data directory.
    fn name(&self) -> &'static str;
    /// The fsync policy it runs with.
    fn fsync(&self) -> FsyncPolicy;
    /// Queues write jobs, in order, as one channel message: the writer runs each
    /// ([`Job::run_write_on`]) and tells it once its batch is durable
    /// ([`WriteCommand::committed`]).
    fn submit_writes(&self, jobs: Vec<Box<dyn Job>>) -> Result<()>;
    /// Queues read jobs as one channel message: a reader runs each ([`Job::run_read_on`]).
    fn submit_reads(&self, jobs: Vec<Box<dyn Job>>) -> Result<()>;
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
    /// [`reads_without_blocking`](Self::reads_without_blocking) for a read of a collection's
    /// elements by name ([`ElementReads`](crate::db::ElementReads): HGET, SISMEMBER...).
    fn elements_read_without_blocking(&self, reads: &crate::db::ElementReads<'_>) -> bool {
        let _ = reads;
        false
    }
}
