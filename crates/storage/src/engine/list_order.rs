//! A list's element positions in order (storage-format §4.3, lists): what the writer keeps per
//! list so that an index (LINDEX, LSET, LRANGE) finds its element without reading the others.
//!
//! A list element is an element record keyed `[id][position]`, the position a `u64` written
//! big-endian, so positions sort as their keys do. Positions are never changed by a push at
//! either end: a push at the head takes `first − STEP`, at the tail `last + STEP`, and the
//! first element of a list takes [`CENTRE`]. An insertion between two elements takes the
//! midpoint of their gap.

use std::collections::VecDeque;

/// The position of the first element of a new list: the middle of the range, so the list can
/// grow 2^43 pushes at either end before positions run out.
pub const CENTRE: u64 = 1 << 63;

/// The distance between the positions of neighbours pushed at an end: room for 20 insertions
/// in a row at the same place before a gap is used up.
pub const STEP: u64 = 1 << 20;

/// The least distance between neighbours that a [`ListOrder::respace`] leaves: room for 16
/// more insertions in a row at the same place.
pub const MIN_SPACING: u64 = 1 << 16;

/// The positions of one list, ascending. Writer-thread only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOrder {
    positions: VecDeque<u64>,
}

impl ListOrder {
    /// Elements.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// No element?
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The position of the element at index `i` (0: the head).
    pub fn get(&self, i: usize) -> Option<u64> {
        self.positions.get(i).copied()
    }

    /// The positions from index `start` to `end` (exclusive).
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = u64> + '_ {
        self.positions
            .range(start.min(end)..end.min(self.positions.len()))
            .copied()
    }

    /// Where a push at the head (`front`) or the tail puts its element; `None` when that end
    /// has run out of positions (the list must be renumbered first).
    pub fn next_position(&self, front: bool) -> Option<u64> {
        match (front, self.positions.front(), self.positions.back()) {
            (_, None, _) | (_, _, None) => Some(CENTRE),
            (true, Some(&first), _) => first.checked_sub(STEP),
            (false, _, Some(&last)) => last.checked_add(STEP),
        }
    }

    /// Adds `position` (not already present) in its place: O(1) at either end, O(n) between.
    pub fn insert(&mut self, position: u64) {
        match (self.positions.front(), self.positions.back()) {
            (None, _) | (_, None) => self.positions.push_back(position),
            (Some(&first), _) if position < first => self.positions.push_front(position),
            (_, Some(&last)) if position > last => self.positions.push_back(position),
            _ => {
                if let Err(i) = self.positions.binary_search(&position) {
                    self.positions.insert(i, position);
                }
            }
        }
    }

    /// Removes `position`; whether it was there. O(1) at either end, O(n) between.
    pub fn remove(&mut self, position: u64) -> bool {
        if self.positions.front() == Some(&position) {
            self.positions.pop_front();
            return true;
        }
        if self.positions.back() == Some(&position) {
            self.positions.pop_back();
            return true;
        }
        match self.positions.binary_search(&position) {
            Ok(i) => self.positions.remove(i).is_some(),
            Err(_) => false,
        }
    }

    /// A position for a new element at index `i` (between the elements now at `i − 1` and
    /// `i`) that moves no other element: `STEP` past an end, the midpoint of a gap; `None` when
    /// the gap is used up and the neighbourhood must be [respaced](Self::respace) first.
    pub fn position_between(&self, i: usize) -> Option<u64> {
        let below = i.checked_sub(1).and_then(|j| self.get(j));
        match (below, self.get(i)) {
            (None, None) => Some(CENTRE),
            (None, Some(u)) => u.checked_sub(STEP).or((u > 0).then_some(u / 2)),
            (Some(l), None) => l
                .checked_add(STEP)
                .or((l < u64::MAX).then(|| l + 1 + (u64::MAX - l - 1) / 2)),
            (Some(l), Some(u)) => (u - l >= 2).then(|| l + (u - l) / 2),
        }
    }

    /// Makes room for a new element at index `i` when [`position_between`] has none: the
    /// smallest window of neighbours around `i` (doubling, up to the whole list) whose bounds
    /// leave at least `MIN_SPACING` (2^16) between evenly spread positions is renumbered in place.
    /// Returns the moves `(old, new)`, in order, and the new element's position (not added).
    /// The elements outside the window keep their positions, so a respacing costs the window,
    /// amortised O(log n) moves per insertion.
    ///
    /// [`position_between`]: Self::position_between
    pub fn respace(&mut self, i: usize) -> (Vec<(u64, u64)>, u64) {
        let n = self.positions.len();
        let i = i.min(n);
        let mut half = 1usize;
        loop {
            let lo = i.saturating_sub(half);
            let hi = i.saturating_add(half).min(n);
            // Exclusive bounds, as i128 so that "before 0" and "after u64::MAX" fit.
            let lower = lo
                .checked_sub(1)
                .and_then(|j| self.get(j))
                .map_or(-1, i128::from);
            let upper = self.get(hi).map_or(1i128 << 64, i128::from);
            let count = (hi - lo + 1) as i128;
            let spacing = (upper - lower) / (count + 1);
            let whole = lo == 0 && hi == n;
            if spacing >= i128::from(MIN_SPACING) || (whole && spacing >= 1) {
                let at = |k: usize| (lower + spacing * (k as i128 + 1)) as u64;
                let mut moves = Vec::with_capacity(hi - lo);
                for (slot, p) in self.positions.range_mut(lo..hi).enumerate() {
                    // The new element takes slot `i − lo`; those from index `i` on shift by one.
                    let k = if lo + slot < i { slot } else { slot + 1 };
                    let old = *p;
                    let new = at(k);
                    *p = new;
                    if old != new {
                        moves.push((old, new));
                    }
                }
                return (moves, at(i - lo));
            }
            if whole {
                // 2^64 positions for more elements than a list may hold: unreachable.
                return (Vec::new(), CENTRE);
            }
            half = half.saturating_mul(2);
        }
    }

    /// Removes every position of `removed` (ascending): O(n) however many.
    pub fn remove_sorted(&mut self, removed: &[u64]) {
        if removed.is_empty() {
            return;
        }
        self.positions.retain(|p| removed.binary_search(p).is_err());
    }

    /// Adds `position` at the tail without keeping the order (recovery loads positions in
    /// index order, then calls [`sort`](Self::sort) once).
    pub fn push_unordered(&mut self, position: u64) {
        self.positions.push_back(position);
    }

    /// Restores the order after [`push_unordered`](Self::push_unordered).
    pub fn sort(&mut self) {
        self.positions.make_contiguous().sort_unstable();
    }
}

/// A position as its element name: 8 bytes, big-endian, so element keys sort as positions do.
pub fn encode_position(position: u64) -> [u8; 8] {
    position.to_be_bytes()
}

/// The position an element name stands for; `None` if it is not 8 bytes.
pub fn decode_position(element: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(element.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_at_both_ends_keep_every_position() {
        let mut o = ListOrder::default();
        assert_eq!(o.next_position(true), Some(CENTRE));
        o.insert(CENTRE);
        for _ in 0..3 {
            let p = o.next_position(true).unwrap();
            o.insert(p);
            let q = o.next_position(false).unwrap();
            o.insert(q);
        }
        let all: Vec<u64> = o.range(0, o.len()).collect();
        let expected: Vec<u64> = (0..7).map(|i| CENTRE - 3 * STEP + i * STEP).collect();
        assert_eq!(all, expected);
        assert_eq!(o.get(3), Some(CENTRE));
    }

    #[test]
    fn middle_inserts_and_removes_keep_the_order() {
        let mut o = ListOrder::default();
        for p in [10, 30, 20, 5, 25, 40] {
            o.insert(p);
        }
        assert_eq!(o.range(0, 10).collect::<Vec<_>>(), [5, 10, 20, 25, 30, 40]);
        assert!(o.remove(20) && o.remove(5) && o.remove(40));
        assert!(!o.remove(7));
        assert_eq!(o.range(0, 10).collect::<Vec<_>>(), [10, 25, 30]);
        assert_eq!(o.range(1, 2).collect::<Vec<_>>(), [25]);
        assert_eq!(o.range(5, 2).count(), 0);
    }

    #[test]
    fn an_end_with_no_room_left_says_so() {
        let mut o = ListOrder::default();
        o.insert(STEP - 1);
        o.insert(u64::MAX - STEP + 1);
        assert_eq!(o.next_position(true), None);
        assert_eq!(o.next_position(false), None);
    }

    #[test]
    fn recovery_loads_unordered_then_sorts() {
        let mut o = ListOrder::default();
        for p in [30, 10, 20] {
            o.push_unordered(p);
        }
        o.sort();
        assert_eq!(o.range(0, 3).collect::<Vec<_>>(), [10, 20, 30]);
        assert_eq!(decode_position(&encode_position(42)), Some(42));
        assert_eq!(decode_position(b"short"), None);
    }

    #[test]
    fn insertions_at_one_place_respace_a_window_and_keep_the_order() {
        let mut o = ListOrder::default();
        for p in [CENTRE - STEP, CENTRE, CENTRE + STEP, CENTRE + 2 * STEP] {
            o.insert(p);
        }
        let mut moved_total = 0;
        // 2000 insertions right after the head: gaps run out again and again.
        for _ in 0..2000 {
            let p = match o.position_between(1) {
                Some(p) => p,
                None => {
                    let (moves, p) = o.respace(1);
                    moved_total += moves.len();
                    p
                }
            };
            let before = o.get(0).unwrap();
            let after = o.get(1).unwrap();
            assert!(before < p && p < after, "{before} < {p} < {after}");
            o.insert(p);
            assert_eq!(o.get(1), Some(p));
        }
        let all: Vec<u64> = o.range(0, o.len()).collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(all.len(), 2004);
        // Amortised: far fewer moves than one whole renumbering per insertion.
        assert!(moved_total < 2000 * 40, "{moved_total} moves");
    }

    #[test]
    fn ends_near_the_limits_still_take_positions() {
        let mut o = ListOrder::default();
        o.insert(3);
        o.insert(u64::MAX - 2);
        assert_eq!(o.position_between(0), Some(1));
        assert_eq!(o.position_between(2), Some(u64::MAX - 1));
        o.insert(0);
        o.insert(u64::MAX);
        assert_eq!(o.position_between(0), None);
        let (moves, p) = o.respace(0);
        assert!(!moves.is_empty());
        assert!(p < o.get(0).unwrap());
        o.remove_sorted(&[o.get(1).unwrap()]);
        assert_eq!(o.len(), 3);
    }
}
