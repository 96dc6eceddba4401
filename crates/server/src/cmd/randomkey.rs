//! RANDOMKEY.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct RandomKey;

pub fn parse(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(RandomKey.into())
}

impl StorageCommand for RandomKey {
    const WRITES: bool = false;

    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        match db.random_key() {
            Some(k) => encode::bulk(out, &k),
            None => encode::null(out, proto),
        }
        Ok(())
    }
}
