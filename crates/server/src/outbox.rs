//! A looper's outbox: the storage jobs its sessions build during one loop iteration, sent once
//! per iteration.
//!
//! A looper handles every ready connection of an `epoll_wait` before it runs its pending
//! functors (Muduo's order). Sessions put their jobs in the loop's [`Outbox`] (an
//! [`EventLoop::local`] value) as they parse, and the first job of an iteration queues one
//! functor — run in that same iteration, after the I/O events — which sends everything
//! gathered: one channel message per destination and at most one wake-up of the writer (and of
//! a reader) per loop iteration, instead of one per connection. At P=1 with many clients that
//! is most of what a request costs beyond the work itself.
//!
//! Order is kept: jobs leave in the order they were gathered, and whatever must come after them
//! on the writer's channel (FLUSHALL, SAVE) calls [`send_now`] first.

use std::sync::Arc;

use kvs_reactor::EventLoop;

use crate::engine::{Engine, Job};

/// The jobs gathered on one loop during the current iteration.
#[derive(Default)]
pub(crate) struct Outbox {
    writes: Vec<Box<dyn Job>>,
    reads: Vec<Box<dyn Job>>,
    engine: Option<Arc<dyn Engine>>,
    /// A [`send_now`] is queued for this iteration.
    scheduled: bool,
}

/// Takes a session's jobs (leaving its vectors empty) into the loop's outbox, to be sent at the
/// end of the loop iteration. **Loop thread only.**
pub(crate) fn post(
    el: &mut EventLoop,
    engine: &Arc<dyn Engine>,
    writes: &mut Vec<Box<dyn Job>>,
    reads: &mut Vec<Box<dyn Job>>,
) {
    if writes.is_empty() && reads.is_empty() {
        return;
    }
    let outbox = el.local::<Outbox>();
    outbox.writes.append(writes);
    outbox.reads.append(reads);
    if outbox.engine.is_none() {
        outbox.engine = Some(engine.clone());
    }
    if !std::mem::replace(&mut outbox.scheduled, true) {
        el.handle().queue_in_loop(send_now);
    }
}

/// Sends what the loop's outbox holds, now. **Loop thread only.**
pub(crate) fn send_now(el: &mut EventLoop) {
    let outbox = el.local::<Outbox>();
    outbox.scheduled = false;
    let Some(engine) = outbox.engine.take() else {
        return;
    };
    let (writes, reads) = (
        std::mem::take(&mut outbox.writes),
        std::mem::take(&mut outbox.reads),
    );
    // A job that cannot be sent is dropped: its `ReplyTo` answers an error for it.
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
