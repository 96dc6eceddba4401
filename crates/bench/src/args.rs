//! `kvs-bench`'s command line: redis-benchmark's flags (`-h -p -c -n -d -r -P -t -q --csv`...)
//! plus its own (`--threads`, `--rate`, `--duration`, `--verify`, `--json`...).

use std::path::PathBuf;

use clap::Parser;

use crate::workload::TestKind;

/// The command line.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "kvs-bench",
    version,
    about = "A redis-benchmark-like load generator for kvs-server and Redis, built on kvs-reactor",
    disable_help_flag = true
)]
pub struct Args {
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Server hostname.
    #[arg(short = 'h', long = "host", default_value = "127.0.0.1")]
    pub host: String,
    /// Server port.
    #[arg(short = 'p', long = "port", default_value_t = 6379)]
    pub port: u16,
    /// Number of parallel connections.
    #[arg(short = 'c', long = "clients", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,
    /// Total number of requests per test (ignored with --duration).
    #[arg(short = 'n', long = "requests", default_value_t = 100_000)]
    pub requests: u64,
    /// Pipeline: requests in flight per connection.
    #[arg(short = 'P', long = "pipeline", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub pipeline: u32,
    /// Tests to run, comma-separated (run in this order:
    /// ping,set,get,incr,mset,mget,del,hset,hget,hgetall,sadd,sismember,smembers). `__rand_int__`
    /// is the 12-byte slot `-r` fills; SET, GET, INCR, MSET, HSET and SADD send redis-benchmark's
    /// commands.
    #[arg(
        short = 't',
        long = "tests",
        value_delimiter = ',',
        default_value = "ping,set,get",
        ignore_case = true
    )]
    pub tests: Vec<TestKind>,
    /// Use random keys in 0..KEYSPACE (`key:000000012345`); by default every request uses
    /// the one key `key:__rand_int__`. For hset, hget, sadd and sismember it is the field or
    /// member that varies (`element:000000012345`), in the one hash `myhash` or set `myset`.
    #[arg(short = 'r', long = "keyspace", value_parser = clap::value_parser!(u64).range(1..))]
    pub keyspace: Option<u64>,
    /// Value size in bytes for SET, MSET, HSET and HGETALL's hash.
    #[arg(short = 'd', long = "datasize", default_value_t = 3)]
    pub data_size: usize,
    /// Event loop threads driving the connections.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub threads: u32,
    /// Quiet: one line per test (requests per second and median latency).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Output in CSV format, like redis-benchmark --csv.
    #[arg(long)]
    pub csv: bool,
    /// Run each test for SECS seconds instead of -n requests.
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub duration: Option<f64>,
    /// Open loop: send R requests per second in total, on a fixed schedule; latency is
    /// measured from each request's scheduled time (coordinated omission corrected).
    #[arg(long, value_name = "R", value_parser = positive_f64)]
    pub rate: Option<f64>,
    /// Write every figure of every test to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Run each test for SECS seconds before measuring.
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    pub warmup: Option<f64>,
    /// Check every reply: each client works on its own keys with predictable values, GETs check
    /// what the SETs wrote (HGET what HSET wrote, SISMEMBER what SADD added), HSET and SADD that
    /// new elements count 1. Any mismatch fails the run.
    #[arg(long)]
    pub verify: bool,
    /// Send each pipeline batch as one transaction: MULTI, the batch's -P requests, EXEC (with
    /// --rate, the requests that fell due together). Requests per second and latencies count
    /// the requests, not the transactions (transactions per second = rps / P), each request's
    /// latency running from the send to EXEC's reply. --verify also checks the +OK and +QUEUED
    /// replies, and each element of EXEC's array as the request's own reply.
    #[arg(long)]
    pub multi: bool,
    /// AUTH with this password before the tests.
    #[arg(short = 'a', long = "auth", value_name = "PASSWORD")]
    pub auth: Option<String>,
    /// Abort a test when requests are outstanding and no reply came for SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = positive_secs)]
    pub timeout: f64,
}

fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

fn positive_secs(s: &str) -> Result<f64, String> {
    let x = positive_f64(s)?;
    if x > 1e7 {
        return Err(format!("`{s}` seconds is too long"));
    }
    Ok(x)
}
