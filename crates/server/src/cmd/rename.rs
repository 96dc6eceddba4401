//! RENAME / RENAMENX key newkey: moves what the key holds — a string, or a hash or set of any
//! size (its metadata record keeps the collection's id) — and its TTL in one atomic batch of
//! two records.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// A parsed RENAME or RENAMENX.
#[derive(Debug)]
pub struct Rename {
    from: Bytes,
    to: Bytes,
    nx: bool,
}

pub fn parse_rename(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::from(Rename {
        from: a.next_bytes()?,
        to: a.next_bytes()?,
        nx: false,
    }))
}

pub fn parse_renamenx(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::from(Rename {
        from: a.next_bytes()?,
        to: a.next_bytes()?,
        nx: true,
    }))
}

impl StorageCommand for Rename {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        exec(self, txn, out)
    }
}

fn exec(r: &Rename, txn: &mut dyn WriteDb, out: &mut BytesMut) -> Result<(), StorageError> {
    if !txn.exists(&r.from)? {
        return Err(fail("ERR no such key"));
    }
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
    txn.rename(&r.from, &r.to)?;
    txn.notify(notify::GENERIC, "rename_from", &r.from);
    txn.notify(notify::GENERIC, "rename_to", &r.to);
    if r.nx {
        encode::integer(out, 1)
    } else {
        encode::simple(out, "OK")
    }
    Ok(())
}
