//! ZSCAN key cursor [MATCH pattern] [COUNT count]: a sorted set's members and scores (db.c,
//! `zscanCommand` and `scanGenericCommand`), on the writer, which keeps each sorted set's order.
//!
//! As HSCAN: the whole set comes back in one reply with cursor 0, in score order, whatever the
//! cursor and COUNT — what Redis does for a sorted set small enough to be a listpack. Each score
//! is a bulk string in both protocols, printed as Redis prints it there (`%.17g`).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, parse_scan_cursor};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

/// A parsed ZSCAN.
#[derive(Debug)]
pub struct ZScan {
    key: Bytes,
    /// MATCH's pattern; `None` also for `*`.
    pattern: Option<Bytes>,
    /// The options' error, answered only once the sorted set is found (as Redis does).
    options_error: Option<String>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    parse_scan_cursor(&a.next_bytes()?).ok_or_else(|| "ERR invalid cursor".to_string())?;
    let (pattern, options_error) = match collection::scan_options(a.remaining()) {
        Ok(pattern) => (pattern.cloned(), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(ZScan {
        key,
        pattern,
        options_error,
    }
    .into())
}

impl StorageCommand for ZScan {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(z) = collection::read(txn, &self.key, CollectionKind::SortedSet)? else {
            out.extend_from_slice(b"*2\r\n$1\r\n0\r\n*0\r\n");
            return Ok(());
        };
        if let Some(e) = &self.options_error {
            return Err(fail(e));
        }
        let len = txn.element_count(z.id);
        let members: Vec<_> = txn
            .zsets()?
            .by_rank(z.id, 0, len, false)
            .into_iter()
            .filter(|(m, _)| self.pattern.as_ref().is_none_or(|p| glob_match(p, m)))
            .collect();
        encode::array_len(out, 2);
        encode::bulk(out, b"0");
        encode::array_len(out, members.len() * 2);
        for (member, score) in &members {
            encode::bulk(out, member);
            encode::bulk(out, encode::format_g17(*score).as_bytes());
        }
        Ok(())
    }
}
