//! `EventLoop`: one thread's epoll, wake-up queue, timers and connections (Muduo's `EventLoop`).

use std::any::Any;
use std::collections::VecDeque;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token, Waker};
use slab::Slab;

use crate::conn::Conn;
use crate::conn_id::ConnId;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::handler::{CloseReason, Handler};
use crate::loop_handle::{CURRENT_LOOP, Functor, LOCAL_QUEUE, LoopHandle, Shared, UNBORN_TIMERS};
use crate::metrics::LoopMetrics;
use crate::timer::{TimerCallback, TimerId, TimerQueue, next_period};

const WAKER_TOKEN: Token = Token(usize::MAX);
static NEXT_LOOP_ID: AtomicU32 = AtomicU32::new(1);

/// The message a caught panic carried (`panic!("...")` payloads are `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

/// Handler events raised while a callback borrows the loop, run as soon as it returns (Muduo
/// queues write-complete and high-water-mark callbacks the same way).
pub(crate) enum Deferred {
    WriteComplete(ConnId),
    HighWater(ConnId, usize),
    Close(ConnId, CloseReason),
    /// Pass buffered input to `on_message` again (after `resume_read`).
    Input(ConnId),
}

/// A call run on the loop thread with the loop at hand (not `Send`: it never leaves the thread).
type LocalCall = Box<dyn FnOnce(&mut EventLoop)>;

/// One reactor: a `mio::Poll`, a waker, a queue of functors posted from other threads, a timer
/// queue, and the connections registered with it.
///
/// An `EventLoop` belongs to the thread that created it (it is neither `Send` nor `Sync`: handlers
/// may hold loop-local state), and at most one exists per thread. Other threads reach it through
/// a [`LoopHandle`]. Every `&mut self` method here is **loop-thread-only** by construction: only the
/// owning thread can hold `&mut EventLoop` (in callbacks, functors and timers it is handed to you).
///
/// ```
/// use std::time::Duration;
/// use kvs_reactor::EventLoop;
///
/// let mut el = EventLoop::new().unwrap();
/// el.run_after(Duration::from_millis(5), |el| el.quit());
/// el.run(); // returns once the timer quits the loop
/// ```
pub struct EventLoop {
    pub(crate) poll: Poll,
    events: Events,
    shared: Arc<Shared>,
    pub(crate) conns: Slab<Connection>,
    next_serial: u64,
    pub(crate) timers: TimerQueue,
    pub(crate) deferred: VecDeque<Deferred>,
    /// Connections whose read budget ran out with data possibly left in the socket.
    pub(crate) ready_again: Vec<ConnId>,
    /// Calls for the end of this turn (`defer_to_turn_end`).
    turn_end: Vec<LocalCall>,
    /// Graceful shutdown in progress: close everything still open at this instant and quit.
    drain_deadline: Option<Instant>,
    ready: Vec<(Token, ReadyFlags)>,
    /// The loop user's per-loop values, one per type ([`local`](EventLoop::local)).
    locals: Vec<Box<dyn Any>>,
    _not_send: std::marker::PhantomData<*const ()>,
}

#[derive(Clone, Copy)]
struct ReadyFlags {
    readable: bool,
    writable: bool,
    read_closed: bool,
    error: bool,
}

impl EventLoop {
    /// Creates the loop owned by the calling thread, which from then on is its loop thread.
    ///
    /// Fails with [`Error::LoopExists`] if this thread already owns one, or with an I/O error if
    /// epoll or the eventfd cannot be created.
    pub fn new() -> Result<EventLoop> {
        if CURRENT_LOOP.with(|c| c.get()) != 0 {
            return Err(Error::LoopExists);
        }
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER_TOKEN)?;
        let id = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared {
            id,
            pending: Mutex::new(Vec::new()),
            wake_pending: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            waker,
            quit: AtomicBool::new(false),
            next_timer_id: AtomicU64::new(1),
            metrics: LoopMetrics::default(),
        });
        CURRENT_LOOP.with(|c| c.set(id));
        tracing::debug!(loop_id = id, "event loop created");
        Ok(EventLoop {
            poll,
            events: Events::with_capacity(1024),
            shared,
            conns: Slab::new(),
            next_serial: 0,
            timers: TimerQueue::default(),
            deferred: VecDeque::new(),
            ready_again: Vec::new(),
            turn_end: Vec::new(),
            drain_deadline: None,
            ready: Vec::with_capacity(1024),
            locals: Vec::new(),
            _not_send: std::marker::PhantomData,
        })
    }

    /// A thread-safe handle for posting work to this loop from anywhere. **Loop thread only**
    /// (the handle it returns is thread-safe).
    pub fn handle(&self) -> LoopHandle {
        LoopHandle {
            shared: self.shared.clone(),
        }
    }

    /// This loop's id (the same as [`LoopHandle::id`]). **Loop thread only.**
    pub fn id(&self) -> u32 {
        self.shared.id
    }

    /// Number of connections this loop holds (connected or connecting). **Loop thread only.**
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Makes [`run`](Self::run) return after the current iteration. **Loop thread only**
    /// ([`LoopHandle::quit`] is the thread-safe form).
    pub fn quit(&mut self) {
        self.shared.quit.store(true, Ordering::Release);
    }

    /// Runs the loop on the calling (owning) thread until [`quit`](Self::quit) or
    /// [`LoopHandle::quit`] is called. Each iteration: wait for I/O (the timeout is the next timer's
    /// deadline, zero if work is already queued), handle ready connections, continue connections
    /// whose read budget ran out, fire due timers, run the functors posted from other threads,
    /// then what [`defer_to_turn_end`](Self::defer_to_turn_end) collected. Returns an error only
    /// if `epoll_wait` itself fails. **Loop thread only.**
    pub fn run(&mut self) -> Result<()> {
        let span = tracing::debug_span!("event_loop", loop_id = self.shared.id);
        let _enter = span.enter();
        while !self.shared.quit.load(Ordering::Acquire) {
            self.drain_deferred();
            // From here until `epoll_wait` returns a post must wake us (see `Shared::wake`).
            self.shared.sleeping.store(true, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            let timeout = self.poll_timeout();
            let polled = self.poll.poll(&mut self.events, timeout);
            self.shared.sleeping.store(false, Ordering::Relaxed);
            if let Err(e) = polled {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e.into());
            }
            LoopMetrics::add(&self.shared.metrics.iterations, 1);
            self.ready.clear();
            for ev in self.events.iter() {
                self.ready.push((
                    ev.token(),
                    ReadyFlags {
                        readable: ev.is_readable(),
                        writable: ev.is_writable(),
                        read_closed: ev.is_read_closed(),
                        error: ev.is_error(),
                    },
                ));
            }
            for i in 0..self.ready.len() {
                let (token, flags) = self.ready[i];
                if token == WAKER_TOKEN {
                    LoopMetrics::add(&self.shared.metrics.wakeups, 1);
                } else {
                    self.handle_event(token, flags);
                    self.drain_deferred();
                }
            }
            self.continue_budgeted_reads();
            self.fire_timers();
            self.do_pending_functors();
            self.run_turn_end();
            self.check_drain();
        }
        Ok(())
    }

    /// Runs what [`defer_to_turn_end`](Self::defer_to_turn_end) collected during this turn.
    /// Calls deferred by these calls wait for the next turn's end (the loop does not block
    /// meanwhile), so a call that keeps deferring itself cannot hold the loop.
    fn run_turn_end(&mut self) {
        for f in std::mem::take(&mut self.turn_end) {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(self))) {
                tracing::error!(
                    loop_id = self.shared.id,
                    panic = panic_message(&*p),
                    "a turn-end callback panicked; loop continues"
                );
            }
            self.drain_deferred();
        }
    }

    /// Runs `f` once this turn of the loop has handled its I/O events, continued budgeted reads,
    /// fired its timers and run the functors posted to it — just before the loop waits for I/O
    /// again. What several callbacks of one turn produce can so be acted on once: the kv server
    /// writes the replies that reached a connection during a turn in one `send` this way, however
    /// many storage threads answered. Called from a turn-end call itself, `f` waits for the
    /// next turn's end. **Loop thread only.**
    pub fn defer_to_turn_end(&mut self, f: impl FnOnce(&mut EventLoop) + 'static) {
        self.turn_end.push(Box::new(f));
    }

    /// This loop's value of type `T`, created with `T::default()` on first use: state the loop's
    /// user keeps per loop, next to the loop rather than in a thread-local (Muduo's
    /// `EventLoop::setContext`, one slot per type). The kv server keeps the storage jobs it
    /// gathers during a loop iteration here. **Loop thread only.**
    ///
    /// ```
    /// let mut el = kvs_reactor::EventLoop::new().unwrap();
    /// *el.local::<u32>() += 2;
    /// assert_eq!(*el.local::<u32>(), 2);
    /// ```
    pub fn local<T: Default + 'static>(&mut self) -> &mut T {
        let i = match self.locals.iter().position(|v| v.is::<T>()) {
            Some(i) => i,
            None => {
                self.locals.push(Box::new(T::default()));
                self.locals.len() - 1
            }
        };
        self.locals[i]
            .downcast_mut::<T>()
            .expect("the slot found holds a T")
    }

    fn poll_timeout(&mut self) -> Option<Duration> {
        let busy = !self.ready_again.is_empty()
            || !self.deferred.is_empty()
            || !self.turn_end.is_empty()
            || LOCAL_QUEUE.with(|q| !q.borrow().is_empty())
            || !self.shared.lock_pending().is_empty();
        if busy {
            return Some(Duration::ZERO);
        }
        let now = Instant::now();
        let mut timeout = self.timers.next_timeout(now);
        if let Some(deadline) = self.drain_deadline {
            let left = deadline.saturating_duration_since(now);
            timeout = Some(timeout.map_or(left, |t| t.min(left)));
        }
        timeout
    }

    fn handle_event(&mut self, token: Token, f: ReadyFlags) {
        let (index, serial_bits) = ConnId::split_token(token);
        let Some(c) = self.conns.get(index) else {
            return;
        };
        if !c.id.matches_token_serial(serial_bits) {
            return; // an event for a connection that closed earlier in this batch
        }
        let id = c.id;
        if c.is_connecting() {
            if f.writable || f.error || f.read_closed {
                self.finish_connect(id);
            }
            return;
        }
        if f.writable {
            self.handle_writable(id);
        }
        if f.error && self.close_if_paused_and_failed(id) {
            return;
        }
        if f.readable || f.read_closed || f.error {
            self.handle_readable(id, f.read_closed);
        }
    }

    fn continue_budgeted_reads(&mut self) {
        if self.ready_again.is_empty() {
            return;
        }
        let again = std::mem::take(&mut self.ready_again);
        for id in again {
            self.handle_readable(id, false);
            self.drain_deferred();
        }
    }

    /// Muduo's `doPendingFunctors`: swap the queue out under the lock, then run it unlocked, so
    /// functors may post more work (it runs in the next iteration) without deadlock.
    fn do_pending_functors(&mut self) {
        // Clear before taking: a post that lands after the take must wake us again.
        self.shared.wake_pending.store(false, Ordering::Release);
        let functors = std::mem::take(&mut *self.shared.lock_pending());
        for f in functors {
            self.run_functor(f);
            self.drain_deferred();
        }
    }

    fn run_functor(&mut self, f: Functor) {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            tracing::error!(
                loop_id = self.shared.id,
                panic = panic_message(&*p),
                "a functor posted to the loop panicked; loop continues"
            );
        }
    }

    /// Runs what callbacks left behind: `run_in_loop` functors from this thread, then handler
    /// events (write-complete, high-water mark, deferred closes), until both are empty.
    pub(crate) fn drain_deferred(&mut self) {
        loop {
            let local = LOCAL_QUEUE.with(|q| std::mem::take(&mut *q.borrow_mut()));
            let had_local = !local.is_empty();
            for f in local {
                self.run_functor(f);
            }
            let Some(ev) = self.deferred.pop_front() else {
                if had_local {
                    continue;
                }
                return;
            };
            match ev {
                Deferred::WriteComplete(id) => {
                    if let Some(c) = self.slot(id) {
                        c.write_complete_queued = false;
                    }
                    self.call_handler(id, |h, conn| h.on_write_complete(conn));
                }
                Deferred::HighWater(id, n) => {
                    self.call_handler(id, |h, conn| h.on_high_water_mark(conn, n));
                }
                Deferred::Close(id, reason) => self.close(id, reason),
                Deferred::Input(id) => self.dispatch_input(id),
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some((id, deadline, callback)) = self.timers.pop_expired(now) {
            match callback {
                TimerCallback::Once(f) => {
                    if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(self))) {
                        tracing::error!(
                            loop_id = self.shared.id,
                            panic = panic_message(&*p),
                            "a timer callback panicked; loop continues"
                        );
                    }
                }
                TimerCallback::Every(mut f, period) => {
                    self.timers.begin_firing(id);
                    let outcome = catch_unwind(AssertUnwindSafe(|| f(self)));
                    let cancelled = self.timers.end_firing();
                    if let Err(p) = &outcome {
                        tracing::error!(
                            loop_id = self.shared.id,
                            panic = panic_message(&**p),
                            "a repeating timer panicked; cancelled, loop continues"
                        );
                    } else if !cancelled {
                        let next = next_period(deadline, period, Instant::now());
                        self.timers
                            .insert(id, next, TimerCallback::Every(f, period));
                    }
                }
            }
            self.drain_deferred();
        }
    }

    pub(crate) fn insert_timer(&mut self, id: TimerId, when: Instant, callback: TimerCallback) {
        let cancelled = UNBORN_TIMERS.with(|u| u.borrow_mut().remove(&id.0));
        if cancelled == Some(true) {
            return; // cancelled before its insertion came round
        }
        self.timers.insert(id.0, when, callback);
    }

    /// Runs `f` once at `when` on this loop. **Loop thread only.**
    pub fn run_at(&mut self, when: Instant, f: impl FnOnce(&mut EventLoop) + 'static) -> TimerId {
        let id = self.handle().next_timer_id();
        self.insert_timer(id, when, TimerCallback::Once(Box::new(f)));
        id
    }

    /// Runs `f` once after `delay`. **Loop thread only.**
    pub fn run_after(
        &mut self,
        delay: Duration,
        f: impl FnOnce(&mut EventLoop) + 'static,
    ) -> TimerId {
        self.run_at(Instant::now() + delay, f)
    }

    /// Runs `f` every `period` (the first time one period from now) until cancelled; a zero period
    /// is raised to 1 ms. **Loop thread only.**
    pub fn run_every(
        &mut self,
        period: Duration,
        f: impl FnMut(&mut EventLoop) + 'static,
    ) -> TimerId {
        let period = period.max(Duration::from_millis(1));
        let id = self.handle().next_timer_id();
        self.insert_timer(
            id,
            Instant::now() + period,
            TimerCallback::Every(Box::new(f), period),
        );
        id
    }

    /// Cancels a timer; it will not run again, even if called from the timer's own callback.
    /// Returns false if it had already fired (one-shot) or been cancelled. **Loop thread only.**
    pub fn cancel(&mut self, id: TimerId) -> bool {
        if self.timers.cancel(id.0) {
            return true;
        }
        // Created by a `LoopHandle` on this thread during the current callback: not inserted yet.
        UNBORN_TIMERS.with(|u| match u.borrow_mut().get_mut(&id.0) {
            Some(cancelled) if !*cancelled => {
                *cancelled = true;
                true
            }
            _ => false,
        })
    }

    /// Number of timers still pending on this loop. **Loop thread only.**
    pub fn timer_count(&self) -> usize {
        self.timers.len()
    }

    /// The ids of every connection this loop holds, e.g. to apply a changed setting to each of
    /// them with [`with_handler`](Self::with_handler). **Loop thread only.**
    pub fn connection_ids(&self) -> Vec<ConnId> {
        self.conns.iter().map(|(_, c)| c.id).collect()
    }

    /// A loop-thread view of connection `id`, if it is still open on this loop (an id from
    /// another loop, or of a closed connection whose slot was reused, gives `None`).
    /// **Loop thread only.**
    pub fn connection(&mut self, id: ConnId) -> Option<Conn<'_>> {
        self.slot(id)?;
        Some(Conn { el: self, id })
    }

    /// Calls `f` with connection `id`'s handler, downcast to its concrete type `H`, and a view of
    /// the connection — how work posted from other threads reaches per-connection state (the kv
    /// server posts storage replies this way). Returns `None` if the connection is gone, its
    /// handler is not an `H`, or one of its callbacks is running right now. **Loop thread only.**
    pub fn with_handler<H: Handler, R>(
        &mut self,
        id: ConnId,
        f: impl FnOnce(&mut H, &mut Conn<'_>) -> R,
    ) -> Option<R> {
        self.call_handler(id, |h, conn| {
            (h as &mut dyn Any).downcast_mut::<H>().map(|h| f(h, conn))
        })
        .flatten()
    }

    /// Takes the handler out of its slot for the duration of a callback so the callback can
    /// borrow the loop; a panic in the callback drops the handler and closes the connection.
    pub(crate) fn call_handler<R>(
        &mut self,
        id: ConnId,
        f: impl FnOnce(&mut dyn Handler, &mut Conn<'_>) -> R,
    ) -> Option<R> {
        let c = self.slot(id)?;
        let mut handler = c.handler.take()?;
        c.in_callback = true;
        let result = catch_unwind(AssertUnwindSafe(|| {
            f(&mut *handler, &mut Conn { el: self, id })
        }));
        let c = self.slot(id)?; // still there: closing is deferred while in_callback
        c.in_callback = false;
        match result {
            Ok(r) => {
                c.handler = Some(handler);
                Some(r)
            }
            Err(p) => {
                tracing::error!(
                    conn = %id,
                    panic = panic_message(&*p),
                    "connection handler panicked; closing the connection"
                );
                drop(handler);
                self.close(id, CloseReason::HandlerPanicked);
                None
            }
        }
    }

    pub(crate) fn slot(&mut self, id: ConnId) -> Option<&mut Connection> {
        self.conns
            .get_mut(id.index as usize)
            // The whole id: index and serial (slot reuse) and the loop (serials are per loop).
            .filter(|c| c.id == id)
    }

    pub(crate) fn registry(&self) -> &mio::Registry {
        self.poll.registry()
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn next_conn_id(&mut self, index: usize) -> ConnId {
        self.next_serial += 1;
        ConnId {
            loop_id: self.shared.id,
            index: index as u32,
            serial: self.next_serial,
        }
    }

    /// Begins a graceful stop: every connection is shut down (pending output flushed, then FIN);
    /// whatever is still open at `deadline` is force-closed and the loop quits. It also quits as
    /// soon as no connection is left. **Loop thread only.**
    pub fn close_all_and_quit(&mut self, deadline: Instant) {
        self.drain_deadline = Some(deadline);
        let ids: Vec<ConnId> = self.conns.iter().map(|(_, c)| c.id).collect();
        for id in ids {
            if let Some(mut conn) = self.connection(id) {
                conn.shutdown();
            }
        }
    }

    fn check_drain(&mut self) {
        let Some(deadline) = self.drain_deadline else {
            return;
        };
        if !self.conns.is_empty() && Instant::now() < deadline {
            return;
        }
        self.close_everything();
        self.quit();
    }

    fn close_everything(&mut self) {
        let ids: Vec<ConnId> = self.conns.iter().map(|(_, c)| c.id).collect();
        for id in ids {
            self.close(id, CloseReason::Forced);
        }
        self.drain_deferred();
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.close_everything();
        CURRENT_LOOP.with(|c| c.set(0));
        LOCAL_QUEUE.with(|q| q.borrow_mut().clear());
        UNBORN_TIMERS.with(|u| u.borrow_mut().clear());
        tracing::debug!(loop_id = self.shared.id, "event loop dropped");
    }
}
