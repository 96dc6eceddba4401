//! End-to-end: the example servers, run as the user would run them (their binaries, which
//! `cargo test` builds), driven by plain TCP clients.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running example; killed and reaped when dropped, also when a test fails.
struct Example {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn example_path(name: &str) -> PathBuf {
    // target/<profile>/deps/examples-HASH -> target/<profile>/examples/NAME
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name)
}

/// Starts an example on a free loopback port and reads the address it reports on stderr.
fn start(name: &str, second_arg: &str) -> Example {
    let mut child = Command::new(example_path(name))
        .args(["127.0.0.1:0", second_arg])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e} (built by `cargo test`?)"));
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // The first line that names a socket address is the one reporting where it listens.
    let addr = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "example {name} exited without reporting its address"
        );
        if let Some(a) = line
            .split_whitespace()
            .find_map(|w| w.trim_end_matches([';', ',']).parse().ok())
        {
            break a;
        }
    };
    // Keep draining stderr so the example never blocks on a full pipe.
    std::thread::spawn(move || for _ in stderr.lines() {});
    Example { child, addr }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s
}

#[test]
fn echo_example_echoes_and_half_closes() {
    let server = start("echo", "2");
    let mut c = connect(server.addr);
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 241) as u8).collect();
    let mut w = c.try_clone().unwrap();
    let p2 = payload.clone();
    let writer = std::thread::spawn(move || {
        w.write_all(&p2).unwrap();
        w.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut got = Vec::new();
    c.read_to_end(&mut got).unwrap();
    writer.join().unwrap();
    assert_eq!(got, payload);
}

fn read_line(m: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    m.read_line(&mut line).unwrap();
    assert!(!line.is_empty(), "connection closed");
    line
}

#[test]
fn chat_example_broadcasts_across_loopers() {
    let server = start("chat", "2");
    // Three members; with two loopers, round robin puts them on different loops.
    let mut members: Vec<BufReader<TcpStream>> = Vec::new();
    for i in 0..3 {
        let mut m = BufReader::new(connect(server.addr));
        // Registration is asynchronous: a member is in the room once it hears its own line.
        writeln!(m.get_mut(), "joined {i}").unwrap();
        while !read_line(&mut m).ends_with(&format!(": joined {i}\n")) {}
        members.push(m);
    }
    writeln!(members[2].get_mut(), "hello from 2").unwrap();
    for m in &mut members {
        // Earlier members may first hear later members' "joined" lines.
        while !read_line(m).ends_with(": hello from 2\n") {}
    }
}

#[test]
fn kv_server_example_answers_in_order_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |lines: &[u8]| {
        let server = start("kv_server", data.to_str().unwrap());
        let mut c = BufReader::new(connect(server.addr));
        c.get_mut().write_all(lines).unwrap();
        let n = lines.iter().filter(|&&b| b == b'\n').count();
        (0..n).map(|_| read_line(&mut c)).collect::<Vec<_>>()
    };
    let replies = run(b"SET a 1\nGET a\nSET b two words\nDEL a\nGET a\nDEL a\nNOPE\n");
    assert_eq!(
        replies,
        [
            "OK\n",
            "1\n",
            "OK\n",
            "1\n",
            "(nil)\n",
            "0\n",
            "ERR use SET key value | GET key | DEL key\n"
        ]
    );
    // A second run of the example on the same directory sees the data.
    assert_eq!(run(b"GET b\n"), ["two words\n"]);
}
