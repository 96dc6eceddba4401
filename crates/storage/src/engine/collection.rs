//! Collections on the log (docs/storage-format.md §4.3): hashes, sets, lists and sorted sets
//! whose every element is a record of its own.
//!
//! A collection is a **metadata record** under its user key (flag META; value: its type and its
//! *id*) and one **element record** per element (flag ELEMENT; key `[id, u64 big-endian]
//! [element]`; value: a hash field's value, empty for a set member). The id is the seq of the
//! metadata record that created the collection, so it is unique for the life of the store:
//! elements belong to an id, not to a key. That makes DEL, overwrite, expiry and RENAME of a
//! collection of any size **one** record — a tombstone, or a metadata record under the new key
//! with the same id — and leaves the old id's element records dead at once (nothing live points
//! at their id any more); the writer drops their index entries in the background
//! ([`Collections::drop_some`]), and compaction reclaims their bytes like any dead record.
//!
//! Memory: the element index (`Shared::elements`, an [`Index`](crate::index::Index) like the
//! main one) maps each element key to its record, so one-element reads (HGET, SISMEMBER) are
//! lock-free on any thread; the writer keeps, per live collection, the set of its elements
//! ([`Members`]) to enumerate, count and draw from them.

use std::collections::{HashMap, VecDeque};

use fxhash::FxHashMap;

pub use super::list_order::ListOrder;
use super::list_order::decode_position;
pub use super::members::{CollectionShape, Members};
pub use super::zset_order::ZOrder;

/// The type of a collection, as its metadata record stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectionKind {
    /// A hash: field → value.
    Hash,
    /// A set of members.
    Set,
    /// A list: its elements are named by their positions (`list_order.rs`).
    List,
    /// A sorted set: member → score (`zset_order.rs`).
    SortedSet,
}

impl CollectionKind {
    fn code(self) -> u8 {
        match self {
            CollectionKind::Hash => 1,
            CollectionKind::Set => 2,
            CollectionKind::List => 3,
            CollectionKind::SortedSet => 4,
        }
    }

    fn from_code(code: u8) -> Option<CollectionKind> {
        match code {
            1 => Some(CollectionKind::Hash),
            2 => Some(CollectionKind::Set),
            3 => Some(CollectionKind::List),
            4 => Some(CollectionKind::SortedSet),
            _ => None,
        }
    }
}

/// What a key holds, as TYPE reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// A string value.
    String,
    /// A collection.
    Collection(CollectionKind),
}

/// A live collection: its type, its id (the prefix of its element keys) and its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionMeta {
    /// Hash or set.
    pub kind: CollectionKind,
    /// The id its element records are keyed by (§4.3).
    pub id: u64,
    /// Absolute expiry, Unix milliseconds.
    pub expire_at_ms: Option<u64>,
}

/// What a user key holds, read in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A string and its expiry.
    String(crate::reader::Value),
    /// A collection.
    Collection(CollectionMeta),
}

impl Stored {
    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        match self {
            Stored::String(_) => KeyType::String,
            Stored::Collection(m) => KeyType::Collection(m.kind),
        }
    }

    /// The key's expiry.
    pub fn expire_at_ms(&self) -> Option<u64> {
        match self {
            Stored::String(v) => v.expire_at_ms,
            Stored::Collection(m) => m.expire_at_ms,
        }
    }
}

/// Length of a metadata record's value: type (1 byte), id (u64 LE) (§4.3).
pub(crate) const META_VALUE_LEN: usize = 9;

/// A metadata record's value.
pub(crate) fn encode_meta(kind: CollectionKind, id: u64) -> [u8; META_VALUE_LEN] {
    let mut v = [0u8; META_VALUE_LEN];
    v[0] = kind.code();
    v[1..].copy_from_slice(&id.to_le_bytes());
    v
}

/// Decodes a metadata record's value; `None` if it is not one this build knows.
pub(crate) fn decode_meta(value: &[u8]) -> Option<(CollectionKind, u64)> {
    let (&code, id) = value.split_first()?;
    let kind = CollectionKind::from_code(code)?;
    let id = u64::from_le_bytes(id.try_into().ok()?);
    Some((kind, id))
}

/// The key of element `element` of collection `id`: `[id, u64 BE][element]`.
pub(crate) fn element_key(id: u64, element: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(8 + element.len());
    k.extend_from_slice(&id.to_be_bytes());
    k.extend_from_slice(element);
    k
}

/// Runs `f` with the key of element `element` of collection `id` (as [`element_key`]), built on
/// the stack when it is short: a lookup (HGET, SISMEMBER, each field of an HGETALL) then costs
/// no allocation.
pub(crate) fn with_element_key<T>(id: u64, element: &[u8], f: impl FnOnce(&[u8]) -> T) -> T {
    const STACK: usize = 128;
    let mut buf = [0u8; STACK];
    let (head, tail) = buf.split_at_mut(8);
    head.copy_from_slice(&id.to_be_bytes());
    match tail.get_mut(..element.len()) {
        Some(room) => {
            room.copy_from_slice(element);
            f(buf.get(..8 + element.len()).unwrap_or_default())
        }
        None => f(&element_key(id, element)),
    }
}

/// Splits an element key into its collection id and element; `None` if shorter than an id.
pub(crate) fn split_element_key(key: &[u8]) -> Option<(u64, &[u8])> {
    let (id, element) = key.split_at_checked(8)?;
    Some((u64::from_be_bytes(id.try_into().ok()?), element))
}

/// The most elements one collection can hold, 2^32 − 1 (Redis' documented limit for a hash or
/// set): [`Members`] numbers its elements with `u32` positions. `Txn::put_element` refuses a new
/// element past it (or past the lower `Options::max_collection_elements`).
pub const MAX_ELEMENTS: usize = u32::MAX as usize;

/// The writer's view of every live collection: which key holds which id, each id's elements,
/// and the ids that died and whose element entries are still to be dropped. Writer-thread only.
#[derive(Debug, Default)]
pub(crate) struct Collections {
    /// User key → id of the collection it holds.
    by_key: HashMap<Box<[u8]>, u64>,
    /// Id → the key holding it (a RENAME moves it).
    owner: FxHashMap<u64, Box<[u8]>>,
    /// Id → its committed elements.
    members: FxHashMap<u64, Members>,
    /// List id → its committed positions in order.
    orders: FxHashMap<u64, ListOrder>,
    /// Sorted-set id → its committed members by score.
    zsets: FxHashMap<u64, ZOrder>,
    /// Recovery is loading elements in index order: lists are sorted once, at the end.
    loading: bool,
    /// Dead ids whose element entries are not all dropped yet.
    doomed: VecDeque<u64>,
}

impl Collections {
    /// The committed elements of collection `id` (none if it has none).
    pub(crate) fn members(&self, id: u64) -> Option<&Members> {
        self.members.get(&id)
    }

    /// The committed positions of list `id`, in order (none if it has no element).
    pub(crate) fn order(&self, id: u64) -> Option<&ListOrder> {
        self.orders.get(&id)
    }

    /// The committed members of sorted set `id`, by score (none if it is not a live one).
    pub(crate) fn zset(&self, id: u64) -> Option<&ZOrder> {
        self.zsets.get(&id)
    }

    /// A committed element record of sorted set `id`: `member` has `score` now, or (`None`)
    /// was removed. Nothing for another kind of collection.
    pub(crate) fn zset_committed(&mut self, id: u64, member: &[u8], score: Option<f64>) {
        if let Some(z) = self.zsets.get_mut(&id) {
            match score {
                Some(s) => z.set(member, s),
                None => {
                    z.remove(member);
                }
            }
        }
    }

    /// A committed record made `key` hold collection `id` of `kind` (a metadata record).
    pub(crate) fn key_now_holds(&mut self, key: &[u8], id: u64, kind: CollectionKind) {
        match kind {
            CollectionKind::List => drop(self.orders.entry(id).or_default()),
            CollectionKind::SortedSet => drop(self.zsets.entry(id).or_default()),
            CollectionKind::Hash | CollectionKind::Set => {}
        }
        if let Some(old) = self.by_key.insert(key.into(), id)
            && old != id
        {
            self.release(key, old);
        }
        self.owner.insert(id, key.into());
    }

    /// A committed record made `key` hold no collection (a string, or deleted).
    pub(crate) fn key_now_plain(&mut self, key: &[u8]) {
        if self.by_key.is_empty() {
            return;
        }
        if let Some(old) = self.by_key.remove(key) {
            self.release(key, old);
        }
    }

    /// `key` no longer holds `id`: the collection is dead unless another key holds it now (the
    /// target of a RENAME, committed just before the source's delete).
    fn release(&mut self, key: &[u8], id: u64) {
        if self.owner.get(&id).is_some_and(|k| &k[..] == key) {
            self.owner.remove(&id);
            self.orders.remove(&id);
            self.zsets.remove(&id);
            self.doomed.push_back(id);
        }
    }

    /// A committed element record of `id`: `element` was added or replaced (with a value of
    /// `value_len` bytes), or deleted. `existed`: the element index had an entry for it before
    /// (the index and the member lists hold the same elements of a live collection), so a
    /// replaced value leaves the list alone — no probe of its table for an HSET that
    /// overwrites a field.
    pub(crate) fn element_committed(
        &mut self,
        id: u64,
        element: &[u8],
        value_len: usize,
        deleted: bool,
        existed: bool,
    ) {
        if let Some(order) = self.orders.get_mut(&id)
            && let Some(position) = decode_position(element)
        {
            if deleted {
                order.remove(position);
            } else if !existed {
                if self.loading {
                    order.push_unordered(position);
                } else {
                    order.insert(position);
                }
            }
        }
        if deleted {
            if let Some(m) = self.members.get_mut(&id) {
                m.remove(element);
                if m.is_empty() {
                    self.members.remove(&id);
                }
            }
        } else {
            let m = self.members.entry(id).or_default();
            if !existed {
                m.insert(element);
            }
            debug_assert!(m.contains(element), "element index and member list differ");
            m.note(element, value_len);
        }
    }

    /// Recovery starts loading elements: lists take them unordered until [`finish_loading`].
    ///
    /// [`finish_loading`]: Collections::finish_loading
    pub(crate) fn start_loading(&mut self) {
        self.loading = true;
    }

    /// Recovery has loaded every element: each list's positions are put in order.
    pub(crate) fn finish_loading(&mut self) {
        self.loading = false;
        for order in self.orders.values_mut() {
            order.sort();
        }
    }

    /// Whether some dead collection still has element entries to drop.
    pub(crate) fn has_doomed(&self) -> bool {
        !self.doomed.is_empty()
    }

    /// Takes up to `n` element keys of dead collections out of the writer's view, for the
    /// caller to drop their index entries: a dead collection of any size costs its commit one
    /// record and is cleaned up `n` elements per writer turn.
    pub(crate) fn drop_some(&mut self, n: usize) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        while keys.len() < n {
            let Some(&id) = self.doomed.front() else {
                break;
            };
            if self.owner.contains_key(&id) {
                // Live again? Never: ids are not reused. Only a stale doom of a moved id.
                self.doomed.pop_front();
                continue;
            }
            let Some(m) = self.members.get_mut(&id) else {
                self.doomed.pop_front();
                continue;
            };
            for e in m.take_some(n - keys.len()) {
                keys.push(element_key(id, &e));
            }
            if m.is_empty() {
                self.members.remove(&id);
                self.doomed.pop_front();
            }
        }
        keys
    }

    /// Forgets everything (FLUSHALL).
    pub(crate) fn clear(&mut self) {
        *self = Collections::default();
    }

    /// Live collections.
    pub(crate) fn len(&self) -> usize {
        self.owner.len()
    }

    /// Whether `id` is held by a key.
    pub(crate) fn is_live(&self, id: u64) -> bool {
        self.owner.contains_key(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::members::is_integer;
    use super::*;

    #[test]
    fn the_shape_remembers_the_most_a_collection_held() {
        let mut c = Collections::default();
        c.key_now_holds(b"s", 1, CollectionKind::Set);
        for e in [&b"1"[..], b"-2", b"30"] {
            c.element_committed(1, e, 0, false, false);
        }
        let shape = |c: &Collections| c.members(1).map(Members::shape).unwrap_or_default();
        assert_eq!(
            shape(&c),
            CollectionShape {
                peak: 3,
                longest: 2,
                non_integer: false
            }
        );
        c.element_committed(1, b"word", 100, false, false);
        c.element_committed(1, b"word", 0, true, true);
        // Gone, but remembered: Redis' set stays a hashtable.
        assert_eq!(
            shape(&c),
            CollectionShape {
                peak: 4,
                longest: 100,
                non_integer: true
            }
        );
        for (b, int) in [
            (&b"007"[..], false),
            (b"-0", false),
            (b"+1", false),
            (b"9223372036854775807", true),
            (b"9223372036854775808", false),
            (b"", false),
        ] {
            assert_eq!(is_integer(b), int, "{b:?}");
        }
    }

    #[test]
    fn a_renamed_collection_lives_a_deleted_one_is_dropped() {
        let mut c = Collections::default();
        c.key_now_holds(b"a", 7, CollectionKind::Set);
        c.element_committed(7, b"f1", 0, false, false);
        c.element_committed(7, b"f2", 0, false, false);
        // RENAME a b: b's metadata with id 7, then a's delete.
        c.key_now_holds(b"b", 7, CollectionKind::Set);
        c.key_now_plain(b"a");
        assert!(!c.has_doomed());
        assert!(c.is_live(7));
        // DEL b: id 7 is dead, its two element keys are handed out for dropping.
        c.key_now_plain(b"b");
        assert!(c.has_doomed());
        let mut keys = c.drop_some(1);
        keys.extend(c.drop_some(10));
        keys.sort();
        assert_eq!(keys, vec![element_key(7, b"f1"), element_key(7, b"f2")]);
        assert!(!c.has_doomed() && c.members(7).is_none());
        // Overwritten by a new collection: the old id dies.
        c.key_now_holds(b"k", 8, CollectionKind::Set);
        c.element_committed(8, b"x", 0, false, false);
        c.key_now_holds(b"k", 9, CollectionKind::Set);
        assert_eq!(c.drop_some(10), vec![element_key(8, b"x")]);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn meta_and_element_keys_round_trip() {
        for kind in [CollectionKind::Hash, CollectionKind::Set] {
            assert_eq!(decode_meta(&encode_meta(kind, 42)), Some((kind, 42)));
        }
        assert_eq!(decode_meta(b"short"), None);
        assert_eq!(decode_meta(&[9, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        let k = element_key(0x0102, b"field");
        assert_eq!(&k[..8], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(split_element_key(&k), Some((0x0102, &b"field"[..])));
        assert_eq!(split_element_key(b"short"), None);
        for len in [0, 1, 119, 120, 121, 500] {
            let e = vec![b'e'; len];
            with_element_key(0x0102, &e, |k| assert_eq!(k, element_key(0x0102, &e)));
        }
    }
}
