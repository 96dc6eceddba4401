//! ZCOUNT key min max and ZLEXCOUNT key min max: how many members have a score (or a name) in
//! the range. Run on the writer, which keeps the order (storage-format §4.3.2); O(members in
//! range), no record read.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::zset::{
    LexBound, in_lex_range, parse_lex_range, parse_score_range, score_range_is_empty,
};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
enum Range {
    Score(std::ops::Bound<f64>, std::ops::Bound<f64>),
    Lex(LexBound, LexBound),
}

#[derive(Debug)]
pub struct ZCount {
    key: Bytes,
    range: Range,
}

pub fn parse_zcount(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let (lo, hi) = parse_score_range(&a.next_bytes()?, &a.next_bytes()?)?;
    Ok(ZCount {
        key,
        range: Range::Score(lo, hi),
    }
    .into())
}

pub fn parse_zlexcount(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let (lo, hi) = parse_lex_range(&a.next_bytes()?, &a.next_bytes()?)?;
    Ok(ZCount {
        key,
        range: Range::Lex(lo, hi),
    }
    .into())
}

impl StorageCommand for ZCount {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(z) = collection::read(txn, &self.key, CollectionKind::SortedSet)? else {
            encode::integer(out, 0);
            return Ok(());
        };
        let n = match &self.range {
            Range::Score(lo, hi) if score_range_is_empty(&(*lo, *hi)) => 0,
            Range::Score(lo, hi) => txn
                .zsets()?
                .by_score(z.id, (*lo, *hi), false, 0, None)
                .len(),
            Range::Lex(lo, hi) => {
                let range = (lo.clone(), hi.clone());
                let keep = move |m: &[u8]| in_lex_range(m, &range);
                txn.zsets()?.by_member(z.id, false, &keep, 0, None).len()
            }
        };
        encode::integer(out, n as i64);
        Ok(())
    }
}
