//! INCRBYFLOAT key increment.
//!
//! Redis parses both numbers with `strtold`, adds them in x87 `long double` and stores the sum
//! printed with `%.17Lf` (trailing zeros trimmed); [`LongDouble`] does the same in software, so
//! the replies and the stored text are byte for byte Redis' own (`139.93000000000000001` after
//! seven `INCRBYFLOAT k 19.99`, the full 309 digits for `1.7976931348623157e308`).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::args::NOT_FLOAT;
use super::long_double::LongDouble;
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct IncrByFloat {
    key: Bytes,
    /// Parsed exactly as Redis' `strtold` would.
    by: LongDouble,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let by = LongDouble::parse(&a.next_bytes()?).ok_or_else(|| NOT_FLOAT.to_string())?;
    Ok(IncrByFloat { key, by }.into())
}

impl StorageCommand for IncrByFloat {
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
                LongDouble::parse(&v.data).ok_or_else(|| fail(NOT_FLOAT))?,
                v.expire_at_ms,
            ),
            None => (LongDouble::zero(false), None),
        };
        let new = current
            .add(self.by)
            .filter(|v| v.is_finite())
            .ok_or_else(|| fail("ERR increment would produce NaN or Infinity"))?;
        let text = new.to_human();
        txn.put(&self.key, text.as_bytes(), expire);
        txn.notify(notify::STRING, "incrbyfloat", &self.key);
        encode::bulk(out, text.as_bytes());
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
