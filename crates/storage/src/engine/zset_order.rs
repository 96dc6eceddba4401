//! A sorted set's members by score (storage-format §4.3.2): what the writer keeps per sorted
//! set so that ranges by score or by rank, ranks and counts read only the element records they
//! return — and ZSCORE needs none at all.
//!
//! A sorted-set element is an element record keyed `[id][member]` whose value is the member's
//! score, 8 bytes (an IEEE 754 double, big-endian). The writer keeps, per sorted set, each
//! member's score and the members in Redis' order: by score, then by member bytes. Scores are
//! never NaN (the commands refuse it); -0 and +0 compare equal, as in Redis' skiplist.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

/// A score in Redis' order: a double that is never NaN, -0 equal to +0.
#[derive(Debug, Clone, Copy)]
pub struct Score(pub f64);

impl PartialEq for Score {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        // NaN never gets here; if it did, it sorts last rather than breaking the tree.
        self.0
            .partial_cmp(&other.0)
            .unwrap_or_else(|| self.0.is_nan().cmp(&other.0.is_nan()))
    }
}

/// A score as its element value: 8 bytes, big-endian IEEE 754.
pub fn encode_score(score: f64) -> [u8; 8] {
    score.to_bits().to_be_bytes()
}

/// The score an element value stands for; `None` if it is not 8 bytes.
pub fn decode_score(value: &[u8]) -> Option<f64> {
    Some(f64::from_bits(u64::from_be_bytes(value.try_into().ok()?)))
}

/// One sorted set's members, by score and by name. Writer-thread only.
#[derive(Debug, Default, Clone)]
pub struct ZOrder {
    scores: HashMap<Box<[u8]>, f64>,
    order: BTreeSet<(Score, Box<[u8]>)>,
}

impl ZOrder {
    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score (adding it if new).
    pub fn set(&mut self, member: &[u8], score: f64) {
        if let Some(old) = self.scores.get_mut(member) {
            let old_score = *old;
            *old = score;
            let key = (Score(old_score), Box::<[u8]>::from(member));
            self.order.remove(&key);
            self.order.insert((Score(score), key.1));
        } else {
            self.scores.insert(member.into(), score);
            self.order.insert((Score(score), member.into()));
        }
    }

    /// Removes `member`; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(score) => {
                self.order
                    .remove(&(Score(score), Box::<[u8]>::from(member)));
                true
            }
            None => false,
        }
    }

    /// The members in order from the lowest score (or, `rev`, from the highest).
    pub fn iter(&self, rev: bool) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        let it = self.order.iter().map(|(s, m)| (s.0, &m[..]));
        if rev {
            Box::new(it.rev())
        } else {
            Box::new(it)
        }
    }

    /// The members whose score lies within `min`..`max` (bounds on the score alone), in order
    /// from the lowest (or, `rev`, from the highest).
    pub fn by_score(
        &self,
        min: Bound<f64>,
        max: Bound<f64>,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (f64, &[u8])> + '_> {
        // Members sort after their score: the empty member is the least of a score, and the
        // upper bound is taken past every member of it.
        let lower = match min {
            Bound::Included(s) => Bound::Included((Score(s), Box::<[u8]>::from(&[][..]))),
            Bound::Excluded(s) => {
                return Box::new(
                    self.by_score(Bound::Unbounded, max, rev)
                        .filter(move |&(x, _)| Score(x) > Score(s)),
                );
            }
            Bound::Unbounded => Bound::Unbounded,
        };
        let it = self
            .order
            .range((lower, Bound::Unbounded))
            .map(|(s, m)| (s.0, &m[..]))
            .take_while(move |&(x, _)| match max {
                Bound::Included(m) => Score(x) <= Score(m),
                Bound::Excluded(m) => Score(x) < Score(m),
                Bound::Unbounded => true,
            });
        if rev {
            Box::new(it.collect::<Vec<_>>().into_iter().rev())
        } else {
            Box::new(it)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(it: Box<dyn Iterator<Item = (f64, &[u8])> + '_>) -> Vec<String> {
        it.map(|(s, m)| format!("{}:{s}", String::from_utf8_lossy(m)))
            .collect()
    }

    #[test]
    fn order_is_by_score_then_member_and_updates_move_members() {
        let mut z = ZOrder::default();
        for (m, s) in [("b", 1.0), ("a", 1.0), ("c", -2.5), ("d", f64::INFINITY)] {
            z.set(m.as_bytes(), s);
        }
        assert_eq!(members(z.iter(false)), ["c:-2.5", "a:1", "b:1", "d:inf"]);
        z.set(b"c", 5.0);
        assert_eq!(members(z.iter(true)), ["d:inf", "c:5", "b:1", "a:1"]);
        assert!(z.remove(b"a") && !z.remove(b"a"));
        assert_eq!(z.iter(false).count(), 3);
        assert_eq!((z.score(b"c"), z.score(b"a")), (Some(5.0), None));
    }

    #[test]
    fn score_ranges_honour_inclusive_and_exclusive_bounds() {
        let mut z = ZOrder::default();
        for (i, m) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            z.set(m.as_bytes(), i as f64);
        }
        use Bound::*;
        assert_eq!(
            members(z.by_score(Included(1.0), Included(3.0), false)),
            ["b:1", "c:2", "d:3"]
        );
        assert_eq!(
            members(z.by_score(Excluded(1.0), Excluded(3.0), false)),
            ["c:2"]
        );
        assert_eq!(
            members(z.by_score(Unbounded, Excluded(2.0), true)),
            ["b:1", "a:0"]
        );
        assert_eq!(
            members(z.by_score(Included(10.0), Unbounded, false)).len(),
            0
        );
        // -0 and +0 are one score.
        let mut z = ZOrder::default();
        z.set(b"x", -0.0);
        z.set(b"y", 0.0);
        assert_eq!(
            members(z.by_score(Included(0.0), Included(0.0), false)).len(),
            2
        );
        assert_eq!(decode_score(&encode_score(-2.5)), Some(-2.5));
    }
}
