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
