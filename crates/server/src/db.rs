//! The storage views commands run against: [`Db`] for reads (a reader thread's lock-free view,
//! or the writer when a read must stay behind a write of its connection) and [`WriteDb`] for the
//! writer's atomic read-modify-write. Implemented by kvs-storage's `Reader`/`Txn` and by the
//! sled comparison engine (`crate::engine::sled`).
//!
//! A batch runs its commands through a [`Counted`] view around the engine's, which counts the
//! keyspace hits and misses they report ([`Db::note_lookup`]) for INFO: the count travels with
//! the view, not through a thread-local.

use bytes::Bytes;

use crate::encoding::EncodingLimits;
use crate::list_ops::ListOps;
use crate::notify::{self, KeyEvent};
use crate::zset_ops::ZsetOps;
use kvs_storage::{
    CollectionKind, CollectionMeta, CollectionShape, Reader, StorageError, Stored, Txn, Value,
};

/// Read access for commands.
pub trait Db {
    /// The value and expiry of `key`, `None` if absent or expired.
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError>;
    /// Does `key` exist (unexpired)?
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError>;
    /// Several keys as of one moment (MGET): never half of a concurrent MSET. A key holding
    /// no string (a hash, a set) reads as `None`, as MGET answers nil for it.
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
        keys.iter()
            .map(|k| match self.get(k) {
                Err(StorageError::WrongType) => Ok(None),
                other => other,
            })
            .collect()
    }
    /// What `key` holds — a string with its expiry, or a collection — `None` if absent or
    /// expired. (`get` is the string-only read: a collection is `StorageError::WrongType`.)
    fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>, StorageError>;
    /// The value of `element` in collection `id` (a hash field's; empty for a set member).
    fn element(&mut self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;
    /// Whether `element` is in collection `id`.
    fn has_element(&mut self, id: u64, element: &[u8]) -> Result<bool, StorageError>;
    /// One SCAN step: (next cursor, 0 when done; unexpired keys).
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>);
    /// Keys stored (DBSIZE).
    fn key_count(&mut self) -> usize;
    /// A random unexpired key.
    fn random_key(&mut self) -> Option<Vec<u8>>;
    /// Starts loading the memory that reading `keys` will touch (`kvs_storage::Reader::prefetch`).
    /// A hint: changes nothing; by default it does nothing.
    fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
        let _ = keys;
    }
    /// [`prefetch`](Db::prefetch) for lookups of `elements` of the collection at `key` (absent
    /// or not a collection: nothing). A hint; by default it does nothing.
    fn prefetch_elements(&mut self, key: &[u8], elements: &mut dyn Iterator<Item = &[u8]>) {
        let _ = (key, elements);
    }
    /// A read lookup of a key found (`true`) or not, as Redis counts them in
    /// `keyspace_hits`/`keyspace_misses` (`lookupKeyRead`: read commands, and the reads of
    /// GETSET, GETDEL, GETEX). Counted by the [`Counted`] view a batch runs through; ignored by
    /// default.
    fn note_lookup(&mut self, found: bool) {
        let _ = found;
    }
    /// The server's OBJECT ENCODING thresholds (CONFIG), if the view carries them; `None`:
    /// Redis' defaults.
    fn encoding_limits(&self) -> Option<&EncodingLimits> {
        None
    }
}

/// Write access for commands: runs on the engine's single writer, atomically.
pub trait WriteDb: Db {
    /// The clock for expiry decisions, fixed for the batch.
    fn now_ms(&self) -> u64;
    /// Sets `key` with an absolute expiry or none.
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>);
    /// Deletes `key`; whether it existed.
    fn delete(&mut self, key: &[u8]) -> Result<bool, StorageError>;
    /// Makes `key` a new, empty collection of `kind` (replacing what it held); its elements
    /// follow. A collection left empty must be deleted (Redis has no empty hashes or sets).
    fn create_collection(
        &mut self,
        key: &[u8],
        kind: CollectionKind,
        expire_at_ms: Option<u64>,
    ) -> Result<CollectionMeta, StorageError>;
    /// Sets `element` of collection `id` (held by `key`) to `value`; whether it is new.
    fn put_element(
        &mut self,
        key: &[u8],
        id: u64,
        element: &[u8],
        value: &[u8],
    ) -> Result<bool, StorageError>;
    /// Refuses (`CollectionFull`) unless collection `id` (`None`: not yet created) can take
    /// `adding` more elements: a command adding several asks first, so it fails whole. Engines
    /// without collections have no limit to check.
    fn ensure_room(&mut self, _id: Option<u64>, _adding: usize) -> Result<(), StorageError> {
        Ok(())
    }
    /// Removes `element` from collection `id` (held by `key`); whether it was there.
    fn delete_element(&mut self, key: &[u8], id: u64, element: &[u8])
    -> Result<bool, StorageError>;
    /// How many elements collection `id` has.
    fn element_count(&mut self, id: u64) -> usize;
    /// Every element of collection `id`, in no particular order.
    fn elements(&mut self, id: u64) -> Vec<Vec<u8>>;
    /// The element at position `i` (< `element_count`) of collection `id`: random draws.
    fn element_at(&mut self, id: u64, i: usize) -> Option<Vec<u8>>;
    /// The most collection `id` has held since created or loaded (OBJECT ENCODING follows Redis'
    /// one-way conversions with it). Engines that keep no history answer the default.
    fn collection_shape(&mut self, id: u64) -> CollectionShape {
        let _ = id;
        CollectionShape::default()
    }
    /// Gives `key` a new expiry (`None`: none), whatever it holds; whether it exists.
    fn set_expiry(&mut self, key: &[u8], expire_at_ms: Option<u64>) -> Result<bool, StorageError>;
    /// RENAME: `dst` takes what `src` holds (with its expiry), `src` is deleted; whether `src`
    /// existed.
    fn rename(&mut self, src: &[u8], dst: &[u8]) -> Result<bool, StorageError>;
    /// WATCH: client `watcher` watches `key` until its next
    /// [`check_watched`](Self::check_watched) or [`unwatch`](Self::unwatch). Any later write or
    /// delete of the key, its expiry, or FLUSHALL makes that check fail (Redis' rules:
    /// `kvs_storage::Watches`).
    fn watch(&mut self, watcher: u64, key: &[u8]);
    /// UNWATCH (also DISCARD, RESET, a closed connection): `watcher` watches nothing.
    fn unwatch(&mut self, watcher: u64);
    /// EXEC: whether none of `watcher`'s watched keys was modified or has expired since it
    /// watched them. Unwatches them all either way.
    fn check_watched(&mut self, watcher: u64) -> bool;
    /// The engine's list operations (storage-format §4.3.1); an engine without lists (sled)
    /// refuses them — it cannot create a list, so no key leads there.
    fn lists(&mut self) -> Result<&mut dyn ListOps, StorageError> {
        Err(StorageError::InvalidOperation(
            "ERR this engine has no lists".into(),
        ))
    }
    /// The engine's sorted-set operations (storage-format §4.3.2); refused like
    /// [`lists`](Self::lists) by an engine without them.
    fn zsets(&mut self) -> Result<&mut dyn ZsetOps, StorageError> {
        Err(StorageError::InvalidOperation(
            "ERR this engine has no sorted sets".into(),
        ))
    }
    /// A keyspace event of `class` (`crate::notify`): the command did `event` (`set`, `del`,
    /// `hset`...) to `key`. Published once the batch commits, if the class is enabled; engines'
    /// own views ignore it (the server's `Counted` keeps it).
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let _ = (class, event, key);
    }
}

impl Db for Reader<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
        self.get_value(key)
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Ok(Reader::exists(self, key))
    }
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_ref()).collect();
        Reader::get_many(self, &keys)
    }
    fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>, StorageError> {
        Reader::lookup(self, key)
    }
    fn element(&mut self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Reader::element(self, id, element)
    }
    fn has_element(&mut self, id: u64, element: &[u8]) -> Result<bool, StorageError> {
        Ok(Reader::has_element(self, id, element))
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        Reader::scan(self, cursor, count)
    }
    fn key_count(&mut self) -> usize {
        Reader::key_count(self)
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        Reader::random_key(self)
    }
    fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
        Reader::prefetch(self, keys);
    }
    fn prefetch_elements(&mut self, key: &[u8], elements: &mut dyn Iterator<Item = &[u8]>) {
        if let Ok(Some(Stored::Collection(m))) = Reader::lookup(self, key) {
            Reader::prefetch_elements(self, m.id, elements);
        }
    }
}

impl Db for Txn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
        Txn::get(self, key)
    }
    fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>, StorageError> {
        Txn::lookup(self, key)
    }
    fn element(&mut self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Txn::element(self, id, element)
    }
    fn has_element(&mut self, id: u64, element: &[u8]) -> Result<bool, StorageError> {
        Ok(Txn::has_element(self, id, element))
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Txn::exists(self, key)
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        // Not `reader()` here and below: that is the committed state, without the writes of
        // the commands before this one in the batch.
        Txn::scan(self, cursor, count)
    }
    fn key_count(&mut self) -> usize {
        Txn::key_count(self)
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        Txn::random_key(self)
    }
    fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
        // The committed state's memory: what the batch overlay lacks is read from there.
        self.reader().prefetch(keys);
    }
    fn prefetch_elements(&mut self, key: &[u8], elements: &mut dyn Iterator<Item = &[u8]>) {
        if let Ok(Some(Stored::Collection(m))) = Txn::lookup(self, key) {
            self.reader().prefetch_elements(m.id, elements);
        }
    }
}

impl WriteDb for Txn<'_> {
    fn now_ms(&self) -> u64 {
        Txn::now_ms(self)
    }
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        Txn::put(self, key, value, expire_at_ms);
    }
    fn delete(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        Txn::delete(self, key)
    }
    fn create_collection(
        &mut self,
        key: &[u8],
        kind: CollectionKind,
        expire_at_ms: Option<u64>,
    ) -> Result<CollectionMeta, StorageError> {
        Ok(Txn::create_collection(self, key, kind, expire_at_ms))
    }
    fn put_element(
        &mut self,
        key: &[u8],
        id: u64,
        element: &[u8],
        value: &[u8],
    ) -> Result<bool, StorageError> {
        Txn::put_element(self, key, id, element, value)
    }
    fn ensure_room(&mut self, id: Option<u64>, adding: usize) -> Result<(), StorageError> {
        Txn::ensure_room(self, id, adding)
    }
    fn delete_element(
        &mut self,
        key: &[u8],
        id: u64,
        element: &[u8],
    ) -> Result<bool, StorageError> {
        Ok(Txn::delete_element(self, key, id, element))
    }
    fn element_count(&mut self, id: u64) -> usize {
        Txn::element_count(self, id)
    }
    fn elements(&mut self, id: u64) -> Vec<Vec<u8>> {
        Txn::elements(self, id)
    }
    fn element_at(&mut self, id: u64, i: usize) -> Option<Vec<u8>> {
        Txn::element_at(self, id, i)
    }
    fn collection_shape(&mut self, id: u64) -> CollectionShape {
        Txn::collection_shape(self, id)
    }
    fn lists(&mut self) -> Result<&mut dyn ListOps, StorageError> {
        Ok(self)
    }
    fn zsets(&mut self) -> Result<&mut dyn ZsetOps, StorageError> {
        Ok(self)
    }
    fn set_expiry(&mut self, key: &[u8], expire_at_ms: Option<u64>) -> Result<bool, StorageError> {
        Txn::set_expiry(self, key, expire_at_ms)
    }
    fn rename(&mut self, src: &[u8], dst: &[u8]) -> Result<bool, StorageError> {
        Txn::rename(self, src, dst)
    }
    fn watch(&mut self, watcher: u64, key: &[u8]) {
        Txn::watch(self, watcher, key);
    }
    fn unwatch(&mut self, watcher: u64) {
        Txn::unwatch(self, watcher);
    }
    fn check_watched(&mut self, watcher: u64) -> bool {
        Txn::check_watched(self, watcher)
    }
}

/// Keyspace hits and misses counted by a [`Counted`] view.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Lookups {
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

/// A view around an engine's [`Db`] or [`WriteDb`] that counts the lookups the commands run
/// through it report ([`Db::note_lookup`]); everything else is passed through.
pub struct Counted<'a, D: ?Sized> {
    /// The engine's view.
    pub inner: &'a mut D,
    /// What was counted so far.
    pub lookups: Lookups,
    /// The server's OBJECT ENCODING thresholds.
    pub limits: Option<&'a EncodingLimits>,
    /// `notify-keyspace-events` for this batch (0: none kept).
    pub notify_flags: u32,
    /// The keyspace events of enabled classes, in order (`WriteDb::notify`).
    pub events: Vec<KeyEvent>,
    /// Clients are blocked on keys (`crate::blocking`): keep `ready`.
    pub track_ready: bool,
    /// Keys that came to hold a new list (created, copied or renamed there) since last taken:
    /// Redis' `signalKeyAsReady`, for the blocked clients waiting on them.
    pub ready: Vec<Bytes>,
}

impl<'a, D: ?Sized> Counted<'a, D> {
    /// Counts over `inner`, from zero.
    pub fn new(inner: &'a mut D) -> Self {
        Counted {
            inner,
            lookups: Lookups::default(),
            limits: None,
            notify_flags: 0,
            events: Vec::new(),
            track_ready: false,
            ready: Vec::new(),
        }
    }

    /// The same view, keeping [`ready`](Self::ready) keys if `track`.
    pub fn with_ready_tracking(self, track: bool) -> Self {
        Counted {
            track_ready: track,
            ..self
        }
    }

    /// The same view, keeping the keyspace events `flags` enable.
    pub fn with_notify(self, flags: u32) -> Self {
        Counted {
            notify_flags: flags,
            ..self
        }
    }

    /// The same view, answering [`Db::encoding_limits`] with `limits`.
    pub fn with_limits(self, limits: &'a EncodingLimits) -> Self {
        Counted {
            limits: Some(limits),
            ..self
        }
    }
}

/// Forwards every [`Db`] method to `self.inner` but `note_lookup`, which counts.
macro_rules! forward_db {
    () => {
        fn get(&mut self, key: &[u8]) -> Result<Option<Value>, StorageError> {
            self.inner.get(key)
        }
        fn exists(&mut self, key: &[u8]) -> Result<bool, StorageError> {
            self.inner.exists(key)
        }
        fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>, StorageError> {
            self.inner.get_many(keys)
        }
        fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
            self.inner.scan(cursor, count)
        }
        fn key_count(&mut self) -> usize {
            self.inner.key_count()
        }
        fn random_key(&mut self) -> Option<Vec<u8>> {
            self.inner.random_key()
        }
        fn prefetch(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) {
            self.inner.prefetch(keys)
        }
        fn prefetch_elements(&mut self, key: &[u8], elements: &mut dyn Iterator<Item = &[u8]>) {
            self.inner.prefetch_elements(key, elements)
        }
        fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>, StorageError> {
            self.inner.lookup(key)
        }
        fn element(&mut self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
            self.inner.element(id, element)
        }
        fn has_element(&mut self, id: u64, element: &[u8]) -> Result<bool, StorageError> {
            self.inner.has_element(id, element)
        }
        fn note_lookup(&mut self, found: bool) {
            if found {
                self.lookups.hits += 1;
            } else {
                self.lookups.misses += 1;
            }
        }
        fn encoding_limits(&self) -> Option<&EncodingLimits> {
            self.limits
        }
    };
}

impl Db for Counted<'_, dyn Db + '_> {
    forward_db!();
}

impl Db for Counted<'_, dyn WriteDb + '_> {
    forward_db!();
}

impl WriteDb for Counted<'_, dyn WriteDb + '_> {
    fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.notify_if_new(key);
        self.inner.put(key, value, expire_at_ms)
    }
    fn delete(&mut self, key: &[u8]) -> Result<bool, StorageError> {
        self.inner.delete(key)
    }
    fn create_collection(
        &mut self,
        key: &[u8],
        kind: CollectionKind,
        expire_at_ms: Option<u64>,
    ) -> Result<CollectionMeta, StorageError> {
        self.notify_if_new(key);
        if self.track_ready && matches!(kind, CollectionKind::List | CollectionKind::SortedSet) {
            self.ready.push(Bytes::copy_from_slice(key));
        }
        self.inner.create_collection(key, kind, expire_at_ms)
    }
    fn put_element(
        &mut self,
        key: &[u8],
        id: u64,
        element: &[u8],
        value: &[u8],
    ) -> Result<bool, StorageError> {
        self.inner.put_element(key, id, element, value)
    }
    fn ensure_room(&mut self, id: Option<u64>, adding: usize) -> Result<(), StorageError> {
        self.inner.ensure_room(id, adding)
    }
    fn delete_element(
        &mut self,
        key: &[u8],
        id: u64,
        element: &[u8],
    ) -> Result<bool, StorageError> {
        self.inner.delete_element(key, id, element)
    }
    fn element_count(&mut self, id: u64) -> usize {
        self.inner.element_count(id)
    }
    fn elements(&mut self, id: u64) -> Vec<Vec<u8>> {
        self.inner.elements(id)
    }
    fn element_at(&mut self, id: u64, i: usize) -> Option<Vec<u8>> {
        self.inner.element_at(id, i)
    }
    fn collection_shape(&mut self, id: u64) -> CollectionShape {
        self.inner.collection_shape(id)
    }
    fn lists(&mut self) -> Result<&mut dyn ListOps, StorageError> {
        self.inner.lists()
    }
    fn zsets(&mut self) -> Result<&mut dyn ZsetOps, StorageError> {
        self.inner.zsets()
    }
    fn set_expiry(&mut self, key: &[u8], expire_at_ms: Option<u64>) -> Result<bool, StorageError> {
        self.inner.set_expiry(key, expire_at_ms)
    }
    fn rename(&mut self, src: &[u8], dst: &[u8]) -> Result<bool, StorageError> {
        // Redis' RENAME deletes the destination, then adds it (`dbAdd`): always a new key.
        if notify::wanted(self.notify_flags, notify::NEW) && self.inner.exists(src)? {
            self.notify(notify::NEW, "new", dst);
        }
        let renamed = self.inner.rename(src, dst)?;
        if renamed && self.track_ready {
            self.ready.push(Bytes::copy_from_slice(dst));
        }
        Ok(renamed)
    }
    fn watch(&mut self, watcher: u64, key: &[u8]) {
        self.inner.watch(watcher, key)
    }
    fn unwatch(&mut self, watcher: u64) {
        self.inner.unwatch(watcher)
    }
    fn check_watched(&mut self, watcher: u64) -> bool {
        self.inner.check_watched(watcher)
    }
    fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        if notify::wanted(self.notify_flags, class) {
            self.events.push(KeyEvent {
                class,
                name: event,
                key: key.to_vec(),
            });
        }
    }
}

impl Counted<'_, dyn WriteDb + '_> {
    /// Redis' `new` event (class `n`, fired by `dbAdd`) when a write creates `key`.
    fn notify_if_new(&mut self, key: &[u8]) {
        if notify::wanted(self.notify_flags, notify::NEW) && !self.inner.exists(key).unwrap_or(true)
        {
            self.notify(notify::NEW, "new", key);
        }
    }
}

/// What a read of a collection's elements by name looks up (HGET, HMGET, HEXISTS, HSTRLEN,
/// SISMEMBER, SMISMEMBER): the collection's key, the elements, and whether it reads their
/// values (records) or only asks whether they are there (the element index alone). Like
/// `Cmd::looked_up_keys`, it lets the looper answer the read itself when none of it can
/// block (`session::placement`).
#[derive(Debug, Clone, Copy)]
pub struct ElementReads<'a> {
    /// The collection's key.
    pub key: &'a Bytes,
    /// The elements read: every `step`-th of these arguments, from the first.
    pub args: &'a [Bytes],
    /// 1 for a list of elements (HMGET's fields, SADD's members), 2 for field-value pairs
    /// (HSET's).
    pub step: usize,
    /// Whether their records are read (HGET), not only the element index (SISMEMBER).
    pub values: bool,
}

impl<'a> ElementReads<'a> {
    /// Reads of every one of `elements`.
    pub fn of(key: &'a Bytes, elements: &'a [Bytes], values: bool) -> ElementReads<'a> {
        ElementReads {
            key,
            args: elements,
            step: 1,
            values,
        }
    }

    /// The elements.
    pub fn elements(&self) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        self.args.iter().step_by(self.step.max(1)).map(|e| &e[..])
    }

    /// How many elements.
    pub fn count(&self) -> usize {
        self.args.len().div_ceil(self.step.max(1))
    }
}
