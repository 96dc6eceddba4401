//! ZPOPMIN key [count] and ZPOPMAX key [count]: remove and return the members with the lowest
//! (highest) scores. Without a count, a flat `[member, score]`; with one, RESP3 nests a pair per
//! member (RESP2 stays flat), as Redis 7.0 answers. [`pop_from`] is the pop that ZMPOP and the
//! blocking BZPOPMIN, BZPOPMAX and BZMPOP share.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, CollectionMeta, StorageError};

use super::args::{SYNTAX, parse_i64};
use super::zset::remove_members;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};
use crate::zset_ops::Scored;

/// Removes up to `count` members from the low end of sorted set `z` at `key` (the high end if
/// `max`), announcing `zpopmin`/`zpopmax`, and deletes the key if none are left (announcing
/// `del`), as Redis' `genericZpopCommand` does. The members, in the order popped.
pub fn pop_from(
    txn: &mut dyn WriteDb,
    key: &[u8],
    z: &CollectionMeta,
    max: bool,
    count: usize,
) -> Result<Vec<Scored>, StorageError> {
    let popped = txn.zsets()?.by_rank(z.id, 0, count, max);
    let event = if max { "zpopmax" } else { "zpopmin" };
    remove_members(txn, key, z, popped.iter().map(|(m, _)| m.as_slice()), event)?;
    Ok(popped)
}

/// ZMPOP's and BZMPOP's reply: `[key, [[member, score], ...]]`, nested in RESP2 too.
pub fn encode_key_and_scored(out: &mut BytesMut, key: &[u8], popped: &[Scored], proto: Proto) {
    encode::array_len(out, 2);
    encode::bulk(out, key);
    encode::array_len(out, popped.len());
    for (m, s) in popped {
        encode::array_len(out, 2);
        encode::bulk(out, m);
        encode::double_g17(out, *s, proto);
    }
}

#[derive(Debug)]
pub struct ZPop {
    key: Bytes,
    /// `None`: the plain single pop.
    count: Option<usize>,
    max: bool,
}

fn parse(args: &[Bytes], max: bool) -> Result<Cmd, String> {
    let count = match args {
        [_, _] => None,
        // Redis' getPositiveLongFromObjectOrReply: one text for "not an integer" and "< 0".
        [_, _, n] => match parse_i64(n) {
            Some(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return Err("ERR value is out of range, must be positive".into()),
        },
        _ => return Err(SYNTAX.into()),
    };
    Ok(ZPop {
        key: args[1].clone(),
        count,
        max,
    }
    .into())
}

pub fn parse_zpopmin(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false)
}

pub fn parse_zpopmax(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true)
}

impl StorageCommand for ZPop {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(z) = collection::read_for_write(txn, &self.key, CollectionKind::SortedSet)? else {
            encode::array_len(out, 0);
            return Ok(());
        };
        let want = self.count.unwrap_or(1);
        if want == 0 {
            encode::array_len(out, 0);
            return Ok(());
        }
        let popped = pop_from(txn, &self.key, &z, self.max, want)?;
        let nested = proto == Proto::Resp3 && self.count.is_some();
        encode::array_len(
            out,
            if nested {
                popped.len()
            } else {
                popped.len() * 2
            },
        );
        for (m, s) in &popped {
            if nested {
                encode::array_len(out, 2);
            }
            encode::bulk(out, m);
            encode::double_g17(out, *s, proto);
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
