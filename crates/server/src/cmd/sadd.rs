//! SADD key member [member ...] (how many were new) and SREM key member [member ...] (how many
//! were there; a set left empty is deleted).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, ElementReads, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct SAdd {
    key: Bytes,
    members: Vec<Bytes>,
    /// SREM.
    remove: bool,
}

fn parse_op(args: &[Bytes], remove: bool) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(SAdd {
        key,
        members: a.rest(),
        remove,
    }
    .into())
}

pub fn parse_sadd(args: &[Bytes]) -> Result<Cmd, String> {
    parse_op(args, false)
}

pub fn parse_srem(args: &[Bytes]) -> Result<Cmd, String> {
    parse_op(args, true)
}

impl StorageCommand for SAdd {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let mut n = 0;
        if self.remove {
            if let Some(s) = collection::read_for_write(txn, &self.key, CollectionKind::Set)? {
                for m in &self.members {
                    n += i64::from(txn.delete_element(&self.key, s.id, m)?);
                }
                if n > 0 {
                    txn.notify(notify::SET, "srem", &self.key);
                    collection::delete_if_empty(txn, &self.key, &s)?;
                }
            }
        } else {
            let s = collection::read_or_create(
                txn,
                &self.key,
                CollectionKind::Set,
                self.members.iter().map(|m| &m[..]),
            )?;
            for m in &self.members {
                if !txn.has_element(s.id, m)? {
                    n += i64::from(txn.put_element(&self.key, s.id, m, &[])?);
                }
            }
            if n > 0 {
                txn.notify(notify::SET, "sadd", &self.key);
            }
        }
        encode::integer(out, n);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }

    fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        Some(ElementReads::of(&self.key, &self.members, false))
    }
}
