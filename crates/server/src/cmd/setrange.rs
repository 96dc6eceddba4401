//! SETRANGE key offset value: overwrite part of a string, zero-padding as needed.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::append::{MAX_STRING, TOO_BIG};
use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// A parsed SETRANGE.
#[derive(Debug)]
pub struct SetRange {
    key: Bytes,
    offset: i64,
    value: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, offset) = (a.next_bytes()?, a.next_int()?);
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    Ok(Cmd::from(SetRange {
        key,
        offset,
        value: a.next_bytes()?,
    }))
}

impl StorageCommand for SetRange {
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

fn exec(s: &SetRange, txn: &mut dyn WriteDb, out: &mut BytesMut) -> Result<(), StorageError> {
    let old = txn.get(&s.key)?;
    let offset = s.offset as usize;
    if s.value.is_empty() {
        // Nothing to write: report the current length, create nothing.
        encode::integer(out, old.map_or(0, |v| v.data.len() as i64));
        return Ok(());
    }
    if offset.saturating_add(s.value.len()) > MAX_STRING {
        return Err(fail(TOO_BIG));
    }
    let (mut data, expire) = old.map_or((Vec::new(), None), |v| (v.data, v.expire_at_ms));
    if data.len() < offset + s.value.len() {
        data.resize(offset + s.value.len(), 0);
    }
    data[offset..offset + s.value.len()].copy_from_slice(&s.value);
    txn.put(&s.key, &data, expire);
    txn.notify(notify::STRING, "setrange", &s.key);
    encode::integer(out, data.len() as i64);
    Ok(())
}
