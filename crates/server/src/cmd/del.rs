//! DEL / UNLINK key [key ...]: the number of keys that existed. All deletes are one atomic batch.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Del {
    keys: Vec<Bytes>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let keys = ArgCursor::new(args).rest();
    Ok(Del { keys }.into())
}

impl StorageCommand for Del {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let mut n = 0;
        for k in &self.keys {
            if txn.delete(k)? {
                n += 1;
                txn.notify(notify::GENERIC, "del", k);
            }
        }
        encode::integer(out, n);
        Ok(())
    }
}
