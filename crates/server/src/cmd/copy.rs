//! COPY source destination [DB destination-db] [REPLACE]: copies what the key holds — a string,
//! or a hash or set element by element into a new collection — and its TTL
//! (Redis 7's `copyCommand`, `db.c`). kvs has one database, so `DB 0` is the only destination
//! database; any other number gets Redis' "DB index is out of range", as a Redis with
//! `databases 1` answers.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError, Stored};

use super::args::{ArgCursor, NOT_INTEGER, SYNTAX, is, parse_i64};
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Copy {
    from: Bytes,
    to: Bytes,
    replace: bool,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (from, to) = (a.next_bytes()?, a.next_bytes()?);
    let mut replace = false;
    // Redis' order: options left to right, each error as soon as it is met.
    while let Some(opt) = a.next_opt() {
        if is(opt, "REPLACE") {
            replace = true;
        } else if is(opt, "DB")
            && let Some(db) = a.next_opt()
        {
            // getIntFromObjectOrReply: a long long, then within a C int.
            let db = parse_i64(db).ok_or_else(|| NOT_INTEGER.to_string())?;
            if i32::try_from(db).is_err() {
                return Err(
                    "ERR value is out of range, value must between -2147483648 and 2147483647"
                        .into(),
                );
            }
            if db != 0 {
                return Err("ERR DB index is out of range".into());
            }
        } else {
            return Err(SYNTAX.into());
        }
    }
    if from == to {
        return Err("ERR source and destination objects are the same".into());
    }
    Ok(Copy { from, to, replace }.into())
}

impl StorageCommand for Copy {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let source = txn.lookup(&self.from)?;
        // Redis looks the source up with lookupKeyRead: a keyspace hit or miss.
        txn.note_lookup(source.is_some());
        let copied = match source {
            None => false,
            Some(_) if !self.replace && txn.exists(&self.to)? => false,
            Some(Stored::String(v)) => {
                txn.put(&self.to, &v.data, v.expire_at_ms);
                true
            }
            Some(Stored::Collection(m)) if m.kind == CollectionKind::List => {
                // A list is copied through the list operations, in order, so the batch's view
                // of the new list (storage-format §4.3.1) has every element: a later command of
                // the same batch pushes past them instead of onto one of them.
                let len = txn.element_count(m.id);
                txn.ensure_room(None, len)?;
                let copy = txn.create_collection(&self.to, m.kind, m.expire_at_ms)?;
                let lists = txn.lists()?;
                for v in lists.range(m.id, 0, len)? {
                    lists.push(&self.to, copy.id, false, &v)?;
                }
                true
            }
            Some(Stored::Collection(m)) => {
                // A new collection (a new id) with a copy of every element: O(N), as Redis'.
                let elements = txn.elements(m.id);
                txn.ensure_room(None, elements.len())?;
                let copy = txn.create_collection(&self.to, m.kind, m.expire_at_ms)?;
                for e in &elements {
                    let value = txn.element(m.id, e)?.unwrap_or_default();
                    txn.put_element(&self.to, copy.id, e, &value)?;
                }
                true
            }
        };
        if copied {
            txn.notify(notify::GENERIC, "copy_to", &self.to);
        }
        encode::integer(out, i64::from(copied));
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.from)
    }
}
