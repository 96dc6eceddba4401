//! Shared helpers for the server's integration tests: an in-process server in a temporary
//! directory, a client with bounded reads, and a raw socket for byte-exact checks.
//!
//! Every expected reply in these tests is what Redis 7 sends for the same request; they are
//! hard-coded so the tests need nothing but Rust to run.
#![allow(dead_code)]

pub mod hashes;
pub mod server_proc;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use kvs_server::resp_client::{Client, Reply, encode_command};
use kvs_server::{Config, KvServer};
use kvs_storage::FsyncPolicy;
use tempfile::TempDir;

/// Every read and write of a test connection gives up after this long, so a missing reply
/// fails the test instead of hanging it.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// Starts a server on 127.0.0.1:0 in a fresh temporary directory.
pub fn start() -> (KvServer, SocketAddr, TempDir) {
    start_with(|_| {})
}

/// Like [`start`], after letting `tweak` adjust the configuration (requirepass, maxclients...).
pub fn start_with(tweak: impl FnOnce(&mut Config)) -> (KvServer, SocketAddr, TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: dir.path().to_path_buf(),
        fsync: FsyncPolicy::No,
        compaction_interval: None,
        ..Config::default()
    };
    tweak(&mut config);
    let server = KvServer::start(config).expect("server starts");
    let addr = server.local_addr();
    (server, addr, dir)
}

/// Starts a server on 127.0.0.1:0 with its data in `dir` and the default durability: what a
/// test that restarts the server on the same directory starts each time.
pub fn start_in(dir: &std::path::Path) -> KvServer {
    KvServer::start(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: dir.to_path_buf(),
        ..Config::default()
    })
    .expect("server starts")
}

/// A client with [`IO_TIMEOUT`] on every read and write.
pub fn connect(addr: SocketAddr) -> Client {
    Client::connect(addr, IO_TIMEOUT).expect("connect")
}

/// Sends one command and returns its reply; panics on I/O errors (a timeout included).
pub fn cmd(c: &mut Client, args: &[&str]) -> Reply {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    c.cmd(&args).unwrap_or_else(|e| {
        panic!(
            "{args:?}: {e}",
            args = args
                .iter()
                .map(|a| String::from_utf8_lossy(a))
                .collect::<Vec<_>>()
        )
    })
}

/// [`cmd`] with binary arguments.
pub fn cmd_b(c: &mut Client, args: &[&[u8]]) -> Reply {
    c.cmd(args).unwrap_or_else(|e| panic!("{e}"))
}

/// `+OK`
pub fn ok() -> Reply {
    Reply::Simple("OK".into())
}

/// `+<s>`
pub fn simple(s: &str) -> Reply {
    Reply::Simple(s.into())
}

/// `-<s>`: the whole error line without the dash, e.g. `ERR syntax error`.
pub fn err(s: &str) -> Reply {
    Reply::Error(s.into())
}

/// `:<n>`
pub fn int(n: i64) -> Reply {
    Reply::Int(n)
}

/// `$<len>\r\n<s>\r\n`
pub fn bulk(s: &str) -> Reply {
    Reply::Bulk(Some(s.as_bytes().to_vec()))
}

/// `$<len>\r\n<b>\r\n`
pub fn bulk_b(b: &[u8]) -> Reply {
    Reply::Bulk(Some(b.to_vec()))
}

/// RESP2's null bulk, `$-1`.
pub fn nil() -> Reply {
    Reply::Bulk(None)
}

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> Reply {
    Reply::Array(Some(items.iter().map(|s| bulk(s)).collect()))
}

/// The text of a bulk or simple string reply.
pub fn text(r: &Reply) -> String {
    match r.as_bytes() {
        Some(b) => String::from_utf8_lossy(b).into_owned(),
        None => panic!("not a string reply: {r:?}"),
    }
}

/// The items of an array reply.
pub fn items(r: Reply) -> Vec<Reply> {
    match r {
        Reply::Array(Some(v)) => v,
        other => panic!("not an array reply: {other:?}"),
    }
}

/// The integer of an integer reply.
pub fn int_of(r: &Reply) -> i64 {
    match r {
        Reply::Int(n) => *n,
        other => panic!("not an integer reply: {other:?}"),
    }
}

/// The strings of an array of bulk strings, sorted.
pub fn sorted_strings(r: Reply) -> Vec<String> {
    let mut v: Vec<String> = items(r).iter().map(text).collect();
    v.sort();
    v
}

/// Polls `f` every 10 ms until it returns true or `within` passes; returns the last result.
pub fn eventually(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A plain socket for byte-exact protocol checks: what goes out is exactly what the test
/// wrote, and replies are compared byte for byte.
pub struct Raw {
    pub stream: TcpStream,
}

impl Raw {
    /// Connects with [`IO_TIMEOUT`] on reads and writes.
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw { stream }
    }

    /// Writes `bytes` in one `write_all`.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends a command as a RESP multibulk.
    pub fn send_cmd(&mut self, args: &[&str]) {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.send(&encode_command(&args));
    }

    /// Reads exactly `expected.len()` bytes and asserts they are `expected`.
    #[track_caller]
    pub fn expect(&mut self, expected: &[u8]) {
        let mut got = vec![0u8; expected.len()];
        let mut n = 0;
        while n < got.len() {
            match self.stream.read(&mut got[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => panic!(
                    "reading {:?}: got {:?} then {e}",
                    String::from_utf8_lossy(expected),
                    String::from_utf8_lossy(&got[..n])
                ),
            }
        }
        assert_eq!(
            String::from_utf8_lossy(&got[..n]),
            String::from_utf8_lossy(expected)
        );
    }

    /// Sends `request` and asserts the reply is exactly `expected`.
    #[track_caller]
    pub fn roundtrip(&mut self, request: &[u8], expected: &[u8]) {
        self.send(request);
        self.expect(expected);
    }

    /// Reads until `done(received so far)` is true; panics on close or [`IO_TIMEOUT`].
    #[track_caller]
    pub fn read_until(&mut self, mut done: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        while !done(&out) {
            match self.stream.read(&mut buf) {
                Ok(0) => panic!(
                    "connection closed after {:?}",
                    String::from_utf8_lossy(&out)
                ),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("after {:?}: {e}", String::from_utf8_lossy(&out)),
            }
        }
        out
    }

    /// Reads until the server closes the connection; returns what came before the close.
    /// Panics if the connection is still open after [`IO_TIMEOUT`].
    #[track_caller]
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // A reset after the reply also means the server closed.
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return out,
                Err(e) => panic!(
                    "connection still open (got {:?}): {e}",
                    String::from_utf8_lossy(&out)
                ),
            }
        }
    }

    /// Asserts nothing arrives within `wait` (the connection stays open and silent).
    #[track_caller]
    pub fn expect_silence(&mut self, wait: Duration) {
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 256];
        let r = self.stream.read(&mut buf);
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        match r {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Ok(0) => panic!("connection closed, expected it to stay open"),
            Ok(n) => panic!("unexpected bytes {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) => panic!("read error {e}"),
        }
    }
}

/// `s` without ANSI escape sequences (the colours of a server's log lines).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
