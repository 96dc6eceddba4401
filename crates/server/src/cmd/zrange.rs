//! ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES], and the
//! older forms it subsumes — ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
//! ZREVRANGEBYLEX — parsed as Redis' `zrangeGenericCommand` does (options, then conflicts, then
//! the range, then the key). They run on the writer, which keeps each sorted set's order
//! (storage-format §4.3.2), and read no record.

use std::ops::Bound;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{NOT_INTEGER, SYNTAX, is, parse_i64};
use super::zset::{
    LexBound, encode_scored, in_lex_range, parse_lex_range, parse_score_range, score_range_is_empty,
};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

#[derive(Debug)]
enum Range {
    Rank(i64, i64),
    Score(Bound<f64>, Bound<f64>),
    Lex(LexBound, LexBound),
}

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
fn parse_generic(args: &[Bytes], kind: Option<Kind>, rev: Option<bool>) -> Result<Cmd, String> {
    let (Some(key), Some(a), Some(b)) = (args.get(1), args.get(2), args.get(3)) else {
        return Err(SYNTAX.into());
    };
    let (mut kind_opt, mut rev_opt) = (kind, rev);
    let (mut withscores, mut limit) = (false, None);
    let mut i = 4;
    while let Some(opt) = args.get(i) {
        let left = args.len() - i - 1;
        if is(opt, "WITHSCORES") {
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
    let range = match kind {
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
    };
    Ok(ZRange {
        key: key.clone(),
        range,
        rev,
        withscores,
        limit,
    }
    .into())
}

pub fn parse_zrange(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, None, None)
}

pub fn parse_zrevrange(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Rank), Some(true))
}

pub fn parse_zrangebyscore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Score), Some(false))
}

pub fn parse_zrevrangebyscore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Score), Some(true))
}

pub fn parse_zrangebylex(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Lex), Some(false))
}

pub fn parse_zrevrangebylex(args: &[Bytes]) -> Result<Cmd, String> {
    parse_generic(args, Some(Kind::Lex), Some(true))
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
        let Some(z) = collection::read(txn, &self.key, CollectionKind::SortedSet)? else {
            encode::array_len(out, 0);
            return Ok(());
        };
        // LIMIT: a negative offset selects nothing (Redis' loop never reaches it), a negative
        // count everything.
        let (offset, limit) = match self.limit {
            None => (0, None),
            Some((o, _)) if o < 0 => {
                encode::array_len(out, 0);
                return Ok(());
            }
            Some((o, c)) => (o as usize, usize::try_from(c).ok()),
        };
        let items = match &self.range {
            Range::Rank(start, stop) => {
                let len = txn.element_count(z.id);
                match collection::index_range(*start, *stop, len) {
                    None => Vec::new(),
                    Some((from, to)) => txn.zsets()?.by_rank(z.id, from, to, self.rev),
                }
            }
            Range::Score(lo, hi) => {
                if score_range_is_empty(&(*lo, *hi)) {
                    Vec::new()
                } else {
                    txn.zsets()?
                        .by_score(z.id, (*lo, *hi), self.rev, offset, limit)
                }
            }
            Range::Lex(lo, hi) => {
                let range = (lo.clone(), hi.clone());
                let keep = move |m: &[u8]| in_lex_range(m, &range);
                txn.zsets()?.by_member(z.id, self.rev, &keep, offset, limit)
            }
        };
        encode_scored(out, &items, self.withscores, proto);
        Ok(())
    }
}
