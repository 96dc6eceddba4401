//! Jobs for the storage threads, gathered per looper and sent once per loop iteration.
//!
//! A looper handles every ready connection of an `epoll_wait` before it runs its pending
//! functors (Muduo's order). Sessions put their jobs here as they parse, and the first job of an
//! iteration queues one functor — run in that same iteration, after the I/O events — which sends
//! everything gathered: one channel message per destination and at most one wake-up of the
//! writer (and of a reader) per loop iteration, instead of one per connection. At P=1 with many
//! clients that is most of what a request costs beyond the work itself.
//!
//! Order is kept: jobs leave in the order they were gathered, and whatever must come after them
//! on the writer's channel (FLUSHALL, SAVE) calls [`send_now`] first.

use std::cell::RefCell;
use std::sync::Arc;

use kvs_reactor::LoopHandle;

use crate::engine::{Engine, ReadJob, WriteJob};

#[derive(Default)]
struct Gathered {
    writes: Vec<WriteJob>,
    reads: Vec<ReadJob>,
    engine: Option<Arc<dyn Engine>>,
    scheduled: bool,
}

thread_local! {
    static GATHERED: RefCell<Gathered> = RefCell::new(Gathered::default());
}

/// Takes a session's jobs (leaving its vectors empty). On the looper `handle` they wait for the
/// end of the loop iteration; anywhere else they are sent at once. Loop-thread function.
pub(crate) fn gather(
    handle: Option<&LoopHandle>,
    engine: &Arc<dyn Engine>,
    writes: &mut Vec<WriteJob>,
    reads: &mut Vec<ReadJob>,
) {
    if writes.is_empty() && reads.is_empty() {
        return;
    }
    let Some(handle) = handle.filter(|h| h.is_in_loop_thread()) else {
        send(engine, std::mem::take(writes), std::mem::take(reads));
        return;
    };
    let schedule = GATHERED.with(|g| {
        let mut g = g.borrow_mut();
        g.writes.append(writes);
        g.reads.append(reads);
        if g.engine.is_none() {
            g.engine = Some(engine.clone());
        }
        !std::mem::replace(&mut g.scheduled, true)
    });
    if schedule {
        handle.queue_in_loop(|_| send_now());
    }
}

/// Sends what this thread has gathered, now. Loop-thread function.
pub(crate) fn send_now() {
    let taken = GATHERED.with(|g| {
        let mut g = g.borrow_mut();
        g.scheduled = false;
        let engine = g.engine.take()?;
        Some((
            engine,
            std::mem::take(&mut g.writes),
            std::mem::take(&mut g.reads),
        ))
    });
    if let Some((engine, writes, reads)) = taken {
        send(&engine, writes, reads);
    }
}

fn send(engine: &Arc<dyn Engine>, writes: Vec<WriteJob>, reads: Vec<ReadJob>) {
    // A job that cannot be sent is dropped: its reply guard answers an error for it.
    if !writes.is_empty()
        && let Err(e) = engine.submit_writes(writes)
    {
        tracing::error!(error = %e, "writer unavailable");
    }
    if !reads.is_empty()
        && let Err(e) = engine.submit_reads(reads)
    {
        tracing::error!(error = %e, "readers unavailable");
    }
}
