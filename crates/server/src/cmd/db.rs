//! `Db`: what a read command needs, served by a reader thread's lock-free [`Reader`] or, when a
//! read must stay behind a write of the same connection, by the writer's [`Txn`].

use bytes::Bytes;
use kvs_storage::{Reader, StorageError, Txn, Value};

/// Read access for commands; implemented by both storage views.
pub trait Db {
    /// The value and expiry of `key`, `None` if absent or expired.
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError>;
    /// Does `key` exist (unexpired)?
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError>;
    /// The committed state, for scans and counts.
    fn reader(&self) -> Reader<'_>;
    /// Several keys as of one moment (MGET): never half of a concurrent MSET.
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
        keys.iter().map(|k| self.get(k)).collect()
    }
}

impl Db for Reader<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
        self.get_value(key)
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(Reader::exists(self, key))
    }
    fn reader(&self) -> Reader<'_> {
        Reader::clone_view(self)
    }
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
        Reader::get_many(self, &keys)
    }
}

impl Db for Txn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
        Txn::get(self, key)
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Txn::exists(self, key)
    }
    fn reader(&self) -> Reader<'_> {
        Txn::reader(self)
    }
}
