//! APPEND key value: returns the new length; keeps the TTL.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use crate::engine::WriteDb;

use super::args::ArgCursor;
use super::{Cmd, fail};
use crate::resp::encode;

/// Largest string a command may build (Redis' proto-max-bulk-len default).
pub const MAX_STRING: usize = 512 * 1024 * 1024;

/// Redis' text when a string would grow past [`MAX_STRING`].
pub const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::Append(a.next_bytes()?, a.next_bytes()?))
}

pub fn exec(
    key: &[u8],
    value: &[u8],
    txn: &mut dyn WriteDb,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let (mut data, expire) = match txn.get(key)? {
        Some(v) => (v.data, v.expire_at_ms),
        None => (Vec::new(), None),
    };
    if data.len() + value.len() > MAX_STRING {
        return Err(fail(TOO_BIG));
    }
    data.extend_from_slice(value);
    txn.put(key, &data, expire);
    encode::integer(out, data.len() as i64);
    Ok(())
}
