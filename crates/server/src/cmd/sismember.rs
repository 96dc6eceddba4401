//! SISMEMBER key member and SMISMEMBER key member [member ...]: membership, from the element
//! index alone (no record read), on any thread.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, Db, ElementReads, StorageCommand, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct SIsMember {
    key: Bytes,
    members: Vec<Bytes>,
    /// SMISMEMBER: an array of answers.
    many: bool,
}

pub fn parse_sismember(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, member) = (a.next_bytes()?, a.next_bytes()?);
    Ok(SIsMember {
        key,
        members: vec![member],
        many: false,
    }
    .into())
}

pub fn parse_smismember(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(SIsMember {
        key,
        members: a.rest(),
        many: true,
    }
    .into())
}

impl StorageCommand for SIsMember {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let s = collection::read(db, &self.key, CollectionKind::Set)?;
        if self.many {
            encode::array_len(out, self.members.len());
        }
        for m in &self.members {
            let is = match &s {
                Some(s) => db.has_element(s.id, m)?,
                None => false,
            };
            encode::integer(out, i64::from(is));
        }
        Ok(())
    }

    fn looked_up_elements(&self) -> Option<ElementReads<'_>> {
        Some(ElementReads::of(&self.key, &self.members, false))
    }
}
