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
