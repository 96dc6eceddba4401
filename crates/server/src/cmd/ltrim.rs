//! LTRIM key start stop: keeps the elements from `start` to `stop` (inclusive; negative from
//! the tail) and removes the rest from both ends — one tombstone each, no element read or moved.
//! A list left empty is deleted.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_INTEGER, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct LTrim {
    key: Bytes,
    start: i64,
    stop: i64,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let start = parse_i64(&a.next_bytes()?).ok_or(NOT_INTEGER)?;
    let stop = parse_i64(&a.next_bytes()?).ok_or(NOT_INTEGER)?;
    Ok(LTrim { key, start, stop }.into())
}

/// How many elements LTRIM removes from the head and from the tail of a list of `len` (Redis'
/// `ltrimCommand`: negative indexes from the tail, then clamped; an empty range removes all).
fn trims(start: i64, stop: i64, len: i64) -> (i64, i64) {
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        (len, 0)
    } else {
        let stop = stop.min(len - 1);
        (start, len - stop - 1)
    }
}

impl StorageCommand for LTrim {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        if let Some(list) = collection::read_for_write(txn, &self.key, CollectionKind::List)? {
            let len = txn.element_count(list.id) as i64;
            let (head, tail) = trims(self.start, self.stop, len);
            let lists = txn.lists()?;
            for _ in 0..head {
                lists.drop_end(&self.key, list.id, true);
            }
            for _ in 0..tail {
                lists.drop_end(&self.key, list.id, false);
            }
            txn.notify(notify::LIST, "ltrim", &self.key);
            collection::delete_if_empty(txn, &self.key, &list)?;
        }
        encode::simple(out, "OK");
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::trims;

    #[test]
    fn trims_follow_redis_index_rules() {
        assert_eq!(trims(0, -1, 5), (0, 0));
        assert_eq!(trims(1, 2, 5), (1, 2));
        assert_eq!(trims(-2, -1, 5), (3, 0));
        assert_eq!(trims(3, 1, 5), (5, 0));
        assert_eq!(trims(0, 100, 5), (0, 0));
        assert_eq!(trims(-100, 0, 5), (0, 4));
        assert_eq!(trims(7, 9, 5), (5, 0));
    }
}
