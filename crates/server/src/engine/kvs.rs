//! The kvs-storage engine: a [`Job`] is its writer's `WriteCommand` and its readers'
//! `ReadCommand` — the session's box goes to the storage threads as it is, nothing wrapped.

use kvs_storage::{
    CompactionReport, FsyncPolicy, ReadCommand, Result, Store, StoreStats, WriteCommand,
};

use super::{Completion, Engine, Job};

/// kvs-storage behind the [`Engine`] trait.
pub struct KvsEngine {
    store: Store,
}

impl KvsEngine {
    /// Wraps an open store.
    pub fn new(store: Store) -> KvsEngine {
        KvsEngine { store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Engine for KvsEngine {
    fn name(&self) -> &'static str {
        "kvs"
    }
    fn fsync(&self) -> FsyncPolicy {
        self.store.options().fsync
    }
    fn submit_writes(&self, jobs: Vec<Box<dyn Job>>) -> Result<()> {
        let commands = jobs
            .into_iter()
            .map(|job| -> Box<dyn WriteCommand> { job })
            .collect();
        self.store.submit_commands(commands)
    }
    fn submit_reads(&self, jobs: Vec<Box<dyn Job>>) -> Result<()> {
        let reads = jobs
            .into_iter()
            .map(|job| -> Box<dyn ReadCommand> { job })
            .collect();
        self.store.submit_reads(reads)
    }
    fn submit_flush_all(&self, done: Completion) -> Result<()> {
        self.store.submit_flush_all(done)
    }
    fn submit_sync(&self, done: Completion) -> Result<()> {
        self.store.submit_sync(done)
    }
    fn submit_compact(&self, done: Box<dyn FnOnce(Result<CompactionReport>) + Send>) -> Result<()> {
        self.store.submit_compact(done)
    }
    fn sync(&self) -> Result<()> {
        self.store.sync()
    }
    fn stats(&self) -> StoreStats {
        self.store.stats()
    }
    fn writes_refused(&self) -> Option<kvs_storage::StorageError> {
        self.store.writes_refused()
    }
    fn with_reader(&self, f: &mut dyn FnMut(&mut dyn super::Db)) {
        f(&mut self.store.reader())
    }
    fn reads_without_blocking(&self, keys: &mut dyn Iterator<Item = &[u8]>) -> bool {
        let reader = self.store.reader();
        for k in keys {
            if !reader.reads_without_blocking(k, LOOPER_READ_MAX) {
                return false;
            }
        }
        true
    }
    fn elements_read_without_blocking(&self, reads: &crate::db::ElementReads<'_>) -> bool {
        self.store.reader().elements_read_without_blocking(
            reads.key,
            &mut reads.elements(),
            reads.values,
            LOOPER_READ_MAX,
        )
    }
}

/// The largest record a looper reads itself (storage-engine §11.3): copying a bigger value
/// would hold up the looper's other connections for longer than the hand-off to a reader
/// thread costs.
const LOOPER_READ_MAX: usize = 16 * 1024;
