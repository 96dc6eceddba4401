//! The closing throughput table, from the rows the workloads added.

use super::*;

pub(crate) fn summary() -> String {
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
