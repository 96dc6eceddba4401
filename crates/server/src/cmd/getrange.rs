//! GETRANGE key start end (and its old name SUBSTR), with Redis' index rules.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

/// A parsed GETRANGE.
#[derive(Debug)]
pub struct GetRange {
    key: Bytes,
    start: i64,
    end: i64,
}

impl GetRange {
    /// The key read.
    pub(crate) fn key(&self) -> &Bytes {
        &self.key
    }
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(Cmd::from(GetRange {
        key: a.next_bytes()?,
        start: a.next_int()?,
        end: a.next_int()?,
    }))
}

/// The byte range Redis' getrangeCommand selects, or `None` for the empty string.
pub fn range(len: usize, mut start: i64, mut end: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize + 1))
}

impl StorageCommand for GetRange {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        exec(self, db, out)
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(self.key()))
    }
}

fn exec(g: &GetRange, db: &mut dyn Db, out: &mut BytesMut) -> Result<(), StorageError> {
    let v = db.get(&g.key)?;
    db.note_lookup(v.is_some());
    let data = v.map(|v| v.data).unwrap_or_default();
    match range(data.len(), g.start, g.end) {
        Some((a, b)) => encode::bulk(out, &data[a..b]),
        None => encode::bulk(out, b""),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_follow_redis() {
        // "This is a string" (16 bytes), the examples from the GETRANGE docs.
        assert_eq!(range(16, 0, 3), Some((0, 4)));
        assert_eq!(range(16, -3, -1), Some((13, 16)));
        assert_eq!(range(16, 0, -1), Some((0, 16)));
        assert_eq!(range(16, 10, 100), Some((10, 16)));
        assert_eq!(range(16, 5, 3), None);
        assert_eq!(range(0, 0, -1), None);
        assert_eq!(range(16, -1, -5), None);
    }
}
