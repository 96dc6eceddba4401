//! The writer's current batch: the records its commands wrote, not yet appended.
//!
//! Every write command adds records here; the writer appends the whole batch with one write
//! (group commit, storage-engine §11.2). Keys and values are copied **once**, into one arena,
//! and the records refer to it by position: no allocation per record, and the arena, the list
//! and the table are kept from batch to batch. The table maps a key to its latest record in the
//! batch (the *overlay*): commands later in the same batch read what earlier ones wrote from
//! there, before anything reaches the index.

use fxhash::FxHashMap;
use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use crate::format::RecordKind;
use crate::list_view::ListView;

/// A record of the batch. Its key and value are in the batch's arena.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending {
    /// Where the key starts in the arena; the value follows it.
    at: usize,
    key_len: usize,
    value_len: usize,
    pub(crate) expire_at_ms: Option<u64>,
    pub(crate) tombstone: bool,
    pub(crate) seq: u64,
    /// Not the last record of its command's atomic batch (§4.2).
    pub(crate) batch_open: bool,
    /// A user-key record (plain or collection metadata) or an element record (§4.3): the two
    /// live in separate key spaces.
    pub(crate) kind: RecordKind,
}

impl Pending {
    pub(crate) fn key_len(&self) -> usize {
        self.key_len
    }

    pub(crate) fn value_len(&self) -> usize {
        self.value_len
    }
}

/// The key of record `i` (empty if there is none). A free function over the two fields, so
/// the table's lookups can borrow them while the table itself is borrowed mutably.
fn key_in<'a>(list: &[Pending], arena: &'a [u8], i: usize) -> &'a [u8] {
    list.get(i)
        .and_then(|p| arena.get(p.at..p.at + p.key_len))
        .unwrap_or_default()
}

/// Whether record `i` is `key` in the element space (`element`) or the user-key space.
fn is_key(list: &[Pending], arena: &[u8], i: usize, key: &[u8], element: bool) -> bool {
    list.get(i).is_some_and(|p| p.kind.is_element() == element) && key_in(list, arena, i) == key
}

/// The hash of a key in its space: the same bytes hash apart in the two spaces.
fn hash_in(hasher: &RandomState, key: &[u8], element: bool) -> u64 {
    hasher.hash_one((element, key))
}

/// An overlay change to undo: the record that made it, and the key's previous latest record.
pub(crate) type Undo = (usize, Option<usize>);

/// See the module docs.
#[derive(Default)]
pub(crate) struct Batch {
    list: Vec<Pending>,
    arena: Vec<u8>,
    /// Index in `list` of each key's latest record, hashed by key.
    latest: HashTable<usize>,
    hasher: RandomState,
    /// Per collection id, how many elements the batch added minus how many it removed (the
    /// txns that write elements say so: [`adjust_count`](Batch::adjust_count)).
    counts: FxHashMap<u64, i64>,
    /// The changes to `counts`, with the index of the first record after them, to roll back.
    count_log: Vec<(usize, u64, i64)>,
    /// Per list id, the batch's view of its positions (`txn_list.rs`), for the lists the batch
    /// has touched since `lists_reset` was last false.
    pub(crate) lists: FxHashMap<u64, ListView>,
    /// A roll-back dropped the list views: a list's view must be rebuilt from the batch's
    /// records, as the batch may hold some of its elements.
    pub(crate) lists_reset: bool,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("records", &self.list.len())
            .field("arena_bytes", &self.arena.len())
            .finish()
    }
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub(crate) fn key(&self, p: &Pending) -> &[u8] {
        self.arena.get(p.at..p.at + p.key_len).unwrap_or_default()
    }

    pub(crate) fn value(&self, p: &Pending) -> &[u8] {
        let start = p.at + p.key_len;
        self.arena
            .get(start..start + p.value_len)
            .unwrap_or_default()
    }

    /// The records with their keys and values, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Pending, &[u8], &[u8])> {
        self.list.iter().map(|p| (p, self.key(p), self.value(p)))
    }

    /// The records from `start` on, to change flags (a command's atomic batch).
    pub(crate) fn tail_mut(&mut self, start: usize) -> &mut [Pending] {
        self.list.get_mut(start..).unwrap_or_default()
    }

    /// The records from `start` on.
    pub(crate) fn tail(&self, start: usize) -> &[Pending] {
        self.list.get(start..).unwrap_or_default()
    }

    /// The latest record of user key `key` in this batch.
    pub(crate) fn latest(&self, key: &[u8]) -> Option<&Pending> {
        self.latest_in(key, false)
    }

    /// The latest record of element key `key` in this batch (§4.3).
    pub(crate) fn latest_element(&self, key: &[u8]) -> Option<&Pending> {
        self.latest_in(key, true)
    }

    fn latest_in(&self, key: &[u8], element: bool) -> Option<&Pending> {
        // Most lookups of a read-heavy batch (HGETALL, SMEMBERS on the writer) find it empty:
        // no hash to compute then.
        if self.latest.is_empty() {
            return None;
        }
        let hash = hash_in(&self.hasher, key, element);
        let (list, arena) = (&self.list, &self.arena);
        let i = *self
            .latest
            .find(hash, |&i| is_key(list, arena, i, key, element))?;
        self.list.get(i)
    }

    /// Each user key's latest record in this batch, with the key (one entry per distinct key).
    pub(crate) fn latest_records(&self) -> impl Iterator<Item = (&Pending, &[u8])> {
        self.latest_of_space(false)
    }

    /// Each element key's latest record in this batch, with the key.
    pub(crate) fn latest_elements(&self) -> impl Iterator<Item = (&Pending, &[u8])> {
        self.latest_of_space(true)
    }

    fn latest_of_space(&self, element: bool) -> impl Iterator<Item = (&Pending, &[u8])> {
        self.latest.iter().filter_map(move |&i| {
            self.list
                .get(i)
                .filter(|p| p.kind.is_element() == element)
                .map(|p| (p, self.key(p)))
        })
    }

    /// Elements collection `id` gained (positive) or lost in this batch so far.
    pub(crate) fn count_change(&self, id: u64) -> i64 {
        self.counts.get(&id).copied().unwrap_or(0)
    }

    /// Notes that the record just pushed added (`delta` 1) or removed (−1) an element of `id`.
    pub(crate) fn adjust_count(&mut self, id: u64, delta: i64) {
        *self.counts.entry(id).or_default() += delta;
        self.count_log.push((self.list.len(), id, delta));
    }

    /// Appends a user-key record and makes it the key's latest. Returns the undo entry.
    pub(crate) fn push(
        &mut self,
        key: &[u8],
        value: &[u8],
        expire_at_ms: Option<u64>,
        tombstone: bool,
        seq: u64,
    ) -> Undo {
        self.push_kind(key, value, expire_at_ms, tombstone, seq, RecordKind::Plain)
    }

    /// Appends a record of `kind` and makes it its key's latest. Returns the undo entry.
    pub(crate) fn push_kind(
        &mut self,
        key: &[u8],
        value: &[u8],
        expire_at_ms: Option<u64>,
        tombstone: bool,
        seq: u64,
        kind: RecordKind,
    ) -> Undo {
        let i = self.list.len();
        let at = self.arena.len();
        self.arena.extend_from_slice(key);
        self.arena.extend_from_slice(value);
        self.list.push(Pending {
            at,
            key_len: key.len(),
            value_len: value.len(),
            expire_at_ms,
            tombstone,
            seq,
            batch_open: false,
            kind,
        });
        let element = kind.is_element();
        let hash = hash_in(&self.hasher, key, element);
        let (list, arena) = (&self.list, &self.arena);
        let previous = match self
            .latest
            .find_mut(hash, |&j| is_key(list, arena, j, key, element))
        {
            Some(slot) => Some(std::mem::replace(slot, i)),
            None => {
                let hasher = &self.hasher;
                let rehash = |&j: &usize| {
                    let space = list.get(j).is_some_and(|p| p.kind.is_element());
                    hash_in(hasher, key_in(list, arena, j), space)
                };
                self.latest.insert_unique(hash, i, rehash);
                None
            }
        };
        (i, previous)
    }

    /// Drops the records from `start` on, undoing their overlay changes (`undo`, in the order
    /// they were made): a command that panicked or was refused leaves no trace.
    pub(crate) fn roll_back(&mut self, start: usize, undo: &mut Vec<Undo>) {
        for (i, previous) in undo.drain(..).rev() {
            let (list, arena) = (&self.list, &self.arena);
            let key = key_in(list, arena, i);
            let element = list.get(i).is_some_and(|p| p.kind.is_element());
            let hash = hash_in(&self.hasher, key, element);
            let same = |&j: &usize| is_key(list, arena, j, key, element);
            match previous {
                Some(p) => {
                    if let Some(slot) = self.latest.find_mut(hash, same) {
                        *slot = p;
                    }
                }
                None => {
                    if let Ok(e) = self.latest.find_entry(hash, same) {
                        e.remove();
                    }
                }
            }
        }
        if !self.lists.is_empty() {
            // Cheaper than undoing each view's changes: they are rebuilt when next needed.
            self.lists.clear();
            self.lists_reset = true;
        }
        while let Some(&(at, id, delta)) = self.count_log.last() {
            if at <= start {
                break;
            }
            *self.counts.entry(id).or_default() -= delta;
            self.count_log.pop();
        }
        if let Some(p) = self.list.get(start) {
            self.arena.truncate(p.at);
        }
        self.list.truncate(start);
    }

    /// Empties the batch, keeping its memory for the next one (up to a bound, so one huge batch
    /// does not pin its memory forever).
    pub(crate) fn clear(&mut self) {
        const KEEP_ARENA: usize = 4 << 20;
        const KEEP_RECORDS: usize = 64 << 10;
        self.list.clear();
        self.arena.clear();
        self.latest.clear();
        self.counts.clear();
        self.count_log.clear();
        self.lists.clear();
        self.lists_reset = false;
        if self.arena.capacity() > KEEP_ARENA {
            self.arena.shrink_to(KEEP_ARENA);
        }
        if self.list.capacity() > KEEP_RECORDS {
            self.list.shrink_to(KEEP_RECORDS);
            self.latest.shrink_to(KEEP_RECORDS, |_| 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_push_and_roll_back() {
        let mut b = Batch::default();
        let mut undo = Vec::new();
        undo.push(b.push(b"a", b"1", None, false, 1));
        let start = b.len();
        undo.clear();
        undo.push(b.push(b"a", b"2", None, false, 2));
        undo.push(b.push(b"b", b"", None, true, 3));
        let a = *b.latest(b"a").unwrap();
        assert_eq!((b.value(&a), a.seq), (&b"2"[..], 2));
        assert!(b.latest(b"b").unwrap().tombstone);
        b.roll_back(start, &mut undo);
        assert_eq!(b.len(), 1);
        let a = *b.latest(b"a").unwrap();
        assert_eq!((b.key(&a), b.value(&a), a.seq), (&b"a"[..], &b"1"[..], 1));
        assert!(b.latest(b"b").is_none());
        // The arena was cut back too: a new record follows the first directly.
        b.push(b"c", b"xyz", Some(5), false, 4);
        let all: Vec<_> = b.iter().map(|(p, k, v)| (k, v, p.expire_at_ms)).collect();
        assert_eq!(
            all,
            vec![
                (&b"a"[..], &b"1"[..], None),
                (&b"c"[..], &b"xyz"[..], Some(5))
            ]
        );
        b.clear();
        assert!(b.is_empty() && b.latest(b"a").is_none());
    }
}
