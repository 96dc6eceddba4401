//! A quick end-to-end pass over the engine: writes, reads, rotation, compaction, reopen.

use kvs_storage::{FsyncPolicy, Options, Store};

fn opts() -> Options {
    Options {
        max_file_size: 4096,
        compaction_interval: None,
        fsync: FsyncPolicy::No,
        ..Options::default()
    }
}

#[test]
fn write_rotate_compact_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_with(dir.path(), opts()).unwrap();
        for round in 0..20 {
            for k in 0..50 {
                store
                    .set(
                        format!("key{k}").as_bytes(),
                        format!("value{k}-{round}").as_bytes(),
                    )
                    .unwrap();
            }
        }
        for k in 0..10 {
            assert!(store.remove(format!("key{k}").as_bytes()).unwrap());
        }
        let before = store.stats();
        assert!(
            before.files.len() > 3,
            "expected rotation: {:?}",
            before.files.len()
        );
        let report = store.compact().unwrap();
        assert!(!report.inputs.is_empty());
        let after = store.stats();
        assert!(
            after.disk_bytes < before.disk_bytes,
            "{} -> {}",
            before.disk_bytes,
            after.disk_bytes
        );
        for k in 0..50 {
            let v = store.get(format!("key{k}").as_bytes()).unwrap();
            if k < 10 {
                assert_eq!(v, None);
            } else {
                assert_eq!(v.as_deref(), Some(format!("value{k}-19").as_bytes()));
            }
        }
    }
    let store = Store::open_with(dir.path(), opts()).unwrap();
    assert_eq!(store.reader().key_count(), 40);
    for k in 0..50 {
        let v = store.get(format!("key{k}").as_bytes()).unwrap();
        if k < 10 {
            assert_eq!(v, None, "key{k} resurrected");
        } else {
            assert_eq!(v.as_deref(), Some(format!("value{k}-19").as_bytes()));
        }
    }
    let rmw = store
        .execute(|t| {
            let n: i64 = t
                .get(b"counter")
                .unwrap()
                .map_or(0, |v| String::from_utf8(v.data).unwrap().parse().unwrap());
            t.put(b"counter", (n + 5).to_string().as_bytes(), None);
            n + 5
        })
        .unwrap();
    assert_eq!(rmw, 5);
    store.flush_all().unwrap();
    assert_eq!(store.reader().key_count(), 0);
    assert_eq!(store.get(b"key20").unwrap(), None);
}

/// DBSIZE behind writes of the same batch: the count includes what the batch created and
/// deleted, not only the committed index (which said 1 here).
#[test]
fn key_count_in_a_txn_sees_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), opts()).unwrap();
    store.set(b"a", b"1").unwrap();
    let n = store
        .execute(|t| {
            t.put(b"b", b"2", None);
            t.delete(b"a").unwrap();
            t.put(b"c", b"3", None);
            t.put(b"d", b"4", None);
            t.delete(b"d").unwrap(); // created and deleted in the batch: no change
            t.put(b"b", b"5", None); // overwritten in the batch: counted once
            t.key_count()
        })
        .unwrap();
    assert_eq!(n, 2, "b and c");
    assert_eq!(
        store.stats().keys,
        2,
        "and so says the committed index afterwards"
    );
}

/// SCAN/KEYS and RANDOMKEY behind writes of the same batch see them: the committed index alone
/// still listed a deleted key and missed a created one.
#[test]
fn scan_and_random_key_in_a_txn_see_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), opts()).unwrap();
    store.set(b"a", b"1").unwrap();
    store.set(b"b", b"2").unwrap();
    let (mut keys, random) = store
        .execute(|t| {
            t.delete(b"a").unwrap();
            t.put(b"c", b"3", None);
            let mut keys = Vec::new();
            let mut cursor = 0;
            loop {
                let (next, page) = t.scan(cursor, 1);
                keys.extend(page);
                if next == 0 {
                    break;
                }
                cursor = next;
            }
            let random: Vec<_> = (0..20).filter_map(|_| t.random_key()).collect();
            (keys, random)
        })
        .unwrap();
    keys.sort();
    assert_eq!(keys, vec![b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(random.len(), 20);
    assert!(random.iter().all(|k| k == b"b" || k == b"c"), "{random:?}");
    // Every committed key deleted, one created: RANDOMKEY finds the new one.
    let random = store
        .execute(|t| {
            t.delete(b"b").unwrap();
            t.delete(b"c").unwrap();
            t.put(b"d", b"4", None);
            t.random_key()
        })
        .unwrap();
    assert_eq!(random, Some(b"d".to_vec()));
}

/// The active file is read through a map of a `max_file_size` window: records inside it come
/// from the map, a record that runs past it (a value larger than the window) and records after
/// it come from `pread` — every one of them reads back whole, before and after a reopen.
#[test]
fn active_file_records_inside_and_past_the_mapped_window() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        max_file_size: 4096,
        compaction_interval: None,
        ..Options::default()
    };
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let check = |store: &Store| {
        assert_eq!(store.get(b"small-1").unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(store.get(b"big").unwrap(), Some(big.clone()));
        assert_eq!(store.get(b"small-2").unwrap().as_deref(), Some(&b"two"[..]));
    };
    {
        let store = Store::open_with(dir.path(), opts.clone()).unwrap();
        store.set(b"small-1", b"one").unwrap();
        assert_eq!(store.get(b"small-1").unwrap().as_deref(), Some(&b"one"[..]));
        // Rotation gives the big record a file of its own, where it runs past the window
        // while that file is still the active one.
        store.set(b"big", &big).unwrap();
        assert_eq!(store.get(b"big").unwrap(), Some(big.clone()));
        store.set(b"small-2", b"two").unwrap();
        check(&store);
    }
    let store = Store::open_with(dir.path(), opts).unwrap();
    check(&store);
}

/// `Reader::prefetch` is a hint: over present, missing, expired, sealed-file, active-file and
/// past-the-window keys it changes nothing the reads that follow return.
#[test]
fn prefetch_changes_nothing_reads_return() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        max_file_size: 4096,
        compaction_interval: None,
        ..Options::default()
    };
    let store = Store::open_with(dir.path(), opts).unwrap();
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let mut want = Vec::new();
    for i in 0..300u32 {
        let (k, v) = (format!("k{i}").into_bytes(), format!("v{i}").into_bytes());
        store.set(&k, &v).unwrap();
        want.push((k, Some(v)));
    }
    store.set(b"big", &big).unwrap();
    want.push((b"big".to_vec(), Some(big)));
    want.push((b"missing".to_vec(), None));
    let keys: Vec<&[u8]> = want.iter().map(|(k, _)| &k[..]).collect();
    let reader = store.reader();
    reader.prefetch(&mut keys.iter().copied());
    reader.prefetch(&mut std::iter::empty());
    for (k, v) in &want {
        assert_eq!(
            &reader.get(k).unwrap(),
            v,
            "{:?}",
            String::from_utf8_lossy(k)
        );
    }
}
