//! ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES], the older
//! forms it subsumes — ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX
//! — and ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count], parsed as
//! Redis' `zrangeGenericCommand` does (options, then conflicts, then the range, then the key).
//! They run on the writer, which keeps each sorted set's order (storage-format §4.3.2), and
//! read no record.
//!
//! ZRANGESTORE writes the selection as a new sorted set at `dst` (no expiry, whatever `dst`
//! held before), or deletes `dst` when the selection is empty; the reply is its size.

use std::ops::Bound;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{NOT_INTEGER, SYNTAX, is, parse_i64};
use super::zset::{
    LexBound, encode_scored, in_lex_range, parse_lex_range, parse_score_range, score_range_is_empty,
};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::Proto;
use crate::zset_ops::Scored;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rank,
    Score,
    Lex,
}

/// Which members a range names: by rank (Redis' indexes, negative from the end), by score, or
/// by member.
#[derive(Debug)]
pub enum Range {
    Rank(i64, i64),
    Score(Bound<f64>, Bound<f64>),
    Lex(LexBound, LexBound),
}

impl Range {
    /// The members of sorted set `id` in the range, in order (`rev`: highest first), after
    /// `offset`, at most `limit` (a rank range ignores both).
    pub fn select(
        &self,
        txn: &mut dyn WriteDb,
        id: u64,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Result<Vec<Scored>, StorageError> {
        Ok(match self {
            Range::Rank(start, stop) => {
                let len = txn.element_count(id);
                match collection::index_range(*start, *stop, len) {
                    None => Vec::new(),
                    Some((from, to)) => txn.zsets()?.by_rank(id, from, to, rev),
                }
            }
            Range::Score(lo, hi) => {
                if score_range_is_empty(&(*lo, *hi)) {
                    Vec::new()
                } else {
                    txn.zsets()?.by_score(id, (*lo, *hi), rev, offset, limit)
                }
            }
            Range::Lex(lo, hi) => {
                let range = (lo.clone(), hi.clone());
                let keep = move |m: &[u8]| in_lex_range(m, &range);
                txn.zsets()?.by_member(id, rev, &keep, offset, limit)
            }
        })
    }
}

/// Parses the range `min max` by `kind`, in Redis' texts.
pub fn parse_range(kind: RangeKind, min: &Bytes, max: &Bytes) -> Result<Range, String> {
    Ok(match kind {
        Kind::Rank => Range::Rank(
            parse_i64(min).ok_or(NOT_INTEGER)?,
            parse_i64(max).ok_or(NOT_INTEGER)?,
        ),
        Kind::Score => {
            let (lo, hi) = parse_score_range(min, max)?;
            Range::Score(lo, hi)
        }
        Kind::Lex => {
            let (lo, hi) = parse_lex_range(min, max)?;
            Range::Lex(lo, hi)
        }
    })
}

/// What a range is over.
pub type RangeKind = Kind;

#[derive(Debug)]
pub struct ZRange {
    key: Bytes,
    range: Range,
    rev: bool,
    withscores: bool,
    /// LIMIT offset count (count < 0: all).
    limit: Option<(i64, i64)>,
}

/// `kind` / `rev`: fixed by the command (ZRANGEBYSCORE...), or `None` for ZRANGE's options.
/// `store`: ZRANGESTORE, whose `args` start one later (at the destination, where the others
/// have their name) and take no WITHSCORES.
pub fn parse_generic(
    args: &[Bytes],
    kind: Option<Kind>,
    rev: Option<bool>,
    store: bool,
) -> Result<ZRange, String> {
    let (Some(key), Some(a), Some(b)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err(SYNTAX.into());
    };
    let (mut kind_opt, mut rev_opt) = (kind, rev);
    let (mut withscores, mut limit) = (false, None);
    let mut i = 4;
    while let Some(opt) = args.get(i) {
        let left = args.len() - i - 1;
        if !store && is(opt, "WITHSCORES") {
            withscores = true;
        } else if is(opt, "LIMIT") && left >= 2 {
            let offset = parse_i64(&args[i + 1]).ok_or(NOT_INTEGER)?;
            let count = parse_i64(&args[i + 2]).ok_or(NOT_INTEGER)?;
            limit = Some((offset, count));
            i += 2;
        } else if rev.is_none() && rev_opt.is_none() && is(opt, "REV") {
            rev_opt = Some(true);
        } else if kind.is_none() && kind_opt.is_none() && is(opt, "BYLEX") {
            kind_opt = Some(Kind::Lex);
        } else if kind.is_none() && kind_opt.is_none() && is(opt, "BYSCORE") {
            kind_opt = Some(Kind::Score);
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    let kind = kind_opt.unwrap_or(Kind::Rank);
    let rev = rev_opt.unwrap_or(false);
    // Redis tests the count against its default, -1: `LIMIT 0 -1` passes even by rank.
    if limit.is_some_and(|(_, c)| c != -1) && kind == Kind::Rank {
        return Err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        );
    }
    if withscores && kind == Kind::Lex {
        return Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX".into());
    }
    // A reverse score or member range is given as max, min.
    let (min, max) = if rev && kind != Kind::Rank {
        (b, a)
    } else {
        (a, b)
    };
    let range = parse_range(kind, min, max)?;
    Ok(ZRange {
        key: key.clone(),
        range,
        rev,
        withscores,
        limit,
    })
}

pub fn parse_zrange(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, None, None, false).map(Into::into)
}

pub fn parse_zrevrange(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Rank), Some(true), false).map(Into::into)
}

pub fn parse_zrangebyscore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Score), Some(false), false).map(Into::into)
}

pub fn parse_zrevrangebyscore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Score), Some(true), false).map(Into::into)
}

pub fn parse_zrangebylex(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Lex), Some(false), false).map(Into::into)
}

pub fn parse_zrevrangebylex(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Lex), Some(true), false).map(Into::into)
}

impl ZRange {
    /// The selected members (empty for a missing key).
    pub fn items(&self, txn: &mut dyn WriteDb) -> Result<Vec<Scored>, StorageError> {
        let Some(z) = collection::read(txn, &self.key, CollectionKind::SortedSet)? else {
            return Ok(Vec::new());
        };
        // LIMIT: a negative offset selects nothing (Redis' loop never reaches it), a negative
        // count everything.
        let (offset, limit) = match self.limit {
            None => (0, None),
            Some((o, _)) if o < 0 => return Ok(Vec::new()),
            Some((o, c)) => (o as usize, usize::try_from(c).ok()),
        };
        self.range.select(txn, z.id, self.rev, offset, limit)
    }
}

impl StorageCommand for ZRange {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let items = self.items(txn)?;
        encode_scored(out, &items, self.withscores, proto);
        Ok(())
    }
}

/// Replaces whatever `dest` holds with a new sorted set of `items` (no expiry: Redis'
/// `setKey`), announcing `event`; deletes `dest` (announcing `del`) when `items` is empty.
pub fn store(
    txn: &mut dyn WriteDb,
    dest: &[u8],
    items: &[Scored],
    event: &'static str,
) -> Result<(), StorageError> {
    txn.ensure_room(None, items.len())?;
    if items.is_empty() {
        if txn.delete(dest)? {
            txn.notify(notify::GENERIC, "del", dest);
        }
        return Ok(());
    }
    let id = txn
        .create_collection(dest, CollectionKind::SortedSet, None)?
        .id;
    let zsets = txn.zsets()?;
    for (member, score) in items {
        // -0 is stored as 0, as ZADD stores it and as Redis' listpack holds a stored result.
        zsets.set(dest, id, member, *score + 0.0)?;
    }
    txn.notify(notify::ZSET, event, dest);
    Ok(())
}
