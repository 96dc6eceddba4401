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

use super::args::{ArgCursor, NOT_INTEGER, SYNTAX, is, parse_i64};
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
    parse_cursor(&a.next_bytes()?).ok_or("ERR invalid cursor")?;
    Ok(SScan {
        key,
        options: a.rest(),
    }
    .into())
}

/// Redis' `parseScanCursorOrReply`: `strtoul(arg, &end, 10)` over the argument up to its first
/// NUL byte, valid if it does not start with white space, `end` is the end and it did not
/// overflow. So an empty argument is cursor 0, a sign is allowed and `-n` wraps around as
/// `strtoul` does.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    let s = &arg[..memchr::memchr(0, arg).unwrap_or(arg.len())];
    let Some(&first) = s.first() else {
        return Some(0);
    };
    if matches!(first, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return None;
    }
    let (negative, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { n.wrapping_neg() } else { n })
}

/// The MATCH pattern of the options (`None`: every member), or Redis' error text. COUNT is
/// checked (an integer, at least 1) but has nothing to bound: the reply is the whole set.
fn pattern(options: &[Bytes]) -> Result<Option<&Bytes>, &'static str> {
    let mut pattern = None;
    let mut rest = options;
    while let [opt, tail @ ..] = rest {
        match tail {
            [v, tail @ ..] if is(opt, "COUNT") => {
                if parse_i64(v).ok_or(NOT_INTEGER)? < 1 {
                    return Err(SYNTAX);
                }
                rest = tail;
            }
            [v, tail @ ..] if is(opt, "MATCH") => {
                // `*` matches everything: Redis drops it.
                pattern = (v.as_ref() != b"*").then_some(v);
                rest = tail;
            }
            _ => return Err(SYNTAX),
        }
    }
    Ok(pattern)
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
        let pattern = pattern(&self.options).map_err(fail)?;
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
                parse_cursor(arg),
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
        assert_eq!(pattern(&opts(&[])), Ok(None));
        assert_eq!(
            pattern(&opts(&["match", "a*", "COUNT", "5"])).map(|p| p.cloned()),
            Ok(Some(Bytes::from("a*")))
        );
        assert_eq!(pattern(&opts(&["MATCH", "a", "MATCH", "*"])), Ok(None));
        assert_eq!(pattern(&opts(&["COUNT", "0"])), Err(SYNTAX));
        assert_eq!(pattern(&opts(&["COUNT", "x"])), Err(NOT_INTEGER));
        assert_eq!(pattern(&opts(&["MATCH"])), Err(SYNTAX));
        assert_eq!(pattern(&opts(&["TYPE", "set"])), Err(SYNTAX));
    }
}
