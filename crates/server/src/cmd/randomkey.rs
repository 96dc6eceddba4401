//! RANDOMKEY.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::{Cmd, Db};
use crate::resp::{Proto, encode};

pub fn parse(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::RandomKey)
}

pub fn exec(db: &mut dyn Db, proto: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
    match db.random_key() {
        Some(k) => encode::bulk(out, &k),
        None => encode::null(out, proto),
    }
    Ok(())
}
