//! HINCRBY key field increment, HINCRBYFLOAT key field increment: a hash field as a counter
//! (created at 0, the hash too), with Redis' texts for a field that is not a number, an
//! overflow, and a result that is NaN or infinite.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_FLOAT, parse_i64};
use super::long_double::LongDouble;
use super::{Cmd, ElementReads, StorageCommand, WriteDb, collection, fail};
use crate::notify;
use crate::resp::{Proto, encode};

/// The increment.
#[derive(Debug, Clone, Copy)]
enum By {
    Int(i64),
    Float(LongDouble),
}

#[derive(Debug)]
pub struct HIncrBy {
    key: Bytes,
    field: Bytes,
    by: By,
}

pub fn parse_hincrby(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, field) = (a.next_bytes()?, a.next_bytes()?);
    let by = By::Int(a.next_int()?);
    Ok(HIncrBy { key, field, by }.into())
}

pub fn parse_hincrbyfloat(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let (key, field) = (a.next_bytes()?, a.next_bytes()?);
    let by = LongDouble::parse(&a.next_bytes()?).ok_or_else(|| NOT_FLOAT.to_string())?;
    if !by.is_finite() {
        return Err("ERR value is NaN or Infinity".into());
    }
    Ok(HIncrBy {
        key,
        field,
        by: By::Float(by),
    }
    .into())
}

impl StorageCommand for HIncrBy {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let h = collection::read_or_create(
            txn,
            &self.key,
            CollectionKind::Hash,
            std::iter::once(&self.field[..]),
        )?;
        let old = txn.element(h.id, &self.field)?;
        match self.by {
            By::Int(by) => {
                let current = match &old {
                    Some(v) => {
                        parse_i64(v).ok_or_else(|| fail("ERR hash value is not an integer"))?
                    }
                    None => 0,
                };
                let new = current
                    .checked_add(by)
                    .ok_or_else(|| fail("ERR increment or decrement would overflow"))?;
                let text = itoa::Buffer::new().format(new).to_owned();
                txn.put_element(&self.key, h.id, &self.field, text.as_bytes())?;
                txn.notify(notify::HASH, "hincrby", &self.key);
                encode::integer(out, new);
            }
            By::Float(by) => {
                let current = match &old {
                    Some(v) => {
                        LongDouble::parse(v).ok_or_else(|| fail("ERR hash value is not a float"))?
                    }
                    None => LongDouble::zero(false),
                };
                let new = current
                    .add(by)
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| fail("ERR increment would produce NaN or Infinity"))?;
                let text = new.to_human();
                txn.put_element(&self.key, h.id, &self.field, text.as_bytes())?;
                txn.notify(notify::HASH, "hincrbyfloat", &self.key);
                encode::bulk(out, text.as_bytes());
            }
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }

    fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        Some(ElementReads::of(
            &self.key,
            std::slice::from_ref(&self.field),
            true,
        ))
    }
}
