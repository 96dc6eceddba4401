//! State shared by the store's threads: the index, the published file set, per-file statistics.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arc_swap::ArcSwap;

use crate::collection::{CollectionMeta, Stored, decode_meta, element_key, with_element_key};
use crate::error::{Result, StorageError};
use crate::fileset::FileSet;
use crate::format::{Fid, RecordKind};
use crate::index::{Index, IndexEntry, KeyHash, PrefetchStage};
use crate::manifest::Manifest;
use crate::options::{Options, now_ms};
use crate::reader::Value;

/// What the compactor needs to know about one data file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStats {
    /// File length in bytes, header included.
    pub total: u64,
    /// Bytes of records no key points at any more (overwritten, deleted, tombstones, expired
    /// and dropped).
    pub dead: u64,
    /// Smallest and largest record seq in the file (0 if none): decides when a tombstone may be
    /// dropped (§10).
    pub min_seq: u64,
    /// See `min_seq`.
    pub max_seq: u64,
}

impl FileStats {
    /// Whether the file holds dead bytes and they are at least `ratio` of its records (header
    /// excluded): the one rule behind both compacting a sealed file (`compaction_threshold`)
    /// and sealing the active one early (`seal_dead_ratio`, §10.1).
    pub(crate) fn dead_at_least(&self, ratio: f64) -> bool {
        let body = self
            .total
            .saturating_sub(crate::format::header::HEADER_LEN as u64);
        body > 0 && self.dead > 0 && self.dead as f64 / body as f64 >= ratio
    }

    pub(crate) fn note_seq(&mut self, seq: u64) {
        if self.min_seq == 0 || seq < self.min_seq {
            self.min_seq = seq;
        }
        self.max_seq = self.max_seq.max(seq);
    }
}

/// Counters readable through [`Store::stats`](crate::Store::stats).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) write_batches: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) fsyncs: AtomicU64,
    pub(crate) compactions: AtomicU64,
    pub(crate) bytes_reclaimed: AtomicU64,
    pub(crate) last_save_ms: AtomicU64,
    /// Keys in the index that carry an expiry (Redis' `expires`). Only the writer changes it.
    pub(crate) expiring_keys: AtomicU64,
    /// Mean expiry time (Unix ms) of those keys, exact; 0 when there are none. Writer-only.
    pub(crate) expiring_mean_at_ms: AtomicU64,
    /// Keys deleted because their TTL had passed (Redis' `expired_keys`).
    pub(crate) expired_keys: AtomicU64,
    /// The writer's watched keys and watching clients (WATCH).
    pub(crate) watches: crate::watch::WatchCounts,
    /// Attempts to heal after a failed write, and the ones that made the store take writes
    /// again (`writer/heal.rs`).
    pub(crate) heal_attempts: AtomicU64,
    pub(crate) heals: AtomicU64,
}

pub(crate) struct Shared {
    pub(crate) dir: PathBuf,
    pub(crate) opts: Options,
    pub(crate) index: Index,
    /// The element index (§4.3): element key → its record, for every live collection's
    /// elements (and, until the writer drops them, a dead one's).
    pub(crate) elements: Index,
    pub(crate) files: ArcSwap<FileSet>,
    /// Serialises changes to `files` (writer rotation vs compactor); readers never take it.
    pub(crate) files_update: Mutex<()>,
    pub(crate) stats: Mutex<BTreeMap<Fid, FileStats>>,
    pub(crate) manifest: Mutex<Manifest>,
    /// Next record seq; only the writer hands them out, the compactor reads it.
    pub(crate) next_seq: AtomicU64,
    /// Set after a failed write or fsync: the reason writes are refused (§9.3).
    pub(crate) poisoned: Mutex<Option<String>>,
    /// `poisoned.is_some()`, readable without the lock (checked once per write command).
    pub(crate) refusing: AtomicBool,
    /// The last write failure (kept after writes resume) and why the last attempt to heal
    /// failed, for `Store::stats`.
    pub(crate) last_write_error: Mutex<Option<String>>,
    pub(crate) last_heal_error: Mutex<Option<String>>,
    /// Held for a whole compaction, and by FLUSHALL, so their MANIFEST edits never interleave.
    pub(crate) compaction: Mutex<()>,
    pub(crate) counters: Counters,
    /// Seqlock over index publication: odd while the writer is publishing a batch, so a
    /// multi-key read can tell whether it saw a batch whole (see `Reader::get_many`).
    pub(crate) publishing: AtomicU64,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Makes the store refuse writes until the writer heals it or it is reopened (§9.3). The
    /// first reason stays: later failures are usually consequences of it ("file refuses further
    /// writes").
    pub(crate) fn poison(&self, reason: String) {
        let mut poisoned = lock(&self.poisoned);
        if poisoned.is_some() {
            tracing::debug!(%reason, "another failure while refusing writes");
            return;
        }
        tracing::error!(%reason, "store refuses writes until a retry succeeds");
        *lock(&self.last_write_error) = Some(reason.clone());
        *poisoned = Some(reason);
        self.refusing.store(true, Ordering::Release);
    }

    /// Takes writes again: the writer healed the store (`writer/heal.rs`).
    pub(crate) fn unpoison(&self) {
        let mut poisoned = lock(&self.poisoned);
        if let Some(reason) = poisoned.take() {
            tracing::warn!(%reason, "writes resumed after a write failure");
        }
        *lock(&self.last_heal_error) = None;
        self.refusing.store(false, Ordering::Release);
    }

    pub(crate) fn refused(&self) -> Option<StorageError> {
        // Asked for every write txn and commit: one atomic load while all is well.
        if !self.refusing.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.poisoned)
            .as_ref()
            .map(|reason| StorageError::WritesRefused {
                reason: reason.clone(),
            })
    }

    /// Reads the string value of `key` as of now: index, then the file the entry points at.
    /// Lock-free: an index lookup and an `ArcSwap` load. Retries if a compaction moved the
    /// record in between. A collection is [`StorageError::WrongType`].
    pub(crate) fn read(&self, key: &[u8]) -> Result<Option<Value>> {
        match self.read_stored(key)? {
            None => Ok(None),
            Some(Stored::String(v)) => Ok(Some(v)),
            Some(Stored::Collection(_)) => Err(StorageError::WrongType),
        }
    }

    /// What user key `key` holds as of now, string or collection (lock-free, as [`read`]).
    ///
    /// [`read`]: Shared::read
    pub(crate) fn read_stored(&self, key: &[u8]) -> Result<Option<Stored>> {
        let Some((kind, v)) = self.read_in(&self.index, key, true)? else {
            return Ok(None);
        };
        stored(kind, v).map(Some)
    }

    /// The value of element `element` of collection `id` (lock-free).
    pub(crate) fn read_element(&self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(
            with_element_key(id, element, |key| self.read_in(&self.elements, key, false))?
                .map(|(_, v)| v.data),
        )
    }

    /// The record `index` has for `key`, unless expired (`expiring`: user keys).
    fn read_in(
        &self,
        index: &Index,
        key: &[u8],
        expiring: bool,
    ) -> Result<Option<(RecordKind, Value)>> {
        // Only user keys expire: an element read (ten per HGETALL of a small hash) skips the
        // clock.
        let now = if expiring { now_ms() } else { 0 };
        for _ in 0..16 {
            let Some(e) = index.get(key) else {
                return Ok(None);
            };
            if expiring && is_expired(&e, now) {
                return Ok(None);
            }
            let files = self.files.load();
            if let Some(v) = files.read(&e, key)? {
                return Ok(Some(v));
            }
            std::thread::yield_now();
        }
        Err(StorageError::InvalidOperation(
            "record moved too often while reading".into(),
        ))
    }

    /// Starts loading what reads of `keys` will touch, in three passes over each group of up to
    /// [`PREFETCH_GROUP`] keys: the index buckets, then the keys' runs, then (looking the keys
    /// up, from cache by then) the first bytes of their records. The reads that follow then
    /// find their memory in cache: without it every GET of a batch waited for three misses in
    /// turn (storage-engine §11.3). A hint only: never blocks, changes nothing.
    pub(crate) fn prefetch(&self, keys: &mut dyn Iterator<Item = &[u8]>) {
        self.prefetch_in(&self.index, keys);
    }

    /// [`prefetch`](Self::prefetch) for element `elements` of collection `id`, in the element
    /// index.
    pub(crate) fn prefetch_elements(&self, id: u64, elements: &mut dyn Iterator<Item = &[u8]>) {
        let keys: Vec<Vec<u8>> = elements.map(|e| element_key(id, e)).collect();
        self.prefetch_in(&self.elements, &mut keys.iter().map(|k| &k[..]));
    }

    fn prefetch_in(&self, index: &Index, keys: &mut dyn Iterator<Item = &[u8]>) {
        let files = self.files.load();
        let mut group: [(&[u8], Option<KeyHash>); PREFETCH_GROUP] = [(&[], None); PREFETCH_GROUP];
        loop {
            let mut n = 0;
            for (slot, key) in group.iter_mut().zip(&mut *keys) {
                let h = index.hash(key);
                index.prefetch(h, PrefetchStage::Bucket);
                *slot = (key, Some(h));
                n += 1;
            }
            let taken = group.get(..n).unwrap_or_default();
            for (_, h) in taken {
                if let Some(h) = h {
                    index.prefetch(*h, PrefetchStage::Run);
                }
            }
            for (key, h) in taken {
                if let Some(e) = h.and_then(|h| index.get_hashed(key, h)) {
                    files.prefetch(&e);
                }
            }
            if n < PREFETCH_GROUP {
                return;
            }
        }
    }

    /// Adds `len` dead bytes to `fid`'s statistics.
    pub(crate) fn mark_dead(stats: &mut BTreeMap<Fid, FileStats>, fid: Fid, len: u64) {
        if let Some(s) = stats.get_mut(&fid) {
            s.dead = s.dead.saturating_add(len);
        }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq.load(Relaxed)
    }

    /// Replaces the published file set with `f(current)`.
    pub(crate) fn update_files(&self, f: impl FnOnce(&FileSet) -> FileSet) {
        let _guard = lock(&self.files_update);
        let current = self.files.load_full();
        self.files.store(Arc::new(f(&current)));
    }
}

/// Keys [`Shared::prefetch`] works on at a time: enough to overlap their misses, few enough that
/// what the first pass loads is still in L1 for the second.
const PREFETCH_GROUP: usize = 16;

/// A user key's record as what it holds: a string, or (a metadata record) a collection.
pub(crate) fn stored(kind: RecordKind, v: Value) -> Result<Stored> {
    if kind != RecordKind::Meta {
        return Ok(Stored::String(v));
    }
    let (kind, id) = decode_meta(&v.data).ok_or_else(|| {
        StorageError::InvalidOperation("ERR a collection of a type this build does not know".into())
    })?;
    Ok(Stored::Collection(CollectionMeta {
        kind,
        id,
        expire_at_ms: v.expire_at_ms,
    }))
}

pub(crate) fn is_expired(e: &IndexEntry, now: u64) -> bool {
    e.expire_at_ms.is_some_and(|t| t <= now)
}
