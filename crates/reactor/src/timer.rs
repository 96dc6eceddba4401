//! The loop's timer queue, Muduo's `TimerQueue` without a timerfd: the earliest deadline becomes
//! the `epoll_wait` timeout.
//!
//! Timers live in a map keyed by id, with a min-heap of (deadline, id) beside it. Cancelling
//! removes the map entry only; the heap entry turns stale and is skipped when it surfaces (the
//! heap is rebuilt when stale entries outnumber live ones, so cancelled long timers cannot pile up).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use crate::event_loop::EventLoop;

/// Identifies a timer for [`EventLoop::cancel`] / [`LoopHandle::cancel`](crate::LoopHandle::cancel).
///
/// Ids are unique per loop and never reused, so cancelling a timer that already fired (or was
/// cancelled) is a harmless no-op that cannot hit another timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(pub(crate) u64);

pub(crate) enum TimerCallback {
    Once(Box<dyn FnOnce(&mut EventLoop)>),
    Every(Box<dyn FnMut(&mut EventLoop)>, Duration),
}

struct Timer {
    deadline: Instant,
    callback: TimerCallback,
}

#[derive(Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    timers: HashMap<u64, Timer>,
    /// The repeating timer whose callback is running right now, and whether it was cancelled
    /// from inside its own callback (then it must not be re-armed).
    firing: Option<(u64, bool)>,
}

impl TimerQueue {
    pub(crate) fn insert(&mut self, id: u64, deadline: Instant, callback: TimerCallback) {
        self.heap.push(Reverse((deadline, id)));
        self.timers.insert(id, Timer { deadline, callback });
    }

    /// Removes a pending timer. Returns whether anything was cancelled.
    pub(crate) fn cancel(&mut self, id: u64) -> bool {
        if let Some((firing, cancelled)) = &mut self.firing
            && *firing == id
        {
            *cancelled = true;
            return true;
        }
        let removed = self.timers.remove(&id).is_some();
        if removed && self.heap.len() > 64 && self.heap.len() > 2 * self.timers.len() {
            self.heap = self
                .timers
                .iter()
                .map(|(id, t)| Reverse((t.deadline, *id)))
                .collect();
        }
        removed
    }

    /// Number of timers that will still fire.
    pub(crate) fn len(&self) -> usize {
        self.timers.len()
    }

    /// Time until the earliest live deadline (zero if overdue), or `None` with no timers.
    pub(crate) fn next_timeout(&mut self, now: Instant) -> Option<Duration> {
        self.drop_stale_top();
        self.heap
            .peek()
            .map(|Reverse((deadline, _))| deadline.saturating_duration_since(now))
    }

    fn drop_stale_top(&mut self) {
        while let Some(Reverse((deadline, id))) = self.heap.peek() {
            match self.timers.get(id) {
                Some(t) if t.deadline == *deadline => return,
                _ => {
                    self.heap.pop();
                }
            }
        }
    }

    /// Takes out the next timer due at or before `now`, if any.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<(u64, Instant, TimerCallback)> {
        self.drop_stale_top();
        let Reverse((deadline, id)) = *self.heap.peek()?;
        if deadline > now {
            return None;
        }
        self.heap.pop();
        let timer = self.timers.remove(&id)?;
        Some((id, timer.deadline, timer.callback))
    }

    pub(crate) fn begin_firing(&mut self, id: u64) {
        self.firing = Some((id, false));
    }

    /// Ends a callback started with `begin_firing`; returns true if it cancelled itself.
    pub(crate) fn end_firing(&mut self) -> bool {
        self.firing.take().is_some_and(|(_, cancelled)| cancelled)
    }
}

/// Where a repeating timer fires next: one period after its previous deadline, or one period from
/// now if the loop fell so far behind that it would fire in a burst to catch up.
pub(crate) fn next_period(previous: Instant, period: Duration, now: Instant) -> Instant {
    let next = previous + period;
    if next <= now { now + period } else { next }
}
