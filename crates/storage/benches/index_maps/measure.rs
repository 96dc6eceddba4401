//! One measurement, run in a child process.

use super::*;

/// Column names, in the order a child prints its sample.
pub(crate) const COLUMNS: [&str; 8] = [
    "B/entry", "churned", "insert", "get ×2", "get+w", "w", "p999 µs", "max µs",
];

pub(crate) fn rss_bytes() -> f64 {
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

pub(crate) fn trim() {
    // SAFETY: malloc_trim has no preconditions; it only returns free memory to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// CPU time consumed so far by the calling thread: unlike wall time, not inflated when other
/// processes on the (shared, 2-core) box preempt the bench.
pub(crate) fn thread_cpu() -> Duration {
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

pub(crate) fn mops(ops: u64, d: Duration) -> f64 {
    ops as f64 / d.as_secs_f64() / 1e6
}

/// Random hits: GETS_PER_READER of them, or as many as fit before `until` is set. Returns
/// (gets, CPU time, wall time of every batch of STALL_BATCH gets).
pub(crate) fn reader<M: Map>(
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

pub(crate) fn run<M: Map>(n: u64, mem_only: bool) -> Vec<f64> {
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
