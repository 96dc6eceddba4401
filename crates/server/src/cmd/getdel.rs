//! GETDEL key: return the value and delete the key, atomically.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct GetDel {
    key: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(GetDel { key }.into())
}

impl StorageCommand for GetDel {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let v = txn.get(&self.key)?;
        txn.note_lookup(v.is_some());
        match v {
            Some(v) => {
                txn.delete(&self.key)?;
                txn.notify(notify::GENERIC, "del", &self.key);
                encode::bulk(out, &v.data);
            }
            None => encode::null(out, proto),
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
