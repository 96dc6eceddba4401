//! LPUSH / RPUSH key element [element ...] (the list is created if absent) and LPUSHX / RPUSHX
//! (only onto an existing list): each element in turn at the head or the tail; the reply is the
//! list's length after. A push writes one record and touches no other element
//! (storage-format §4.3.1).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct LPush {
    key: Bytes,
    elements: Vec<Bytes>,
    /// LPUSH / LPUSHX: at the head.
    front: bool,
    /// LPUSHX / RPUSHX: only if the list exists.
    only_existing: bool,
}

fn parse(args: &[Bytes], front: bool, only_existing: bool) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(LPush {
        key,
        elements: a.rest(),
        front,
        only_existing,
    }
    .into())
}

pub fn parse_lpush(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true, false)
}

pub fn parse_rpush(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false, false)
}

pub fn parse_lpushx(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true, true)
}

pub fn parse_rpushx(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false, true)
}

impl StorageCommand for LPush {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let found = collection::read_for_write(txn, &self.key, CollectionKind::List)?;
        if found.is_none() && self.only_existing {
            encode::integer(out, 0);
            return Ok(());
        }
        // Every element pushed is a new one: the command is refused whole past the limit.
        txn.ensure_room(found.map(|l| l.id), self.elements.len())?;
        let list = match found {
            Some(l) => l,
            None => txn.create_collection(&self.key, CollectionKind::List, None)?,
        };
        let lists = txn.lists()?;
        for e in &self.elements {
            lists.push(&self.key, list.id, self.front, e)?;
        }
        let event = if self.front { "lpush" } else { "rpush" };
        txn.notify(notify::LIST, event, &self.key);
        encode::integer(out, txn.element_count(list.id) as i64);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
