//! The writer's expiry schedule: keys with a TTL ordered by expiry time, so the writer can
//! delete them when they come due (Redis' active expiry) and publish how many keys expire and
//! when on average (INFO's `expires` and `avg_ttl`).
//!
//! An entry leaves when its key's index entry is replaced or deleted by a commit, so every
//! entry here is a key the writer last gave that expiry: the index's expiring keys, except
//! those the compactor dropped as expired since (found, and uncounted, when their entry comes
//! due — at once, as they are past it). Only the writer thread touches it.

use std::collections::BTreeSet;

/// Keys by expiry time (Unix ms), with the sum of those times for the published mean.
#[derive(Debug, Default)]
pub(crate) struct ExpirySchedule {
    set: BTreeSet<(u64, Vec<u8>)>,
    sum: u128,
}

impl ExpirySchedule {
    /// The schedule recovery rebuilt.
    pub(crate) fn new(set: BTreeSet<(u64, Vec<u8>)>) -> ExpirySchedule {
        let sum = set.iter().map(|(at, _)| u128::from(*at)).sum();
        ExpirySchedule { set, sum }
    }

    /// Schedules `key` to expire at `at`.
    pub(crate) fn schedule(&mut self, at: u64, key: &[u8]) {
        if self.set.insert((at, key.to_vec())) {
            self.sum += u128::from(at);
        }
    }

    /// Takes `key`'s entry for `at` out (its index entry was replaced or deleted).
    pub(crate) fn unschedule(&mut self, at: u64, key: &[u8]) {
        if self.set.remove(&(at, key.to_vec())) {
            self.sum -= u128::from(at);
        }
    }

    /// The earliest expiry time scheduled, if any: when the writer must wake next.
    pub(crate) fn next_at(&self) -> Option<u64> {
        self.set.first().map(|(at, _)| *at)
    }

    /// Takes out the earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<(u64, Vec<u8>)> {
        if self.next_at()? > now {
            return None;
        }
        let (at, key) = self.set.pop_first()?;
        self.sum -= u128::from(at);
        Some((at, key))
    }

    /// Forgets every entry (FLUSHALL).
    pub(crate) fn clear(&mut self) {
        self.set.clear();
        self.sum = 0;
    }

    /// Number of keys scheduled.
    pub(crate) fn len(&self) -> u64 {
        self.set.len() as u64
    }

    /// Mean expiry time of the keys scheduled (Unix ms), 0 if none.
    pub(crate) fn mean_at(&self) -> u64 {
        match self.len() {
            0 => 0,
            n => u64::try_from(self.sum / u128::from(n)).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_entries_come_out_in_time_order_and_the_mean_follows() {
        let mut s = ExpirySchedule::new([(30, b"c".to_vec())].into());
        s.schedule(10, b"a");
        s.schedule(20, b"b");
        s.schedule(20, b"b"); // twice: counted once
        assert_eq!((s.len(), s.mean_at(), s.next_at()), (3, 20, Some(10)));
        s.unschedule(30, b"c");
        s.unschedule(30, b"nope");
        assert_eq!((s.len(), s.mean_at()), (2, 15));
        assert_eq!(s.pop_due(5), None);
        assert_eq!(s.pop_due(20), Some((10, b"a".to_vec())));
        assert_eq!(s.pop_due(20), Some((20, b"b".to_vec())));
        assert_eq!((s.pop_due(u64::MAX), s.len(), s.mean_at()), (None, 0, 0));
        s.schedule(7, b"x");
        s.clear();
        assert_eq!((s.len(), s.next_at()), (0, None));
    }
}
