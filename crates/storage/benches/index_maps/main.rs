//! Which concurrent map should hold the index? Measured, not assumed (docs/storage-engine.md §11).
//!
//! For each candidate map (and key / entry representation) this bench builds an index of `N`
//! entries with 16-byte keys and reports, as the median of several runs:
//!
//! * **B/entry** — resident memory per entry *minus the 16 key bytes*: the RSS delta
//!   (`/proc/self/statm`) over the inserts, after `malloc_trim(0)` so that freed tables count
//!   as freed. The issue's target is ≤ 64 B.
//! * **churned** — the same after the get+w phase below (N/2 overwrites, N more keys), per
//!   key then present (2N): what retired versions and resizes leave behind.
//! * **insert** — one thread inserting `N` fresh keys into an empty map (no pre-sizing: the
//!   index grows the way it does during recovery).
//! * **get ×2** — two reader threads, random hits, summed.
//! * **get+w** — one reader thread (random hits) while one writer thread does N/2 overwrites
//!   of existing keys and N inserts of new keys, interleaved: the map doubles, so every
//!   candidate resizes while the reader reads. **w** is the writer's rate meanwhile.
//! * **p999 µs / max µs** — the 99.9th percentile and the slowest wall time of a batch of 256
//!   gets by that reader: a map whose readers wait for the writer (a shard lock held across a
//!   resize) shows up here.
//!
//! Rates are Mops per CPU-second of the thread(s) doing them (`CLOCK_THREAD_CPUTIME_ID`), so
//! that other work on the shared 2-core box does not count against a map; the price is that a
//! reader *parked* on a lock costs no CPU — which is what the stall columns are for. Those are
//! wall-clock and noisy; before each sample the driver waits (up to 10 s) for the box to be
//! quiet.
//!
//! Every measurement runs in a fresh child process (this binary re-executed), so RSS deltas
//! are not polluted by the previous map's freed-but-cached memory.
//!
//! ```text
//! cargo bench -p kvs-storage --bench index_maps                      # 1 M entries, 3 runs
//! cargo bench -p kvs-storage --bench index_maps -- --n 5000000 --runs 3
//! cargo bench -p kvs-storage --bench index_maps -- --only papaya,kvs # names containing either
//! ```
//!
//! The box this was tuned on has 2 cores, so there are at most 2 busy threads at a time.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kvs_storage::index::{Index, IndexEntry};

const KEY_LEN: usize = 16;
const GETS_PER_READER: u64 = 2_000_000;
const STALL_BATCH: u64 = 256;
const CHILD_ENV: &str = "KVS_INDEX_BENCH_CHILD";

mod candidates;
mod keys;
mod measure;

use candidates::*;
use keys::*;
use measure::*;

/// Fraction of the machine's CPU time that was busy over `window` (from `/proc/stat`).
fn busy_fraction(window: Duration) -> f64 {
    let sample = || -> Option<(f64, f64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<f64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        let idle = cpu.get(3)? + cpu.get(4)?; // idle + iowait
        Some((cpu.iter().sum(), idle))
    };
    let (Some((t0, i0)), Some((t1, i1))) = (sample(), {
        std::thread::sleep(window);
        sample()
    }) else {
        return 0.0;
    };
    if t1 > t0 {
        1.0 - (i1 - i0) / (t1 - t0)
    } else {
        0.0
    }
}

/// The box is shared (builds, tests): wait up to `max` for it to be quiet before a sample.
/// Returns false if it never was.
fn wait_for_quiet(max: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < max {
        if busy_fraction(Duration::from_millis(300)) < 0.15 {
            return true;
        }
    }
    false
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let mut it = spec.split(':');
        let idx: usize = it.next().and_then(|x| x.parse().ok()).expect("child idx");
        let n: u64 = it.next().and_then(|x| x.parse().ok()).expect("child n");
        let mem_only = it.next() == Some("mem");
        let sample = (variants()[idx].1)(n, mem_only);
        let text: Vec<String> = sample.iter().map(f64::to_string).collect();
        println!("SAMPLE {}", text.join(" "));
        return;
    }

    let mut ns = vec![1_000_000u64];
    let mut runs = 3usize;
    let mut only: Option<String> = None;
    let mut mem_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--n" => {
                let v = args.next().expect("--n N[,N..]");
                ns = v.split(',').map(|x| x.parse().expect("--n")).collect();
            }
            "--runs" => runs = args.next().expect("--runs R").parse().expect("--runs"),
            "--only" => only = args.next(),
            "--mem-only" => mem_only = true,
            _ => {} // `cargo bench` passes --bench
        }
    }

    let exe = std::env::current_exe().expect("current_exe");
    let chosen: Vec<(usize, &str)> = variants()
        .into_iter()
        .enumerate()
        .map(|(i, (name, _))| (i, name))
        .filter(|(_, name)| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|o| name.contains(o)))
        })
        .collect();
    println!(
        "index map bench: 16-byte keys, {GETS_PER_READER} gets per reader; \
         Mops per CPU-second; median of {runs} runs"
    );
    for &n in &ns {
        // Round-robin over the variants, so that noise on the box hits all of them alike.
        let mut samples: Vec<Vec<Vec<f64>>> = vec![Vec::new(); chosen.len()];
        let mut noisy = 0;
        for _ in 0..runs {
            for (slot, &(idx, name)) in chosen.iter().enumerate() {
                if !wait_for_quiet(Duration::from_secs(10)) {
                    noisy += 1;
                }
                let spec = format!("{idx}:{n}:{}", if mem_only { "mem" } else { "all" });
                let out = Command::new(&exe)
                    .env(CHILD_ENV, spec)
                    .output()
                    .expect("spawn child");
                let text = String::from_utf8_lossy(&out.stdout);
                let line = text.lines().find_map(|l| l.strip_prefix("SAMPLE "));
                let Some(line) = line.filter(|_| out.status.success()) else {
                    eprintln!(
                        "{name}: child failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    continue;
                };
                samples[slot].push(
                    line.split(' ')
                        .map(|x| x.parse().unwrap_or(f64::NAN))
                        .collect(),
                );
            }
        }
        println!();
        println!("N = {n}");
        if noisy > 0 {
            println!("({noisy} samples were taken while the box was busy with something else)");
        }
        let mut header = format!("| {:<34} |", "map / key / entry");
        let mut rule = format!("|{:-<36}|", "");
        for c in COLUMNS {
            header.push_str(&format!(" {c:>7} |"));
            rule.push_str(&format!("{:->9}|", ""));
        }
        println!("{header}\n{rule}");
        for (slot, &(_, name)) in chosen.iter().enumerate() {
            let mut row = format!("| {name:<34} |");
            for (i, c) in COLUMNS.iter().enumerate() {
                let m = median(
                    samples[slot]
                        .iter()
                        .filter_map(|v| v.get(i).copied())
                        .collect(),
                );
                let prec = match *c {
                    "B/entry" | "churned" => 1,
                    c if c.contains("µs") => 0,
                    _ => 2,
                };
                row.push_str(&format!(" {m:>7.prec$} |"));
            }
            println!("{row}");
        }
    }
}
