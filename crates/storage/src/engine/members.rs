//! The elements of one collection as the writer keeps them ([`Members`]), and the history
//! OBJECT ENCODING reads from them ([`CollectionShape`]). Writer-thread only; the element index
//! (`Shared::elements`) is what other threads read (storage-format §4.3).

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use super::collection::MAX_ELEMENTS;

/// The elements of one collection, as the writer keeps them: their bytes back to back in one
/// arena, a span per element (for draws by position and for enumeration), and a table of
/// positions (for membership). One allocation per collection rather than per element: an
/// element costs its bytes plus 12 bytes of span and a 4-byte table slot. A removal moves the
/// last element's span into the hole and leaves its bytes as garbage in the arena, which is
/// compacted once garbage is the larger part.
#[derive(Debug, Default)]
pub struct Members {
    arena: Vec<u8>,
    /// Element `i` is `arena[starts[i]..starts[i] + lens[i]]`.
    starts: Vec<u64>,
    lens: Vec<u32>,
    positions: HashTable<u32>,
    hasher: RandomState,
    /// Arena bytes no element uses any more.
    garbage: usize,
    /// What the collection has been since it was created or loaded ([`CollectionShape`]).
    shape: CollectionShape,
}

/// The most a collection has held since it was created (or the store opened): its peak element
/// count, its longest element or value, whether a member was ever not an integer. Redis picks a
/// collection's encoding from these and never converts back (a set that once held a word stays
/// a `hashtable`); OBJECT ENCODING reports the same (`kvs-server`'s `encoding.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CollectionShape {
    /// The most elements it held at once.
    pub peak: usize,
    /// The longest element (a field or member) or hash value it held, in bytes.
    pub longest: usize,
    /// Whether it ever held an element that is not an integer (a set's intset rule).
    pub non_integer: bool,
}

/// Whether `b` is an integer as Redis' intset takes it (`string2ll`: no sign `+`, no leading
/// zero, no spaces, at most 20 characters, within i64).
pub(super) fn is_integer(b: &[u8]) -> bool {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if digits.is_empty() || b.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if digits.len() > 1 && digits.first() == Some(&b'0') || b == b"-0" {
        return false;
    }
    std::str::from_utf8(b).is_ok_and(|t| t.parse::<i64>().is_ok())
}

/// The bytes of element `i` (empty if there is none): a free function over the three fields,
/// so the table's closures can borrow them while the table is borrowed mutably.
fn span<'a>(arena: &'a [u8], starts: &[u64], lens: &[u32], i: usize) -> &'a [u8] {
    let (Some(&start), Some(&len)) = (starts.get(i), lens.get(i)) else {
        return &[];
    };
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    arena
        .get(start..start.saturating_add(len as usize))
        .unwrap_or_default()
}

impl Members {
    /// How many elements.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The elements, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.at(i))
    }

    /// The element at `i` (0 ≤ i < len): for random draws.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        (i < self.len()).then(|| self.at(i))
    }

    fn at(&self, i: usize) -> &[u8] {
        span(&self.arena, &self.starts, &self.lens, i)
    }

    fn find(&self, element: &[u8]) -> Option<usize> {
        let h = self.hasher.hash_one(element);
        let (arena, starts, lens) = (&self.arena, &self.starts, &self.lens);
        self.positions
            .find(h, |&i| span(arena, starts, lens, i as usize) == element)
            .map(|&i| i as usize)
    }

    /// Whether `element` is one.
    pub fn contains(&self, element: &[u8]) -> bool {
        self.find(element).is_some()
    }

    /// The most it has held ([`CollectionShape`]).
    pub fn shape(&self) -> CollectionShape {
        self.shape
    }

    /// Notes an element (new or not) of `len` bytes with a value of `value_len`.
    pub(crate) fn note(&mut self, element: &[u8], value_len: usize) {
        let s = &mut self.shape;
        s.peak = s.peak.max(self.starts.len());
        s.longest = s.longest.max(element.len()).max(value_len);
        s.non_integer |= !is_integer(element);
    }

    /// Adds `element`; false if it was there.
    /// A collection already holding [`MAX_ELEMENTS`] takes nothing more (false):
    /// `Txn::put_element` refuses such an element before it is written, so this never happens
    /// to a committed record.
    pub fn insert(&mut self, element: &[u8]) -> bool {
        if self.contains(element) {
            return false;
        }
        let Some(i) = u32::try_from(self.starts.len())
            .ok()
            .filter(|&i| (i as usize) < MAX_ELEMENTS)
        else {
            debug_assert!(
                false,
                "Txn::put_element keeps a collection within MAX_ELEMENTS"
            );
            return false;
        };
        self.starts.push(self.arena.len() as u64);
        self.lens.push(element.len() as u32);
        self.arena.extend_from_slice(element);
        let h = self.hasher.hash_one(element);
        let (arena, starts, lens, hasher) = (&self.arena, &self.starts, &self.lens, &self.hasher);
        self.positions.insert_unique(h, i, |&j| {
            hasher.hash_one(span(arena, starts, lens, j as usize))
        });
        true
    }

    /// Removes `element` (the last element takes its place); false if it was not there.
    pub fn remove(&mut self, element: &[u8]) -> bool {
        let Some(i) = self.find(element) else {
            return false;
        };
        let h = self.hasher.hash_one(element);
        if let Ok(e) = self.positions.find_entry(h, |&j| j as usize == i) {
            e.remove();
        }
        let last = self.len() - 1;
        if i != last {
            // The last element moves to `i`: repoint its slot.
            let moved_hash = self.hasher.hash_one(self.at(last));
            if let Some(slot) = self.positions.find_mut(moved_hash, |&j| j as usize == last) {
                *slot = i as u32;
            }
        }
        self.garbage += element.len();
        self.starts.swap_remove(i);
        self.lens.swap_remove(i);
        if self.garbage > 4096 && self.garbage > self.arena.len() / 2 {
            self.compact();
        }
        true
    }

    /// Rewrites the arena with the live elements only (positions do not change).
    fn compact(&mut self) {
        let mut arena = Vec::with_capacity(self.arena.len() - self.garbage);
        for (start, &len) in self.starts.iter_mut().zip(&self.lens) {
            let from = usize::try_from(*start).unwrap_or(usize::MAX);
            let bytes = self
                .arena
                .get(from..from.saturating_add(len as usize))
                .unwrap_or_default();
            *start = arena.len() as u64;
            arena.extend_from_slice(bytes);
        }
        self.arena = arena;
        self.garbage = 0;
    }

    /// Takes up to `n` elements out (any of them), for dropping a dead collection piecewise.
    pub(crate) fn take_some(&mut self, n: usize) -> Vec<Box<[u8]>> {
        let keep = self.len().saturating_sub(n);
        let taken: Vec<Box<[u8]>> = (keep..self.len()).map(|i| self.at(i).into()).collect();
        for (i, e) in (keep..).zip(&taken) {
            let h = self.hasher.hash_one(&e[..]);
            if let Ok(entry) = self.positions.find_entry(h, |&j| j as usize == i) {
                entry.remove();
            }
            self.garbage += e.len();
        }
        self.starts.truncate(keep);
        self.lens.truncate(keep);
        if self.starts.is_empty() {
            *self = Members::default();
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_insert_remove_and_positions_stay_consistent() {
        let mut m = Members::default();
        for i in 0..100u32 {
            assert!(m.insert(&i.to_le_bytes()));
        }
        assert!(!m.insert(&5u32.to_le_bytes()));
        for i in (0..100u32).step_by(3) {
            assert!(m.remove(&i.to_le_bytes()));
            assert!(!m.remove(&i.to_le_bytes()));
        }
        for i in 0..100u32 {
            assert_eq!(m.contains(&i.to_le_bytes()), i % 3 != 0, "{i}");
        }
        assert_eq!(m.len(), 66);
        let mut all: Vec<_> = m.iter().map(|e| e.to_vec()).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 66);
        let taken = m.take_some(10);
        assert_eq!((taken.len(), m.len()), (10, 56));
        for e in &taken {
            assert!(!m.contains(e));
        }
        assert!(m.insert(&taken[0]));
        assert!(m.contains(&taken[0]));
    }

    #[test]
    fn members_arena_is_compacted_and_keeps_every_element() {
        let mut m = Members::default();
        let el = |i: u32| format!("{i:0>100}").into_bytes();
        for i in 0..300 {
            assert!(m.insert(&el(i)));
        }
        for i in 0..250 {
            assert!(m.remove(&el(i)));
        }
        assert!(m.arena.len() < 300 * 100, "compacted: {}", m.arena.len());
        for i in 0..300 {
            assert_eq!(m.contains(&el(i)), i >= 250, "{i}");
        }
        let mut all: Vec<Vec<u8>> = m.iter().map(<[u8]>::to_vec).collect();
        all.sort();
        assert_eq!(all, (250..300).map(el).collect::<Vec<_>>());
        assert_eq!(m.take_some(100).len(), 50);
        assert!(m.is_empty() && m.arena.is_empty());
    }
}
