//! Half-close ordering, idle timeouts, panicking handlers, and server shutdown.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::*;
use kvs_reactor::{CloseReason, Conn, Handler, TcpServer};

/// On "GO", sends `n` bytes and then shuts down: the client must get all of them before EOF.
struct SendThenShutdown {
    n: usize,
}

impl Handler for SendThenShutdown {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        if input.starts_with(b"GO") {
            input.clear();
            let data: Vec<u8> = (0..self.n).map(|i| (i % 253) as u8).collect();
            assert!(conn.send(&data));
            conn.shutdown();
            assert!(
                !conn.send(b"after shutdown"),
                "send after shutdown must be refused"
            );
        }
    }
}

#[test]
fn data_sent_before_shutdown_arrives_before_fin() {
    const N: usize = 8 << 20;
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| SendThenShutdown { n: N })
        .unwrap();
    let mut client = connect(server.local_addr());
    write_all(&mut client, b"GO");
    let got = read_to_eof(&mut client);
    assert_eq!(got.len(), N);
    assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 253) as u8));
    // Our side of the close: the server closes once it has seen our FIN too.
    drop(client);
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .closed
        == 1));
}

#[test]
fn peer_half_close_flushes_replies_then_closes() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    let mut client = connect(server.local_addr());
    let payload = vec![7u8; 3 << 20];
    write_all(&mut client, &payload);
    client.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_to_eof(&mut client).len(), payload.len());
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .closed
        == 1));
}

struct ReportClose(mpsc::Sender<String>);

impl Handler for ReportClose {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        if input.starts_with(b"boom") {
            panic!("handler panic requested by the test");
        }
        conn.send(&input.split());
    }
    fn on_close(&mut self, _conn: &mut Conn<'_>, reason: &CloseReason) {
        let _ = self.0.send(format!("{reason:?}"));
    }
}

#[test]
fn idle_connections_are_closed_after_the_timeout() {
    let (tx, rx) = mpsc::channel();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .idle_timeout(Some(Duration::from_millis(200)))
        .start(move || ReportClose(tx.clone()))
        .unwrap();
    let mut busy = connect(server.local_addr());
    let mut idle = connect(server.local_addr());
    let start = Instant::now();
    // Keep one connection active past the timeout; the other says nothing.
    while start.elapsed() < Duration::from_millis(500) {
        write_all(&mut busy, b"ping");
        assert_eq!(read_exact(&mut busy, 4), b"ping");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(rx.recv_timeout(IO_TIMEOUT).unwrap(), "IdleTimeout");
    assert!(read_to_eof(&mut idle).is_empty());
    assert!(start.elapsed() >= Duration::from_millis(200));
    write_all(&mut busy, b"still here");
    assert_eq!(read_exact(&mut busy, 10), b"still here");
}

#[test]
fn a_panicking_handler_closes_only_its_connection() {
    let (tx, rx) = mpsc::channel();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(move || ReportClose(tx.clone()))
        .unwrap();
    let mut good = connect(server.local_addr());
    let mut bad = connect(server.local_addr());
    write_all(&mut bad, b"boom");
    assert!(
        read_to_eof(&mut bad).is_empty(),
        "the panicking connection is closed"
    );
    // The handler panicked, so it was dropped without an on_close; the loop keeps serving.
    write_all(&mut good, b"alive");
    assert_eq!(read_exact(&mut good, 5), b"alive");
    assert!(rx.try_recv().is_err());
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .closed
        == 1));
}

#[test]
fn shutdown_with_connections_open_joins_every_thread() {
    let server = TcpServer::builder("127.0.0.1:0")
        .name("joinme")
        .loopers(3)
        .start(|| Echo)
        .unwrap();
    let addr = server.local_addr();
    let mut clients: Vec<_> = (0..30).map(|_| connect(addr)).collect();
    for c in &mut clients {
        write_all(c, b"hi");
        assert_eq!(read_exact(c, 2), b"hi");
    }
    assert!(thread_names().iter().any(|n| n.starts_with("joinme")));
    let started = Instant::now();
    // Clients never close by themselves: the grace period ends and the rest is force-closed.
    server.shutdown(Duration::from_millis(300));
    assert!(started.elapsed() < Duration::from_secs(10));
    let left: Vec<String> = thread_names()
        .into_iter()
        .filter(|n| n.starts_with("joinme"))
        .collect();
    assert!(left.is_empty(), "threads left behind: {left:?}");
    for c in &mut clients {
        assert!(read_to_eof(c).is_empty());
    }
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "listener still open"
    );
}

#[test]
fn dropping_the_server_also_stops_it() {
    let server = TcpServer::builder("127.0.0.1:0")
        .name("dropme")
        .loopers(2)
        .start(|| Echo)
        .unwrap();
    let mut c = connect(server.local_addr());
    write_all(&mut c, b"x");
    assert_eq!(read_exact(&mut c, 1), b"x");
    drop(server);
    assert!(read_to_eof(&mut c).is_empty());
    assert!(!thread_names().iter().any(|n| n.starts_with("dropme")));
}

/// Echoes, pausing reading after the first message and resuming 200 ms later.
struct PauseOnce {
    paused: bool,
}

impl Handler for PauseOnce {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        conn.send(&input.split());
        if !self.paused {
            self.paused = true;
            conn.pause_read();
            let id = conn.id();
            conn.event_loop()
                .run_after(Duration::from_millis(200), move |el| {
                    if let Some(mut c) = el.connection(id) {
                        c.resume_read();
                    }
                });
        }
    }
}

#[test]
fn a_fin_that_arrives_while_reading_is_paused_is_seen_after_resume() {
    // Backpressure (pause at the high-water mark) meets a pipelining client that half-closes:
    // the FIN's edge comes while paused and must not be lost.
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| PauseOnce { paused: false })
        .unwrap();
    let mut client = connect(server.local_addr());
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write_all(&mut client, b"a");
    assert_eq!(read_exact(&mut client, 1), b"a");
    write_all(&mut client, b"bbbb");
    client.shutdown(std::net::Shutdown::Write).unwrap();
    // The echo of the data that came with the FIN, then the server's own FIN.
    assert_eq!(read_to_eof(&mut client), b"bbbb");
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .closed
        == 1));
}

/// Counts `on_close` calls; on input, queues 8 MiB so output is pending when the peer resets.
struct CountCloses(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Handler for CountCloses {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        input.clear();
        conn.send(&vec![1u8; 8 << 20]);
    }
    fn on_close(&mut self, _conn: &mut Conn<'_>, reason: &CloseReason) {
        assert!(matches!(reason, CloseReason::Error(_)), "{reason:?}");
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_reset_with_output_pending_is_reported_once() {
    use std::sync::atomic::Ordering::SeqCst;
    let closes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = closes.clone();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(move || CountCloses(counter.clone()))
        .unwrap();
    let mut client = connect(server.local_addr());
    write_all(&mut client, b"go");
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .bytes_out
        > 0));
    // SO_LINGER 0: close sends RST instead of FIN.
    let socket = socket2::Socket::from(client);
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket);
    assert!(wait_until(Duration::from_secs(5), || closes.load(SeqCst) >= 1));
    std::thread::sleep(Duration::from_millis(100)); // room for a second report, if any
    assert_eq!(closes.load(SeqCst), 1);
    assert_eq!(server.metrics().closed, 1);
}

/// On input, takes the server out of the shared slot and shuts it down from this looper.
struct ShutsTheServerDown {
    server: std::sync::Arc<std::sync::Mutex<Option<kvs_reactor::Server>>>,
    returned: mpsc::Sender<()>,
}

impl Handler for ShutsTheServerDown {
    fn on_message(&mut self, _conn: &mut Conn<'_>, input: &mut BytesMut) {
        input.clear();
        let server = self.server.lock().unwrap().take();
        if let Some(server) = server {
            server.shutdown(Duration::from_millis(500));
            self.returned.send(()).unwrap();
        }
    }
}

#[test]
fn shutdown_called_from_a_looper_stops_everything_without_panicking() {
    // A SHUTDOWN command handler is the natural place to stop a server: on one of its loopers,
    // which cannot join itself.
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let (tx, rx) = mpsc::channel();
    let s2 = slot.clone();
    let server = TcpServer::builder("127.0.0.1:0")
        .name("selfstop")
        .loopers(2)
        .start(move || ShutsTheServerDown {
            server: s2.clone(),
            returned: tx.clone(),
        })
        .unwrap();
    let addr = server.local_addr();
    *slot.lock().unwrap() = Some(server);
    let mut bystander = connect(addr); // on the other looper
    let mut client = connect(addr);
    write_all(&mut client, b"x");
    rx.recv_timeout(Duration::from_secs(10))
        .expect("shutdown returned on the looper");
    assert!(read_to_eof(&mut client).is_empty());
    assert!(read_to_eof(&mut bystander).is_empty());
    assert!(
        wait_until(Duration::from_secs(5), || !thread_names()
            .iter()
            .any(|n| n.starts_with("selfstop"))),
        "threads left: {:?}",
        thread_names()
    );
}

/// Pauses reading on the first message and never resumes or answers.
struct PauseForever;

impl Handler for PauseForever {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        input.clear();
        conn.pause_read();
    }
}

#[test]
fn a_reset_on_a_paused_connection_with_nothing_to_send_closes_it() {
    // Nothing reads the socket (paused) and nothing writes to it (no output), so only the
    // error event itself can tell the loop the peer is gone.
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| PauseForever)
        .unwrap();
    let mut client = connect(server.local_addr());
    write_all(&mut client, b"pause now");
    std::thread::sleep(Duration::from_millis(100));
    write_all(&mut client, b"unread"); // left in the server's receive queue
    let socket = socket2::Socket::from(client);
    socket.set_linger(Some(Duration::ZERO)).unwrap();
    drop(socket); // RST
    assert!(
        wait_until(Duration::from_secs(5), || server.metrics().closed == 1),
        "a paused connection outlived its peer's reset"
    );
}

#[test]
fn bind_takes_the_address_before_start_and_queues_connections() {
    let listening = TcpServer::builder("127.0.0.1:0")
        .name("bindfirst")
        .loopers(1)
        .bind()
        .unwrap();
    let addr = listening.local_addr();
    // The address is taken already: a second server cannot have it, and says which it is.
    let second = TcpServer::builder(addr).loopers(1).bind();
    let err = second
        .err()
        .expect("a second bind of the same address must fail");
    assert!(
        err.to_string().contains(&addr.to_string()),
        "the error names the address: {err}"
    );
    // No thread runs yet, but the kernel queues a connection in the backlog...
    assert!(
        !thread_names().iter().any(|n| n.starts_with("bindfirst")),
        "bind() started threads: {:?}",
        thread_names()
    );
    let mut early = connect(addr);
    write_all(&mut early, b"queued");
    // ...which is served once the server starts.
    let server = listening.start(|| Echo).unwrap();
    assert_eq!(read_exact(&mut early, 6), b"queued");
    server.shutdown(Duration::from_secs(1));
}

/// Consumes one line at a time; after a line it "waits" 100 ms (leaving the rest of its input
/// unconsumed, reading still on) and then asks for the rest with `offer_input_again`.
struct OneLineThenWait {
    waiting: bool,
}

impl Handler for OneLineThenWait {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        if self.waiting {
            return; // keep it buffered
        }
        if let Some(end) = input.iter().position(|&b| b == b'\n') {
            let line = input.split_to(end + 1);
            conn.send(&line);
            self.waiting = true;
            let id = conn.id();
            conn.event_loop()
                .run_after(Duration::from_millis(100), move |el| {
                    el.with_handler::<OneLineThenWait, _>(id, |h, c| {
                        h.waiting = false;
                        c.offer_input_again();
                    });
                });
        }
    }
}

#[test]
fn input_left_unconsumed_is_offered_again_on_request() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| OneLineThenWait { waiting: false })
        .unwrap();
    let mut client = connect(server.local_addr());
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Three lines in one write: without offer_input_again only the first would come back
    // (no new bytes arrive to call on_message again).
    let t = Instant::now();
    write_all(&mut client, b"one\ntwo\nthree\n");
    assert_eq!(read_exact(&mut client, 14), b"one\ntwo\nthree\n");
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
}
