//! SSCAN key cursor [MATCH pattern] [COUNT count] (db.c `scanGenericCommand` for a set).
//!
//! The writer keeps a set's members in a vector that reorders when a member is removed, so no
//! cursor over it could promise SCAN's guarantee (every member present throughout is returned).
//! Every (matching) member comes in one reply with cursor 0 instead: what Redis itself does for
//! its small encodings, and a complete iteration for any client that follows the cursor.
//!
//! The checks come in Redis' order: the cursor (before the key is looked up), then the key
//! (absent: an empty scan, whatever the options; another type: WRONGTYPE), then the options.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, parse_scan_cursor};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct SScan {
    key: Bytes,
    /// The arguments after the cursor, checked once the key is found to hold a set.
    options: Vec<Bytes>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    // The cursor's value does not matter (the whole set comes at once); its form does.
    parse_scan_cursor(&a.next_bytes()?).ok_or("ERR invalid cursor")?;
    Ok(SScan {
        key,
        options: a.rest(),
    }
    .into())
}

impl StorageCommand for SScan {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(s) = collection::read(txn, &self.key, CollectionKind::Set)? else {
            out.extend_from_slice(b"*2\r\n$1\r\n0\r\n*0\r\n"); // Redis' shared.emptyscan
            return Ok(());
        };
        let pattern = collection::scan_options(&self.options).map_err(fail)?;
        let mut members = txn.elements(s.id);
        if let Some(p) = pattern {
            members.retain(|m| glob_match(p, m));
        }
        encode::array_len(out, 2);
        encode::bulk(out, b"0");
        encode::array_len(out, members.len());
        for m in &members {
            encode::bulk(out, m);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::args::{NOT_INTEGER, SYNTAX};

    #[test]
    fn cursors_parse_like_strtoul() {
        for (arg, want) in [
            (&b"0"[..], Some(0)),
            (b"", Some(0)),
            (b"+7", Some(7)),
            (b"-1", Some(u64::MAX)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"-18446744073709551615", Some(1)),
            (b"12\x00junk", Some(12)),
            (b"18446744073709551616", None),
            (b" 1", None),
            (b"1 ", None),
            (b"+", None),
            (b"-", None),
            (b"x", None),
            (b"1.5", None),
        ] {
            assert_eq!(
                parse_scan_cursor(arg),
                want,
                "{:?}",
                String::from_utf8_lossy(arg)
            );
        }
    }

    #[test]
    fn options_are_checked_as_redis_does() {
        let opts = |a: &[&str]| {
            a.iter()
                .map(|s| Bytes::from(s.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(collection::scan_options(&opts(&[])), Ok(None));
        assert_eq!(
            collection::scan_options(&opts(&["match", "a*", "COUNT", "5"])).map(|p| p.cloned()),
            Ok(Some(Bytes::from("a*")))
        );
        assert_eq!(
            collection::scan_options(&opts(&["MATCH", "a", "MATCH", "*"])),
            Ok(None)
        );
        assert_eq!(
            collection::scan_options(&opts(&["COUNT", "0"])),
            Err(SYNTAX)
        );
        assert_eq!(
            collection::scan_options(&opts(&["COUNT", "x"])),
            Err(NOT_INTEGER)
        );
        assert_eq!(collection::scan_options(&opts(&["MATCH"])), Err(SYNTAX));
        assert_eq!(
            collection::scan_options(&opts(&["TYPE", "set"])),
            Err(SYNTAX)
        );
    }
}
