//! LPOP / RPOP key [count]: the head's or the tail's element (nil for an absent key), or with a
//! count up to that many, in pop order (a null array for an absent key). A list left empty is
//! deleted, as Redis has no empty lists.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, CollectionMeta, StorageError};

use super::args::{ArgCursor, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// Redis' `getPositiveLongFromObjectOrReply` text, for a count that is negative or no integer.
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

#[derive(Debug)]
pub struct LPop {
    key: Bytes,
    count: Option<usize>,
    /// LPOP: from the head.
    front: bool,
}

fn parse(args: &[Bytes], front: bool) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let count = match a.remaining() {
        [] => None,
        [n] => match parse_i64(n) {
            Some(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return Err(NOT_POSITIVE.into()),
        },
        _ => {
            let name = if front { "lpop" } else { "rpop" };
            return Err(super::args::wrong_arity(name));
        }
    };
    Ok(LPop { key, count, front }.into())
}

pub fn parse_lpop(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true)
}

pub fn parse_rpop(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false)
}

/// Pops up to `count` elements from the head (`front`) or the tail of `list`, held by `key`,
/// in pop order: the `lpop`/`rpop` event if any went, and the key deleted if it is left empty.
/// What LPOP, RPOP, LMPOP and the blocking pops share.
pub fn pop_from(
    txn: &mut dyn WriteDb,
    key: &[u8],
    list: &CollectionMeta,
    front: bool,
    count: usize,
) -> Result<Vec<Vec<u8>>, StorageError> {
    let want = count.min(txn.element_count(list.id));
    let lists = txn.lists()?;
    let mut popped = Vec::with_capacity(want);
    for _ in 0..want {
        match lists.pop(key, list.id, front)? {
            Some(v) => popped.push(v),
            None => return Err(fail("ERR internal error: list shorter than its count")),
        }
    }
    if !popped.is_empty() {
        txn.notify(notify::LIST, if front { "lpop" } else { "rpop" }, key);
        collection::delete_if_empty(txn, key, list)?;
    }
    Ok(popped)
}

/// The `[key, [elements]]` reply of LMPOP and BLMPOP.
pub fn encode_key_and_elements(out: &mut BytesMut, key: &[u8], elements: &[Vec<u8>]) {
    encode::array_len(out, 2);
    encode::bulk(out, key);
    encode::array_len(out, elements.len());
    for v in elements {
        encode::bulk(out, v);
    }
}

impl StorageCommand for LPop {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(list) = collection::read_for_write(txn, &self.key, CollectionKind::List)? else {
            match self.count {
                None => encode::null(out, proto),
                Some(_) => encode::null_array(out, proto),
            }
            return Ok(());
        };
        let count = self.count.unwrap_or(1);
        let popped = pop_from(txn, &self.key, &list, self.front, count)?;
        match self.count {
            None => match popped.first() {
                Some(v) => encode::bulk(out, v),
                None => encode::null(out, proto),
            },
            Some(_) => {
                encode::array_len(out, popped.len());
                for v in &popped {
                    encode::bulk(out, v);
                }
            }
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
