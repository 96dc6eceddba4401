//! kvs-storage against sled and redb on the same workloads, in the same run (issue 4).
//!
//! Every engine gets its own temporary directory; keys are 16 bytes (`key` + 13 digits), values
//! 100 random bytes (a pool of 4096 drawn once from a seeded RNG, so every engine writes the same
//! bytes). Sections:
//!
//! 1. **Sequential writes**, one key per write call, at three durabilities:
//!    * `no`: kvs `FsyncPolicy::No` · sled with `flush_every_ms(None)` and no `flush()` · redb
//!      one write transaction per key with `Durability::None`.
//!    * `everysec`: kvs `EverySec` · sled's default (background flush every 500 ms) · redb 4.x has
//!      no `Durability::Eventual` any more (removed in redb 3), so: `None` commits plus one
//!      `Immediate` commit per second — exactly what kvs' writer does.
//!    * `durable`: kvs `Always` · redb `Immediate` · sled `insert` + `flush()`; run from 16 threads
//!      at once (kvs group-commits concurrent writes into one fsync; redb serialises write
//!      transactions; sled's flush is shared) and, for reference, from 1 thread.
//!    * `batch1000/durable` (reference): 1000 keys per durable commit for each engine — what
//!      batching buys redb.
//!
//!    kvs writes use the blocking `Store::set` (a round trip to the writer thread); the extra
//!    `kvs-pipelined` row uses `submit_write` without waiting, as the server does.
//! 2. **Random point reads** on a preloaded store (`KVS_BENCH_KEYS`, default 1 M keys): hot set
//!    (1 % of the keys, spread over the key space) and uniform; 1 and 2 threads. kvs reads with
//!    `store.reader().get()` on the calling thread; sled `Db::get`; redb one read transaction per
//!    get (every engine returns an owned copy of the latest committed value).
//! 3. **Mixed 90/10** read/write, uniform keys, on the same preloaded stores (writes at the
//!    `everysec` settings), 1 and 2 threads.
//! 4. **Recovery (open) time** for `KVS_BENCH_RECOVERY` keys (default `1000000,5000000`; opening
//!    10 M keys took ~2 minutes here, too long for a default run: `KVS_BENCH_RECOVERY=10000000`), kvs
//!    with 64 MiB files, with hint files (waited for) and without (hint files deleted from a
//!    copy), page cache warm and cold (`posix_fadvise(DONTNEED)`); sled and redb for the sizes in
//!    `KVS_BENCH_RECOVERY_PEERS` (default `1000000`). Every open runs in a fresh child process.
//! 5. **Index memory**: `stats().index_bytes / keys` and the anonymous-RSS delta per key over
//!    loading 1 M keys (child process, `malloc_trim` before each reading).
//!
//! Sections 1–3 are criterion benchmarks (10 samples, 1 s warm-up, 3 s measurement each); their
//! ops/s (median of the samples) and the kvs/sled and kvs/redb ratios are printed as a table at
//! the end, with the section 4–5 tables.
//!
//! ```text
//! cargo bench -p kvs-storage --bench engine
//! KVS_BENCH_SECTIONS=mem,recovery cargo bench -p kvs-storage --bench engine
//! KVS_BENCH_RECOVERY=1000000,5000000 cargo bench -p kvs-storage --bench engine
//! ```
//!
//! `KVS_BENCH_SECTIONS` (default `mem,write,read,recovery`) picks sections; `KVS_BENCH_DIR` the
//! directory for the temporary stores (default the system temp dir).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use kvs_storage::{FsyncPolicy, Options, Store, TxnFn};
use rand::{Rng, SeedableRng, rngs::StdRng};
use redb::{ReadableDatabase, TableDefinition};

const VAL_LEN: usize = 100;
const SAMPLES: usize = 10;
const CHILD_ENV: &str = "KVS_ENGINE_BENCH_CHILD";
const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");
const INDEX_SRC: &str = include_str!("../../src/engine/index/mod.rs");

mod child;
mod data;
mod engines;
mod measure;
mod recovery;
mod summary;
mod workloads;

use child::*;
use data::*;
use engines::*;
use measure::*;
use recovery::*;
use summary::*;
use workloads::*;

fn env_list(name: &str, default: &str) -> Vec<u64> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn main() {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        let args: Vec<String> = std::env::args().skip(1).collect();
        child(&mode, &args);
        return;
    }
    let sections =
        std::env::var("KVS_BENCH_SECTIONS").unwrap_or_else(|_| "mem,write,read,recovery".into());
    let base = std::env::var("KVS_BENCH_DIR").map_or_else(|_| std::env::temp_dir(), PathBuf::from);
    let n: u64 = std::env::var("KVS_BENCH_KEYS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let vals = Arc::new(Vals::new());
    let index_doc = INDEX_SRC
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    // FNV-1a of the index source, to tell which index a run measured (it is being reworked).
    let fnv = INDEX_SRC.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    println!(
        "kvs-storage engine bench: {n} preloaded keys, index.rs fnv {fnv:016x} ({} bytes): {index_doc}",
        INDEX_SRC.len()
    );
    println!("load average at start: {:.2}", loadavg());
    let start = Instant::now();
    let mut c = Criterion::default()
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
        .configure_from_args();
    let mut tables = String::new();
    if sections.contains("mem") {
        memory(&base, &mut tables);
    }
    if sections.contains("write") {
        writes(&mut c, &base, &vals);
    }
    if sections.contains("read") {
        reads_and_mixed(&mut c, &base, &vals, n);
    }
    if sections.contains("recovery") {
        let sizes = env_list("KVS_BENCH_RECOVERY", "1000000,5000000");
        let peers = env_list("KVS_BENCH_RECOVERY_PEERS", "1000000");
        recovery(&base, &sizes, &peers, &mut tables);
    }
    c.final_summary();
    println!("\n==================== kvs-storage vs sled vs redb ====================");
    println!("{}", summary());
    println!("{tables}");
    println!("total bench time: {:.0} s", start.elapsed().as_secs_f64());
}
