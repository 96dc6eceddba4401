//! Crash safety: a child process (this test binary, re-executed on an ignored test) writes to a
//! store and prints every write it got acknowledged; the parent SIGKILLs it at a random moment,
//! reopens the store and checks what survived.
//!
//! * `FsyncPolicy::Always`: every acknowledged write is there (a killed process loses nothing
//!   that `execute` returned for), a multi-key transaction is all or none, nothing was invented.
//! * `FsyncPolicy::EverySec`: no durability claim, but what survives of one writer's sequence is
//!   a prefix of it, and transactions are still all or none.
//!
//! Some rounds use tiny files (rotation mid-write), some run compactions concurrently in the child,
//! some kill the child while it is still opening (recovering) the store. Rounds accumulate in
//! one directory, so every open also recovers from all the earlier crashes.
//!
//! `KVS_CRASH_ROUNDS=n` runs `n` rounds per test instead of the default (a longer soak).

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

use kvs_storage::{FsyncPolicy, Options, Store};
use support::{ChildLines, Rng, dump, self_command};

const CHILD_TEST: &str = "crash_child";
const A_KEYS: u64 = 64;
const GROUPS: u64 = 16;
const GROUP_SIZE: u64 = 5;

fn rounds(default: u64) -> u64 {
    std::env::var("KVS_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// The workload, shared by child (to write it) and parent (to know what it may find).

fn a_key(i: u64) -> Vec<u8> {
    format!("a-{}", i % A_KEYS).into_bytes()
}

fn a_value(round: u64, i: u64) -> Vec<u8> {
    let mut v = format!("a:{round}:{i}:").into_bytes();
    v.resize(v.len() + (i * 13 % 300) as usize, b'a' + (i % 26) as u8);
    v
}

fn group_keys(i: u64) -> Vec<Vec<u8>> {
    (0..GROUP_SIZE)
        .map(|n| format!("m-{}-{n}", i % GROUPS).into_bytes())
        .collect()
}

/// Transaction `i` of writer B: every seventh deletes its group, the others set all five keys to
/// the same value.
fn group_value(round: u64, i: u64) -> Option<Vec<u8>> {
    (i % 7 != 6).then(|| format!("m:{round}:{i}").into_bytes())
}

fn seq_keys(round: u64, i: u64) -> Vec<Vec<u8>> {
    if i % 5 == 4 {
        (0..3)
            .map(|n| format!("s-{round}-{i}-{n}").into_bytes())
            .collect()
    } else {
        vec![format!("s-{round}-{i}").into_bytes()]
    }
}

// ---------------------------------------------------------------------------------------------
// The child.

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} not set"))
}

fn ack(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}

/// Runs only when re-executed by a crash test (it is `#[ignore]`d, and does nothing without its
/// environment).
#[test]
#[ignore = "child process of the crash tests"]
fn crash_child() {
    let Ok(dir) = std::env::var("KVS_CRASH_DIR") else {
        return;
    };
    let round: u64 = env("KVS_CRASH_ROUND").parse().unwrap();
    let everysec = env("KVS_CRASH_MODE") == "everysec";
    let opts = Options {
        fsync: if everysec {
            FsyncPolicy::EverySec
        } else {
            FsyncPolicy::Always
        },
        max_file_size: env("KVS_CRASH_MAX_FILE").parse().unwrap(),
        compaction_interval: None,
        readers: 1,
        ..Options::default()
    };
    // The lock of the previous (killed, reaped) child is gone, but a fork by the other test
    // running in this process can briefly share the parent's open lock file until it execs: retry.
    let mut tries = 0;
    let store = loop {
        match Store::open_with(&dir, opts.clone()) {
            Err(kvs_storage::StorageError::Locked { .. }) if tries < 200 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => break other.unwrap(),
        }
    };
    ack(format_args!("READY"));
    let mut threads = Vec::new();
    if everysec {
        let s = store.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0.. {
                let keys = seq_keys(round, i);
                s.execute(move |t| {
                    for k in &keys {
                        t.put(k, format!("s:{i}").as_bytes(), None);
                    }
                })
                .unwrap();
                ack(format_args!("ACK S {i}"));
            }
        }));
        // Garbage for the compactor.
        let s = store.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0u64.. {
                s.set(format!("hot-{}", i % 8).as_bytes(), &a_value(round, i))
                    .unwrap();
            }
        }));
    } else {
        let s = store.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0.. {
                s.set(&a_key(i), &a_value(round, i)).unwrap();
                ack(format_args!("ACK A {i}"));
            }
        }));
        let s = store.clone();
        threads.push(std::thread::spawn(move || {
            for i in 0.. {
                let (keys, value) = (group_keys(i), group_value(round, i));
                s.execute(move |t| {
                    for k in &keys {
                        match &value {
                            Some(v) => t.put(k, v, None),
                            None => {
                                t.delete(k).unwrap();
                            }
                        }
                    }
                })
                .unwrap();
                ack(format_args!("ACK B {i}"));
            }
        }));
    }
    if env("KVS_CRASH_COMPACT") == "1" {
        let s = store.clone();
        threads.push(std::thread::spawn(move || {
            loop {
                s.compact().unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        }));
    }
    // Never reached in a test: the parent kills us long before.
    std::thread::sleep(Duration::from_secs(20));
    std::process::exit(3);
}

// ---------------------------------------------------------------------------------------------
// The parent.

#[derive(Debug, Clone, Copy)]
struct Round {
    n: u64,
    everysec: bool,
    max_file: u64,
    compact: bool,
    /// Kill this long after the child said READY, or (if `during_open`) after it was spawned.
    delay_ms: u64,
    during_open: bool,
}

/// What the child printed: the highest acknowledged index of each writer.
#[derive(Debug, Default)]
struct Acks {
    ready: bool,
    last: BTreeMap<char, u64>,
}

fn run_child(dir: &Path, r: Round) -> Acks {
    let cmd = self_command(
        CHILD_TEST,
        &[
            ("KVS_CRASH_DIR", dir.display().to_string()),
            ("KVS_CRASH_ROUND", r.n.to_string()),
            (
                "KVS_CRASH_MODE",
                if r.everysec { "everysec" } else { "always" }.to_owned(),
            ),
            ("KVS_CRASH_MAX_FILE", r.max_file.to_string()),
            (
                "KVS_CRASH_COMPACT",
                if r.compact { "1" } else { "0" }.to_owned(),
            ),
        ],
    );
    let child = ChildLines::spawn(cmd);
    let mut acks = Acks::default();
    let note = |acks: &mut Acks, line: &str| {
        if line.contains("READY") {
            acks.ready = true;
        }
        // Only complete lines count; the harness may have printed something before ours.
        if let Some(rest) = line.find("ACK ").map(|p| &line[p + 4..]) {
            let mut it = rest.split_whitespace();
            let (w, i) = (
                it.next().unwrap(),
                it.next().unwrap().parse::<u64>().unwrap(),
            );
            let e = acks.last.entry(w.chars().next().unwrap()).or_insert(i);
            assert!(i >= *e, "acks out of order");
            *e = i;
        }
    };
    if !r.during_open {
        loop {
            match child.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) => {
                    note(&mut acks, &line);
                    if acks.ready {
                        break;
                    }
                }
                Err(_) => {
                    panic!(
                        "round {}: the child never got ready; stderr:\n{}",
                        r.n,
                        child.kill_for_stderr()
                    );
                }
            }
        }
    }
    std::thread::sleep(Duration::from_millis(r.delay_ms));
    let (status, stderr, rest) = child.kill();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "round {}: the child died on its own: {status:?}\n{stderr}",
        r.n
    );
    for line in &rest {
        note(&mut acks, line);
    }
    acks
}

fn open(dir: &Path, r: &Round) -> Store {
    let opts = Options {
        fsync: FsyncPolicy::Always,
        max_file_size: r.max_file,
        compaction_interval: None,
        ..Options::default()
    };
    Store::open_with(dir, opts).unwrap_or_else(|e| {
        panic!(
            "round {}: the store does not open after the crash: {e}",
            r.n
        )
    })
}

/// The state a sequential writer may have left a key (or group) in: that of its last
/// acknowledged operation on it (or what was there before the round), or that of the one
/// operation that may have been in flight when it was killed.
fn allowed<T: Clone>(
    last_acked: Option<u64>,
    hits: impl Fn(u64) -> bool,
    before: T,
    after_op: impl Fn(u64) -> T,
) -> Vec<T> {
    let mut v = Vec::new();
    match last_acked.and_then(|l| (0..=l).rev().find(|&i| hits(i))) {
        Some(i) => v.push(after_op(i)),
        None => v.push(before),
    }
    let next = last_acked.map_or(0, |l| l + 1);
    if hits(next) {
        v.push(after_op(next));
    }
    v
}

fn check_always_round(
    r: &Round,
    acks: &Acks,
    before: &BTreeMap<Vec<u8>, Vec<u8>>,
    after: &BTreeMap<Vec<u8>, Vec<u8>>,
) {
    let la = acks.last.get(&'A').copied();
    for j in 0..A_KEYS {
        let k = a_key(j);
        let ok = allowed(
            la,
            |i| i % A_KEYS == j,
            before.get(&k).cloned(),
            |i| Some(a_value(r.n, i)),
        );
        let got = after.get(&k).cloned();
        assert!(
            ok.contains(&got),
            "round {}: key a-{j} is {:?}; allowed {:?} (last ack A {la:?})",
            r.n,
            got.map(|v| String::from_utf8_lossy(&v[..v.len().min(20)]).into_owned()),
            ok.iter()
                .map(|o| o
                    .as_ref()
                    .map(|v| String::from_utf8_lossy(&v[..v.len().min(20)]).into_owned()))
                .collect::<Vec<_>>(),
        );
    }
    let lb = acks.last.get(&'B').copied();
    for c in 0..GROUPS {
        let keys = group_keys(c);
        let state: Vec<Option<Vec<u8>>> = keys.iter().map(|k| after.get(k).cloned()).collect();
        assert!(
            state.iter().all(|s| *s == state[0]),
            "round {}: group {c} is half written: {state:?}",
            r.n
        );
        let was = before.get(&keys[0]).cloned();
        let ok = allowed(lb, |i| i % GROUPS == c, was, |i| group_value(r.n, i));
        assert!(
            ok.contains(&state[0]),
            "round {}: group {c} is {:?}; allowed {ok:?} (last ack B {lb:?})",
            r.n,
            state[0]
        );
    }
    for k in after.keys() {
        assert!(
            k.starts_with(b"a-") || k.starts_with(b"m-"),
            "round {}: unexpected key {k:?}",
            r.n
        );
    }
}

fn check_everysec_round(
    r: &Round,
    acks: &Acks,
    before: &BTreeMap<Vec<u8>, Vec<u8>>,
    after: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> u64 {
    // Earlier rounds' keys are all still there, unchanged.
    for (k, v) in before.iter().filter(|(k, _)| k.starts_with(b"s-")) {
        assert_eq!(
            after.get(k),
            Some(v),
            "round {}: an earlier round's key changed",
            r.n
        );
    }
    // This round's: a prefix of the sequence, each operation whole.
    let mut present = 0;
    let limit = acks.last.get(&'S').map_or(0, |l| l + 1) + 1;
    let mut ended = false;
    for i in 0..limit + 2 {
        let keys = seq_keys(r.n, i);
        let state: Vec<bool> = keys.iter().map(|k| after.get(k).is_some()).collect();
        assert!(
            state.iter().all(|s| *s == state[0]),
            "round {}: operation {i} is half there: {state:?}",
            r.n
        );
        if state[0] {
            assert!(
                !ended,
                "round {}: operation {i} survived but an earlier one did not",
                r.n
            );
            for k in &keys {
                assert_eq!(after.get(k).unwrap(), format!("s:{i}").as_bytes());
            }
            present += 1;
        } else {
            ended = true;
        }
    }
    let expected_keys: usize = (0..present).map(|i| seq_keys(r.n, i).len()).sum();
    let round_prefix = format!("s-{}-", r.n);
    let found = after
        .keys()
        .filter(|k| k.starts_with(round_prefix.as_bytes()))
        .count();
    assert_eq!(
        found, expected_keys,
        "round {}: keys beyond the checked range",
        r.n
    );
    for (k, v) in after.iter().filter(|(k, _)| k.starts_with(b"hot-")) {
        let s = String::from_utf8_lossy(v);
        let mut p = s.split(':');
        assert_eq!(p.next(), Some("a"), "{k:?}");
        let (rn, i): (u64, u64) = (
            p.next().unwrap().parse().unwrap(),
            p.next().unwrap().parse().unwrap(),
        );
        assert_eq!(
            *v,
            a_value(rn, i),
            "round {}: {k:?} holds a value never written",
            r.n
        );
    }
    present
}

fn crash_rounds(everysec: bool, n: u64) {
    let tmp = tempfile::tempdir().unwrap();
    let (mut rng, seed) = Rng::from_time();
    eprintln!("crash test seed {seed}");
    let mut before = BTreeMap::new();
    let (mut acked, mut survived, mut torn) = (0u64, 0u64, 0usize);
    for round in 0..n {
        let during_open = round % 5 == 4;
        let r = Round {
            n: round,
            everysec,
            max_file: if round % 2 == 1 { 8 << 10 } else { 1 << 20 },
            compact: round % 4 >= 2,
            delay_ms: if during_open {
                rng.range(1, 30)
            } else {
                rng.range(10, 200)
            },
            during_open,
        };
        let acks = run_child(tmp.path(), r);
        let store = open(tmp.path(), &r);
        torn += store.recovery_report().torn_tails.len();
        let after = dump(&store);
        if everysec {
            survived += check_everysec_round(&r, &acks, &before, &after);
        } else {
            check_always_round(&r, &acks, &before, &after);
        }
        acked += acks.last.values().map(|l| l + 1).sum::<u64>();
        before = after;
        drop(store);
    }
    eprintln!(
        "{n} rounds: {acked} acknowledged writes, {survived} survived (everysec), {torn} torn tails repaired"
    );
    assert!(
        acked > n * 5,
        "the children barely wrote anything (seed {seed})"
    );
}

#[test]
fn kill_during_always_writes_loses_no_acknowledged_write() {
    crash_rounds(false, rounds(20));
}

#[test]
fn kill_during_everysec_writes_recovers_a_prefix() {
    crash_rounds(true, rounds(10));
}
