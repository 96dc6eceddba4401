//! LLEN key, LINDEX key index and LRANGE key start stop, with Redis' index rules (negative
//! counts from the tail, out of range clamps or answers nil). They run on the writer, which
//! alone keeps each list's order; each reads only the element records it returns.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_INTEGER, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::resp::{Proto, encode};

#[derive(Debug)]
enum Read {
    Len,
    /// Parsed after the key's lookup, as Redis' LINDEX does (nil or WRONGTYPE come first).
    Index(Bytes),
    Range(i64, i64),
}

#[derive(Debug)]
pub struct LRange {
    key: Bytes,
    read: Read,
}

fn index_arg(b: &Bytes) -> Result<i64, String> {
    parse_i64(b).ok_or_else(|| NOT_INTEGER.to_string())
}

pub fn parse_llen(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(LRange {
        key,
        read: Read::Len,
    }
    .into())
}

pub fn parse_lindex(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(LRange {
        key,
        read: Read::Index(a.next_bytes()?),
    }
    .into())
}

pub fn parse_lrange(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let start = index_arg(&a.next_bytes()?)?;
    let stop = index_arg(&a.next_bytes()?)?;
    Ok(LRange {
        key,
        read: Read::Range(start, stop),
    }
    .into())
}

impl StorageCommand for LRange {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let list = collection::read(txn, &self.key, CollectionKind::List)?;
        let len = list.map_or(0, |l| txn.element_count(l.id)) as i64;
        match (&self.read, list) {
            (Read::Len, _) => encode::integer(out, len),
            (Read::Index(_), None) => encode::null(out, proto),
            (Read::Index(i), Some(l)) => {
                let i = index_arg(i).map_err(|e| fail(&e))?;
                let i = if i < 0 { len + i } else { i };
                match usize::try_from(i).ok().filter(|_| i < len) {
                    Some(i) => match txn.lists()?.get(l.id, i)? {
                        Some(v) => encode::bulk(out, &v),
                        None => encode::null(out, proto),
                    },
                    None => encode::null(out, proto),
                }
            }
            (Read::Range(..), None) => encode::array_len(out, 0),
            (Read::Range(start, stop), Some(l)) => {
                match collection::index_range(*start, *stop, len as usize) {
                    None => encode::array_len(out, 0),
                    Some((from, to)) => {
                        let items = txn.lists()?.range(l.id, from, to)?;
                        encode::array_len(out, items.len());
                        for v in &items {
                            encode::bulk(out, v);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
