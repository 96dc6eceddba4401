//! ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pops up to `count` members (1 by
//! default) with the lowest (MIN) or highest (MAX) scores from the first key holding a sorted
//! set; `[key, [[member, score], ...]]`, or a null array if no key does. A key of another type
//! met first is WRONGTYPE (t_zset.c `zmpopGenericCommand`).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::lmpop::parse_keys_side_count;
use super::zpop::{encode_key_and_scored, pop_from};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

/// The ends of a sorted set: `MIN` (`true`) or `MAX`.
pub const ZSET_SIDES: [&str; 2] = ["MIN", "MAX"];

#[derive(Debug)]
pub struct ZMPop {
    keys: Vec<Bytes>,
    max: bool,
    count: usize,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let (keys, min, count) = parse_keys_side_count(args, ZSET_SIDES)?;
    Ok(ZMPop {
        keys,
        max: !min,
        count,
    }
    .into())
}

impl StorageCommand for ZMPop {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        match collection::first_present(txn, &self.keys, CollectionKind::SortedSet)? {
            Some((key, z)) => {
                let popped = pop_from(txn, key, &z, self.max, self.count)?;
                encode_key_and_scored(out, key, &popped, proto);
            }
            None => encode::null_array(out, proto),
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        self.keys.first()
    }
}
