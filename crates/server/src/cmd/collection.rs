//! What the hash and set commands share: finding the collection a key holds (WRONGTYPE when it
//! holds something else), creating it on first write, deleting it when its last element goes
//! (Redis has no empty hashes or sets), and the replies that list elements.
//!
//! Storage model (kvs-storage, docs/storage-format.md §4.3): a collection is a metadata record
//! under its key plus one record per element; element reads are lock-free lookups on any
//! thread, while counting and listing a collection's elements needs the writer's view
//! (`StorageCommand::ON_WRITER`).

use bytes::BytesMut;
use kvs_storage::{CollectionKind, CollectionMeta, StorageError, Stored};

use super::{Db, WriteDb};
use crate::resp::{Proto, encode};

/// The collection of `kind` at `key`, `None` if the key is absent (or expired); WRONGTYPE if it
/// holds a string or another kind of collection. Counts a keyspace hit or miss, as Redis'
/// `lookupKeyRead` does.
pub fn read(
    db: &mut dyn Db,
    key: &[u8],
    kind: CollectionKind,
) -> Result<Option<CollectionMeta>, StorageError> {
    let found = of_kind(db.lookup(key)?, kind)?;
    db.note_lookup(found.is_some());
    Ok(found)
}

/// [`read`] for a write command (Redis' `lookupKeyWrite`: no hit or miss counted).
pub fn read_for_write(
    txn: &mut dyn WriteDb,
    key: &[u8],
    kind: CollectionKind,
) -> Result<Option<CollectionMeta>, StorageError> {
    of_kind(txn.lookup(key)?, kind)
}

/// The collection of `kind` at `key`, created empty if the key is absent; WRONGTYPE if it
/// holds anything else.
pub fn read_or_create(
    txn: &mut dyn WriteDb,
    key: &[u8],
    kind: CollectionKind,
) -> Result<CollectionMeta, StorageError> {
    match read_for_write(txn, key, kind)? {
        Some(m) => Ok(m),
        None => txn.create_collection(key, kind, None),
    }
}

fn of_kind(
    stored: Option<Stored>,
    kind: CollectionKind,
) -> Result<Option<CollectionMeta>, StorageError> {
    match stored {
        None => Ok(None),
        Some(Stored::Collection(m)) if m.kind == kind => Ok(Some(m)),
        Some(_) => Err(StorageError::WrongType),
    }
}

/// After removing elements: deletes `key` if its collection `m` has none left. Whether it did.
pub fn delete_if_empty(
    txn: &mut dyn WriteDb,
    key: &[u8],
    m: &CollectionMeta,
) -> Result<bool, StorageError> {
    if txn.element_count(m.id) == 0 {
        txn.delete(key)?;
        return Ok(true);
    }
    Ok(false)
}

/// Replies a list of bulk strings as RESP3 set (`~`) or RESP2 array: SMEMBERS, SINTER...
pub fn set_reply(out: &mut BytesMut, members: &[Vec<u8>], proto: Proto) {
    encode::set_len(out, members.len(), proto);
    for m in members {
        encode::bulk(out, m);
    }
}
