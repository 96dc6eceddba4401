//! EXISTS key [key ...]: how many of the keys exist (a key named twice counts twice).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db};
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Exists(ArgCursor::new(args).rest()))
}

pub fn exec(keys: &[Bytes], db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let mut n = 0;
    for k in keys {
        let found = db.exists(k)?;
        crate::ctx::note_lookup(found);
        n += i64::from(found);
    }
    encode::integer(out, n);
    Ok(())
}
