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

mod load;
mod servers;

use load::*;
use servers::*;

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
