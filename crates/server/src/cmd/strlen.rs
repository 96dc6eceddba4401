//! STRLEN key.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Strlen {
    key: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(Strlen { key }.into())
}

impl StorageCommand for Strlen {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let v = db.get(&self.key)?;
        db.note_lookup(v.is_some());
        encode::integer(out, v.map_or(0, |v| v.data.len() as i64));
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(&self.key))
    }
}
