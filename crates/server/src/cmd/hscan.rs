//! HSCAN key cursor [MATCH pattern] [COUNT count]: a hash's fields and values (db.c,
//! `hscanCommand` and `scanGenericCommand`), on the writer, which alone keeps the field list;
//! and ZSCAN key cursor [MATCH pattern] [COUNT count], a sorted set's members and scores, the
//! same way (`zscanCommand`).
//!
//! The whole hash comes back in one reply with cursor 0, whatever the cursor and COUNT: what
//! Redis does for a hash small enough to be a listpack. The writer's field list reorders when a
//! field is removed, so a position in it would not make a cursor that keeps SCAN's guarantee
//! (every field present for the whole iteration is returned). A sorted set comes back in score
//! order, each score a bulk string in both protocols, printed as Redis prints it in a listpack
//! (`%.17g`).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, parse_scan_cursor};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

/// A parsed HSCAN or ZSCAN.
#[derive(Debug)]
pub struct HScan {
    /// A hash, or a sorted set (ZSCAN).
    kind: CollectionKind,
    key: Bytes,
    /// MATCH's pattern; `None` also for `*`, which matches everything (Redis skips it too).
    pattern: Option<Bytes>,
    /// The options' error. Redis parses them only once it has found the hash, so a missing key
    /// answers the empty scan and a string WRONGTYPE, whatever the options say.
    options_error: Option<String>,
}

/// HSCAN.
pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    parse_scan(args, CollectionKind::Hash)
}

/// ZSCAN.
pub fn parse_zscan(args: &[Bytes]) -> Result<Cmd, String> {
    parse_scan(args, CollectionKind::SortedSet)
}

fn parse_scan(args: &[Bytes], kind: CollectionKind) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    // The cursor is checked first, before the key is looked up (`hscanCommand`). Its value
    // does not matter here: every call returns the whole hash.
    parse_scan_cursor(&a.next_bytes()?).ok_or_else(|| "ERR invalid cursor".to_string())?;
    let (pattern, options_error) = match collection::scan_options(a.remaining()) {
        Ok(pattern) => (pattern.cloned(), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Ok(HScan {
        kind,
        key,
        pattern,
        options_error,
    }
    .into())
}

impl StorageCommand for HScan {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(h) = collection::read(txn, &self.key, self.kind)? else {
            // Redis' `shared.emptyscan`.
            out.extend_from_slice(b"*2\r\n$1\r\n0\r\n*0\r\n");
            return Ok(());
        };
        if let Some(e) = &self.options_error {
            return Err(fail(e));
        }
        let matches = |name: &[u8]| self.pattern.as_ref().is_none_or(|p| glob_match(p, name));
        // The same reply in RESP2 and RESP3: an array of the cursor and a flat array of name,
        // value... (Redis uses no map here).
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = if self.kind == CollectionKind::SortedSet {
            let len = txn.element_count(h.id);
            txn.zsets()?
                .by_rank(h.id, 0, len, false)
                .into_iter()
                .filter(|(m, _)| matches(m))
                .map(|(m, s)| (m, encode::format_g17(s).into_bytes()))
                .collect()
        } else {
            let mut pairs = Vec::new();
            for field in txn.elements(h.id).into_iter().filter(|f| matches(f)) {
                // A field listed is there: its value is read from its record.
                let value = txn.element(h.id, &field)?.unwrap_or_default();
                pairs.push((field, value));
            }
            pairs
        };
        encode::array_len(out, 2);
        encode::bulk(out, b"0");
        encode::array_len(out, pairs.len() * 2);
        for (name, value) in &pairs {
            encode::bulk(out, name);
            encode::bulk(out, value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::args::SYNTAX;

    #[test]
    fn cursors_parse_like_strtoul_in_parse_scan_cursor_or_reply() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b"0017"), Some(17));
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"-0"), Some(0));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_scan_cursor(b"12\0junk"), Some(12));
        for bad in [
            &b"18446744073709551616"[..],
            b"-18446744073709551616",
            b" 1",
            b"1 ",
            b"+",
            b"-",
            b"0x10",
            b"1.0",
            b"abc",
            b"\t0",
        ] {
            assert_eq!(
                parse_scan_cursor(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn options_are_checked_in_order_and_the_star_pattern_is_no_pattern() {
        let v =
            |s: &[&str]| -> Vec<Bytes> { s.iter().map(|a| Bytes::from(a.to_string())).collect() };
        let parse_options = |o: &[Bytes]| {
            collection::scan_options(o)
                .map(|p| p.cloned())
                .map_err(str::to_string)
        };
        assert_eq!(parse_options(&v(&[])), Ok(None));
        assert_eq!(parse_options(&v(&["match", "*"])), Ok(None));
        assert_eq!(
            parse_options(&v(&["MATCH", "a*", "count", "5", "MATCH", "b?"])),
            Ok(Some(Bytes::from("b?")))
        );
        let syntax = Err(SYNTAX.to_string());
        assert_eq!(parse_options(&v(&["COUNT", "0"])), syntax);
        assert_eq!(parse_options(&v(&["MATCH"])), syntax);
        assert_eq!(parse_options(&v(&["TYPE", "hash"])), syntax);
        assert_eq!(parse_options(&v(&["COUNT", "1", "NOVALUES"])), syntax);
        assert_eq!(
            parse_options(&v(&["COUNT", "x", "BAD", "opt"])),
            Err("ERR value is not an integer or out of range".to_string())
        );
    }
}
