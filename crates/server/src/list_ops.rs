//! [`ListOps`]: what a list command asks of the engine (storage-format §4.3.1), behind
//! [`WriteDb::lists`](crate::db::WriteDb::lists) so that engines without lists (sled) need not
//! spell out a refusal per operation. Indexes count from the head, 0-based; `key` is the key
//! holding list `id`, whose watchers a change touches. Writer-thread only, like the batch it
//! works in.

use kvs_storage::{StorageError, Txn};

/// See the module docs.
pub trait ListOps {
    /// Pushes `value` at the head (`front`) or the tail. Touches no other element.
    fn push(&mut self, key: &[u8], id: u64, front: bool, value: &[u8]) -> Result<(), StorageError>;
    /// Pops the head (`front`) or the tail; `None` if empty.
    fn pop(&mut self, key: &[u8], id: u64, front: bool) -> Result<Option<Vec<u8>>, StorageError>;
    /// Removes the head (`front`) or the tail without reading it; `false` if empty.
    fn drop_end(&mut self, key: &[u8], id: u64, front: bool) -> bool;
    /// The element at index `i`.
    fn get(&mut self, id: u64, i: usize) -> Result<Option<Vec<u8>>, StorageError>;
    /// Replaces the element at index `i`; `false` if there is none.
    fn set(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<bool, StorageError>;
    /// The elements from index `start` to `end` (exclusive).
    fn range(&mut self, id: u64, start: usize, end: usize) -> Result<Vec<Vec<u8>>, StorageError>;
    /// Inserts `value` so that it is at index `i` (≤ the length).
    fn insert(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<(), StorageError>;
    /// Removes the elements at `indices` (ascending, each < the length).
    fn remove(&mut self, key: &[u8], id: u64, indices: &[usize]);
}

impl ListOps for Txn<'_> {
    fn push(&mut self, key: &[u8], id: u64, front: bool, value: &[u8]) -> Result<(), StorageError> {
        self.list_push(key, id, front, value)
    }
    fn pop(&mut self, key: &[u8], id: u64, front: bool) -> Result<Option<Vec<u8>>, StorageError> {
        self.list_pop(key, id, front)
    }
    fn drop_end(&mut self, key: &[u8], id: u64, front: bool) -> bool {
        self.list_drop(key, id, front)
    }
    fn get(&mut self, id: u64, i: usize) -> Result<Option<Vec<u8>>, StorageError> {
        self.list_get(id, i)
    }
    fn set(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<bool, StorageError> {
        self.list_set(key, id, i, value)
    }
    fn range(&mut self, id: u64, start: usize, end: usize) -> Result<Vec<Vec<u8>>, StorageError> {
        self.list_range(id, start, end)
    }
    fn insert(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<(), StorageError> {
        self.list_insert(key, id, i, value)
    }
    fn remove(&mut self, key: &[u8], id: u64, indices: &[usize]) {
        self.list_remove(key, id, indices)
    }
}
