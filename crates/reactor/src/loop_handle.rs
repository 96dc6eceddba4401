//! The thread-safe face of an event loop: post work to it from anywhere.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mio::Waker;

use crate::event_loop::EventLoop;
use crate::metrics::{LoopMetrics, Metrics};
use crate::timer::{TimerCallback, TimerId};

/// Work posted to a loop: runs on the loop thread with the loop itself at hand.
pub(crate) type Functor = Box<dyn FnOnce(&mut EventLoop) + Send>;

thread_local! {
    /// Id of the loop owned by this thread, 0 if none: makes `is_in_loop_thread` a TLS read.
    pub(crate) static CURRENT_LOOP: Cell<u32> = const { Cell::new(0) };
    /// Functors posted with `run_in_loop` from the loop's own thread, run as soon as the callback
    /// that posted them returns (a callback already holds `&mut EventLoop`, so they cannot run
    /// inside it).
    pub(crate) static LOCAL_QUEUE: RefCell<Vec<Functor>> = const { RefCell::new(Vec::new()) };
    /// Timers created through a `LoopHandle` on the loop's own thread whose insertion still
    /// waits in `LOCAL_QUEUE`, each with "cancelled meanwhile": lets `EventLoop::cancel` cancel
    /// them at once, as it would a timer created with `EventLoop::run_after`.
    pub(crate) static UNBORN_TIMERS: RefCell<HashMap<u64, bool>> = RefCell::new(HashMap::new());
}

/// State shared between an [`EventLoop`] and its [`LoopHandle`]s.
pub(crate) struct Shared {
    pub(crate) id: u32,
    pub(crate) pending: Mutex<Vec<Functor>>,
    /// Set when a wake-up has been sent that the loop has not consumed yet: further posts in the
    /// same batch skip the `eventfd` write (one wake per batch).
    pub(crate) wake_pending: AtomicBool,
    /// Set by the loop from just before it last looks at its queue until `epoll_wait` returns:
    /// only then can a post go unnoticed without a wake-up. A loop that is busy finds what was
    /// posted when it next looks, so posts to it skip the `eventfd` write (a syscall, and on a
    /// VM often an inter-processor interrupt).
    pub(crate) sleeping: AtomicBool,
    pub(crate) waker: Waker,
    pub(crate) quit: AtomicBool,
    pub(crate) next_timer_id: AtomicU64,
    pub(crate) metrics: LoopMetrics,
}

impl Shared {
    pub(crate) fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<Functor>> {
        // A functor never runs under this lock, so a poisoned lock only means a thread panicked
        // while pushing; the Vec is still consistent.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the loop for work already in its queue, if it may be asleep.
    pub(crate) fn wake(&self) {
        // Pairs with the fence in `EventLoop::run` (Dekker's pattern): either the loop's next
        // look at the queue sees the functor pushed before this fence, or this load sees that
        // it is going to sleep.
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) {
            self.wake_now();
        }
    }

    /// Wakes the loop whatever it is doing: for state it reads outside the queue (`quit`).
    pub(crate) fn wake_now(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel)
            && let Err(e) = self.waker.wake()
        {
            // No wake-up is in flight after all: let the next post try again.
            self.wake_pending.store(false, Ordering::Release);
            tracing::error!(loop_id = self.id, error = %e, "failed to wake event loop");
        }
    }
}

/// A cheap, cloneable, thread-safe handle to one [`EventLoop`]: Muduo's `runInLoop` /
/// `queueInLoop` and friends. Every method here is **thread-safe**.
///
/// Functors receive `&mut EventLoop` and run on the loop thread, in the order they were posted
/// from any one thread. Posting to a loop that has stopped drops the functor.
#[derive(Clone)]
pub struct LoopHandle {
    pub(crate) shared: Arc<Shared>,
}

impl LoopHandle {
    /// The loop's id, unique in this process (never 0). **Thread-safe.**
    pub fn id(&self) -> u32 {
        self.shared.id
    }

    /// Is the caller running on this loop's thread? **Thread-safe.**
    pub fn is_in_loop_thread(&self) -> bool {
        CURRENT_LOOP.with(|c| c.get()) == self.shared.id
    }

    /// Runs `f` on the loop thread as soon as possible.
    ///
    /// From another thread it is queued and the loop woken, like [`queue_in_loop`](Self::queue_in_loop).
    /// From the loop thread itself (inside a callback, which already borrows the loop) it runs
    /// right after the current callback returns, before the loop handles any other event,
    /// functor or timer — the closest Rust's borrow rules allow to Muduo's "runs now". Inside a
    /// callback you can of course also call `f(el)` directly on the `&mut EventLoop` you hold.
    pub fn run_in_loop(&self, f: impl FnOnce(&mut EventLoop) + Send + 'static) {
        if self.is_in_loop_thread() {
            LOCAL_QUEUE.with(|q| q.borrow_mut().push(Box::new(f)));
        } else {
            self.queue_in_loop(f);
        }
    }

    /// Queues `f` to run on the loop thread in the pending-functor phase of a loop iteration
    /// (after I/O events), waking the loop if it is blocked in `epoll_wait`.
    ///
    /// Wake-ups are batched: however many functors are posted before the loop gets to them, the
    /// loop's `eventfd` is written once. From the loop thread, the functor runs in the current
    /// iteration if the pending phase has not started, else in the next one (without blocking).
    pub fn queue_in_loop(&self, f: impl FnOnce(&mut EventLoop) + Send + 'static) {
        self.queue_boxed(Box::new(f));
    }

    pub(crate) fn queue_boxed(&self, f: Functor) {
        if self.is_in_loop_thread() {
            // No wake is needed: the loop checks the queue before it blocks.
            self.shared.lock_pending().push(f);
            return;
        }
        // Inside `coalesce_posts` the functor waits for the scope's end.
        if let Some(f) = crate::post_batch::hold(&self.shared, f) {
            self.shared.lock_pending().push(f);
            self.shared.wake();
        }
    }

    /// Asks the loop to stop. `EventLoop::run` returns after finishing its current iteration;
    /// connections still open are closed when the `EventLoop` is dropped. **Thread-safe.**
    pub fn quit(&self) {
        self.shared.quit.store(true, Ordering::Release);
        // The loop reads `quit` before its last look at the queue, so the sleeping flag
        // cannot tell whether it will see it: always wake.
        self.shared.wake_now();
    }

    /// Runs `f` once at `when`, on the loop thread. Returns the id to cancel it with.
    pub fn run_at(
        &self,
        when: Instant,
        f: impl FnOnce(&mut EventLoop) + Send + 'static,
    ) -> TimerId {
        let id = self.next_timer_id();
        self.note_unborn(id);
        self.run_in_loop(move |el| el.insert_timer(id, when, TimerCallback::Once(Box::new(f))));
        id
    }

    /// Runs `f` once after `delay`, on the loop thread.
    pub fn run_after(
        &self,
        delay: Duration,
        f: impl FnOnce(&mut EventLoop) + Send + 'static,
    ) -> TimerId {
        self.run_at(Instant::now() + delay, f)
    }

    /// Runs `f` every `period` (first after one period), on the loop thread, until cancelled.
    /// A zero period is raised to 1 ms so a repeating timer cannot spin the loop.
    pub fn run_every(
        &self,
        period: Duration,
        f: impl FnMut(&mut EventLoop) + Send + 'static,
    ) -> TimerId {
        let id = self.next_timer_id();
        let period = period.max(Duration::from_millis(1));
        let when = Instant::now() + period;
        self.note_unborn(id);
        self.run_in_loop(move |el| {
            el.insert_timer(id, when, TimerCallback::Every(Box::new(f), period))
        });
        id
    }

    /// On the loop thread the timer is inserted after the current callback; until then
    /// `EventLoop::cancel` finds it here.
    fn note_unborn(&self, id: TimerId) {
        if self.is_in_loop_thread() {
            UNBORN_TIMERS.with(|u| u.borrow_mut().insert(id.0, false));
        }
    }

    /// Cancels a timer. Posted like any functor, so it takes effect in order with the call that
    /// created the timer; a timer that is due at the very moment may still run once. From inside
    /// the loop, [`EventLoop::cancel`] is immediate. **Thread-safe.**
    pub fn cancel(&self, id: TimerId) {
        self.run_in_loop(move |el| {
            el.cancel(id);
        });
    }

    /// This loop's counters. **Thread-safe.**
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics.snapshot()
    }

    pub(crate) fn next_timer_id(&self) -> TimerId {
        TimerId(self.shared.next_timer_id.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopHandle")
            .field("id", &self.shared.id)
            .finish()
    }
}
