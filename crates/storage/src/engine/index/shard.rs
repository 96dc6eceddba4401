//! One shard of the index (storage-engine §11.1): its current [`Table`], published to readers
//! (`published.rs`), and the writer's lock and fill marks.
//!
//! **Writes** (the store's writer, the compactor, recovery's loaders) take the shard's mutex —
//! in practice uncontended: one writer thread, and the compactor's rare repoints — and change
//! the current table in place inside its seqlock, or build a bigger (or compacted) table and
//! publish it.
//!
//! **Reads** take no lock: load the current table (an epoch guard keeps it alive), note
//! its seq, read, and check the seq again; a changed or odd seq means a write overlapped, and
//! the read is retried. A table that has been replaced is never written again, so a reader
//! that finishes on it saw the shard as it was when it was replaced. A reader that keeps
//! overlapping writes (a key rewritten hundreds of thousands of times a second in a shard a
//! SCAN step is walking) takes the mutex after [`OPTIMISTIC_TRIES`] tries, so it always ends.

use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::sync::{Mutex, MutexGuard, PoisonError};

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

use seize::{Collector, LocalGuard};

use super::IndexEntry;
use super::published::Published;
use super::record::{self, Torn};
use super::table::{MAX_ARENA_WORDS, Table, tag_of};

/// Lock-free tries of a read before it takes the shard's mutex.
const OPTIMISTIC_TRIES: usize = 64;

/// Smallest arena a shard allocates, in words.
const MIN_ARENA_WORDS: usize = 32;

/// What a write does with a key, decided from its present entry ([`Shard::update`]).
pub(super) enum Change {
    /// Nothing.
    Keep,
    /// Set the entry.
    Put(IndexEntry),
    /// Remove the key.
    Remove,
}

/// What the shards share: the hasher (a table being rebuilt hashes its keys again) and the
/// index's memory counter.
pub(super) struct Env {
    pub(super) hasher: RandomState,
    /// Reclaims the tables the shards replace (published.rs).
    pub(super) collector: Collector,
    /// Heap bytes of all shards' tables.
    pub(super) bytes: AtomicUsize,
}

impl Env {
    /// The hash of `key`: its top bits choose the shard, the next the tag, the low ones the
    /// bucket (SipHash-1-3 with a per-index random key, as Redis uses SipHash for its dicts:
    /// clients choose the keys).
    pub(super) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }
}

/// What a rebuilt table must make room for ([`Shard::rebuild`]).
struct Need {
    /// Arena words beyond the live runs.
    words: usize,
    /// Keys beyond the live ones.
    keys: usize,
    /// Whether the buckets may shrink (after removals).
    may_shrink: bool,
    /// Size the arena to the need (recovery knows it), instead of half again for growth.
    exact: bool,
}

/// A shard with its lock held and an epoch guard entered ([`Shard::locked`]).
pub(super) struct Locked<'a> {
    shard: &'a Shard,
    fill: MutexGuard<'a, Fill>,
    guard: LocalGuard<'a>,
    env: &'a Env,
}

impl Locked<'_> {
    /// [`Shard::update`], under the lock already held.
    pub(super) fn update(
        &mut self,
        key: &[u8],
        h: u64,
        decide: impl FnOnce(Option<&IndexEntry>) -> Change,
    ) -> (Option<IndexEntry>, bool) {
        let Locked {
            shard,
            fill,
            guard,
            env,
        } = self;
        shard.update_locked(fill, guard, key, h, env, decide)
    }
}

/// The writer's bookkeeping, under the shard's mutex.
#[derive(Default)]
struct Fill {
    /// Arena words handed out (runs live and dead).
    used: usize,
    /// Words of runs no slot points at any more (removed keys, moved entries).
    dead: usize,
    /// Slots live or `DELETED`.
    occupied: usize,
}

/// See the module docs.
pub(super) struct Shard {
    table: Published,
    writer: Mutex<Fill>,
    live: AtomicUsize,
}

/// Starts a write on `t` (odd seq); the writer holds the shard's mutex.
fn begin(t: &Table) -> u64 {
    let s = t.seq.load(Ordering::Relaxed);
    t.seq.store(s.wrapping_add(1), Ordering::Relaxed);
    // Orders the odd seq before the data stores that follow (readers pair it with their
    // acquire fence before re-reading the seq).
    fence(Ordering::Release);
    s
}

/// Ends the write started by [`begin`].
fn end(t: &Table, s: u64) {
    t.seq.store(s.wrapping_add(2), Ordering::Release);
}

/// Buckets for `keys` keys: a power of two, at most 3/4 of the slots used, so that a table
/// built for them takes a quarter more keys before it is rebuilt.
fn buckets_for(keys: usize) -> usize {
    keys.saturating_mul(4)
        .div_ceil(3 * super::table::SLOTS)
        .max(1)
        .next_power_of_two()
}

impl Shard {
    /// An empty shard, with buckets for `keys` keys.
    pub(super) fn new(keys: usize) -> Shard {
        Shard {
            table: Published::new(Table::new(buckets_for(keys), 0)),
            writer: Mutex::new(Fill::default()),
            live: AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Fill> {
        // The writer keeps the table consistent between its steps, so a panic elsewhere while
        // the lock was held leaves nothing half done that poisoning would guard.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts loading the bucket of hash `h` (see `Index::prefetch`).
    pub(super) fn prefetch_bucket(&self, h: u64, env: &Env) {
        self.table.load(&env.collector.enter()).prefetch_bucket(h);
    }

    /// Starts loading the run(s) the bucket of hash `h` points at with its tag.
    pub(super) fn prefetch_runs(&self, h: u64, env: &Env) {
        self.table.load(&env.collector.enter()).prefetch_runs(h);
    }

    /// Heap bytes of the current table.
    pub(super) fn bytes(&self, env: &Env) -> usize {
        self.table.load(&env.collector.enter()).bytes()
    }

    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Runs `f` on a consistent view of the table: optimistically, validated by the seqlock,
    /// then under the mutex (see the module docs). `None` only if `f` fails under the mutex,
    /// which a consistent table does not make it do.
    pub(super) fn read<R>(
        &self,
        env: &Env,
        mut f: impl FnMut(&Table) -> Result<R, Torn>,
    ) -> Option<R> {
        let guard = env.collector.enter();
        for _ in 0..OPTIMISTIC_TRIES {
            let t = self.table.load(&guard);
            let s = t.seq.load(Ordering::Acquire);
            if s & 1 == 0 {
                let r = f(t);
                fence(Ordering::Acquire);
                if t.seq.load(Ordering::Relaxed) == s
                    && let Ok(r) = r
                {
                    return Some(r);
                }
            }
            std::hint::spin_loop();
        }
        let _w = self.lock();
        f(self.table.load(&guard)).ok()
    }

    /// The entry of `key` (hash `h`).
    pub(super) fn get(&self, key: &[u8], h: u64, env: &Env) -> Option<IndexEntry> {
        self.read(env, |t| match t.find(key, h)? {
            Some(found) => record::read_entry(&t.arena, found.at).map(Some),
            None => Ok(None),
        })
        .flatten()
    }

    /// Applies `decide`'s [`Change`] to `key` (hash `h`), given its present entry, atomically
    /// for the key. Returns the present entry and whether anything changed.
    pub(super) fn update(
        &self,
        key: &[u8],
        h: u64,
        env: &Env,
        decide: impl FnOnce(Option<&IndexEntry>) -> Change,
    ) -> (Option<IndexEntry>, bool) {
        let mut fill = self.lock();
        let guard = env.collector.enter();
        self.update_locked(&mut fill, &guard, key, h, env, decide)
    }

    /// Holds the shard's lock (and an epoch guard) for a run of [`Locked::update`]s: recovery
    /// loads a shard's keys through one, instead of locking once per key.
    pub(super) fn locked<'a>(&'a self, env: &'a Env) -> Locked<'a> {
        Locked {
            shard: self,
            fill: self.lock(),
            guard: env.collector.enter(),
            env,
        }
    }

    /// [`update`](Self::update) with the lock held (`fill`) and `guard` entered.
    fn update_locked(
        &self,
        fill: &mut Fill,
        guard: &LocalGuard<'_>,
        key: &[u8],
        h: u64,
        env: &Env,
        decide: impl FnOnce(Option<&IndexEntry>) -> Change,
    ) -> (Option<IndexEntry>, bool) {
        // Only this thread may replace the table while it holds the lock; every table it
        // meets lives as long as `guard` (published.rs).
        let mut t = self.table.load(guard);
        let found = t.find(key, h).ok().flatten();
        let cur = found.and_then(|f| record::read_entry(&t.arena, f.at).ok());
        match (decide(cur.as_ref()), found) {
            (Change::Keep, _) | (Change::Remove, None) => (cur, false),
            (Change::Put(e), Some(found)) => {
                let s = begin(t);
                let in_place = record::set_entry(&t.arena, found.at, &e) == Ok(true);
                end(t, s);
                if !in_place {
                    // It gains a TTL: a new run with the expiry word.
                    let old_words = record::words_at(&t.arena, found.at).unwrap_or(0);
                    let need = record::words_for(key.len(), true);
                    t = self.room(fill, t, need, 0, env, guard);
                    let Ok(Some(found)) = t.find(key, h) else {
                        tracing::error!("index: key lost while its shard was rebuilt");
                        return (cur, false);
                    };
                    let at = fill.used;
                    fill.used += record::write(&t.arena, at, key, &e, true);
                    let s = begin(t);
                    t.repoint_slot(found.bucket, found.slot, at);
                    end(t, s);
                    fill.dead += old_words;
                }
                (cur, true)
            }
            (Change::Put(e), None) => {
                let with_expiry = e.expire_at_ms.is_some();
                let need = record::words_for(key.len(), with_expiry);
                t = self.room(fill, t, need, 1, env, guard);
                let Some((bucket, slot, reused)) = t.free_slot(h) else {
                    tracing::error!("index: no free slot after making room");
                    return (cur, false);
                };
                let at = fill.used;
                fill.used += record::write(&t.arena, at, key, &e, with_expiry);
                let s = begin(t);
                t.fill_slot(bucket, slot, tag_of(h), at);
                end(t, s);
                if !reused {
                    fill.occupied += 1;
                }
                self.live.fetch_add(1, Ordering::Relaxed);
                (None, true)
            }
            (Change::Remove, Some(found)) => {
                let words = record::words_at(&t.arena, found.at).unwrap_or(0);
                let s = begin(t);
                let emptied = t.free(found.bucket, found.slot);
                end(t, s);
                if emptied {
                    fill.occupied = fill.occupied.saturating_sub(1);
                }
                fill.dead += words;
                self.live.fetch_sub(1, Ordering::Relaxed);
                // Give memory back once most of the arena is dead.
                if fill.dead > t.arena.len() / 2 && t.arena.len() > 4 * MIN_ARENA_WORDS {
                    self.rebuild(
                        fill,
                        t,
                        Need {
                            words: 0,
                            keys: 0,
                            may_shrink: true,
                            exact: false,
                        },
                        env,
                        guard,
                    );
                }
                (cur, true)
            }
        }
    }

    /// Makes room for a run of `words` words and `keys` more slots: `t` if it has it,
    /// otherwise a rebuilt table (published) that has.
    fn room<'g>(
        &self,
        fill: &mut Fill,
        t: &'g Table,
        words: usize,
        keys: usize,
        env: &Env,
        guard: &'g LocalGuard<'_>,
    ) -> &'g Table {
        if fill.used + words <= t.arena.len() && fill.occupied + keys <= t.max_occupied() {
            return t;
        }
        let need = Need {
            words,
            keys,
            may_shrink: false,
            exact: false,
        };
        self.rebuild(fill, t, need, env, guard)
    }

    /// Builds and publishes a table for the live keys plus `words` more arena words and `keys`
    /// more keys. The arena gets half again what is needed (so a rebuild copies each run about
    /// twice over a shard's growth). The bucket count changes only when the slots are full
    /// (of live or `DELETED` slots) or, with `may_shrink`, when the live keys would fit in a
    /// quarter of the buckets; otherwise the bucket layout is copied and only references
    /// change, and no key is hashed again.
    fn rebuild<'g>(
        &self,
        fill: &mut Fill,
        old: &'g Table,
        need: Need,
        env: &Env,
        guard: &'g LocalGuard<'_>,
    ) -> &'g Table {
        let live = self.live.load(Ordering::Relaxed);
        let need_words = fill
            .used
            .saturating_sub(fill.dead)
            .saturating_add(need.words);
        let slack = if need.exact {
            need_words / 16
        } else {
            need_words / 2
        };
        let arena = need_words
            .saturating_add(slack)
            .clamp(MIN_ARENA_WORDS, MAX_ARENA_WORDS);
        let slots_full = fill.occupied + need.keys > old.max_occupied();
        let fitting = buckets_for(live + need.keys);
        let shrink = need.may_shrink && fitting.saturating_mul(4) <= old.bucket_count();
        let rehash = slots_full || shrink;
        let buckets = if rehash { fitting } else { old.bucket_count() };
        let (new, used) = match old.rebuilt(buckets, arena, rehash, |k| env.hash(k)) {
            Ok(built) => built,
            Err(Torn) => {
                // Unreachable: the writer reads a table no one else writes.
                tracing::error!("index: inconsistent shard table; keeping it");
                return old;
            }
        };
        swap_bytes(&env.bytes, old, &new);
        fill.used = used;
        fill.dead = 0;
        if rehash {
            // DELETED slots were dropped; a copied layout keeps them (and the count).
            fill.occupied = live;
        }
        self.table.replace(new, guard)
    }

    /// Recovery, before loading a shard: makes room for `keys` more keys whose runs take
    /// `words` words in all, in one rebuild, so the shard's table is not rebuilt again and
    /// again as it fills (storage-engine §11.5). Sized exactly (plus 1/16): [`fit`](Self::fit)
    /// trims what duplicate and tombstoned keys leave unused.
    pub(super) fn reserve(&self, keys: usize, words: usize, env: &Env) {
        let mut fill = self.lock();
        let guard = env.collector.enter();
        let current = self.table.load(&guard);
        if fill.used + words <= current.arena.len()
            && fill.occupied + keys <= current.max_occupied()
        {
            return;
        }
        let need = Need {
            words,
            keys,
            may_shrink: false,
            exact: true,
        };
        self.rebuild(&mut fill, current, need, env, &guard);
    }

    /// Recovery, after loading a shard: gives back arena space a [`reserve`](Self::reserve)
    /// over-estimated (keys met in several files count once, tombstones not at all), when
    /// more than an eighth of it is unused.
    pub(super) fn fit(&self, env: &Env) {
        let mut fill = self.lock();
        let guard = env.collector.enter();
        let current = self.table.load(&guard);
        let live_words = fill.used.saturating_sub(fill.dead);
        if current.arena.len() <= MIN_ARENA_WORDS
            || current.arena.len() <= live_words + live_words / 8
        {
            return;
        }
        let need = Need {
            words: 0,
            keys: 0,
            may_shrink: true,
            exact: true,
        };
        self.rebuild(&mut fill, current, need, env, &guard);
    }

    /// Collects every key of the shard and its entry into `out` (cleared first), from one
    /// consistent view.
    pub(super) fn collect(&self, out: &mut Collected, env: &Env) {
        let done = self.read(env, |t| {
            out.clear();
            t.for_each_run(0, |at| {
                let start = out.keys.len();
                record::read_key(&t.arena, at, &mut out.keys)?;
                let e = record::read_entry(&t.arena, at)?;
                out.items.push((start, out.keys.len(), e));
                Ok(true)
            })
        });
        if done.is_none() {
            out.clear();
        }
    }

    /// Collects every entry of the shard (not the keys) into `out` (cleared first), from one
    /// consistent view.
    pub(super) fn collect_entries(&self, out: &mut Vec<IndexEntry>, env: &Env) {
        let done = self.read(env, |t| {
            out.clear();
            t.for_each_run(0, |at| {
                out.push(record::read_entry(&t.arena, at)?);
                Ok(true)
            })
        });
        if done.is_none() {
            out.clear();
        }
    }

    /// A key of the shard chosen from the random number `r`: the first live slot at or after
    /// a slot picked by `r`, wrapping around. `None` if the shard is empty.
    pub(super) fn random_key(&self, r: u64, env: &Env) -> Option<Vec<u8>> {
        if self.len() == 0 {
            return None;
        }
        self.read(env, |t| {
            let slots = t.bucket_count() * super::table::SLOTS;
            let start = usize::try_from(r % slots as u64).unwrap_or(0);
            let mut key = None;
            for from in [start, 0] {
                t.for_each_run(from, |at| {
                    let mut k = Vec::new();
                    record::read_key(&t.arena, at, &mut k)?;
                    key = Some(k);
                    Ok(false)
                })?;
                if key.is_some() {
                    break;
                }
            }
            Ok(key)
        })
        .flatten()
    }

    /// Removes every key (FLUSHALL).
    pub(super) fn clear(&self, env: &Env) {
        let mut fill = self.lock();
        let guard = env.collector.enter();
        let old = self.table.load(&guard);
        let new = Table::new(1, 0);
        swap_bytes(&env.bytes, old, &new);
        self.table.replace(new, &guard);
        *fill = Fill::default();
        self.live.store(0, Ordering::Relaxed);
    }
}

/// Keys and entries of a shard, collected by [`Shard::collect`]: the key bytes back to back,
/// and per key its range there and its entry.
#[derive(Default)]
pub(super) struct Collected {
    keys: Vec<u8>,
    items: Vec<(usize, usize, IndexEntry)>,
}

impl Collected {
    fn clear(&mut self) {
        self.keys.clear();
        self.items.clear();
    }

    /// Number of keys collected.
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// The keys and their entries.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&[u8], &IndexEntry)> {
        self.items
            .iter()
            .map(|(a, b, e)| (self.keys.get(*a..*b).unwrap_or_default(), e))
    }
}

/// Moves the index's memory counter from `old`'s size to `new`'s.
fn swap_bytes(bytes: &AtomicUsize, old: &Table, new: &Table) {
    let (add, sub) = (new.bytes(), old.bytes());
    let _ = bytes.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_add(add).saturating_sub(sub))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_counts_leave_a_quarter_free() {
        assert_eq!(buckets_for(0), 1);
        assert_eq!(buckets_for(6), 1);
        assert_eq!(buckets_for(7), 2);
        for keys in [1usize, 100, 1000, 12_345] {
            let b = buckets_for(keys);
            assert!(b.is_power_of_two());
            assert!(keys * 4 <= b * 8 * 3, "{keys} keys in {b} buckets");
        }
    }

    #[test]
    fn seq_counter_is_even_between_writes() {
        let t = Table::new(1, 0);
        let s = begin(&t);
        assert_eq!(t.seq.load(Ordering::Relaxed) & 1, 1);
        end(&t, s);
        assert_eq!(t.seq.load(Ordering::Relaxed), 2);
    }
}
