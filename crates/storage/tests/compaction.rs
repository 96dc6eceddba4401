//! Compaction: space is reclaimed while readers keep seeing every key with a value that was
//! really written (and never an older one than they already saw); expired keys are dropped;
//! tombstones are kept as long as an older record of their key may survive elsewhere, so a
//! deleted key never comes back; FLUSHALL and compaction do not deadlock.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use kvs_storage::{FsyncPolicy, Options, Store, now_ms};
use support::{Rng, all_keys, all_records, dir_bytes, small_opts, with_timeout};

const KEYS: u64 = 500;
const ROUNDS: u64 = 200;
const MAX_FILE: u64 = 64 << 10;

fn key(k: u64) -> Vec<u8> {
    format!("key-{k:04}").into_bytes()
}

/// The value of key `k` in round `r`: self-describing, so a reader can tell it is exactly a value
/// that was written and which round it comes from.
fn value(k: u64, r: u64) -> Vec<u8> {
    let mut v = format!("{k}:{r}:").into_bytes();
    let len = 60 + ((k * 7 + r) % 80) as usize;
    v.resize(len, b'a' + ((k + r) % 26) as u8);
    v
}

fn parse_round(k: u64, v: &[u8]) -> u64 {
    let s = String::from_utf8_lossy(v);
    let mut parts = s.splitn(3, ':');
    let (pk, pr) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    assert_eq!(
        pk,
        k.to_string(),
        "value of key {k} names another key: {s:?}"
    );
    let r: u64 = pr
        .parse()
        .unwrap_or_else(|_| panic!("garbage value for key {k}: {s:?}"));
    assert_eq!(v, value(k, r), "key {k}: not a value that was ever written");
    r
}

fn write_round(store: &Store, r: u64) {
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(25) {
        let chunk = chunk.to_vec();
        if r.is_multiple_of(3) {
            // Some rounds as single-key writes, the rest as multi-key batches.
            for k in chunk {
                store.set(&key(k), &value(k, r)).unwrap();
            }
        } else {
            store
                .execute(move |t| {
                    for k in chunk {
                        t.put(&key(k), &value(k, r), None);
                    }
                })
                .unwrap();
        }
    }
}

#[test]
fn overwrites_keep_the_directory_bounded_and_readers_never_miss_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        fsync: FsyncPolicy::No,
        max_file_size: MAX_FILE,
        readers: 1,
        compaction_threshold: 0.5,
        compaction_interval: Some(Duration::from_millis(20)),
        ..Options::default()
    };
    let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
    write_round(&store, 0);
    let live: u64 = (0..KEYS)
        .map(|k| 21 + key(k).len() as u64 + value(k, 0).len() as u64)
        .sum();

    // `started` = the round being written: no reader may see a later one.
    let started = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..2)
        .map(|t| {
            let (store, started, stop, reads) =
                (store.clone(), started.clone(), stop.clone(), reads.clone());
            std::thread::spawn(move || {
                let mut rng = Rng::new(t + 1);
                let mut seen = vec![0u64; KEYS as usize];
                while !stop.load(SeqCst) {
                    let k = rng.range(0, KEYS);
                    let v = store
                        .get(&key(k))
                        .unwrap_or_else(|e| panic!("reader: get key {k}: {e}"));
                    let v = v.unwrap_or_else(|| panic!("reader: key {k} missing"));
                    let r = parse_round(k, &v);
                    assert!(
                        r <= started.load(SeqCst),
                        "key {k}: round {r} was not written yet"
                    );
                    assert!(
                        r >= seen[k as usize],
                        "key {k}: went back from round {} to {r}",
                        seen[k as usize]
                    );
                    seen[k as usize] = r;
                    // Leave the two cores mostly to the writer and the compactor.
                    if reads.fetch_add(1, SeqCst) % 8 == 0 {
                        std::thread::sleep(Duration::from_micros(100));
                    }
                }
            })
        })
        .collect();

    let mut max_late = 0;
    for r in 1..ROUNDS {
        started.store(r, SeqCst);
        write_round(&store, r);
        if r % 40 == 0 {
            store.compact().unwrap();
        }
        if r >= ROUNDS / 2 {
            max_late = max_late.max(dir_bytes(tmp.path()));
        }
    }
    stop.store(true, SeqCst);
    for h in readers {
        h.join().unwrap();
    }
    // Everything sealed with garbage goes; what stays is the live data, the active file, hints.
    store.compact().unwrap();
    let end = dir_bytes(tmp.path());
    let stats = store.stats();
    let written = live * ROUNDS;
    eprintln!(
        "live {live} B, written {written} B, dir max (2nd half) {max_late} B, after compaction {end} B, {} compactions, {} reads",
        stats.compactions,
        reads.load(SeqCst)
    );
    assert!(reads.load(SeqCst) > 1000, "the readers barely ran");
    assert!(stats.compactions >= 5, "{stats:?}");
    // Without compaction the directory would hold all `written` bytes (~12 MB).
    assert!(
        max_late < 8 * live + 6 * MAX_FILE,
        "directory kept growing: {max_late} B for {live} B live"
    );
    assert!(
        end < 2 * live + 2 * MAX_FILE,
        "after a full compaction: {end} B for {live} B live"
    );

    for k in 0..KEYS {
        assert_eq!(
            store.get(&key(k)).unwrap(),
            Some(value(k, ROUNDS - 1)),
            "key {k}"
        );
    }
    drop(store);
    let store = Store::open_with(tmp.path(), opts).unwrap();
    let rep = store.recovery_report();
    assert!(
        rep.torn_tails.is_empty() && rep.damaged.is_empty(),
        "{rep:?}"
    );
    assert_eq!(all_keys(&store).len() as u64, KEYS);
    for k in 0..KEYS {
        assert_eq!(
            store.get(&key(k)).unwrap(),
            Some(value(k, ROUNDS - 1)),
            "key {k} after reopen"
        );
    }
}

/// Keys with a TTL disappear at their expiry, and compaction removes their records from disk.
#[test]
fn expired_keys_are_invisible_and_dropped_by_compaction() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with(tmp.path(), small_opts(8 << 10)).unwrap();
    let ttl_ms = 700;
    let expire_at = now_ms() + ttl_ms;
    let ttl_key = |i: u32| format!("ttl-{i}").into_bytes();
    let keep_key = |i: u32| format!("keep-{i}").into_bytes();
    store
        .execute(move |t| {
            for i in 0..20 {
                t.put(&ttl_key(i), &[b'x'; 100], Some(expire_at));
                t.put(&keep_key(i), &[b'y'; 100], None);
            }
        })
        .unwrap();
    assert!(
        store.get(&ttl_key(3)).unwrap().is_some(),
        "TTL'd key not visible before its expiry"
    );
    assert_eq!(
        store.reader().expire_at_ms(&ttl_key(3)),
        Some(Some(expire_at))
    );
    // Seal that file: this value does not fit behind it.
    store.set(b"big", &[b'z'; 6 << 10]).unwrap();
    assert!(store.stats().files.len() >= 2);

    std::thread::sleep(Duration::from_millis(ttl_ms + 50));
    for i in 0..20 {
        assert_eq!(
            store.get(&ttl_key(i)).unwrap(),
            None,
            "ttl-{i} visible after expiry"
        );
        assert!(!store.reader().exists(&ttl_key(i)));
        assert_eq!(store.get(&keep_key(i)).unwrap(), Some(vec![b'y'; 100]));
    }
    assert_eq!(all_keys(&store).len(), 21, "the scan returned expired keys");

    let report = store.compact().unwrap();
    assert!(report.records_dropped >= 20, "{report:?}");
    let on_disk = all_records(tmp.path());
    let left: Vec<_> = on_disk
        .iter()
        .filter(|(_, r)| r.key.starts_with(b"ttl-") && !r.tombstone)
        .collect();
    assert!(
        left.is_empty(),
        "expired records still on disk after compaction: {} of them",
        left.len()
    );
    assert_eq!(
        store.reader().key_count(),
        21,
        "expired keys still in the index"
    );

    drop(store);
    let store = Store::open_with(tmp.path(), small_opts(8 << 10)).unwrap();
    for i in 0..20 {
        assert_eq!(store.get(&ttl_key(i)).unwrap(), None);
        assert_eq!(store.get(&keep_key(i)).unwrap(), Some(vec![b'y'; 100]));
    }
    assert_eq!(store.reader().key_count(), 21);
}

/// The older file still holds the deleted key's value; compacting only the file holding the
/// tombstone must keep the tombstone, or the value comes back on the next open.
#[test]
fn a_deleted_key_never_resurrects_after_partial_compaction_and_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        fsync: FsyncPolicy::No,
        max_file_size: 8 << 10,
        readers: 1,
        compaction_threshold: 0.5,
        compaction_interval: Some(Duration::from_millis(20)),
        ..Options::default()
    };
    let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
    // File A: many live keys and the victim; after the delete only the victim is dead (~3%).
    for i in 0..40 {
        store
            .set(format!("live-{i}").as_bytes(), &[b'l'; 100])
            .unwrap();
    }
    store.set(b"victim", b"the old value").unwrap();
    let file_a = store.stats().files.last().unwrap().0;
    // File B: junk that is overwritten at once, and the tombstone (~97% dead).
    store.set(b"junk", &[b'j'; 5 << 10]).unwrap();
    let file_b = store.stats().files.last().unwrap().0;
    assert_ne!(file_a, file_b, "did not rotate");
    assert!(store.remove(b"victim").unwrap());
    store.set(b"junk", b"small").unwrap();
    assert_eq!(store.stats().files.last().unwrap().0, file_b);
    // Seal B.
    store.set(b"junk2", &[b'k'; 7 << 10]).unwrap();
    assert_ne!(store.stats().files.last().unwrap().0, file_b);

    // The automatic compactor picks B (and not A, below the threshold).
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.stats().files.iter().any(|(f, _)| *f == file_b) {
        assert!(
            Instant::now() < deadline,
            "B was never compacted: {:?}",
            store.stats()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let files: Vec<u64> = store.stats().files.iter().map(|(f, _)| *f).collect();
    assert!(
        files.contains(&file_a),
        "A was compacted too; the scenario needs it to stay: {files:?}"
    );
    assert!(
        support::records(tmp.path(), file_a)
            .iter()
            .any(|r| r.key == b"victim" && !r.tombstone),
        "A should still hold the old value"
    );
    assert_eq!(store.get(b"victim").unwrap(), None);

    drop(store);
    let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
    assert_eq!(
        store.get(b"victim").unwrap(),
        None,
        "the deleted key came back after compaction + reopen"
    );
    assert_eq!(store.get(b"junk").unwrap().as_deref(), Some(&b"small"[..]));
    assert_eq!(store.get(b"live-7").unwrap(), Some(vec![b'l'; 100]));

    // Compact everything now: A's old value goes, and the key stays deleted.
    store.compact().unwrap();
    drop(store);
    let store = Store::open_with(tmp.path(), opts).unwrap();
    assert_eq!(
        store.get(b"victim").unwrap(),
        None,
        "the deleted key came back after a full compaction"
    );
    assert!(
        !all_records(tmp.path())
            .iter()
            .any(|(_, r)| r.key == b"victim" && !r.tombstone)
    );
    assert_eq!(all_keys(&store).len(), 42);
}

/// Deleting the only key of a file and compacting everything leaves no record of it; writing
/// and deleting again after reopening must not bring any older version back.
#[test]
fn delete_compact_reopen_cycles_never_resurrect() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = small_opts(4 << 10);
    for cycle in 0..5u32 {
        let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
        assert_eq!(
            store.get(b"k").unwrap(),
            None,
            "cycle {cycle}: k resurrected"
        );
        store.set(b"k", format!("v{cycle}").as_bytes()).unwrap();
        store
            .set(format!("other-{cycle}").as_bytes(), &[b'o'; 3000])
            .unwrap();
        drop(store);
        let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
        assert_eq!(
            store.get(b"k").unwrap(),
            Some(format!("v{cycle}").into_bytes())
        );
        assert!(store.remove(b"k").unwrap());
        drop(store);
        let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
        store.compact().unwrap();
        assert_eq!(store.get(b"k").unwrap(), None, "cycle {cycle}");
    }
    let store = Store::open_with(tmp.path(), opts).unwrap();
    assert_eq!(store.get(b"k").unwrap(), None);
    assert_eq!(all_keys(&store).len(), 5);
}

/// FLUSHALL waits for a running compaction; the compaction waits for the writer to sync. Both
/// must finish, whatever the interleaving.
#[test]
fn flush_all_during_compaction_does_not_deadlock() {
    with_timeout(
        Duration::from_secs(30),
        "FLUSHALL racing compaction",
        || {
            let tmp = tempfile::tempdir().unwrap();
            let store = Store::open_with(tmp.path(), small_opts(32 << 10)).unwrap();
            for round in 0..12u64 {
                // Enough garbage that a compaction takes a while.
                for r in 0..4 {
                    let chunk: Vec<u64> = (0..400).collect();
                    store
                        .execute(move |t| {
                            for k in chunk {
                                t.put(&key(k), &value(k, r), None);
                            }
                        })
                        .unwrap();
                }
                let s = store.clone();
                let compactor = std::thread::spawn(move || s.compact());
                std::thread::sleep(Duration::from_micros(200 * round));
                store.flush_all().unwrap();
                // The compaction finished before the FLUSHALL, or gave up because of it.
                let report = compactor.join().unwrap();
                assert!(report.is_ok(), "round {round}: {report:?}");
                assert_eq!(
                    all_keys(&store).len(),
                    0,
                    "round {round}: FLUSHALL left keys"
                );
                store.set(b"after", b"flush").unwrap();
                assert_eq!(store.get(b"after").unwrap().as_deref(), Some(&b"flush"[..]));
            }
            drop(store);
            let store = Store::open_with(tmp.path(), small_opts(32 << 10)).unwrap();
            assert_eq!(all_keys(&store), vec![b"after".to_vec()]);
        },
    );
}

/// The automatic compaction keeps its schedule while the store rotates files more often than the
/// interval (every rotation sends the compactor thread other work, e.g. writing a hint file).
#[test]
fn automatic_compaction_keeps_its_schedule_under_steady_rotation() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        fsync: FsyncPolicy::No,
        max_file_size: 4 << 10,
        readers: 1,
        compaction_threshold: 0.5,
        compaction_interval: Some(Duration::from_millis(150)),
        ..Options::default()
    };
    let store = Store::open_with(tmp.path(), opts).unwrap();
    let started = Instant::now();
    let mut i = 0u64;
    // About one rotation every 5 ms, for 1.5 s: ten intervals.
    while started.elapsed() < Duration::from_millis(1500) {
        store
            .set(format!("k{}", i % 4).as_bytes(), &[b'v'; 1500])
            .unwrap();
        i += 1;
        if i.is_multiple_of(3) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let stats = store.stats();
    assert!(
        stats.files.len() < 60,
        "{} files left: compaction fell behind",
        stats.files.len()
    );
    assert!(
        stats.compactions >= 3,
        "{} automatic compactions in 1.5 s at a 150 ms interval ({} writes)",
        stats.compactions,
        i
    );
}
