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
