//! GETSET key value: set, returning the old value (the TTL is discarded, as with SET).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct GetSet {
    key: Bytes,
    value: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, value) = (a.next_bytes()?, a.next_bytes()?);
    Ok(GetSet { key, value }.into())
}

impl StorageCommand for GetSet {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let old = txn.get(&self.key)?;
        txn.note_lookup(old.is_some());
        txn.put(&self.key, &self.value, None);
        txn.notify(notify::STRING, "set", &self.key);
        match old {
            Some(v) => encode::bulk(out, &v.data),
            None => encode::null(out, proto),
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
