//! SPOP key [count]: removes and returns random members (t_set.c `spopCommand`,
//! `spopWithCountCommand`). Without a count: one member as a bulk string, nil if the key is
//! absent. With one: a set (RESP3 `~`) of `min(count, size)` distinct members, empty if the key
//! is absent. A set left empty is deleted.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, SYNTAX, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, collection, draw};
use crate::notify;
use crate::resp::{Proto, encode};

/// Redis' text for a count that is not an integer in 0..=LONG_MAX
/// (`getPositiveLongFromObjectOrReply`: the same text for both).
const COUNT_RANGE: &str = "ERR value is out of range, must be positive";

#[derive(Debug)]
pub struct SPop {
    key: Bytes,
    /// `None`: the one-member form.
    count: Option<u64>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let count = match a.next_opt() {
        None => None,
        Some(c) => {
            if a.next_opt().is_some() {
                return Err(SYNTAX.into());
            }
            // Checked before the key is looked up: a bad count wins over WRONGTYPE.
            let n = parse_i64(c).filter(|&n| n >= 0).ok_or(COUNT_RANGE)?;
            Some(n as u64)
        }
    };
    Ok(SPop { key, count }.into())
}

impl StorageCommand for SPop {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(s) = collection::read_for_write(txn, &self.key, CollectionKind::Set)? else {
            match self.count {
                None => encode::null(out, proto),
                Some(_) => encode::set_len(out, 0, proto),
            }
            return Ok(());
        };
        let size = txn.element_count(s.id);
        let popped = match self.count {
            Some(0) => Vec::new(),
            // All of it: the key goes (Redis replies with SUNION of the key, then deletes it).
            Some(n) if n >= size as u64 => {
                let all = txn.elements(s.id);
                txn.delete(&self.key)?;
                txn.notify(notify::SET, "spop", &self.key);
                txn.notify(notify::GENERIC, "del", &self.key);
                collection::set_reply(out, &all, proto);
                return Ok(());
            }
            Some(n) => draw::distinct(txn, s.id, size, n as usize),
            None => draw::distinct(txn, s.id, size, 1),
        };
        // Every member is read before the first is removed: a removal changes the positions
        // the draws were made over.
        for m in &popped {
            txn.delete_element(&self.key, s.id, m)?;
        }
        if !popped.is_empty() {
            txn.notify(notify::SET, "spop", &self.key);
            collection::delete_if_empty(txn, &self.key, &s)?;
        }
        match (self.count, popped.first()) {
            (None, Some(m)) => encode::bulk(out, m),
            (None, None) => encode::null(out, proto),
            (Some(_), _) => collection::set_reply(out, &popped, proto),
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
