//! ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] and ZINCRBY key
//! increment member: set members' scores (storage-format §4.3.2: one element record each, its
//! value the score), with Redis' rules for each option, replies and errors.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{SYNTAX, is};
use super::zset::{NAN_RESULT, NOT_FLOAT, encode_score, parse_score};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

#[derive(Debug)]
pub struct ZAdd {
    key: Bytes,
    flags: Flags,
    pairs: Vec<(f64, Bytes)>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let key = args
        .get(1)
        .cloned()
        .ok_or_else(|| super::args::wrong_arity("zadd"))?;
    let mut flags = Flags::default();
    let mut i = 2;
    while let Some(opt) = args.get(i) {
        match () {
            _ if is(opt, "NX") => flags.nx = true,
            _ if is(opt, "XX") => flags.xx = true,
            _ if is(opt, "GT") => flags.gt = true,
            _ if is(opt, "LT") => flags.lt = true,
            _ if is(opt, "CH") => flags.ch = true,
            _ if is(opt, "INCR") => flags.incr = true,
            _ => break,
        }
        i += 1;
    }
    let rest = &args[i.min(args.len())..];
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return Err(SYNTAX.into());
    }
    if flags.nx && flags.xx {
        return Err("ERR XX and NX options at the same time are not compatible".into());
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err("ERR GT, LT, and/or NX options at the same time are not compatible".into());
    }
    if flags.incr && rest.len() > 2 {
        return Err("ERR INCR option supports a single increment-element pair".into());
    }
    let mut pairs = Vec::with_capacity(rest.len() / 2);
    for pair in rest.chunks(2) {
        let score = parse_score(&pair[0]).ok_or(NOT_FLOAT)?;
        pairs.push((score, pair[1].clone()));
    }
    Ok(ZAdd { key, flags, pairs }.into())
}

/// ZINCRBY key increment member: ZADD INCR with one pair.
pub fn parse_zincrby(args: &[Bytes]) -> Result<Cmd, String> {
    let [_, key, incr, member] = args else {
        return Err(super::args::wrong_arity("zincrby"));
    };
    let score = parse_score(incr).ok_or(NOT_FLOAT)?;
    Ok(ZAdd {
        key: key.clone(),
        flags: Flags {
            incr: true,
            ..Flags::default()
        },
        pairs: vec![(score, member.clone())],
    }
    .into())
}

impl StorageCommand for ZAdd {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let f = self.flags;
        let found = collection::read_for_write(txn, &self.key, CollectionKind::SortedSet)?;
        if found.is_none() && f.xx {
            return self.reply(out, proto, 0, None);
        }
        // Work out every change first, so that a NaN or a full set refuses the command whole.
        let id = found.map(|z| z.id);
        let mut changes: Vec<(&Bytes, f64, bool)> = Vec::new(); // member, score, new
        // Each member's latest change, so a member named twice sees its earlier pair's score
        // without a scan of the changes (a variadic ZADD stays linear).
        let mut latest: HashMap<&[u8], usize> = HashMap::new();
        let mut last = None;
        for (score, member) in &self.pairs {
            let stored = match id {
                Some(id) => txn.zsets()?.score(id, member),
                None => None,
            };
            let current = latest.get(&member[..]).map(|&i| changes[i].1).or(stored);
            let new_score = match current {
                Some(_) if f.nx => continue,
                None if f.xx => continue,
                Some(cur) if f.incr => cur + score,
                _ => *score,
            };
            if new_score.is_nan() {
                return Err(fail(NAN_RESULT));
            }
            if let Some(cur) = current
                && ((f.lt && new_score >= cur) || (f.gt && new_score <= cur))
            {
                continue;
            }
            last = Some(new_score);
            if current.is_some_and(|c| c == new_score) {
                continue; // processed, but nothing to write (-0 == 0 here too)
            }
            latest.insert(&member[..], changes.len());
            changes.push((member, new_score, current.is_none()));
        }
        let added = changes.iter().filter(|c| c.2).count();
        let updated = changes.len() - added;
        if changes.is_empty() {
            return self.reply(out, proto, 0, last);
        }
        txn.ensure_room(id, added)?;
        let id = match found {
            Some(z) => z.id,
            None => {
                txn.create_collection(&self.key, CollectionKind::SortedSet, None)?
                    .id
            }
        };
        let zsets = txn.zsets()?;
        for (member, score, _) in &changes {
            // Redis stores -0 as 0 in a listpack (its small-set encoding): the score read back
            // is 0, though INCR's reply shows the -0 it computed.
            zsets.set(&self.key, id, member, *score + 0.0)?;
        }
        let event = if f.incr { "zincr" } else { "zadd" };
        txn.notify(notify::ZSET, event, &self.key);
        let count = if f.ch { added + updated } else { added };
        self.reply(out, proto, count, last)
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}

impl ZAdd {
    /// ZADD's count, or with INCR the new score (nil when no pair was applied).
    fn reply(
        &self,
        out: &mut BytesMut,
        proto: Proto,
        count: usize,
        score: Option<f64>,
    ) -> Result<(), StorageError> {
        if self.flags.incr {
            encode_score(out, score, proto);
        } else {
            encode::integer(out, count as i64);
        }
        Ok(())
    }
}
