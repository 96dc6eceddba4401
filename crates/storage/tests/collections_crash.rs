//! Collections under SIGKILL with `FsyncPolicy::Always`: a child process (this test binary,
//! re-executed on an ignored test) runs a seeded random sequence of hash and set operations —
//! HSET, HDEL, SADD, SREM, DEL, SET over a collection, RENAME, FLUSHALL (the model of
//! `collections_model.rs`) — one atomic write each, printing the index of every one it got
//! acknowledged; the parent kills it at a random moment, reopens the store and checks that the
//! store is exactly the model after the acknowledged prefix, or after one more operation (the
//! one in flight may have reached the disk). Some rounds use 4 KiB files (rotation every few
//! writes) and run compactions concurrently in the child, some kill it while it is still
//! opening the store. Rounds accumulate in one directory: every open also recovers from all the
//! earlier crashes, and every round starts from what the last one left.
//!
//! `KVS_CRASH_ROUNDS=n` runs `n` rounds instead of the default (a longer soak).

mod support;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

use kvs_storage::{FsyncPolicy, Options, Store};
use support::collections::{ELEMENTS, KEYS, Keyspace, Op, apply, apply_model, observed};
use support::{ChildLines, Rng, self_command};

const CHILD_TEST: &str = "collections_crash_child";

/// Operation `i` of round `round` of a run seeded with `seed`: the same in child and parent.
fn op_at(seed: u64, round: u64, i: u64) -> Op {
    let mut rng = Rng::new(seed ^ round.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ i.wrapping_mul(31));
    let k = rng.range(0, u64::from(KEYS)) as u8;
    let e = rng.range(0, u64::from(ELEMENTS)) as u8;
    let len = rng.range(0, 300) as u16;
    match rng.range(0, 40) {
        0..=11 => Op::HSet(k, e, len),
        12..=16 => Op::HDel(k, e),
        17..=26 => Op::SAdd(k, e),
        27..=31 => Op::SRem(k, e),
        32..=33 => Op::Del(k),
        34..=35 => Op::Set(k, len),
        36..=38 => Op::Rename(k, rng.range(0, u64::from(KEYS)) as u8),
        _ => Op::FlushAll,
    }
}

/// The step number an operation writes into its values: unique across rounds.
fn step(round: u64, i: u64) -> u64 {
    round * 1_000_000 + i
}

fn options(max_file: u64) -> Options {
    Options {
        fsync: FsyncPolicy::Always,
        max_file_size: max_file,
        compaction_interval: None,
        readers: 1,
        ..Options::default()
    }
}

fn env(name: &str) -> u64 {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} not set"))
        .parse()
        .unwrap()
}

/// Runs only when re-executed by the crash test (it is `#[ignore]`d, and does nothing without
/// its environment).
#[test]
#[ignore = "child process of the collections crash test"]
fn collections_crash_child() {
    let Ok(dir) = std::env::var("KVS_CRASH_DIR") else {
        return;
    };
    let (seed, round) = (env("KVS_CRASH_SEED"), env("KVS_CRASH_ROUND"));
    let opts = options(env("KVS_CRASH_MAX_FILE"));
    let mut tries = 0;
    let store = loop {
        match Store::open_with(&dir, opts.clone()) {
            Err(kvs_storage::StorageError::Locked { .. }) if tries < 200 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => break other.unwrap(),
        }
    };
    // The model starts from what the store holds: the state the parent checked last round.
    let mut model = observed(&store);
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY").unwrap();
    out.flush().unwrap();
    if env("KVS_CRASH_COMPACT") == 1 {
        let s = store.clone();
        std::thread::spawn(move || {
            loop {
                s.compact().unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
    }
    for i in 0.. {
        apply(&store, &mut model, &op_at(seed, round, i), step(round, i));
        writeln!(out, "ACK {i}").unwrap();
        out.flush().unwrap();
    }
}

/// Spawns the child for `round`, kills it after `delay_ms` (from READY, or from the spawn when
/// `during_open`), and returns the last acknowledged operation.
fn run_child(
    dir: &Path,
    seed: u64,
    round: u64,
    max_file: u64,
    compact: bool,
    delay_ms: u64,
    during_open: bool,
) -> Option<u64> {
    let cmd = self_command(
        CHILD_TEST,
        &[
            ("KVS_CRASH_DIR", dir.display().to_string()),
            ("KVS_CRASH_SEED", seed.to_string()),
            ("KVS_CRASH_ROUND", round.to_string()),
            ("KVS_CRASH_MAX_FILE", max_file.to_string()),
            ("KVS_CRASH_COMPACT", u8::from(compact).to_string()),
        ],
    );
    let child = ChildLines::spawn(cmd);
    let mut last = None;
    let mut note = |line: &str| {
        // Only complete lines count; the harness may have printed something before ours.
        if let Some(i) = line
            .find("ACK ")
            .and_then(|p| line[p + 4..].trim().parse::<u64>().ok())
        {
            assert!(last.is_none_or(|l| i == l + 1), "acks out of order");
            last = Some(i);
        }
    };
    if !during_open {
        loop {
            match child.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line.contains("READY") => break,
                Ok(line) => note(&line),
                Err(_) => {
                    panic!(
                        "round {round}: the child never got ready; stderr:\n{}",
                        child.kill_for_stderr()
                    );
                }
            }
        }
    }
    std::thread::sleep(Duration::from_millis(delay_ms));
    let (status, stderr, rest) = child.kill();
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "round {round}: the child died on its own: {status:?}\n{stderr}"
    );
    for line in &rest {
        note(line);
    }
    last
}

#[test]
fn kill_during_collection_writes_loses_no_acknowledged_write() {
    let rounds = std::env::var("KVS_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12u64);
    let tmp = tempfile::tempdir().unwrap();
    let (mut rng, seed) = Rng::from_time();
    eprintln!("collections crash test seed {seed}");
    let mut before: Keyspace = Keyspace::new();
    let (mut acked, mut in_flight_landed) = (0u64, 0u64);
    for round in 0..rounds {
        let during_open = round % 5 == 4;
        let max_file = if round % 2 == 1 { 4 << 10 } else { 1 << 20 };
        let compact = round % 4 >= 2;
        let delay_ms = if during_open {
            rng.range(1, 30)
        } else {
            rng.range(20, 200)
        };
        let last = run_child(
            tmp.path(),
            seed,
            round,
            max_file,
            compact,
            delay_ms,
            during_open,
        );
        let store = Store::open_with(tmp.path(), options(max_file)).unwrap_or_else(|e| {
            panic!("round {round}: the store does not open: {e} (seed {seed})")
        });
        let after = observed(&store);
        // The model after the acknowledged prefix, and after one more operation.
        let mut model = before.clone();
        let n = last.map_or(0, |l| l + 1);
        for i in 0..n {
            apply_model(&mut model, &op_at(seed, round, i), step(round, i));
        }
        if after != model {
            apply_model(&mut model, &op_at(seed, round, n), step(round, n));
            assert_eq!(
                after,
                model,
                "round {round}: neither the {n} acknowledged operations nor one more (seed {seed}, op {n}: {:?})",
                op_at(seed, round, n)
            );
            in_flight_landed += 1;
        }
        acked += n;
        before = after;
    }
    eprintln!(
        "{rounds} rounds: {acked} acknowledged collection writes, {in_flight_landed} in-flight ones on disk"
    );
    // At least one acknowledged write per round on average, however slow the disk's fsync.
    assert!(
        acked >= rounds,
        "the children barely wrote anything (seed {seed})"
    );
}
