//! A batch's view of one list's positions (storage-format §4.3.1): the committed
//! [`ListOrder`] plus what earlier commands of the batch pushed, popped or inserted.
//!
//! Queues are the lists that see long pipelines (LPUSH … RPOP), so the common case must not
//! copy the list: [`ListView::Ends`] records only the batch's pushes and pops at the two ends
//! over the untouched committed order, and answers an index in O(1). A command that changes
//! the middle (LINSERT, LREM, a respacing) turns the view into [`ListView::Whole`], a copy of
//! the order that it edits — O(n) once per batch, as those commands are O(n) in Redis too.
//! Writer-thread only; the batch drops its views when it ends or a command is rolled back.

use std::collections::VecDeque;

use crate::list_order::ListOrder;

/// See the module docs.
#[derive(Debug, Clone)]
pub(crate) enum ListView {
    /// Only the ends changed.
    Ends(EndsView),
    /// The whole order, copied and edited.
    Whole(ListOrder),
}

/// The batch's pushes and pops at the ends of a committed order.
#[derive(Debug, Clone, Default)]
pub(crate) struct EndsView {
    /// The committed order's length (it cannot change during the batch).
    base_len: usize,
    /// Committed elements popped from the head and from the tail.
    skip_front: usize,
    skip_back: usize,
    /// Positions pushed at the head (`front[0]` is the head) and at the tail (its last is the
    /// tail), still there.
    front: VecDeque<u64>,
    back: VecDeque<u64>,
}

impl ListView {
    /// A view of `base` (the committed order, `None` for a list with none) that the batch
    /// has not changed yet.
    pub(crate) fn over(base: Option<&ListOrder>) -> ListView {
        ListView::Ends(EndsView {
            base_len: base.map_or(0, ListOrder::len),
            ..EndsView::default()
        })
    }

    /// Elements.
    pub(crate) fn len(&self) -> usize {
        match self {
            ListView::Ends(v) => {
                v.front.len() + (v.base_len - v.skip_front - v.skip_back) + v.back.len()
            }
            ListView::Whole(o) => o.len(),
        }
    }

    /// The position at index `i` (0: the head).
    pub(crate) fn get(&self, base: Option<&ListOrder>, i: usize) -> Option<u64> {
        match self {
            ListView::Ends(v) => {
                if let Some(&p) = v.front.get(i) {
                    return Some(p);
                }
                let i = i - v.front.len();
                let middle = v.base_len - v.skip_front - v.skip_back;
                if i < middle {
                    return base.and_then(|b| b.get(v.skip_front + i));
                }
                v.back.get(i - middle).copied()
            }
            ListView::Whole(o) => o.get(i),
        }
    }

    /// Adds `position` at the head (`front`) or the tail; it must lie past that end.
    pub(crate) fn push(&mut self, front: bool, position: u64) {
        match self {
            ListView::Ends(v) if front => v.front.push_front(position),
            ListView::Ends(v) => v.back.push_back(position),
            ListView::Whole(o) => o.insert(position),
        }
    }

    /// Removes the head (`front`) or the tail and returns its position; `None` if empty.
    pub(crate) fn pop(&mut self, base: Option<&ListOrder>, front: bool) -> Option<u64> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let position = self.get(base, if front { 0 } else { len - 1 })?;
        match self {
            ListView::Ends(v) => {
                let middle = v.base_len - v.skip_front - v.skip_back;
                match (front, v.front.is_empty(), middle, v.back.is_empty()) {
                    (true, false, _, _) => drop(v.front.pop_front()),
                    (true, true, 1.., _) => v.skip_front += 1,
                    (true, true, 0, _) => drop(v.back.pop_front()),
                    (false, _, _, false) => drop(v.back.pop_back()),
                    (false, _, 1.., true) => v.skip_back += 1,
                    (false, _, 0, true) => drop(v.front.pop_back()),
                }
            }
            ListView::Whole(o) => {
                o.remove(position);
            }
        }
        Some(position)
    }

    /// The whole order, for an edit in the middle: the view becomes [`ListView::Whole`] (a
    /// copy made once per batch).
    pub(crate) fn whole(&mut self, base: Option<&ListOrder>) -> &mut ListOrder {
        if let ListView::Ends(v) = self {
            let mut o = ListOrder::default();
            for &p in &v.front {
                o.push_unordered(p);
            }
            if let Some(b) = base {
                for p in b.range(v.skip_front, v.base_len - v.skip_back) {
                    o.push_unordered(p);
                }
            }
            for &p in &v.back {
                o.push_unordered(p);
            }
            *self = ListView::Whole(o);
        }
        match self {
            ListView::Whole(o) => o,
            ListView::Ends(_) => unreachable!("made whole just above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(ps: &[u64]) -> ListOrder {
        let mut o = ListOrder::default();
        for &p in ps {
            o.insert(p);
        }
        o
    }

    fn all(v: &ListView, base: Option<&ListOrder>) -> Vec<u64> {
        (0..v.len()).map(|i| v.get(base, i).unwrap()).collect()
    }

    #[test]
    fn ends_view_matches_a_deque_model() {
        let base = order(&[100, 200, 300, 400]);
        let b = Some(&base);
        let mut model: VecDeque<u64> = [100, 200, 300, 400].into();
        let mut v = ListView::over(b);
        let mut next_front = 99;
        let mut next_back = 401;
        // A fixed mix of pushes and pops at both ends, popping through the committed middle
        // and into the other end's pushes.
        let script = "PpPqqqqqqPPpppqqqqqpPpQQQQqqqqqqq";
        for c in script.chars() {
            match c {
                'P' => {
                    v.push(true, next_front);
                    model.push_front(next_front);
                    next_front -= 1;
                }
                'p' => {
                    v.push(false, next_back);
                    model.push_back(next_back);
                    next_back += 1;
                }
                'Q' => assert_eq!(v.pop(b, true), model.pop_front()),
                _ => assert_eq!(v.pop(b, false), model.pop_back()),
            }
            assert_eq!(all(&v, b), Vec::from(model.clone()), "after {c}");
        }
        assert_eq!(v.pop(b, true), None);
    }

    #[test]
    fn whole_copies_the_view_once_and_keeps_editing() {
        let base = order(&[10, 20, 30]);
        let b = Some(&base);
        let mut v = ListView::over(b);
        v.push(true, 5);
        assert_eq!(v.pop(b, false), Some(30));
        v.whole(b).insert(15);
        v.push(false, 40);
        assert_eq!(all(&v, b), [5, 10, 15, 20, 40]);
        assert_eq!(v.pop(b, true), Some(5));
        assert_eq!(all(&v, b), [10, 15, 20, 40]);
        assert!(matches!(v, ListView::Whole(_)));
    }
}
