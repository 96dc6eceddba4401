//! No panic reaches a looper (issue 7, part 6). Muduo would let an exception in a callback take
//! the process down; here a panic anywhere the loop calls user code is caught, logged with
//! `tracing::error!` (with the panic's message), and costs only what it was running:
//!
//! - a handler callback: that connection is closed (its handler dropped without `on_close`);
//! - a functor posted with `queue_in_loop` / `run_in_loop`: that functor;
//! - a one-shot timer: that callback; a repeating timer: it is cancelled;
//! - the handler factory: that accepted connection (and its `max_connections` place is freed).
//!
//! Every test then checks the same loop keeps serving other connections and work.

mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use kvs_reactor::{Conn, EventLoopThread, Handler, TcpServer};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, span};

/// Every ERROR event logged in this process, as `message=... panic=... ` text.
static ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A minimal tracing subscriber that keeps ERROR events (the loops log from their own threads,
/// so it has to be the global default).
struct CaptureErrors;

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(self.0, "{}={value} ", field.name());
    }
}

impl tracing::Subscriber for CaptureErrors {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() == Level::ERROR
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        ERRORS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fields.0);
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

fn capture_errors() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(CaptureErrors).expect("no other subscriber");
    });
}

/// Waits until an ERROR event containing every one of `needles` was logged.
#[track_caller]
fn assert_logged(needles: &[&str]) {
    let found = wait_until(Duration::from_secs(5), || {
        ERRORS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|e| needles.iter().all(|n| e.contains(n)))
    });
    assert!(
        found,
        "no error logged with {needles:?}; logged: {:?}",
        ERRORS.lock().unwrap_or_else(PoisonError::into_inner)
    );
}

/// Echoes, but panics on a line starting with "panic:" (in `on_message`), and its `on_connect`
/// panics when the factory was told so.
struct Touchy {
    panic_on_connect: bool,
}

impl Handler for Touchy {
    fn on_connect(&mut self, _conn: &mut Conn<'_>) {
        if self.panic_on_connect {
            panic!("test panic in on_connect");
        }
    }
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        if input.starts_with(b"panic:") {
            let what = String::from_utf8_lossy(&input[6..]).trim().to_string();
            panic!("test panic in on_message: {what}");
        }
        conn.send(&input.split());
    }
}

#[test]
fn a_handler_panic_closes_only_its_connection_and_is_logged() {
    capture_errors();
    let connects = Arc::new(AtomicUsize::new(0));
    let n = connects.clone();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1) // everything on the loop that sees the panics
        .start(move || Touchy {
            // The third connection's on_connect panics.
            panic_on_connect: n.fetch_add(1, Ordering::SeqCst) == 2,
        })
        .unwrap();
    let mut good = connect(server.local_addr());
    write_all(&mut good, b"one");
    assert_eq!(read_exact(&mut good, 3), b"one");

    let mut bad = connect(server.local_addr());
    write_all(&mut bad, b"panic:message-7f3a");
    assert!(
        read_to_eof(&mut bad).is_empty(),
        "the panicking one is closed"
    );
    assert_logged(&[
        "connection handler panicked",
        "test panic in on_message: message-7f3a",
    ]);

    let mut refused = connect(server.local_addr());
    assert!(read_to_eof(&mut refused).is_empty());
    assert_logged(&["connection handler panicked", "test panic in on_connect"]);

    // The loop goes on: the old connection and a new one are served.
    write_all(&mut good, b"two");
    assert_eq!(read_exact(&mut good, 3), b"two");
    let mut late = connect(server.local_addr());
    write_all(&mut late, b"late");
    assert_eq!(read_exact(&mut late, 4), b"late");
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .closed
        == 2));
    assert_eq!(server.active_connections(), 2);
}

#[test]
fn a_panicking_functor_is_logged_and_the_loop_runs_the_next_ones() {
    capture_errors();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    let mut client = connect(server.local_addr());
    let handle = server.loop_handles().remove(0);
    let (tx, rx) = mpsc::channel();
    handle.queue_in_loop(|_| panic!("test panic in a queued functor 51c2"));
    let tx2 = tx.clone();
    handle.queue_in_loop(move |_| tx2.send("queued after").unwrap());
    handle.run_in_loop(|_| panic!("test panic in a run_in_loop functor 9d0e"));
    handle.run_in_loop(move |_| tx.send("run after").unwrap());
    let mut got = vec![
        rx.recv_timeout(IO_TIMEOUT).unwrap(),
        rx.recv_timeout(IO_TIMEOUT).unwrap(),
    ];
    got.sort();
    assert_eq!(got, ["queued after", "run after"]);
    assert_logged(&[
        "functor posted to the loop panicked",
        "test panic in a queued functor 51c2",
    ]);
    assert_logged(&["test panic in a run_in_loop functor 9d0e"]);
    // A functor panicking from inside the loop (posted by a handler-side functor) is no
    // different.
    let h2 = handle.clone();
    handle.queue_in_loop(move |_| h2.queue_in_loop(|_| panic!("test panic nested 0b77")));
    assert_logged(&["test panic nested 0b77"]);
    write_all(&mut client, b"still served");
    assert_eq!(read_exact(&mut client, 12), b"still served");
}

#[test]
fn a_panicking_timer_is_logged_and_the_loop_keeps_its_other_timers() {
    capture_errors();
    let looper = EventLoopThread::spawn("panic-timers").unwrap();
    let handle = looper.handle().clone();
    let (tx, rx) = mpsc::channel();
    handle.run_after(Duration::from_millis(5), |_| {
        panic!("test panic in a one-shot timer 3e81")
    });
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = ticks.clone();
    handle.run_every(Duration::from_millis(5), move |_| {
        t.fetch_add(1, Ordering::SeqCst);
        panic!("test panic in a repeating timer 6a2c");
    });
    let later = tx.clone();
    handle.run_after(Duration::from_millis(50), move |_| {
        later.send("later timer").unwrap()
    });
    assert_eq!(rx.recv_timeout(IO_TIMEOUT).unwrap(), "later timer");
    assert_logged(&[
        "timer callback panicked",
        "test panic in a one-shot timer 3e81",
    ]);
    assert_logged(&[
        "repeating timer panicked",
        "test panic in a repeating timer 6a2c",
    ]);
    // The repeating timer was cancelled after its panic, not re-armed.
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(ticks.load(Ordering::SeqCst), 1);
    let (t2, r2) = mpsc::channel();
    handle.queue_in_loop(move |el| t2.send(el.timer_count()).unwrap());
    assert_eq!(r2.recv_timeout(IO_TIMEOUT).unwrap(), 0);
    // And the loop still runs new work.
    handle.queue_in_loop(move |_| tx.send("functor").unwrap());
    assert_eq!(rx.recv_timeout(IO_TIMEOUT).unwrap(), "functor");
}

#[test]
fn a_panicking_factory_drops_that_connection_and_frees_its_place() {
    capture_errors();
    let first = Arc::new(AtomicBool::new(true));
    let f = first.clone();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .max_connections(Some(1))
        .start(move || {
            if f.swap(false, Ordering::SeqCst) {
                panic!("test panic in the handler factory c4d1");
            }
            Echo
        })
        .unwrap();
    let mut dropped = connect(server.local_addr());
    assert!(read_to_eof(&mut dropped).is_empty());
    assert_logged(&[
        "handler factory panicked",
        "test panic in the handler factory c4d1",
    ]);
    // With max_connections 1, the next client only gets in if the place was given back.
    assert!(wait_until(Duration::from_secs(5), || server
        .active_connections()
        == 0));
    let mut next = connect(server.local_addr());
    write_all(&mut next, b"in");
    assert_eq!(read_exact(&mut next, 2), b"in");
    assert_eq!(server.metrics().rejected, 0);
}
