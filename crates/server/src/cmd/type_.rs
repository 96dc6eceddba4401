//! TYPE key: `string` or `none` (kvs stores strings only).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db};
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Type(ArgCursor::new(args).next_bytes()?))
}

pub fn exec(key: &[u8], db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let found = db.exists(key)?;
    crate::ctx::note_lookup(found);
    encode::simple(out, if found { "string" } else { "none" });
    Ok(())
}
