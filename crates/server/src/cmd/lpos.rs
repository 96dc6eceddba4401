//! LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the index of the first match
//! (the `rank`-th; negative ranks count matches from the tail), or with COUNT up to that many
//! indexes (0: all), scanning at most MAXLEN elements. Runs on the writer, which alone keeps
//! the list's order, reading element records a chunk at a time until it is answered.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_INTEGER, SYNTAX, is, parse_i64};
use super::list_walk::walk;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

/// Redis' texts for its LPOS options.
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const COUNT_NEGATIVE: &str = "ERR COUNT can't be negative";
const MAXLEN_NEGATIVE: &str = "ERR MAXLEN can't be negative";

#[derive(Debug)]
pub struct LPos {
    key: Bytes,
    element: Bytes,
    /// Which match is the first one returned (1-based), and whether matches are counted from
    /// the tail.
    rank: u64,
    from_tail: bool,
    /// COUNT: `None` without the option (a single index or nil), `Some(0)` for all matches.
    count: Option<u64>,
    /// MAXLEN: elements scanned at most (0: all).
    max_len: u64,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let element = a.next_bytes()?;
    let (mut rank, mut count, mut max_len) = (1i64, None, 0u64);
    let positive = |v: &Bytes, msg: &str| match parse_i64(v) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(msg.to_string()),
    };
    let mut rest = a.rest();
    while !rest.is_empty() {
        let opt = rest.remove(0);
        let Some(value) = (!rest.is_empty()).then(|| rest.remove(0)) else {
            return Err(SYNTAX.into());
        };
        if is(&opt, "RANK") {
            rank = parse_i64(&value).ok_or(NOT_INTEGER)?;
            if rank == 0 {
                return Err(RANK_ZERO.into());
            }
        } else if is(&opt, "COUNT") {
            count = Some(positive(&value, COUNT_NEGATIVE)?);
        } else if is(&opt, "MAXLEN") {
            max_len = positive(&value, MAXLEN_NEGATIVE)?;
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(LPos {
        key,
        element,
        // Redis negates a negative rank in a `long`; LONG_MIN stays negative there, so every
        // match qualifies: the same as rank 1 from the tail.
        rank: if rank == i64::MIN {
            1
        } else {
            rank.unsigned_abs()
        },
        from_tail: rank < 0,
        count,
        max_len,
    }
    .into())
}

impl StorageCommand for LPos {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(list) = collection::read(txn, &self.key, CollectionKind::List)? else {
            match self.count {
                Some(_) => encode::array_len(out, 0),
                None => encode::null(out, proto),
            }
            return Ok(());
        };
        let len = txn.element_count(list.id);
        let mut scanned = 0u64;
        let mut matches = 0u64;
        let mut found: Vec<usize> = Vec::new();
        walk(txn.lists()?, list.id, len, self.from_tail, |i, v| {
            if self.max_len != 0 && scanned >= self.max_len {
                return false;
            }
            scanned += 1;
            if v == &self.element[..] {
                matches += 1;
                if matches >= self.rank {
                    found.push(i);
                    return match self.count {
                        None => false,
                        Some(0) => true,
                        Some(c) => (found.len() as u64) < c,
                    };
                }
            }
            true
        })?;
        match self.count {
            Some(_) => {
                encode::array_len(out, found.len());
                for i in found {
                    encode::integer(out, i as i64);
                }
            }
            None => match found.first() {
                Some(&i) => encode::integer(out, i as i64),
                None => encode::null(out, proto),
            },
        }
        Ok(())
    }
}
