//! The in-memory index (§11): for every live key, where its current record is.
//!
//! An [`Index`] maps a key to an [`IndexEntry`] — data file, offset and length of the record,
//! and its expiry. It is shared by every thread of the store:
//!
//! * **readers** (many threads) call [`get`](Index::get), [`scan`](Index::scan),
//!   [`random_key`](Index::random_key). Reads are **lock-free**: they never wait for a writer,
//!   not even while the table is being resized.
//! * **the writer** calls [`insert`](Index::insert) and [`remove`](Index::remove)
//!   (unconditional: the writer's seq order *is* the commit order), after the record is
//!   appended and before it replies (design brief: the reply is the commit point).
//! * **the compactor** calls [`compare_and_repoint`](Index::compare_and_repoint) and
//!   [`remove_if_at`](Index::remove_if_at): change an entry only if it still points at the
//!   record the compactor copied (or dropped), so a concurrent write always wins (§10 step 6).
//! * **recovery** (before anything else runs) calls
//!   [`insert_if_newer`](Index::insert_if_newer) and
//!   [`remove_if_older`](Index::remove_if_older) through the crate's loader
//!   (`loader.rs`), which also remembers tombstones so that files can be loaded in any order,
//!   and splits the keys between threads by [`shard_of`](Index::shard_of).
//!
//! # The map, and why
//!
//! Measured with `benches/index_maps.rs` (table and reasoning in §11.1): `papaya`'s lock-free
//! table, split into [`SHARDS`] shards with blocking resizes. Per entry it costs one 64-byte
//! heap block (key and entry) plus a 9-byte table slot: 61–66 B besides the key at every size
//! measured. `dashmap` blocked readers for tens of milliseconds while a shard was rehashed, and
//! `dashmap` and `scc` both needed ~100 B per entry just past each table doubling.
//!
//! The shards exist for [`scan`](Index::scan): `papaya` can iterate a whole table but not
//! resume from a position, so the SCAN cursor is a shard number (see [`scan`](Index::scan) for
//! the guarantee). A key's shard is chosen by a seeded hash independent of the SipHash used
//! inside the shard.
//!
//! # Entry layout
//!
//! Stored compactly: keys of up to [`INLINE_KEY_LEN`] bytes live inline in a 24-byte key (longer
//! ones in one extra heap block), and the entry takes 24 bytes — fid and offset get 48 bits each
//! ([`MAX_FID`], [`MAX_OFFSET`]: 2^48 files, 256 TiB files), the record length 32 bits, the
//! expiry 64 bits. Key and entry together fill a 48-byte block: a 48-byte size class in
//! jemalloc or mimalloc, a 64-byte chunk in glibc's malloc (8 bytes
//! of chunk header, 16-byte granules).
//!
//! The record's seq (§7) is **not** kept: only recovery needs it, to decide which of two
//! records of a key met in any file order is newer, and it reads the present entry's seq from
//! its record in the mapped file then (`insert_if_newer` and `remove_if_older` take a
//! `seq_of` function). At run time the writer's order is the commit order and the compactor
//! compares locations, so 8 bytes per key are saved for the life of the store.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use papaya::{Compute, Operation};

use crate::format::Fid;

/// log2 of [`SHARDS`].
const SHARD_BITS: u32 = 10;

/// Number of shards the index is split into; a SCAN step returns at least one whole shard.
pub const SHARDS: usize = 1 << SHARD_BITS;

/// Keys up to this long are stored inline, without a heap block of their own.
pub const INLINE_KEY_LEN: usize = 22;

/// Largest fid the index can store (2^48 − 1). Larger fids are stored as `MAX_FID`, which is
/// never a live file, so a read through such an entry fails instead of returning wrong data.
pub const MAX_FID: Fid = (1 << 48) - 1;

/// Largest record offset the index can store (256 TiB − 1); larger ones are stored as
/// `MAX_OFFSET`, past the end of any file, with the same effect as for [`MAX_FID`].
pub const MAX_OFFSET: u64 = (1 << 48) - 1;

/// Estimated bytes per entry besides heap-allocated key bytes: the 48-byte block holding key
/// and entry, plus table slots (9 bytes each) at a typical load factor (measured, §11.1). glibc's
/// malloc rounds the block up to a 64-byte chunk; size-class allocators do not.
const BYTES_PER_ENTRY: usize = 48 + 16;

/// Where a key's current record is, and what the index needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexEntry {
    /// Data file holding the record.
    pub fid: Fid,
    /// Offset of the record (its CRC) in that file.
    pub offset: u64,
    /// Length of the whole record.
    pub len: u32,
    /// Absolute expiry, Unix milliseconds, if the key has a TTL. `Some(0)` reads back as
    /// `Some(1)`: both are long past.
    pub expire_at_ms: Option<u64>,
}

/// What [`Index::insert_if_newer`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The key was not there; the entry was inserted.
    Inserted,
    /// The key was there with an older seq; this (the older entry) was replaced.
    Replaced(IndexEntry),
    /// The key was there with this entry, whose seq is not older: nothing changed, and the
    /// offered entry is dead.
    Stale(IndexEntry),
}

mod stored;

use stored::{Key, Slot, heap_key_bytes};

type Shard = papaya::HashMap<Key, Slot, RandomState>;

/// The concurrent index: key → [`IndexEntry`]. `Send + Sync`; share it with an `Arc`.
///
/// Every method takes `&self` and is safe to call from any thread at any time. Each single-key
/// method is atomic (linearizable) for its key; multi-key methods ([`len`](Index::len),
/// [`scan`](Index::scan), [`for_each`](Index::for_each), [`clear`](Index::clear)) are not
/// snapshots — see each one.
pub struct Index {
    /// Shard 0, and shards 1..SHARDS: split so that looking up a shard needs no fallible index.
    first: Shard,
    rest: Box<[Shard]>,
    /// Seed of the shard hash.
    seed: u64,
    /// Estimated heap bytes of keys too long to be inline.
    heap_key_bytes: AtomicUsize,
    /// State of the generator behind [`random_key`](Index::random_key).
    random: AtomicU64,
    /// Bytes the index takes when empty (shard headers and their length counters).
    fixed_bytes: usize,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("len", &self.len())
            .field("shards", &SHARDS)
            .finish_non_exhaustive()
    }
}

impl Default for Index {
    fn default() -> Self {
        Index::new()
    }
}

/// splitmix64's finaliser: a full-avalanche 64-bit mix.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Entries retired per reclamation batch (see `with_capacity`).
const RETIRE_BATCH: usize = 1024;

impl Index {
    /// An empty index. Allocates the shard headers and length counters (~0.5 MB in all on 2
    /// CPUs); each shard's table is allocated with its first key (~0.4 KB).
    pub fn new() -> Index {
        Index::with_capacity(0)
    }

    /// An empty index with room for about `keys` keys before any table grows. Recovery sizes
    /// it from the record counts of the files it loads: growing a table copies it, and while
    /// loading millions of keys the copies cost as much as the inserts (storage-engine §11.5).
    pub fn with_capacity(keys: usize) -> Index {
        let hasher = RandomState::new();
        // One collector for all shards: retired entries are batched per thread, not per shard.
        // Every overwrite retires the replaced entry, and retiring a batch costs a
        // `membarrier` syscall, which interrupts every core (tens of µs on a VM). seize's
        // default batch (32) made that one syscall per ~10 writes; with RETIRE_BATCH it is
        // one per few hundred, for at most RETIRE_BATCH unreclaimed entries per writing
        // thread (~64 KiB).
        let collector = Arc::new(seize::Collector::new().batch_size(RETIRE_BATCH));
        // Blocking resizes: the writer that fills a shard's table copies it in one go (a shard
        // is 1/SHARDS of the index: ~5 k entries at 5 M keys, tens of µs), while readers keep
        // reading the old table. No resize is left half done for readers and scans to wade
        // through, and the old table is freed at once.
        // Shards fill evenly (the shard hash is seeded and mixed), plus a margin for the spread.
        let per_shard = if keys == 0 {
            0
        } else {
            let even = keys.div_ceil(SHARDS);
            even.saturating_add(even / 8).saturating_add(16)
        };
        let new_shard = || {
            papaya::HashMap::builder()
                .hasher(hasher.clone())
                .shared_collector(Arc::clone(&collector))
                .resize_mode(papaya::ResizeMode::Blocking)
                .capacity(per_shard)
                .build()
        };
        let first = new_shard();
        let rest = (1..SHARDS).map(|_| new_shard()).collect();
        let seed = RandomState::new().hash_one(0x6b76_735f_696e_6478_u64);
        // Each shard has a length counter with one 128-byte stripe per CPU (rounded up to a
        // power of two), besides its header.
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let per_shard = std::mem::size_of::<Shard>()
            .saturating_add(cpus.next_power_of_two().saturating_mul(128));
        Index {
            first,
            rest,
            seed,
            heap_key_bytes: AtomicUsize::new(0),
            random: AtomicU64::new(seed),
            fixed_bytes: SHARDS.saturating_mul(per_shard),
        }
    }

    /// The shard a key lives in: a seeded, word-at-a-time multiply-rotate hash (cheap, and
    /// independent of the SipHash each shard uses inside).
    fn shard_index(&self, key: &[u8]) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut h = self.seed ^ (key.len() as u64).wrapping_mul(K);
        let mut words = key.chunks_exact(8);
        for w in &mut words {
            if let Ok(w) = <[u8; 8]>::try_from(w) {
                h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
            }
        }
        let mut tail = [0u8; 8];
        let rest = words.remainder();
        if let Some(dst) = tail.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
        (mix64(h) >> (64 - SHARD_BITS)) as usize
    }

    /// Shard `i`; `i` is always < [`SHARDS`] here (the `rest.get` fallback cannot be taken,
    /// and would still be deterministic).
    fn shard_at(&self, i: usize) -> &Shard {
        i.checked_sub(1)
            .and_then(|j| self.rest.get(j))
            .unwrap_or(&self.first)
    }

    /// Which of the [`SHARDS`] shards `key` belongs to (`0..SHARDS`). Stable for the life of
    /// this index (the hash is seeded per index). Recovery splits keys between its threads by
    /// it, so that every key is loaded by exactly one thread.
    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.shard_index(key)
    }

    fn shard(&self, key: &[u8]) -> &Shard {
        self.shard_at(self.shard_index(key))
    }

    fn shards(&self) -> impl Iterator<Item = &Shard> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    fn add_heap_bytes(&self, key: &[u8]) {
        let b = heap_key_bytes(key.len());
        if b > 0 {
            self.heap_key_bytes.fetch_add(b, Ordering::Relaxed);
        }
    }

    fn sub_heap_bytes(&self, key: &[u8]) {
        let b = heap_key_bytes(key.len());
        if b > 0 {
            // Relaxed and approximate; saturate rather than wrap if a `clear` raced.
            let _ = self
                .heap_key_bytes
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                    Some(v.saturating_sub(b))
                });
        }
    }

    /// The entry for `key`, if any. Lock-free.
    pub fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.shard(key).pin().get(key).map(Slot::unpack)
    }

    /// Whether `key` has an entry. Lock-free.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.shard(key).pin().contains_key(key)
    }

    /// Sets the entry for `key` unconditionally (the writer: its seq order is the commit
    /// order). Returns the entry it replaced, whose record is now dead.
    pub fn insert(&self, key: &[u8], e: IndexEntry) -> Option<IndexEntry> {
        let old = self
            .shard(key)
            .pin()
            .insert(Key::new(key), Slot::pack(&e))
            .map(Slot::unpack);
        if old.is_none() {
            self.add_heap_bytes(key);
        }
        old
    }

    /// Recovery: sets the entry for `key` (a record with seq `seq`) only if there is none or
    /// the present one has a lower seq (§7: the highest seq wins, whatever order files are
    /// loaded in). An equal seq (the same record met twice) keeps the present entry. The index
    /// does not store seqs: `seq_of` tells the present entry's (read from its record; see the
    /// module docs), and is only called when the key is already there.
    pub fn insert_if_newer(
        &self,
        key: &[u8],
        e: IndexEntry,
        seq: u64,
        seq_of: impl Fn(&IndexEntry) -> u64,
    ) -> InsertOutcome {
        let new = Slot::pack(&e);
        let pinned = self.shard(key).pin();
        let outcome = pinned.compute(Key::new(key), |cur| match cur {
            Some((_, cur)) if seq_of(&cur.unpack()) >= seq => Operation::Abort(*cur),
            _ => Operation::Insert(new),
        });
        match outcome {
            Compute::Inserted(..) => {
                self.add_heap_bytes(key);
                InsertOutcome::Inserted
            }
            Compute::Updated { old: (_, old), .. } => InsertOutcome::Replaced(old.unpack()),
            Compute::Aborted(cur) => InsertOutcome::Stale(cur.unpack()),
            // `compute` above never asks for a removal.
            Compute::Removed(_, old) => InsertOutcome::Replaced(old.unpack()),
        }
    }

    /// Removes `key` unconditionally (the writer: a delete). Returns the removed entry.
    pub fn remove(&self, key: &[u8]) -> Option<IndexEntry> {
        let old = self.shard(key).pin().remove(key).map(Slot::unpack);
        if old.is_some() {
            self.sub_heap_bytes(key);
        }
        old
    }

    /// Removes `key` if its entry satisfies `pred`; returns the removed entry.
    fn remove_if(&self, key: &[u8], mut pred: impl FnMut(&Slot) -> bool) -> Option<IndexEntry> {
        let pinned = self.shard(key).pin();
        match pinned.remove_if(key, |_, s| pred(s)) {
            Ok(Some((_, s))) => {
                self.sub_heap_bytes(key);
                Some(s.unpack())
            }
            Ok(None) | Err(_) => None,
        }
    }

    /// Recovery: applies a tombstone with seq `seq` — removes `key` if its present entry is
    /// older (lower seq, as told by `seq_of`; see [`insert_if_newer`](Index::insert_if_newer)).
    /// Returns the removed entry. A tombstone must also hide records of the key with lower
    /// seqs that are loaded *later*; recovery's loader remembers that.
    pub fn remove_if_older(
        &self,
        key: &[u8],
        seq: u64,
        seq_of: impl Fn(&IndexEntry) -> u64,
    ) -> Option<IndexEntry> {
        self.remove_if(key, |s| seq_of(&s.unpack()) < seq)
    }

    /// Recovery: removes `key` if its entry has length 0 — a tombstone placeholder of the
    /// loader (`loader.rs`); real records are never that short. Returns whether it did.
    pub(crate) fn remove_if_len_zero(&self, key: &[u8]) -> bool {
        self.remove_if(key, |s| s.len == 0).is_some()
    }

    /// The compactor: removes `key` only if its entry still points at `(fid, offset)` (an
    /// expired record being dropped). A concurrent write wins. Returns the removed entry.
    pub fn remove_if_at(&self, key: &[u8], fid: Fid, offset: u64) -> Option<IndexEntry> {
        self.remove_if(key, |s| s.is_at(fid, offset))
    }

    /// The compactor: repoints `key` to `new` (its copy of the record) only if the entry
    /// still points at `(old_fid, old_offset)`. Returns false — and changes nothing — if the
    /// key was written, deleted or repointed since; the copy is then dead.
    pub fn compare_and_repoint(
        &self,
        key: &[u8],
        old_fid: Fid,
        old_offset: u64,
        new: IndexEntry,
    ) -> bool {
        let new = Slot::pack(&new);
        let pinned = self.shard(key).pin();
        let outcome = pinned.compute(Key::new(key), |cur| match cur {
            Some((_, cur)) if cur.is_at(old_fid, old_offset) => Operation::Insert(new),
            _ => Operation::Abort(()),
        });
        matches!(outcome, Compute::Updated { .. })
    }

    /// Number of keys. Sums the shards' counters: exact when no write is in flight.
    pub fn len(&self) -> usize {
        self.shards().map(|s| s.len()).sum()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.shards().all(|s| s.is_empty())
    }

    /// Removes every key (FLUSHALL). Concurrent inserts may survive it.
    pub fn clear(&self) {
        for s in self.shards() {
            s.pin().clear();
        }
        self.heap_key_bytes.store(0, Ordering::Relaxed);
    }

    /// Estimated memory used by the index, in bytes: per entry the 64-byte block of key and
    /// entry and its share of the table, plus the heap blocks of long keys (§11 has the
    /// measurements behind the constant).
    pub fn approx_memory_bytes(&self) -> usize {
        self.len()
            .saturating_mul(BYTES_PER_ENTRY)
            .saturating_add(self.heap_key_bytes.load(Ordering::Relaxed))
            .saturating_add(self.fixed_bytes)
    }

    /// One step of a cursor scan with Redis SCAN semantics: start with cursor 0, pass each
    /// returned cursor back in, stop when 0 is returned.
    ///
    /// The cursor is the next shard to visit. A step calls `f` for every key of whole shards,
    /// from shard `cursor` on, until `count` keys were passed (or the last shard was done) —
    /// so a step passes at least `count` keys unless the scan ends, and at most `count` plus
    /// one shard (~`len / SHARDS` keys) more: `count` is a hint, as in Redis.
    ///
    /// Guarantee: every key present in the index for the whole scan is passed **at least
    /// once** (in fact exactly once: a key's shard never changes, each shard is visited once,
    /// and iterating one shard yields each key present throughout the iteration, resizes
    /// included). Keys inserted or removed during the scan may or may not be passed. The entry
    /// passed is the key's entry at some moment during the step. A cursor ≥ [`SHARDS`] (never
    /// returned) ends the scan at once.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &IndexEntry)) -> u64 {
        let mut i = usize::try_from(cursor).unwrap_or(usize::MAX);
        let mut passed = 0usize;
        while i < SHARDS {
            for (k, s) in self.shard_at(i).pin().iter() {
                f(k.as_bytes(), &s.unpack());
                passed = passed.saturating_add(1);
            }
            i = i.saturating_add(1);
            if passed >= count {
                break;
            }
        }
        if i >= SHARDS { 0 } else { i as u64 }
    }

    /// A random key (RANDOMKEY), or `None` if the index is empty. Picks a random shard, then a
    /// random position in it (skipping to the next shard if it is empty): uniform when the
    /// shards are equally full, which the shard hash makes them on average. Costs one walk of
    /// up to one shard (~`len / SHARDS` entries).
    pub fn random_key(&self) -> Option<Vec<u8>> {
        let r = mix64(
            self.random
                .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed),
        );
        let start = (r >> (64 - SHARD_BITS)) as usize;
        for step in 0..SHARDS {
            let shard = self.shard_at((start + step) % SHARDS);
            let len = shard.len();
            if len == 0 {
                continue;
            }
            // Low bits of `r` for the position (the high ones chose the shard).
            let pick = ((r & 0xffff_ffff) as usize) % len;
            let pinned = shard.pin();
            let mut chosen = None;
            for (j, (k, _)) in pinned.iter().enumerate() {
                chosen = Some(k);
                if j >= pick {
                    break;
                }
            }
            if let Some(k) = chosen {
                return Some(k.as_bytes().to_vec());
            }
        }
        None
    }

    /// Calls `f` for every key and its entry (compaction planning, dead-byte accounting after
    /// recovery, flush). Same guarantee as a full [`scan`](Index::scan): every key present
    /// throughout is passed exactly once; concurrent changes may or may not be seen.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &IndexEntry)) {
        for shard in self.shards() {
            for (k, s) in shard.pin().iter() {
                f(k.as_bytes(), &s.unpack());
            }
        }
    }
}

#[cfg(test)]
mod tests;
