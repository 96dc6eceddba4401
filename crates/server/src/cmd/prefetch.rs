//! Prefetching a batch's lookups before it runs: the index memory (and a record's first bytes)
//! each command will touch is requested for the whole batch first, so the batch waits for
//! memory about once instead of once or twice per key in turn (storage-engine §11; the index
//! lookups are the larger part of a GET's or a HSET's CPU time at P=16, cache misses mostly).

use bytes::Bytes;

use super::{Cmd, Db, ElementReads, WriteDb};

/// Before a batch of reads runs on `db`: starts loading the memory their keys' lookups
/// ([`Cmd::looked_up_keys`]) and element lookups ([`Cmd::looked_up_elements`]) will touch
/// (`Db::prefetch`, `Db::prefetch_elements`). Only for batches of several keys: one key gains
/// nothing from it.
pub fn prefetch_reads(cmds: &[Cmd], db: &mut dyn Db) {
    let several = cmds.len() > 1
        || cmds
            .first()
            .and_then(Cmd::looked_up_keys)
            .is_some_and(|k| k.len() > 1);
    if several {
        let mut keys = cmds
            .iter()
            .filter_map(Cmd::looked_up_keys)
            .flatten()
            .map(|k| &k[..]);
        db.prefetch(&mut keys);
    }
    prefetch_elements(cmds.iter().filter_map(Cmd::looked_up_elements), db);
}

/// Before a batch of writes runs in `txn`: [`prefetch_reads`] for the keys its commands read
/// before they write ([`Cmd::key_read_by_write`]: INCR and friends) and the elements they look
/// up ([`Cmd::elements_read_by_write`]: HSET, SADD...).
pub fn prefetch_writes(cmds: &[Cmd], txn: &mut dyn WriteDb) {
    if cmds.len() > 1 {
        let mut keys = cmds
            .iter()
            .filter_map(Cmd::key_read_by_write)
            .map(|k| &k[..]);
        txn.prefetch(&mut keys);
    }
    prefetch_elements(cmds.iter().filter_map(Cmd::elements_read_by_write), txn);
}

/// Prefetches the elements of `reads`, one request per run of reads of the same collection
/// (redis-benchmark's HSET and SADD, and most real pipelines, hit one key many times in a row):
/// the collection is looked up once per run. Only when there are several elements in all.
fn prefetch_elements<'a>(reads: impl Iterator<Item = ElementReads<'a>>, db: &mut dyn Db) {
    let reads: Vec<ElementReads<'a>> = reads.collect();
    if reads.iter().map(ElementReads::count).sum::<usize>() < 2 {
        return;
    }
    let mut run: Option<(&Bytes, Vec<&[u8]>)> = None;
    for r in &reads {
        match &mut run {
            Some((key, elements)) if *key == r.key => {
                elements.extend(r.elements());
            }
            _ => {
                if let Some((key, elements)) = run.take() {
                    db.prefetch_elements(key, &mut elements.into_iter());
                }
                run = Some((r.key, r.elements().collect()));
            }
        }
    }
    if let Some((key, elements)) = run {
        db.prefetch_elements(key, &mut elements.into_iter());
    }
}
