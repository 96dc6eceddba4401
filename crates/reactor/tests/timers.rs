//! Timers: order, cancellation, repetition, and posting from other threads.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use kvs_reactor::{EventLoop, EventLoopThread};

#[test]
fn one_shot_timers_fire_in_deadline_order_and_cancelled_ones_never() {
    let mut el = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    for (delay, name) in [(30, "c"), (10, "a"), (20, "b"), (25, "cancelled")] {
        let log = log.clone();
        let id = el.run_after(Duration::from_millis(delay), move |_| {
            log.borrow_mut().push(name)
        });
        if name == "cancelled" {
            assert!(el.cancel(id));
            assert!(
                !el.cancel(id),
                "a cancelled timer cannot be cancelled twice"
            );
        }
    }
    let start = Instant::now();
    el.run_after(Duration::from_millis(60), |el| el.quit());
    el.run().unwrap();
    assert_eq!(*log.borrow(), ["a", "b", "c"]);
    assert!(start.elapsed() >= Duration::from_millis(60));
    assert_eq!(el.timer_count(), 0);
}

#[test]
fn a_fired_timer_cannot_be_cancelled_or_run_again() {
    let mut el = EventLoop::new().unwrap();
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    let id = el.run_after(Duration::from_millis(1), move |_| *c.borrow_mut() += 1);
    el.run_after(Duration::from_millis(20), |el| el.quit());
    el.run().unwrap();
    assert_eq!(*count.borrow(), 1);
    assert!(!el.cancel(id));
}

#[test]
fn run_every_fires_until_it_cancels_itself() {
    let mut el = EventLoop::new().unwrap();
    let count = Rc::new(RefCell::new(0u32));
    let id_cell: Rc<RefCell<Option<kvs_reactor::TimerId>>> = Rc::default();
    let (c, idc) = (count.clone(), id_cell.clone());
    let id = el.run_every(Duration::from_millis(5), move |el| {
        *c.borrow_mut() += 1;
        if *c.borrow() == 5 {
            // Cancelling from inside its own callback stops it for good.
            el.cancel(idc.borrow().expect("id set"));
        }
    });
    *id_cell.borrow_mut() = Some(id);
    el.run_after(Duration::from_millis(150), |el| el.quit());
    el.run().unwrap();
    assert_eq!(*count.borrow(), 5);
}

#[test]
fn only_one_loop_per_thread() {
    let _el = EventLoop::new().unwrap();
    assert!(matches!(
        EventLoop::new(),
        Err(kvs_reactor::Error::LoopExists)
    ));
}

#[test]
fn timers_and_functors_posted_from_other_threads_run_on_the_loop_thread() {
    let looper = EventLoopThread::spawn("timer-test").unwrap();
    let handle = looper.handle().clone();
    let (tx, rx) = mpsc::channel();
    let loop_thread = {
        let (t2, r2) = mpsc::channel();
        handle.queue_in_loop(move |_| t2.send(std::thread::current().id()).unwrap());
        r2.recv_timeout(Duration::from_secs(5)).unwrap()
    };
    let tx2 = tx.clone();
    handle.run_after(Duration::from_millis(20), move |_| {
        tx2.send(("after", std::thread::current().id())).unwrap()
    });
    // A panic inside a timer is caught by the loop, so the firing is recorded in a flag the
    // test checks after the deadline instead.
    let cancelled_ran = Arc::new(AtomicBool::new(false));
    let flag = cancelled_ran.clone();
    let cancelled = handle.run_after(Duration::from_millis(30), move |_| {
        flag.store(true, Ordering::SeqCst)
    });
    handle.cancel(cancelled);
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = ticks.clone();
    let every = handle.run_every(Duration::from_millis(5), move |_| {
        t.fetch_add(1, Ordering::SeqCst);
    });
    let (name, thread) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(name, "after");
    assert_eq!(thread, loop_thread);
    assert!(common::wait_until(Duration::from_secs(5), || ticks
        .load(Ordering::SeqCst)
        >= 3));
    handle.cancel(every);
    // After the cancel has been processed, the count stops moving.
    let (t3, r3) = mpsc::channel();
    handle.queue_in_loop(move |el| t3.send(el.timer_count()).unwrap());
    assert_eq!(r3.recv_timeout(Duration::from_secs(5)).unwrap(), 0);
    let frozen = ticks.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(60)); // well past the cancelled timer's deadline
    assert_eq!(ticks.load(Ordering::SeqCst), frozen);
    assert!(
        !cancelled_ran.load(Ordering::SeqCst),
        "a cancelled timer ran"
    );
    // The loop has no timers left and has been idle for 60 ms: it sleeps in epoll, so this
    // post must wake it (posts that find it awake skip the wake-up, which made the count
    // depend on timing before).
    let (t4, r4) = mpsc::channel();
    handle.queue_in_loop(move |_| t4.send(()).unwrap());
    r4.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(handle.metrics().wakeups >= 1);
}

#[test]
fn a_handle_timer_made_on_the_loop_thread_can_be_cancelled_at_once() {
    // `LoopHandle::run_after` on the loop thread defers the insertion until the callback
    // returns; `EventLoop::cancel` right after it must still cancel the timer.
    let looper = EventLoopThread::spawn("unborn-timer").unwrap();
    let fired = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    let f = fired.clone();
    looper.handle().queue_in_loop(move |el| {
        let once = el.handle().run_after(Duration::from_millis(10), {
            let f = f.clone();
            move |_| {
                f.fetch_add(1, Ordering::SeqCst);
            }
        });
        let every = el.handle().run_every(Duration::from_millis(5), move |_| {
            f.fetch_add(1, Ordering::SeqCst);
        });
        let first = (el.cancel(once), el.cancel(every));
        let again = (el.cancel(once), el.cancel(every)); // already cancelled
        tx.send((first, again)).unwrap();
    });
    let (first, again) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(first, (true, true));
    assert_eq!(again, (false, false));
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(fired.load(Ordering::SeqCst), 0, "a cancelled timer fired");
    let (t2, r2) = mpsc::channel();
    looper
        .handle()
        .queue_in_loop(move |el| t2.send(el.timer_count()).unwrap());
    assert_eq!(r2.recv_timeout(Duration::from_secs(5)).unwrap(), 0);
}

#[test]
fn run_in_loop_from_the_loop_thread_runs_before_queued_work() {
    let looper = EventLoopThread::spawn("order-test").unwrap();
    let handle = looper.handle().clone();
    let (tx, rx) = mpsc::channel();
    let h2 = handle.clone();
    handle.queue_in_loop(move |_| {
        let (a, b) = (tx.clone(), tx.clone());
        h2.queue_in_loop(move |_| a.send("queued").unwrap());
        h2.run_in_loop(move |_| b.send("run_in_loop").unwrap());
        tx.send("functor").unwrap();
    });
    let order: Vec<_> = (0..3)
        .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
        .collect();
    assert_eq!(order, ["functor", "run_in_loop", "queued"]);
}

#[test]
fn turn_end_calls_run_after_every_functor_of_the_turn() {
    let looper = EventLoopThread::spawn("turn-end").unwrap();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    // Hold the loop inside one functor while three more are posted, so all three run in the
    // same pending phase; each defers a call to the end of the turn.
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    looper.handle().queue_in_loop(move |_| {
        gate_rx.recv().unwrap();
    });
    for i in 0..3 {
        let log = log.clone();
        looper.handle().queue_in_loop(move |el| {
            log.lock().unwrap().push(format!("functor {i}"));
            let log = log.clone();
            el.defer_to_turn_end(move |el| {
                log.lock().unwrap().push(format!("end {i}"));
                if i == 2 {
                    // Deferred from a turn-end call: the next turn's end, still without blocking.
                    let log = log.clone();
                    el.defer_to_turn_end(move |_| log.lock().unwrap().push("next end".into()));
                }
            });
        });
    }
    gate_tx.send(()).unwrap();
    assert!(common::wait_until(Duration::from_secs(5), || log
        .lock()
        .unwrap()
        .len()
        == 7));
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "functor 0",
            "functor 1",
            "functor 2",
            "end 0",
            "end 1",
            "end 2",
            "next end"
        ]
    );
}
