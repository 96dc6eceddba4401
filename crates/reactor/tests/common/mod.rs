//! Helpers shared by the reactor's integration tests: plain std clients with timeouts, so a
//! broken reactor fails a test instead of hanging it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use kvs_reactor::{Conn, Handler};

pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends everything back.
pub struct Echo;

impl Handler for Echo {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        conn.send(&input.split());
    }
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

pub fn read_exact(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("read_exact");
    buf
}

/// Reads until EOF (the server closed or shut down its side).
pub fn read_to_eof(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read_to_end");
    out
}

pub fn write_all(s: &mut TcpStream, data: &[u8]) {
    s.write_all(data).expect("write_all");
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Names of this process's threads (from /proc), to check that a server leaves none behind.
pub fn thread_names() -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for entry in dir.flatten() {
            if let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) {
                names.push(comm.trim().to_string());
            }
        }
    }
    names
}
