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

// ---------------------------------------------------------------------------------------------
// Keys and entries
// ---------------------------------------------------------------------------------------------

/// The `i`th key: `key:` and 12 hex digits, 16 bytes, built on the stack.
fn make_key(i: u64) -> [u8; KEY_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut k = *b"key:000000000000";
    for (j, b) in k[4..].iter_mut().enumerate() {
        *b = HEX[((i >> (4 * (11 - j))) & 0xf) as usize];
    }
    k
}

fn make_entry(i: u64) -> IndexEntry {
    IndexEntry {
        fid: 1 + i % 64,
        offset: 24 + (i * 97) % (1 << 30),
        len: 40 + (i % 200) as u32,
        expire_at_ms: if i.is_multiple_of(10) {
            Some(1_700_000_000_000 + i)
        } else {
            None
        },
    }
}

/// xorshift64*: cheap enough not to dominate a hash lookup.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// Key representation stored in a map.
trait Key: Hash + Eq + Borrow<[u8]> + Clone + Send + Sync + 'static {
    fn from_slice(k: &[u8]) -> Self;
}

impl Key for Box<[u8]> {
    fn from_slice(k: &[u8]) -> Self {
        k.into()
    }
}

/// A small-string-optimised byte key: up to 22 bytes inline, longer ones on the heap. 24 bytes.
/// (The same idea as the private key type in `index.rs`, repeated here so raw maps can be
/// compared with it.)
#[derive(Clone)]
enum InlineKey {
    Inline { len: u8, buf: [u8; 22] },
    Heap(Box<[u8]>),
}
const _: () = assert!(std::mem::size_of::<InlineKey>() == 24);

impl Borrow<[u8]> for InlineKey {
    fn borrow(&self) -> &[u8] {
        match self {
            InlineKey::Inline { len, buf } => &buf[..usize::from(*len)],
            InlineKey::Heap(b) => b,
        }
    }
}
impl Hash for InlineKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Borrow::<[u8]>::borrow(self).hash(state)
    }
}
impl PartialEq for InlineKey {
    fn eq(&self, other: &Self) -> bool {
        Borrow::<[u8]>::borrow(self) == Borrow::<[u8]>::borrow(other)
    }
}
impl Eq for InlineKey {}
impl Key for InlineKey {
    fn from_slice(k: &[u8]) -> Self {
        if k.len() <= 22 {
            let mut buf = [0u8; 22];
            buf[..k.len()].copy_from_slice(k);
            InlineKey::Inline {
                len: k.len() as u8,
                buf,
            }
        } else {
            InlineKey::Heap(k.into())
        }
    }
}

/// Value representation stored in a map.
trait Val: Copy + Send + Sync + 'static {
    fn pack(e: IndexEntry) -> Self;
    fn unpack(self) -> IndexEntry;
}

/// The public entry as is: 48 bytes.
impl Val for IndexEntry {
    fn pack(e: IndexEntry) -> Self {
        e
    }
    fn unpack(self) -> IndexEntry {
        self
    }
}

/// fid u32, offset u32, len u32, seq u64, expire u64 (0 = none) as seven u32: 28 bytes, align 4.
/// (Measured when the index kept each record's seq; `IndexEntry` no longer has one, so the seq
/// words are stored as zero: same size, same cost.)
#[derive(Clone, Copy)]
struct Compact([u32; 7]);
impl Val for Compact {
    fn pack(e: IndexEntry) -> Self {
        let x = e.expire_at_ms.unwrap_or(0);
        Compact([
            e.fid as u32,
            e.offset as u32,
            e.len,
            0,
            0,
            x as u32,
            (x >> 32) as u32,
        ])
    }
    fn unpack(self) -> IndexEntry {
        let [fid, off, len, _s0, _s1, x0, x1] = self.0;
        let x = u64::from(x0) | u64::from(x1) << 32;
        IndexEntry {
            fid: u64::from(fid),
            offset: u64::from(off),
            len,
            expire_at_ms: (x != 0).then_some(x),
        }
    }
}

/// As [`Compact`] without the seq: 20 bytes. What dropping the seq would save.
#[derive(Clone, Copy)]
struct NoSeq([u32; 5]);
impl Val for NoSeq {
    fn pack(e: IndexEntry) -> Self {
        let x = e.expire_at_ms.unwrap_or(0);
        NoSeq([
            e.fid as u32,
            e.offset as u32,
            e.len,
            x as u32,
            (x >> 32) as u32,
        ])
    }
    fn unpack(self) -> IndexEntry {
        let [fid, off, len, x0, x1] = self.0;
        let x = u64::from(x0) | u64::from(x1) << 32;
        IndexEntry {
            fid: u64::from(fid),
            offset: u64::from(off),
            len,
            expire_at_ms: (x != 0).then_some(x),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The candidates
// ---------------------------------------------------------------------------------------------

trait Map: Send + Sync + 'static {
    fn new() -> Self;
    fn put(&self, key: &[u8], e: IndexEntry);
    fn get(&self, key: &[u8]) -> Option<IndexEntry>;
    fn len(&self) -> usize;
}

struct Dash<K, V>(dashmap::DashMap<K, V>);
impl<K: Key, V: Val> Map for Dash<K, V> {
    fn new() -> Self {
        Dash(dashmap::DashMap::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.insert(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.get(key).map(|v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

struct Papaya<K, V>(papaya::HashMap<K, V>);
impl<K: Key, V: Val> Map for Papaya<K, V> {
    fn new() -> Self {
        Papaya(papaya::HashMap::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.pin().insert(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.pin().get(key).map(|v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

struct SccMap<K, V>(scc::HashMap<K, V>);
impl<K: Key, V: Val> Map for SccMap<K, V> {
    fn new() -> Self {
        SccMap(scc::HashMap::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.upsert_sync(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.read_sync(key, |_, v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

struct SccIndex<K, V>(scc::HashIndex<K, V>);
impl<K: Key, V: Val> Map for SccIndex<K, V> {
    fn new() -> Self {
        SccIndex(scc::HashIndex::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        match self.0.entry_sync(K::from_slice(key)) {
            scc::hash_index::Entry::Occupied(mut o) => o.update(V::pack(e)),
            scc::hash_index::Entry::Vacant(v) => {
                v.insert_entry(V::pack(e));
            }
        }
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.peek_with(key, |_, v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// papaya split into 2^BITS shards (as the index is), without the index's packing: what the
/// sharding alone costs, for a few shard counts, with blocking or incremental resizes.
struct PapayaSharded<const BITS: u32, const BLOCKING: bool, K, V> {
    shards: Vec<papaya::HashMap<K, V>>,
    seed: u64,
}
impl<const BITS: u32, const BLOCKING: bool, K: Key, V: Val> PapayaSharded<BITS, BLOCKING, K, V> {
    fn shard(&self, key: &[u8]) -> &papaya::HashMap<K, V> {
        // Same kind of cheap seeded hash as index.rs uses.
        let mut h = self.seed ^ key.len() as u64;
        for w in key.chunks(8) {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            h = (h ^ u64::from_le_bytes(b))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29);
        }
        h ^= h >> 31;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        &self.shards[(h >> (64 - BITS)) as usize]
    }
}
impl<const BITS: u32, const BLOCKING: bool, K: Key, V: Val> Map
    for PapayaSharded<BITS, BLOCKING, K, V>
{
    fn new() -> Self {
        let collector = Arc::new(seize::Collector::new());
        let shards = (0..1usize << BITS)
            .map(|_| {
                papaya::HashMap::builder()
                    .shared_collector(Arc::clone(&collector))
                    .resize_mode(if BLOCKING {
                        papaya::ResizeMode::Blocking
                    } else {
                        papaya::ResizeMode::Incremental(64)
                    })
                    .build()
            })
            .collect();
        PapayaSharded {
            shards,
            seed: 0x1234_5678_9abc_def1,
        }
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.shard(key).pin().insert(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.shard(key).pin().get(key).map(|v| v.unpack())
    }
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum()
    }
}

/// The index as implemented, for the record.
struct Kvs(Index);
impl Map for Kvs {
    fn new() -> Self {
        Kvs(Index::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.insert(key, e);
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.get(key)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Every variant: name, runner.
/// Runs one measurement of a variant: (N, memory only?) → the sample, in COLUMNS order.
type Runner = fn(u64, bool) -> Vec<f64>;

fn variants() -> Vec<(&'static str, Runner)> {
    vec![
        (
            "dashmap  Box<[u8]>  entry48",
            run::<Dash<Box<[u8]>, IndexEntry>>,
        ),
        (
            "dashmap  inline24   entry28",
            run::<Dash<InlineKey, Compact>>,
        ),
        (
            "papaya   Box<[u8]>  entry48",
            run::<Papaya<Box<[u8]>, IndexEntry>>,
        ),
        (
            "papaya   inline24   entry28",
            run::<Papaya<InlineKey, Compact>>,
        ),
        (
            "papaya   inline24   noseq20",
            run::<Papaya<InlineKey, NoSeq>>,
        ),
        (
            "papaya/64 shards   inline24 entry28",
            run::<PapayaSharded<6, true, InlineKey, Compact>>,
        ),
        (
            "papaya/256 shards  inline24 entry28",
            run::<PapayaSharded<8, true, InlineKey, Compact>>,
        ),
        (
            "papaya/1024 shards inline24 entry28",
            run::<PapayaSharded<10, true, InlineKey, Compact>>,
        ),
        (
            "papaya/1024 shards incremental",
            run::<PapayaSharded<10, false, InlineKey, Compact>>,
        ),
        (
            "scc::HashMap   Box<[u8]> entry48",
            run::<SccMap<Box<[u8]>, IndexEntry>>,
        ),
        (
            "scc::HashMap   inline24  entry28",
            run::<SccMap<InlineKey, Compact>>,
        ),
        (
            "scc::HashMap   inline24  noseq20",
            run::<SccMap<InlineKey, NoSeq>>,
        ),
        (
            "scc::HashIndex inline24  entry28",
            run::<SccIndex<InlineKey, Compact>>,
        ),
        ("kvs Index (as implemented)", run::<Kvs>),
    ]
}

// ---------------------------------------------------------------------------------------------
// One measurement (in a child process)
// ---------------------------------------------------------------------------------------------

/// Column names, in the order a child prints its sample.
const COLUMNS: [&str; 8] = [
    "B/entry", "churned", "insert", "get ×2", "get+w", "w", "p999 µs", "max µs",
];

fn rss_bytes() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    pages * page
}

fn trim() {
    // SAFETY: malloc_trim has no preconditions; it only returns free memory to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// CPU time consumed so far by the calling thread: unlike wall time, not inflated when other
/// processes on the (shared, 2-core) box preempt the bench.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn mops(ops: u64, d: Duration) -> f64 {
    ops as f64 / d.as_secs_f64() / 1e6
}

/// Random hits: GETS_PER_READER of them, or as many as fit before `until` is set. Returns
/// (gets, CPU time, wall time of every batch of STALL_BATCH gets).
fn reader<M: Map>(
    map: &M,
    n: u64,
    seed: u64,
    until: Option<&AtomicBool>,
) -> (u64, Duration, Vec<Duration>) {
    let mut rng = Rng(seed | 1);
    let mut batches = Vec::with_capacity((GETS_PER_READER / STALL_BATCH) as usize + 1);
    let cpu = thread_cpu();
    let mut batch_start = Instant::now();
    let mut gets = 0;
    loop {
        for _ in 0..STALL_BATCH {
            let k = make_key(rng.below(n));
            assert!(map.get(&k).is_some(), "every lookup is a hit");
        }
        gets += STALL_BATCH;
        let now = Instant::now();
        batches.push(now - batch_start);
        batch_start = now;
        let stop = match until {
            Some(flag) => flag.load(Ordering::Relaxed),
            None => gets >= GETS_PER_READER,
        };
        if stop {
            return (gets, thread_cpu() - cpu, batches);
        }
    }
}

fn run<M: Map>(n: u64, mem_only: bool) -> Vec<f64> {
    // Memory and single-thread insert.
    trim();
    let before = rss_bytes();
    let map = Arc::new(M::new());
    let t = thread_cpu();
    for i in 0..n {
        map.put(&make_key(i), make_entry(i));
    }
    let insert = mops(n, thread_cpu() - t);
    trim();
    let bytes_per_entry = (rss_bytes() - before) / n as f64 - KEY_LEN as f64;
    if mem_only {
        return vec![bytes_per_entry, f64::NAN, insert];
    }

    // Two readers.
    let handles: Vec<_> = (0..2u64)
        .map(|r| {
            let map = Arc::clone(&map);
            std::thread::spawn(move || reader(&*map, n, 0x9e37_79b9 + r, None))
        })
        .collect();
    let mut get2 = 0.0;
    for h in handles {
        let (gets, d, _) = h.join().expect("reader thread");
        get2 += mops(gets, d);
    }

    // One reader while one writer does N/2 overwrites of random existing keys and inserts N new
    // keys (interleaved 1:2): the map doubles, so every candidate resizes at least once while
    // the reader reads.
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (map, done) = (Arc::clone(&map), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut rng = Rng(0xdead_beef);
            let mut fresh = n;
            let t = thread_cpu();
            let writes = n / 2 * 3;
            for w in 0..writes {
                if w % 3 == 0 {
                    let i = rng.below(n);
                    map.put(&make_key(i), make_entry(i + w));
                } else {
                    map.put(&make_key(fresh), make_entry(fresh));
                    fresh += 1;
                }
            }
            let d = thread_cpu() - t;
            done.store(true, Ordering::Relaxed);
            mops(writes, d)
        })
    };
    let (gets, d, mut batches) = reader(&*map, n, 0x1234_5678, Some(&done));
    let w = writer.join().expect("writer thread");
    batches.sort();
    let us = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e6);
    let p999 = us(batches.get(batches.len() * 999 / 1000));
    let max = us(batches.last());

    // Memory once overwrites have retired old versions (epoch-based maps free them lazily).
    trim();
    let churned = (rss_bytes() - before) / map.len() as f64 - KEY_LEN as f64;

    vec![
        bytes_per_entry,
        churned,
        insert,
        get2,
        mops(gets, d),
        w,
        p999,
        max,
    ]
}

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------

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
