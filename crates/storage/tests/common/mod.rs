//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use kvs_storage::{DBFile, FileKind, RecordPos, RecordRef};

/// Owned description of a record, for building files and comparing results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rec {
    pub seq: u64,
    pub tombstone: bool,
    pub expire_at_ms: Option<u64>,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

impl Rec {
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            seq: self.seq,
            tombstone: self.tombstone,
            expire_at_ms: self.expire_at_ms,
            key: &self.key,
            value: &self.value,
            batch_open: false,
            kind: kvs_storage::RecordKind::Plain,
        }
    }

    pub fn from_ref(r: &RecordRef<'_>) -> Rec {
        Rec {
            seq: r.seq,
            tombstone: r.tombstone,
            expire_at_ms: r.expire_at_ms,
            key: r.key.to_vec(),
            value: r.value.to_vec(),
        }
    }
}

/// A deterministic mix of puts, puts with TTL and tombstones.
pub fn sample_records(n: u64) -> Vec<Rec> {
    (1..=n)
        .map(|seq| {
            let key = format!("key-{seq:03}").into_bytes();
            match seq % 4 {
                0 => Rec {
                    seq,
                    tombstone: true,
                    expire_at_ms: None,
                    key,
                    value: Vec::new(),
                },
                1 => Rec {
                    seq,
                    tombstone: false,
                    expire_at_ms: Some(1_700_000_000_000 + seq),
                    key,
                    value: vec![seq as u8; 20 + seq as usize % 7],
                },
                _ => Rec {
                    seq,
                    tombstone: false,
                    expire_at_ms: None,
                    key,
                    value: format!("value of {seq} ").repeat(3).into_bytes(),
                },
            }
        })
        .collect()
}

/// Creates data file `fid` in `dir` holding `recs` (one batch write), synced.
pub fn write_data_file(dir: &Path, fid: u64, recs: &[Rec]) -> (DBFile, Vec<RecordPos>) {
    let mut f = DBFile::create(dir, FileKind::Data, fid).unwrap();
    let refs: Vec<RecordRef<'_>> = recs.iter().map(Rec::as_ref).collect();
    let pos = f.write_records::<kvs_storage::DataCodec>(&refs).unwrap();
    f.sync().unwrap();
    (f, pos)
}
