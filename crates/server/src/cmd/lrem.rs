//! LREM key count element: removes the first `count` elements equal to `element` from the
//! head (`count` > 0), the last `-count` from the tail (< 0), or all of them (0); the number
//! removed. One tombstone per removed element, nothing else moves; a list left empty is
//! deleted.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_INTEGER, parse_i64};
use super::list_walk::walk;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct LRem {
    key: Bytes,
    count: i64,
    element: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let count = parse_i64(&a.next_bytes()?).ok_or(NOT_INTEGER)?;
    Ok(LRem {
        key,
        count,
        element: a.next_bytes()?,
    }
    .into())
}

impl StorageCommand for LRem {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(list) = collection::read_for_write(txn, &self.key, CollectionKind::List)? else {
            encode::integer(out, 0);
            return Ok(());
        };
        let len = txn.element_count(list.id);
        let limit = usize::try_from(self.count.unsigned_abs()).unwrap_or(usize::MAX);
        let mut matches = Vec::new();
        walk(txn.lists()?, list.id, len, self.count < 0, |i, v| {
            if v == &self.element[..] {
                matches.push(i);
            }
            limit == 0 || matches.len() < limit
        })?;
        if !matches.is_empty() {
            matches.sort_unstable();
            txn.lists()?.remove(&self.key, list.id, &matches);
            txn.notify(notify::LIST, "lrem", &self.key);
            collection::delete_if_empty(txn, &self.key, &list)?;
        }
        encode::integer(out, matches.len() as i64);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
