//! No lost wake-ups: a post to a loop that is going to sleep must wake it. Posts skip the
//! `eventfd` write while the loop is awake, so this races the loop's last look at its queue
//! against the post on every round trip.

use std::sync::mpsc;
use std::time::Duration;

use kvs_reactor::EventLoopThread;

#[test]
fn every_post_is_run_while_the_loop_keeps_going_to_sleep() {
    let looper = EventLoopThread::spawn("wakeups").unwrap();
    let posters: Vec<_> = (0..3)
        .map(|p| {
            let handle = looper.handle().clone();
            std::thread::spawn(move || {
                let (tx, rx) = mpsc::channel();
                for i in 0..10_000u32 {
                    let tx = tx.clone();
                    handle.queue_in_loop(move |_| tx.send(i).unwrap());
                    // Ping-pong: the loop has nothing else to do, so it goes to sleep between
                    // posts; a lost wake-up leaves this functor unrun.
                    let got = rx.recv_timeout(Duration::from_secs(10));
                    assert_eq!(got, Ok(i), "poster {p}: functor {i} not run");
                    if i % 1000 == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    for p in posters {
        p.join().unwrap();
    }
    let m = looper.handle().metrics();
    assert!(m.wakeups <= 30_000, "{m:?}");
}
