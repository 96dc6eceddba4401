//! GETSET key value: set, returning the old value (the TTL is discarded, as with SET).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use crate::engine::WriteDb;

use super::Cmd;
use super::args::ArgCursor;
use crate::resp::{Proto, encode};

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::GetSet(a.next_bytes()?, a.next_bytes()?))
}

pub fn exec(
    key: &[u8],
    value: &[u8],
    txn: &mut dyn WriteDb,
    proto: Proto,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let old = txn.get(key)?;
    crate::ctx::note_lookup(old.is_some());
    txn.put(key, value, None);
    match old {
        Some(v) => encode::bulk(out, &v.data),
        None => encode::null(out, proto),
    }
    Ok(())
}
