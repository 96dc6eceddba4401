//! `Txn`: what a write command sees on the writer thread — atomic read-modify-write over the
//! store, with the effects of earlier commands of the same batch visible.

use crate::batch::{Batch, Pending, Undo};
use crate::collection::Collections;
use crate::error::{Result, StorageError};
use crate::format::RecordKind;
use crate::reader::Value;
use crate::shared::Shared;
use crate::watch::{WatcherId, Watches};

/// One write command's view of the store, on the writer thread.
///
/// Everything a `Txn` does is atomic: it runs alone (the writer is one thread), its records are
/// appended together and, when it writes more than one record, flagged as one batch so a crash
/// keeps all or none of them (docs/storage-format.md §4.2). Reads see committed data plus what
/// earlier commands of the same batch wrote; expired keys are invisible.
pub struct Txn<'a> {
    pub(crate) shared: &'a Shared,
    /// The batch so far: earlier commands' records, and this one's.
    pub(crate) batch: &'a mut Batch,
    pub(crate) next_seq: &'a mut u64,
    pub(crate) now_ms: u64,
    /// Overlay entries this txn replaced, to roll back if its closure panics (the writer's
    /// vector, reused: empty when the txn starts).
    pub(crate) undo: &'a mut Vec<Undo>,
    /// The writer's watched keys (WATCH), touched by every record the txn writes.
    pub(crate) watches: &'a mut Watches,
    /// The committed collections (`txn_collection.rs` adds the batch's changes).
    pub(crate) collections: &'a Collections,
}

impl Txn<'_> {
    /// The time the batch started, Unix milliseconds: the clock for expiry decisions.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The current value of `key` and its expiry, or `None` if absent or expired.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Value>> {
        if let Some(p) = self.pending(key) {
            if !self.is_live(p) {
                return Ok(None);
            }
            if p.kind == RecordKind::Meta {
                return Err(StorageError::WrongType);
            }
            return Ok(Some(Value {
                data: self.batch.value(p).to_vec(),
                expire_at_ms: p.expire_at_ms,
            }));
        }
        self.shared.read(key)
    }

    /// The latest record of `key` written by this batch, if any.
    pub(crate) fn pending(&self, key: &[u8]) -> Option<&Pending> {
        self.batch.latest(key)
    }

    /// A lock-free reader of the committed state: it does not see what this batch wrote
    /// ([`scan`](Self::scan), [`key_count`](Self::key_count) and
    /// [`random_key`](Self::random_key) do).
    pub fn reader(&self) -> crate::reader::Reader<'_> {
        crate::reader::Reader {
            shared: self.shared,
        }
    }

    /// Keys in the store as this command sees it (DBSIZE): the committed count, corrected by
    /// what earlier commands of the same batch created or deleted. Counts keys whose expiry
    /// has passed but that are not collected yet, as the committed count does (and Redis'
    /// DBSIZE). O(keys written by the batch).
    pub fn key_count(&self) -> usize {
        let committed = self.shared.index.len();
        let (mut added, mut removed) = (0usize, 0usize);
        for (p, key) in self.batch.latest_records() {
            match (self.shared.index.contains_key(key), p.tombstone) {
                (false, false) => added += 1,
                (true, true) => removed += 1,
                _ => {}
            }
        }
        (committed + added).saturating_sub(removed)
    }

    /// One step of a cursor scan as this command sees the store (SCAN, KEYS): the committed
    /// keys of the step, less those this batch deleted, and on the last step (`0` back) the keys
    /// this batch created. SCAN's guarantee holds — a key present for the whole scan is
    /// returned — and a key created or deleted by the batch is seen as such, which the
    /// committed state alone (`reader().scan`) does not show.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        let (next, mut keys) = self.reader().scan(cursor, count);
        keys.retain(|k| self.pending(k).is_none_or(|p| self.is_live(p)));
        if next == 0 {
            keys.extend(
                self.batch
                    .latest_records()
                    .filter(|(p, key)| self.is_live(p) && !self.committed_live(key))
                    .map(|(_, key)| key.to_vec()),
            );
        }
        (next, keys)
    }

    /// A random key as this command sees the store (RANDOMKEY): a committed one the batch has
    /// not deleted, else one the batch created; `None` if there is none.
    pub fn random_key(&self) -> Option<Vec<u8>> {
        let reader = self.reader();
        for _ in 0..16 {
            match reader.random_key() {
                Some(k) if self.pending(&k).is_none_or(|p| self.is_live(p)) => return Some(k),
                Some(_) => {}
                None => break,
            }
        }
        // Few committed keys survive the batch: look for one the slow way, then at its own.
        crate::reader::first_scanned_key(|cursor, count| self.scan(cursor, count))
    }

    /// Whether a record of this batch leaves its key present (a value, not yet expired).
    pub(crate) fn is_live(&self, p: &Pending) -> bool {
        !p.tombstone && p.expire_at_ms.is_none_or(|t| t > self.now_ms)
    }

    /// Whether `key` is present, unexpired, in the committed index.
    fn committed_live(&self, key: &[u8]) -> bool {
        let now = self.now_ms;
        self.shared
            .index
            .get(key)
            .is_some_and(|e| e.expire_at_ms.is_none_or(|t| t > now))
    }

    /// Does `key` exist (and is it unexpired)?
    pub fn exists(&mut self, key: &[u8]) -> Result<bool> {
        if let Some(p) = self.pending(key) {
            return Ok(self.is_live(p));
        }
        Ok(self.committed_live(key))
    }

    /// Sets `key` to `value`, with an absolute expiry (Unix ms) or none.
    pub fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.push(key, value, expire_at_ms, false);
    }

    /// Deletes `key`. Returns whether it existed (unexpired). A key that is not in the store at
    /// all costs no record.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        let existed = self.exists(key)?;
        let present = match self.pending(key) {
            Some(p) => !p.tombstone,
            None => self.shared.index.get(key).is_some(),
        };
        if present {
            self.push(key, &[], None, true);
        }
        Ok(existed)
    }

    /// `watcher` (a client id) watches `key` until its next [`check_watched`](Self::check_watched)
    /// or [`unwatch`](Self::unwatch): a later write or delete of the key by anyone, its deletion
    /// when it expires, or FLUSHALL makes that check fail (Redis' WATCH; `watch.rs` has the
    /// rules).
    pub fn watch(&mut self, watcher: WatcherId, key: &[u8]) {
        let stale = expired_here(self.shared, self.batch, self.now_ms, key);
        self.watches.watch(watcher, key, stale);
    }

    /// `watcher` watches nothing any more (UNWATCH, DISCARD, a closed connection).
    pub fn unwatch(&mut self, watcher: WatcherId) {
        self.watches.unwatch(watcher);
    }

    /// EXEC: whether `watcher`'s transaction may run — none of its watched keys was modified
    /// since it watched them, and none has expired since. Unwatches them all either way.
    pub fn check_watched(&mut self, watcher: WatcherId) -> bool {
        let (shared, batch, now) = (self.shared, &*self.batch, self.now_ms);
        self.watches
            .check(watcher, |key| expired_here(shared, batch, now, key))
    }

    /// Appends a user-key record to the batch, where later reads of the batch find it.
    fn push(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>, tombstone: bool) {
        self.push_kind(key, value, expire_at_ms, tombstone, RecordKind::Plain);
    }

    /// Appends a record of `kind`; a user key's touches its watchers (an element's record
    /// touches its collection's key: the caller does, `txn_collection.rs`). Returns its seq.
    pub(crate) fn push_kind(
        &mut self,
        key: &[u8],
        value: &[u8],
        expire_at_ms: Option<u64>,
        tombstone: bool,
        kind: RecordKind,
    ) -> u64 {
        if !kind.is_element() {
            self.watches.touch(key, tombstone);
        }
        let seq = *self.next_seq;
        *self.next_seq += 1;
        let undo = self
            .batch
            .push_kind(key, value, expire_at_ms, tombstone, seq, kind);
        self.undo.push(undo);
        seq
    }
}

/// Whether `key` exists but has expired, as a txn of `batch` sees the store at `now`: the key is
/// still there (in the batch, or committed and not deleted by the batch) and its expiry has
/// passed (Redis' `keyIsExpired`).
fn expired_here(shared: &Shared, batch: &Batch, now: u64, key: &[u8]) -> bool {
    let expire_at_ms = match batch.latest(key) {
        Some(p) if p.tombstone => None,
        Some(p) => p.expire_at_ms,
        None => shared.index.get(key).and_then(|e| e.expire_at_ms),
    };
    expire_at_ms.is_some_and(|t| t <= now)
}
