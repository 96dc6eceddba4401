//! What the writer keeps in step with the index as it publishes a batch, record by record: the
//! collections (which key holds which id, each id's elements: storage-format §4.3) and the
//! expiry schedule.

use crate::batch::Pending;
use crate::collection::{decode_meta, split_element_key};
use crate::format::RecordKind;
use crate::index::IndexEntry;
use crate::zset_order::decode_score;

use super::Writer;

impl Writer {
    /// Record `p` (`key` = `value`) has just replaced `old` in the index (`None`: the key was
    /// not there). Updates the writer's collections and expiry schedule; returns whether the
    /// key had expired before this write replaced it (Redis expires a key a write looks up:
    /// counted in `expired_keys`) and whether the schedule changed.
    pub(super) fn published(
        &mut self,
        p: &Pending,
        key: &[u8],
        value: &[u8],
        old: Option<IndexEntry>,
        now: u64,
    ) -> (bool, bool) {
        match p.kind {
            RecordKind::Element => {
                if let Some((id, element)) = split_element_key(key) {
                    self.collections.element_committed(
                        id,
                        element,
                        value.len(),
                        p.tombstone,
                        old.is_some(),
                    );
                    let score = (!p.tombstone).then(|| decode_score(value)).flatten();
                    self.collections.zset_committed(id, element, score);
                }
                return (false, false); // elements have no expiry of their own
            }
            RecordKind::Meta => {
                if let Some((kind, id)) = decode_meta(value) {
                    self.collections.key_now_holds(key, id, kind);
                }
            }
            RecordKind::Plain => self.collections.key_now_plain(key),
        }
        let old_at = old.as_ref().and_then(|o| o.expire_at_ms);
        let expired = !self.in_expire_pass && old_at.is_some_and(|at| at <= now);
        // A write that keeps the TTL (INCR, APPEND, SET KEEPTTL...) leaves the schedule as it
        // is; otherwise the key's old expiry leaves it (overwritten, deleted, or expired by the
        // tombstones of `expire_due`) and its new one joins it.
        if old_at == p.expire_at_ms {
            return (expired, false);
        }
        if let Some(at) = old_at {
            self.expiries.unschedule(at, key);
        }
        if let Some(at) = p.expire_at_ms {
            self.expiries.schedule(at, key);
        }
        (expired, true)
    }
}
