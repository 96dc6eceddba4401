//! TTL / PTTL / EXPIRETIME / PEXPIRETIME key: -2 if the key does not exist, -1 if it has no TTL.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

/// Which form of the answer.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// Remaining seconds (rounded).
    Seconds,
    /// Remaining milliseconds.
    Millis,
    /// Absolute Unix seconds.
    AtSeconds,
    /// Absolute Unix milliseconds.
    AtMillis,
}

/// A parsed TTL-family command.
#[derive(Debug)]
pub struct Ttl {
    key: Bytes,
    unit: Unit,
}

impl Ttl {
    /// The key asked about.
    pub(crate) fn key(&self) -> &Bytes {
        &self.key
    }
}

fn parse(args: &[Bytes], unit: Unit) -> Result<Cmd, String> {
    Ok(Cmd::from(Ttl {
        key: ArgCursor::new(args).next_bytes()?,
        unit,
    }))
}
pub fn parse_ttl(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Unit::Seconds)
}
pub fn parse_pttl(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Unit::Millis)
}
pub fn parse_expiretime(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Unit::AtSeconds)
}
pub fn parse_pexpiretime(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, Unit::AtMillis)
}

impl StorageCommand for Ttl {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        exec(self, db, out)
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(self.key()))
    }
}

fn exec(t: &Ttl, db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let v = db.lookup(&t.key)?;
    db.note_lookup(v.is_some());
    let Some(v) = v else {
        encode::integer(out, -2);
        return Ok(());
    };
    let Some(at) = v.expire_at_ms() else {
        encode::integer(out, -1);
        return Ok(());
    };
    let left = at.saturating_sub(kvs_storage::now_ms()) as i64;
    let n = match t.unit {
        Unit::Seconds => (left + 500) / 1000,
        Unit::Millis => left,
        Unit::AtSeconds => at as i64 / 1000,
        Unit::AtMillis => at as i64,
    };
    encode::integer(out, n);
    Ok(())
}
