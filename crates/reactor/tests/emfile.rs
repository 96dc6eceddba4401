//! Running out of file descriptors: the acceptor sheds connections it cannot hold (Muduo's
//! spare-descriptor trick) instead of spinning or stalling, and recovers when descriptors free up.
//!
//! The server runs in a child process (this test binary re-executed) with a small
//! `RLIMIT_NOFILE`, so the limit does not touch the test harness.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use kvs_reactor::TcpServer;

const CHILD_ENV: &str = "KVS_REACTOR_EMFILE_CHILD";
const FD_LIMIT: u64 = 48;

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// The child: lower the descriptor limit, serve echo, report CPU use on request, exit when stdin
/// closes.
fn child() {
    let lim = libc::rlimit {
        rlim_cur: FD_LIMIT,
        rlim_max: FD_LIMIT,
    };
    // SAFETY: plain syscall with a valid struct.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .start(|| Echo)
        .unwrap();
    println!("port {}", server.local_addr().port());
    for line in std::io::stdin().lines() {
        let Ok(line) = line else { break };
        if line == "cpu" {
            println!("cpu {}", cpu_seconds());
        }
    }
}

#[test]
fn accept_survives_descriptor_exhaustion() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child();
        return;
    }
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "accept_survives_descriptor_exhaustion",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the child whatever happens below.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut stdin = proc.stdin.take().unwrap();
    let mut out = BufReader::new(proc.stdout.take().unwrap());
    let _reap = Reap(proc);
    let mut ask = |what: &str| -> String {
        use std::io::Write;
        if !what.is_empty() {
            writeln!(stdin, "{what}").unwrap();
        }
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "child exited");
            // The harness may print "test NAME ... " on the same line before the child's output.
            let key = format!("{} ", if what.is_empty() { "port" } else { what });
            if let Some((_, rest)) = line.trim().split_once(&key) {
                return rest.to_string();
            }
        }
    };
    let port: u16 = ask("").parse().unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    // Far more connections than the child has descriptors for.
    let mut conns: Vec<_> = (0..3 * FD_LIMIT).map(|_| connect(addr)).collect();
    let (mut served, mut shed) = (0, 0);
    for c in &mut conns {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write_all(c, b"?");
        let mut b = [0u8; 1];
        match c.read(&mut b) {
            Ok(1) => served += 1,
            Ok(_) | Err(_) => shed += 1,
        }
    }
    assert!(served > 0 && served < FD_LIMIT as usize, "served {served}");
    assert!(shed > 0, "nothing was shed");

    // While the limit is hit, the acceptor must not burn CPU.
    let before: f64 = ask("cpu").parse().unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let after: f64 = ask("cpu").parse().unwrap();
    assert!(
        after - before < 0.5,
        "acceptor spins: {:.2}s CPU in 1s",
        after - before
    );

    // Free the descriptors: new connections are served again.
    drop(conns);
    assert!(wait_until(Duration::from_secs(10), || {
        let mut c = connect(addr);
        c.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        write_all(&mut c, b"!");
        let mut b = [0u8; 1];
        matches!(c.read(&mut b), Ok(1))
    }));
}
