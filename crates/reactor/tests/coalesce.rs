//! `coalesce_posts`: functors posted inside the scope reach their loops at its end, in order,
//! also when the scope panics.

use std::sync::mpsc;
use std::time::Duration;

use kvs_reactor::{EventLoopThread, coalesce_posts};

#[test]
fn posts_wait_for_the_end_of_the_scope_and_keep_their_order() {
    let a = EventLoopThread::spawn("coalesce-a").unwrap();
    let b = EventLoopThread::spawn("coalesce-b").unwrap();
    let (tx, rx) = mpsc::channel();
    coalesce_posts(|| {
        for i in 0..100 {
            let (ta, tb) = (tx.clone(), tx.clone());
            a.handle()
                .queue_in_loop(move |_| ta.send(('a', i)).unwrap());
            b.handle().run_in_loop(move |_| tb.send(('b', i)).unwrap());
        }
        // Held: neither loop has anything to run yet.
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    });
    let got: Vec<(char, i32)> = (0..200)
        .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
        .collect();
    for side in ['a', 'b'] {
        let seq: Vec<i32> = got.iter().filter(|g| g.0 == side).map(|g| g.1).collect();
        assert_eq!(seq, (0..100).collect::<Vec<_>>(), "loop {side}");
    }
    // At most one wake-up delivered each loop's hundred functors (none if the loop had not
    // gone to sleep yet; nothing else posts to these loops).
    assert!(a.handle().metrics().wakeups <= 1);
    assert!(b.handle().metrics().wakeups <= 1);
}

#[test]
fn nested_scopes_deliver_at_the_outermost_end() {
    let a = EventLoopThread::spawn("coalesce-nested").unwrap();
    let (tx, rx) = mpsc::channel();
    coalesce_posts(|| {
        coalesce_posts(|| {
            let tx = tx.clone();
            a.handle().queue_in_loop(move |_| tx.send(1).unwrap());
        });
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 1);
}

#[test]
fn a_panicking_scope_still_delivers_what_it_posted() {
    let a = EventLoopThread::spawn("coalesce-panic").unwrap();
    let (tx, rx) = mpsc::channel();
    let handle = a.handle().clone();
    let r = std::panic::catch_unwind(move || {
        coalesce_posts(|| {
            handle.queue_in_loop(move |_| tx.send(7).unwrap());
            panic!("scope fails after posting");
        })
    });
    assert!(r.is_err());
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 7);
    // The thread is out of the scope: a post now is delivered at once.
    let (tx2, rx2) = mpsc::channel();
    a.handle().queue_in_loop(move |_| tx2.send(8).unwrap());
    assert_eq!(rx2.recv_timeout(Duration::from_secs(5)).unwrap(), 8);
}
