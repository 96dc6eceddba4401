//! ZREM key member [member ...]: removes members (one tombstone each); the number removed. A
//! sorted set left empty is deleted.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::zset::remove_members;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct ZRem {
    key: Bytes,
    members: Vec<Bytes>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(ZRem {
        key,
        members: a.rest(),
    }
    .into())
}

impl StorageCommand for ZRem {
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
        let members = self.members.iter().map(|m| &m[..]);
        let removed = remove_members(txn, &self.key, &z, members, "zrem")?;
        encode::integer(out, removed as i64);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
