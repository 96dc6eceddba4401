//! Space reclamation of a small working set overwritten in place (issue 12 §1): the active file
//! is sealed early once its own garbage passes `seal_dead_ratio` and `seal_dead_bytes`
//! (storage-format §10.1), so the compactor takes it and the directory stops growing.

use std::path::Path;

use kvs_storage::{KvStore, KvsEngine, Options};

/// Bytes of the regular files in `dir` (the store keeps everything at its top level).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// The documented steady-state bound (storage-format §10.1, operations.md): six times the live
/// data, plus twice the early-seal trigger (the active file and one sealed file awaiting the
/// compactor), plus a little per file for headers and hint files.
fn bound(live: u64, opts: &Options) -> u64 {
    6 * live + 2 * opts.seal_dead_bytes + 64 * 1024
}

/// Sets `keys` keys to the round number, `rounds` times; returns the largest directory seen
/// after a round, and checks every key's latest value after a reopen.
fn overwrite(dir: &Path, opts: Options, keys: u64, rounds: u64) -> u64 {
    let mut largest = 0;
    {
        let store = KvStore::open_with(dir, opts.clone()).unwrap();
        for round in 0..rounds {
            for k in 0..keys {
                store
                    .set(format!("key{k}"), format!("{round}-{k}"))
                    .unwrap();
            }
            largest = largest.max(dir_bytes(dir));
        }
    }
    let store = KvStore::open_with(dir, opts).unwrap();
    for k in 0..keys {
        assert_eq!(
            store.get(format!("key{k}")).unwrap(),
            Some(format!("{}-{k}", rounds - 1)),
            "key{k} after reopen"
        );
    }
    largest
}

/// Live bytes of `keys` keys holding `{round}-{k}`: record header (24 B: CRC, sizes, seq,
/// flags) plus key and value.
fn live_bytes(keys: u64, rounds: u64) -> u64 {
    (0..keys)
        .map(|k| 24 + format!("key{k}").len() as u64 + format!("{}-{k}", rounds - 1).len() as u64)
        .sum()
}

/// Runs the overwrite workload in a fresh directory; (largest directory, documented bound).
fn largest_and_bound(opts: Options, keys: u64, rounds: u64) -> (u64, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let largest = overwrite(tmp.path(), opts.clone(), keys, rounds);
    (largest, bound(live_bytes(keys, rounds), &opts))
}

/// The workload with default options: 1000 keys, 600 rounds (~25 MB written). Before
/// the rule the whole log stayed in the active file, which never reached the 64 MiB seal size:
/// the directory grew to the full ~20 MB, past the bound (measured: 20.2 MB, bound 17.1 MB).
#[test]
fn default_options_stop_the_directory_growing() {
    let (largest, bound) = largest_and_bound(Options::default(), 1000, 600);
    assert!(
        largest <= bound,
        "directory reached {largest} B, bound {bound} B"
    );
}

/// The same rule scaled down, so it cycles many times: the directory stays bounded through
/// dozens of early seals and compactions.
#[test]
fn small_trigger_keeps_the_directory_bounded() {
    let opts = Options {
        seal_dead_bytes: 64 * 1024,
        ..Options::default()
    };
    let (largest, bound) = largest_and_bound(opts, 200, 400);
    assert!(
        largest <= bound,
        "directory reached {largest} B, bound {bound} B"
    );
}

/// The control: with the rule off (a ratio above 1), the same workload keeps everything — so
/// the bound above is the rule's doing, not the workload's.
#[test]
fn without_the_rule_the_directory_grows() {
    let opts = Options {
        seal_dead_bytes: 64 * 1024,
        seal_dead_ratio: 2.0,
        ..Options::default()
    };
    let (largest, bound) = largest_and_bound(opts, 200, 400);
    assert!(
        largest > bound,
        "directory stayed at {largest} B without the rule (bound {bound} B)"
    );
}
