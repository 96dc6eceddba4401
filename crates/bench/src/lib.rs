//! `kvs-bench`: a redis-benchmark-like load generator built on `kvs-reactor`'s client side.
//!
//! It shows how to embed the reactor in a client: `--threads` [`EventLoopThread`]s each drive
//! a share of the `-c` connections, each a [`TcpClient`] whose [`Handler`](kvs_reactor::Handler)
//! keeps up to `-P` requests in flight, counts replies with an allocation-free RESP scanner
//! ([`reply::scan`]) and records each request's latency in its own HDR histogram (merged at the
//! end). It speaks plain RESP, so it benchmarks kvs-server and Redis alike.
//!
//! Two ways to load a server:
//!
//! * **Closed loop** (default): each connection sends a new request as soon as a reply frees a
//!   pipeline slot; `-n` requests in total, or for `--duration` seconds.
//! * **Open loop** (`--rate R`): requests are scheduled at `R` per second over all connections
//!   (each connection's schedule offset so they interleave). A per-loop timer (1 ms) releases
//!   the requests that fell due, and replies release the ones that queued behind them. Latency
//!   is measured from the *scheduled* time, so a slow server is charged for the requests it
//!   delayed (coordinated omission corrected): when a connection falls behind (more than `-P`
//!   requests due), requests wait and their latency grows.
//!
//! With `--multi` each batch a connection sends is one transaction — `MULTI`, up to `-P`
//! requests, `EXEC` — and its `n + 2` replies (`+OK`, `n` × `+QUEUED`, EXEC's array) are
//! matched in order (`txn.rs`): the requests complete together with EXEC's reply, each with
//! its own latency, and EXEC's array is split into their replies ([`reply::array_items`]).
//! Requests per second count requests, not transactions, so the figures compare with plain
//! runs and redis-benchmark.
//!
//! Every failure is counted and reported — error replies (`-ERR`, `-NOAUTH`...), requests lost
//! with a dropped connection, connections that cannot connect or authenticate, `--verify`
//! mismatches — and makes the exit status 1. Every run ends by itself: after `-n` requests or
//! `--duration`, and if the server stops answering for `--timeout` seconds the run is aborted.
//!
//! [`EventLoopThread`]: kvs_reactor::EventLoopThread
//! [`TcpClient`]: kvs_reactor::TcpClient
#![deny(missing_docs)]

mod args;
mod conn;
mod phase;
pub mod reply;
pub mod report;
pub mod request;
mod txn;
pub mod workload;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::Parser;
use kvs_reactor::{ClientOptions, ClientState, ConnId, EventLoopThread, TcpClient, TimerId};

pub use args::Args;
use conn::{BenchConn, Handshake, TestShared};
use phase::{ConnResult, Phase, lock, merge_into, new_total_histogram, now_ns};
use report::{Latency, TestReport};
use workload::{DataSpec, TestKind, Written};

/// Connect attempts per connection before giving up.
const CONNECT_ATTEMPTS: u32 = 4;
/// How long to wait for all connections to be established and authenticated.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Parses the command line and runs the benchmark: the whole `kvs-bench` program.
pub fn main() -> ExitCode {
    run(Args::parse())
}

/// Runs the benchmark described by `args`, printing to stdout (errors to stderr). Exit status:
/// 0 if every request succeeded (and verified), 1 otherwise.
pub fn run(args: Args) -> ExitCode {
    match Bench::new(args).and_then(|mut b| b.run()) {
        Ok(code) => code,
        Err(msg) => {
            clear_progress();
            eprintln!("kvs-bench: {msg}");
            ExitCode::FAILURE
        }
    }
}

struct Bench {
    args: Args,
    addr: SocketAddr,
    loopers: Vec<EventLoopThread>,
    written: Arc<Written>,
    nonce: u64,
    progress: bool,
}

impl Bench {
    fn new(args: Args) -> Result<Bench, String> {
        let addr = resolve(&args.host, args.port)?;
        kvs_reactor::raise_open_files_limit(u64::from(args.clients) + 256);
        let loopers = (0..args.threads)
            .map(|i| EventLoopThread::spawn(format!("kvs-bench-{i}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("cannot start event loop threads: {e}"))?;
        let nonce = workload::splitmix(
            now_ns()
                ^ std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
                ^ u64::from(std::process::id()) << 32,
        );
        Ok(Bench {
            written: Arc::new(Written::new(args.clients as usize)),
            progress: std::io::stdout().is_terminal() && !args.csv,
            args,
            addr,
            loopers,
            nonce,
        })
    }

    fn run(&mut self) -> Result<ExitCode, String> {
        let tests: BTreeSet<TestKind> = self.args.tests.iter().copied().collect();
        if self.args.csv {
            println!("{}", report::CSV_HEADER);
        }
        let mut reports = Vec::new();
        for kind in tests {
            let r = self.run_test(kind)?;
            clear_progress_if(self.progress);
            if self.args.csv {
                println!("{}", report::csv_row(&r));
            } else {
                println!("{}", report::quiet_line(&r));
            }
            if r.failed() {
                eprintln!(
                    "{}: {} errors ({} error replies, {} dropped, {} connection errors, {} warm-up errors), {} mismatches{}",
                    r.name,
                    r.errors(),
                    r.error_replies,
                    r.dropped,
                    r.connection_errors,
                    r.warmup_errors,
                    r.mismatches,
                    match r.samples.first() {
                        Some(s) => format!("; first: {s}"),
                        None => String::new(),
                    }
                );
            }
            let _ = std::io::stdout().flush();
            reports.push(r);
        }
        if !self.args.quiet && !self.args.csv {
            println!();
            println!(
                "{} clients, {} threads, pipeline {}{}, {} bytes values, {}{}",
                self.args.clients,
                self.args.threads,
                self.args.pipeline,
                if self.args.multi {
                    " in MULTI/EXEC"
                } else {
                    ""
                },
                self.args.data_size,
                match self.args.keyspace {
                    Some(k) => format!("keyspace {k}"),
                    None => "one key".to_owned(),
                },
                match self.args.rate {
                    Some(r) => format!(", open loop at {r} requests/s"),
                    None => String::new(),
                }
            );
            print!("{}", report::table(&reports));
        }
        if let Some(path) = &self.args.json {
            std::fs::write(path, self.json(&reports))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        let failed = reports.iter().any(TestReport::failed);
        Ok(if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    }

    fn json(&self, reports: &[TestReport]) -> String {
        use report::{json_num, json_str};
        let a = &self.args;
        let opt = |x: Option<f64>| x.map_or("null".to_owned(), json_num);
        let tests: Vec<String> = reports.iter().map(report::json_test).collect();
        format!(
            concat!(
                "{{\"tool\":\"kvs-bench\",\"version\":{},\"host\":{},\"port\":{},",
                "\"clients\":{},\"requests\":{},\"pipeline\":{},\"threads\":{},",
                "\"data_size\":{},\"keyspace\":{},\"duration_secs\":{},\"rate\":{},",
                "\"warmup_secs\":{},\"verify\":{},\"multi\":{},\"failed\":{},\"tests\":[{}]}}\n"
            ),
            json_str(env!("CARGO_PKG_VERSION")),
            json_str(&a.host),
            a.port,
            a.clients,
            a.requests,
            a.pipeline,
            a.threads,
            a.data_size,
            a.keyspace.map_or("null".to_owned(), |k| k.to_string()),
            opt(a.duration),
            opt(a.rate),
            opt(a.warmup),
            a.verify,
            a.multi,
            reports.iter().any(TestReport::failed),
            tests.join(",")
        )
    }

    /// Connects, (warms up,) measures, disconnects.
    fn run_test(&mut self, kind: TestKind) -> Result<TestReport, String> {
        let a = &self.args;
        let shared = Arc::new(TestShared {
            kind,
            spec: DataSpec {
                data_size: a.data_size,
                keyspace: a.keyspace,
                verify: a.verify.then_some(self.nonce),
                pipeline: a.pipeline as usize,
                multi: a.multi,
            },
            auth: a.auth.clone(),
            written: self.written.clone(),
            handshake: Mutex::new(Handshake::default()),
            handshake_cv: Condvar::new(),
            notes: Mutex::new(Vec::new()),
            done: AtomicBool::new(false),
        });
        let (clients, ready, mut connection_errors, mut samples) =
            self.connect_all(kind, &shared)?;

        let mut warmup_errors = 0;
        if let Some(secs) = a.warmup {
            let phase = Arc::new(Phase::new(false, None, a.rate, ready.len()));
            let label = format!("{} warm-up", kind.name());
            let results = self.run_phase(kind, &phase, &clients, &ready, Some(secs), &label);
            for r in &results {
                warmup_errors += r.error_replies + r.dropped + r.mismatches + u64::from(r.lost);
                samples.extend(r.samples.iter().map(|s| format!("warm-up: {s}")));
            }
        }
        let limit = if a.duration.is_some() {
            None
        } else {
            Some(a.requests)
        };
        let phase = Arc::new(Phase::new(true, limit, a.rate, ready.len()));
        let results = self.run_phase(kind, &phase, &clients, &ready, a.duration, kind.name());
        shared.done.store(true, Ordering::Relaxed);
        for c in &clients {
            c.stop();
        }

        let mut hist = new_total_histogram();
        let (mut completed, mut error_replies, mut dropped, mut mismatches) = (0, 0, 0, 0);
        let mut last = 0u64;
        for r in &results {
            completed += r.completed;
            error_replies += r.error_replies;
            dropped += r.dropped;
            mismatches += r.mismatches;
            connection_errors += u64::from(r.lost);
            last = last.max(r.last_reply);
            samples.extend(r.samples.iter().cloned());
            merge_into(&mut hist, &r.hist);
        }
        let elapsed_secs = last.saturating_sub(phase.t0) as f64 / 1e9;
        let rps = if elapsed_secs > 0.0 {
            completed as f64 / elapsed_secs
        } else {
            0.0
        };
        samples.append(&mut shared.notes.lock().unwrap_or_else(PoisonError::into_inner));
        samples.truncate(10);
        Ok(TestReport {
            name: kind.name(),
            requests: completed,
            elapsed_secs,
            rps,
            target_rate: a.rate,
            clients: ready.len(),
            latency: Latency::from_histogram(&hist),
            error_replies,
            dropped,
            connection_errors,
            mismatches,
            warmup_errors,
            samples,
        })
    }

    /// Opens `-c` connections and waits for them to be ready (connected, authenticated).
    /// Returns the clients, the ready connections `(client index, conn id)`, how many failed,
    /// and why. Fails if none is ready.
    #[allow(clippy::type_complexity)]
    fn connect_all(
        &self,
        kind: TestKind,
        shared: &Arc<TestShared>,
    ) -> Result<(Vec<TcpClient>, Vec<(usize, ConnId)>, u64, Vec<String>), String> {
        let n = self.args.clients as usize;
        let opts = ClientOptions {
            retry: true,
            reconnect: false,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            max_attempts: Some(CONNECT_ATTEMPTS),
            ..ClientOptions::default()
        };
        let clients: Vec<TcpClient> = (0..n)
            .map(|idx| {
                let looper = &self.loopers[idx % self.loopers.len()];
                let shared = shared.clone();
                TcpClient::connect(looper.handle(), self.addr, opts.clone(), move || {
                    BenchConn::new(shared.clone(), idx)
                })
            })
            .collect();
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        let mut ids: Vec<Option<ConnId>> = vec![None; n];
        // (client index, why) for clients that never got a usable connection.
        let mut unreachable: Vec<(usize, String)> = Vec::new();
        for (idx, c) in clients.iter().enumerate() {
            match c.wait_connected(deadline.saturating_duration_since(Instant::now())) {
                Some(h) => ids[idx] = Some(h.id()),
                None => {
                    c.stop();
                    // A connection can connect, fail its AUTH and be closed before this thread
                    // looks at it: then the handshake failure (recorded before the close) is
                    // the reason, not "cannot connect".
                    if lock(&shared.handshake)
                        .failed
                        .iter()
                        .any(|(i, _)| *i == idx)
                    {
                        continue;
                    }
                    let why = match (c.state(), c.last_error()) {
                        (ClientState::Connecting, _) => "connect timed out".to_owned(),
                        (_, Some(e)) => e,
                        (_, None) => "connection closed".to_owned(),
                    };
                    unreachable.push((
                        idx,
                        format!(
                            "cannot connect to {} after {CONNECT_ATTEMPTS} attempts: {why}",
                            self.addr
                        ),
                    ));
                }
            }
        }
        let is_unreachable = |idx: usize| unreachable.iter().any(|(i, _)| *i == idx);
        let expected = n - unreachable.len();
        // Wait for every other handler to finish its handshake.
        let mut hs = lock(&shared.handshake);
        let outcomes = |hs: &Handshake| {
            hs.ready.len()
                + hs.failed
                    .iter()
                    .filter(|(i, _)| !is_unreachable(*i))
                    .count()
        };
        while outcomes(&hs) < expected {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            hs = shared
                .handshake_cv
                .wait_timeout(hs, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let mut ready: Vec<(usize, ConnId)> = hs
            .ready
            .iter()
            .filter_map(|&idx| ids.get(idx).copied().flatten().map(|id| (idx, id)))
            .collect();
        ready.sort_unstable();
        let answered = outcomes(&hs);
        let mut failures: Vec<String> = hs
            .failed
            .iter()
            .filter(|(i, _)| !is_unreachable(*i))
            .map(|(_, why)| why.clone())
            .collect();
        drop(hs);
        failures.extend(unreachable.into_iter().map(|(_, why)| why));
        for _ in answered..expected {
            failures.push("no answer to AUTH".to_owned());
        }
        if ready.is_empty() {
            for c in &clients {
                c.stop();
            }
            let first = failures.first().cloned().unwrap_or_default();
            return Err(format!(
                "{}: none of the {n} connections could be used ({first})",
                kind.name()
            ));
        }
        if !failures.is_empty() {
            clear_progress_if(self.progress);
            eprintln!(
                "{}: {} of {n} connections failed; first: {}",
                kind.name(),
                failures.len(),
                failures[0]
            );
        }
        Ok((clients, ready, failures.len() as u64, failures))
    }

    /// Runs one phase on the ready connections until it is over, showing progress.
    fn run_phase(
        &self,
        kind: TestKind,
        phase: &Arc<Phase>,
        clients: &[TcpClient],
        ready: &[(usize, ConnId)],
        duration: Option<f64>,
        label: &str,
    ) -> Vec<ConnResult> {
        // Start every connection on its own loop, one functor per loop.
        for (l, looper) in self.loopers.iter().enumerate() {
            let mine: Vec<(usize, usize, ConnId)> = ready
                .iter()
                .enumerate()
                .filter(|(_, (idx, _))| idx % self.loopers.len() == l)
                .map(|(rank, &(idx, id))| (rank, idx, id))
                .collect();
            if mine.is_empty() {
                continue;
            }
            let phase = phase.clone();
            looper.handle().queue_in_loop(move |el| {
                for &(rank, idx, id) in &mine {
                    let started = el.with_handler::<BenchConn, _>(id, |h, conn| {
                        h.start(conn, phase.clone(), rank)
                    });
                    if started.is_none() {
                        phase.deliver(ConnResult::lost(idx, "connection lost before the test"));
                    }
                }
                if phase.rate.is_some() {
                    // The open-loop clock: one timer per loop releases due requests.
                    let ids: Vec<ConnId> = mine.iter().map(|&(_, _, id)| id).collect();
                    let me: std::rc::Rc<std::cell::Cell<Option<TimerId>>> = Default::default();
                    let me2 = me.clone();
                    let t = el.run_every(Duration::from_nanos(conn::TICK_NS), move |el| {
                        let mut active = false;
                        for &id in &ids {
                            active |= el
                                .with_handler::<BenchConn, _>(id, |h, conn| h.on_tick(conn))
                                .unwrap_or(false);
                        }
                        if !active && let Some(t) = me2.get() {
                            el.cancel(t);
                        }
                    });
                    me.set(Some(t));
                }
            });
        }

        let n = ready.len();
        let start = Instant::now();
        let stall = Duration::from_secs_f64(self.args.timeout);
        let duration = duration.map(Duration::from_secs_f64);
        let (mut last_completed, mut last_change) = (0u64, start);
        let mut last_progress = start;
        let mut abort_deadline: Option<Instant> = None;
        loop {
            if phase.wait_results(n, Duration::from_millis(50)) >= n {
                break;
            }
            let now = Instant::now();
            if let Some(d) = duration
                && now.duration_since(start) >= d
            {
                phase.stop.store(true, Ordering::Relaxed);
            }
            let completed = phase.completed.load(Ordering::Relaxed);
            let sent = phase.sent.load(Ordering::Relaxed);
            if completed != last_completed {
                (last_completed, last_change) = (completed, now);
            }
            match abort_deadline {
                None if sent > completed && now.duration_since(last_change) >= stall => {
                    clear_progress_if(self.progress);
                    eprintln!(
                        "{label}: no reply for {:.1} s with {} requests outstanding: aborting the test",
                        stall.as_secs_f64(),
                        sent - completed
                    );
                    phase.stop.store(true, Ordering::Relaxed);
                    for c in clients {
                        c.stop();
                    }
                    abort_deadline = Some(now + Duration::from_secs(5));
                }
                Some(d) if now >= d => break,
                _ => {}
            }
            if self.progress && now.duration_since(last_progress) >= Duration::from_millis(250) {
                last_progress = now;
                self.show_progress(kind, label, phase, start, duration);
            }
        }
        clear_progress_if(self.progress);
        let mut results = phase.take_results();
        // Connections that never reported (aborted run): count them as lost.
        if results.len() < n {
            let seen: BTreeSet<usize> = results.iter().map(|r| r.idx).collect();
            for &(idx, _) in ready {
                if !seen.contains(&idx) {
                    results.push(ConnResult::lost(idx, "connection did not finish"));
                }
            }
        }
        results
    }

    fn show_progress(
        &self,
        _kind: TestKind,
        label: &str,
        phase: &Phase,
        start: Instant,
        duration: Option<Duration>,
    ) {
        let elapsed = start.elapsed().as_secs_f64();
        let done = phase.completed.load(Ordering::Relaxed);
        let errors = phase.errors.load(Ordering::Relaxed);
        let rps = if elapsed > 0.0 {
            done as f64 / elapsed
        } else {
            0.0
        };
        let eta = match (duration, phase.limit) {
            (Some(d), _) => (d.as_secs_f64() - elapsed).max(0.0),
            (None, Some(n)) if rps > 0.0 => n.saturating_sub(done) as f64 / rps,
            _ => f64::NAN,
        };
        let total = match phase.limit {
            Some(n) => format!("{done}/{n}"),
            None => done.to_string(),
        };
        let errors = if errors > 0 {
            format!(", {errors} errors")
        } else {
            String::new()
        };
        let mut out = std::io::stdout().lock();
        let _ = write!(
            out,
            "\r\x1b[K{label}: rps={rps:.1} requests={total}{errors} elapsed {elapsed:.1}s ETA {eta:.1}s"
        );
        let _ = out.flush();
    }
}

fn clear_progress_if(on: bool) {
    if on {
        clear_progress();
    }
}

fn clear_progress() {
    if std::io::stdout().is_terminal() {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\r\x1b[K");
        let _ = out.flush();
    }
}

/// `-h HOST -p PORT` to an address, IPv4 first.
fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{host} has no address"))
}
