//! TYPE key: `string`, `hash`, `set`, or `none`.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, KeyType, StorageError};

use super::args::ArgCursor;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Type {
    key: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(Type { key }.into())
}

impl StorageCommand for Type {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let found = db.lookup(&self.key)?;
        db.note_lookup(found.is_some());
        encode::simple(
            out,
            found.as_ref().map_or("none", |s| type_name(s.key_type())),
        );
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(&self.key))
    }
}

/// The name TYPE (and SCAN's TYPE option) gives a key type.
pub fn type_name(t: KeyType) -> &'static str {
    match t {
        KeyType::String => "string",
        KeyType::Collection(CollectionKind::Hash) => "hash",
        KeyType::Collection(CollectionKind::Set) => "set",
        KeyType::Collection(CollectionKind::List) => "list",
        KeyType::Collection(CollectionKind::SortedSet) => "zset",
    }
}
