//! What a write command does with collections (hashes, sets; §4.3) in its [`Txn`]: find what a
//! key holds, create a collection, read and change its elements, and the type-blind key
//! operations (expiry, rename) that must not read a collection as a string.
//!
//! Reads see the committed state plus what earlier commands of the batch wrote: an element's
//! latest record in the batch wins over the element index, and the element count adds the
//! batch's changes ([`Batch::count_change`](crate::batch::Batch::count_change)) to the writer's
//! committed [`Members`](crate::collection::Members).

use crate::collection::{
    CollectionKind, CollectionMeta, CollectionShape, Members, Stored, encode_meta,
    split_element_key,
};
use crate::collection::{MAX_ELEMENTS, with_element_key};
use crate::error::{Result, StorageError};
use crate::format::RecordKind;
use crate::reader::Value;
use crate::shared::stored;
use crate::txn::Txn;

impl Txn<'_> {
    /// What `key` holds — a string and its expiry, or a collection — or `None` if it is absent
    /// or expired.
    pub fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>> {
        match self.lookup_record(key)? {
            None => Ok(None),
            Some((kind, v)) => stored(kind, v).map(Some),
        }
    }

    /// `key`'s current record as its kind and raw value (a collection's is its metadata).
    fn lookup_record(&mut self, key: &[u8]) -> Result<Option<(RecordKind, Value)>> {
        if let Some(p) = self.pending(key) {
            if !self.is_live(p) {
                return Ok(None);
            }
            let v = Value {
                data: self.batch.value(p).to_vec(),
                expire_at_ms: p.expire_at_ms,
            };
            return Ok(Some((p.kind, v)));
        }
        Ok(match self.shared.read_stored(key)? {
            None => None,
            Some(Stored::String(v)) => Some((RecordKind::Plain, v)),
            Some(Stored::Collection(m)) => {
                let v = Value {
                    data: encode_meta(m.kind, m.id).to_vec(),
                    expire_at_ms: m.expire_at_ms,
                };
                Some((RecordKind::Meta, v))
            }
        })
    }

    /// Makes `key` a new, empty collection of `kind` (whatever it held is replaced, as a SET
    /// replaces any type): one metadata record, whose seq is the new collection's id. Elements
    /// added next belong to it; a collection left empty must be deleted by the caller (Redis
    /// has no empty hashes or sets).
    pub fn create_collection(
        &mut self,
        key: &[u8],
        kind: CollectionKind,
        expire_at_ms: Option<u64>,
    ) -> CollectionMeta {
        let id = *self.next_seq;
        let seq = self.push_kind(
            key,
            &encode_meta(kind, id),
            expire_at_ms,
            false,
            RecordKind::Meta,
        );
        debug_assert_eq!(seq, id);
        CollectionMeta {
            kind,
            id,
            expire_at_ms,
        }
    }

    /// Gives `key` a new expiry (`None`: persist), whatever its type: its record is written
    /// again with the new expiry (a collection's metadata record keeps its id, so its elements
    /// stay). `false` if the key is absent.
    pub fn set_expiry(&mut self, key: &[u8], expire_at_ms: Option<u64>) -> Result<bool> {
        let Some((kind, v)) = self.lookup_record(key)? else {
            return Ok(false);
        };
        self.push_kind(key, &v.data, expire_at_ms, false, kind);
        Ok(true)
    }

    /// RENAME: `dst` takes what `src` holds, with its expiry, and `src` is deleted — two
    /// records whatever the type (a collection keeps its id, so its elements follow at no
    /// cost). `false` if `src` is absent. `src == dst` keeps the key as it is.
    pub fn rename(&mut self, src: &[u8], dst: &[u8]) -> Result<bool> {
        let Some((kind, v)) = self.lookup_record(src)? else {
            return Ok(false);
        };
        if src != dst {
            self.push_kind(dst, &v.data, v.expire_at_ms, false, kind);
            self.delete(src)?;
        }
        Ok(true)
    }

    /// The value of `element` in collection `id` (a hash field's value; empty for a set
    /// member), or `None` if it is not there.
    pub fn element(&mut self, id: u64, element: &[u8]) -> Result<Option<Vec<u8>>> {
        let pending = with_element_key(id, element, |key| {
            self.batch
                .latest_element(key)
                .map(|p| (!p.tombstone).then(|| self.batch.value(p).to_vec()))
        });
        match pending {
            Some(v) => Ok(v),
            None => self.shared.read_element(id, element),
        }
    }

    /// Whether `element` is in collection `id` (no value read).
    pub fn has_element(&mut self, id: u64, element: &[u8]) -> bool {
        with_element_key(id, element, |key| match self.batch.latest_element(key) {
            Some(p) => !p.tombstone,
            None => self.shared.elements.contains_key(key),
        })
    }

    /// Sets `element` of the collection `id` held by `key` to `value` (empty for a set
    /// member); `true` if it is new. Touches `key`'s watchers. A new element past the
    /// collection limit is [`StorageError::CollectionFull`], and nothing is written.
    pub fn put_element(
        &mut self,
        key: &[u8],
        id: u64,
        element: &[u8],
        value: &[u8],
    ) -> Result<bool> {
        let new = !self.has_element(id, element);
        if new {
            self.ensure_room(Some(id), 1)?;
        }
        self.watches.touch(key, false);
        with_element_key(id, element, |ek| {
            self.push_kind(ek, value, None, false, RecordKind::Element)
        });
        if new {
            self.batch.adjust_count(id, 1);
        }
        Ok(new)
    }

    /// Fails with [`StorageError::CollectionFull`] unless collection `id` (`None`: one not yet
    /// created) can take `adding` more elements (`Options::max_collection_elements`, at most
    /// [`MAX_ELEMENTS`]). A command that adds several calls it first with its most, so it is
    /// refused whole rather than written in part.
    pub fn ensure_room(&self, id: Option<u64>, adding: usize) -> Result<()> {
        let limit = self
            .shared
            .opts
            .max_collection_elements
            .min(MAX_ELEMENTS as u64);
        let now = id.map_or(0, |id| self.element_count(id)) as u64;
        let after = now.saturating_add(adding as u64);
        if after > limit {
            return Err(StorageError::CollectionFull { limit });
        }
        Ok(())
    }

    /// Removes `element` from the collection `id` held by `key`; `false` if it was not there
    /// (nothing is written then). Touches `key`'s watchers.
    pub fn delete_element(&mut self, key: &[u8], id: u64, element: &[u8]) -> bool {
        if !self.has_element(id, element) {
            return false;
        }
        self.watches.touch(key, false);
        with_element_key(id, element, |ek| {
            self.push_kind(ek, &[], None, true, RecordKind::Element)
        });
        self.batch.adjust_count(id, -1);
        true
    }

    /// How many elements collection `id` has.
    pub fn element_count(&self, id: u64) -> usize {
        let committed = self.collections.members(id).map_or(0, |m| m.len()) as i64;
        usize::try_from(committed + self.batch.count_change(id)).unwrap_or(0)
    }

    /// Every element of collection `id`, in no particular order. O(elements + batch).
    pub fn elements(&self, id: u64) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(self.element_count(id));
        let changed = self.batch.count_change(id) != 0 || self.batch_touches(id);
        if let Some(m) = self.collections.members(id) {
            for e in m.iter() {
                if !changed || with_element_key(id, e, |k| self.batch.latest_element(k).is_none()) {
                    out.push(e.to_vec());
                }
            }
        }
        if changed {
            // The batch's latest record of each of this collection's elements decides.
            for (p, key) in self.batch.latest_elements() {
                if let Some((eid, e)) = split_element_key(key)
                    && eid == id
                    && !p.tombstone
                {
                    out.push(e.to_vec());
                }
            }
        }
        out
    }

    /// The element at position `i` of collection `id` (0 ≤ i < [`element_count`]), for a
    /// random draw: O(1) when the batch has not changed the collection, else O(elements).
    ///
    /// [`element_count`]: Txn::element_count
    pub fn element_at(&self, id: u64, i: usize) -> Option<Vec<u8>> {
        if self.batch.count_change(id) == 0 && !self.batch_touches(id) {
            return self
                .collections
                .members(id)
                .and_then(|m| m.get(i))
                .map(<[u8]>::to_vec);
        }
        self.elements(id).into_iter().nth(i)
    }

    /// The most collection `id` has held since it was created or the store opened (its
    /// committed history: the current batch's changes are not in it).
    pub fn collection_shape(&self, id: u64) -> CollectionShape {
        self.collections
            .members(id)
            .map(Members::shape)
            .unwrap_or_default()
    }

    /// Whether the batch holds any element record of collection `id`.
    pub(crate) fn batch_touches(&self, id: u64) -> bool {
        self.batch
            .latest_elements()
            .any(|(_, key)| split_element_key(key).is_some_and(|(eid, _)| eid == id))
    }
}
