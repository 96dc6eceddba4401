//! Recovery's last step for collections (storage-format §4.3): which keys hold which ids after
//! the load, and the element entries of dead ids left out of the element index.

use std::collections::HashMap;
use std::sync::Arc;

use crate::collection::{Collections, decode_meta, split_element_key};
use crate::format::record::RECORD_FIXED_LEN;
use crate::format::{Fid, RecordKind};
use crate::index::Index;
use crate::mapped::MappedFile;
use crate::zset_order::decode_score;

/// The live collections after the load: each key of `metas` whose entry is (still) a metadata
/// record holds its id; every element entry of an id no key holds is removed from `elements`.
pub(super) fn build_collections(
    index: &Index,
    elements: &Index,
    sealed: &HashMap<Fid, Arc<MappedFile>>,
    metas: &[Box<[u8]>],
) -> Collections {
    let mut c = Collections::default();
    if metas.is_empty() && elements.is_empty() {
        return c;
    }
    for key in metas {
        let Some(e) = index.get(key) else { continue };
        let Some(rec) = sealed.get(&e.fid).and_then(|m| m.record_at(e.offset).ok()) else {
            continue;
        };
        if rec.kind == RecordKind::Meta
            && let Some((kind, id)) = decode_meta(rec.value)
        {
            c.key_now_holds(key, id, kind);
        }
    }
    c.start_loading();
    let mut dead = Vec::new();
    elements.for_each(|key, e| match split_element_key(key) {
        Some((id, element)) if c.is_live(id) => {
            // An element record has no expiry: its value is what follows the fixed part and key.
            let value_len = (e.len as usize).saturating_sub(RECORD_FIXED_LEN + key.len());
            c.element_committed(id, element, value_len, false, false);
            if c.zset(id).is_some() {
                // A sorted set's order needs each score: the record's value (§4.3.2).
                let score = sealed
                    .get(&e.fid)
                    .and_then(|m| m.record_at(e.offset).ok())
                    .and_then(|rec| decode_score(rec.value));
                c.zset_committed(id, element, score);
            }
        }
        _ => dead.push(key.to_vec()),
    });
    c.finish_loading();
    if !dead.is_empty() {
        tracing::debug!(n = dead.len(), "elements of dead collections left out");
    }
    for key in dead {
        elements.remove(&key);
    }
    c
}
