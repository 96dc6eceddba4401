//! INCRBYFLOAT key increment.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::db::WriteDb;

use super::args::{NOT_FLOAT, format_float, parse_f64};
use super::{Cmd, fail};
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let by = parse_f64(&args[2]).ok_or_else(|| NOT_FLOAT.to_string())?;
    Ok(Cmd::IncrByFloat(args[1].clone(), by, args[2].clone()))
}

pub fn exec(
    key: &[u8],
    by: f64,
    increment: &[u8],
    txn: &mut dyn WriteDb,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let old = txn.get(key)?;
    let (current, expire) = match &old {
        Some(v) => (
            parse_f64(&v.data).ok_or_else(|| fail(NOT_FLOAT))?,
            v.expire_at_ms,
        ),
        None => (0.0, None),
    };
    let new = current + by;
    if !new.is_finite() {
        return Err(fail("ERR increment would produce NaN or Infinity"));
    }
    let current_text = old.as_ref().map_or(&b"0"[..], |v| &v.data);
    let text = super::decimal::add(current_text, increment).unwrap_or_else(|| format_float(new));
    txn.put(key, text.as_bytes(), expire);
    encode::bulk(out, text.as_bytes());
    Ok(())
}
