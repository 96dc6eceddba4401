//! INCR, DECR, INCRBY, DECRBY: integer arithmetic on a string value, keeping its TTL.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use crate::engine::WriteDb;

use super::args::ArgCursor;
use super::args::{NOT_INTEGER, parse_i64};
use super::{Cmd, fail};
use crate::resp::encode;

pub fn parse_incr(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::IncrBy(ArgCursor::new(args).next_bytes()?, 1))
}

pub fn parse_decr(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::IncrBy(ArgCursor::new(args).next_bytes()?, -1))
}

pub fn parse_incrby(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::IncrBy(a.next_bytes()?, a.next_int()?))
}

pub fn parse_decrby(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, by) = (a.next_bytes()?, a.next_int()?);
    // -LLONG_MIN does not exist.
    let neg = by
        .checked_neg()
        .ok_or_else(|| "ERR decrement would overflow".to_string())?;
    Ok(Cmd::IncrBy(key, neg))
}

pub fn exec(
    key: &[u8],
    by: i64,
    txn: &mut dyn WriteDb,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let old = txn.get(key)?;
    let (current, expire) = match &old {
        Some(v) => (
            parse_i64(&v.data).ok_or_else(|| fail(NOT_INTEGER))?,
            v.expire_at_ms,
        ),
        None => (0, None),
    };
    let new = current
        .checked_add(by)
        .ok_or_else(|| fail("ERR increment or decrement would overflow"))?;
    let mut buf = itoa::Buffer::new();
    txn.put(key, buf.format(new).as_bytes(), expire);
    encode::integer(out, new);
    Ok(())
}
