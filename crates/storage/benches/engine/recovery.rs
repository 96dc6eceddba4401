//! Section 4: recovery (open) time.

use super::*;

pub(crate) fn recovery(base: &Path, sizes: &[u64], peers: &[u64], out: &mut String) {
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
