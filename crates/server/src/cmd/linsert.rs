//! LINSERT key BEFORE|AFTER pivot element: inserts next to the first element equal to `pivot`,
//! from the head; the list's new length, -1 if no element is `pivot`, 0 for an absent key. The
//! new element takes the midpoint of the gap between its neighbours (or a window is respaced
//! first: storage-format §4.3.1), so no other element is rewritten in the common case.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, SYNTAX, is};
use super::list_walk::walk;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct LInsert {
    key: Bytes,
    after: bool,
    pivot: Bytes,
    element: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let where_ = a.next_bytes()?;
    let after = if is(&where_, "AFTER") {
        true
    } else if is(&where_, "BEFORE") {
        false
    } else {
        return Err(SYNTAX.into());
    };
    Ok(LInsert {
        key,
        after,
        pivot: a.next_bytes()?,
        element: a.next_bytes()?,
    }
    .into())
}

impl StorageCommand for LInsert {
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
        let lists = txn.lists()?;
        let mut found = None;
        walk(lists, list.id, len, false, |i, v| {
            if v == &self.pivot[..] {
                found = Some(i);
            }
            found.is_none()
        })?;
        let Some(pivot) = found else {
            encode::integer(out, -1);
            return Ok(());
        };
        txn.ensure_room(Some(list.id), 1)?;
        let at = if self.after { pivot + 1 } else { pivot };
        txn.lists()?.insert(&self.key, list.id, at, &self.element)?;
        txn.notify(notify::LIST, "linsert", &self.key);
        encode::integer(out, txn.element_count(list.id) as i64);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
