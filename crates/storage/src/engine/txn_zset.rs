//! What a write command does with a sorted set (storage-format §4.3.2) in its [`Txn`]: read and
//! set a member's score, remove members, and walk the members in Redis' order (by score, then
//! member) — whole, from a rank, or within a score range — with the batch's changes folded in.
//!
//! A member's score is its element record's value. The writer's committed [`ZOrder`] gives the
//! order; the changes earlier commands of the batch made are read back from the batch's records
//! (their latest record per member) when a walk needs them: O(batch) per walk, nothing per
//! ZADD, and nothing to undo when a command is rolled back.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Bound;

use crate::collection::split_element_key;
use crate::collection::with_element_key;
use crate::error::Result;
use crate::txn::Txn;
use crate::zset_order::{Score, ZOrder, decode_score, encode_score};

/// A member and its score, as walks return them.
pub type Scored = (Vec<u8>, f64);

/// LIMIT offset count over a walk: skips `offset` members, then keeps at most `limit`.
struct Page {
    offset: usize,
    limit: Option<usize>,
    skipped: usize,
    out: Vec<Scored>,
}

impl Page {
    fn new(offset: usize, limit: Option<usize>) -> Page {
        Page {
            offset,
            limit,
            skipped: 0,
            out: Vec::new(),
        }
    }

    /// Counts or keeps one member; `false` once the page is full.
    fn take(&mut self, member: &[u8], score: f64) -> bool {
        if self.skipped < self.offset {
            self.skipped += 1;
            return true;
        }
        if self.limit.is_some_and(|l| self.out.len() >= l) {
            return false;
        }
        self.out.push((member.to_vec(), score));
        true
    }
}

impl Txn<'_> {
    /// The score of `member` in sorted set `id`, or `None` if it is not there.
    pub fn zset_score(&self, id: u64, member: &[u8]) -> Option<f64> {
        let pending = with_element_key(id, member, |k| {
            self.batch.latest_element(k).map(|p| {
                (!p.tombstone)
                    .then(|| decode_score(self.batch.value(p)))
                    .flatten()
            })
        });
        match pending {
            Some(s) => s,
            None => self.collections.zset(id).and_then(|z| z.score(member)),
        }
    }

    /// Sets `member`'s score in sorted set `id`, held by `key` (adding it if new); whether it
    /// is new. The caller checks the collection limit first (`ensure_room`).
    pub fn zset_set(&mut self, key: &[u8], id: u64, member: &[u8], score: f64) -> Result<bool> {
        self.put_element(key, id, member, &encode_score(score))
    }

    /// Removes `member` from sorted set `id`, held by `key`; whether it was there. A sorted
    /// set left empty must be deleted by the caller.
    pub fn zset_remove(&mut self, key: &[u8], id: u64, member: &[u8]) -> bool {
        self.delete_element(key, id, member)
    }

    /// The batch's latest score of each member of `id` it changed (`None`: removed).
    fn zset_changes(&self, id: u64) -> HashMap<Vec<u8>, Option<f64>> {
        let mut changes = HashMap::new();
        if self.batch.count_change(id) == 0 && !self.batch_touches(id) {
            return changes;
        }
        for (p, key) in self.batch.latest_elements() {
            if let Some((eid, member)) = split_element_key(key)
                && eid == id
            {
                let score = (!p.tombstone)
                    .then(|| decode_score(self.batch.value(p)))
                    .flatten();
                changes.insert(member.to_vec(), score);
            }
        }
        changes
    }

    /// Walks sorted set `id` in order (`rev`: from the highest), as this batch sees it,
    /// calling `visit(member, score)` until it returns `false`. `committed` picks where in the
    /// committed order the walk starts and ends (the whole order, or a score range); `keep`
    /// says which of the batch's changed members fall within the same walk.
    fn zset_walk(
        &self,
        id: u64,
        rev: bool,
        committed: impl for<'z> FnOnce(&'z ZOrder) -> Box<dyn Iterator<Item = (f64, &'z [u8])> + 'z>,
        keep: impl Fn(f64, &[u8]) -> bool,
        mut visit: impl FnMut(&[u8], f64) -> bool,
    ) {
        let changes = self.zset_changes(id);
        let mut added: Vec<(Score, &[u8])> = changes
            .iter()
            .filter_map(|(m, s)| s.map(|s| (Score(s), &m[..])))
            .filter(|(s, m)| keep(s.0, m))
            .collect();
        added.sort_unstable_by(|a, b| if rev { b.cmp(a) } else { a.cmp(b) });
        let mut added = added.into_iter().peekable();
        let mut old = self
            .collections
            .zset(id)
            .map(committed)
            .into_iter()
            .flatten()
            .filter(|(_, m)| !changes.contains_key(*m))
            .peekable();
        loop {
            let take_old = match (old.peek(), added.peek()) {
                (None, None) => return,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(&(os, om)), Some(&(as_, am))) => {
                    let o = (Score(os), om).cmp(&(as_, am));
                    if rev {
                        o == Ordering::Greater
                    } else {
                        o == Ordering::Less
                    }
                }
            };
            let go_on = if take_old {
                let (s, m) = old.next().unwrap_or((0.0, &[]));
                visit(m, s)
            } else {
                let (s, m) = added.next().unwrap_or((Score(0.0), &[]));
                visit(m, s.0)
            };
            if !go_on {
                return;
            }
        }
    }

    /// The members of sorted set `id` from rank `start` to `end` (exclusive), lowest score
    /// first (or, `rev`, highest first).
    pub fn zset_range_by_rank(&self, id: u64, start: usize, end: usize, rev: bool) -> Vec<Scored> {
        let mut out = Vec::new();
        let mut i = 0usize;
        self.zset_walk(
            id,
            rev,
            |z| z.iter(rev),
            |_, _| true,
            |m, s| {
                if i >= start && i < end {
                    out.push((m.to_vec(), s));
                }
                i += 1;
                i < end
            },
        );
        out
    }

    /// The members of sorted set `id` whose score lies within `min`..`max`, in order (`rev`:
    /// highest first), skipping `offset` of them and returning at most `limit` (`None`: all).
    pub fn zset_range_by_score(
        &self,
        id: u64,
        min: Bound<f64>,
        max: Bound<f64>,
        rev: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<Scored> {
        let within = move |s: f64| {
            let above = match min {
                Bound::Included(m) => Score(s) >= Score(m),
                Bound::Excluded(m) => Score(s) > Score(m),
                Bound::Unbounded => true,
            };
            let below = match max {
                Bound::Included(m) => Score(s) <= Score(m),
                Bound::Excluded(m) => Score(s) < Score(m),
                Bound::Unbounded => true,
            };
            above && below
        };
        let mut page = Page::new(offset, limit);
        self.zset_walk(
            id,
            rev,
            |z| z.by_score(min, max, rev),
            |s, _| within(s),
            |m, s| page.take(m, s),
        );
        page.out
    }

    /// The members of sorted set `id` for which `keep(member)` holds, walked in order from the
    /// lowest (or, `rev`, highest) score, skipping `offset` and returning at most `limit`: the
    /// lexicographic ranges (ZRANGEBYLEX), which Redis defines for members of equal score.
    pub fn zset_range_where(
        &self,
        id: u64,
        rev: bool,
        keep: impl Fn(&[u8]) -> bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Vec<Scored> {
        let mut page = Page::new(offset, limit);
        self.zset_walk(
            id,
            rev,
            |z| z.iter(rev),
            |_, m| keep(m),
            |m, s| !keep(m) || page.take(m, s),
        );
        page.out
    }

    /// The 0-based rank of `member` in sorted set `id` (`rev`: from the highest score), with
    /// its score; `None` if it is not there. O(rank).
    pub fn zset_rank(&self, id: u64, member: &[u8], rev: bool) -> Option<(usize, f64)> {
        let score = self.zset_score(id, member)?;
        let mut rank = 0usize;
        let mut found = None;
        self.zset_walk(
            id,
            rev,
            |z| z.iter(rev),
            |_, _| true,
            |m, _| {
                if m == member {
                    found = Some(rank);
                    return false;
                }
                rank += 1;
                true
            },
        );
        found.map(|r| (r, score))
    }
}
