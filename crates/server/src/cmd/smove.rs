//! SMOVE source destination member (t_set.c `smoveCommand`): 1 if the member was moved (or is
//! already in a source that is also the destination), 0 if the source lacks it or is absent.
//! A source left empty is deleted; an absent destination is created.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct SMove {
    src: Bytes,
    dst: Bytes,
    member: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (src, dst, member) = (a.next_bytes()?, a.next_bytes()?, a.next_bytes()?);
    Ok(SMove { src, dst, member }.into())
}

impl StorageCommand for SMove {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        // An absent source answers 0 before any type check; otherwise both keys must hold sets
        // (or the destination nothing), even when the member is not in the source.
        let Some(src) = collection::read_for_write(txn, &self.src, CollectionKind::Set)? else {
            encode::integer(out, 0);
            return Ok(());
        };
        let dst = collection::read_for_write(txn, &self.dst, CollectionKind::Set)?;
        if self.src == self.dst {
            encode::integer(out, i64::from(txn.has_element(src.id, &self.member)?));
            return Ok(());
        }
        // A full destination refuses the move before the source loses the member.
        let dst_has = match &dst {
            Some(d) => txn.has_element(d.id, &self.member)?,
            None => false,
        };
        if !dst_has {
            txn.ensure_room(dst.as_ref().map(|d| d.id), 1)?;
        }
        if !txn.delete_element(&self.src, src.id, &self.member)? {
            encode::integer(out, 0);
            return Ok(());
        }
        txn.notify(notify::SET, "srem", &self.src);
        collection::delete_if_empty(txn, &self.src, &src)?;
        let dst = match dst {
            Some(d) => d,
            None => txn.create_collection(&self.dst, CollectionKind::Set, None)?,
        };
        // Already there: nothing to write (SADD's rule), the move still counts.
        if !dst_has {
            txn.put_element(&self.dst, dst.id, &self.member, &[])?;
            txn.notify(notify::SET, "sadd", &self.dst);
        }
        encode::integer(out, 1);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.src)
    }
}
