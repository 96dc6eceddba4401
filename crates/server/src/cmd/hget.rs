//! The one-field reads of a hash, each one lookup in the element index: HGET key field,
//! HMGET key field [field ...], HEXISTS key field, HSTRLEN key field.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, Db, ElementReads, StorageCommand, collection};
use crate::resp::{Proto, encode};

/// Which read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// HGET: the value, or null.
    Get,
    /// HMGET: an array of values and nulls.
    MGet,
    /// HEXISTS: 1 or 0.
    Exists,
    /// HSTRLEN: the value's length, 0 if absent.
    Strlen,
}

#[derive(Debug)]
pub struct HGet {
    key: Bytes,
    fields: Vec<Bytes>,
    read: Read,
}

fn parse_read(args: &[Bytes], read: Read) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let fields = if read == Read::MGet {
        a.rest()
    } else {
        vec![a.next_bytes()?]
    };
    Ok(HGet { key, fields, read }.into())
}

pub fn parse_hget(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::Get)
}

pub fn parse_hmget(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::MGet)
}

pub fn parse_hexists(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::Exists)
}

pub fn parse_hstrlen(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::Strlen)
}

impl StorageCommand for HGet {
    const WRITES: bool = false;

    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let h = collection::read(db, &self.key, CollectionKind::Hash)?;
        if self.read == Read::MGet {
            encode::array_len(out, self.fields.len());
        }
        for field in &self.fields {
            let value = match &h {
                Some(h) => db.element(h.id, field)?,
                None => None,
            };
            match (self.read, value) {
                (Read::Get | Read::MGet, Some(v)) => encode::bulk(out, &v),
                (Read::Get | Read::MGet, None) => encode::null(out, proto),
                (Read::Exists, v) => encode::integer(out, i64::from(v.is_some())),
                (Read::Strlen, v) => encode::integer(out, v.map_or(0, |v| v.len() as i64)),
            }
        }
        Ok(())
    }

    fn looked_up_elements(&self) -> Option<ElementReads<'_>> {
        Some(ElementReads::of(&self.key, &self.fields, true))
    }
}
