//! The set algebra (t_set.c `sinterGenericCommand`, `sunionDiffGenericCommand`): SINTER,
//! SUNION, SDIFF (a set reply, RESP3 `~`), SINTERCARD numkeys key [key ...] [LIMIT limit] (the
//! intersection's size), and SINTERSTORE, SUNIONSTORE, SDIFFSTORE destination key [key ...]
//! (the result replaces whatever the destination held, or deletes it when empty; the reply is
//! its size).
//!
//! An absent key is an empty set; a key of another type among the inputs is WRONGTYPE (also
//! when an earlier input is absent: Redis looks every key up first). All run on the writer: it
//! alone keeps the member lists, and one command there sees every input at the same moment.

use std::collections::HashSet;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, CollectionMeta, StorageError};

use super::args::{ArgCursor, SYNTAX, is, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

/// Which operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    /// The first set less every other.
    Diff,
}

/// SINTER, SUNION, SDIFF, SINTERCARD: a read.
#[derive(Debug)]
pub struct SetOp {
    op: Op,
    keys: Vec<Bytes>,
    /// SINTERCARD: reply the size, counting up to this limit (0: no limit).
    card_limit: Option<usize>,
}

/// SINTERSTORE, SUNIONSTORE, SDIFFSTORE: a write.
#[derive(Debug)]
pub struct SetOpStore {
    op: Op,
    dest: Bytes,
    keys: Vec<Bytes>,
}

fn parse_read(args: &[Bytes], op: Op) -> Result<Cmd, String> {
    let keys = ArgCursor::new(args).rest();
    Ok(SetOp {
        op,
        keys,
        card_limit: None,
    }
    .into())
}

pub fn parse_sinter(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Inter)
}

pub fn parse_sunion(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Union)
}

pub fn parse_sdiff(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Diff)
}

/// SINTERCARD (`sinterCardCommand`): `numkeys` in 1..=LONG_MAX and at most the arguments left,
/// then only `LIMIT n` options (the last one counts).
pub fn parse_sintercard(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let numkeys = parse_i64(&a.next_bytes()?)
        .filter(|&n| n >= 1)
        .ok_or("ERR numkeys should be greater than 0")?;
    let rest = a.remaining();
    if numkeys > rest.len() as i64 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let (keys, mut opts) = rest.split_at(numkeys as usize);
    let mut limit = 0;
    while let [opt, tail @ ..] = opts {
        match tail {
            [n, tail @ ..] if is(opt, "LIMIT") => {
                limit = parse_i64(n)
                    .filter(|&n| n >= 0)
                    .ok_or("ERR LIMIT can't be negative")?;
                opts = tail;
            }
            _ => return Err(SYNTAX.into()),
        }
    }
    Ok(SetOp {
        op: Op::Inter,
        keys: keys.to_vec(),
        // A limit beyond what memory can count is no limit.
        card_limit: Some(usize::try_from(limit).unwrap_or(0)),
    }
    .into())
}

fn parse_store(args: &[Bytes], op: Op) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let dest = a.next_bytes()?;
    Ok(SetOpStore {
        op,
        dest,
        keys: a.rest(),
    }
    .into())
}

pub fn parse_sinterstore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_store(args, Op::Inter)
}

pub fn parse_sunionstore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_store(args, Op::Union)
}

pub fn parse_sdiffstore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_store(args, Op::Diff)
}

impl StorageCommand for SetOp {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let members = compute(txn, self.op, &self.keys, self.card_limit.unwrap_or(0))?;
        match self.card_limit {
            Some(_) => encode::integer(out, members.len() as i64),
            None => collection::set_reply(out, &members, proto),
        }
        Ok(())
    }
}

impl StorageCommand for SetOpStore {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        // Computed in full before the destination is touched: it may be one of the inputs.
        let members = compute(txn, self.op, &self.keys, 0)?;
        txn.ensure_room(None, members.len())?;
        if members.is_empty() {
            if txn.delete(&self.dest)? {
                txn.notify(notify::GENERIC, "del", &self.dest);
            }
        } else {
            // A new set, without the old value's type or expiry (Redis' `setKey`).
            let d = txn.create_collection(&self.dest, CollectionKind::Set, None)?;
            for m in &members {
                txn.put_element(&self.dest, d.id, m, &[])?;
            }
            let event = match self.op {
                Op::Inter => "sinterstore",
                Op::Union => "sunionstore",
                Op::Diff => "sdiffstore",
            };
            txn.notify(notify::SET, event, &self.dest);
        }
        encode::integer(out, members.len() as i64);
        Ok(())
    }
}

/// The result of `op` over `keys`; an intersection stops after `limit` members (0: none).
fn compute(
    txn: &mut dyn WriteDb,
    op: Op,
    keys: &[Bytes],
    limit: usize,
) -> Result<Vec<Vec<u8>>, StorageError> {
    // Every key first, as Redis does, so a WRONGTYPE anywhere is reported.
    let mut sets = Vec::with_capacity(keys.len());
    for k in keys {
        sets.push(collection::read(txn, k, CollectionKind::Set)?);
    }
    match op {
        Op::Inter => inter(txn, &sets, limit),
        Op::Union => Ok(union(txn, &sets)),
        Op::Diff => diff(txn, keys, &sets),
    }
}

/// Members of the smallest set found in every other; empty if any input is absent.
fn inter(
    txn: &mut dyn WriteDb,
    sets: &[Option<CollectionMeta>],
    limit: usize,
) -> Result<Vec<Vec<u8>>, StorageError> {
    let ids: Option<Vec<u64>> = sets.iter().map(|s| s.as_ref().map(|s| s.id)).collect();
    let Some(mut ids) = ids else {
        return Ok(Vec::new());
    };
    // A key named twice is checked once; the smallest set is walked, the others probed.
    ids.sort_unstable();
    ids.dedup();
    ids.sort_by_cached_key(|&id| txn.element_count(id));
    let Some((&smallest, others)) = ids.split_first() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    'members: for m in txn.elements(smallest) {
        for &id in others {
            if !txn.has_element(id, &m)? {
                continue 'members;
            }
        }
        out.push(m);
        if limit > 0 && out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Every member of any input, once.
fn union(txn: &mut dyn WriteDb, sets: &[Option<CollectionMeta>]) -> Vec<Vec<u8>> {
    let mut all = HashSet::new();
    for s in sets.iter().flatten() {
        all.extend(txn.elements(s.id));
    }
    all.into_iter().collect()
}

/// Members of the first set in none of the others; empty if the first key is absent or is
/// named again among the others.
fn diff(
    txn: &mut dyn WriteDb,
    keys: &[Bytes],
    sets: &[Option<CollectionMeta>],
) -> Result<Vec<Vec<u8>>, StorageError> {
    let (Some(Some(first)), Some((first_key, other_keys))) = (sets.first(), keys.split_first())
    else {
        return Ok(Vec::new());
    };
    if other_keys.contains(first_key) {
        return Ok(Vec::new());
    }
    let others: Vec<u64> = sets[1..].iter().flatten().map(|s| s.id).collect();
    let mut out = Vec::new();
    'members: for m in txn.elements(first.id) {
        for &id in &others {
            if txn.has_element(id, &m)? {
                continue 'members;
            }
        }
        out.push(m);
    }
    Ok(out)
}
