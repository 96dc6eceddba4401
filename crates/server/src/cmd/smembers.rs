//! SMEMBERS key (every member: a set in RESP3) and SCARD key (how many), on the writer, which
//! alone keeps each set's member list.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct SMembers {
    key: Bytes,
    /// SCARD.
    count: bool,
}

pub fn parse_smembers(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(SMembers { key, count: false }.into())
}

pub fn parse_scard(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(SMembers { key, count: true }.into())
}

impl StorageCommand for SMembers {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let s = collection::read(txn, &self.key, CollectionKind::Set)?;
        if self.count {
            encode::integer(out, s.map_or(0, |s| txn.element_count(s.id) as i64));
        } else {
            let members = s.map(|s| txn.elements(s.id)).unwrap_or_default();
            collection::set_reply(out, &members, proto);
        }
        Ok(())
    }
}
