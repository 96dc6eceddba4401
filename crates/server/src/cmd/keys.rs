//! KEYS pattern: every unexpired key matching the glob pattern.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Keys {
    pattern: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let pattern = ArgCursor::new(args).next_bytes()?;
    Ok(Keys { pattern }.into())
}

impl StorageCommand for Keys {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let pattern = &self.pattern[..];
        let all = pattern == b"*";
        let mut found = Vec::new();
        let mut cursor = 0;
        loop {
            let (next, keys) = db.scan(cursor, 1024);
            found.extend(keys.into_iter().filter(|k| all || glob_match(pattern, k)));
            if next == 0 {
                break;
            }
            cursor = next;
        }
        // A full scan may return a key twice if the index grew meanwhile; KEYS lists each once.
        found.sort_unstable();
        found.dedup();
        encode::array_len(out, found.len());
        for k in found {
            encode::bulk(out, &k);
        }
        Ok(())
    }
}
