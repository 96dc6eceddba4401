//! MGET key [key ...].

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db};
use crate::resp::{Proto, encode};

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::MGet(ArgCursor::new(args).rest()))
}

pub fn exec(
    keys: &[Bytes],
    db: &mut dyn Db,
    proto: Proto,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    // One consistent read of all keys (an MSET is seen whole or not at all); read before
    // replying, so a storage error becomes one error reply, not half an array.
    let values = db.get_many(keys)?;
    encode::array_len(out, values.len());
    for v in values {
        crate::ctx::note_lookup(v.is_some());
        match v {
            Some(v) => encode::bulk(out, &v.data),
            None => encode::null(out, proto),
        }
    }
    Ok(())
}
