//! RENAME / RENAMENX key newkey: moves the value and its TTL in one atomic batch.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use crate::engine::WriteDb;

use super::args::ArgCursor;
use super::{Cmd, fail};
use crate::resp::encode;

/// A parsed RENAME or RENAMENX.
#[derive(Debug)]
pub struct Rename {
    from: Bytes,
    to: Bytes,
    nx: bool,
}

pub fn parse_rename(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::Rename(Rename {
        from: a.next_bytes()?,
        to: a.next_bytes()?,
        nx: false,
    }))
}

pub fn parse_renamenx(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::Rename(Rename {
        from: a.next_bytes()?,
        to: a.next_bytes()?,
        nx: true,
    }))
}

pub fn exec(r: &Rename, txn: &mut dyn WriteDb, out: &mut BytesMut) -> Result<(), StorageError> {
    let Some(v) = txn.get(&r.from)? else {
        return Err(fail("ERR no such key"));
    };
    if r.from == r.to {
        if r.nx {
            encode::integer(out, 0)
        } else {
            encode::simple(out, "OK")
        }
        return Ok(());
    }
    if r.nx && txn.exists(&r.to)? {
        encode::integer(out, 0);
        return Ok(());
    }
    txn.put(&r.to, &v.data, v.expire_at_ms);
    txn.delete(&r.from)?;
    if r.nx {
        encode::integer(out, 1)
    } else {
        encode::simple(out, "OK")
    }
    Ok(())
}
