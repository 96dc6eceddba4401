//! STRLEN key.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db};
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Strlen(ArgCursor::new(args).next_bytes()?))
}

pub fn exec(key: &[u8], db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let v = db.get(key)?;
    crate::ctx::note_lookup(v.is_some());
    encode::integer(out, v.map_or(0, |v| v.data.len() as i64));
    Ok(())
}
