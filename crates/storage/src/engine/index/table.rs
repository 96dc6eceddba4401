//! A shard's table (storage-engine §11.1): open addressing over buckets of [`SLOTS`] slots, and
//! an arena holding each key's run (`record.rs`).
//!
//! A bucket is one word of tag bytes and [`SLOTS`] 32-bit references into the arena (40
//! bytes): a lookup loads the tag word, compares the key's 8-bit tag against all eight bytes
//! at once, and follows only matching references — one bucket and, almost always, one run per
//! lookup. Buckets are probed linearly from the key's hash; a tag byte is [`EMPTY`],
//! [`DELETED`] or the key's tag (≥ 2). A lookup stops at the first bucket with an `EMPTY`
//! byte: a bucket that has one was never full, so no key's probe passed it (a removal leaves
//! `EMPTY` only where the bucket already had one, otherwise `DELETED`).
//!
//! A table never grows in place. The shard's writer builds a new one ([`Table::rebuilt`]) when
//! the arena or the slots run out and publishes it (`shard.rs`); readers of the old one finish
//! on it. Every word is an atomic accessed with relaxed loads and stores: readers validate
//! what they read with the table's [`seq`](Table::seq) (a seqlock), so a torn read is thrown
//! away, never trusted.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use super::record::{self, Torn};
use crate::engine::prefetch;

/// Slots per bucket (one tag byte each in the bucket's tag word).
pub(super) const SLOTS: usize = 8;

/// Tag of a slot that never held a key.
const EMPTY: u8 = 0;
/// Tag of a slot whose key was removed (a probe continues past it).
const DELETED: u8 = 1;

/// Largest arena a table can address: references are 32-bit word indexes (32 GiB).
pub(super) const MAX_ARENA_WORDS: usize = 1 << 32;

const LSB: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// 0x80 in every byte of `x` that is zero, 0 elsewhere (exact: no carries between bytes).
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7)
}

/// 0x80 in every byte of `tags` equal to `tag`.
fn matching(tags: u64, tag: u8) -> u64 {
    zero_bytes(tags ^ LSB.wrapping_mul(u64::from(tag)))
}

/// The tag of a key with hash `h`: 8 bits the bucket index and the shard do not use, moved
/// off the two reserved values.
pub(super) fn tag_of(h: u64) -> u8 {
    ((h >> 40) as u8).max(DELETED + 1)
}

/// One bucket: tag bytes and arena references of [`SLOTS`] slots.
struct Bucket {
    tags: AtomicU64,
    refs: [AtomicU32; SLOTS],
}

const _: () = assert!(std::mem::size_of::<Bucket>() == 40);

impl Bucket {
    fn empty() -> Bucket {
        Bucket {
            tags: AtomicU64::new(0),
            refs: std::array::from_fn(|_| AtomicU32::new(0)),
        }
    }

    fn tag(&self, slot: usize) -> u8 {
        (self.tags.load(Relaxed) >> (slot * 8)) as u8
    }

    fn set_tag(&self, slot: usize, tag: u8) {
        let shift = slot * 8;
        let tags = self.tags.load(Relaxed);
        self.tags
            .store((tags & !(0xff << shift)) | u64::from(tag) << shift, Relaxed);
    }

    fn arena_ref(&self, slot: usize) -> usize {
        self.refs
            .get(slot)
            .map_or(usize::MAX, |r| r.load(Relaxed) as usize)
    }

    fn set_ref(&self, slot: usize, at: usize) {
        if let Some(r) = self.refs.get(slot) {
            r.store(at as u32, Relaxed);
        }
    }
}

/// Where a key's slot is, and its run.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    pub(super) bucket: usize,
    pub(super) slot: usize,
    /// Word index of the key's run in the arena.
    pub(super) at: usize,
}

/// Buckets and arena of one shard; see the module docs.
pub(super) struct Table {
    /// The seqlock: odd while the shard's writer is changing this table.
    pub(super) seq: AtomicU64,
    buckets: Box<[Bucket]>,
    /// The runs, `record.rs` format. Words past the writer's fill mark are unused.
    pub(super) arena: Box<[AtomicU64]>,
}

impl Table {
    /// An empty table with `buckets` buckets (a power of two) and an arena of `words` words.
    pub(super) fn new(buckets: usize, words: usize) -> Table {
        Table {
            seq: AtomicU64::new(0),
            buckets: (0..buckets.max(1)).map(|_| Bucket::empty()).collect(),
            arena: (0..words.min(MAX_ARENA_WORDS))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    pub(super) fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Heap bytes this table holds.
    pub(super) fn bytes(&self) -> usize {
        self.buckets.len() * std::mem::size_of::<Bucket>() + self.arena.len() * 8
    }

    /// Most slots that may be occupied (live or `DELETED`): 7/8 of them, so that probes end.
    pub(super) fn max_occupied(&self) -> usize {
        max_occupied(self.buckets.len())
    }

    fn bucket(&self, i: usize) -> Result<&Bucket, Torn> {
        self.buckets.get(i).ok_or(Torn)
    }

    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    /// The slot and run of `key` (hash `h`), if present. Readers call it under the seqlock;
    /// the writer, alone on the table, never gets `Torn`.
    pub(super) fn find(&self, key: &[u8], h: u64) -> Result<Option<Found>, Torn> {
        let tag = tag_of(h);
        let mut i = h as usize & self.mask();
        for _ in 0..self.buckets.len() {
            let b = self.bucket(i)?;
            let tags = b.tags.load(Relaxed);
            let mut m = matching(tags, tag);
            while m != 0 {
                let slot = (m.trailing_zeros() / 8) as usize;
                m &= m - 1;
                let at = b.arena_ref(slot);
                if record::key_matches(&self.arena, at, key)? {
                    return Ok(Some(Found {
                        bucket: i,
                        slot,
                        at,
                    }));
                }
            }
            if zero_bytes(tags) != 0 {
                return Ok(None);
            }
            i = (i + 1) & self.mask();
        }
        // Every bucket full: only a torn read can see that (occupancy stays ≤ 7/8).
        Err(Torn)
    }

    /// Starts loading the bucket a lookup of hash `h` reads first (a hint; see
    /// `Index::prefetch`).
    pub(super) fn prefetch_bucket(&self, h: u64) {
        if let Some(b) = self.buckets.get(h as usize & self.mask()) {
            prefetch::line(b);
        }
    }

    /// Starts loading the runs that the first bucket of hash `h` points at with `h`'s tag —
    /// the key's run, if it is there. Reads the bucket (prefetched before, ideally).
    pub(super) fn prefetch_runs(&self, h: u64) {
        let Some(b) = self.buckets.get(h as usize & self.mask()) else {
            return;
        };
        let mut m = matching(b.tags.load(Relaxed), tag_of(h));
        while m != 0 {
            let slot = (m.trailing_zeros() / 8) as usize;
            m &= m - 1;
            if let Some(w) = self.arena.get(b.arena_ref(slot)) {
                prefetch::line(w);
            }
        }
    }

    /// Writer: the first free (`EMPTY` or `DELETED`) slot on `h`'s probe sequence, and whether
    /// it was `DELETED` (reusing one does not raise the occupancy).
    pub(super) fn free_slot(&self, h: u64) -> Option<(usize, usize, bool)> {
        let mut i = h as usize & self.mask();
        for _ in 0..self.buckets.len() {
            let b = self.buckets.get(i)?;
            for slot in 0..SLOTS {
                let t = b.tag(slot);
                if t == EMPTY || t == DELETED {
                    return Some((i, slot, t == DELETED));
                }
            }
            i = (i + 1) & self.mask();
        }
        None
    }

    /// Writer, inside the seqlock: makes slot `(bucket, slot)` hold tag `tag` and run `at`.
    pub(super) fn fill_slot(&self, bucket: usize, slot: usize, tag: u8, at: usize) {
        if let Some(b) = self.buckets.get(bucket) {
            b.set_ref(slot, at);
            b.set_tag(slot, tag);
        }
    }

    /// Writer, inside the seqlock: points slot `(bucket, slot)` at run `at`.
    pub(super) fn repoint_slot(&self, bucket: usize, slot: usize, at: usize) {
        if let Some(b) = self.buckets.get(bucket) {
            b.set_ref(slot, at);
        }
    }

    /// Writer, inside the seqlock: frees slot `(bucket, slot)`. Returns true if it became
    /// `EMPTY` (the bucket already had an empty slot), false if `DELETED`.
    pub(super) fn free(&self, bucket: usize, slot: usize) -> bool {
        let Some(b) = self.buckets.get(bucket) else {
            return false;
        };
        let emptied = zero_bytes(b.tags.load(Relaxed)) != 0;
        b.set_tag(slot, if emptied { EMPTY } else { DELETED });
        emptied
    }

    /// Arena indexes of the runs of live slots, from slot number `from` (bucket × [`SLOTS`] +
    /// slot) to the last, passed to `f` until it returns false. Readers call it under the
    /// seqlock.
    pub(super) fn for_each_run(
        &self,
        from: usize,
        mut f: impl FnMut(usize) -> Result<bool, Torn>,
    ) -> Result<(), Torn> {
        let first = from / SLOTS;
        for (i, b) in self.buckets.iter().enumerate().skip(first) {
            let tags = b.tags.load(Relaxed);
            let start = if i == first { from % SLOTS } else { 0 };
            for slot in start..SLOTS {
                if (tags >> (slot * 8)) as u8 > DELETED && !f(b.arena_ref(slot))? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Writer: a new table with `buckets` buckets and an arena of `words` words, holding this
    /// one's live keys, their runs packed from word 0 in bucket order. Returns it with the
    /// number of arena words used. With `rehash`, keys are placed by `hash` (needed when the
    /// bucket count changes; it also drops `DELETED` slots); without it, the bucket layout is
    /// copied as is (same bucket count) and only the references change.
    pub(super) fn rebuilt(
        &self,
        buckets: usize,
        words: usize,
        rehash: bool,
        hash: impl Fn(&[u8]) -> u64,
    ) -> Result<(Table, usize), Torn> {
        let rehash = rehash || buckets != self.buckets.len();
        let new = Table::new(buckets, words);
        let mut used = 0usize;
        let mut key = Vec::new();
        for (i, b) in self.buckets.iter().enumerate() {
            let tags = b.tags.load(Relaxed);
            for slot in 0..SLOTS {
                let tag = (tags >> (slot * 8)) as u8;
                let (bucket, slot_to) = if tag <= DELETED {
                    if !rehash && tag == DELETED {
                        // Keep the tombstone: later keys may have probed past it.
                        new.bucket(i)?.set_tag(slot, DELETED);
                    }
                    continue;
                } else if rehash {
                    key.clear();
                    let at = b.arena_ref(slot);
                    record::read_key(&self.arena, at, &mut key)?;
                    let (bucket, slot_to, _) = new.free_slot(hash(&key)).ok_or(Torn)?;
                    (bucket, slot_to)
                } else {
                    (i, slot)
                };
                let n = record::copy(&self.arena, b.arena_ref(slot), &new.arena, used)?;
                new.fill_slot(bucket, slot_to, tag, used);
                used += n;
            }
        }
        Ok((new, used))
    }
}

/// [`Table::max_occupied`] for a table of `buckets` buckets.
fn max_occupied(buckets: usize) -> usize {
    buckets * SLOTS / 8 * 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_byte_matches_are_exact() {
        let tags = u64::from_le_bytes([0, 5, 1, 5, 0x85, 0, 0xff, 5]);
        assert_eq!(
            zero_bytes(tags),
            u64::from_le_bytes([0x80, 0, 0, 0, 0, 0x80, 0, 0])
        );
        assert_eq!(
            matching(tags, 5),
            u64::from_le_bytes([0, 0x80, 0, 0x80, 0, 0, 0, 0x80])
        );
        assert_eq!(
            matching(tags, 0x85),
            u64::from_le_bytes([0, 0, 0, 0, 0x80, 0, 0, 0])
        );
        assert_eq!(zero_bytes(u64::MAX), 0);
        for b in 0..=255u8 {
            assert!(tag_of(u64::from(b) << 40) >= 2);
        }
    }
}
