//! HDEL key field [field ...]: the number of fields removed; a hash left empty is deleted.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, ElementReads, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct HDel {
    key: Bytes,
    fields: Vec<Bytes>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(HDel {
        key,
        fields: a.rest(),
    }
    .into())
}

impl StorageCommand for HDel {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(h) = collection::read_for_write(txn, &self.key, CollectionKind::Hash)? else {
            encode::integer(out, 0);
            return Ok(());
        };
        let mut removed = 0;
        for field in &self.fields {
            removed += i64::from(txn.delete_element(&self.key, h.id, field)?);
        }
        if removed > 0 {
            txn.notify(notify::HASH, "hdel", &self.key);
            collection::delete_if_empty(txn, &self.key, &h)?;
        }
        encode::integer(out, removed);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }

    fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        Some(ElementReads::of(&self.key, &self.fields, false))
    }
}
