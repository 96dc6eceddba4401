//! Measurements in fresh child processes: the child side, and section 5 (memory).

use super::*;

/// Anonymous resident memory of this process (heap, not mapped files), bytes.
pub(crate) fn rss_anon() -> u64 {
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

pub(crate) fn child(mode: &str, args: &[String]) {
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

pub(crate) fn count_files(dir: &Path) -> (usize, usize) {
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
pub(crate) fn run_child(mode: &str, args: &[String]) -> Vec<(String, String)> {
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

pub(crate) fn field(r: &[(String, String)], k: &str) -> f64 {
    r.iter()
        .find(|(a, _)| a == k)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(f64::NAN)
}

pub(crate) fn fstr(r: &[(String, String)], k: &str) -> String {
    r.iter()
        .find(|(a, _)| a == k)
        .map_or_else(|| "?".into(), |(_, v)| v.clone())
}

/// A copy of `src` whose data and hint files are hard links (opening never changes a file it
/// did not create, except truncating a torn tail, which a clean close never leaves) and whose
/// MANIFEST is a real copy (opening appends to it).
pub(crate) fn link_copy(src: &Path, dst: &Path, hints: bool) {
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
pub(crate) fn evict(dir: &Path) {
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

pub(crate) fn walk(dir: &Path) -> Vec<PathBuf> {
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

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub(crate) fn memory(base: &Path, out: &mut String) {
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
