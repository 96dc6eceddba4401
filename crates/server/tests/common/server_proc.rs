//! `kvs-server` as a child process, as a user runs it: started and waited for, or expected to
//! fail at start-up. Every child is killed and reaped on drop, also when a test fails.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::strip_ansi;

/// A kvs-server process, killed and reaped on drop (also when a test fails).
pub struct ServerProc {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: Vec<String>,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kvs-server --addr 127.0.0.1:0 --dir DIR EXTRA...` and waits for its ready line.
pub fn start_server(dir: &Path, extra: &[&str]) -> ServerProc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvs-server"))
        .args(["--addr", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .args(extra)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut log = Vec::new();
    let addr = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("kvs-server exited during start-up: {log:?}");
        }
        let clean = strip_ansi(&line);
        log.push(clean.clone());
        if clean.contains("kvs-server ready") {
            let addr = clean
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .expect("addr in log");
            break addr.parse().unwrap();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in stderr.lines() {});
    ServerProc { child, addr, log }
}

/// Waits up to `timeout` for `child` to exit.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// How a kvs-server that should not have started ended.
pub struct StartFailure {
    pub status: ExitStatus,
    /// Its whole stderr, without colours.
    pub stderr: String,
}

/// A child killed and reaped on drop, so a server that unexpectedly starts never outlives
/// the test.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `kvs-server ARGS...` (after `tweak` adjusts the command, e.g. to drop privileges) and
/// expects it to exit within `timeout`; panics, with what it printed, if it is still running
/// then (it is killed).
pub fn run_failing(
    args: &[&str],
    timeout: Duration,
    tweak: impl FnOnce(&mut Command),
) -> StartFailure {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvs-server"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    tweak(&mut cmd);
    let mut child = Reaped(cmd.spawn().expect("spawn kvs-server"));
    let mut pipe = child.0.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let status = wait_exit(&mut child.0, timeout);
    drop(child); // kills it if it is still running, which also ends the reader
    let stderr = strip_ansi(&reader.join().expect("stderr reader"));
    match status {
        Some(status) => StartFailure { status, stderr },
        None => panic!("kvs-server {args:?} still running after {timeout:?}; stderr:\n{stderr}"),
    }
}
