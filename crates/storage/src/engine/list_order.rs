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
}
