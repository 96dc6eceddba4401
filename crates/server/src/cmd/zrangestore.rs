//! ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: ZRANGE's selection
//! (parsed and taken as ZRANGE takes it, without WITHSCORES) written as a new sorted set at
//! `dst` — no expiry, whatever `dst` held before, as Redis' `setKey` — or `dst` deleted when
//! the selection is empty. The reply is the new set's size.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::SYNTAX;
use super::zrange::{ZRange, parse_generic, store};
use super::{Cmd, StorageCommand, WriteDb};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct ZRangeStore {
    dest: Bytes,
    range: ZRange,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let dest = args.get(1).cloned().ok_or(SYNTAX)?;
    // From the destination on, the arguments are ZRANGE's (the destination where its name is).
    let range = parse_generic(&args[1..], None, None, true)?;
    Ok(ZRangeStore { dest, range }.into())
}

impl StorageCommand for ZRangeStore {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        // Selected in full before the destination is touched: it may be the source.
        let items = self.range.items(txn)?;
        store(txn, &self.dest, &items, "zrangestore")?;
        encode::integer(out, items.len() as i64);
        Ok(())
    }
}
