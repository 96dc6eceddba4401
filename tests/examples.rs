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

impl Example {
    /// Waits up to `limit` for the example to exit by itself, and returns its exit status.
    fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "example did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs an example that exits by itself (not a server) and returns its stdout.
fn run_to_end(name: &str, args: &[&str]) -> String {
    let child = Command::new(example_path(name))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start example {name}: {e} (built by `cargo test`?)"));
    let mut run = Example {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let status = run.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "example {name} failed: {status}");
    let mut out = String::new();
    run.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn line_server_example_frames_lines_and_quits() {
    let server = start("line_server", "unused");
    let mut c = BufReader::new(connect(server.addr));
    // A line split across two writes is still one line; "\r\n" endings work too.
    c.get_mut()
        .write_all(b"PING\r\nECHO hello world\nCO")
        .unwrap();
    assert_eq!(read_line(&mut c), "PONG\n");
    assert_eq!(read_line(&mut c), "hello world\n");
    c.get_mut().write_all(b"UNT\nNOPE\nQUIT\nPING\n").unwrap();
    assert_eq!(read_line(&mut c), "3\n");
    assert_eq!(read_line(&mut c), "ERR unknown command\n");
    assert_eq!(read_line(&mut c), "BYE\n");
    // QUIT half-closed the connection: nothing more, not even for the PING after it.
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");

    let mut long = connect(server.addr);
    long.write_all(&[b'a'; 5000]).unwrap();
    let mut reply = String::new();
    long.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "ERR line too long\n");
}

#[test]
fn jobs_example_replies_across_threads_ticks_pushes_back_and_stops() {
    let mut server = start("jobs", "unused");
    let mut c = BufReader::new(connect(server.addr));
    // Cross-thread: the sum is computed on the worker thread and posted back to the loop.
    c.get_mut().write_all(b"sum 1 2 3\n").unwrap();
    assert_eq!(read_line(&mut c), "= 6\n");

    // A repeating timer, then cancelled: after the "ok" to `every 0` no tick can come.
    c.get_mut().write_all(b"every 20\n").unwrap();
    assert_eq!(read_line(&mut c), "ok\n");
    for _ in 0..3 {
        assert_eq!(read_line(&mut c), "tick\n");
    }
    c.get_mut().write_all(b"every 0\n").unwrap();
    while read_line(&mut c) != "ok\n" {}
    c.get_mut().write_all(b"stats\n").unwrap();
    assert_eq!(read_line(&mut c), "answered 1 paused 0\n");

    // Backpressure: 32 MiB the client does not read for a while is more than the socket
    // buffers hold, so the output passes the high-water mark and the server stops reading; the
    // `sum` behind it is answered once the client has read the blob.
    let blob = 32 << 20;
    c.get_mut()
        .write_all(format!("blob {blob}\nsum 4 5\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut got = vec![0u8; blob + 1];
    c.read_exact(&mut got).unwrap();
    assert!(got[..blob].iter().all(|&b| b == b'x') && got[blob] == b'\n');
    assert_eq!(read_line(&mut c), "= 9\n");
    c.get_mut().write_all(b"stats\n").unwrap();
    let stats = read_line(&mut c);
    let paused: u64 = stats
        .strip_prefix("answered 2 paused ")
        .and_then(|n| n.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("unexpected stats line {stats:?}"));
    assert!(paused >= 1, "{stats}");

    // Shutdown: the server flushes, half-closes our connection, and exits once we close.
    c.get_mut().write_all(b"stop\n").unwrap();
    assert_eq!(read_line(&mut c), "stopping\n");
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    drop(c);
    let status = server.wait_exit(Duration::from_secs(20));
    assert!(status.success(), "{status}");
}

#[test]
fn embedded_store_example_persists_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let expected = |visits: u32| {
        format!(
            "greeting = Some(\"hello\")\ngreeting removed\nvisits = {visits}\n\
             session = abc, expires later: true\n"
        )
    };
    assert_eq!(run_to_end("embedded_store", &[data]), expected(1));
    assert_eq!(run_to_end("embedded_store", &[data]), expected(2));
}

/// Every Rust snippet in docs/embedding.md is quoted from a compiled example: each ```rust block
/// follows a `<!-- quote: examples/NAME.rs -->` line and appears verbatim in that file, so the
/// guide cannot drift from code that `cargo test` builds and the tests above run.
#[test]
fn embedding_guide_quotes_compiled_examples() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let guide = std::fs::read_to_string(root.join("docs/embedding.md")).unwrap();
    let lines: Vec<&str> = guide.lines().collect();
    let mut blocks = 0;
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start().starts_with("```rust") {
            let source = i
                .checked_sub(1)
                .and_then(|p| lines[p].trim().strip_prefix("<!-- quote: "))
                .and_then(|r| r.strip_suffix(" -->"))
                .unwrap_or_else(|| {
                    panic!(
                        "docs/embedding.md:{}: a rust block must follow <!-- quote: FILE -->",
                        i + 1
                    )
                });
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_start().starts_with("```"))
                .expect("unterminated code block");
            let snippet = lines[i + 1..end].join("\n");
            let file = std::fs::read_to_string(root.join(source))
                .unwrap_or_else(|e| panic!("docs/embedding.md:{}: {source}: {e}", i + 1));
            assert!(
                file.contains(&snippet),
                "docs/embedding.md:{}: the block is not a verbatim quote of {source}",
                i + 1
            );
            blocks += 1;
            i = end;
        }
        i += 1;
    }
    assert!(blocks >= 5, "only {blocks} quoted blocks found");
}
