//! STRLEN key.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::{Cmd, Db};
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Strlen(args[1].clone()))
}

pub fn exec(key: &[u8], db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let v = db.get(key)?;
    crate::ctx::note_lookup(v.is_some());
    encode::integer(out, v.map_or(0, |v| v.data.len() as i64));
    Ok(())
}
