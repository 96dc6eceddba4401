//! Coalesced posting: functors a thread posts to event loops during a scope are handed to each
//! loop at the scope's end, under one lock and with at most one wake-up per loop.
//!
//! A storage thread that finishes a batch of 50 commands from 50 connections of one looper
//! would otherwise post 50 functors one by one. The loop, woken by the first, runs it while
//! the next ones arrive, clears its wake-pending flag, and is woken again: on a 2-core VM that
//! was one `eventfd` write per four replies, each a syscall and often an inter-processor
//! interrupt (issue 13). Inside [`coalesce_posts`] the same 50 posts cost one lock and one
//! wake-up; the loop then runs them in one turn and can write each connection's replies in one
//! `send`.

use std::cell::RefCell;
use std::sync::Arc;

use crate::loop_handle::{Functor, Shared};

/// Functors held back per destination loop, in the order they were posted.
type Held = Vec<(Arc<Shared>, Vec<Functor>)>;

thread_local! {
    /// `Some` while this thread is inside [`coalesce_posts`].
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Runs `f`; what it posts to event loops with [`LoopHandle::queue_in_loop`] (or
/// [`LoopHandle::run_in_loop`], or anything built on them) from a thread other than the
/// destination loop's is held back until `f` returns, then given to each loop at once: one
/// lock of its queue and at most one wake-up per loop, whatever the number of functors.
///
/// Order is kept: functors for one loop run in the order they were posted, and before anything
/// this thread posts after the scope. Posts a loop makes to itself are not held (they need no
/// wake-up). Nested scopes join the outermost one. If `f` panics, what it posted is still
/// delivered. **Thread-safe** (the scope is per thread).
///
/// The price is latency: the first functor waits for the last. Wrap work whose end is near —
/// one batch's completions — not a long-running loop.
///
/// ```
/// use std::sync::mpsc;
/// use kvs_reactor::{coalesce_posts, EventLoopThread};
///
/// let looper = EventLoopThread::spawn("coalesce-doc").unwrap();
/// let (tx, rx) = mpsc::channel();
/// coalesce_posts(|| {
///     for i in 0..3 {
///         let tx = tx.clone();
///         looper.handle().queue_in_loop(move |_| tx.send(i).unwrap());
///     }
/// }); // the three functors reach the loop here, with one wake-up
/// let got: Vec<i32> = (0..3).map(|_| rx.recv().unwrap()).collect();
/// assert_eq!(got, [0, 1, 2]);
/// ```
///
/// [`LoopHandle::queue_in_loop`]: crate::LoopHandle::queue_in_loop
/// [`LoopHandle::run_in_loop`]: crate::LoopHandle::run_in_loop
pub fn coalesce_posts<R>(f: impl FnOnce() -> R) -> R {
    let outermost = HELD.with(|h| {
        let mut h = h.borrow_mut();
        h.is_none().then(|| *h = Some(Vec::new())).is_some()
    });
    if !outermost {
        return f();
    }
    // Delivers on the way out, also when `f` unwinds: a held reply must not be lost.
    struct Deliver;
    impl Drop for Deliver {
        fn drop(&mut self) {
            let held = HELD.with(|h| h.borrow_mut().take()).unwrap_or_default();
            for (shared, functors) in held {
                shared.lock_pending().extend(functors);
                shared.wake();
            }
        }
    }
    let _deliver = Deliver;
    f()
}

/// Runs `f` with this thread's [`coalesce_posts`] scope, if any, set aside: what `f` posts
/// reaches its loops at once, ahead of everything the scope holds, which is delivered at the
/// scope's end as before. For a post that must not wait behind the scope's others — the kv
/// server's keyspace notifications, which must reach subscribers' loops before the batch's
/// replies reach the clients' (a reply held for loop B would otherwise be delivered before an
/// event posted later for loop A). **Thread-safe** (the scope is per thread).
///
/// ```
/// use std::sync::mpsc;
/// use kvs_reactor::{coalesce_posts, post_immediately, EventLoopThread};
///
/// let looper = EventLoopThread::spawn("immediate-doc").unwrap();
/// let (tx, rx) = mpsc::channel();
/// coalesce_posts(|| {
///     let held = tx.clone();
///     looper.handle().queue_in_loop(move |_| held.send("held").unwrap());
///     let now = tx.clone();
///     post_immediately(|| looper.handle().queue_in_loop(move |_| now.send("now").unwrap()));
/// });
/// assert_eq!(rx.recv().unwrap(), "now");
/// assert_eq!(rx.recv().unwrap(), "held");
/// ```
pub fn post_immediately<R>(f: impl FnOnce() -> R) -> R {
    // Puts the scope back on the way out, also when `f` unwinds.
    struct Restore(Option<Held>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let held = self.0.take();
            HELD.with(|h| *h.borrow_mut() = held);
        }
    }
    let _restore = Restore(HELD.with(|h| h.borrow_mut().take()));
    f()
}

/// Holds `f` for `shared`'s loop if this thread is inside [`coalesce_posts`]; gives it back
/// otherwise.
pub(crate) fn hold(shared: &Arc<Shared>, f: Functor) -> Option<Functor> {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        let Some(held) = h.as_mut() else {
            return Some(f);
        };
        // A handful of loops at most: a linear search beats hashing.
        match held.iter_mut().find(|(s, _)| Arc::ptr_eq(s, shared)) {
            Some((_, functors)) => functors.push(f),
            None => held.push((shared.clone(), vec![f])),
        }
        None
    })
}
