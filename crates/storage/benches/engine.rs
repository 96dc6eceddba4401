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
const INDEX_SRC: &str = include_str!("../src/engine/index/mod.rs");

// ---------------------------------------------------------------------------------------------
// Keys, values, randomness
// ---------------------------------------------------------------------------------------------

/// The `i`th key: `key` and 13 decimal digits, 16 bytes.
fn key(i: u64) -> [u8; 16] {
    let mut k = *b"key0000000000000";
    let mut n = i;
    for b in k[3..].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    k
}

struct Vals(Vec<[u8; VAL_LEN]>);

impl Vals {
    fn new() -> Vals {
        let mut rng = StdRng::seed_from_u64(0x6b76_7300);
        Vals(
            (0..4096)
                .map(|_| {
                    let mut v = [0u8; VAL_LEN];
                    rng.fill(&mut v[..]);
                    v
                })
                .collect(),
        )
    }
    fn get(&self, i: u64) -> &[u8] {
        &self.0[(i as usize) & 4095]
    }
}

/// xorshift64*: a few ns per number, the same sequence for every engine.
struct Rng64(u64);

impl Rng64 {
    fn new(seed: u64) -> Rng64 {
        Rng64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

static SEED: AtomicU64 = AtomicU64::new(1);

// ---------------------------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Dur {
    No,
    EverySec,
    Always,
}

trait Engine: Sync {
    fn put(&self, k: &[u8], v: &[u8]);
    /// Reads `k` into an owned value; returns whether it was found.
    fn get(&self, k: &[u8]) -> bool;
    /// Writes `keys` with one durable commit.
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]);
}

struct Kvs {
    store: Store,
}

impl Kvs {
    fn open(dir: &Path, d: Dur) -> Kvs {
        let fsync = match d {
            Dur::No => FsyncPolicy::No,
            Dur::EverySec => FsyncPolicy::EverySec,
            Dur::Always => FsyncPolicy::Always,
        };
        Kvs {
            store: Store::open_with(
                dir,
                Options {
                    fsync,
                    ..Options::default()
                },
            )
            .expect("kvs open"),
        }
    }
}

impl Engine for Kvs {
    fn put(&self, k: &[u8], v: &[u8]) {
        self.store.set(k, v).expect("kvs set");
    }
    fn get(&self, k: &[u8]) -> bool {
        let v = self.store.reader().get(k).expect("kvs get");
        let found = v.is_some();
        black_box(v);
        found
    }
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]) {
        let owned: Vec<([u8; 16], Vec<u8>)> = kvs.iter().map(|(k, v)| (*k, v.to_vec())).collect();
        self.store
            .execute(move |t| {
                for (k, v) in &owned {
                    t.put(k, v, None);
                }
            })
            .expect("kvs execute");
    }
}

struct Sled {
    db: sled::Db,
    flush_each: bool,
}

impl Sled {
    fn open(dir: &Path, d: Dur) -> Sled {
        let every = if d == Dur::EverySec { Some(500) } else { None };
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(every)
            .open()
            .expect("sled open");
        Sled {
            db,
            flush_each: d == Dur::Always,
        }
    }
}

impl Engine for Sled {
    fn put(&self, k: &[u8], v: &[u8]) {
        self.db.insert(k, v).expect("sled insert");
        if self.flush_each {
            self.db.flush().expect("sled flush");
        }
    }
    fn get(&self, k: &[u8]) -> bool {
        let v = self.db.get(k).expect("sled get");
        let found = v.is_some();
        black_box(v);
        found
    }
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]) {
        let mut b = sled::Batch::default();
        for (k, v) in kvs {
            b.insert(&k[..], *v);
        }
        self.db.apply_batch(b).expect("sled batch");
        self.db.flush().expect("sled flush");
    }
}

struct Redb {
    db: redb::Database,
    d: Dur,
    last_durable: Mutex<Instant>,
}

impl Redb {
    fn open(dir: &Path, d: Dur) -> Redb {
        std::fs::create_dir_all(dir).expect("mkdir");
        let db = redb::Database::create(dir.join("db.redb")).expect("redb create");
        let tx = db.begin_write().expect("redb begin");
        tx.open_table(TABLE).expect("redb table");
        tx.commit().expect("redb commit");
        Redb {
            db,
            d,
            last_durable: Mutex::new(Instant::now()),
        }
    }
    fn durability(&self) -> redb::Durability {
        match self.d {
            Dur::No => redb::Durability::None,
            Dur::Always => redb::Durability::Immediate,
            Dur::EverySec => {
                let mut last = self.last_durable.lock().expect("lock");
                if last.elapsed() >= Duration::from_secs(1) {
                    *last = Instant::now();
                    redb::Durability::Immediate
                } else {
                    redb::Durability::None
                }
            }
        }
    }
}

impl Engine for Redb {
    fn put(&self, k: &[u8], v: &[u8]) {
        let mut tx = self.db.begin_write().expect("redb begin");
        tx.set_durability(self.durability())
            .expect("redb durability");
        {
            let mut t = tx.open_table(TABLE).expect("redb table");
            t.insert(k, v).expect("redb insert");
        }
        tx.commit().expect("redb commit");
    }
    fn get(&self, k: &[u8]) -> bool {
        let tx = self.db.begin_read().expect("redb read");
        let t = tx.open_table(TABLE).expect("redb table");
        let v = t.get(k).expect("redb get").map(|g| g.value().to_vec());
        let found = v.is_some();
        black_box(v);
        found
    }
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]) {
        let mut tx = self.db.begin_write().expect("redb begin");
        tx.set_durability(redb::Durability::Immediate)
            .expect("redb durability");
        {
            let mut t = tx.open_table(TABLE).expect("redb table");
            for (k, v) in kvs {
                t.insert(&k[..], *v).expect("redb insert");
            }
        }
        tx.commit().expect("redb commit");
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk loading (not measured by criterion)
// ---------------------------------------------------------------------------------------------

/// Loads keys `range` into kvs with pipelined `submit_writes` (1000 single-put commands per
/// message), waiting for the writer every 100 messages.
fn kvs_load(store: &Store, range: std::ops::Range<u64>, vals: &Arc<Vals>) {
    let failed = Arc::new(AtomicBool::new(false));
    let mut chunk = 0u64;
    let mut i = range.start;
    while i < range.end {
        let end = (i + 1000).min(range.end);
        let fs: Vec<TxnFn> = (i..end)
            .map(|j| {
                let (vals, failed) = (vals.clone(), failed.clone());
                Box::new(move |t: &mut kvs_storage::Txn<'_>| {
                    t.put(&key(j), vals.get(j), None);
                    Box::new(move |r: kvs_storage::Result<()>| {
                        if r.is_err() {
                            failed.store(true, Relaxed);
                        }
                    }) as kvs_storage::Completion
                }) as TxnFn
            })
            .collect();
        store.submit_writes(fs).expect("kvs submit");
        i = end;
        chunk += 1;
        if chunk.is_multiple_of(100) {
            store.execute(|_| ()).expect("kvs barrier");
        }
    }
    store.execute(|_| ()).expect("kvs barrier");
    assert!(!failed.load(Relaxed), "a kvs write failed during the load");
}

fn sled_load(db: &sled::Db, range: std::ops::Range<u64>, vals: &Vals) {
    for j in range {
        db.insert(key(j), vals.get(j)).expect("sled insert");
    }
    db.flush().expect("sled flush");
}

fn redb_load(db: &redb::Database, range: std::ops::Range<u64>, vals: &Vals) {
    let mut i = range.start;
    while i < range.end {
        let end = (i + 10_000).min(range.end);
        let mut tx = db.begin_write().expect("redb begin");
        let d = if end == range.end {
            redb::Durability::Immediate
        } else {
            redb::Durability::None
        };
        tx.set_durability(d).expect("redb durability");
        {
            let mut t = tx.open_table(TABLE).expect("redb table");
            for j in i..end {
                t.insert(&key(j)[..], vals.get(j)).expect("redb insert");
            }
        }
        tx.commit().expect("redb commit");
        i = end;
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement plumbing: criterion runs the benchmark; we also keep its samples to print ratios.
// ---------------------------------------------------------------------------------------------

struct Row {
    workload: String,
    engine: String,
    ops: f64,
    /// Process CPU time (all threads: the caller's and the engine's own) per operation, µs.
    cpu_us: f64,
    /// 1-minute load average when the benchmark started (the box is shared).
    load: f64,
}

static ROWS: Mutex<Vec<Row>> = Mutex::new(Vec::new());

/// User + system CPU time of the whole process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Runs one criterion benchmark `workload/engine` whose routine does `iters` operations and
/// returns the time they took; records the median ops/s (and CPU time per op) of the measured
/// samples.
fn measure(c: &mut Criterion, workload: &str, engine: &str, mut f: impl FnMut(u64) -> Duration) {
    let load = loadavg();
    let samples: RefCell<Vec<(u64, Duration, Duration)>> = RefCell::new(Vec::new());
    let mut g = c.benchmark_group(workload);
    g.sample_size(SAMPLES).throughput(Throughput::Elements(1));
    g.bench_function(engine, |b| {
        b.iter_custom(|iters| {
            let cpu = cpu_time();
            let d = f(iters);
            samples
                .borrow_mut()
                .push((iters, d, cpu_time().saturating_sub(cpu)));
            d
        })
    });
    g.finish();
    let s = samples.into_inner();
    if s.len() < SAMPLES {
        return; // filtered out
    }
    let last = &s[s.len() - SAMPLES..];
    let ops = median(
        last.iter()
            .map(|(n, d, _)| *n as f64 / d.as_secs_f64())
            .collect(),
    );
    let cpu_us = median(
        last.iter()
            .map(|(n, _, c)| c.as_secs_f64() * 1e6 / *n as f64)
            .collect(),
    );
    println!(
        "  => {workload} {engine}: {} ops/s, {cpu_us:.2} CPU µs/op, load {load:.1}",
        fmt_ops(ops)
    );
    ROWS.lock().expect("rows").push(Row {
        workload: workload.into(),
        engine: engine.into(),
        ops,
        cpu_us,
        load,
    });
}

/// Runs `iters` calls of `f` split over `threads` threads; wall-clock time.
fn par(threads: usize, iters: u64, f: &(impl Fn(&mut Rng64) + Sync)) -> Duration {
    let seed = SEED.fetch_add(threads as u64, Relaxed);
    if threads == 1 {
        let mut rng = Rng64::new(seed);
        let t = Instant::now();
        for _ in 0..iters {
            f(&mut rng);
        }
        return t.elapsed();
    }
    let per = iters.div_ceil(threads as u64);
    let t = Instant::now();
    std::thread::scope(|s| {
        for n in 0..threads {
            s.spawn(move || {
                let mut rng = Rng64::new(seed + n as u64);
                for _ in 0..per {
                    f(&mut rng);
                }
            });
        }
    });
    t.elapsed()
}

/// `iters` sequential-key writes from `threads` threads, keys continuing from `next`.
fn seq_writes(
    e: &dyn Engine,
    next: &AtomicU64,
    threads: usize,
    iters: u64,
    vals: &Vals,
) -> Duration {
    let base = next.fetch_add(iters, Relaxed);
    let claim = AtomicU64::new(0);
    let work = || {
        loop {
            let i = claim.fetch_add(1, Relaxed);
            if i >= iters {
                break;
            }
            let j = base + i;
            e.put(&key(j), vals.get(j));
        }
    };
    let t = Instant::now();
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    t.elapsed()
}

/// kvs writes through `submit_write` without waiting for each (at most 3×512 in flight).
fn kvs_pipelined(store: &Store, next: &AtomicU64, iters: u64, vals: &Arc<Vals>) -> Duration {
    let base = next.fetch_add(iters, Relaxed);
    let t = Instant::now();
    let mut pending: std::collections::VecDeque<crossbeam_channel::Receiver<()>> =
        Default::default();
    let mut i = 0;
    while i < iters {
        let end = (i + 512).min(iters);
        let (tx, rx) = crossbeam_channel::bounded(1);
        for n in i..end {
            let j = base + n;
            let vals = vals.clone();
            let last = (n + 1 == end).then(|| tx.clone());
            store
                .submit_write(move |t| {
                    t.put(&key(j), vals.get(j), None);
                    Box::new(move |r| {
                        r.expect("kvs write");
                        if let Some(tx) = last {
                            let _ = tx.send(());
                        }
                    })
                })
                .expect("kvs submit");
        }
        pending.push_back(rx);
        if pending.len() > 2 {
            pending.pop_front().map(|rx| rx.recv());
        }
        i = end;
    }
    for rx in pending {
        let _ = rx.recv();
    }
    t.elapsed()
}

fn fmt_ops(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

fn tempdir(base: &Path, name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kvs-engine-bench-{name}-"))
        .tempdir_in(base)
        .expect("tempdir")
}

// ---------------------------------------------------------------------------------------------
// Sections 1–3
// ---------------------------------------------------------------------------------------------

fn writes(c: &mut Criterion, base: &Path, vals: &Arc<Vals>) {
    for (label, d) in [("no", Dur::No), ("everysec", Dur::EverySec)] {
        let (dk, ds, dr) = (
            tempdir(base, "wk"),
            tempdir(base, "ws"),
            tempdir(base, "wr"),
        );
        let kvs = Kvs::open(dk.path(), d);
        let sled = Sled::open(ds.path(), d);
        let redb = Redb::open(dr.path(), d);
        let w = format!("write-seq/{label}");
        let (nk, ns, nr) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        measure(c, &w, "kvs", |n| seq_writes(&kvs, &nk, 1, n, vals));
        measure(c, &w, "sled", |n| seq_writes(&sled, &ns, 1, n, vals));
        measure(c, &w, "redb", |n| seq_writes(&redb, &nr, 1, n, vals));
        measure(c, &w, "kvs-pipelined", |n| {
            kvs_pipelined(&kvs.store, &nk, n, vals)
        });
        report_sizes(
            &w,
            &[("kvs", dk.path()), ("sled", ds.path()), ("redb", dr.path())],
        );
    }
    for threads in [16, 1] {
        let (dk, ds, dr) = (
            tempdir(base, "dk"),
            tempdir(base, "ds"),
            tempdir(base, "dr"),
        );
        let kvs = Kvs::open(dk.path(), Dur::Always);
        let sled = Sled::open(ds.path(), Dur::Always);
        let redb = Redb::open(dr.path(), Dur::Always);
        let w = format!("write-seq/durable/{threads}t");
        let (nk, ns, nr) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
        measure(c, &w, "kvs", |n| seq_writes(&kvs, &nk, threads, n, vals));
        measure(c, &w, "sled", |n| seq_writes(&sled, &ns, threads, n, vals));
        measure(c, &w, "redb", |n| seq_writes(&redb, &nr, threads, n, vals));
        let s = kvs.store.stats();
        println!(
            "  kvs {w}: {} writes in {} batches, {} fsyncs",
            s.writes, s.write_batches, s.fsyncs
        );
        if threads == 1 {
            // Reference: 1000 keys per durable commit.
            let w = "write-batch1000/durable";
            let batch = |e: &dyn Engine, next: &AtomicU64, iters: u64| {
                let base = next.fetch_add(iters, Relaxed);
                let t = Instant::now();
                let mut i = 0;
                while i < iters {
                    let end = (i + 1000).min(iters);
                    let kv: Vec<([u8; 16], &[u8])> = (i..end)
                        .map(|n| (key(base + n), vals.get(base + n)))
                        .collect();
                    e.put_batch(&kv);
                    i = end;
                }
                t.elapsed()
            };
            measure(c, w, "kvs", |n| batch(&kvs, &nk, n));
            measure(c, w, "sled", |n| batch(&sled, &ns, n));
            measure(c, w, "redb", |n| batch(&redb, &nr, n));
        }
    }
}

fn report_sizes(w: &str, dirs: &[(&str, &Path)]) {
    let mut line = format!("  on-disk after {w}:");
    for (name, d) in dirs {
        let _ = write!(line, " {name} {:.0} MB", dir_bytes(d) as f64 / 1e6);
    }
    println!("{line}");
}

fn dir_bytes(d: &Path) -> u64 {
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            n += if m.is_dir() {
                dir_bytes(&e.path())
            } else {
                m.len()
            };
        }
    }
    n
}

fn reads_and_mixed(c: &mut Criterion, base: &Path, vals: &Arc<Vals>, n: u64) {
    let (dk, ds, dr) = (
        tempdir(base, "rk"),
        tempdir(base, "rs"),
        tempdir(base, "rr"),
    );
    let t = Instant::now();
    let kvs = Kvs::open(dk.path(), Dur::EverySec);
    kvs_load(&kvs.store, 0..n, vals);
    let tk = t.elapsed();
    let t = Instant::now();
    let sled = Sled::open(ds.path(), Dur::EverySec);
    sled_load(&sled.db, 0..n, vals);
    let ts = t.elapsed();
    let t = Instant::now();
    let redb = Redb::open(dr.path(), Dur::EverySec);
    redb_load(&redb.db, 0..n, vals);
    let tr = t.elapsed();
    println!(
        "preloaded {n} keys: kvs {:.1} s (pipelined, 1000 commands/message), sled {:.1} s, redb {:.1} s (10k keys/txn)",
        tk.as_secs_f64(),
        ts.as_secs_f64(),
        tr.as_secs_f64()
    );
    let st = kvs.store.stats();
    let active = st.files.last().map_or(0, |f| f.1.total);
    println!(
        "  kvs: {} files, {:.0} MB, active file {:.0} MB ({:.0} % of the data is read with pread, the rest from mmap)",
        st.files.len(),
        st.disk_bytes as f64 / 1e6,
        active as f64 / 1e6,
        100.0 * active as f64 / st.disk_bytes.max(1) as f64
    );
    let engines: [(&str, &dyn Engine); 3] = [("kvs", &kvs), ("sled", &sled), ("redb", &redb)];
    for (set, span, stride) in [("hot1%", (n / 100).max(1), 100), ("uniform", n, 1)] {
        for threads in [1, 2] {
            let w = format!("read/{set}/{threads}t");
            for (name, e) in engines {
                measure(c, &w, name, |iters| {
                    par(threads, iters, &|rng: &mut Rng64| {
                        let i = (rng.next() % span) * stride + (stride / 3);
                        assert!(e.get(&key(i)), "{name}: key {i} missing");
                    })
                });
            }
        }
    }
    for threads in [1, 2] {
        let w = format!("mixed90-10/everysec/{threads}t");
        for (name, e) in engines {
            measure(c, &w, name, |iters| {
                par(threads, iters, &|rng: &mut Rng64| {
                    let r = rng.next();
                    let i = r % n;
                    if (r >> 40).is_multiple_of(10) {
                        e.put(&key(i), vals.get(r >> 20));
                    } else {
                        assert!(e.get(&key(i)), "{name}: key {i} missing");
                    }
                })
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Child processes: memory, builds, opens
// ---------------------------------------------------------------------------------------------

/// Anonymous resident memory of this process (heap, not mapped files), bytes.
fn rss_anon() -> u64 {
    // SAFETY: malloc_trim only returns free heap memory to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn child(mode: &str, args: &[String]) {
    let vals = Arc::new(Vals::new());
    let dir = PathBuf::from(&args[0]);
    let n: u64 = args.get(1).map_or(0, |s| s.parse().expect("n"));
    match mode {
        "mem-kvs" => {
            let store = Store::open_with(
                &dir,
                Options {
                    compaction_interval: None,
                    ..Options::default()
                },
            )
            .expect("open");
            kvs_load(&store, 0..1000, &vals);
            let before = rss_anon();
            kvs_load(&store, 1000..n + 1000, &vals);
            let after = rss_anon();
            let st = store.stats();
            println!(
                "RESULT keys={} index_bytes={} rss_delta={} per_key_stats={:.1} per_key_rss={:.1}",
                st.keys,
                st.index_bytes,
                after.saturating_sub(before),
                st.index_bytes as f64 / st.keys as f64,
                after.saturating_sub(before) as f64 / n as f64
            );
        }
        "mem-sled" | "mem-redb" => {
            let before = rss_anon();
            if mode == "mem-sled" {
                let db = sled::Config::new().path(&dir).open().expect("sled");
                sled_load(&db, 0..n, &vals);
                let after = rss_anon();
                println!(
                    "RESULT rss_delta={} per_key_rss={:.1}",
                    after - before,
                    (after - before) as f64 / n as f64
                );
                std::process::exit(0);
            }
            std::fs::create_dir_all(&dir).expect("mkdir");
            let db = redb::Database::create(dir.join("db.redb")).expect("redb");
            redb_load(&db, 0..n, &vals);
            let after = rss_anon();
            println!(
                "RESULT rss_delta={} per_key_rss={:.1}",
                after - before,
                (after - before) as f64 / n as f64
            );
            std::process::exit(0);
        }
        "build-kvs" => {
            let opts = Options {
                fsync: FsyncPolicy::No,
                max_file_size: 64 << 20,
                compaction_interval: None,
                ..Options::default()
            };
            let store = Store::open_with(&dir, opts).expect("open");
            let t = Instant::now();
            kvs_load(&store, 0..n, &vals);
            let load = t.elapsed();
            // Hint files are written by the compactor thread after each rotation: wait for them.
            let t = Instant::now();
            loop {
                let (data, hints) = count_files(&dir);
                if hints + 1 >= data || t.elapsed() > Duration::from_secs(300) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let wait = t.elapsed();
            let st = store.stats();
            drop(store);
            let (data, hints) = count_files(&dir);
            println!(
                "RESULT load_s={:.2} hint_wait_s={:.2} data_files={data} hint_files={hints} keys={} disk_bytes={}",
                load.as_secs_f64(),
                wait.as_secs_f64(),
                st.keys,
                st.disk_bytes
            );
        }
        "build-sled" => {
            let t = Instant::now();
            let db = sled::Config::new()
                .path(&dir)
                .flush_every_ms(None)
                .open()
                .expect("sled");
            sled_load(&db, 0..n, &vals);
            drop(db);
            println!("RESULT load_s={:.2}", t.elapsed().as_secs_f64());
        }
        "build-redb" => {
            let t = Instant::now();
            std::fs::create_dir_all(&dir).expect("mkdir");
            let db = redb::Database::create(dir.join("db.redb")).expect("redb");
            redb_load(&db, 0..n, &vals);
            drop(db);
            println!("RESULT load_s={:.2}", t.elapsed().as_secs_f64());
        }
        "open-kvs" => {
            let before = rss_anon();
            let cpu = cpu_time();
            let t = Instant::now();
            let opts = Options {
                compaction_interval: None,
                ..Options::default()
            };
            let store = Store::open_with(&dir, opts).expect("open");
            let open = t.elapsed();
            let cpu = cpu_time().saturating_sub(cpu);
            let after = rss_anon();
            let r = store.recovery_report();
            println!(
                "RESULT open_s={:.3} cpu_s={:.3} keys={} files={} from_hints={} scanned={} threads={} sort_s={:.3} insert_s={:.3} rss_delta={} per_key_rss={:.1}",
                open.as_secs_f64(),
                cpu.as_secs_f64(),
                r.keys,
                r.files,
                r.from_hints,
                r.scanned,
                r.load_threads,
                r.sort_time.as_secs_f64(),
                r.insert_time.as_secs_f64(),
                after.saturating_sub(before),
                after.saturating_sub(before) as f64 / r.keys.max(1) as f64
            );
            // Do not wait for the store to close (it may be writing hint files in the background).
            std::process::exit(0);
        }
        "open-sled" => {
            let t = Instant::now();
            let db = sled::Config::new().path(&dir).open().expect("sled");
            let open = t.elapsed();
            let k = key(n / 2);
            assert!(db.get(k).expect("get").is_some());
            println!("RESULT open_s={:.3}", open.as_secs_f64());
            std::process::exit(0);
        }
        "open-redb" => {
            let t = Instant::now();
            let db = redb::Database::open(dir.join("db.redb")).expect("redb");
            let open = t.elapsed();
            let tx = db.begin_read().expect("read");
            let tbl = tx.open_table(TABLE).expect("table");
            assert!(tbl.get(&key(n / 2)[..]).expect("get").is_some());
            println!("RESULT open_s={:.3}", open.as_secs_f64());
            std::process::exit(0);
        }
        other => panic!("unknown child mode {other}"),
    }
}

fn count_files(dir: &Path) -> (usize, usize) {
    let mut data = 0;
    let mut hints = 0;
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".data") {
            data += 1;
        } else if name.ends_with(".hint") {
            hints += 1;
        }
    }
    (data, hints)
}

/// Runs this binary as a child; returns its `RESULT` fields.
fn run_child(mode: &str, args: &[String]) -> Vec<(String, String)> {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .env(CHILD_ENV, mode)
        .args(args)
        .output()
        .expect("spawn child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child {mode} {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("child {mode}: no RESULT in {stdout}"));
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(r: &[(String, String)], k: &str) -> f64 {
    r.iter()
        .find(|(a, _)| a == k)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn fstr(r: &[(String, String)], k: &str) -> String {
    r.iter()
        .find(|(a, _)| a == k)
        .map_or_else(|| "?".into(), |(_, v)| v.clone())
}

/// A copy of `src` whose data and hint files are hard links (opening never changes a file it
/// did not create, except truncating a torn tail, which a clean close never leaves) and whose
/// MANIFEST is a real copy (opening appends to it).
fn link_copy(src: &Path, dst: &Path, hints: bool) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir").flatten() {
        let name = e.file_name();
        let s = name.to_string_lossy();
        let to = dst.join(&name);
        if s.ends_with(".data") {
            std::fs::hard_link(e.path(), to).expect("link");
        } else if s.ends_with(".hint") {
            if hints {
                std::fs::hard_link(e.path(), to).expect("link");
            }
        } else if s == "MANIFEST" {
            std::fs::copy(e.path(), to).expect("copy");
        }
    }
}

/// Drops `dir`'s files from the page cache (fsync'd first, so every page is clean).
fn evict(dir: &Path) {
    for e in walk(dir) {
        if let Ok(f) = std::fs::File::open(&e) {
            let _ = f.sync_all();
            use std::os::fd::AsRawFd;
            // SAFETY: a valid open descriptor; advice only.
            unsafe {
                libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
            }
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                v.extend(walk(&p))
            } else {
                v.push(p)
            }
        }
    }
    v
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn memory(base: &Path, out: &mut String) {
    let n = 1_000_000u64;
    let d = tempdir(base, "mem");
    let k = run_child(
        "mem-kvs",
        &[d.path().join("kvs").display().to_string(), n.to_string()],
    );
    let s = run_child(
        "mem-sled",
        &[d.path().join("sled").display().to_string(), n.to_string()],
    );
    let r = run_child(
        "mem-redb",
        &[d.path().join("redb").display().to_string(), n.to_string()],
    );
    let _ = writeln!(
        out,
        "\n### Index memory, {n} keys of 16 B (target: <= 64 B + key = 80 B per entry)\n"
    );
    let _ = writeln!(out, "| measure | bytes/key |");
    let _ = writeln!(out, "|---|---|");
    let _ = writeln!(
        out,
        "| kvs `stats().index_bytes / keys` | {:.1} |",
        field(&k, "per_key_stats")
    );
    let _ = writeln!(
        out,
        "| kvs anonymous-RSS delta / key (after loading) | {:.1} |",
        field(&k, "per_key_rss")
    );
    let _ = writeln!(
        out,
        "| sled anonymous-RSS delta / key (reference; includes its cache) | {:.1} |",
        field(&s, "per_key_rss")
    );
    let _ = writeln!(
        out,
        "| redb anonymous-RSS delta / key (reference; includes its cache) | {:.1} |",
        field(&r, "per_key_rss")
    );
    print!("{out}");
}

fn recovery(base: &Path, sizes: &[u64], peers: &[u64], out: &mut String) {
    let _ = writeln!(
        out,
        "\n### Recovery (open) time, 64 MiB data files (target: 10 M keys with hints < 2 s)\n"
    );
    let _ = writeln!(
        out,
        "| keys | engine | case | open s (warm cache; median of 3 up to 1 M keys, else 1 run) | open CPU s (warm) | open s (cold cache) | files from hints / scanned | anon RSS after open, B/key |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let mut builds = String::new();
    for &n in sizes {
        let root = tempdir(base, &format!("rec{n}"));
        let golden = root.path().join("golden");
        let b = run_child("build-kvs", &[golden.display().to_string(), n.to_string()]);
        let _ = writeln!(
            builds,
            "- kvs {n} keys: loaded in {:.1} s ({} ops/s pipelined, fsync no), {} data files / {} hint files, {:.0} MB; hints ready {:.1} s after the last write",
            field(&b, "load_s"),
            fmt_ops(n as f64 / field(&b, "load_s")),
            fstr(&b, "data_files"),
            fstr(&b, "hint_files"),
            field(&b, "disk_bytes") / 1e6,
            field(&b, "hint_wait_s")
        );
        println!("{}", builds.lines().last().unwrap_or_default());
        for hints in [true, false] {
            let mut warm = Vec::new();
            let mut last = Vec::new();
            let mut run = 0;
            let mut one = |cold: bool| {
                run += 1;
                let copy = root.path().join(format!("copy{run}"));
                link_copy(&golden, &copy, hints);
                if cold {
                    evict(&copy);
                }
                let r = run_child("open-kvs", &[copy.display().to_string()]);
                let _ = std::fs::remove_dir_all(&copy);
                println!(
                    "  kvs {n} hints={hints} cold={cold} load={:.1}: {r:?}",
                    loadavg()
                );
                r
            };
            // Opening 5-10 M keys takes a while: one warm run there.
            let warm_runs = if n > 1_000_000 { 1 } else { 3 };
            for _ in 0..warm_runs {
                let r = one(false);
                warm.push(field(&r, "open_s"));
                last = r;
            }
            let cold = one(true);
            let _ = writeln!(
                out,
                "| {n} | kvs | {} | {:.3} | {:.3} | {:.3} | {} / {} | {:.1} |",
                if hints { "with hints" } else { "no hints" },
                median(warm),
                field(&last, "cpu_s"),
                field(&cold, "open_s"),
                fstr(&last, "from_hints"),
                fstr(&last, "scanned"),
                field(&last, "per_key_rss")
            );
        }
        drop(root);
        if peers.contains(&n) {
            for eng in ["sled", "redb"] {
                let root = tempdir(base, &format!("rec{eng}{n}"));
                let dir = root.path().join(eng);
                let b = run_child(
                    &format!("build-{eng}"),
                    &[dir.display().to_string(), n.to_string()],
                );
                let _ = writeln!(
                    builds,
                    "- {eng} {n} keys: loaded in {:.1} s, {:.0} MB",
                    field(&b, "load_s"),
                    dir_bytes(&dir) as f64 / 1e6
                );
                let warm: Vec<f64> = (0..3)
                    .map(|_| {
                        field(
                            &run_child(
                                &format!("open-{eng}"),
                                &[dir.display().to_string(), n.to_string()],
                            ),
                            "open_s",
                        )
                    })
                    .collect();
                evict(&dir);
                let cold = run_child(
                    &format!("open-{eng}"),
                    &[dir.display().to_string(), n.to_string()],
                );
                let _ = writeln!(
                    out,
                    "| {n} | {eng} | clean close | {:.3} | - | {:.3} | - | - |",
                    median(warm),
                    field(&cold, "open_s")
                );
            }
        }
    }
    let _ = writeln!(out, "\nBuilds:\n\n{builds}");
    print!("{out}");
}

fn summary() -> String {
    let rows = ROWS.lock().expect("rows");
    let mut workloads: Vec<&str> = Vec::new();
    for r in rows.iter() {
        if !workloads.contains(&r.workload.as_str()) {
            workloads.push(&r.workload);
        }
    }
    let get = |w: &str, e: &str| rows.iter().find(|r| r.workload == w && r.engine == e);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n### Throughput (criterion, median of {SAMPLES} samples)\n"
    );
    let _ = writeln!(
        s,
        "| workload | kvs ops/s | sled ops/s | redb ops/s | kvs/sled | kvs/redb | CPU µs/op kvs · sled · redb | target | met? | load |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    let f = |x: Option<&Row>| x.map_or("-".into(), |r| fmt_ops(r.ops));
    let cpu = |x: Option<&Row>| x.map_or("-".into(), |r| format!("{:.2}", r.cpu_us));
    let ratio = |a: Option<&Row>, b: Option<&Row>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}×", a.ops / b.ops),
        _ => "-".into(),
    };
    for w in &workloads {
        let (k, sl, rd) = (get(w, "kvs"), get(w, "sled"), get(w, "redb"));
        let (target, met) = if w.starts_with("read/") {
            ("≥ 2× sled", k.zip(sl).map(|(a, b)| a.ops >= 2.0 * b.ops))
        } else if w.starts_with("write-seq/") {
            ("≥ 2× redb", k.zip(rd).map(|(a, b)| a.ops >= 2.0 * b.ops))
        } else {
            ("-", None)
        };
        let met = match met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        };
        let loads: Vec<String> = [k, sl, rd]
            .iter()
            .flatten()
            .map(|r| format!("{:.1}", r.load))
            .collect();
        let _ = writeln!(
            s,
            "| {w} | {} | {} | {} | {} | {} | {} · {} · {} | {target} | {met} | {} |",
            f(k),
            f(sl),
            f(rd),
            ratio(k, sl),
            ratio(k, rd),
            cpu(k),
            cpu(sl),
            cpu(rd),
            loads.join("/")
        );
        for r in rows
            .iter()
            .filter(|r| r.workload == *w && !["kvs", "sled", "redb"].contains(&r.engine.as_str()))
        {
            let _ = writeln!(
                s,
                "| {w} ({}) | {} | | | {} | {} | {:.2} | | | {:.1} |",
                r.engine,
                fmt_ops(r.ops),
                ratio(Some(r), sl),
                ratio(Some(r), rd),
                r.cpu_us,
                r.load
            );
        }
    }
    s
}

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
