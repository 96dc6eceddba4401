//! Echo ping-pong benchmark: a kvs-reactor echo server against a tokio echo server, in one run.
//!
//! ```text
//! cargo run --release -p kvs-reactor --example echo_bench -- \
//!     [--threads 1] [--conns 100] [--size 64] [--duration 5] [--warmup 1] [--rounds 3] [--json FILE]
//! ```
//!
//! Each server runs in a child process (this binary re-executed in the hidden mode
//! `--serve kvs|tokio --threads N`, which binds 127.0.0.1:0, prints its port and serves until its
//! stdin closes), with the same number of I/O threads: kvs `loopers(N)` (plus its acceptor thread,
//! idle once the connections are open) and tokio `new_multi_thread().worker_threads(N)`. The
//! servers alternate over the rounds (kvs, tokio, kvs, ...) and one load generator in this process
//! drives both, so the client side costs the same for each.
//!
//! Measured per round: a closed loop over `--conns` connections, each sending one `--size`-byte
//! message, waiting for the whole echo (checked byte for byte) and sending the next. The
//! `--warmup` seconds are not recorded; then for `--duration` seconds completed requests are
//! counted (requests/s) and their round-trip latency recorded (hdrhistogram, p50/p99). Also shown:
//! the server process's CPU time per request, the load generator's own CPU use (near 100% means
//! the figures are partly client-bound) and the CPU used by everything else on the box meanwhile
//! (a noisy neighbour). Any error (connect failure, connection closed, short/extra/wrong echo, a
//! request unanswered for over a second at the end, a server exiting badly) is counted and
//! printed, and makes the exit status 1. Medians over the rounds give the final table and the
//! kvs÷tokio ratios.

use std::error::Error;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use kvs_reactor::bytes::BytesMut;
use kvs_reactor::mio::net::TcpStream as MioStream;
use kvs_reactor::mio::{Events, Interest, Poll, Token};
use kvs_reactor::{Conn, Handler, TcpServer};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// A request still unanswered this long when the run ends counts as an error (a hang).
const STALL: Duration = Duration::from_secs(1);
/// `/proc/*/stat` CPU times are in USER_HZ ticks, which Linux fixes at 100 for user space.
const TICKS_PER_SEC: f64 = 100.0;

/// Echo ping-pong: a kvs-reactor echo server against a tokio echo server, in one run.
#[derive(clap::Parser)]
#[command(name = "echo_bench")]
struct Opts {
    /// Server I/O threads (kvs loopers, tokio workers).
    #[arg(long, default_value_t = 1, value_parser = positive)]
    threads: usize,
    /// Client connections, each with one request in flight.
    #[arg(long, default_value_t = 100, value_parser = positive)]
    conns: usize,
    /// Message size in bytes.
    #[arg(long, default_value_t = 64, value_parser = positive)]
    size: usize,
    /// Measured seconds per round.
    #[arg(long, default_value = "5", value_parser = positive_secs)]
    duration: Duration,
    /// Unrecorded seconds before each round's measurement.
    #[arg(long, default_value = "1", value_parser = secs)]
    warmup: Duration,
    /// Rounds per server.
    #[arg(long, default_value_t = 3, value_parser = positive)]
    rounds: usize,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<String>,
    /// Hidden child mode: serve echo with this implementation until stdin closes.
    #[arg(long, hide = true)]
    serve: Option<ServeKind>,
}

/// Which echo server a child process runs.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ServeKind {
    Kvs,
    Tokio,
}

fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be positive".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    Duration::try_from_secs_f64(v).map_err(|e| e.to_string())
}

fn positive_secs(s: &str) -> Result<Duration, String> {
    secs(s).and_then(|d| {
        if d.is_zero() {
            Err("must be positive".into())
        } else {
            Ok(d)
        }
    })
}

fn main() {
    let o = <Opts as clap::Parser>::parse();
    let code = match o.serve {
        Some(kind) => serve(kind, o.threads).map(|()| 0),
        None => bench(&o),
    };
    // Every child-process guard has been dropped by now.
    std::process::exit(code.unwrap_or_else(|e| {
        eprintln!("echo_bench: {e}");
        2
    }));
}

// ---- The servers (child processes) ----------------------------------------------------------

/// The kvs-reactor echo: send back everything received (the same work as the tokio loop below).
struct Echo;

impl Handler for Echo {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        conn.send(input);
        input.clear();
    }
}

fn serve(kind: ServeKind, threads: usize) -> BoxResult<()> {
    let grace = Duration::from_secs(1);
    match kind {
        ServeKind::Kvs => {
            let builder = TcpServer::builder("127.0.0.1:0").loopers(threads);
            let server = builder.nodelay(true).start(|| Echo)?;
            announce_and_wait(server.local_addr())?;
            server.shutdown(grace);
        }
        ServeKind::Tokio => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            let rt = builder.worker_threads(threads).enable_all().build()?;
            let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
            let addr = listener.local_addr()?;
            rt.spawn(tokio_accept_loop(listener));
            announce_and_wait(addr)?;
            rt.shutdown_timeout(grace);
        }
    }
    Ok(())
}

/// Tells the parent our port, then serves until it closes our stdin (or dies).
fn announce_and_wait(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", addr.port())?;
    out.flush()?;
    io::copy(&mut io::stdin().lock(), &mut io::sink()).map(drop)
}

/// The idiomatic tokio echo server: accept loop, one task per connection.
async fn tokio_accept_loop(listener: tokio::net::TcpListener) {
    loop {
        match listener.accept().await {
            Ok((sock, _)) => drop(tokio::spawn(tokio_echo(sock))),
            Err(e) => {
                eprintln!("tokio server: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn tokio_echo(mut sock: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if let Err(e) = sock.set_nodelay(true) {
        return report_server_error(&e);
    }
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => return report_server_error(&e),
        };
        if let Err(e) = sock.write_all(&buf[..n]).await {
            return report_server_error(&e);
        }
    }
}

fn report_server_error(e: &io::Error) {
    // Resets and broken pipes are expected when the load generator drops its connections at the
    // end of a round; anything else is worth seeing.
    use io::ErrorKind::{BrokenPipe, ConnectionReset};
    if !matches!(e.kind(), ConnectionReset | BrokenPipe) {
        eprintln!("tokio server: connection error: {e}");
    }
}

/// A server child process. [`stop`](Self::stop) closes its stdin and waits for a clean exit;
/// dropping it while it still runs (an error path) kills it. Either way it is waited for.
struct ServerProc(Child);

impl ServerProc {
    /// Starts `--serve kind` and returns it with the port it listens on.
    fn spawn(kind: &str, threads: usize) -> BoxResult<(ServerProc, u16)> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--serve", kind, "--threads", &threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take();
        let proc = ServerProc(child);
        let stdout = stdout.ok_or("child has no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = tx.send(BufReader::new(stdout).read_line(&mut line).map(|_| line));
        });
        let timeout = Duration::from_secs(10);
        let line = rx
            .recv_timeout(timeout)
            .map_err(|_| format!("{kind} server: no port"))??;
        let port = line
            .trim()
            .parse()
            .map_err(|_| format!("{kind} server printed {line:?}"))?;
        Ok((proc, port))
    }

    /// Closes stdin, waits up to 3 s for a clean exit, else kills. Returns the exit status.
    fn stop(&mut self) -> io::Result<ExitStatus> {
        drop(self.0.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!(
            "server pid {} ignored stdin EOF for 3 s; killing it",
            self.0.id()
        );
        self.0.kill()?;
        self.0.wait()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(Some(_))) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// CPU seconds (user + system) used so far by a process or thread, from `/proc/<...>/stat`;
/// NaN if unavailable.
fn cpu_secs(stat_path: &str) -> f64 {
    let read = || {
        let stat = std::fs::read_to_string(stat_path).ok()?;
        // After "(comm)" come the fields from 3 (state) on; utime is field 14, stime 15.
        let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        Some((ticks(11)? + ticks(12)?) / TICKS_PER_SEC)
    };
    read().unwrap_or(f64::NAN)
}

/// CPU seconds all cores spent busy so far (all but idle and iowait), from `/proc/stat`; NaN if
/// unavailable.
fn system_busy_secs() -> f64 {
    let read = || {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.split_whitespace().skip(1);
        let ticks: Vec<f64> = line.map_while(|t| t.parse().ok()).collect();
        Some((ticks.iter().sum::<f64>() - ticks.get(3)? - ticks.get(4)?) / TICKS_PER_SEC)
    };
    read().unwrap_or(f64::NAN)
}

// ---- The load generator -----------------------------------------------------------------------
//
// One thread, one `mio::Poll`, plain non-blocking sockets: per request one `write`, one `read` (a
// short read proves the socket drained, so no second read just to see `WouldBlock`) and a share
// of an `epoll_wait`, with no allocation, locking or dynamic dispatch. That is about the least a
// client can do; it is identical whichever server is on the other end, and it stays out of
// kvs-reactor, so a reactor flaw shows up on the server side only instead of on both (as it
// would with `TcpClient`). With 2 cores and `--threads 1` it takes the core the server does not;
// its CPU use is printed, so a client-bound run is visible.

/// Error kinds, indexing [`Errors`].
const CONNECT: usize = 0;
const CLOSED: usize = 1;
const IO: usize = 2;
const MISMATCH: usize = 3;
const EXCESS: usize = 4;
const STALLED: usize = 5;
const SERVER_EXIT: usize = 6;
const ERROR_NAMES: &str =
    "connect,closed by server,i/o,wrong echo,extra bytes,unanswered > 1 s,server exit";
type Errors = [u64; 7];

fn describe(errors: &Errors) -> String {
    let named = errors
        .iter()
        .zip(ERROR_NAMES.split(','))
        .filter(|(n, _)| **n > 0);
    let list: Vec<String> = named.map(|(n, name)| format!("{n} {name}")).collect();
    if list.is_empty() {
        "0".into()
    } else {
        format!("{} ({})", errors.iter().sum::<u64>(), list.join(", "))
    }
}

struct Client {
    stream: MioStream,
    token: Token,
    out: Vec<u8>,
    written: usize,
    /// Twice the message size, so extra bytes from the server are seen, not left unread.
    buf: Vec<u8>,
    got: usize,
    sent_at: Instant,
    seq: usize,
    want_write: bool,
    alive: bool,
}

impl Client {
    /// Starts the next request: a new payload (so a stale or misrouted echo is caught), written.
    fn send_next(&mut self, poll: &Poll) -> Result<(), usize> {
        self.seq += 1;
        let seed = self.seq.wrapping_mul(131).wrapping_add(self.token.0 * 7);
        for (i, b) in self.out.iter_mut().enumerate() {
            *b = seed.wrapping_add(i) as u8;
        }
        (self.written, self.got, self.sent_at) = (0, 0, Instant::now());
        self.flush(poll)
    }

    fn flush(&mut self, poll: &Poll) -> Result<(), usize> {
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(IO),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return self.interest(poll, true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(IO),
            }
        }
        self.interest(poll, false)
    }

    /// WRITABLE interest only while a request is partly written (practically never).
    fn interest(&mut self, poll: &Poll, writable: bool) -> Result<(), usize> {
        if self.want_write != writable {
            self.want_write = writable;
            let i = if writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            poll.registry()
                .reregister(&mut self.stream, self.token, i)
                .map_err(|_| IO)?;
        }
        Ok(())
    }

    /// Reads what arrived; returns (completion time, round-trip time) once the whole echo is in.
    fn on_readable(&mut self, read_closed: bool) -> Result<Option<(Instant, Duration)>, usize> {
        loop {
            let room = self.buf.len() - self.got;
            match self.stream.read(&mut self.buf[self.got..]) {
                Ok(0) => return Err(CLOSED),
                Ok(n) => {
                    self.got += n;
                    if self.got > self.out.len() {
                        return Err(EXCESS);
                    }
                    if n < room && !read_closed {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(IO),
            }
        }
        if self.got < self.out.len() {
            return Ok(None);
        }
        let now = Instant::now();
        if self.buf[..self.got] != self.out[..] {
            return Err(MISMATCH);
        }
        Ok(Some((now, now - self.sent_at)))
    }

    fn fail(&mut self, kind: usize, errors: &mut Errors, poll: &Poll) {
        self.alive = false;
        let _ = poll.registry().deregister(&mut self.stream);
        errors[kind] += 1;
    }
}

/// Indices into [`RoundResult::v`] (and the JSON field names).
const RPS: usize = 0;
const P50: usize = 1;
const P99: usize = 2;
const CPU_PER_REQ: usize = 5;
const FIELDS: &str = "req_per_s p50_us p99_us p999_us max_us \
                      server_cpu_us_per_req server_cpu_pct client_cpu_pct other_cpu_pct";

struct RoundResult {
    kind: &'static str,
    requests: u64,
    errors: Errors,
    /// The figures named by [`FIELDS`]; NaN where unavailable.
    v: [f64; 9],
}

/// Runs the closed loop against `port` for warmup + duration; `server_pid` is sampled for CPU.
fn run_load(port: u16, o: &Opts, server_pid: u32) -> BoxResult<RoundResult> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut errors: Errors = [0; 7];
    let mut clients = Vec::with_capacity(o.conns);
    let registry = poll.registry();
    for _ in 0..o.conns {
        let s = match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("connect {addr}: {e}");
                errors[CONNECT] += 1;
                continue;
            }
        };
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
        let (mut stream, token) = (MioStream::from_std(s), Token(clients.len()));
        registry.register(&mut stream, token, Interest::READABLE)?;
        let (out, buf, sent_at) = (vec![0; o.size], vec![0; 2 * o.size], Instant::now());
        let (written, got, seq, want_write, alive) = (0, 0, 0, false, true);
        clients.push(Client {
            stream,
            token,
            out,
            written,
            buf,
            got,
            sent_at,
            seq,
            want_write,
            alive,
        });
    }
    for c in clients.iter_mut() {
        if let Err(kind) = c.send_next(&poll) {
            c.fail(kind, &mut errors, &poll);
        }
    }

    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let mut completed = 0u64;
    let measure_from = Instant::now() + o.warmup;
    let end = measure_from + o.duration;
    let (server, me) = (format!("/proc/{server_pid}/stat"), "/proc/thread-self/stat");
    let sample = || [cpu_secs(&server), cpu_secs(me), system_busy_secs()];
    let mut sample0 = None;
    loop {
        let now = Instant::now();
        if now >= end || clients.iter().all(|c| !c.alive) {
            break;
        }
        if sample0.is_none() && now >= measure_from {
            sample0 = Some((now, sample()));
        }
        let timeout = if now < measure_from {
            measure_from
        } else {
            end
        } - now;
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        for ev in events.iter() {
            let Some(c) = clients.get_mut(ev.token().0).filter(|c| c.alive) else {
                continue;
            };
            let mut result = Ok(());
            if ev.is_writable() && c.want_write {
                result = c.flush(&poll);
            }
            if result.is_ok() && (ev.is_readable() || ev.is_read_closed() || ev.is_error()) {
                result = match c.on_readable(ev.is_read_closed()) {
                    Ok(Some((done, rtt))) => {
                        if done >= measure_from && done < end {
                            completed += 1;
                            hist.saturating_record(rtt.as_nanos().max(1) as u64);
                        }
                        c.send_next(&poll)
                    }
                    Ok(None) => Ok(()),
                    Err(kind) => Err(kind),
                };
            }
            if let Err(kind) = result {
                c.fail(kind, &mut errors, &poll);
            }
        }
    }
    let now = Instant::now();
    let stalled = |c: &&Client| c.alive && now - c.sent_at > STALL;
    errors[STALLED] = clients.iter().filter(stalled).count() as u64;

    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    let rps = completed as f64 / o.duration.as_secs_f64();
    let mut v = [f64::NAN; 9];
    v[..5].copy_from_slice(&[rps, q(0.5), q(0.99), q(0.999), q(1.0)]);
    if let Some((t0, s0)) = sample0 {
        let (wall, s1) = ((now - t0).as_secs_f64(), sample());
        let pct = |i: usize| (s1[i] - s0[i]) / wall * 100.0;
        let (server, client) = (pct(0), pct(1));
        // Everything else that ran meanwhile: other processes, interrupt time not charged to ours.
        v[6..9].copy_from_slice(&[server, client, pct(2) - server - client]);
        // CPU per request, with the sampled interval scaled to the measurement window.
        v[CPU_PER_REQ] = server / 100.0 * o.duration.as_secs_f64() / completed.max(1) as f64 * 1e6;
    }
    Ok(RoundResult {
        kind: "",
        requests: completed,
        errors,
        v,
    })
}

// ---- Rounds, medians, report -----------------------------------------------------------------

fn run_round(kind: &'static str, o: &Opts) -> BoxResult<RoundResult> {
    let (mut server, port) = ServerProc::spawn(kind, o.threads)?;
    let mut r = run_load(port, o, server.0.id())?;
    r.kind = kind;
    let status = server.stop();
    if !status.as_ref().is_ok_and(|s| s.success()) {
        eprintln!("{kind} server: exit {status:?}");
        r.errors[SERVER_EXIT] += 1;
    }
    Ok(r)
}

/// Per-field medians over the rounds of one server (NaNs ignored).
fn medians(results: &[RoundResult], kind: &str) -> [f64; 9] {
    std::array::from_fn(|i| {
        let of_kind = results.iter().filter(|r| r.kind == kind);
        let mut v: Vec<f64> = of_kind.map(|r| r.v[i]).filter(|x| !x.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    })
}

/// Runs the rounds and prints the report; returns the exit code (1 if there were errors).
fn bench(o: &Opts) -> BoxResult<i32> {
    let (conns, size, threads, rounds) = (o.conns, o.size, o.threads, o.rounds);
    let (warmup, duration) = (o.warmup.as_secs_f64(), o.duration.as_secs_f64());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "echo ping-pong: {conns} conns x {size} B, warmup {warmup:.1} s, measure {duration:.1} s, \
         {rounds} round(s) per server, server threads {threads}, {cores} cores"
    );
    let mut results = Vec::new();
    for round in 1..=rounds {
        for kind in ["kvs", "tokio"] {
            let r = run_round(kind, o)?;
            let [rps, p50, p99, p999, max, per_req, server, client, other] = r.v;
            println!(
                "round {round} {kind:<5} {rps:>7.0} req/s  p50 {p50:>6.1} µs  p99 {p99:>6.1} µs  p99.9 {p999:>6.1} µs  \
                 max {max:>7.1} µs  cpu: server {server:.0}% ({per_req:.2} µs/req) client {client:.0}% \
                 other {other:.0}%  errors {}",
                describe(&r.errors)
            );
            results.push(r);
        }
    }
    let (k, t) = (medians(&results, "kvs"), medians(&results, "tokio"));
    println!("\nmedian of {rounds} round(s), server threads = {threads}:");
    println!("server | req/s   | p50 µs | p99 µs | server CPU µs/req");
    println!("-------|---------|--------|--------|------------------");
    for (name, m) in [("kvs", &k), ("tokio", &t)] {
        println!(
            "{name:<6} | {:>7.0} | {:>6.1} | {:>6.1} | {:>5.2}",
            m[RPS], m[P50], m[P99], m[CPU_PER_REQ]
        );
    }
    let (rps_ratio, p99_ratio) = (k[RPS] / t[RPS], k[P99] / t[P99]);
    println!("kvs/tokio req/s = {rps_ratio:.2}× (ratio of medians)");
    // Noise on a shared box moves whole rounds; the rounds of one pair ran back to back, so the
    // median of per-pair ratios is the steadier comparison.
    let mut pair_ratios: Vec<f64> = results
        .chunks(2)
        .filter(|p| p.len() == 2)
        .map(|p| p[0].v[RPS] / p[1].v[RPS])
        .collect();
    pair_ratios.sort_by(f64::total_cmp);
    if let Some(mid) = pair_ratios.get(pair_ratios.len() / 2) {
        let list: Vec<String> = pair_ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "kvs/tokio req/s per round pair = [{}], median {mid:.2}×",
            list.join(", ")
        );
    }
    println!("p99 kvs/tokio = {p99_ratio:.2}");
    let errors: u64 = results.iter().flat_map(|r| r.errors).sum();
    println!("errors: {errors}");
    if let Some(path) = &o.json {
        std::fs::write(path, to_json(o, &results, [&k, &t], errors))?;
        println!("results written to {path}");
    }
    if errors > 0 {
        eprintln!("FAILED: {errors} error(s) during the benchmark");
    }
    Ok(i32::from(errors > 0))
}

fn to_json(o: &Opts, rounds: &[RoundResult], med: [&[f64; 9]; 2], errors: u64) -> String {
    let num = |x: f64| {
        Some(x)
            .filter(|x| x.is_finite())
            .map_or("null".into(), |x| format!("{x:.3}"))
    };
    let fields = |v: &[f64; 9]| {
        let kv = FIELDS
            .split_whitespace()
            .zip(v)
            .map(|(n, x)| format!("\"{n}\": {}", num(*x)));
        kv.collect::<Vec<_>>().join(", ")
    };
    let rows = rounds.iter().enumerate().map(|(i, r)| {
        let (kind, round, n) = (r.kind, i / 2 + 1, r.requests);
        let (e, detail) = (r.errors.iter().sum::<u64>(), describe(&r.errors));
        let head = format!("\"server\": \"{kind}\", \"round\": {round}, \"requests\": {n}");
        format!(
            "    {{{head}, {}, \"errors\": {e}, \"error_detail\": \"{detail}\"}}",
            fields(&r.v)
        )
    });
    let rows = rows.collect::<Vec<_>>().join(",\n");
    let (t, c, z, r) = (o.threads, o.conns, o.size, o.rounds);
    let (w, d) = (num(o.warmup.as_secs_f64()), num(o.duration.as_secs_f64()));
    let (kvs, tokio) = (fields(med[0]), fields(med[1]));
    let (rps, p99) = (
        num(med[0][RPS] / med[1][RPS]),
        num(med[0][P99] / med[1][P99]),
    );
    format!(
        "{{\n  \"config\": {{\"threads\": {t}, \"conns\": {c}, \"size\": {z}, \"warmup_s\": {w}, \"duration_s\": {d}, \
         \"rounds\": {r}}},\n  \"rounds\": [\n{rows}\n  ],\n  \"median\": {{\n    \"kvs\": {{{kvs}}},\n    \
         \"tokio\": {{{tokio}}}\n  }},\n  \"ratio\": {{\"req_per_s_kvs_over_tokio\": {rps}, \"p99_kvs_over_tokio\": {p99}}},\n  \
         \"errors\": {errors}\n}}\n"
    )
}
