//! The connection limit: refused connections get the reject hook's words and are closed.

mod common;

use std::time::Duration;

use common::*;
use kvs_reactor::TcpServer;

#[test]
fn connections_over_the_limit_are_told_and_closed() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(2)
        .max_connections(Some(3))
        .on_reject(|w| {
            let _ = w.write_all(b"-ERR max number of clients reached\r\n");
        })
        .start(|| Echo)
        .unwrap();
    let addr = server.local_addr();
    let mut kept: Vec<_> = (0..3).map(|_| connect(addr)).collect();
    for c in &mut kept {
        write_all(c, b"ok");
        assert_eq!(read_exact(c, 2), b"ok");
    }
    for _ in 0..5 {
        let mut extra = connect(addr);
        assert_eq!(
            read_to_eof(&mut extra),
            b"-ERR max number of clients reached\r\n"
        );
    }
    assert_eq!(server.metrics().rejected, 5);
    assert_eq!(server.active_connections(), 3);
    // Closing one frees a place.
    drop(kept.pop());
    assert!(wait_until(Duration::from_secs(5), || server
        .active_connections()
        == 2));
    let mut again = connect(addr);
    write_all(&mut again, b"in");
    assert_eq!(read_exact(&mut again, 2), b"in");
}

#[test]
fn ipv6_loopback_works_when_available() {
    // Some sandboxes have no IPv6; then there is nothing to test.
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        return;
    }
    let server = TcpServer::builder("[::1]:0")
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    assert!(server.local_addr().is_ipv6());
    let mut c = connect(server.local_addr());
    write_all(&mut c, b"v6");
    assert_eq!(read_exact(&mut c, 2), b"v6");
}

#[test]
fn the_limit_can_be_raised_and_lowered_while_the_server_runs() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .max_connections(Some(1))
        .on_reject(|w| {
            let _ = w.write_all(b"full\r\n");
        })
        .start(|| Echo)
        .unwrap();
    let addr = server.local_addr();
    let limit = server.connection_limit();
    assert_eq!(limit.get(), Some(1));
    let mut first = connect(addr);
    write_all(&mut first, b"1");
    assert_eq!(read_exact(&mut first, 1), b"1");
    assert_eq!(read_to_eof(&mut connect(addr)), b"full\r\n");
    // Raised: the next connection gets in.
    limit.set(Some(2));
    let mut second = connect(addr);
    write_all(&mut second, b"2");
    assert_eq!(read_exact(&mut second, 1), b"2");
    // Lowered below what is open: nothing open is closed, new connections are refused.
    limit.set(Some(1));
    assert_eq!(read_to_eof(&mut connect(addr)), b"full\r\n");
    write_all(&mut first, b"still");
    assert_eq!(read_exact(&mut first, 5), b"still");
    // Unlimited.
    limit.set(None);
    let mut third = connect(addr);
    write_all(&mut third, b"3");
    assert_eq!(read_exact(&mut third, 1), b"3");
    assert_eq!(server.metrics().rejected, 2);
}
