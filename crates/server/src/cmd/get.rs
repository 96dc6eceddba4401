//! GET key.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Get {
    key: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(Get { key }.into())
}

impl StorageCommand for Get {
    const WRITES: bool = false;

    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let v = db.get(&self.key)?;
        db.note_lookup(v.is_some());
        match v {
            Some(v) => encode::bulk(out, &v.data),
            None => encode::null(out, proto),
        }
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(&self.key))
    }
}
