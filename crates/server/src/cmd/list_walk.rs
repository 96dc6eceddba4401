//! Walking a list's elements in order from either end, a chunk of element records at a time:
//! how LINSERT, LREM and LPOS find elements by value. Redis walks its quicklist the same way,
//! O(N); here each step reads one element record through the list's positions
//! (storage-format §4.3.1), and a walk that stops early reads no further chunk.

use kvs_storage::StorageError;

use crate::list_ops::ListOps;

/// Elements read per step: enough to amortise the call, few enough that a match near the
/// start does not read much past it.
const CHUNK: usize = 64;

/// Calls `visit(index, element)` for each element of list `id` (of length `len`) from the head
/// or, with `from_tail`, from the tail — `index` always counted from the head — until `visit`
/// returns `false`.
pub fn walk(
    lists: &mut dyn ListOps,
    id: u64,
    len: usize,
    from_tail: bool,
    mut visit: impl FnMut(usize, &[u8]) -> bool,
) -> Result<(), StorageError> {
    let mut done = 0;
    while done < len {
        let n = CHUNK.min(len - done);
        let start = if from_tail { len - done - n } else { done };
        let chunk = lists.range(id, start, start + n)?;
        let mut go_on = true;
        if from_tail {
            for (k, v) in chunk.iter().enumerate().rev() {
                go_on = visit(start + k, v);
                if !go_on {
                    break;
                }
            }
        } else {
            for (k, v) in chunk.iter().enumerate() {
                go_on = visit(start + k, v);
                if !go_on {
                    break;
                }
            }
        }
        if !go_on {
            break;
        }
        done += n;
    }
    Ok(())
}

/// A list index from the command line (negative: from the tail) as an index into a list of
/// `len`, or `None` if it is out of range.
pub fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 {
        len.checked_add(index)?
    } else {
        index
    };
    usize::try_from(i).ok().filter(|&i| (i as i64) < len)
}
