//! Abuse at the network edge (issue 7, part 5): many connections, `maxclients`, idle and
//! slowloris clients, a declared gigabyte bulk, a client that never reads its replies, and
//! `requirepass`. Each test bounds its own time; the servers whose memory is measured run as
//! `kvs-server` child processes (killed on drop, also when a test fails) so their RSS is theirs
//! alone. The tests of this file take a lock and run one at a time: the many-connections test
//! uses most of the process's descriptors, and RSS figures are meaningless with a neighbour
//! hammering the machine.
//!
//! Figures are printed with `eprintln!` (run with `--nocapture` to see them); the only
//! assertions on time are generous liveness bounds, never performance.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use common::{IO_TIMEOUT, Raw, cmd, connect, err, ok, server_proc, simple};
use kvs_server::resp_client::{Client, Reply, encode_command};
use tempfile::TempDir;

/// One test at a time (see the module comment).
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A `kvs-server` child (`--fsync no`) in a fresh directory of its own, killed and reaped on
/// drop (also when a test fails) before the directory goes.
struct ServerProc {
    proc: server_proc::ServerProc,
    addr: SocketAddr,
    _dir: TempDir,
}

impl ServerProc {
    /// Starts `kvs-server` with `extra` flags and waits for its "ready" line.
    fn start(extra: &[&str]) -> ServerProc {
        let dir = tempfile::tempdir().expect("tempdir");
        let args: Vec<&str> = ["--fsync", "no"].iter().chain(extra).copied().collect();
        let proc = server_proc::start_server(dir.path(), &args);
        ServerProc {
            addr: proc.addr,
            proc,
            _dir: dir,
        }
    }

    fn pid(&self) -> u32 {
        self.proc.child.id()
    }

    /// A `/proc/<pid>/status` field in KiB (`VmRSS`: resident now; `VmHWM`: peak resident).
    fn status_kib(&self, field: &str) -> u64 {
        status_kib(self.pid(), field)
    }

    fn log_contains(&self, needle: &str) -> bool {
        self.proc.log_contains(needle)
    }
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `connected_clients` from INFO clients.
fn connected_clients(c: &mut Client) -> u64 {
    let info = common::text(&cmd(c, &["INFO", "clients"]));
    info.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("connected_clients in INFO")
}

const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";

/// Raises this process's soft RLIMIT_NOFILE to its hard limit and returns the soft limit.
fn raise_own_fd_limit() -> u64 {
    kvs_reactor::raise_open_files_limit(u64::MAX)
}

/// Descriptors this process has open now.
fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
}

#[test]
fn ten_thousand_connections_each_get_pong() {
    let _serial = serial();
    let limit = raise_own_fd_limit();
    // Leave room for what the test harness and this process already hold.
    let target = 10_000u64.min(limit.saturating_sub(open_fds() + 64)) as usize;
    let server = ServerProc::start(&[]); // default maxclients: 10 000
    let started = Instant::now();
    let mut conns = Vec::with_capacity(target);
    let mut connect_error = None;
    while conns.len() < target {
        match TcpStream::connect(server.addr) {
            Ok(s) => conns.push(s),
            Err(e) => {
                connect_error = Some(e);
                break;
            }
        }
    }
    let connect_time = started.elapsed();
    // Every connection asks, then every connection reads its answer.
    for s in &mut conns {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
        s.write_all(PING).expect("PING");
    }
    let mut answered = 0usize;
    for s in &mut conns {
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).expect("PONG");
        assert_eq!(&buf, b"+PONG\r\n");
        answered += 1;
    }
    let rss = server.status_kib("VmRSS");
    let hwm = server.status_kib("VmHWM");
    eprintln!(
        "many connections: fd limit {limit}, target {target}, opened {} (stopped by {connect_error:?}), \
         answered {answered}, connect {connect_time:?}, all answered after {:?}, server RSS {} MiB (peak {} MiB)",
        conns.len(),
        started.elapsed(),
        rss / 1024,
        hwm / 1024
    );
    assert_eq!(
        conns.len(),
        target,
        "could not open every connection: {connect_error:?}"
    );
    assert_eq!(answered, target);
    drop(conns);
    // Every slot is given back: a new client is served and counted alone.
    let mut c = connect(server.addr);
    assert!(
        common::eventually(Duration::from_secs(20), || connected_clients(&mut c) == 1),
        "connections not released: {} still counted",
        connected_clients(&mut c)
    );
}

#[test]
fn maxclients_exceeded_gets_the_redis_error_and_is_closed() {
    let _serial = serial();
    let server = ServerProc::start(&["--maxclients", "3"]);
    let mut clients: Vec<Raw> = (0..3).map(|_| Raw::connect(server.addr)).collect();
    for c in &mut clients {
        c.roundtrip(PING, b"+PONG\r\n");
    }
    let mut extra = Raw::connect(server.addr);
    assert_eq!(
        extra.read_to_close(),
        b"-ERR max number of clients reached\r\n"
    );
    // The others are unaffected.
    for c in &mut clients {
        c.roundtrip(PING, b"+PONG\r\n");
    }
    // A freed place is taken by the next client.
    drop(clients.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = Raw::connect(server.addr);
        c.send(PING);
        let mut got = [0u8; 7];
        if c.stream.read_exact(&mut got).is_ok() && &got == b"+PONG\r\n" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed place was never reused"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn config_set_maxclients_raises_and_lowers_the_limit_at_run_time() {
    let _serial = serial();
    let server = ServerProc::start(&["--maxclients", "2"]);
    let mut admin = Raw::connect(server.addr);
    admin.roundtrip(PING, b"+PONG\r\n");
    let mut second = Raw::connect(server.addr);
    second.roundtrip(PING, b"+PONG\r\n");
    let full = b"-ERR max number of clients reached\r\n";
    assert_eq!(Raw::connect(server.addr).read_to_close(), full);
    // Above the start-up value: the acceptor lets the next ones in.
    admin.roundtrip(
        b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmaxclients\r\n$1\r\n4\r\n",
        b"+OK\r\n",
    );
    let mut more: Vec<Raw> = (0..2).map(|_| Raw::connect(server.addr)).collect();
    for c in &mut more {
        c.roundtrip(PING, b"+PONG\r\n");
    }
    assert_eq!(Raw::connect(server.addr).read_to_close(), full);
    // Lowered: nobody is disconnected, newcomers are refused.
    admin.roundtrip(
        b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmaxclients\r\n$1\r\n1\r\n",
        b"+OK\r\n",
    );
    assert_eq!(Raw::connect(server.addr).read_to_close(), full);
    for c in more.iter_mut().chain([&mut second]) {
        c.roundtrip(PING, b"+PONG\r\n");
    }
    // More than the open-file limit can hold: refused with Redis' words, limit unchanged.
    admin.send(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmaxclients\r\n$10\r\n4294967295\r\n");
    let reply = admin.read_until(|b| b.ends_with(b"\r\n"));
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with(
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
             system is not able to handle the specified number of clients, try with "
        ),
        "{text}"
    );
    admin.roundtrip(
        b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmaxclients\r\n",
        b"*2\r\n$10\r\nmaxclients\r\n$1\r\n1\r\n",
    );
}

/// Reads until the server closes the connection or `within` passes; returns when it closed.
fn wait_closed(stream: &mut TcpStream, within: Duration) -> Option<Instant> {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return Some(Instant::now()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Some(Instant::now()), // reset
        }
    }
    None
}

#[test]
fn idle_and_slowloris_clients_are_dropped_after_the_timeout() {
    let _serial = serial();
    let server = ServerProc::start(&["--timeout", "1"]);
    let started = Instant::now();
    let mut idle = TcpStream::connect(server.addr).unwrap();
    // A slowloris: one byte every 100 ms of a SET whose 100 000-byte value never ends.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    let mut slow_writer = slow.try_clone().unwrap();
    let dripper = std::thread::spawn(move || {
        let head = b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$100000\r\n";
        let mut sent = 0usize;
        for &b in head.iter().chain(std::iter::repeat(&b'x')) {
            if slow_writer.write_all(&[b]).is_err() {
                break;
            }
            sent += 1;
            if sent > 200 {
                break; // 20 s: the server never closed it; the test below fails
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        sent
    });
    // A busy client keeps talking the whole time and is never dropped.
    let mut busy = connect(server.addr);
    let busy_thread = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            assert_eq!(cmd(&mut busy, &["PING"]), simple("PONG"));
            std::thread::sleep(Duration::from_millis(200));
        }
        busy
    });
    let idle_closed = wait_closed(&mut idle, Duration::from_secs(15)).expect("idle client kept");
    let slow_closed = wait_closed(&mut slow, Duration::from_secs(15)).expect("slowloris kept");
    let bytes_dripped = dripper.join().unwrap();
    let mut busy = busy_thread
        .join()
        .expect("the busy client was served throughout");
    assert_eq!(cmd(&mut busy, &["PING"]), simple("PONG"));
    let (idle_after, slow_after) = (idle_closed - started, slow_closed - started);
    eprintln!(
        "timeout 1 s: idle client closed after {idle_after:?}, slowloris (1 byte / 100 ms, \
         {bytes_dripped} bytes sent) after {slow_after:?}"
    );
    // Not before the timeout (a correctness bound, not a performance one).
    assert!(idle_after >= Duration::from_millis(900), "{idle_after:?}");
    assert!(slow_after >= Duration::from_millis(900), "{slow_after:?}");
    assert!(
        common::eventually(Duration::from_secs(5), || server
            .log_contains("no complete command within the timeout")),
        "the slowloris was closed by the stalled-command rule"
    );
}

#[test]
fn config_set_timeout_applies_to_connections_already_open() {
    let _serial = serial();
    let (_server, addr, _dir) = common::start();
    let mut idle = TcpStream::connect(addr).unwrap();
    let mut admin = connect(addr);
    // No timeout yet: the idle client stays.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(cmd(&mut admin, &["CONFIG", "SET", "timeout", "1"]), ok());
    let set_at = Instant::now();
    let closed = wait_closed(&mut idle, Duration::from_secs(10))
        .expect("CONFIG SET timeout reached the open idle connection");
    eprintln!(
        "CONFIG SET timeout 1: open idle client closed {:?} later",
        closed - set_at
    );
    // Back to 0 (never): a new idle client stays open. (A new admin connection: the first
    // one has been idle for the timeout too by now.)
    let mut admin = connect(addr);
    assert_eq!(cmd(&mut admin, &["CONFIG", "SET", "timeout", "0"]), ok());
    let mut stays = Raw::connect(addr);
    stays.expect_silence(Duration::from_millis(1500));
    stays.roundtrip(PING, b"+PONG\r\n");
}

/// Server RSS (KiB) after the bytes sent so far had time to arrive.
fn settled_rss(server: &ServerProc) -> u64 {
    std::thread::sleep(Duration::from_millis(300));
    server.status_kib("VmRSS")
}

#[test]
fn a_declared_gigabyte_bulk_is_refused_or_waited_on_without_allocating_it() {
    let _serial = serial();
    let server = ServerProc::start(&[]); // proto-max-bulk-len: 512 MiB, as Redis
    let before = settled_rss(&server);
    // 1 GiB is over proto-max-bulk-len: Redis' exact error, then close.
    let mut gib = Raw::connect(server.addr);
    gib.send(b"*1\r\n$1073741824\r\nabc");
    assert_eq!(
        gib.read_to_close(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    // Just under the limit: accepted and waited on, but only the bytes sent are buffered. Eight
    // such clients would need 4 GiB if the declared sizes were allocated.
    let mut waiting: Vec<Raw> = (0..8)
        .map(|_| {
            let mut c = Raw::connect(server.addr);
            c.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$536870000\r\nabc");
            c
        })
        .collect();
    let after = settled_rss(&server);
    for c in &mut waiting {
        c.expect_silence(Duration::from_millis(50));
    }
    // The server still answers others.
    let mut other = connect(server.addr);
    assert_eq!(cmd(&mut other, &["PING"]), simple("PONG"));
    let peak = server.status_kib("VmHWM");
    eprintln!(
        "declared bulks: RSS {} MiB before, {} MiB with 8 clients each declaring 512 MiB, peak {} MiB",
        before / 1024,
        after / 1024,
        peak / 1024
    );
    assert!(
        after < before + 64 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    drop(waiting);

    // A lower proto-max-bulk-len is enforced with the same error.
    let small = ServerProc::start(&["--proto-max-bulk-len", "1048576"]);
    let mut c = Raw::connect(small.addr);
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n");
    assert_eq!(
        c.read_to_close(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
    let mut c = connect(small.addr);
    let at_limit = vec![b'v'; 1048576];
    assert_eq!(common::cmd_b(&mut c, &[b"SET", b"k", &at_limit]), ok());
}

#[test]
fn a_client_that_never_reads_is_cut_at_the_output_limit_while_others_are_served() {
    let _serial = serial();
    const LIMIT_MB: u64 = 32;
    let server = ServerProc::start(&["--output-limit-mb", &LIMIT_MB.to_string()]);
    let mut good = connect(server.addr);
    let value = vec![b'v'; 1 << 20];
    assert_eq!(common::cmd_b(&mut good, &[b"SET", b"big", &value]), ok());
    let baseline = settled_rss(&server);
    // Two clients pipeline 2000 GETs of the 1 MiB value (2 GiB of replies each) and never
    // read: one read-only (its GETs go to the reader threads), one starting with a SET (its
    // GETs then run on the writer thread, behind the write).
    let get = encode_command(&[b"GET", b"big"]);
    let mut hogs = Vec::new();
    for with_write in [false, true] {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        let mut pipeline = Vec::new();
        if with_write {
            pipeline.extend_from_slice(&encode_command(&[b"SET", b"w", b"1"]));
        }
        for _ in 0..2000 {
            pipeline.extend_from_slice(&get);
        }
        s.write_all(&pipeline).unwrap();
        hogs.push(s);
    }
    // Meanwhile another client is answered every time (within the 5 s I/O timeout).
    let started = Instant::now();
    assert!(
        common::eventually(Duration::from_secs(10), || connected_clients(&mut good)
            >= 2),
        "the non-reading clients were never counted"
    );
    let mut worst = Duration::ZERO;
    let mut rounds = 0;
    let mut rss_peak_sampled = 0;
    loop {
        let t = Instant::now();
        assert_eq!(cmd(&mut good, &["SET", "small", "1"]), ok());
        assert_eq!(cmd(&mut good, &["GET", "small"]), common::bulk("1"));
        worst = worst.max(t.elapsed());
        rounds += 1;
        rss_peak_sampled = rss_peak_sampled.max(server.status_kib("VmRSS"));
        if connected_clients(&mut good) == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the clients that never read were not disconnected"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let cut_after = started.elapsed();
    let peak = server.status_kib("VmHWM");
    eprintln!(
        "output limit {LIMIT_MB} MiB: 2 non-reading clients cut after {cut_after:?}; other client: \
         {rounds} rounds, slowest {worst:?}; server RSS baseline {} MiB, sampled max {} MiB, peak (VmHWM) {} MiB",
        baseline / 1024,
        rss_peak_sampled / 1024,
        peak / 1024
    );
    // The server wrote the line before it closed them; the test's stderr reader thread may not
    // have taken it in yet on a loaded machine.
    assert!(
        common::eventually(Duration::from_secs(10), || server
            .log_contains("client output buffer over the hard limit")),
        "the cut was not logged"
    );
    // Generous: a few times the limit over the baseline, against the 4 GiB asked for.
    assert!(
        peak < baseline + 8 * LIMIT_MB * 1024,
        "peak RSS {peak} KiB (baseline {baseline} KiB)"
    );
    // The disconnected clients see the close once they do read.
    for mut s in hogs {
        assert!(wait_closed(&mut s, Duration::from_secs(30)).is_some());
    }
}

#[test]
fn a_client_pipelining_a_million_gets_without_reading_is_held_or_cut_with_memory_bounded() {
    let _serial = serial();
    const LIMIT_MB: u64 = 32;
    let server = ServerProc::start(&["--output-limit-mb", &LIMIT_MB.to_string()]);
    let mut good = connect(server.addr);
    let value = vec![b'v'; 1024];
    assert_eq!(common::cmd_b(&mut good, &[b"SET", b"kb", &value]), ok());
    let baseline = settled_rss(&server);
    // 1 M GETs of a 1 KiB value: 22 MB of requests asking for 1 GiB of replies. The server
    // stops reading this client once its replies back up (output over the high-water mark, or
    // too many commands in flight). Whether the replies of the commands already in flight then
    // pass the output limit (and the client is cut) depends on how far the storage threads are
    // behind at that moment; either way the client can never make the server buffer more than
    // the limit, and its writes stall once the server stops reading.
    let hog = TcpStream::connect(server.addr).unwrap();
    hog.set_write_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = hog.try_clone().unwrap();
    let progress = Arc::new(AtomicUsize::new(0));
    let written = progress.clone();
    let pusher = std::thread::spawn(move || {
        let chunk: Vec<u8> = encode_command(&[b"GET", b"kb"]).repeat(10_000);
        for _ in 0..100 {
            if writer.write_all(&chunk).is_err() {
                break;
            }
            written.fetch_add(10_000, Relaxed);
        }
    });
    let started = Instant::now();
    // (Counted while connected; the checks below must not pass before it was.)
    let counted = common::eventually(Duration::from_secs(10), || {
        connected_clients(&mut good) == 2 || pusher.is_finished()
    });
    assert!(counted, "the pipelining client was never counted");
    let mut worst = Duration::ZERO;
    let (mut last_progress, mut since) = (progress.load(Relaxed), Instant::now());
    let cut = loop {
        let t = Instant::now();
        assert_eq!(
            cmd(&mut good, &["GET", "kb"]),
            Reply::Bulk(Some(value.clone()))
        );
        worst = worst.max(t.elapsed());
        if connected_clients(&mut good) == 1 {
            break true;
        }
        let now = progress.load(Relaxed);
        if now != last_progress {
            (last_progress, since) = (now, Instant::now());
        } else if since.elapsed() > Duration::from_secs(2) {
            break false; // held: the server stopped reading it, its writes block
        }
        assert!(
            !pusher.is_finished(),
            "the server read all 1 M GETs of a client that never reads"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the client that never reads was neither cut nor held"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let settled_after = started.elapsed();
    let sent = progress.load(Relaxed);
    let peak = server.status_kib("VmHWM");
    eprintln!(
        "1 M pipelined GETs, output limit {LIMIT_MB} MiB: {} after {settled_after:?} ({sent} GETs \
         written); other client's slowest reply {worst:?}; server RSS baseline {} MiB, peak \
         (VmHWM) {} MiB",
        if cut { "cut" } else { "held" },
        baseline / 1024,
        peak / 1024
    );
    assert!(
        sent < 1_000_000,
        "the server read all 1 M GETs of a client that never reads"
    );
    assert!(
        peak < baseline + 8 * LIMIT_MB * 1024,
        "peak RSS {peak} KiB (baseline {baseline} KiB)"
    );
    // A held client that goes away is released although its connection is paused. (Shutdown
    // unblocks the pusher's write; closing with unread replies then sends a reset.)
    let _ = hog.shutdown(std::net::Shutdown::Both);
    pusher.join().unwrap();
    drop(hog);
    assert!(
        common::eventually(Duration::from_secs(30), || connected_clients(&mut good)
            == 1),
        "the paused connection was not released after its client closed"
    );
}

/// A valid invocation of every command (the name and enough arguments for its arity), so
/// that what comes back before AUTH is the authentication error and not a syntax one.
fn invocation(name: &str, arity: i32) -> Vec<String> {
    match name {
        "client" => vec!["client".into(), "id".into()],
        "config" => vec!["config".into(), "get".into(), "timeout".into()],
        "function" => vec!["function".into(), "list".into()],
        "script" => vec!["script".into(), "exists".into(), "x".into()],
        _ => {
            let mut args = vec![name.to_string()];
            args.extend((1..arity.unsigned_abs()).map(|_| "x".to_string()));
            args
        }
    }
}

#[test]
fn requirepass_is_enforced_on_every_command_but_auth_hello_quit() {
    let _serial = serial();
    let (_server, addr, _dir) = common::start_with(|c| c.requirepass = Some("s3cret".into()));
    let mut raw = Raw::connect(addr);
    let mut refused = Vec::new();
    for spec in kvs_server::cmd::table::COMMANDS {
        // RESET is also allowed before AUTH, as in Redis 7 (it resets to unauthenticated).
        if ["auth", "hello", "quit", "reset"].contains(&spec.name) {
            continue;
        }
        let args = invocation(spec.name, spec.arity);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        raw.send_cmd(&args);
        if spec.name == "exec" {
            // Redis' rejectCommand aborts a transaction for a rejected EXEC.
            raw.expect(
                b"-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n",
            );
        } else {
            raw.expect(b"-NOAUTH Authentication required.\r\n");
        }
        refused.push(spec.name);
    }
    eprintln!("refused before AUTH: {} commands", refused.len());
    assert!(refused.contains(&"shutdown") && refused.contains(&"flushall"));
    // Inline commands too.
    raw.roundtrip(b"GET k\r\n", b"-NOAUTH Authentication required.\r\n");
    // What Redis checks before authentication comes first: the command exists, its arity,
    // a container's subcommand; an argument error of a refused command is not revealed.
    raw.send_cmd(&["NOSUCH", "x"]);
    raw.expect(b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n");
    raw.send_cmd(&["GET"]);
    raw.expect(b"-ERR wrong number of arguments for 'get' command\r\n");
    raw.send_cmd(&["CLIENT", "NOSUCH"]);
    raw.expect(b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n");
    raw.send_cmd(&["INCRBY", "k", "not-a-number"]);
    raw.expect(b"-NOAUTH Authentication required.\r\n");
    raw.send_cmd(&["SET", "k", "v", "BADOPTION"]);
    raw.expect(b"-NOAUTH Authentication required.\r\n");
    // A wrong password, then the right one.
    raw.send_cmd(&["AUTH", "wrong"]);
    raw.expect(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
    raw.send_cmd(&["AUTH", "s3cret"]);
    raw.expect(b"+OK\r\n");
    raw.send_cmd(&["SET", "k", "v"]);
    raw.expect(b"+OK\r\n");
    // SHUTDOWN and FLUSHALL sent before AUTH did nothing.
    raw.send_cmd(&["GET", "k"]);
    raw.expect(b"$1\r\nv\r\n");

    // HELLO with AUTH authenticates in one step.
    let mut c = connect(addr);
    let hello = cmd(&mut c, &["HELLO", "2", "AUTH", "default", "s3cret"]);
    assert!(matches!(hello, Reply::Array(Some(_))), "{hello:?}");
    assert_eq!(cmd(&mut c, &["GET", "k"]), common::bulk("v"));
    // HELLO without AUTH is let through (and answers for itself); QUIT too.
    let mut c = connect(addr);
    let r = cmd(&mut c, &["HELLO"]);
    assert!(
        !matches!(&r, Reply::Error(e) if e == "NOAUTH Authentication required."),
        "{r:?}"
    );
    let mut q = Raw::connect(addr);
    q.send_cmd(&["QUIT"]);
    assert_eq!(q.read_to_close(), b"+OK\r\n");
    // RESET drops the authentication again.
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["AUTH", "s3cret"]), ok());
    assert_eq!(cmd(&mut c, &["RESET"]), simple("RESET"));
    assert_eq!(
        cmd(&mut c, &["GET", "k"]),
        err("NOAUTH Authentication required.")
    );
}

#[test]
fn default_bind_address_is_loopback() {
    assert!(kvs_server::Config::default().addr.ip().is_loopback());
    let help = Command::new(env!("CARGO_BIN_EXE_kvs-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("[default: 127.0.0.1:4000]"),
        "kvs-server --help: {help}"
    );
}

// ---- No panic reaches a looper (issue 7, part 6), at the server level ----------------------
//
// No command of the server is known to panic, so these tests run it on an engine wrapper whose
// storage views panic on the key `panic`: in a reader thread (GET), in the writer (MSET, whose
// other writes must be rolled back with it), and — with --inline-reads — inside the looper's
// handler itself.

mod panicking {
    use std::sync::Arc;

    use bytes::Bytes;
    use kvs_server::cmd::{Db, WriteDb};
    use kvs_server::engine::kvs::KvsEngine;
    use kvs_server::engine::{Completion, Engine, Job};
    use kvs_storage::{
        CollectionKind, CollectionMeta, CompactionReport, FsyncPolicy, Result, StorageError,
        StoreStats, Stored, Value,
    };

    const TRAP: &[u8] = b"panic";

    fn trap(key: &[u8]) {
        if key == TRAP {
            panic!("test: the storage view was asked for the trap key");
        }
    }

    struct TrapDb<'a>(&'a mut dyn Db);

    impl Db for TrapDb<'_> {
        fn lookup(&mut self, key: &[u8]) -> std::result::Result<Option<Stored>, StorageError> {
            trap(key);
            self.0.lookup(key)
        }
        fn element(
            &mut self,
            id: u64,
            element: &[u8],
        ) -> std::result::Result<Option<Vec<u8>>, StorageError> {
            self.0.element(id, element)
        }
        fn has_element(
            &mut self,
            id: u64,
            element: &[u8],
        ) -> std::result::Result<bool, StorageError> {
            self.0.has_element(id, element)
        }
        fn get(&mut self, key: &[u8]) -> std::result::Result<Option<Value>, StorageError> {
            trap(key);
            self.0.get(key)
        }
        fn exists(&mut self, key: &[u8]) -> std::result::Result<bool, StorageError> {
            trap(key);
            self.0.exists(key)
        }
        fn get_many(
            &mut self,
            keys: &[Bytes],
        ) -> std::result::Result<Vec<Option<Value>>, StorageError> {
            keys.iter().for_each(|k| trap(k));
            self.0.get_many(keys)
        }
        fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
            self.0.scan(cursor, count)
        }
        fn key_count(&mut self) -> usize {
            self.0.key_count()
        }
        fn random_key(&mut self) -> Option<Vec<u8>> {
            self.0.random_key()
        }
    }

    struct TrapTxn<'a>(&'a mut dyn WriteDb);

    impl Db for TrapTxn<'_> {
        fn lookup(&mut self, key: &[u8]) -> std::result::Result<Option<Stored>, StorageError> {
            trap(key);
            self.0.lookup(key)
        }
        fn element(
            &mut self,
            id: u64,
            element: &[u8],
        ) -> std::result::Result<Option<Vec<u8>>, StorageError> {
            self.0.element(id, element)
        }
        fn has_element(
            &mut self,
            id: u64,
            element: &[u8],
        ) -> std::result::Result<bool, StorageError> {
            self.0.has_element(id, element)
        }
        fn get(&mut self, key: &[u8]) -> std::result::Result<Option<Value>, StorageError> {
            trap(key);
            self.0.get(key)
        }
        fn exists(&mut self, key: &[u8]) -> std::result::Result<bool, StorageError> {
            trap(key);
            self.0.exists(key)
        }
        fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
            self.0.scan(cursor, count)
        }
        fn key_count(&mut self) -> usize {
            self.0.key_count()
        }
        fn random_key(&mut self) -> Option<Vec<u8>> {
            self.0.random_key()
        }
    }

    impl WriteDb for TrapTxn<'_> {
        fn now_ms(&self) -> u64 {
            self.0.now_ms()
        }
        fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
            trap(key);
            self.0.put(key, value, expire_at_ms)
        }
        fn delete(&mut self, key: &[u8]) -> std::result::Result<bool, StorageError> {
            trap(key);
            self.0.delete(key)
        }
        fn create_collection(
            &mut self,
            key: &[u8],
            kind: CollectionKind,
            expire_at_ms: Option<u64>,
        ) -> std::result::Result<CollectionMeta, StorageError> {
            trap(key);
            self.0.create_collection(key, kind, expire_at_ms)
        }
        fn put_element(
            &mut self,
            key: &[u8],
            id: u64,
            element: &[u8],
            value: &[u8],
        ) -> std::result::Result<bool, StorageError> {
            trap(key);
            self.0.put_element(key, id, element, value)
        }
        fn delete_element(
            &mut self,
            key: &[u8],
            id: u64,
            element: &[u8],
        ) -> std::result::Result<bool, StorageError> {
            trap(key);
            self.0.delete_element(key, id, element)
        }
        fn element_count(&mut self, id: u64) -> usize {
            self.0.element_count(id)
        }
        fn elements(&mut self, id: u64) -> Vec<Vec<u8>> {
            self.0.elements(id)
        }
        fn element_at(&mut self, id: u64, i: usize) -> Option<Vec<u8>> {
            self.0.element_at(id, i)
        }
        fn set_expiry(
            &mut self,
            key: &[u8],
            expire_at_ms: Option<u64>,
        ) -> std::result::Result<bool, StorageError> {
            trap(key);
            self.0.set_expiry(key, expire_at_ms)
        }
        fn rename(&mut self, src: &[u8], dst: &[u8]) -> std::result::Result<bool, StorageError> {
            trap(src);
            trap(dst);
            self.0.rename(src, dst)
        }
        fn watch(&mut self, watcher: u64, key: &[u8]) {
            trap(key);
            self.0.watch(watcher, key)
        }
        fn unwatch(&mut self, watcher: u64) {
            self.0.unwatch(watcher)
        }
        fn check_watched(&mut self, watcher: u64) -> bool {
            self.0.check_watched(watcher)
        }
    }

    /// The kvs engine, with every job run against trapping views (through the store's closure
    /// API, calling the job's steps as the kvs engine does).
    pub struct TrapEngine(pub Arc<KvsEngine>);

    impl Engine for TrapEngine {
        fn name(&self) -> &'static str {
            self.0.name()
        }
        fn fsync(&self) -> FsyncPolicy {
            self.0.fsync()
        }
        fn submit_writes(&self, jobs: Vec<Box<dyn Job>>) -> Result<()> {
            for mut job in jobs {
                self.0.store().submit_write(move |txn| -> Completion {
                    job.run_write_on(&mut TrapTxn(txn));
                    Box::new(move |r| job.committed(r))
                })?;
            }
            Ok(())
        }
        fn submit_reads(&self, jobs: Vec<Box<dyn Job>>) -> Result<()> {
            for job in jobs {
                self.0.store().submit_read(move |reader| {
                    let mut view = reader.clone_view();
                    job.run_read_on(&mut TrapDb(&mut view))
                })?;
            }
            Ok(())
        }
        fn submit_flush_all(&self, done: Completion) -> Result<()> {
            self.0.submit_flush_all(done)
        }
        fn submit_sync(&self, done: Completion) -> Result<()> {
            self.0.submit_sync(done)
        }
        fn submit_compact(
            &self,
            done: Box<dyn FnOnce(Result<CompactionReport>) + Send>,
        ) -> Result<()> {
            self.0.submit_compact(done)
        }
        fn sync(&self) -> Result<()> {
            self.0.sync()
        }
        fn stats(&self) -> StoreStats {
            self.0.stats()
        }
        fn with_reader(&self, f: &mut dyn FnMut(&mut dyn Db)) {
            self.0.with_reader(&mut |db| f(&mut TrapDb(db)))
        }
    }
}

/// A server on the trapping engine (in this process; the reactor server is stopped on drop).
fn start_trapping(
    inline_reads: bool,
) -> (
    kvs_reactor::Server,
    SocketAddr,
    Arc<kvs_server::ctx::ServerCtx>,
    TempDir,
) {
    use kvs_server::engine::kvs::KvsEngine;
    let dir = tempfile::tempdir().unwrap();
    let config = kvs_server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: dir.path().to_path_buf(),
        fsync: kvs_storage::FsyncPolicy::No,
        compaction_interval: None,
        inline_reads,
        ..kvs_server::Config::default()
    };
    let store = kvs_storage::Store::open_with(
        dir.path(),
        kvs_storage::Options {
            fsync: config.fsync,
            compaction_interval: None,
            ..kvs_storage::Options::default()
        },
    )
    .unwrap();
    let engine = Arc::new(panicking::TrapEngine(Arc::new(KvsEngine::new(store))));
    let ctx = Arc::new(kvs_server::ctx::ServerCtx::new(engine, config.clone()));
    let factory_ctx = ctx.clone();
    let server = kvs_reactor::TcpServer::builder(config.addr)
        .loopers(1)
        .start(move || kvs_server::session::Session::new(factory_ctx.clone()))
        .unwrap();
    ctx.set_network(
        server.local_addr().port(),
        server.loop_handles(),
        server.connection_limit(),
        kvs_server::session::apply_timeout_to_all,
    );
    let addr = server.local_addr();
    (server, addr, ctx, dir)
}

const ERR_INTERNAL: &str =
    "ERR internal error: the command failed on the server; see the server log";

#[test]
fn a_command_panicking_on_a_storage_thread_answers_an_error_and_the_server_goes_on() {
    let _serial = serial();
    let (_server, addr, ctx, _dir) = start_trapping(false);
    let mut c = connect(addr);
    let mut other = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "k", "v"]), ok());
    // On a reader thread: the batch's one reply is the error; the connection carries on.
    assert_eq!(cmd(&mut c, &["GET", "panic"]), err(ERR_INTERNAL));
    assert_eq!(cmd(&mut c, &["GET", "k"]), common::bulk("v"));
    // Pipelined with other reads in one batch: one error per command of the batch, in order.
    c.send_raw(
        &[
            encode_command(&[b"GET", b"k"]),
            encode_command(&[b"GET", b"panic"]),
            encode_command(&[b"PING"]),
        ]
        .concat(),
    )
    .unwrap();
    assert_eq!(c.read_reply().unwrap(), err(ERR_INTERNAL));
    assert_eq!(c.read_reply().unwrap(), err(ERR_INTERNAL));
    assert_eq!(c.read_reply().unwrap(), simple("PONG"));
    // On the writer: the MSET is rolled back whole, not half-applied.
    assert_eq!(
        cmd(&mut c, &["MSET", "a", "1", "panic", "2", "b", "3"]),
        err(ERR_INTERNAL)
    );
    assert_eq!(
        cmd(&mut c, &["MGET", "a", "b"]),
        Reply::Array(Some(vec![common::nil(), common::nil()]))
    );
    assert_eq!(cmd(&mut c, &["SET", "a", "1"]), ok());
    assert_eq!(cmd(&mut other, &["GET", "a"]), common::bulk("1"));
    assert_eq!(ctx.connected_clients(), 2);
}

/// A transaction whose job panics on the writer: EXEC is still answered with exactly one
/// reply (not one per queued command, which would leave the client reading the wrong replies
/// ever after), and none of the transaction is applied.
#[test]
fn a_transaction_panicking_on_the_writer_gets_one_error_and_applies_nothing() {
    let _serial = serial();
    let (_server, addr, _ctx, _dir) = start_trapping(false);
    let mut c = connect(addr);
    let queued = simple("QUEUED");
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "a", "1"]), queued);
    assert_eq!(cmd(&mut c, &["SET", "panic", "2"]), queued);
    assert_eq!(cmd(&mut c, &["SET", "b", "3"]), queued);
    assert_eq!(cmd(&mut c, &["EXEC"]), err(ERR_INTERNAL));
    // The next reply is the next command's: the connection is still in step.
    assert_eq!(cmd(&mut c, &["PING"]), simple("PONG"));
    assert_eq!(
        cmd(&mut c, &["MGET", "a", "b"]),
        Reply::Array(Some(vec![common::nil(), common::nil()]))
    );
}

#[test]
fn a_panic_inside_the_looper_closes_only_that_connection() {
    let _serial = serial();
    // --inline-reads: GET runs inside the session's on_message, on the looper.
    let (server, addr, ctx, _dir) = start_trapping(true);
    let mut good = connect(addr);
    assert_eq!(cmd(&mut good, &["SET", "k", "v"]), ok());
    for _ in 0..3 {
        let mut bad = Raw::connect(addr);
        bad.send_cmd(&["GET", "panic"]);
        assert_eq!(
            bad.read_to_close(),
            b"",
            "the panicking connection is closed"
        );
    }
    // The looper (there is only one) still serves the others, and new clients.
    assert_eq!(cmd(&mut good, &["GET", "k"]), common::bulk("v"));
    let mut late = connect(addr);
    assert_eq!(cmd(&mut late, &["PING"]), simple("PONG"));
    // The panicked sessions no longer count as clients (they would hold maxclients places).
    assert!(
        common::eventually(Duration::from_secs(5), || ctx.connected_clients() == 2),
        "connected_clients = {}",
        ctx.connected_clients()
    );
    assert_eq!(connected_clients(&mut late), 2);
    assert_eq!(server.metrics().closed, 3);
}
