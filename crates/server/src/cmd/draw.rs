//! Random draws from a collection (SPOP, SRANDMEMBER): distinct elements, or draws with
//! repeats, chosen uniformly by position.
//!
//! A position is read with `WriteDb::element_at`, O(1) while the batch has not changed the
//! collection but O(elements) once it has (kvs-storage rebuilds the list then). Which of the two
//! holds is not visible through the view, so a few draws read positions one by one — at worst a
//! few passes over the collection — and many draws list the collection once and index the
//! copy: never O(draws × elements).

use kvs_storage::StorageError;
use rand::Rng;
use rand::seq::index;

use super::{WriteDb, fail};

/// A negative count asks for any number of repeats, and the reply is built in memory before it
/// is sent: past this size it is dropped for an error rather than letting one small command
/// take the server's memory (Redis itself stops only when an output-buffer limit closes the
/// client, and by default normal clients have none).
pub const MAX_REPLY_BYTES: usize = 1 << 30;

/// The smallest a drawn element can add to a reply (`$0\r\n\r\n`): a count of repeats whose
/// reply must pass [`MAX_REPLY_BYTES`] is refused before anything is built.
pub const MIN_PICK_BYTES: usize = 6;

/// The error for a draw with repeats whose reply would pass [`MAX_REPLY_BYTES`]: kvs' own
/// text (Redis has none), naming the command and what it draws.
pub fn too_large(command: &str, items: &str) -> StorageError {
    fail(&format!(
        "ERR {command} reply exceeds {MAX_REPLY_BYTES} bytes; ask for fewer {items}"
    ))
}

/// Up to this many draws read their positions one by one; more list the collection once.
const POSITIONAL_DRAWS: usize = 16;

/// Where the drawn positions are read: the collection itself, or a copy of its element list.
enum Source {
    Positions,
    Listed(Vec<Vec<u8>>),
}

impl Source {
    fn for_draws(txn: &mut dyn WriteDb, id: u64, draws: usize) -> Source {
        if draws <= POSITIONAL_DRAWS {
            Source::Positions
        } else {
            Source::Listed(txn.elements(id))
        }
    }

    /// The element at position `i`. `None` only if the collection is shorter than the
    /// `element_count` the caller was given, which the writer (alone in changing it) rules out.
    fn at(&self, txn: &mut dyn WriteDb, id: u64, i: usize) -> Option<Vec<u8>> {
        match self {
            Source::Positions => txn.element_at(id, i),
            Source::Listed(all) => all.get(i).cloned(),
        }
    }
}

/// `min(count, size)` distinct elements of collection `id`, which has `size` elements, each
/// subset equally likely, in random order (the whole collection in its own order).
pub fn distinct(txn: &mut dyn WriteDb, id: u64, size: usize, count: usize) -> Vec<Vec<u8>> {
    if count >= size {
        return txn.elements(id);
    }
    let source = Source::for_draws(txn, id, count);
    index::sample(&mut rand::rng(), size, count)
        .into_iter()
        .filter_map(|i| source.at(txn, id, i))
        .collect()
}

/// `count` independent draws from collection `id` (`size` elements): the same element may come
/// more than once. Each is handed to `emit` as it is drawn (the caller encodes it): no list of
/// copies is built for a large count. `emit` returns `false` to stop early (a reply grown too
/// big).
pub fn with_repeats(
    txn: &mut dyn WriteDb,
    id: u64,
    size: usize,
    count: usize,
    mut emit: impl FnMut(&[u8]) -> bool,
) {
    if size == 0 {
        return;
    }
    let source = Source::for_draws(txn, id, count);
    let mut rng = rand::rng();
    for _ in 0..count {
        if let Some(e) = source.at(txn, id, rng.random_range(0..size))
            && !emit(&e)
        {
            return;
        }
    }
}
