//! ZSCORE key member, ZMSCORE key member [member ...] and ZCARD key. They run on the writer,
//! which keeps each sorted set's scores (storage-format §4.3.2): no record is read.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::ArgCursor;
use super::zset::encode_score;
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

#[derive(Debug)]
enum Read {
    Score(Bytes),
    Scores(Vec<Bytes>),
    Card,
}

#[derive(Debug)]
pub struct ZScore {
    key: Bytes,
    read: Read,
}

pub fn parse_zscore(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(ZScore {
        key,
        read: Read::Score(a.next_bytes()?),
    }
    .into())
}

pub fn parse_zmscore(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    Ok(ZScore {
        key,
        read: Read::Scores(a.rest()),
    }
    .into())
}

pub fn parse_zcard(args: &[Bytes]) -> Result<Cmd, String> {
    let key = ArgCursor::new(args).next_bytes()?;
    Ok(ZScore {
        key,
        read: Read::Card,
    }
    .into())
}

impl StorageCommand for ZScore {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let z = collection::read(txn, &self.key, CollectionKind::SortedSet)?;
        match &self.read {
            Read::Card => encode::integer(out, z.map_or(0, |z| txn.element_count(z.id)) as i64),
            Read::Score(member) => {
                let score = match z {
                    Some(z) => txn.zsets()?.score(z.id, member),
                    None => None,
                };
                encode_score(out, score, proto);
            }
            Read::Scores(members) => {
                encode::array_len(out, members.len());
                for m in members {
                    let score = match z {
                        Some(z) => txn.zsets()?.score(z.id, m),
                        None => None,
                    };
                    encode_score(out, score, proto);
                }
            }
        }
        Ok(())
    }
}
