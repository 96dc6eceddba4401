//! ZREMRANGEBYSCORE key min max, ZREMRANGEBYRANK key start stop and ZREMRANGEBYLEX key min
//! max: remove the members in a range (t_zset.c `zremrangeGenericCommand`: the range is parsed
//! before the key is looked up); the number removed. A sorted set left empty is deleted.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::zrange::{Kind, Range, parse_range};
use super::zset::remove_members;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct ZRemRange {
    key: Bytes,
    range: Range,
    event: &'static str,
}

fn parse(args: &[Bytes], kind: Kind, event: &'static str) -> Result<Cmd, String> {
    // The table checked the arity: key, min, max.
    let range = parse_range(kind, &args[2], &args[3])?;
    Ok(ZRemRange {
        key: args[1].clone(),
        range,
        event,
    }
    .into())
}

pub fn parse_zremrangebyscore(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Kind::Score, "zremrangebyscore")
}

pub fn parse_zremrangebyrank(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Kind::Rank, "zremrangebyrank")
}

pub fn parse_zremrangebylex(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Kind::Lex, "zremrangebylex")
}

impl StorageCommand for ZRemRange {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(z) = collection::read_for_write(txn, &self.key, CollectionKind::SortedSet)? else {
            encode::integer(out, 0);
            return Ok(());
        };
        let doomed = self.range.select(txn, z.id, false, 0, None)?;
        let members = doomed.iter().map(|(m, _)| m.as_slice());
        let removed = remove_members(txn, &self.key, &z, members, self.event)?;
        encode::integer(out, removed as i64);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
