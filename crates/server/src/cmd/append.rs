//! APPEND key value: returns the new length; keeps the TTL.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// Largest string a command may build (Redis' proto-max-bulk-len default).
pub const MAX_STRING: usize = 512 * 1024 * 1024;

/// Redis' text when a string would grow past [`MAX_STRING`].
pub const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

#[derive(Debug)]
pub struct Append {
    key: Bytes,
    value: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, value) = (a.next_bytes()?, a.next_bytes()?);
    Ok(Append { key, value }.into())
}

impl StorageCommand for Append {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let (mut data, expire) = match txn.get(&self.key)? {
            Some(v) => (v.data, v.expire_at_ms),
            None => (Vec::new(), None),
        };
        if data.len() + self.value.len() > MAX_STRING {
            return Err(fail(TOO_BIG));
        }
        data.extend_from_slice(&self.value);
        txn.put(&self.key, &data, expire);
        txn.notify(notify::STRING, "append", &self.key);
        encode::integer(out, data.len() as i64);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
