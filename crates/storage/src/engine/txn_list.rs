//! What a write command does with a list (storage-format §4.3, lists) in its [`Txn`]: push and
//! pop at either end, read and set by index, read a range — each touching only the element
//! records it needs, found through the writer's [`ListOrder`] of the list's positions.
//!
//! Reads see the committed order plus what earlier commands of the batch pushed or popped.
//! (First version: the batch's view of a list the batch has changed is rebuilt per call, O(n);
//! an overlay of the batch's pushes and pops at the ends is the planned next step.)

use crate::collection::{ListOrder, split_element_key};
use crate::error::{Result, StorageError};
use crate::list_order::{decode_position, encode_position};
use crate::txn::Txn;

impl Txn<'_> {
    /// List `id`'s positions in order, as this batch sees them.
    fn list_order(&self, id: u64) -> ListOrder {
        let mut order = self.collections.order(id).cloned().unwrap_or_default();
        if self.batch_touches(id) {
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
        }
        order
    }

    /// Pushes `value` at the head (`front`) or the tail of list `id`, held by `key`. No other
    /// element is touched: the new one takes the next position past that end.
    pub fn list_push(&mut self, key: &[u8], id: u64, front: bool, value: &[u8]) -> Result<()> {
        let Some(position) = self.list_order(id).next_position(front) else {
            return Err(StorageError::InvalidOperation(
                "ERR list positions exhausted at this end".into(),
            ));
        };
        self.put_element(key, id, &encode_position(position), value)?;
        Ok(())
    }

    /// Pops the head (`front`) or the tail element of list `id`, held by `key`; `None` if the
    /// list is empty. A list left empty must be deleted by the caller.
    pub fn list_pop(&mut self, key: &[u8], id: u64, front: bool) -> Result<Option<Vec<u8>>> {
        let order = self.list_order(id);
        let end = if front {
            order.get(0)
        } else {
            order.get(order.len().wrapping_sub(1))
        };
        let Some(position) = end else {
            return Ok(None);
        };
        let name = encode_position(position);
        let value = self.element(id, &name)?;
        self.delete_element(key, id, &name);
        Ok(value)
    }

    /// The element at index `i` of list `id` (0: the head).
    pub fn list_get(&mut self, id: u64, i: usize) -> Result<Option<Vec<u8>>> {
        match self.list_order(id).get(i) {
            Some(position) => self.element(id, &encode_position(position)),
            None => Ok(None),
        }
    }

    /// Sets the element at index `i` of list `id`, held by `key`; `false` if there is none.
    pub fn list_set(&mut self, key: &[u8], id: u64, i: usize, value: &[u8]) -> Result<bool> {
        match self.list_order(id).get(i) {
            Some(position) => {
                self.put_element(key, id, &encode_position(position), value)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The elements of list `id` from index `start` to `end` (exclusive), in order.
    pub fn list_range(&mut self, id: u64, start: usize, end: usize) -> Result<Vec<Vec<u8>>> {
        let positions: Vec<u64> = self.list_order(id).range(start, end).collect();
        let mut out = Vec::with_capacity(positions.len());
        for p in positions {
            if let Some(v) = self.element(id, &encode_position(p))? {
                out.push(v);
            }
        }
        Ok(out)
    }
}
