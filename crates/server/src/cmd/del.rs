//! DEL / UNLINK key [key ...]: the number of keys that existed. All deletes are one atomic batch.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use crate::engine::WriteDb;

use super::Cmd;
use super::args::ArgCursor;
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Del(ArgCursor::new(args).rest()))
}

pub fn exec(keys: &[Bytes], txn: &mut dyn WriteDb, out: &mut BytesMut) -> Result<(), StorageError> {
    let mut n = 0;
    for k in keys {
        n += i64::from(txn.delete(k)?);
    }
    encode::integer(out, n);
    Ok(())
}
