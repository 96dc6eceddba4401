//! What the hash and set commands share: finding the collection a key holds (WRONGTYPE when it
//! holds something else), creating it on first write, deleting it when its last element goes
//! (Redis has no empty hashes or sets), and the replies that list elements.
//!
//! Storage model (kvs-storage, docs/storage-format.md §4.3): a collection is a metadata record
//! under its key plus one record per element; element reads are lock-free lookups on any
//! thread, while counting and listing a collection's elements needs the writer's view
//! (`StorageCommand::ON_WRITER`).

use std::collections::HashSet;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, CollectionMeta, StorageError, Stored};

use super::args::{NOT_INTEGER, SYNTAX, is, parse_i64};
use super::{Db, WriteDb};
use crate::notify;
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

/// The first of `keys` that holds a collection of `kind`, and that collection: what LMPOP,
/// ZMPOP and the blocking pops take from. A key of another type met before one is WRONGTYPE,
/// as Redis checks each key in turn (`lookupKeyWrite`).
pub fn first_present<'k>(
    txn: &mut dyn WriteDb,
    keys: &'k [Bytes],
    kind: CollectionKind,
) -> Result<Option<(&'k Bytes, CollectionMeta)>, StorageError> {
    for key in keys {
        if let Some(m) = read_for_write(txn, key, kind)? {
            return Ok(Some((key, m)));
        }
    }
    Ok(None)
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
/// holds anything else. `adding` are the elements the command may add: if they would take the
/// collection past its limit (2^32 − 1 elements) the command is refused here, before anything is
/// written. The common case costs one comparison; only near the limit are the elements that
/// are really new counted (an element already there or named twice adds nothing).
pub fn read_or_create<'a>(
    txn: &mut dyn WriteDb,
    key: &[u8],
    kind: CollectionKind,
    adding: impl Iterator<Item = &'a [u8]> + Clone,
) -> Result<CollectionMeta, StorageError> {
    let found = read_for_write(txn, key, kind)?;
    let id = found.as_ref().map(|m| m.id);
    if txn.ensure_room(id, adding.clone().count()).is_err() {
        let mut seen = HashSet::new();
        let mut new = 0;
        for e in adding {
            let present = match id {
                Some(id) => txn.has_element(id, e)?,
                None => false,
            };
            if !present && seen.insert(e) {
                new += 1;
            }
        }
        txn.ensure_room(id, new)?;
    }
    match found {
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
        txn.notify(notify::GENERIC, "del", key);
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

/// The options of HSCAN and SSCAN (`scanGenericCommand`'s option loop for a key's collection):
/// `COUNT n` (an integer, 1 or more) and `MATCH pattern`, any number of times, the last one
/// winning; anything else, `TYPE` included (SCAN's alone) or an option without its value, is a
/// syntax error. Returns the MATCH pattern (`None`: every element; `*` is dropped, as Redis
/// does) or Redis' error text. COUNT is checked and then unused: it only bounds how much a call
/// returns, and one call returns everything.
pub fn scan_options(options: &[Bytes]) -> Result<Option<&Bytes>, &'static str> {
    let mut pattern = None;
    let mut rest = options;
    while let [opt, tail @ ..] = rest {
        match tail {
            [v, tail @ ..] if is(opt, "COUNT") => {
                if parse_i64(v).ok_or(NOT_INTEGER)? < 1 {
                    return Err(SYNTAX);
                }
                rest = tail;
            }
            [v, tail @ ..] if is(opt, "MATCH") => {
                pattern = (v.as_ref() != b"*").then_some(v);
                rest = tail;
            }
            _ => return Err(SYNTAX),
        }
    }
    Ok(pattern)
}

/// The elements `start..=stop` of a list or sorted set of `len` as Redis' range commands read
/// them (LRANGE, ZRANGE by rank: negative counts from the tail, then clamped): the half-open
/// index range, or `None` when it is empty.
pub fn index_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        len + stop
    } else {
        stop.min(len - 1)
    };
    // Not `then_some`: its argument is computed even for an empty range (stop = -1 would
    // overflow the `+ 1`).
    if start <= stop && start < len {
        Some((start as usize, stop as usize + 1))
    } else {
        None
    }
}

#[cfg(test)]
mod index_range_tests {
    use super::index_range;

    #[test]
    fn ranges_follow_redis_index_rules() {
        assert_eq!(index_range(0, -1, 3), Some((0, 3)));
        assert_eq!(index_range(0, -3, 3), Some((0, 1)));
        assert_eq!(index_range(0, -4, 3), None);
        assert_eq!(index_range(0, -5, 3), None);
        assert_eq!(index_range(-100, 100, 3), Some((0, 3)));
        assert_eq!(index_range(2, 1, 3), None);
        assert_eq!(index_range(5, 9, 3), None);
        assert_eq!(index_range(i64::MIN + 4, i64::MAX, 3), Some((0, 3)));
    }
}
