//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::{ArgCursor, SYNTAX, int, is};
use super::type_::type_name;
use super::{Cmd, Db, StorageCommand};
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

/// A parsed SCAN.
#[derive(Debug)]
pub struct Scan {
    cursor: u64,
    pattern: Option<Bytes>,
    count: usize,
    /// TYPE: only keys of this type (the name TYPE replies, compared case-insensitively; an
    /// unknown name matches nothing, as in Redis 7.0).
    type_filter: Option<Bytes>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut args = ArgCursor::new(args);
    // Redis' cursor rules (`strtoul`: empty is 0, `-n` wraps; a wrapped cursor is past the last
    // shard, so the scan is over).
    let cursor = super::args::parse_scan_cursor(&args.next_bytes()?)
        .ok_or_else(|| "ERR invalid cursor".to_string())?;
    let mut s = Scan {
        cursor,
        pattern: None,
        count: 10,
        type_filter: None,
    };
    while let Some(opt) = args.next_opt() {
        let Some(v) = args.next_opt() else {
            return Err(SYNTAX.into());
        };
        if is(opt, "MATCH") {
            s.pattern = Some(v.clone());
        } else if is(opt, "COUNT") {
            let n = int(v)?;
            if n < 1 {
                return Err(SYNTAX.into());
            }
            s.count = n as usize;
        } else if is(opt, "TYPE") {
            s.type_filter = Some(v.clone());
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(Cmd::from(s))
}

impl StorageCommand for Scan {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        exec(self, db, out)
    }
}

fn exec(s: &Scan, db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let (next, keys) = db.scan(s.cursor, s.count);
    let mut matched = Vec::with_capacity(keys.len());
    for k in keys {
        if !s
            .pattern
            .as_ref()
            .is_none_or(|p| p.as_ref() == b"*" || glob_match(p, &k))
        {
            continue;
        }
        if let Some(t) = &s.type_filter {
            // A key that expired or went since the step was taken has no type: left out.
            let Some(stored) = db.lookup(&k)? else {
                continue;
            };
            if !is(t, type_name(stored.key_type())) {
                continue;
            }
        }
        matched.push(k);
    }
    let keys = matched;
    encode::array_len(out, 2);
    encode::bulk(out, next.to_string().as_bytes());
    encode::array_len(out, keys.len());
    for k in keys {
        encode::bulk(out, &k);
    }
    Ok(())
}
