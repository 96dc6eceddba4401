//! `kvs-bench` end to end: the built binary against an in-process kvs-server (and against tiny
//! fake servers for the failure paths). Only loose, load-independent bounds on timing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kvs_server::{Config, KvServer};
use kvs_storage::FsyncPolicy;
use tempfile::TempDir;

fn start_server(requirepass: Option<&str>) -> (KvServer, SocketAddr, TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = KvServer::start(Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: dir.path().to_path_buf(),
        fsync: FsyncPolicy::No,
        requirepass: requirepass.map(str::to_owned),
        ..Config::default()
    })
    .expect("server starts");
    let addr = server.local_addr();
    (server, addr, dir)
}

fn bench(addr: SocketAddr, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_kvs-bench"))
        .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
        .args(args)
        .output()
        .expect("kvs-bench runs");
    eprintln!(
        "kvs-bench {args:?} took {:?}, status {:?}\n--- stdout\n{}--- stderr\n{}",
        started.elapsed(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses `NAME: 123.45 requests per second, p50=0.191 msec` lines.
fn quiet_lines(s: &str) -> Vec<(String, f64, f64)> {
    s.lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(": ")?;
            let (rps, rest) = rest.split_once(" requests per second, p50=")?;
            let p50 = rest.strip_suffix(" msec")?;
            Some((name.to_owned(), rps.parse().ok()?, p50.parse().ok()?))
        })
        .collect()
}

fn json_file(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("json written");
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn quiet_output_parses() {
    let (_server, addr, _dir) = start_server(None);
    let out = bench(addr, &["-c", "4", "-n", "2000", "-q"]);
    assert!(out.status.success());
    let lines = quiet_lines(&stdout(&out));
    let names: Vec<&str> = lines.iter().map(|l| l.0.as_str()).collect();
    assert_eq!(names, ["PING", "SET", "GET"], "default tests, in order");
    for (name, rps, p50) in &lines {
        assert!(*rps > 0.0, "{name} rps");
        assert!(*p50 > 0.0, "{name} p50");
    }
    assert_eq!(stdout(&out).lines().count(), 3, "-q prints only the lines");
}

#[test]
fn full_output_has_a_table() {
    let (_server, addr, _dir) = start_server(None);
    let out = bench(
        addr,
        &[
            "-c",
            "3",
            "-n",
            "600",
            "-t",
            "incr,mset,mget,del",
            "-r",
            "100",
            "-P",
            "4",
        ],
    );
    assert!(out.status.success());
    let s = stdout(&out);
    assert_eq!(quiet_lines(&s).len(), 4);
    let header = s.lines().find(|l| l.starts_with("test ")).expect("table");
    for col in [
        "rps", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors",
    ] {
        assert!(header.contains(col), "{col}");
    }
    let mset = s
        .lines()
        .find(|l| l.starts_with("MSET "))
        .expect("MSET row");
    assert_eq!(mset.split_whitespace().last(), Some("0"), "no errors");
}

#[test]
fn csv_output() {
    let (_server, addr, _dir) = start_server(None);
    let out = bench(addr, &["-c", "2", "-n", "500", "-t", "get,set", "--csv"]);
    assert!(out.status.success());
    let s = stdout(&out);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        r#""test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms""#
    );
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with("\"SET\","),
        "canonical order: {}",
        lines[1]
    );
    assert!(lines[2].starts_with("\"GET\","));
    for row in &lines[1..] {
        let fields: Vec<&str> = row.split(',').collect();
        assert_eq!(fields.len(), 8);
        for f in &fields[1..] {
            let x: f64 = f.trim_matches('"').parse().expect("number");
            assert!(x >= 0.0);
        }
    }
}

#[test]
fn json_output() {
    let (_server, addr, _dir) = start_server(None);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("out.json");
    let out = bench(
        addr,
        &[
            "-c",
            "3",
            "-n",
            "900",
            "-t",
            "set,get",
            "-q",
            "--warmup",
            "0.2",
            "--json",
            path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let j = json_file(&path);
    assert_eq!(j["tool"], "kvs-bench");
    assert_eq!(j["clients"], 3);
    assert_eq!(j["failed"], false);
    let tests = j["tests"].as_array().expect("tests array");
    assert_eq!(tests.len(), 2);
    assert_eq!(tests[0]["test"], "SET");
    assert_eq!(
        tests[0]["requests"], 900,
        "-n counts measured requests only"
    );
    assert_eq!(tests[0]["errors"], 0);
    let lat = &tests[1]["latency_ms"];
    assert_eq!(lat["samples"], 900);
    let p50 = lat["p50"].as_f64().unwrap();
    let p99 = lat["p99"].as_f64().unwrap();
    let max = lat["max"].as_f64().unwrap();
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max);
    assert!(tests[1]["rps"].as_f64().unwrap() > 0.0);
}

#[test]
fn verify_passes_against_kvs() {
    let (_server, addr, _dir) = start_server(None);
    let out = bench(
        addr,
        &[
            "-c",
            "5",
            "-n",
            "3000",
            "-r",
            "200",
            "-P",
            "4",
            "-d",
            "20",
            "--verify",
            "-q",
            "-t",
            "ping,set,get,incr,mset,mget,del",
            "--threads",
            "2",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(quiet_lines(&stdout(&out)).len(), 7);
}

/// The collection tests' replies are checked (HSET/SADD count new elements, HGET and
/// SISMEMBER read back what they wrote, HGETALL and SMEMBERS their own small collections),
/// plain and in MULTI/EXEC. A keyspace of 300 is written round more than once (overwrites
/// answer 0); one of 100 000 is not (SISMEMBER meets absent members).
#[test]
fn verify_collections_against_kvs() {
    let (_server, addr, _dir) = start_server(None);
    for (multi, keyspace) in [
        (false, "300"),
        (false, "100000"),
        (true, "300"),
        (true, "100000"),
    ] {
        let mut args = vec![
            "-c",
            "4",
            "-n",
            "2000",
            "-r",
            keyspace,
            "-P",
            "4",
            "-d",
            "20",
            "--verify",
            "-q",
            "-t",
            "hset,hget,hgetall,sadd,sismember,smembers",
        ];
        if multi {
            args.push("--multi");
        }
        let out = bench(addr, &args);
        assert!(out.status.success(), "multi {multi}: {}", stderr(&out));
        let names: Vec<String> = quiet_lines(&stdout(&out))
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(
            names,
            ["HSET", "HGET", "HGETALL", "SADD", "SISMEMBER", "SMEMBERS"]
        );
    }
}

/// Under --multi every request is counted (not every transaction), and each one has a latency.
#[test]
fn multi_counts_requests() {
    let (_server, addr, _dir) = start_server(None);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("m.json");
    let out = bench(
        addr,
        &[
            "-c",
            "3",
            "-n",
            "1200",
            "-P",
            "8",
            "-t",
            "set,get,incr,mset,mget,del",
            "-r",
            "50",
            "--multi",
            "--verify",
            "-q",
            "--json",
            path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json_file(&path);
    assert_eq!(j["multi"], true);
    for t in j["tests"].as_array().expect("tests") {
        assert_eq!(t["requests"], 1200, "{}", t["test"]);
        assert_eq!(t["latency_ms"]["samples"], 1200, "{}", t["test"]);
        assert_eq!(t["errors"], 0);
    }
}

/// A server that does not queue (answers `+OK` to everything): --verify sees the missing
/// `+QUEUED`, and EXEC's non-array reply fails every request of the transaction.
#[test]
fn multi_checks_queued_and_exec_replies() {
    let addr = fake_server(Some(b"+OK\r\n"));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("q.json");
    let out = bench(
        addr,
        &[
            "-c",
            "1",
            "-n",
            "8",
            "-P",
            "4",
            "-t",
            "set",
            "--multi",
            "--verify",
            "-q",
            "--json",
            path.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("expected +QUEUED, got +OK"),
        "{}",
        stderr(&out)
    );
    let t = &json_file(&path)["tests"][0];
    assert_eq!(t["requests"], 8);
    assert_eq!(t["error_replies"], 8, "EXEC answered +OK: all 8 failed");
    assert_eq!(t["mismatches"], 8, "8 +OK instead of +QUEUED");
}

#[test]
fn duration_and_threads() {
    let (_server, addr, _dir) = start_server(None);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("d.json");
    let out = bench(
        addr,
        &[
            "-c",
            "4",
            "--threads",
            "2",
            "--duration",
            "0.5",
            "-t",
            "ping",
            "-q",
            "--json",
            path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let t = &json_file(&path)["tests"][0];
    assert!(t["requests"].as_u64().unwrap() > 0);
    assert!(t["elapsed_secs"].as_f64().unwrap() >= 0.45);
}

#[test]
fn open_loop_rate() {
    let (_server, addr, _dir) = start_server(None);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("r.json");
    let rate = 2000.0;
    let out = bench(
        addr,
        &[
            "-c",
            "4",
            "-n",
            "1000",
            "--rate",
            "2000",
            "-t",
            "set",
            "-q",
            "--json",
            path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let t = &json_file(&path)["tests"][0];
    assert_eq!(t["requests"], 1000);
    assert_eq!(t["target_rate"].as_f64(), Some(rate));
    let rps = t["rps"].as_f64().unwrap();
    assert!(rps > 0.0 && rps <= 1.5 * rate, "rps {rps} vs target {rate}");
}

#[test]
fn error_replies_fail_the_run() {
    let (_server, addr, _dir) = start_server(Some("sesame"));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("e.json");
    let out = bench(
        addr,
        &[
            "-c",
            "2",
            "-n",
            "200",
            "-t",
            "set",
            "-q",
            "--json",
            path.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "NOAUTH errors must fail the run");
    assert!(stderr(&out).contains("NOAUTH"), "the error text is shown");
    let t = &json_file(&path)["tests"][0];
    assert_eq!(t["requests"], 200, "error replies are replies");
    assert_eq!(t["error_replies"], 200);
    assert!(t["errors"].as_u64().unwrap() > 0);

    // With the password it passes; with a wrong one it fails clearly.
    let ok = bench(
        addr,
        &[
            "-c", "2", "-n", "200", "-t", "set", "-q", "--auth", "sesame",
        ],
    );
    assert!(ok.status.success());
    let bad = bench(
        addr,
        &["-c", "2", "-n", "200", "-t", "set", "-q", "-a", "nope"],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("AUTH failed"), "{}", stderr(&bad));

    // HGETALL's setup (DEL, HSET) fails without the password: the test cannot start.
    let setup = bench(addr, &["-c", "2", "-n", "20", "-t", "hgetall", "-q"]);
    assert!(!setup.status.success());
    assert!(
        stderr(&setup).contains("HGETALL setup failed: NOAUTH"),
        "{}",
        stderr(&setup)
    );
}

/// A one-connection-at-a-time fake server: reads requests and answers each read with `reply`
/// (or never answers, with `None`).
fn fake_server(reply: Option<&'static [u8]>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    if let Some(r) = reply {
                        // One reply per complete request (each starts with '*').
                        for _ in buf[..n].iter().filter(|&&b| b == b'*') {
                            if s.write_all(r).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

#[test]
fn verify_detects_wrong_values() {
    // Every GET answers "bad": --verify expects nil (this run wrote nothing).
    let addr = fake_server(Some(b"$3\r\nbad\r\n"));
    let out = bench(addr, &["-c", "1", "-n", "5", "-t", "get", "--verify", "-q"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("mismatches"), "{}", stderr(&out));
    assert!(stderr(&out).contains("expected nil, got \"bad\""));
}

#[test]
fn silent_server_is_given_up() {
    let addr = fake_server(None);
    let started = Instant::now();
    let out = bench(
        addr,
        &["-c", "2", "-n", "10", "-t", "ping", "-q", "--timeout", "1"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no reply"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn connect_failure_is_clear() {
    // A port that was just free: nothing listens there.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let out = bench(addr, &["-c", "2", "-n", "10", "-q"]);
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(
        e.contains("cannot connect") && e.contains("attempts"),
        "{e}"
    );
}

#[test]
fn help_and_version() {
    let help = Command::new(env!("CARGO_BIN_EXE_kvs-bench"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let h = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "-h, --host",
        "-p, --port",
        "-c, --clients",
        "-P, --pipeline",
        "--rate",
        "--verify",
        "--multi",
        "`HSET myhash element:__rand_int__ <value>`",
        "`SADD myset element:__rand_int__`",
    ] {
        assert!(h.contains(flag), "{flag}");
    }
    let v = Command::new(env!("CARGO_BIN_EXE_kvs-bench"))
        .arg("-V")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("kvs-bench "));
}
