//! Cross-thread sends through `ConnHandle`, and handles that outlive their connection.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use kvs_reactor::{CloseReason, Conn, ConnHandle, Handler, TcpServer};

/// Reports each new connection's handle to the test thread and its close to a second channel.
struct Reporter {
    opened: mpsc::Sender<ConnHandle>,
    closed: mpsc::Sender<kvs_reactor::ConnId>,
}

impl Handler for Reporter {
    fn on_connect(&mut self, conn: &mut Conn<'_>) {
        self.opened.send(conn.handle()).unwrap();
    }
    fn on_message(&mut self, _conn: &mut Conn<'_>, input: &mut BytesMut) {
        input.clear();
    }
    fn on_close(&mut self, conn: &mut Conn<'_>, _reason: &CloseReason) {
        assert!(!conn.send(b"too late"), "send after close must be refused");
        let _ = self.closed.send(conn.id());
    }
}

/// Ignores input; says nothing.
struct Quiet;

impl Handler for Quiet {
    fn on_message(&mut self, _conn: &mut Conn<'_>, input: &mut BytesMut) {
        input.clear();
    }
}

fn reporting_server(
    loopers: usize,
) -> (
    kvs_reactor::Server,
    mpsc::Receiver<ConnHandle>,
    mpsc::Receiver<kvs_reactor::ConnId>,
) {
    let (otx, orx) = mpsc::channel();
    let (ctx, crx) = mpsc::channel();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(loopers)
        .start(move || Reporter {
            opened: otx.clone(),
            closed: ctx.clone(),
        })
        .unwrap();
    (server, orx, crx)
}

#[test]
fn send_from_a_foreign_thread_reaches_the_client() {
    let (server, opened, _closed) = reporting_server(2);
    let mut client = connect(server.local_addr());
    let handle = opened.recv_timeout(IO_TIMEOUT).unwrap();
    assert!(!handle.loop_handle().is_in_loop_thread());
    // Many threads send through clones of the handle; each thread's messages stay in order.
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let h = handle.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    assert!(h.send(format!("[{t}:{i:03}]")));
                }
            })
        })
        .collect();
    for s in senders {
        s.join().unwrap();
    }
    let got = String::from_utf8(read_exact(&mut client, 4 * 100 * 7)).unwrap();
    for t in 0..4 {
        let seq: Vec<usize> = got
            .split(']')
            .filter_map(|m| m.strip_prefix(&format!("[{t}:")))
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(seq, (0..100).collect::<Vec<_>>(), "thread {t} out of order");
    }
}

#[test]
fn a_stale_handle_never_reaches_a_connection_that_reuses_the_slot() {
    // One looper, so the second connection lands in the slab slot the first one freed.
    let (server, opened, closed) = reporting_server(1);
    let first = connect(server.local_addr());
    let old = opened.recv_timeout(IO_TIMEOUT).unwrap();
    drop(first);
    assert_eq!(closed.recv_timeout(IO_TIMEOUT).unwrap(), old.id());
    assert!(wait_until(Duration::from_secs(5), || !old.is_open()));

    let mut second = connect(server.local_addr());
    let new = opened.recv_timeout(IO_TIMEOUT).unwrap();
    assert_ne!(old.id(), new.id());
    assert!(
        !old.send(&b"for the old connection"[..]),
        "stale handle must refuse to send"
    );
    old.force_close(); // must not close the new connection either
    assert!(new.send(&b"hello"[..]));
    assert_eq!(read_exact(&mut second, 5), b"hello");
    assert!(new.is_open());
}

#[test]
fn sending_to_a_closed_connection_is_a_refused_no_op() {
    let (server, opened, closed) = reporting_server(1);
    let client = connect(server.local_addr());
    let handle = opened.recv_timeout(IO_TIMEOUT).unwrap();
    handle.force_close();
    assert_eq!(closed.recv_timeout(IO_TIMEOUT).unwrap(), handle.id());
    assert!(!handle.send(&b"x"[..]));
    drop(client);
}

#[test]
fn a_send_posted_before_close_never_reaches_the_connection_that_reuses_the_slot() {
    // The handle is still open when the send is posted, so only the loop can refuse it: the
    // connection closes and a new one takes its slab slot before the posted send runs.
    let (server, opened, _closed) = reporting_server(1);
    let _first = connect(server.local_addr());
    let old = opened.recv_timeout(IO_TIMEOUT).unwrap();
    // A second connection, adopted by hand on the loop right after the first one closes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut second = connect(listener.local_addr().unwrap());
    let (server_side, _) = listener.accept().unwrap();
    server_side.set_nonblocking(true).unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let stale = old.clone();
    server.loop_handles()[0].queue_in_loop(move |el| {
        // On the loop thread the send is deferred until this functor returns.
        assert!(stale.send(&b"STALE"[..]), "the handle is still open here");
        el.connection(stale.id()).unwrap().force_close();
        let new = el
            .adopt_stream(
                kvs_reactor::mio::net::TcpStream::from_std(server_side),
                Box::new(Quiet),
                std::sync::Arc::new(Default::default()),
            )
            .unwrap();
        done_tx.send((stale.id(), new)).unwrap();
    });
    let (old_id, new_id) = done_rx.recv_timeout(IO_TIMEOUT).unwrap();
    assert_ne!(old_id, new_id);
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    let got = std::io::Read::read(&mut second, &mut buf);
    assert!(
        got.is_err(),
        "stale bytes reached the new connection: {got:?} {:?}",
        &buf
    );
}

#[test]
fn an_id_from_another_loop_never_reaches_this_loops_connections() {
    // Serial numbers are per loop, so the first connection of each loop has the same slot and
    // serial; the loop id must tell them apart.
    let (server, opened, _closed) = reporting_server(2);
    let mut a = connect(server.local_addr());
    let ha = opened.recv_timeout(IO_TIMEOUT).unwrap();
    let mut b = connect(server.local_addr());
    let hb = opened.recv_timeout(IO_TIMEOUT).unwrap();
    assert_ne!(
        ha.id().loop_id(),
        hb.id().loop_id(),
        "round robin over 2 loopers"
    );
    let foreign = ha.id();
    let (tx, rx) = mpsc::channel();
    hb.loop_handle().queue_in_loop(move |el| {
        let found = el.connection(foreign).is_some();
        let via_handler = el.with_handler::<Reporter, _>(foreign, |_, _| ()).is_some();
        tx.send((found, via_handler)).unwrap();
    });
    assert_eq!(rx.recv_timeout(IO_TIMEOUT).unwrap(), (false, false));
    // Both connections still work.
    assert!(ha.send(&b"a"[..]) && hb.send(&b"b"[..]));
    assert_eq!(read_exact(&mut a, 1), b"a");
    assert_eq!(read_exact(&mut b, 1), b"b");
}

#[test]
fn a_shut_down_connection_refuses_further_sends() {
    let (server, opened, _closed) = reporting_server(1);
    let mut client = connect(server.local_addr());
    let handle = opened.recv_timeout(IO_TIMEOUT).unwrap();
    assert!(handle.send(&b"last words"[..]));
    handle.shutdown();
    // Refused at once, from any handle, although the connection is still open until the peer
    // closes too.
    assert!(!handle.clone().send(&b"dropped"[..]));
    assert_eq!(read_to_eof(&mut client), b"last words");
    assert!(handle.is_open(), "half-closed: the peer has not closed yet");
    assert!(!handle.send(&b"dropped"[..]));
    drop(client);
    assert!(wait_until(Duration::from_secs(5), || !handle.is_open()));
}
