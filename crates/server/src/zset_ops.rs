//! [`ZsetOps`]: what a sorted-set command asks of the engine (storage-format §4.3.2), behind
//! [`WriteDb::zsets`](crate::db::WriteDb::zsets), as [`ListOps`](crate::list_ops::ListOps) is
//! for lists. `key` is the key holding sorted set `id`, whose watchers a change touches.
//! Writer-thread only.

use std::ops::Bound;

use kvs_storage::{StorageError, Txn};

/// A member and its score.
pub type Scored = (Vec<u8>, f64);

/// See the module docs.
pub trait ZsetOps {
    /// The score of `member`.
    fn score(&mut self, id: u64, member: &[u8]) -> Option<f64>;
    /// Sets `member`'s score, adding it if new; whether it is new.
    fn set(&mut self, key: &[u8], id: u64, member: &[u8], score: f64)
    -> Result<bool, StorageError>;
    /// Removes `member`; whether it was there.
    fn remove(&mut self, key: &[u8], id: u64, member: &[u8]) -> bool;
    /// The members from rank `start` to `end` (exclusive), lowest first (`rev`: highest).
    fn by_rank(&mut self, id: u64, start: usize, end: usize, rev: bool) -> Vec<Scored>;
    /// The members with a score in `min`..`max`, in order, after `offset`, at most `limit`.
    fn by_score(
        &mut self,
        id: u64,
        range: (Bound<f64>, Bound<f64>),
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<Scored>;
    /// The members `keep` accepts, in order, after `offset`, at most `limit`.
    fn by_member(
        &mut self,
        id: u64,
        rev: bool,
        keep: &dyn Fn(&[u8]) -> bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<Scored>;
    /// The rank of `member` (`rev`: from the highest) and its score.
    fn rank(&mut self, id: u64, member: &[u8], rev: bool) -> Option<(usize, f64)>;
}

impl ZsetOps for Txn<'_> {
    fn score(&mut self, id: u64, member: &[u8]) -> Option<f64> {
        self.zset_score(id, member)
    }
    fn set(
        &mut self,
        key: &[u8],
        id: u64,
        member: &[u8],
        score: f64,
    ) -> Result<bool, StorageError> {
        self.zset_set(key, id, member, score)
    }
    fn remove(&mut self, key: &[u8], id: u64, member: &[u8]) -> bool {
        self.zset_remove(key, id, member)
    }
    fn by_rank(&mut self, id: u64, start: usize, end: usize, rev: bool) -> Vec<Scored> {
        self.zset_range_by_rank(id, start, end, rev)
    }
    fn by_score(
        &mut self,
        id: u64,
        range: (Bound<f64>, Bound<f64>),
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<Scored> {
        self.zset_range_by_score(id, range.0, range.1, rev, offset, limit)
    }
    fn by_member(
        &mut self,
        id: u64,
        rev: bool,
        keep: &dyn Fn(&[u8]) -> bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<Scored> {
        self.zset_range_where(id, rev, keep, offset, limit)
    }
    fn rank(&mut self, id: u64, member: &[u8], rev: bool) -> Option<(usize, f64)> {
        self.zset_rank(id, member, rev)
    }
}
