//! MSET / MSETNX key value [key value ...]: all pairs in one atomic batch (all or none after a
//! crash, docs/storage-format.md §4.2).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::args::wrong_arity;
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

/// A parsed MSET or MSETNX.
#[derive(Debug)]
pub struct MSet {
    pairs: Vec<(Bytes, Bytes)>,
    only_if_none_exist: bool,
}

fn parse(args: &[Bytes], nx: bool, name: &str) -> Result<Cmd, String> {
    let rest = ArgCursor::new(args).remaining();
    if rest.len() % 2 == 1 {
        return Err(wrong_arity(name));
    }
    let pairs = rest
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    Ok(Cmd::from(MSet {
        pairs,
        only_if_none_exist: nx,
    }))
}

pub fn parse_mset(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false, "mset")
}

pub fn parse_msetnx(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true, "msetnx")
}

impl StorageCommand for MSet {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        exec(self, txn, out)
    }
}

fn exec(m: &MSet, txn: &mut dyn WriteDb, out: &mut BytesMut) -> Result<(), StorageError> {
    if m.only_if_none_exist {
        for (k, _) in &m.pairs {
            if txn.exists(k)? {
                encode::integer(out, 0);
                return Ok(());
            }
        }
    }
    for (k, v) in &m.pairs {
        txn.put(k, v, None);
        txn.notify(notify::STRING, "set", k);
    }
    if m.only_if_none_exist {
        encode::integer(out, 1)
    } else {
        encode::simple(out, "OK")
    }
    Ok(())
}
