//! A shard's current [`Table`], published to lock-free readers and replaced by its writer
//! (storage-engine §11.1), with memory reclamation by `seize`'s epochs.
//!
//! Why not `ArcSwap`, as the file set uses: an `ArcSwap` load pays a `SeqCst` exchange (and a
//! compare-and-swap when its guard drops) on every read — measured, hot-key reads on two
//! threads ran 30 % slower through it than through papaya, whose `seize` guards cost readers
//! only a compiler fence (the writer pays a `membarrier` now and then instead). Tables are
//! replaced rarely (when one fills), so the writer's cost does not matter here; the readers'
//! does, on every lookup.
//!
//! Every access goes through a `seize` guard, and every reference handed out lives as long as
//! that guard: a replaced table is retired through the guard of the thread replacing it, and
//! freed only once no guard that could have loaded it is left — so no reference can dangle.

use std::sync::atomic::{AtomicPtr, Ordering};

use seize::{Collector, Guard, LocalGuard, reclaim};

use super::table::Table;

/// See the module docs.
pub(super) struct Published {
    /// Always a pointer from `Box::into_raw`, never null.
    ptr: AtomicPtr<Table>,
}

impl Published {
    pub(super) fn new(table: Table) -> Published {
        Published {
            ptr: AtomicPtr::new(Box::into_raw(Box::new(table))),
        }
    }

    /// The current table, valid for as long as `guard` lives.
    pub(super) fn load<'g>(&self, guard: &'g LocalGuard<'_>) -> &'g Table {
        let p = guard.protect(&self.ptr, Ordering::Acquire);
        // SAFETY: `ptr` always holds a pointer from `Box::into_raw` (set in `new` and
        // `replace`), never null. A table is freed only by `Drop` (no guard can exist then: it
        // takes `&mut self`) or through `defer_retire` in `replace`, after it was unlinked —
        // and seize frees a retired pointer only when every guard that could have loaded it,
        // this one included, has been dropped.
        unsafe { &*p }
    }

    /// Publishes `table` in place of the current one, which is retired: freed once no guard
    /// that may have loaded it is left (`guard`'s own included). Returns the new table. The
    /// caller is the shard's only writer (it holds the shard's lock).
    pub(super) fn replace<'g>(&self, table: Table, guard: &'g LocalGuard<'_>) -> &'g Table {
        let new = Box::into_raw(Box::new(table));
        let old = self.ptr.swap(new, Ordering::AcqRel);
        // SAFETY: `old` came from `Box::into_raw` and is now unreachable for any thread that
        // loads `ptr` from here on; threads that loaded it before hold guards, which seize
        // waits for (and `defer_retire` waits for `guard` too, so the caller may still use a
        // reference to `old` obtained through it). `reclaim::boxed` matches `Box::into_raw`.
        unsafe { guard.defer_retire(old, reclaim::boxed::<Table>) };
        // SAFETY: `new` is the pointer just published, from `Box::into_raw`; it can only be
        // retired by a later `replace`, through a guard, so it outlives `guard` as above.
        unsafe { &*new }
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        // SAFETY: `&mut self`: no guard can be using the current table, which came from
        // `Box::into_raw` and was never retired (only replaced tables are).
        unsafe { drop(Box::from_raw(p)) };
    }
}

/// The collector the shards of one index share: one per index, so that dropping the index
/// frees every table still retired (seize's `Collector` frees them when dropped).
pub(super) fn collector() -> Collector {
    // Batches of 8: a replaced table waits for at most 7 more before seize tries to free it
    // (each try costs the writer a `membarrier`, tens of µs on a VM — rare: tables are
    // replaced only when they fill).
    Collector::new().batch_size(8)
}
