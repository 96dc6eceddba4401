//! Many threads at once: a thousand writers through `KvStore`, and readers (direct and through
//! the reader threads) running against writes, rotations and compactions.

mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use kvs_storage::{FsyncPolicy, KvStore, KvsEngine, Options, StorageError, Store};
use support::{Rng, all_keys, with_timeout};

const THREADS: usize = 1000;

/// A thousand threads start together, each sets its own keys, reads them back, removes one and
/// sees `KeyNotFound` removing it again. Everything is there afterwards, and after a reopen.
#[test]
fn a_thousand_threads_set_and_read_back_their_keys() {
    with_timeout(Duration::from_secs(120), "1000 threads", || {
        let tmp = tempfile::tempdir().unwrap();
        let opts = Options {
            compaction_interval: None,
            ..Options::default()
        };
        let store = KvStore::open_with(tmp.path(), opts.clone()).unwrap();
        let barrier = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::Builder::new()
                    .stack_size(256 << 10)
                    .spawn(move || {
                        barrier.wait();
                        for j in 0..3 {
                            store
                                .set(format!("t{i}-k{j}"), format!("value {i} {j}"))
                                .unwrap();
                        }
                        for j in 0..3 {
                            assert_eq!(
                                store.get(format!("t{i}-k{j}")).unwrap(),
                                Some(format!("value {i} {j}"))
                            );
                        }
                        store.remove(format!("t{i}-k2")).unwrap();
                        assert!(matches!(
                            store.remove(format!("t{i}-k2")),
                            Err(StorageError::KeyNotFound)
                        ));
                        assert_eq!(store.get(format!("t{i}-k2")).unwrap(), None);
                    })
                    .unwrap()
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let stats = store.store().stats();
        assert_eq!(stats.writes, THREADS as u64 * 4, "{stats:?}");
        // Concurrent writers share batches (group commit): fewer batches than writes.
        assert!(stats.write_batches < stats.writes, "{stats:?}");
        let check = |store: &KvStore| {
            assert_eq!(all_keys(store.store()).len(), THREADS * 2);
            for i in 0..THREADS {
                for j in 0..2 {
                    assert_eq!(
                        store.get(format!("t{i}-k{j}")).unwrap(),
                        Some(format!("value {i} {j}"))
                    );
                }
                assert_eq!(store.get(format!("t{i}-k2")).unwrap(), None);
            }
        };
        check(&store);
        drop(store);
        check(&KvStore::open_with(tmp.path(), opts).unwrap());
    });
}

const KEYS: u64 = 300;

fn key(k: u64) -> Vec<u8> {
    format!("key-{k:03}").into_bytes()
}

fn value(k: u64, version: u64) -> Vec<u8> {
    let mut v = format!("{k}/{version}/").into_bytes();
    v.resize(
        v.len() + 40 + (version % 50) as usize,
        b'0' + (k % 10) as u8,
    );
    v
}

/// The version in a value, after checking it is exactly what was written for `k`.
fn version(k: u64, v: &[u8]) -> u64 {
    let s = String::from_utf8_lossy(v);
    let mut p = s.split('/');
    assert_eq!(
        p.next(),
        Some(k.to_string().as_str()),
        "key {k} holds another key's value: {s}"
    );
    let ver: u64 = p
        .next()
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("garbage: {s}"));
    assert_eq!(v, value(k, ver), "key {k}: a value never written");
    ver
}

/// Two writers overwrite their halves of the key space with increasing versions (single writes
/// and batches), files are small and compaction runs every few milliseconds. Meanwhile readers
/// check that every key is always there, holds a value that was written, and never goes back to
/// an older version than one already seen; full scans return every key; read commands sent to the
/// reader threads see the same.
#[test]
fn readers_stay_consistent_during_writes_rotations_and_compactions() {
    with_timeout(
        Duration::from_secs(120),
        "readers vs writes and compaction",
        || {
            let tmp = tempfile::tempdir().unwrap();
            let opts = Options {
                fsync: FsyncPolicy::No,
                max_file_size: 16 << 10,
                readers: 2,
                compaction_threshold: 0.3,
                compaction_interval: Some(Duration::from_millis(10)),
                ..Options::default()
            };
            let store = Store::open_with(tmp.path(), opts).unwrap();
            store
                .execute(|t| {
                    for k in 0..KEYS {
                        t.put(&key(k), &value(k, 0), None);
                    }
                })
                .unwrap();
            // `latest[k]`: the newest version of k whose write has been acknowledged.
            let latest: Arc<Vec<AtomicU64>> =
                Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
            let stop = Arc::new(AtomicBool::new(false));
            let run_for = Duration::from_millis(1500);

            let writers: Vec<_> = (0..2u64)
                .map(|w| {
                    let (store, latest, stop) = (store.clone(), latest.clone(), stop.clone());
                    std::thread::spawn(move || {
                        let mine: Vec<u64> = (0..KEYS).filter(|k| k % 2 == w).collect();
                        let mut version = 0;
                        while !stop.load(SeqCst) {
                            version += 1;
                            for chunk in mine.chunks(10) {
                                if version % 2 == 0 {
                                    for &k in chunk {
                                        store.set(&key(k), &value(k, version)).unwrap();
                                        latest[k as usize].store(version, SeqCst);
                                    }
                                } else {
                                    let c = chunk.to_vec();
                                    store
                                        .execute(move |t| {
                                            for k in c {
                                                t.put(&key(k), &value(k, version), None);
                                            }
                                        })
                                        .unwrap();
                                    for &k in chunk {
                                        latest[k as usize].store(version, SeqCst);
                                    }
                                }
                            }
                        }
                        version
                    })
                })
                .collect();

            let readers: Vec<_> = (0..2u64)
            .map(|t| {
                let (store, latest, stop) = (store.clone(), latest.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut rng = Rng::new(100 + t);
                    let mut seen = vec![0u64; KEYS as usize];
                    let (mut reads, mut scans) = (0u64, 0u64);
                    while !stop.load(SeqCst) {
                        for _ in 0..200 {
                            let k = rng.range(0, KEYS);
                            // A write acknowledged before the read started must be visible.
                            let floor = latest[k as usize].load(SeqCst);
                            let v = store.get(&key(k)).unwrap_or_else(|e| panic!("get key {k}: {e}"));
                            let ver = version(k, &v.unwrap_or_else(|| panic!("key {k} missing")));
                            assert!(ver >= floor, "key {k}: read version {ver}, but {floor} was acknowledged before");
                            assert!(ver >= seen[k as usize], "key {k}: back from {} to {ver}", seen[k as usize]);
                            seen[k as usize] = ver;
                            reads += 1;
                        }
                        // Every key exists for the whole scan, so the scan returns each at least once.
                        let reader = store.reader();
                        let (mut cursor, mut found) = (0, std::collections::HashSet::new());
                        loop {
                            let (next, keys) = reader.scan(cursor, 50);
                            found.extend(keys);
                            if next == 0 {
                                break;
                            }
                            cursor = next;
                        }
                        assert_eq!(found.len() as u64, KEYS, "a scan during writes missed keys");
                        scans += 1;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    (reads, scans)
                })
            })
            .collect();

            // Read commands through the reader threads, checked on the way back.
            let (tx, rx) = crossbeam_channel::unbounded();
            let started = Instant::now();
            let mut sent = 0u64;
            while started.elapsed() < run_for {
                for k in (0..KEYS).step_by(7) {
                    let (tx, floor) = (tx.clone(), latest[k as usize].load(SeqCst));
                    store
                        .submit_read(move |r| {
                            let _ = tx.send((k, floor, r.get(&key(k)).map_err(|e| e.to_string())));
                        })
                        .unwrap();
                    sent += 1;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            stop.store(true, SeqCst);
            for _ in 0..sent {
                let (k, floor, got) = rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("a read command never answered");
                let ver = version(
                    k,
                    &got.unwrap()
                        .unwrap_or_else(|| panic!("key {k} missing (reader thread)")),
                );
                assert!(
                    ver >= floor,
                    "reader thread: key {k} at version {ver} < {floor}"
                );
            }
            let versions: Vec<u64> = writers.into_iter().map(|h| h.join().unwrap()).collect();
            let (reads, scans) = readers
                .into_iter()
                .map(|h| h.join().unwrap())
                .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            let stats = store.stats();
            eprintln!(
                "versions {versions:?}, {reads} reads, {scans} scans, {sent} read commands, {} compactions",
                stats.compactions
            );
            assert!(
                versions.iter().all(|v| *v >= 3),
                "writers barely ran: {versions:?}"
            );
            assert!(reads > 1000 && scans > 5, "readers barely ran");
            assert!(
                stats.compactions >= 1,
                "no compaction ran concurrently: {stats:?}"
            );
            for k in 0..KEYS {
                let v = store.get(&key(k)).unwrap().unwrap();
                assert_eq!(
                    version(k, &v),
                    latest[k as usize].load(SeqCst),
                    "key {k}: final value"
                );
            }
        },
    );
}
