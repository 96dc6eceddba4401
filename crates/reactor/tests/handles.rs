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
