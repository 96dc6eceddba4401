//! The client side: connect, retry with backoff until the server appears, reconnect.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use kvs_reactor::{
    ClientOptions, ClientState, Conn, EventLoopThread, Handler, TcpClient, TcpServer,
};

/// Forwards what it receives to the test thread.
struct Collect(mpsc::Sender<Vec<u8>>);

impl Handler for Collect {
    fn on_message(&mut self, _conn: &mut Conn<'_>, input: &mut BytesMut) {
        let _ = self.0.send(input.split().to_vec());
    }
}

fn recv_n(rx: &mpsc::Receiver<Vec<u8>>, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < n {
        got.extend(rx.recv_timeout(IO_TIMEOUT).expect("reply"));
    }
    got
}

#[test]
fn client_talks_to_an_echo_server() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    let looper = EventLoopThread::spawn("client-loop").unwrap();
    let (tx, rx) = mpsc::channel();
    let client = TcpClient::connect(
        looper.handle(),
        server.local_addr(),
        ClientOptions::default(),
        move || Collect(tx.clone()),
    );
    let conn = client.wait_connected(IO_TIMEOUT).expect("connected");
    assert_eq!(client.state(), ClientState::Connected);
    assert!(conn.send(&b"ping pong"[..]));
    assert_eq!(recv_n(&rx, 9), b"ping pong");
    client.stop();
    assert_eq!(client.state(), ClientState::Stopped);
    assert!(wait_until(Duration::from_secs(5), || server
        .metrics()
        .closed
        == 1));
}

#[test]
fn connect_retries_with_backoff_until_the_server_appears() {
    // Find a free port, then start the client before anything listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let looper = EventLoopThread::spawn("retry-loop").unwrap();
    let (tx, rx) = mpsc::channel();
    let opts = ClientOptions {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(80),
        ..Default::default()
    };
    let client = TcpClient::connect(looper.handle(), addr, opts, move || Collect(tx.clone()));
    assert!(
        wait_until(Duration::from_secs(5), || client.last_error().is_some()),
        "first attempt should fail"
    );
    assert_eq!(client.state(), ClientState::Connecting);
    let server = TcpServer::builder(addr).loopers(1).start(|| Echo).unwrap();
    let conn = client
        .wait_connected(IO_TIMEOUT)
        .expect("connected after retries");
    conn.send(&b"late"[..]);
    assert_eq!(recv_n(&rx, 4), b"late");
    drop(server);
}

#[test]
fn connect_gives_up_after_max_attempts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let looper = EventLoopThread::spawn("giveup-loop").unwrap();
    let opts = ClientOptions {
        initial_backoff: Duration::from_millis(5),
        max_attempts: Some(3),
        ..Default::default()
    };
    let client = TcpClient::connect(
        looper.handle(),
        format!("127.0.0.1:{port}").parse().unwrap(),
        opts,
        || Echo,
    );
    assert!(client.wait_connected(IO_TIMEOUT).is_none());
    assert_eq!(client.state(), ClientState::Disconnected);
    assert!(client.last_error().is_some());
}

#[test]
fn reconnect_after_the_server_closes_the_connection() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    let looper = EventLoopThread::spawn("reconnect-loop").unwrap();
    let (tx, rx) = mpsc::channel();
    let opts = ClientOptions {
        reconnect: true,
        initial_backoff: Duration::from_millis(10),
        ..Default::default()
    };
    let client = TcpClient::connect(looper.handle(), server.local_addr(), opts, move || {
        Collect(tx.clone())
    });
    let first = client.wait_connected(IO_TIMEOUT).unwrap();
    // The server kills every connection it has; the client must come back by itself.
    for h in server.loop_handles() {
        h.queue_in_loop(|el| {
            el.close_all_and_quit(std::time::Instant::now() + Duration::from_secs(60))
        });
    }
    drop(server);
    let server2_port = client.addr();
    let _server2 = TcpServer::builder(server2_port)
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    assert!(wait_until(Duration::from_secs(10), || client
        .connection()
        .is_some_and(|c| c.id() != first.id())));
    let second = client.connection().unwrap();
    second.send(&b"back"[..]);
    assert_eq!(recv_n(&rx, 4), b"back");
}
