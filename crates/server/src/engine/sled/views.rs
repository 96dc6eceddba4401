//! The sled engine's views for commands: [`SledReader`] over the committed state and
//! [`SledTxn`], one write job's changes on top of it, with each value stored as its expiry
//! (8 bytes LE, 0 for none) followed by its bytes.

use std::collections::HashMap;

use bytes::Bytes;
use kvs_storage::{
    CollectionKind, CollectionMeta, Result, StorageError, Stored, Value, Watches, now_ms,
};

use super::super::{Db, WriteDb};
use super::err;

pub(super) fn encode(value: &[u8], expire_at_ms: Option<u64>) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + value.len());
    v.extend_from_slice(&expire_at_ms.unwrap_or(0).to_le_bytes());
    v.extend_from_slice(value);
    v
}

/// The expiry of a stored value, if it has one.
fn expiry(raw: &[u8]) -> Option<u64> {
    let at = u64::from_le_bytes(raw.get(..8)?.try_into().ok()?);
    (at != 0).then_some(at)
}

pub(super) fn decode(raw: &[u8], now: u64) -> Option<Value> {
    let data = raw.get(8..)?;
    let expire_at_ms = expiry(raw);
    if expire_at_ms.is_some_and(|t| t <= now) {
        return None;
    }
    Some(Value {
        data: data.to_vec(),
        expire_at_ms,
    })
}

/// Read view over the committed sled state.
pub(super) struct SledReader {
    pub(super) db: sled::Db,
}

impl Db for SledReader {
    fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>> {
        Ok(self.get(key)?.map(Stored::String))
    }
    /// sled holds strings only: no collection, so no element, ever exists.
    fn element(&mut self, _id: u64, _element: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }
    fn has_element(&mut self, _id: u64, _element: &[u8]) -> Result<bool> {
        Ok(false)
    }
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>> {
        Ok(self
            .db
            .get(key)
            .map_err(err)?
            .and_then(|raw| decode(&raw, now_ms())))
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        // The cursor counts keys already returned (sled iterates in key order): simple, and a
        // key present for the whole scan is returned at least once.
        let now = now_ms();
        let mut keys = Vec::new();
        let mut seen = 0usize;
        for item in self.db.iter().skip(cursor as usize).take(count) {
            seen += 1;
            if let Ok((k, v)) = item
                && decode(&v, now).is_some()
            {
                keys.push(k.to_vec());
            }
        }
        let next = if seen < count {
            0
        } else {
            cursor + seen as u64
        };
        (next, keys)
    }
    fn key_count(&mut self) -> usize {
        self.db.len()
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        let n = self.db.len();
        if n == 0 {
            return None;
        }
        let start = (now_ms() as usize).wrapping_mul(2654435761) % n;
        let now = now_ms();
        self.db
            .iter()
            .skip(start)
            .chain(self.db.iter())
            .flatten()
            .find(|(_, v)| decode(v, now).is_some())
            .map(|(k, _)| k.to_vec())
    }
}

/// One write job's view: its changes in a batch, visible to the rest of the writer batch.
pub(super) struct SledTxn<'a> {
    pub(super) reader: SledReader,
    pub(super) overlay: &'a mut HashMap<Vec<u8>, Option<Value>>,
    pub(super) batch: sled::Batch,
    pub(super) now: u64,
    /// The writer's watched keys (WATCH), touched by every put and delete.
    pub(super) watches: &'a mut Watches,
}

impl SledTxn<'_> {
    /// Whether `key` is there but expired (Redis' `keyIsExpired`): sled keeps expired values
    /// until they are overwritten or deleted.
    fn expired(&mut self, key: &[u8]) -> bool {
        let at = match self.overlay.get(key) {
            Some(v) => v.as_ref().and_then(|v| v.expire_at_ms),
            None => self
                .reader
                .db
                .get(key)
                .ok()
                .flatten()
                .and_then(|raw| expiry(&raw)),
        };
        at.is_some_and(|t| t <= self.now)
    }
}

impl Db for SledTxn<'_> {
    fn lookup(&mut self, key: &[u8]) -> Result<Option<Stored>> {
        Ok(self.get(key)?.map(Stored::String))
    }
    /// sled holds strings only: no collection, so no element, ever exists.
    fn element(&mut self, _id: u64, _element: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }
    fn has_element(&mut self, _id: u64, _element: &[u8]) -> Result<bool> {
        Ok(false)
    }
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>> {
        match self.overlay.get(key) {
            Some(v) => Ok(v
                .clone()
                .filter(|v| v.expire_at_ms.is_none_or(|t| t > self.now))),
            None => self.reader.get(key),
        }
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        self.reader.scan(cursor, count)
    }
    fn key_count(&mut self) -> usize {
        self.reader.key_count()
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        self.reader.random_key()
    }
}

impl WriteDb for SledTxn<'_> {
    fn now_ms(&self) -> u64 {
        self.now
    }
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.watches.touch(key, false);
        self.batch.insert(key, encode(value, expire_at_ms));
        self.overlay.insert(
            key.to_vec(),
            Some(Value {
                data: value.to_vec(),
                expire_at_ms,
            }),
        );
    }
    fn delete(&mut self, key: &[u8]) -> Result<bool> {
        let existed = self.exists(key)?;
        self.watches.touch(key, true);
        self.batch.remove(key);
        self.overlay.insert(key.to_vec(), None);
        Ok(existed)
    }
    fn create_collection(
        &mut self,
        _key: &[u8],
        _kind: CollectionKind,
        _expire_at_ms: Option<u64>,
    ) -> Result<CollectionMeta> {
        Err(strings_only())
    }
    fn put_element(&mut self, _: &[u8], _: u64, _: &[u8], _: &[u8]) -> Result<bool> {
        Err(strings_only())
    }
    fn delete_element(&mut self, _: &[u8], _: u64, _: &[u8]) -> Result<bool> {
        Err(strings_only())
    }
    fn element_count(&mut self, _id: u64) -> usize {
        0
    }
    fn elements(&mut self, _id: u64) -> Vec<Vec<u8>> {
        Vec::new()
    }
    fn element_at(&mut self, _id: u64, _i: usize) -> Option<Vec<u8>> {
        None
    }
    fn set_expiry(&mut self, key: &[u8], expire_at_ms: Option<u64>) -> Result<bool> {
        let Some(v) = self.get(key)? else {
            return Ok(false);
        };
        self.put(key, &v.data, expire_at_ms);
        Ok(true)
    }
    fn rename(&mut self, src: &[u8], dst: &[u8]) -> Result<bool> {
        let Some(v) = self.get(src)? else {
            return Ok(false);
        };
        if src != dst {
            self.put(dst, &v.data, v.expire_at_ms);
            self.delete(src)?;
        }
        Ok(true)
    }
    fn watch(&mut self, watcher: u64, key: &[u8]) {
        let stale = self.expired(key);
        self.watches.watch(watcher, key, stale);
    }
    fn unwatch(&mut self, watcher: u64) {
        self.watches.unwatch(watcher);
    }
    fn check_watched(&mut self, watcher: u64) -> bool {
        // The expiry test reads sled, which the table's closure cannot borrow: ask first.
        let expired: Vec<Vec<u8>> = self
            .watches
            .keys_of(watcher)
            .into_iter()
            .filter(|k| self.expired(k))
            .collect();
        self.watches
            .check(watcher, |k| expired.iter().any(|e| e == k))
    }
}

/// What a hash or set command gets from the sled engine.
fn strings_only() -> StorageError {
    StorageError::InvalidOperation(
        "ERR the sled engine (--engine sled) stores strings only; hashes and sets need the kvs engine"
            .into(),
    )
}
