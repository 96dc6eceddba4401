//! Lock-free reads: the [`Reader`] view any thread may use, and the reader threads that run
//! read commands sent over a channel.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;

use crossbeam_channel::Receiver;

use crate::collection::Stored;
use crate::error::Result;
use crate::options::now_ms;
use crate::shared::{Shared, is_expired};

use crate::command::ReadFn;

/// A value read from the store, with its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The bytes.
    pub data: Vec<u8>,
    /// Absolute expiry, Unix milliseconds.
    pub expire_at_ms: Option<u64>,
}

/// Read access to the committed state of the store. No locks: an index lookup, an atomic
/// load of the file set, and a read from a mapped file (`pread` only for a record past the
/// active file's mapped window).
///
/// Every write whose completion has run is visible to every read that starts afterwards, on any
/// thread. Expired keys are invisible.
pub struct Reader<'a> {
    pub(crate) shared: &'a Shared,
}

impl Reader<'_> {
    /// Another view of the same store.
    pub fn clone_view(&self) -> Reader<'_> {
        Reader {
            shared: self.shared,
        }
    }

    /// The value of `key`, or `None` if absent or expired.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.shared.read(key)?.map(|v| v.data))
    }

    /// Starts loading the memory reads of `keys` will touch — index buckets, index runs, the
    /// first bytes of the records — so that a batch of reads waits for memory about once rather
    /// than three times per key. Worth it for a batch of several keys read next. A hint only:
    /// never blocks (a record whose page is not resident is skipped), changes nothing.
    pub fn prefetch(&self, keys: &mut dyn Iterator<Item = &[u8]>) {
        self.shared.prefetch(keys);
    }

    /// [`prefetch`](Self::prefetch) for reads of `elements` of collection `id` (HGET, SADD's
    /// membership tests...): their element-index buckets and runs, and their records' first
    /// bytes. A hint only, as `prefetch`.
    pub fn prefetch_elements(&self, id: u64, elements: &mut dyn Iterator<Item = &[u8]>) {
        self.shared.prefetch_elements(id, elements);
    }

    /// The value of `key` with its expiry.
    pub fn get_value(&self, key: &[u8]) -> Result<Option<Value>> {
        self.shared.read(key)
    }

    /// What `key` holds — a string with its expiry, or a collection (§4.3) — or `None` if it
    /// is absent or expired. [`get_value`](Self::get_value) is the string-only form: it answers
    /// [`StorageError::WrongType`](crate::StorageError::WrongType) for a collection.
    pub fn lookup(&self, key: &[u8]) -> Result<Option<Stored>> {
        self.shared.read_stored(key)
    }

    /// The value of `element` in collection `id` (a hash field's value; empty for a set
    /// member), `None` if it is not there. One lookup in the element index and one read.
    pub fn element(&self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>> {
        self.shared.read_element(id, element)
    }

    /// Whether `element` is in collection `id`: the element index only, no file read.
    pub fn has_element(&self, id: u64, element: &[u8]) -> bool {
        crate::collection::with_element_key(id, element, |key| {
            self.shared.elements.contains_key(key)
        })
    }

    /// The values of several keys as of one moment: no write batch is seen half-applied (an MSET
    /// is seen whole or not at all). Retries while the writer is publishing a batch (a seqlock).
    /// A key that holds a collection reads as `None` (MGET's nil), not as an error.
    pub fn get_many(&self, keys: &[&[u8]]) -> Result<Vec<Option<Value>>> {
        let seq = &self.shared.publishing;
        loop {
            let before = seq.load(SeqCst);
            if before % 2 == 1 {
                std::hint::spin_loop();
                std::thread::yield_now();
                continue;
            }
            let values = keys
                .iter()
                .map(|k| match self.shared.read_stored(k)? {
                    Some(crate::collection::Stored::String(v)) => Ok(Some(v)),
                    _ => Ok(None),
                })
                .collect::<Result<Vec<_>>>()?;
            if seq.load(SeqCst) == before {
                return Ok(values);
            }
        }
    }

    /// Does `key` exist (unexpired)? Index only; no file is read.
    pub fn exists(&self, key: &[u8]) -> bool {
        let now = now_ms();
        self.shared
            .index
            .get(key)
            .is_some_and(|e| !is_expired(&e, now))
    }

    /// `Some(expiry)` if `key` exists (expiry `None` = no TTL), `None` if it does not.
    pub fn expire_at_ms(&self, key: &[u8]) -> Option<Option<u64>> {
        let now = now_ms();
        self.shared
            .index
            .get(key)
            .filter(|e| !is_expired(e, now))
            .map(|e| e.expire_at_ms)
    }

    /// Length of the value of `key` (0 if absent). Reads the record: the index keeps the
    /// record's length, not the value's.
    pub fn value_len(&self, key: &[u8]) -> Result<usize> {
        Ok(self.shared.read(key)?.map_or(0, |v| v.data.len()))
    }

    /// Whether reading `key` now cannot wait for the disk (storage-engine §11.3): it has no
    /// entry, or its record is at most `max_len` bytes and is either in the active file — the
    /// tail this process has just written, which sits in the page cache — or in pages of a
    /// sealed file that `mincore` finds resident. Lock-free, no I/O. A network loop uses it to
    /// answer on its own thread only the reads that cannot stall its other connections, and to
    /// send the rest to the reader threads.
    pub fn reads_without_blocking(&self, key: &[u8], max_len: usize) -> bool {
        match self.shared.index.get(key) {
            None => true,
            Some(e) => self.resident(e.fid, e.offset, e.len, max_len),
        }
    }

    /// [`reads_without_blocking`](Self::reads_without_blocking) for a read of `elements` of
    /// the collection at `key` (HGET, HMGET, SISMEMBER...): `key`'s record (its metadata) can
    /// be read without waiting, and — when `values` is set, for reads of a field's value —
    /// every element's record too. A membership test needs only the element index. Reads the
    /// metadata record (resident by then) for the collection's id. Lock-free, no I/O.
    pub fn elements_read_without_blocking(
        &self,
        key: &[u8],
        elements: &mut dyn Iterator<Item = &[u8]>,
        values: bool,
        max_len: usize,
    ) -> bool {
        if !self.reads_without_blocking(key, max_len) {
            return false;
        }
        if !values {
            return true;
        }
        let id = match self.shared.read_stored(key) {
            Ok(Some(Stored::Collection(m))) => m.id,
            // Absent, a string (WRONGTYPE), expired: the read looks no element up.
            Ok(_) => return true,
            Err(_) => return false,
        };
        for element in elements {
            let in_memory = crate::collection::with_element_key(id, element, |key| {
                self.shared
                    .elements
                    .get(key)
                    .is_none_or(|e| self.resident(e.fid, e.offset, e.len, max_len))
            });
            if !in_memory {
                return false;
            }
        }
        true
    }

    /// Whether the record at (`fid`, `offset`, `len`) is at most `max_len` bytes and in memory:
    /// in the active file, or in resident pages of a sealed one.
    fn resident(&self, fid: crate::Fid, offset: u64, len: u32, max_len: usize) -> bool {
        if len as usize > max_len {
            return false;
        }
        let files = self.shared.files.load();
        if fid == files.active.fid {
            return true;
        }
        files
            .sealed
            .get(&fid)
            .is_some_and(|f| f.is_resident(offset, len as usize))
    }

    /// Number of keys, including expired keys not collected yet (like Redis' DBSIZE).
    pub fn key_count(&self) -> usize {
        self.shared.index.len()
    }

    /// One step of a cursor scan (Redis SCAN semantics: start at 0, stop when 0 comes back; a key
    /// present for the whole scan is returned at least once). Expired keys are skipped.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        let now = now_ms();
        let mut keys = Vec::new();
        let next = self.shared.index.scan(cursor, count.max(1), |k, e| {
            if !is_expired(e, now) {
                keys.push(k.to_vec());
            }
        });
        (next, keys)
    }

    /// A random unexpired key, if any. Random probes first; if they only hit expired keys (not
    /// deleted yet), a scan finds a live one, so `None` always means there is none.
    pub fn random_key(&self) -> Option<Vec<u8>> {
        let now = now_ms();
        for _ in 0..16 {
            let k = self.shared.index.random_key()?;
            if self
                .shared
                .index
                .get(&k)
                .is_some_and(|e| !is_expired(&e, now))
            {
                return Some(k);
            }
        }
        first_scanned_key(|cursor, count| self.scan(cursor, count))
    }
}

pub(crate) fn run(shared: Arc<Shared>, rx: Receiver<Vec<ReadFn>>, n: usize) {
    let _span = tracing::debug_span!("reader", n).entered();
    let reader = Reader { shared: &shared };
    for batch in rx.iter() {
        for command in batch {
            if catch_unwind(AssertUnwindSafe(|| command.run(&reader))).is_err() {
                tracing::error!("a read command panicked");
            }
        }
    }
    tracing::debug!("reader stopped");
}

/// The first key a cursor scan through `scan` (a `(cursor, count) -> (next, keys)` step) finds:
/// RANDOMKEY's slow path, when random draws keep hitting keys that are gone.
pub(crate) fn first_scanned_key(
    scan: impl Fn(u64, usize) -> (u64, Vec<Vec<u8>>),
) -> Option<Vec<u8>> {
    let mut cursor = 0;
    loop {
        let (next, keys) = scan(cursor, 256);
        if let Some(k) = keys.into_iter().next() {
            return Some(k);
        }
        if next == 0 {
            return None;
        }
        cursor = next;
    }
}
