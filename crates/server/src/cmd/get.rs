//! GET key.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db};
use crate::resp::{Proto, encode};

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Get(ArgCursor::new(args).next_bytes()?))
}

pub fn exec(
    key: &[u8],
    db: &mut dyn Db,
    proto: Proto,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let v = db.get(key)?;
    crate::ctx::note_lookup(v.is_some());
    match v {
        Some(v) => encode::bulk(out, &v.data),
        None => encode::null(out, proto),
    }
    Ok(())
}
