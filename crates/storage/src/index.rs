//! The in-memory index (§11): for every live key, where its current record is.
//!
//! An [`Index`] maps a key to an [`IndexEntry`] — data file, offset and length of the record,
//! its seq (§7) and its expiry. It is shared by every thread of the store:
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
//! * **recovery** (one thread, before anything else runs) calls
//!   [`insert_if_newer`](Index::insert_if_newer) and
//!   [`remove_if_older`](Index::remove_if_older), or uses an [`IndexLoader`], which also
//!   remembers tombstones so that files can be loaded in any order.
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
//! ones in one extra heap block), and the entry takes 32 bytes — fid and offset get 48 bits each
//! ([`MAX_FID`], [`MAX_OFFSET`]: 2^48 files, 256 TiB files), the record length 32 bits, seq and
//! expiry 64 bits each. Key and entry together fill a 56-byte block, a 64-byte malloc chunk.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
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

/// Estimated bytes per entry besides heap-allocated key bytes: the 64-byte block holding key
/// and entry, plus table slots (9 bytes each) at a typical load factor (measured, §11).
const BYTES_PER_ENTRY: usize = 64 + 16;

/// Where a key's current record is, and what the index needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndexEntry {
    /// Data file holding the record.
    pub fid: Fid,
    /// Offset of the record (its CRC) in that file.
    pub offset: u64,
    /// Length of the whole record.
    pub len: u32,
    /// Sequence number of the record (§7).
    pub seq: u64,
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

/// A key as stored: up to [`INLINE_KEY_LEN`] bytes inline, otherwise on the heap. 24 bytes.
#[derive(Clone)]
enum Key {
    Inline {
        len: u8,
        bytes: [u8; INLINE_KEY_LEN],
    },
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<Key>() == 24);
const _: () = assert!(std::mem::size_of::<Slot>() == 32);

impl Key {
    fn new(key: &[u8]) -> Key {
        let mut bytes = [0u8; INLINE_KEY_LEN];
        match (bytes.get_mut(..key.len()), u8::try_from(key.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(key);
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(key.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Key::Heap(b) => b,
        }
    }
}

/// Heap bytes a key of this length costs beyond the entry block (an estimate of the malloc
/// chunk: 16-byte granules, 8 bytes of header, 32 at least).
fn heap_key_bytes(len: usize) -> usize {
    if len <= INLINE_KEY_LEN {
        0
    } else {
        len.saturating_add(8).next_multiple_of(16).max(32)
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Must hash exactly like `[u8]`, since lookups are by `&[u8]` (`Borrow`).
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_bytes().escape_ascii().to_string())
    }
}

/// [`IndexEntry`] as stored: 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// Low 32 bits of the fid.
    fid_lo: u32,
    len: u32,
    /// Offset in the low 48 bits, bits 32..48 of the fid in the high 16.
    loc: u64,
    seq: u64,
    /// 0 = no expiry.
    expire: u64,
}

impl Slot {
    fn pack(e: &IndexEntry) -> Slot {
        let fid = e.fid.min(MAX_FID);
        let offset = e.offset.min(MAX_OFFSET);
        Slot {
            fid_lo: fid as u32,
            len: e.len,
            loc: offset | (fid >> 32) << 48,
            seq: e.seq,
            expire: e.expire_at_ms.map_or(0, |t| t.max(1)),
        }
    }

    fn unpack(&self) -> IndexEntry {
        IndexEntry {
            fid: u64::from(self.fid_lo) | (self.loc >> 48) << 32,
            offset: self.loc & MAX_OFFSET,
            len: self.len,
            seq: self.seq,
            expire_at_ms: (self.expire != 0).then_some(self.expire),
        }
    }

    fn is_at(&self, fid: Fid, offset: u64) -> bool {
        let e = self.unpack();
        e.fid == fid && e.offset == offset
    }
}

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

impl Index {
    /// An empty index. Allocates the shard headers and length counters (~0.5 MB in all on 2
    /// CPUs); each shard's table is allocated with its first key (~0.4 KB).
    pub fn new() -> Index {
        let hasher = RandomState::new();
        // One collector for all shards: retired entries are batched per thread, not per shard.
        let collector = Arc::new(seize::Collector::new());
        // Blocking resizes: the writer that fills a shard's table copies it in one go (a shard
        // is 1/SHARDS of the index: ~5 k entries at 5 M keys, tens of µs), while readers keep
        // reading the old table. No resize is left half done for readers and scans to wade
        // through, and the old table is freed at once.
        let new_shard = || {
            papaya::HashMap::builder()
                .hasher(hasher.clone())
                .shared_collector(Arc::clone(&collector))
                .resize_mode(papaya::ResizeMode::Blocking)
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

    /// Recovery: sets the entry for `key` only if there is none or the present one has a
    /// lower seq (§7: the highest seq wins, whatever order files are loaded in). An equal seq
    /// (the same record met twice) keeps the present entry.
    pub fn insert_if_newer(&self, key: &[u8], e: IndexEntry) -> InsertOutcome {
        let new = Slot::pack(&e);
        let pinned = self.shard(key).pin();
        let outcome = pinned.compute(Key::new(key), |cur| match cur {
            Some((_, cur)) if cur.seq >= e.seq => Operation::Abort(*cur),
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
    /// older (lower seq). Returns the removed entry. A tombstone must also hide records of
    /// the key with lower seqs that are loaded *later*; [`IndexLoader`] remembers that.
    pub fn remove_if_older(&self, key: &[u8], seq: u64) -> Option<IndexEntry> {
        self.remove_if(key, |s| s.seq < seq)
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

/// Builds an [`Index`] from records met in **any order** (recovery, §7): the highest seq of a
/// key wins, whether it is a put or a tombstone.
///
/// A tombstone removes the key's older entry at once, but it must also hide an older put of the
/// key that is only met later (in a file loaded after the tombstone's). So while loading, the
/// loader keeps a side map of key → highest tombstone seq; a put whose seq is below its key's
/// tombstone seq is dead on arrival. The side map costs memory only during the load (one entry
/// per deleted key still on disk) and is dropped by [`finish`](IndexLoader::finish).
#[derive(Debug, Default)]
pub struct IndexLoader {
    index: Index,
    tombstones: HashMap<Box<[u8]>, u64>,
    max_seq: u64,
}

impl IndexLoader {
    /// An empty loader.
    pub fn new() -> IndexLoader {
        IndexLoader::default()
    }

    /// A put record (or hint entry) of `key`. Returns what happened to it;
    /// `InsertOutcome::Stale` also when a newer tombstone was met before.
    pub fn put(&mut self, key: &[u8], e: IndexEntry) -> InsertOutcome {
        self.max_seq = self.max_seq.max(e.seq);
        match self.tombstones.get(key) {
            // The outcome's entry is the put itself: there is no entry to name.
            Some(&t) if t > e.seq => InsertOutcome::Stale(e),
            _ => self.index.insert_if_newer(key, e),
        }
    }

    /// A tombstone of `key` with seq `seq`. Returns the entry it removed, if any.
    pub fn delete(&mut self, key: &[u8], seq: u64) -> Option<IndexEntry> {
        self.max_seq = self.max_seq.max(seq);
        match self.tombstones.get_mut(key) {
            Some(t) => *t = (*t).max(seq),
            None => {
                self.tombstones.insert(key.into(), seq);
            }
        }
        self.index.remove_if_older(key, seq)
    }

    /// The highest seq met so far, puts and tombstones alike (for `next_seq`, §7).
    pub fn max_seq(&self) -> u64 {
        self.max_seq
    }

    /// The index built so far.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The finished index; the tombstone side map is dropped.
    pub fn finish(self) -> Index {
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::atomic::AtomicBool;
    use std::thread;

    fn entry(fid: Fid, offset: u64, seq: u64) -> IndexEntry {
        IndexEntry {
            fid,
            offset,
            len: 30,
            seq,
            expire_at_ms: None,
        }
    }

    fn key(i: u64) -> Vec<u8> {
        format!("key:{i:08}").into_bytes()
    }

    #[test]
    fn key_inline_and_heap_round_trip() {
        for len in [0usize, 1, 21, 22, 23, 100, 5000] {
            let k: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let stored = Key::new(&k);
            assert_eq!(stored.as_bytes(), &k[..]);
            assert_eq!(matches!(stored, Key::Inline { .. }), len <= INLINE_KEY_LEN);
            // Hash must agree with [u8]'s for `Borrow` lookups.
            let h = RandomState::new();
            assert_eq!(h.hash_one(&stored), h.hash_one(&k[..]));
        }
    }

    #[test]
    fn slot_round_trips_and_saturates() {
        let cases = [
            entry(1, 24, 1),
            IndexEntry {
                fid: MAX_FID,
                offset: MAX_OFFSET,
                len: u32::MAX,
                seq: u64::MAX,
                expire_at_ms: Some(u64::MAX),
            },
            IndexEntry {
                fid: (1 << 40) + 7,
                offset: (1 << 33) + 5,
                len: 0,
                seq: 0,
                expire_at_ms: Some(1_700_000_000_000),
            },
        ];
        for e in cases {
            assert_eq!(Slot::pack(&e).unpack(), e);
        }
        let big = IndexEntry {
            fid: u64::MAX,
            offset: u64::MAX,
            ..entry(0, 0, 1)
        };
        let back = Slot::pack(&big).unpack();
        assert_eq!((back.fid, back.offset), (MAX_FID, MAX_OFFSET));
        let zero = IndexEntry {
            expire_at_ms: Some(0),
            ..entry(1, 24, 1)
        };
        assert_eq!(Slot::pack(&zero).unpack().expire_at_ms, Some(1));
    }

    #[test]
    fn insert_get_remove() {
        let idx = Index::new();
        assert!(idx.is_empty());
        let long = vec![b'x'; 300];
        for k in [&b""[..], b"a", &long] {
            assert_eq!(idx.insert(k, entry(1, 24, 1)), None);
            assert_eq!(idx.insert(k, entry(2, 48, 2)), Some(entry(1, 24, 1)));
            assert_eq!(idx.get(k), Some(entry(2, 48, 2)));
            assert!(idx.contains_key(k));
        }
        assert_eq!(idx.len(), 3);
        assert!(idx.approx_memory_bytes() >= 3 * 64 + 300);
        assert_eq!(idx.remove(&long), Some(entry(2, 48, 2)));
        assert_eq!(idx.remove(&long), None);
        assert_eq!(idx.get(&long), None);
        assert_eq!(idx.len(), 2);
        idx.clear();
        assert!(idx.is_empty());
        assert_eq!(idx.get(b"a"), None);
    }

    #[test]
    fn insert_if_newer_by_seq() {
        let idx = Index::new();
        assert_eq!(
            idx.insert_if_newer(b"k", entry(3, 100, 5)),
            InsertOutcome::Inserted
        );
        assert_eq!(
            idx.insert_if_newer(b"k", entry(1, 24, 2)),
            InsertOutcome::Stale(entry(3, 100, 5))
        );
        // The same record met twice (equal seq) keeps the first.
        assert_eq!(
            idx.insert_if_newer(b"k", entry(9, 24, 5)),
            InsertOutcome::Stale(entry(3, 100, 5))
        );
        assert_eq!(
            idx.insert_if_newer(b"k", entry(2, 50, 7)),
            InsertOutcome::Replaced(entry(3, 100, 5))
        );
        assert_eq!(idx.get(b"k"), Some(entry(2, 50, 7)));
    }

    #[test]
    fn conditional_removes() {
        let idx = Index::new();
        idx.insert(b"k", entry(2, 50, 7));
        assert_eq!(idx.remove_if_older(b"k", 7), None, "equal seq is not older");
        assert_eq!(idx.remove_if_older(b"k", 3), None);
        assert_eq!(idx.remove_if_at(b"k", 2, 51), None);
        assert_eq!(idx.remove_if_at(b"k", 1, 50), None);
        assert_eq!(idx.remove_if_at(b"k", 2, 50), Some(entry(2, 50, 7)));
        idx.insert(b"k", entry(2, 50, 7));
        assert_eq!(idx.remove_if_older(b"k", 8), Some(entry(2, 50, 7)));
        assert_eq!(idx.remove_if_older(b"missing", 8), None);
        assert!(idx.is_empty());
    }

    #[test]
    fn compare_and_repoint_only_from_the_expected_place() {
        let idx = Index::new();
        let moved = entry(9, 24, 7);
        assert!(
            !idx.compare_and_repoint(b"k", 2, 50, moved),
            "absent key is not created"
        );
        assert_eq!(idx.get(b"k"), None);
        idx.insert(b"k", entry(2, 50, 7));
        assert!(!idx.compare_and_repoint(b"k", 2, 51, moved));
        assert!(!idx.compare_and_repoint(b"k", 3, 50, moved));
        assert_eq!(idx.get(b"k"), Some(entry(2, 50, 7)));
        assert!(idx.compare_and_repoint(b"k", 2, 50, moved));
        assert_eq!(idx.get(b"k"), Some(moved));
        assert!(
            !idx.compare_and_repoint(b"k", 2, 50, entry(10, 24, 7)),
            "already moved"
        );
    }

    /// The compactor's CAS against the writer's unconditional inserts: whatever the
    /// interleaving, a CAS only ever copies the entry it read, so each key ends with the seq
    /// of its last write — a copy never hides a newer write.
    #[test]
    fn cas_races_with_writer() {
        let idx = Arc::new(Index::new());
        let keys = 200u64;
        for i in 0..keys {
            idx.insert(&key(i), entry(1, i * 100 + 24, i + 1));
        }
        let writer = {
            let idx = Arc::clone(&idx);
            thread::spawn(move || {
                let mut last: Vec<u64> = (1..=keys).collect();
                let mut seq = keys + 1;
                for round in 0..20u64 {
                    for i in (0..keys).filter(|i| (i + round) % 3 == 0) {
                        idx.insert(&key(i), entry(5, seq * 100, seq));
                        last[i as usize] = seq;
                        seq += 1;
                    }
                }
                last
            })
        };
        let mut moved = 0;
        for round in 0..20u64 {
            for i in 0..keys {
                let Some(cur) = idx.get(&key(i)) else {
                    continue;
                };
                // A "compaction output" fid 1000 + round, keeping the record's seq.
                let new = IndexEntry {
                    fid: 1000 + round,
                    offset: i * 100 + 24,
                    ..cur
                };
                if idx.compare_and_repoint(&key(i), cur.fid, cur.offset, new) {
                    moved += 1;
                }
            }
        }
        let last = writer.join().unwrap();
        assert!(moved > 0);
        for i in 0..keys {
            assert_eq!(idx.get(&key(i)).unwrap().seq, last[i as usize], "key {i}");
        }
    }

    #[test]
    fn readers_see_old_or_new_never_nothing() {
        let idx = Arc::new(Index::new());
        let keys = 2_000u64;
        for i in 0..keys {
            idx.insert(&key(i), entry(1, 24, 1));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (idx, stop) = (Arc::clone(&idx), Arc::clone(&stop));
                thread::spawn(move || {
                    let mut reads = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for i in 0..keys {
                            let e = idx.get(&key(i)).expect("a key present throughout");
                            assert_eq!(e.offset, e.seq * 10 + 14, "torn entry {e:?}");
                            reads += 1;
                        }
                    }
                    reads
                })
            })
            .collect();
        // Overwrite existing keys and insert many new ones (forcing resizes) meanwhile.
        let mut seq = 1;
        for round in 0..5u64 {
            for i in 0..keys {
                seq += 1;
                idx.insert(
                    &key(i),
                    IndexEntry {
                        fid: 2,
                        offset: seq * 10 + 14,
                        len: 1,
                        seq,
                        expire_at_ms: None,
                    },
                );
            }
            for j in 0..4_000u64 {
                idx.insert(&key(keys + round * 4_000 + j), entry(3, 24, 1));
            }
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
        assert_eq!(idx.len() as u64, keys + 5 * 4_000);
    }

    #[test]
    fn scan_visits_every_key_once() {
        let idx = Index::new();
        for i in 0..5_000u64 {
            idx.insert(&key(i), entry(1, 24, i + 1));
        }
        for count in [1usize, 10, 1000, usize::MAX] {
            let mut seen = Vec::new();
            let mut cursor = 0;
            let mut steps = 0;
            loop {
                let before = seen.len();
                cursor = idx.scan(cursor, count, |k, e| seen.push((k.to_vec(), *e)));
                steps += 1;
                if cursor == 0 {
                    break;
                }
                assert!(
                    seen.len() - before >= count,
                    "a step passes at least `count` keys"
                );
            }
            assert!(steps <= SHARDS);
            assert_eq!(seen.len(), 5_000);
            let set: HashSet<_> = seen.iter().map(|(k, _)| k.clone()).collect();
            assert_eq!(set.len(), 5_000);
            for (k, e) in &seen {
                assert_eq!(idx.get(k), Some(*e));
            }
        }
        assert_eq!(
            idx.scan(SHARDS as u64, 10, |_, _| panic!("nothing after the end")),
            0
        );
        assert_eq!(Index::new().scan(0, 10, |_, _| panic!("empty")), 0);
    }

    #[test]
    fn scan_complete_under_concurrent_inserts_and_removes() {
        let idx = Arc::new(Index::new());
        let stable = 3_000u64;
        for i in 0..stable {
            idx.insert(&key(i), entry(1, 24, 1));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let rounds = Arc::new(AtomicU64::new(0));
        let writer = {
            let (idx, stop, rounds) = (Arc::clone(&idx), Arc::clone(&stop), Arc::clone(&rounds));
            thread::spawn(move || {
                // Other keys come and go while the scans run: the tables grow and fill with
                // tombstones, so they are resized (copied) under the scan's feet.
                while !stop.load(Ordering::Relaxed) {
                    for j in stable..stable + 8_000 {
                        idx.insert(&key(j), entry(2, 24, 1));
                    }
                    for j in stable..stable + 8_000 {
                        idx.remove(&key(j));
                    }
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let mut scans = 0;
        while scans < 3 || rounds.load(Ordering::Relaxed) < 2 {
            scans += 1;
            let mut seen = HashSet::new();
            let mut cursor = 0;
            loop {
                cursor = idx.scan(cursor, 7, |k, _| {
                    seen.insert(k.to_vec());
                });
                if cursor == 0 {
                    break;
                }
                thread::yield_now();
            }
            for i in 0..stable {
                assert!(seen.contains(&key(i)), "scan missed a stable key {i}");
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
    }

    #[test]
    fn for_each_and_random_key() {
        let idx = Index::new();
        assert_eq!(idx.random_key(), None);
        for i in 0..3_000u64 {
            idx.insert(&key(i), entry(1, 24, i + 1));
        }
        let mut n = 0;
        idx.for_each(|k, e| {
            assert_eq!(idx.get(k), Some(*e));
            n += 1;
        });
        assert_eq!(n, 3_000);
        let mut distinct = HashSet::new();
        for _ in 0..500 {
            let k = idx.random_key().unwrap();
            assert!(idx.get(&k).is_some());
            distinct.insert(k);
        }
        assert!(
            distinct.len() > 400,
            "random_key is far from uniform: {}",
            distinct.len()
        );
        idx.clear();
        idx.insert(b"only", entry(1, 24, 1));
        assert_eq!(idx.random_key().as_deref(), Some(&b"only"[..]));
    }

    #[test]
    fn shards_are_balanced() {
        let idx = Index::new();
        let mut counts = vec![0usize; SHARDS];
        for i in 0..(SHARDS as u64 * 64) {
            counts[idx.shard_index(&key(i))] += 1;
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(
            *min > 20 && *max < 120,
            "shard sizes {min}..{max} for a mean of 64"
        );
    }

    #[test]
    fn loader_any_order() {
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
        for order in orders {
            let mut loader = IndexLoader::new();
            for (k, seq, tomb) in &order {
                if *tomb {
                    loader.delete(k, *seq);
                } else {
                    loader.put(k, entry(1, 24 + seq, *seq));
                }
            }
            assert_eq!(loader.max_seq(), 7);
            let idx = loader.finish();
            assert_eq!(idx.get(b"a"), None, "{order:?}");
            assert_eq!(idx.get(b"b"), Some(entry(1, 30, 6)), "{order:?}");
            assert_eq!(idx.get(b"c"), None, "{order:?}");
            assert_eq!(idx.len(), 1);
        }
    }

    #[test]
    fn index_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Index>();
    }
}
