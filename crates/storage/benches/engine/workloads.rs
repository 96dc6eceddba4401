//! Sections 1–3: the criterion workloads (writes; reads and mixed).

use super::*;

pub(crate) fn writes(c: &mut Criterion, base: &Path, vals: &Arc<Vals>) {
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

pub(crate) fn report_sizes(w: &str, dirs: &[(&str, &Path)]) {
    let mut line = format!("  on-disk after {w}:");
    for (name, d) in dirs {
        let _ = write!(line, " {name} {:.0} MB", dir_bytes(d) as f64 / 1e6);
    }
    println!("{line}");
}

pub(crate) fn dir_bytes(d: &Path) -> u64 {
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

pub(crate) fn reads_and_mixed(c: &mut Criterion, base: &Path, vals: &Arc<Vals>, n: u64) {
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
