//! Measuring: the rows every workload adds, CPU time, the drivers of sequential writes.

use super::*;

pub(crate) struct Row {
    pub(crate) workload: String,
    pub(crate) engine: String,
    pub(crate) ops: f64,
    /// Process CPU time (all threads: the caller's and the engine's own) per operation, µs.
    pub(crate) cpu_us: f64,
    /// 1-minute load average when the benchmark started (the box is shared).
    pub(crate) load: f64,
}

pub(crate) static ROWS: Mutex<Vec<Row>> = Mutex::new(Vec::new());

/// User + system CPU time of the whole process so far.
pub(crate) fn cpu_time() -> Duration {
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

pub(crate) fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// Runs one criterion benchmark `workload/engine` whose routine does `iters` operations and
/// returns the time they took; records the median ops/s (and CPU time per op) of the measured
/// samples.
pub(crate) fn measure(
    c: &mut Criterion,
    workload: &str,
    engine: &str,
    mut f: impl FnMut(u64) -> Duration,
) {
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
pub(crate) fn par(threads: usize, iters: u64, f: &(impl Fn(&mut Rng64) + Sync)) -> Duration {
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
pub(crate) fn seq_writes(
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
pub(crate) fn kvs_pipelined(
    store: &Store,
    next: &AtomicU64,
    iters: u64,
    vals: &Arc<Vals>,
) -> Duration {
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

pub(crate) fn fmt_ops(x: f64) -> String {
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

pub(crate) fn tempdir(base: &Path, name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("kvs-engine-bench-{name}-"))
        .tempdir_in(base)
        .expect("tempdir")
}
