//! GETDEL key: return the value and delete the key, atomically.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use crate::engine::WriteDb;

use super::Cmd;
use super::args::ArgCursor;
use crate::resp::{Proto, encode};

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::GetDel(ArgCursor::new(args).next_bytes()?))
}

pub fn exec(
    key: &[u8],
    txn: &mut dyn WriteDb,
    proto: Proto,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let v = txn.get(key)?;
    crate::ctx::note_lookup(v.is_some());
    match v {
        Some(v) => {
            txn.delete(key)?;
            encode::bulk(out, &v.data);
        }
        None => encode::null(out, proto),
    }
    Ok(())
}
