//! WRITABLE interest is registered only while output is pending (Muduo's `enableWriting` /
//! `disableWriting`), checked from the kernel's side: `/proc/self/fdinfo` of every epoll
//! instance lists each registered fd with its event mask.
//!
//! One test in its own file (its own process), so no other test's sockets are registered.
#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::*;
use kvs_reactor::{Conn, Handler, TcpServer};

const EPOLLOUT: u64 = 0x4;

/// How many fds, over all epoll instances in this process, are registered for writability.
fn fds_registered_for_writing() -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_epoll = std::fs::read_link(entry.path())
            .is_ok_and(|l| l.to_string_lossy().contains("eventpoll"));
        if !is_epoll {
            continue;
        }
        let info = format!("/proc/self/fdinfo/{}", entry.file_name().to_string_lossy());
        let Ok(text) = std::fs::read_to_string(info) else {
            continue;
        };
        // Lines look like: "tfd:        9 events: 80002005 data: ...  pos:0 ino:... sdev:..."
        for line in text.lines().filter(|l| l.starts_with("tfd:")) {
            let mask = line
                .split_whitespace()
                .skip_while(|w| *w != "events:")
                .nth(1)
                .and_then(|m| u64::from_str_radix(m, 16).ok())
                .expect("an events mask");
            if mask & EPOLLOUT != 0 {
                n += 1;
            }
        }
    }
    n
}

/// On any input, sends 16 MiB: far more than the socket buffers take while the client does not
/// read.
struct Burst;

impl Handler for Burst {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        input.clear();
        conn.send(&vec![9u8; 16 << 20]);
    }
}

#[test]
fn writable_interest_is_registered_only_while_output_is_pending() {
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| Burst)
        .unwrap();
    let mut client = connect(server.local_addr());
    write_all(&mut client, b"x");
    // The client reads nothing yet, so output is pending: exactly one fd registered for
    // writing. (This also shows the probe sees the loop's epoll, so the "0" below means
    // something.)
    assert!(wait_until(Duration::from_secs(10), || {
        fds_registered_for_writing() == 1
    }));
    let got = read_exact(&mut client, 16 << 20);
    assert!(got.iter().all(|b| *b == 9));
    assert!(
        wait_until(Duration::from_secs(10), || fds_registered_for_writing()
            == 0),
        "WRITABLE interest left registered after the output drained"
    );
    // And again: a second burst registers it again, and draining removes it again.
    write_all(&mut client, b"y");
    assert!(wait_until(Duration::from_secs(10), || {
        fds_registered_for_writing() == 1
    }));
    read_exact(&mut client, 16 << 20);
    assert!(wait_until(Duration::from_secs(10), || {
        fds_registered_for_writing() == 0
    }));
    server.shutdown(Duration::from_secs(2));
}
