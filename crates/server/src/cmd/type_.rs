//! TYPE key: `string` or `none` (kvs stores strings only).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Type {
    key: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(Type { key }.into())
}

impl StorageCommand for Type {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let found = db.exists(&self.key)?;
        db.note_lookup(found);
        encode::simple(out, if found { "string" } else { "none" });
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(&self.key))
    }
}
