//! The real `kvs-server` binary as a child process, for tests that need what an in-process
//! server cannot give: flags as a user passes them, signals, a SIGKILL that leaves nothing
//! behind but the files, and start-up failures. Every child is killed and reaped on drop, also
//! when a test fails.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use super::strip_ansi;

/// How long a start may take before the test gives up (a debug build on a busy 2-core box
/// starts in well under a second; this only bounds a hang).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A kvs-server process, killed (SIGKILL) and reaped on drop, also when a test fails.
pub struct ServerProc {
    pub child: Child,
    pub addr: SocketAddr,
    /// stderr up to and including the "ready" line, ANSI colours stripped.
    pub log: Vec<String>,
    /// Every stderr line so far, start-up and after, ANSI colours stripped (the reader thread
    /// keeps filling it while the server runs).
    pub all_log: Arc<Mutex<Vec<String>>>,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProc {
    /// SIGKILL (what `Child::kill` sends on unix): the process gets no chance to flush
    /// anything, as in a crash. Returns once it is reaped.
    pub fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL kvs-server");
        self.child.wait().expect("reap kvs-server");
    }

    /// Whether any stderr line so far contains `needle`.
    pub fn log_contains(&self, needle: &str) -> bool {
        self.all_log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|l| l.contains(needle))
    }
}

/// Starts `kvs-server --addr 127.0.0.1:0 --dir DIR EXTRA...` and waits (at most
/// [`START_TIMEOUT`]) for its "ready" line, which carries the bound address.
pub fn start_server(dir: &Path, extra: &[&str]) -> ServerProc {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvs-server"))
        .args(["--addr", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .args(extra)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kvs-server");
    let stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));
    // From here on a panic kills the child (Drop).
    let mut server = ServerProc {
        child,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        log: Vec::new(),
        all_log: Arc::default(),
    };
    // A thread reads stderr so the wait below can time out, and keeps draining it afterwards
    // so the server never blocks on a full pipe.
    let (tx, rx) = mpsc::channel();
    let all = Arc::clone(&server.all_log);
    std::thread::spawn(move || {
        for line in stderr.lines() {
            let Ok(line) = line else { break };
            all.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(strip_ansi(&line));
            let _ = tx.send(line); // nobody listens after start-up: the error is expected
        }
    });
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match rx.recv_timeout(left) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!(
                    "kvs-server not ready after {START_TIMEOUT:?}: {:?}",
                    server.log
                )
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("kvs-server exited during start-up: {:?}", server.log)
            }
        };
        let clean = strip_ansi(&line);
        server.log.push(clean.clone());
        if clean.contains("kvs-server ready") {
            let addr = clean
                .split_whitespace()
                .find_map(|w| w.strip_prefix("addr="))
                .expect("addr in the ready line");
            server.addr = addr.parse().expect("addr parses");
            return server;
        }
    }
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
