//! KEYS pattern: every unexpired key matching the glob pattern.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db};
use crate::pattern::glob_match;
use crate::resp::encode;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Keys(ArgCursor::new(args).next_bytes()?))
}

pub fn exec(pattern: &[u8], db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
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
