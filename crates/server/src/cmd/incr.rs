//! INCR, DECR, INCRBY, DECRBY: integer arithmetic on a string value, keeping its TTL.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::args::{NOT_INTEGER, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// All four: add `by` to the counter at `key`.
#[derive(Debug)]
pub struct IncrBy {
    key: Bytes,
    by: i64,
}

pub fn parse_incr(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(IncrBy { key, by: 1 }.into())
}

pub fn parse_decr(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(IncrBy { key, by: -1 }.into())
}

pub fn parse_incrby(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, by) = (a.next_bytes()?, a.next_int()?);
    Ok(IncrBy { key, by }.into())
}

pub fn parse_decrby(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, by) = (a.next_bytes()?, a.next_int()?);
    // -LLONG_MIN does not exist.
    let by = by
        .checked_neg()
        .ok_or_else(|| "ERR decrement would overflow".to_string())?;
    Ok(IncrBy { key, by }.into())
}

impl StorageCommand for IncrBy {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let old = txn.get(&self.key)?;
        let (current, expire) = match &old {
            Some(v) => (
                parse_i64(&v.data).ok_or_else(|| fail(NOT_INTEGER))?,
                v.expire_at_ms,
            ),
            None => (0, None),
        };
        let new = current
            .checked_add(self.by)
            .ok_or_else(|| fail("ERR increment or decrement would overflow"))?;
        let mut buf = itoa::Buffer::new();
        txn.put(&self.key, buf.format(new).as_bytes(), expire);
        txn.notify(notify::STRING, "incrby", &self.key);
        encode::integer(out, new);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
