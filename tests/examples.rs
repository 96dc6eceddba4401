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
fn start(name: &str, loopers: &str) -> Example {
    let mut child = Command::new(example_path(name))
        .args(["127.0.0.1:0", loopers])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e} (built by `cargo test`?)"));
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.trim_end_matches([';', ',']).parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
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
