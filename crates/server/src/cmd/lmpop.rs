//! LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to `count` elements (1 by
//! default) from the first of the keys that holds a non-empty list; `[key, [elements]]`, or a
//! null array if none does. A key of another type is WRONGTYPE, as Redis checks each key in
//! turn.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, SYNTAX, is, parse_i64};
use super::lpop::{encode_key_and_elements, pop_from};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

/// Redis' texts for LMPOP's (and ZMPOP's, BLMPOP's) numbers.
pub const NUMKEYS_POSITIVE: &str = "ERR numkeys should be greater than 0";
pub const COUNT_POSITIVE: &str = "ERR count should be greater than 0";

#[derive(Debug)]
pub struct LMPop {
    keys: Vec<Bytes>,
    front: bool,
    count: usize,
}

/// The sides of a list: `LEFT` (the head, `true`) or `RIGHT`.
pub const LIST_SIDES: [&str; 2] = ["LEFT", "RIGHT"];

/// The keys, the side and the count of `numkeys key [key ...] LEFT|RIGHT [COUNT count]`
/// (Redis' `lmpopGenericCommand`), for LMPOP and BLMPOP; with `sides` `MIN`/`MAX`, of ZMPOP
/// and BZMPOP (`zmpopGenericCommand`, the same checks). The side is `true` for `sides[0]`.
pub fn parse_keys_side_count(
    args: &[Bytes],
    sides: [&str; 2],
) -> Result<(Vec<Bytes>, bool, usize), String> {
    let mut a = ArgCursor::new(args);
    let numkeys = match parse_i64(&a.next_bytes()?) {
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
        _ => return Err(NUMKEYS_POSITIVE.into()),
    };
    let rest = a.rest();
    if numkeys >= rest.len() {
        return Err(SYNTAX.into());
    }
    let keys = rest[..numkeys].to_vec();
    let side = &rest[numkeys];
    let front = if is(side, sides[0]) {
        true
    } else if is(side, sides[1]) {
        false
    } else {
        return Err(SYNTAX.into());
    };
    let mut count = None;
    let mut opts = rest[numkeys + 1..].iter();
    while let Some(opt) = opts.next() {
        match opts.as_slice().first() {
            Some(v) if count.is_none() && is(opt, "COUNT") => {
                count = match parse_i64(v) {
                    Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                    _ => return Err(COUNT_POSITIVE.into()),
                };
                opts.next();
            }
            _ => return Err(SYNTAX.into()),
        }
    }
    Ok((keys, front, count.unwrap_or(1)))
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let (keys, front, count) = parse_keys_side_count(args, LIST_SIDES)?;
    Ok(LMPop { keys, front, count }.into())
}

impl StorageCommand for LMPop {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        match collection::first_present(txn, &self.keys, CollectionKind::List)? {
            Some((key, list)) => {
                let popped = pop_from(txn, key, &list, self.front, self.count)?;
                encode_key_and_elements(out, key, &popped);
            }
            None => encode::null_array(out, proto),
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        self.keys.first()
    }
}
