//! MGET key [key ...].

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct MGet {
    keys: Vec<Bytes>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let keys = ArgCursor::new(args).rest();
    Ok(MGet { keys }.into())
}

impl StorageCommand for MGet {
    const WRITES: bool = false;

    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        // One consistent read of all keys (an MSET is seen whole or not at all); read before
        // replying, so a storage error becomes one error reply, not half an array.
        let values = db.get_many(&self.keys)?;
        encode::array_len(out, values.len());
        for v in values {
            db.note_lookup(v.is_some());
            match v {
                Some(v) => encode::bulk(out, &v.data),
                None => encode::null(out, proto),
            }
        }
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(&self.keys)
    }
}
