//! The storage views commands run against: [`Db`] for reads (a reader thread's lock-free view,
//! or the writer when a read must stay behind a write of its connection) and [`WriteDb`] for the
//! writer's atomic read-modify-write. Implemented by kvs-storage's `Reader`/`Txn` and by the
//! sled comparison engine (`crate::engine::sled`).

use bytes::Bytes;
use kvs_storage::{Reader, StorageError, Txn, Value};

/// Read access for commands.
pub trait Db {
    /// The value and expiry of `key`, `None` if absent or expired.
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError>;
    /// Does `key` exist (unexpired)?
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError>;
    /// Several keys as of one moment (MGET): never half of a concurrent MSET.
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    /// One SCAN step: (next cursor, 0 when done; unexpired keys).
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>);
    /// Keys stored (DBSIZE).
    fn key_count(&mut self) -> usize;
    /// A random unexpired key.
    fn random_key(&mut self) -> Option<Vec<u8>>;
    /// Starts loading the memory that reading `keys` will touch (`kvs_storage::Reader::prefetch`).
    /// A hint: changes nothing; by default it does nothing.
    fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
        let _ = keys;
    }
}

/// Write access for commands: runs on the engine's single writer, atomically.
pub trait WriteDb: Db {
    /// The clock for expiry decisions, fixed for the batch.
    fn now_ms(&self) -> u64;
    /// Sets `key` with an absolute expiry or none.
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>);
    /// Deletes `key`; whether it existed.
    fn delete(&mut self, key: &[u8]) -> Result<bool, StorageError>;
}

impl Db for Reader<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
        self.get_value(key)
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(Reader::exists(self, key))
    }
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
        Reader::get_many(self, &keys)
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        Reader::scan(self, cursor, count)
    }
    fn key_count(&mut self) -> usize {
        Reader::key_count(self)
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        Reader::random_key(self)
    }
    fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
        Reader::prefetch(self, keys);
    }
}

impl Db for Txn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
        Txn::get(self, key)
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Txn::exists(self, key)
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        // Not `reader()` here and below: that is the committed state, without the writes of
        // the commands before this one in the batch.
        Txn::scan(self, cursor, count)
    }
    fn key_count(&mut self) -> usize {
        Txn::key_count(self)
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        Txn::random_key(self)
    }
    fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
        // The committed state's memory: what the batch overlay lacks is read from there.
        self.reader().prefetch(keys);
    }
}

impl WriteDb for Txn<'_> {
    fn now_ms(&self) -> u64 {
        Txn::now_ms(self)
    }
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        Txn::put(self, key, value, expire_at_ms);
    }
    fn delete(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Txn::delete(self, key)
    }
}
