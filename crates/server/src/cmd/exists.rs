//! EXISTS key [key ...]: how many of the keys exist (a key named twice counts twice). TOUCH
//! key [key ...] answers the same count: it would update the keys' access times, which kvs
//! does not keep (OBJECT IDLETIME is 0).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Exists {
    keys: Vec<Bytes>,
}

/// EXISTS, and TOUCH (the same reply).
pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let keys = ArgCursor::new(args).rest();
    Ok(Exists { keys }.into())
}

impl StorageCommand for Exists {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let mut n = 0;
        for k in &self.keys {
            let found = db.exists(k)?;
            db.note_lookup(found);
            n += i64::from(found);
        }
        encode::integer(out, n);
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(&self.keys)
    }
}
