//! Building the index on open from records met in **any order** (docs/storage-format.md §7,
//! §11.5): the highest seq of a key wins, whether it is a put or a tombstone.
//!
//! Recovery runs one loader per thread over the same [`Index`], each loading whole files taken
//! from a shared queue; two threads may meet records of the same key at the same time. Every
//! decision is therefore one atomic [`Index::insert_if_newer`] on the key:
//!
//! * a put inserts its entry if the key has none or an older one;
//! * a **tombstone also inserts an entry** — a placeholder with length 0 pointing at the
//!   tombstone record — under the same rule, so that an older put met later (in a file loaded
//!   after, or by another thread) finds it and loses, and a newer put replaces it. Placeholders
//!   are invisible (nothing reads the index while recovery runs) and
//!   [`remove_placeholders`](Loader::remove_placeholders) deletes them once every file is
//!   loaded. A real record is never shorter than its 21-byte fixed part, so length 0 is free to
//!   mean "tombstone".
//!
//! The index keeps no seqs (see the `index` module docs): when a key is already there, the
//! loader's `seq_of` reads the present entry's seq from its record in the mapped file.
//!
//! While it loads, a loader also counts the bytes of records the index points at, per file:
//! after the load, dead bytes = file body − live bytes, without a second pass over the index.
//! An entry inserted by one thread may be replaced by another, so one loader's count for a file
//! can go below zero: the counts wrap, and only their sum over all loaders means anything.

use crate::format::Fid;
use crate::index::{Index, IndexEntry, InsertOutcome, ShardWriter};

/// A key given an entry with an expiry, and the expiry (Unix ms).
pub(crate) type Expiring = (u64, Box<[u8]>);

/// Applies records met in any order; see the module docs.
pub(crate) struct Loader<'a, F> {
    index: &'a Index,
    /// The seq of the record an entry points at.
    seq_of: F,
    /// Keys given a tombstone placeholder by this loader.
    tombstoned: Vec<Box<[u8]>>,
    /// Keys given an entry with an expiry by this loader, and the expiry (some may have been
    /// replaced since).
    expiring: Vec<Expiring>,
    /// The files being loaded, sorted, and the live bytes counted in each so far (wrapping).
    fids: &'a [Fid],
    live: Vec<u64>,
    /// The lock of the shard being loaded, if [`begin_shard`](Loader::begin_shard) took one.
    writer: Option<ShardWriter<'a>>,
}

impl<'a, F: Fn(&IndexEntry) -> u64> Loader<'a, F> {
    /// A loader over the files `fids` (sorted ascending; entries of other fids are not counted
    /// in [`live_bytes`]). `seq_of` returns the seq of the record an entry points at (0 if it
    /// cannot be read: then any record met for the key wins over it).
    ///
    /// [`live_bytes`]: Loader::live_bytes
    pub(crate) fn new(index: &'a Index, fids: &'a [Fid], seq_of: F) -> Self {
        Loader {
            index,
            seq_of,
            tombstoned: Vec::new(),
            expiring: Vec::new(),
            fids,
            live: vec![0; fids.len()],
            writer: None,
        }
    }

    /// The records that follow are of keys of shard `shard` (recovery's phase B loads shard by
    /// shard): hold its lock until [`end_shard`](Loader::end_shard) instead of taking it per key.
    pub(crate) fn begin_shard(&mut self, shard: usize) {
        // Release the shard held before taking this one: never two shard locks at once.
        self.writer = None;
        self.writer = Some(self.index.shard_writer(shard));
    }

    /// Releases the lock [`begin_shard`](Loader::begin_shard) took.
    pub(crate) fn end_shard(&mut self) {
        self.writer = None;
    }

    fn count(&mut self, e: &IndexEntry, add: bool) {
        if let Ok(i) = self.fids.binary_search(&e.fid)
            && let Some(b) = self.live.get_mut(i)
        {
            let len = u64::from(e.len);
            *b = if add {
                b.wrapping_add(len)
            } else {
                b.wrapping_sub(len)
            };
        }
    }

    /// A put record (or hint entry) of `key` with seq `seq`, or a tombstone (`e` then points
    /// at the tombstone record). Thread-safe against other loaders of the same index.
    pub(crate) fn apply(&mut self, key: &[u8], e: IndexEntry, seq: u64, tombstone: bool) {
        let e = if tombstone {
            IndexEntry {
                len: 0,
                expire_at_ms: None,
                ..e
            }
        } else {
            e
        };
        let held = self
            .writer
            .as_mut()
            .and_then(|w| w.insert_if_newer(key, e, seq, &self.seq_of));
        let outcome = match held {
            Some(o) => o,
            None => {
                // Not the held shard's key (or no shard held): never two locks at once.
                self.writer = None;
                self.index.insert_if_newer(key, e, seq, &self.seq_of)
            }
        };
        let placed = match outcome {
            InsertOutcome::Inserted => true,
            InsertOutcome::Replaced(old) => {
                self.count(&old, false);
                true
            }
            InsertOutcome::Stale(_) => false,
        };
        if placed {
            self.count(&e, true);
            if tombstone {
                self.tombstoned.push(key.into());
            } else if let Some(at) = e.expire_at_ms {
                self.expiring.push((at, key.into()));
            }
        }
    }

    /// Bytes of records the index points at, per file of `fids` (same order), as counted by
    /// this loader (wrapping). Sum the loaders' vectors, wrapping, for the whole store.
    pub(crate) fn live_bytes(&self) -> &[u64] {
        &self.live
    }

    /// Keys this loader gave a tombstone placeholder, and keys it gave an entry with an
    /// expiry (some of either may have been replaced since).
    pub(crate) fn into_keys(self) -> (Vec<Box<[u8]>>, Vec<Expiring>) {
        (self.tombstoned, self.expiring)
    }

    /// Once **every** loader is done: removes the tombstone placeholders left at `keys`.
    pub(crate) fn remove_placeholders(index: &Index, keys: &[Box<[u8]>]) {
        for k in keys {
            index.remove_if_len_zero(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In these tests every record is alone in the file numbered by its seq.
    fn entry(seq: u64) -> IndexEntry {
        IndexEntry {
            fid: seq,
            offset: 24 + seq,
            len: 30,
            expire_at_ms: None,
        }
    }

    #[test]
    fn any_order_any_split() {
        // key a: put 1, put 3, delete 4 → gone. key b: put 2, delete 5, put 6 → put 6.
        // key c: delete 7 then an older put 1 met later → gone.
        let records: Vec<(&[u8], u64, bool)> = vec![
            (b"a", 1, false),
            (b"a", 3, false),
            (b"a", 4, true),
            (b"b", 2, false),
            (b"b", 5, true),
            (b"b", 6, false),
            (b"c", 7, true),
            (b"c", 1, false),
        ];
        // Every rotation and the reverse: the outcome must not depend on the order.
        let mut orders: Vec<Vec<_>> = (0..records.len())
            .map(|r| {
                let mut v = records.clone();
                v.rotate_left(r);
                v
            })
            .collect();
        orders.push(records.iter().rev().cloned().collect());
        let fids = [1, 2, 3, 4, 5, 6, 7];
        // Records dealt to 1, 2 or 3 loaders in turn (as threads taking files from a queue).
        for loaders in [1, 2, 3] {
            for order in &orders {
                let idx = Index::new();
                let seq_of = |e: &IndexEntry| e.fid;
                let mut ls: Vec<_> = (0..loaders)
                    .map(|_| Loader::new(&idx, &fids, seq_of))
                    .collect();
                for (i, (k, seq, tomb)) in order.iter().enumerate() {
                    // Each record in its own file, so live bytes tell which one is live.
                    ls[i % loaders].apply(k, entry(*seq), *seq, *tomb);
                }
                let mut live = vec![0u64; fids.len()];
                let mut tombstoned = Vec::new();
                for l in ls {
                    for (sum, b) in live.iter_mut().zip(l.live_bytes()) {
                        *sum = sum.wrapping_add(*b);
                    }
                    tombstoned.extend(l.into_keys().0);
                }
                Loader::<fn(&IndexEntry) -> u64>::remove_placeholders(&idx, &tombstoned);
                assert_eq!(idx.get(b"a"), None, "{order:?}");
                assert_eq!(idx.get(b"b"), Some(entry(6)), "{order:?}");
                assert_eq!(idx.get(b"c"), None, "{order:?}");
                assert_eq!(idx.len(), 1);
                assert_eq!(live, [0, 0, 0, 0, 0, 30, 0], "{loaders} loaders, {order:?}");
            }
        }
    }
}
