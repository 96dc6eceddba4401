//! `Txn`: what a write command sees on the writer thread — atomic read-modify-write over the
//! store, with the effects of earlier commands of the same batch visible.

use std::collections::HashMap;

use crate::error::Result;
use crate::fileset::Value;
use crate::shared::Shared;

/// A record the writer will append when the batch commits.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) key: Vec<u8>,
    pub(crate) value: Vec<u8>,
    pub(crate) expire_at_ms: Option<u64>,
    pub(crate) tombstone: bool,
    pub(crate) seq: u64,
    pub(crate) batch_open: bool,
}

/// One write command's view of the store, on the writer thread.
///
/// Everything a `Txn` does is atomic: it runs alone (the writer is one thread), its records are
/// appended together and, when it writes more than one record, flagged as one batch so a crash
/// keeps all or none of them (docs/storage-format.md §4.2). Reads see committed data plus what
/// earlier commands of the same batch wrote; expired keys are invisible.
pub struct Txn<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) overlay: &'a mut HashMap<Vec<u8>, Option<Value>>,
    pub(crate) records: &'a mut Vec<Pending>,
    pub(crate) next_seq: &'a mut u64,
    pub(crate) now_ms: u64,
    /// Overlay entries this txn replaced, to roll back if its closure panics.
    pub(crate) undo: Vec<(Vec<u8>, Option<Option<Value>>)>,
}

impl Txn<'_> {
    /// The time the batch started, Unix milliseconds: the clock for expiry decisions.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The current value of `key` and its expiry, or `None` if absent or expired.
    pub fn get(&mut self, key: &[u8]) -> Result<Option<Value>> {
        if let Some(v) = self.overlay.get(key) {
            let now = self.now_ms;
            return Ok(v.clone().filter(|v| v.expire_at_ms.is_none_or(|t| t > now)));
        }
        self.shared.read(key)
    }

    /// A lock-free reader of the committed state (for scans and counts; it does not see what
    /// this batch wrote).
    pub fn reader(&self) -> crate::reader::Reader<'_> {
        crate::reader::Reader {
            shared: self.shared,
        }
    }

    /// Does `key` exist (and is it unexpired)?
    pub fn exists(&mut self, key: &[u8]) -> Result<bool> {
        if let Some(v) = self.overlay.get(key) {
            let now = self.now_ms;
            return Ok(v
                .as_ref()
                .is_some_and(|v| v.expire_at_ms.is_none_or(|t| t > now)));
        }
        let now = self.now_ms;
        Ok(self
            .shared
            .index
            .get(key)
            .is_some_and(|e| e.expire_at_ms.is_none_or(|t| t > now)))
    }

    /// Sets `key` to `value`, with an absolute expiry (Unix ms) or none.
    pub fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.push(key, value, expire_at_ms, false);
        self.set_overlay(
            key,
            Some(Value {
                data: value.to_vec(),
                expire_at_ms,
            }),
        );
    }

    /// Deletes `key`. Returns whether it existed (unexpired). A key that is not in the store at
    /// all costs no record.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        let existed = self.exists(key)?;
        let present = match self.overlay.get(key) {
            Some(v) => v.is_some(),
            None => self.shared.index.get(key).is_some(),
        };
        if present {
            self.push(key, &[], None, true);
            self.set_overlay(key, None);
        }
        Ok(existed)
    }

    fn push(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>, tombstone: bool) {
        let seq = *self.next_seq;
        *self.next_seq += 1;
        self.records.push(Pending {
            key: key.to_vec(),
            value: value.to_vec(),
            expire_at_ms,
            tombstone,
            seq,
            batch_open: false,
        });
    }

    fn set_overlay(&mut self, key: &[u8], v: Option<Value>) {
        let previous = self.overlay.insert(key.to_vec(), v);
        self.undo.push((key.to_vec(), previous));
    }

    /// Reverts the overlay after the txn's closure panicked.
    pub(crate) fn roll_back(
        overlay: &mut HashMap<Vec<u8>, Option<Value>>,
        undo: Vec<(Vec<u8>, Option<Option<Value>>)>,
    ) {
        for (key, previous) in undo.into_iter().rev() {
            match previous {
                Some(v) => overlay.insert(key, v),
                None => overlay.remove(&key),
            };
        }
    }
}
