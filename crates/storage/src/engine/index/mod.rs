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
//! # The structure, and why
//!
//! Built here, not taken from a crate (storage-engine §11.1 has the measurements): the index is
//! split into [`SHARDS`] shards by the top bits of a key's hash, and each shard is one
//! open-addressing table (`table.rs`) — buckets of eight 32-bit references and a word of
//! 8-bit tags — over an **arena** holding each key's entry and key bytes in one run of 8-byte
//! words (`record.rs`). There is no allocation per key: a 16-byte key costs a 32-byte run plus
//! a 5-byte slot, where a concurrent map crate (`papaya`, the previous index) cost a 64-byte
//! heap block per entry, a 9-byte slot, and an epoch-reclaimed copy of the block on every
//! overwrite. A lookup is one hash, one bucket and one run.
//!
//! Reads stay **lock-free** in the common case: a shard's writer changes its table inside a
//! per-table seqlock, and grows it by building a new table and publishing it through an atomic
//! pointer with epoch reclamation (`published.rs`, `shard.rs`); readers validate and retry.
//! Writers of a shard (the store's writer, the compactor, recovery) take the shard's mutex,
//! which only the compactor's rare repoints ever contend.
//!
//! The shards also serve [`scan`](Index::scan): the SCAN cursor is a shard number (see
//! [`scan`](Index::scan) for the guarantee).
//!
//! The record's seq (§7) is **not** kept: only recovery needs it, to decide which of two
//! records of a key met in any file order is newer, and it reads the present entry's seq from
//! its record in the mapped file then (`insert_if_newer` and `remove_if_older` take a
//! `seq_of` function). At run time the writer's order is the commit order and the compactor
//! compares locations, so 8 bytes per key are saved for the life of the store.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::format::Fid;

/// log2 of [`SHARDS`].
const SHARD_BITS: u32 = 10;

/// Number of shards the index is split into; a SCAN step returns at least one whole shard.
pub const SHARDS: usize = 1 << SHARD_BITS;

/// Largest fid the index can store (2^32 − 1: a file a second for 136 years). Larger fids are
/// stored as `MAX_FID`, which is never a live file, so a read through such an entry fails
/// instead of returning wrong data.
pub const MAX_FID: Fid = (1 << 32) - 1;

/// Largest record offset the index can store (256 TiB − 1); larger ones are stored as
/// `MAX_OFFSET`, past the end of any file, with the same effect as for [`MAX_FID`].
pub const MAX_OFFSET: u64 = (1 << 48) - 1;

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

mod published;
mod record;
mod shard;
mod table;

use shard::{Change, Collected, Env, Locked, Shard};

/// A key's hash in one [`Index`] ([`Index::hash`]); meaningless in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHash(u64);

/// What [`Index::prefetch`] loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefetchStage {
    /// The key's bucket.
    Bucket,
    /// The key's run (reads the bucket: prefetch it first).
    Run,
}

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
    env: Env,
    /// State of the generator behind [`random_key`](Index::random_key).
    random: AtomicU64,
    /// Bytes of the index besides its tables (the shard headers).
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

impl Index {
    /// An empty index: [`SHARDS`] shard headers and one-bucket tables (~100 KB in all); a
    /// shard's arena is allocated with its first key.
    pub fn new() -> Index {
        Index::with_capacity(0)
    }

    /// An empty index with buckets for about `keys` keys before any table's slots run out.
    /// Recovery sizes it from the record counts of the files it loads (storage-engine §11.5);
    /// the arenas still grow with the keys, since their sizes depend on the key lengths.
    pub fn with_capacity(keys: usize) -> Index {
        // Shards fill evenly (the hash is seeded), plus a margin for the spread.
        let per_shard = if keys == 0 {
            0
        } else {
            let even = keys.div_ceil(SHARDS);
            even.saturating_add(even / 8).saturating_add(16)
        };
        let first = Shard::new(per_shard);
        let rest: Box<[Shard]> = (1..SHARDS).map(|_| Shard::new(per_shard)).collect();
        let hasher = RandomState::new();
        let seed = hasher.hash_one(0x6b76_735f_696e_6478_u64);
        let env = Env {
            hasher,
            collector: published::collector(),
            bytes: AtomicUsize::new(0),
        };
        let tables = first.bytes(&env) + rest.iter().map(|s| s.bytes(&env)).sum::<usize>();
        env.bytes.store(tables, Ordering::Relaxed);
        Index {
            first,
            rest,
            env,
            random: AtomicU64::new(seed),
            fixed_bytes: SHARDS * std::mem::size_of::<Shard>(),
        }
    }

    /// The shard of a key with hash `h`: its top [`SHARD_BITS`] bits.
    fn shard_index(h: u64) -> usize {
        (h >> (64 - SHARD_BITS)) as usize
    }

    /// Shard `i`; `i` is always < [`SHARDS`] here (the fallback cannot be taken, and would
    /// still be deterministic).
    fn shard_at(&self, i: usize) -> &Shard {
        i.checked_sub(1)
            .and_then(|j| self.rest.get(j))
            .unwrap_or(&self.first)
    }

    fn shards(&self) -> impl Iterator<Item = &Shard> {
        std::iter::once(&self.first).chain(self.rest.iter())
    }

    /// Which of the [`SHARDS`] shards `key` belongs to (`0..SHARDS`). Stable for the life of
    /// this index (the hash is seeded per index). Recovery splits keys between its threads by
    /// it, so that every key is loaded by exactly one thread.
    pub fn shard_of(&self, key: &[u8]) -> usize {
        Self::shard_index(self.env.hash(key))
    }

    /// The key's hash and shard.
    fn locate(&self, key: &[u8]) -> (u64, &Shard) {
        let h = self.env.hash(key);
        (h, self.shard_at(Self::shard_index(h)))
    }

    /// Applies `decide` to `key`'s entry in its shard (see [`Shard::update`]).
    fn update(
        &self,
        key: &[u8],
        decide: impl FnOnce(Option<&IndexEntry>) -> Change,
    ) -> (Option<IndexEntry>, bool) {
        self.update_hashed(key, self.hash(key), decide)
    }

    fn update_hashed(
        &self,
        key: &[u8],
        h: KeyHash,
        decide: impl FnOnce(Option<&IndexEntry>) -> Change,
    ) -> (Option<IndexEntry>, bool) {
        self.shard_at(Self::shard_index(h.0))
            .update(key, h.0, &self.env, decide)
    }

    /// `key`'s hash in this index, for the `_hashed` methods and [`prefetch`](Index::prefetch):
    /// a caller touching many keys at once hashes each one once.
    pub fn hash(&self, key: &[u8]) -> KeyHash {
        KeyHash(self.env.hash(key))
    }

    /// Starts loading the memory a lookup or write of a key with hash `h` will touch, in two
    /// stages: [`PrefetchStage::Bucket`] its bucket; [`PrefetchStage::Run`] (once the bucket has
    /// arrived) the key's run. A batch of keys then waits for memory about once, not twice per
    /// key: the writer prefetches a batch's buckets before its `pwrite` and the runs after.
    /// Only a hint: changes nothing, never blocks, costs a few ns.
    pub fn prefetch(&self, h: KeyHash, stage: PrefetchStage) {
        let shard = self.shard_at(Self::shard_index(h.0));
        match stage {
            PrefetchStage::Bucket => shard.prefetch_bucket(h.0, &self.env),
            PrefetchStage::Run => shard.prefetch_runs(h.0, &self.env),
        }
    }

    /// [`get`](Index::get) with the key's [`hash`](Index::hash) known.
    pub fn get_hashed(&self, key: &[u8], h: KeyHash) -> Option<IndexEntry> {
        self.shard_at(Self::shard_index(h.0))
            .get(key, h.0, &self.env)
    }

    /// [`insert`](Index::insert) with the key's [`hash`](Index::hash) known.
    pub fn insert_hashed(&self, key: &[u8], h: KeyHash, e: IndexEntry) -> Option<IndexEntry> {
        self.update_hashed(key, h, |_| Change::Put(e)).0
    }

    /// [`remove`](Index::remove) with the key's [`hash`](Index::hash) known.
    pub fn remove_hashed(&self, key: &[u8], h: KeyHash) -> Option<IndexEntry> {
        self.update_hashed(key, h, |_| Change::Remove).0
    }

    /// The entry for `key`, if any. Lock-free (see the module docs).
    pub fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        let (h, shard) = self.locate(key);
        shard.get(key, h, &self.env)
    }

    /// Whether `key` has an entry. Lock-free.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Sets the entry for `key` unconditionally (the writer: its seq order is the commit
    /// order). Returns the entry it replaced, whose record is now dead.
    pub fn insert(&self, key: &[u8], e: IndexEntry) -> Option<IndexEntry> {
        self.update(key, |_| Change::Put(e)).0
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
        let (cur, changed) = self.update(key, put_if_newer(e, seq, seq_of));
        outcome(cur, changed)
    }

    /// Removes `key` unconditionally (the writer: a delete). Returns the removed entry.
    pub fn remove(&self, key: &[u8]) -> Option<IndexEntry> {
        self.update(key, |_| Change::Remove).0
    }

    /// Removes `key` if its entry satisfies `pred`; returns the removed entry.
    fn remove_if(&self, key: &[u8], pred: impl FnOnce(&IndexEntry) -> bool) -> Option<IndexEntry> {
        match self.update(key, |cur| match cur {
            Some(cur) if pred(cur) => Change::Remove,
            _ => Change::Keep,
        }) {
            (Some(old), true) => Some(old),
            _ => None,
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
        self.remove_if(key, |e| seq_of(e) < seq)
    }

    /// Recovery: removes `key` if its entry has length 0 — a tombstone placeholder of the
    /// loader (`loader.rs`); real records are never that short. Returns whether it did.
    pub(crate) fn remove_if_len_zero(&self, key: &[u8]) -> bool {
        self.remove_if(key, |e| e.len == 0).is_some()
    }

    /// The compactor: removes `key` only if its entry still points at `(fid, offset)` (an
    /// expired record being dropped). A concurrent write wins. Returns the removed entry.
    pub fn remove_if_at(&self, key: &[u8], fid: Fid, offset: u64) -> Option<IndexEntry> {
        self.remove_if(key, |e| is_at(e, fid, offset))
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
        self.update(key, |cur| match cur {
            Some(cur) if is_at(cur, old_fid, old_offset) => Change::Put(new),
            _ => Change::Keep,
        })
        .1
    }

    /// Recovery: makes room in shard `shard` (see [`shard_of`](Index::shard_of)) for `keys`
    /// keys whose entries take `words` arena words in all ([`entry_words`](Index::entry_words)),
    /// so that loading them rebuilds its table once, not every time it fills. Call
    /// [`fit_shard`](Index::fit_shard) after loading it.
    pub(crate) fn reserve_shard(&self, shard: usize, keys: usize, words: usize) {
        self.shard_at(shard).reserve(keys, words, &self.env);
    }

    /// Recovery: holds shard `shard`'s lock for a run of inserts of its keys
    /// ([`ShardWriter::insert_if_newer`]), so that loading a shard takes its lock once, not
    /// once per key. Every other write to the shard waits meanwhile: hold it only while
    /// loading that shard, and never two at once on one thread.
    pub(crate) fn shard_writer(&self, shard: usize) -> ShardWriter<'_> {
        let shard_ref = self.shard_at(shard);
        ShardWriter {
            index: self,
            shard,
            locked: shard_ref.locked(&self.env),
        }
    }

    /// Recovery: trims what [`reserve_shard`](Index::reserve_shard) over-estimated.
    pub(crate) fn fit_shard(&self, shard: usize) {
        self.shard_at(shard).fit(&self.env);
    }

    /// Arena words the entry of a key of `key_len` bytes takes (without an expiry).
    pub(crate) fn entry_words(key_len: usize) -> usize {
        record::words_for(key_len, false)
    }

    /// Bytes of memory the entry of a key of `key_len` bytes takes: its run in the arena and
    /// its slot in a bucket (a 32-bit reference and an 8-bit tag). For MEMORY USAGE.
    pub fn entry_memory(key_len: usize) -> usize {
        Self::entry_words(key_len) * 8 + 5
    }

    /// Number of keys. Sums the shards' counters: exact when no write is in flight.
    pub fn len(&self) -> usize {
        self.shards().map(Shard::len).sum()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.shards().all(|s| s.len() == 0)
    }

    /// Removes every key (FLUSHALL). Concurrent inserts may survive it.
    pub fn clear(&self) {
        for s in self.shards() {
            s.clear(&self.env);
        }
    }

    /// Memory used by the index, in bytes: its tables (buckets and arenas, counted as they are
    /// allocated) and shard headers. The allocator's own overhead is not included.
    pub fn approx_memory_bytes(&self) -> usize {
        self.env
            .bytes
            .load(Ordering::Relaxed)
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
    /// Guarantee: every key present in the index for the whole scan is passed **exactly
    /// once**: a key's shard never changes, each shard is visited once, and a shard's keys
    /// are read from one consistent view of it. Keys inserted or removed during the scan may
    /// or may not be passed. A cursor ≥ [`SHARDS`] (never returned) ends the scan at once.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&[u8], &IndexEntry)) -> u64 {
        let mut i = usize::try_from(cursor).unwrap_or(usize::MAX);
        let mut passed = 0usize;
        let mut buf = Collected::default();
        while i < SHARDS {
            self.shard_at(i).collect(&mut buf, &self.env);
            for (k, e) in buf.iter() {
                f(k, e);
            }
            passed = passed.saturating_add(buf.len());
            i = i.saturating_add(1);
            if passed >= count {
                break;
            }
        }
        if i >= SHARDS { 0 } else { i as u64 }
    }

    /// A random key (RANDOMKEY), or `None` if the index is empty. Picks a random shard, then
    /// the first key at or after a random slot of it (skipping to the next shard if it is
    /// empty): close to uniform, since the hash spreads keys evenly over shards and slots.
    pub fn random_key(&self) -> Option<Vec<u8>> {
        let r = mix64(
            self.random
                .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed),
        );
        let start = (r >> (64 - SHARD_BITS)) as usize;
        (0..SHARDS).find_map(|step| {
            self.shard_at((start + step) % SHARDS)
                .random_key(r & 0xffff_ffff, &self.env)
        })
    }

    /// Calls `f` for every key and its entry (compaction planning, dead-byte accounting after
    /// recovery, flush). Same guarantee as a full [`scan`](Index::scan): every key present
    /// throughout is passed exactly once; concurrent changes may or may not be seen.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], &IndexEntry)) {
        let mut buf = Collected::default();
        for shard in self.shards() {
            shard.collect(&mut buf, &self.env);
            for (k, e) in buf.iter() {
                f(k, e);
            }
        }
    }

    /// Calls `f` for every entry, without its key — what [`for_each`](Index::for_each) does at
    /// a fraction of the cost when the keys are not needed (the compactor's dead-byte count of
    /// expired records). Same guarantee.
    pub fn for_each_entry(&self, mut f: impl FnMut(&IndexEntry)) {
        let mut buf = Vec::new();
        for shard in self.shards() {
            shard.collect_entries(&mut buf, &self.env);
            buf.iter().for_each(&mut f);
        }
    }
}

/// One shard's lock held for recovery's inserts ([`Index::shard_writer`]).
pub(crate) struct ShardWriter<'a> {
    index: &'a Index,
    shard: usize,
    locked: Locked<'a>,
}

impl ShardWriter<'_> {
    /// [`Index::insert_if_newer`] for a key of this writer's shard. `None`, and nothing done,
    /// if the key belongs to another shard: the caller then drops this writer (its lock) and
    /// uses [`Index::insert_if_newer`] — never holding two shards' locks.
    pub(crate) fn insert_if_newer(
        &mut self,
        key: &[u8],
        e: IndexEntry,
        seq: u64,
        seq_of: impl Fn(&IndexEntry) -> u64,
    ) -> Option<InsertOutcome> {
        let h = self.index.env.hash(key);
        if Index::shard_index(h) != self.shard {
            return None;
        }
        let (cur, changed) = self.locked.update(key, h, put_if_newer(e, seq, seq_of));
        Some(outcome(cur, changed))
    }
}

/// Recovery's rule (§7): put `e` (a record with seq `seq`) unless the present entry's record,
/// as `seq_of` tells, is not older.
fn put_if_newer(
    e: IndexEntry,
    seq: u64,
    seq_of: impl Fn(&IndexEntry) -> u64,
) -> impl FnOnce(Option<&IndexEntry>) -> Change {
    move |cur| match cur {
        Some(cur) if seq_of(cur) >= seq => Change::Keep,
        _ => Change::Put(e),
    }
}

/// What an `insert_if_newer` did, from the entry it found and whether it changed it.
fn outcome(cur: Option<IndexEntry>, changed: bool) -> InsertOutcome {
    match (cur, changed) {
        (None, _) => InsertOutcome::Inserted,
        (Some(old), true) => InsertOutcome::Replaced(old),
        (Some(cur), false) => InsertOutcome::Stale(cur),
    }
}

/// Whether `e` points at `(fid, offset)` as the index stores them (saturated; see
/// [`MAX_FID`]).
fn is_at(e: &IndexEntry, fid: Fid, offset: u64) -> bool {
    e.fid == fid.min(MAX_FID) && e.offset == offset.min(MAX_OFFSET)
}

#[cfg(test)]
mod tests;
