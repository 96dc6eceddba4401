//! LSET key index element: replaces the element at `index` (negative: from the tail). One
//! record, at the element's position; no other element moves (storage-format §4.3.1).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_INTEGER, parse_i64};
use super::list_walk::resolve_index;
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// Redis' `shared.nokeyerr` and `shared.outofrangeerr`.
const NO_SUCH_KEY: &str = "ERR no such key";
const OUT_OF_RANGE: &str = "ERR index out of range";

#[derive(Debug)]
pub struct LSet {
    key: Bytes,
    index: Bytes,
    element: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(LSet {
        key: a.next_bytes()?,
        // Parsed after the key's lookup, as Redis does: LSET on an absent key is "no such key"
        // whatever the index.
        index: a.next_bytes()?,
        element: a.next_bytes()?,
    }
    .into())
}

impl StorageCommand for LSet {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(list) = collection::read_for_write(txn, &self.key, CollectionKind::List)? else {
            return Err(fail(NO_SUCH_KEY));
        };
        let index = parse_i64(&self.index).ok_or_else(|| fail(NOT_INTEGER))?;
        let len = txn.element_count(list.id);
        let i = resolve_index(index, len).ok_or_else(|| fail(OUT_OF_RANGE))?;
        if !txn.lists()?.set(&self.key, list.id, i, &self.element)? {
            return Err(fail(OUT_OF_RANGE));
        }
        txn.notify(notify::LIST, "lset", &self.key);
        encode::simple(out, "OK");
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
