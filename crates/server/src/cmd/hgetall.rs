//! The whole-hash reads, on the writer (it alone keeps each hash's field list): HGETALL key,
//! HKEYS key, HVALS key, HLEN key.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

/// Which read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// HGETALL: field, value... (a map in RESP3).
    All,
    /// HKEYS: the fields.
    Keys,
    /// HVALS: the values.
    Vals,
    /// HLEN: how many fields.
    Len,
}

#[derive(Debug)]
pub struct HGetAll {
    key: Bytes,
    read: Read,
}

fn parse_read(args: &[Bytes], read: Read) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(HGetAll { key, read }.into())
}

pub fn parse_hgetall(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::All)
}

pub fn parse_hkeys(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::Keys)
}

pub fn parse_hvals(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::Vals)
}

pub fn parse_hlen(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Read::Len)
}

impl StorageCommand for HGetAll {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let h = collection::read(txn, &self.key, CollectionKind::Hash)?;
        let Some(h) = h else {
            match self.read {
                Read::All => encode::map_len(out, 0, proto),
                Read::Keys | Read::Vals => encode::array_len(out, 0),
                Read::Len => encode::integer(out, 0),
            }
            return Ok(());
        };
        if self.read == Read::Len {
            encode::integer(out, txn.element_count(h.id) as i64);
            return Ok(());
        }
        let fields = txn.elements(h.id);
        match self.read {
            Read::All => encode::map_len(out, fields.len(), proto),
            _ => encode::array_len(out, fields.len()),
        }
        for field in &fields {
            if self.read != Read::Vals {
                encode::bulk(out, field);
            }
            if self.read != Read::Keys {
                // A field listed is there: its value is read from its record.
                let value = txn.element(h.id, field)?.unwrap_or_default();
                encode::bulk(out, &value);
            }
        }
        Ok(())
    }
}
