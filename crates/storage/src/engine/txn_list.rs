//! What a write command does with a list (storage-format §4.3.1) in its [`Txn`]: push and pop
//! at either end, read and set by index, insert and remove in the middle — each touching only
//! the element records it needs, found through the list's positions.
//!
//! The positions come from the batch's [`ListView`] of the list: the writer's committed
//! [`ListOrder`] plus what earlier commands of the batch did, kept per list for the whole batch
//! so that a pipeline of pushes and pops costs O(1) per element, not a rebuild per command.

use crate::collection::{ListOrder, split_element_key};
use crate::error::Result;
use crate::list_order::{decode_position, encode_position};
use crate::list_view::ListView;
use crate::txn::Txn;

impl Txn<'_> {
    /// List `id`'s view in this batch, and its committed order: created on first use (from the
    /// batch's records after a roll-back dropped the views).
    fn list_view(&mut self, id: u64) -> (&mut ListView, Option<&ListOrder>) {
        let base = self.collections.order(id);
        if !self.batch.lists.contains_key(&id) {
            // Elements the batch wrote without a view (a roll-back dropped the views, or they
            // came another way than the list operations) are folded in from its records.
            let written = self.batch.count_change(id) != 0
                || (self.batch.lists_reset && self.batch_touches(id));
            let view = if written {
                self.rebuilt_view(id, base)
            } else {
                ListView::over(base)
            };
            self.batch.lists.insert(id, view);
        }
        let view = self
            .batch
            .lists
            .entry(id)
            .or_insert_with(|| ListView::over(base));
        (view, base)
    }

    /// The view of a list the batch holds records of, rebuilt from them: the committed order
    /// with each of the batch's latest element records applied. O(n + batch); only after a
    /// command of the batch was rolled back.
    fn rebuilt_view(&self, id: u64, base: Option<&ListOrder>) -> ListView {
        let mut order = base.cloned().unwrap_or_default();
        for (p, key) in self.batch.latest_elements() {
            if let Some((eid, element)) = split_element_key(key)
                && eid == id
                && let Some(position) = decode_position(element)
            {
                if p.tombstone {
                    order.remove(position);
                } else {
                    order.insert(position);
                }
            }
        }
        ListView::Whole(order)
    }

    /// The position at index `i` of list `id` (0: the head).
    fn list_position(&mut self, id: u64, i: usize) -> Option<u64> {
        let (view, base) = self.list_view(id);
        view.get(base, i)
    }

    /// Pushes `value` at the head (`front`) or the tail of list `id`, held by `key`. No other
    /// element is touched: the new one takes the position `STEP` past that end (or, when an
    /// end has run out, whatever [`list_insert`](Self::list_insert) finds).
    pub fn list_push(&mut self, key: &[u8], id: u64, front: bool, value: &[u8]) -> Result<()> {
        let (view, base) = self.list_view(id);
        let len = view.len();
        let position = match (len, front) {
            (0, _) => Some(crate::list_order::CENTRE),
            (_, true) => view
                .get(base, 0)
                .and_then(|p| p.checked_sub(crate::list_order::STEP)),
            (_, false) => view
                .get(base, len - 1)
                .and_then(|p| p.checked_add(crate::list_order::STEP)),
        };
        let Some(position) = position else {
            return self.list_insert(key, id, if front { 0 } else { len }, value);
        };
        self.put_element(key, id, &encode_position(position), value)?;
        self.list_view(id).0.push(front, position);
        Ok(())
    }

    /// Pops the head (`front`) or the tail element of list `id`, held by `key`; `None` if the
    /// list is empty. A list left empty must be deleted by the caller.
    pub fn list_pop(&mut self, key: &[u8], id: u64, front: bool) -> Result<Option<Vec<u8>>> {
        let (view, base) = self.list_view(id);
        let Some(position) = view.pop(base, front) else {
            return Ok(None);
        };
        let name = encode_position(position);
        let value = self.element(id, &name)?;
        self.delete_element(key, id, &name);
        Ok(value)
    }

    /// Removes the head (`front`) or the tail element of list `id` without reading it (LTRIM);
    /// `false` if the list is empty.
    pub fn list_drop(&mut self, key: &[u8], id: u64, front: bool) -> bool {
        let (view, base) = self.list_view(id);
        match view.pop(base, front) {
            Some(position) => self.delete_element(key, id, &encode_position(position)),
            None => false,
        }
    }

    /// The element at index `i` of list `id` (0: the head).
    pub fn list_get(&mut self, id: u64, i: usize) -> Result<Option<Vec<u8>>> {
        match self.list_position(id, i) {
            Some(position) => self.element(id, &encode_position(position)),
            None => Ok(None),
        }
    }

    /// Sets the element at index `i` of list `id`, held by `key`; `false` if there is none.
    pub fn list_set(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<bool> {
        match self.list_position(id, i) {
            Some(position) => {
                self.put_element(key, id, &encode_position(position), value)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The elements of list `id` from index `start` to `end` (exclusive), in order.
    pub fn list_range(&mut self, id: u64, start: usize, end: usize) -> Result<Vec<Vec<u8>>> {
        let (view, base) = self.list_view(id);
        let end = end.min(view.len());
        let positions: Vec<u64> = (start..end).filter_map(|i| view.get(base, i)).collect();
        let mut out = Vec::with_capacity(positions.len());
        for p in positions {
            if let Some(v) = self.element(id, &encode_position(p))? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Inserts `value` into list `id`, held by `key`, so that it is at index `i` (`i` ≤ the
    /// length; LINSERT). It takes the midpoint of the gap between its neighbours; when that gap
    /// is used up, a window of neighbours is respaced first (`ListOrder::respace`), each moved
    /// element rewritten at its new position in the same atomic batch.
    pub fn list_insert(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<()> {
        self.ensure_room(Some(id), 1)?;
        let (view, base) = self.list_view(id);
        let order = view.whole(base);
        let (moves, position) = match order.position_between(i) {
            Some(p) => (Vec::new(), p),
            None => order.respace(i),
        };
        self.move_elements(key, id, &moves)?;
        self.put_element(key, id, &encode_position(position), value)?;
        let (view, base) = self.list_view(id);
        view.whole(base).insert(position);
        Ok(())
    }

    /// Rewrites the elements of list `id` that a respacing moved, `(old, new)` positions (the
    /// order already has the new ones): every old record that no new one replaces is deleted
    /// first, so the element count never passes the list's size.
    fn move_elements(&mut self, key: &[u8], id: u64, moves: &[(u64, u64)]) -> Result<()> {
        let mut values = Vec::with_capacity(moves.len());
        for &(old, _) in moves {
            values.push(self.element(id, &encode_position(old))?.unwrap_or_default());
        }
        let mut new_positions: Vec<u64> = moves.iter().map(|&(_, new)| new).collect();
        new_positions.sort_unstable();
        for &(old, _) in moves {
            if new_positions.binary_search(&old).is_err() {
                self.delete_element(key, id, &encode_position(old));
            }
        }
        for (&(_, new), v) in moves.iter().zip(&values) {
            self.put_element(key, id, &encode_position(new), v)?;
        }
        Ok(())
    }

    /// Removes the elements at `indices` (ascending) of list `id`, held by `key` (LREM): O(n)
    /// for the order however many go, one tombstone each.
    pub fn list_remove(&mut self, key: &[u8], id: u64, indices: &[usize]) {
        let (view, base) = self.list_view(id);
        let order = view.whole(base);
        let positions: Vec<u64> = indices.iter().filter_map(|&i| order.get(i)).collect();
        order.remove_sorted(&positions);
        for p in positions {
            self.delete_element(key, id, &encode_position(p));
        }
    }
}
