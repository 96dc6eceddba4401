//! The hand-off between a caller blocked in [`Store::execute`](crate::Store::execute) and the
//! writer thread: bounded, adaptive spinning on both sides while a reply or the next call is
//! due, so a single caller's synchronous writes do not pay two thread wake-ups each.
//!
//! A blocked call costs two hand-offs: caller → writer (the command) and writer → caller (the
//! reply). If the receiving thread is parked, each is a futex wake plus the scheduler's latency
//! to run the woken thread — tens of µs on a VM, against ~2 µs of actual work for a small `set`.
//! So, while a reply is due, each side polls for a short, bounded time before it parks:
//!
//! * **The caller** polls its reply slot ([`reply_slot`]: one atomic state word, no channel) for up to [`CALLER_SPIN`] — but only if fewer callers
//!   are polling than there are cores besides the writer's ([`CallerSpin`]): sixteen callers
//!   spinning on two cores would starve the very writer they wait for, and many concurrent
//!   callers are group-committed anyway, where parking costs nothing extra. It never spins
//!   under `FsyncPolicy::Always`, whose reply waits for a disk flush.
//! * **The writer**, after answering a blocked caller, polls its channel for the caller's next
//!   call before it parks ([`WriterSpin`]). The window adapts: it is kept while the next call
//!   keeps arriving inside it, halved each time it does not, and restored when the gap between
//!   a reply and the next call (measured from the call's send time, so the writer's own wake-up
//!   latency does not count) shows that waiting would have caught it. A caller that thinks
//!   between writes, or the server (which never blocks on a write), costs no spinning.
//!
//! Both bounds are far below a scheduler tick, and neither side spins when the other cannot be
//! running: the design's "never spin unbounded, never wake a thread that is already awake".

use std::sync::atomic::AtomicU8;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};

/// Longest a blocked caller polls for its reply before parking.
pub(crate) const CALLER_SPIN: Duration = Duration::from_micros(100);

/// Longest the writer polls for a blocked caller's next call before parking.
pub(crate) const WRITER_SPIN: Duration = Duration::from_micros(50);

/// Below this the writer's window is not worth a poll at all.
const MIN_WRITER_SPIN: Duration = Duration::from_micros(2);

/// Polls `rx` until it yields a message or `limit` has passed; `None` on time-out or
/// disconnection (the caller then does a blocking receive, which reports either).
pub(crate) fn poll_for<T>(rx: &Receiver<T>, limit: Duration) -> Option<T> {
    spin_until(limit, || match rx.try_recv() {
        Ok(m) => Some(Some(m)),
        Err(TryRecvError::Disconnected) => Some(None),
        Err(TryRecvError::Empty) => None,
    })
    .flatten()
}

/// Calls `ready` until it yields something or `limit` has passed (`None`): the one bounded
/// spin both sides of the hand-off use.
fn spin_until<T>(limit: Duration, mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    let mut polls = 0u32;
    loop {
        if let Some(v) = ready() {
            return Some(v);
        }
        // One `pause` per poll: on recent x86 a `pause` takes ~140 cycles, so a few of them
        // between polls would delay noticing the message by µs — the very latency this saves.
        std::hint::spin_loop();
        polls = polls.wrapping_add(1);
        // The clock (vDSO, ~20 ns) only every 64 polls: a few µs of overshoot at most.
        if polls.is_multiple_of(64) && start.elapsed() >= limit {
            return None;
        }
    }
}

/// The sending half of a blocked caller's reply slot: held by the command's completion on the
/// writer thread. Dropping it unsent (the store closed before the command ran) wakes the
/// caller with nothing.
pub(crate) struct ReplyTx<T> {
    slot: Arc<Slot<T>>,
    sent: bool,
}

/// The receiving half, kept by the blocked caller.
pub(crate) struct ReplyRx<T> {
    slot: Arc<Slot<T>>,
}

/// A one-shot reply: the value, a state word the caller can poll with one load, and the
/// caller's thread to unpark. Lighter than a channel per call: one allocation, no waker lists,
/// and no lock on the writer's side beyond storing the value.
struct Slot<T> {
    state: AtomicU8,
    value: Mutex<Option<T>>,
    caller: Thread,
}

const EMPTY: u8 = 0;
const DONE: u8 = 1;

/// A reply slot for the calling thread.
pub(crate) fn reply_slot<T>() -> (ReplyTx<T>, ReplyRx<T>) {
    let slot = Arc::new(Slot {
        state: AtomicU8::new(EMPTY),
        value: Mutex::new(None),
        caller: std::thread::current(),
    });
    (
        ReplyTx {
            slot: Arc::clone(&slot),
            sent: false,
        },
        ReplyRx { slot },
    )
}

impl<T> ReplyTx<T> {
    /// Hands `value` to the caller and wakes it if it parked.
    pub(crate) fn send(mut self, value: T) {
        *lock(&self.slot.value) = Some(value);
        self.sent = true;
        self.finish();
    }

    fn finish(&self) {
        self.slot.state.store(DONE, Release);
        // Cheap when the caller is still polling: unpark only parks a token.
        self.slot.caller.unpark();
    }
}

impl<T> Drop for ReplyTx<T> {
    fn drop(&mut self) {
        if !self.sent {
            self.finish();
        }
    }
}

impl<T> ReplyRx<T> {
    fn is_done(&self) -> bool {
        self.slot.state.load(Acquire) == DONE
    }

    /// Polls for at most `limit`; whether the reply (or the sender's drop) came meanwhile.
    fn poll_for(&self, limit: Duration) -> bool {
        spin_until(limit, || self.is_done().then_some(())).is_some()
    }

    /// Parks until the reply (or the sender's drop) came, then takes the value.
    fn wait(self) -> Option<T> {
        while !self.is_done() {
            // Spurious wake-ups and a token left by an earlier unpark are both possible.
            std::thread::park();
        }
        lock(&self.slot.value).take()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// How many blocked callers may poll for their reply at once: one per core besides the
/// writer's.
pub(crate) struct CallerSpin {
    spinning: AtomicUsize,
    max: usize,
}

impl CallerSpin {
    pub(crate) fn new() -> CallerSpin {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CallerSpin {
            spinning: AtomicUsize::new(0),
            max: cores.saturating_sub(1),
        }
    }

    /// Waits for the reply on `rx`: polls first if `may_spin` and a core is free for it, then
    /// parks. `None` if the sender was dropped unsent.
    pub(crate) fn wait<T>(&self, rx: ReplyRx<T>, may_spin: bool) -> Option<T> {
        if may_spin {
            if self.spinning.fetch_add(1, Relaxed) < self.max {
                rx.poll_for(CALLER_SPIN);
            }
            self.spinning.fetch_sub(1, Relaxed);
        }
        rx.wait()
    }
}

/// The writer's adaptive polling window after it answered a blocked caller.
pub(crate) struct WriterSpin {
    window: Duration,
    /// When the writer last answered a blocked caller, if no message has arrived since.
    answered_at: Option<Instant>,
    /// The poll for that answer is still to be made (one poll per answer: a time-out of the
    /// parked receive, e.g. the once-a-second fsync, does not start another).
    poll_due: bool,
}

impl WriterSpin {
    pub(crate) fn new() -> WriterSpin {
        WriterSpin {
            window: WRITER_SPIN,
            answered_at: None,
            poll_due: false,
        }
    }

    /// A batch that held blocked callers' calls has been answered.
    pub(crate) fn answered(&mut self) {
        self.answered_at = Some(Instant::now());
        self.poll_due = true;
    }

    /// How long to poll before parking now: zero unless a blocked caller was just answered
    /// and the window is still worth it. Once per answer.
    pub(crate) fn take_window(&mut self) -> Duration {
        let due = std::mem::take(&mut self.poll_due);
        if due && self.window >= MIN_WRITER_SPIN {
            self.window
        } else {
            Duration::ZERO
        }
    }

    /// The poll of `take_window()` caught the next message (`hit`) or timed out.
    pub(crate) fn polled(&mut self, hit: bool) {
        self.window = if hit { WRITER_SPIN } else { self.window / 2 };
    }

    /// A message arrived; `call_sent_at` is its send time if it is a blocked caller's call.
    /// If that call was sent soon enough after the last answer, polling would have caught it:
    /// the window is restored.
    pub(crate) fn arrived(&mut self, call_sent_at: Option<Instant>) {
        if let (Some(answered), Some(sent)) = (self.answered_at.take(), call_sent_at)
            && sent.saturating_duration_since(answered) < WRITER_SPIN
        {
            self.window = WRITER_SPIN;
        }
        self.poll_due = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_reaches_a_parked_caller() {
        let (tx, rx) = reply_slot::<u32>();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20)); // the caller has parked by now
            tx.send(7);
        });
        assert_eq!(CallerSpin::new().wait(rx, false), Some(7));
        t.join().unwrap();
    }

    #[test]
    fn reply_reaches_a_polling_caller() {
        let spin = CallerSpin {
            spinning: AtomicUsize::new(0),
            max: 1,
        };
        let (tx, rx) = reply_slot::<u32>();
        let t = std::thread::spawn(move || tx.send(9));
        assert_eq!(spin.wait(rx, true), Some(9));
        t.join().unwrap();
        assert_eq!(spin.spinning.load(Relaxed), 0, "the poller left the count");
    }

    #[test]
    fn a_sender_dropped_unsent_wakes_the_caller_with_nothing() {
        let (tx, rx) = reply_slot::<u32>();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(tx);
        });
        assert_eq!(CallerSpin::new().wait(rx, false), None);
        t.join().unwrap();
    }

    #[test]
    fn callers_beyond_the_free_cores_do_not_poll() {
        let spin = CallerSpin {
            spinning: AtomicUsize::new(0),
            max: 0,
        };
        let (tx, rx) = reply_slot::<u32>();
        tx.send(1);
        assert_eq!(spin.wait(rx, true), Some(1));
        assert_eq!(spin.spinning.load(Relaxed), 0);
    }

    #[test]
    fn writer_window_once_per_answer_halved_on_misses_restored_by_a_short_gap() {
        let mut w = WriterSpin::new();
        assert_eq!(w.take_window(), Duration::ZERO, "nothing answered yet");
        w.answered();
        assert_eq!(w.take_window(), WRITER_SPIN);
        assert_eq!(w.take_window(), Duration::ZERO, "one poll per answer");
        // Misses shrink the window until it is not worth polling.
        let mut misses = 0;
        loop {
            w.answered();
            let win = w.take_window();
            if win.is_zero() {
                break;
            }
            w.polled(false);
            misses += 1;
        }
        assert!((3..10).contains(&misses), "{misses} misses");
        // A call sent right after an answer shows polling would have caught it.
        w.answered();
        assert_eq!(w.take_window(), Duration::ZERO);
        w.arrived(Some(Instant::now()));
        w.answered();
        assert_eq!(w.take_window(), WRITER_SPIN);
        // Any other message does not restore it, and a hit keeps it.
        w.polled(false);
        w.answered();
        w.arrived(None);
        w.polled(true);
        w.answered();
        assert_eq!(w.take_window(), WRITER_SPIN);
    }
}
