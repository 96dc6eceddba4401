//! ZRANK key member and ZREVRANK key member: a member's 0-based rank from the lowest (or the
//! highest) score, nil if absent. On the writer, O(rank) (its order is a B-tree without subtree
//! counts; storage-format §4.3.2).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct ZRank {
    key: Bytes,
    member: Bytes,
    rev: bool,
}

fn parse(args: &[Bytes], rev: bool) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(ZRank {
        key,
        member: a.next_bytes()?,
        rev,
    }
    .into())
}

pub fn parse_zrank(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false)
}

pub fn parse_zrevrank(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true)
}

impl StorageCommand for ZRank {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let rank = match collection::read(txn, &self.key, CollectionKind::SortedSet)? {
            Some(z) => txn.zsets()?.rank(z.id, &self.member, self.rev),
            None => None,
        };
        match rank {
            Some((r, _)) => encode::integer(out, r as i64),
            None => encode::null(out, proto),
        }
        Ok(())
    }
}
