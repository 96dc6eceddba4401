//! Collections on the log (docs/storage-format.md §4.3) through the store's API: a metadata
//! record per collection, a record per element; DEL, overwrite, RENAME and expiry of a whole
//! collection cost one record; the elements of a dead collection are dropped in the background
//! and never come back on reopen; compaction keeps the live ones.

use std::collections::BTreeSet;
use std::time::Duration;

use kvs_storage::{CollectionKind, CollectionMeta, KeyType, Options, StorageError, Store, Stored};

fn meta(store: &Store, key: &'static [u8]) -> Option<CollectionMeta> {
    match store.reader().lookup(key).unwrap() {
        Some(Stored::Collection(m)) => Some(m),
        _ => None,
    }
}

/// HSET-like: creates the hash at `key` if needed, sets the fields; returns the id.
fn hset(store: &Store, key: &'static [u8], fields: Vec<(Vec<u8>, Vec<u8>)>) -> u64 {
    store
        .execute(move |t| {
            let m = match t.lookup(key).unwrap() {
                Some(Stored::Collection(m)) => m,
                _ => t.create_collection(key, CollectionKind::Hash, None),
            };
            for (f, v) in &fields {
                t.put_element(key, m.id, f, v).unwrap();
            }
            m.id
        })
        .unwrap()
}

fn fields(n: usize, tag: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..n)
        .map(|i| {
            (
                format!("f{i}").into_bytes(),
                format!("{tag}{i}").into_bytes(),
            )
        })
        .collect()
}

fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn a_hash_reads_counts_and_survives_reopen_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        max_file_size: 16 << 10,
        compaction_interval: None,
        ..Options::default()
    };
    let id;
    {
        let store = Store::open_with(dir.path(), opts.clone()).unwrap();
        id = hset(&store, b"h", fields(500, "v"));
        hset(&store, b"h", fields(100, "w")); // overwrites f0..f99
        let r = store.reader();
        assert_eq!(r.element(id, b"f5").unwrap(), Some(b"w5".to_vec()));
        assert_eq!(r.element(id, b"f300").unwrap(), Some(b"v300".to_vec()));
        assert!(r.has_element(id, b"f499") && !r.has_element(id, b"f500"));
        assert_eq!(store.execute(move |t| t.element_count(id)).unwrap(), 500);
        // A string read of a hash is WRONGTYPE; its type is a hash.
        assert!(matches!(store.get(b"h"), Err(StorageError::WrongType)));
        let t = store.reader().lookup(b"h").unwrap().unwrap().key_type();
        assert_eq!(t, KeyType::Collection(CollectionKind::Hash));
        // Removing fields, in the same txn as a count.
        let left = store
            .execute(move |t| {
                for i in 0..10 {
                    assert!(t.delete_element(b"h", id, format!("f{i}").as_bytes()));
                }
                assert!(!t.delete_element(b"h", id, b"nope"));
                t.element_count(id)
            })
            .unwrap();
        assert_eq!(left, 490);
        let report = store.compact().unwrap();
        assert!(!report.inputs.is_empty(), "{report:?}");
        assert_eq!(
            store.reader().element(id, b"f10").unwrap(),
            Some(b"w10".to_vec())
        );
    }
    let store = Store::open_with(dir.path(), opts).unwrap();
    assert_eq!(store.recovery_report().collections, 1);
    assert_eq!(store.recovery_report().elements, 490);
    assert_eq!(meta(&store, b"h").map(|m| m.id), Some(id));
    let all: BTreeSet<Vec<u8>> = store
        .execute(move |t| t.elements(id))
        .unwrap()
        .into_iter()
        .collect();
    let want: BTreeSet<Vec<u8>> = (10..500).map(|i| format!("f{i}").into_bytes()).collect();
    assert_eq!(all, want);
    assert_eq!(
        store.reader().element(id, b"f99").unwrap(),
        Some(b"w99".to_vec())
    );
    assert_eq!(
        store.reader().element(id, b"f100").unwrap(),
        Some(b"v100".to_vec())
    );
}

#[test]
fn deleting_or_overwriting_a_collection_is_one_record_and_its_elements_go() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let id = hset(&store, b"h", fields(3000, "v"));
        let writes = store.stats().writes;
        assert!(store.remove(b"h").unwrap());
        assert_eq!(
            store.stats().writes,
            writes + 1,
            "DEL of 3000 fields is one record"
        );
        assert_eq!(store.reader().lookup(b"h").unwrap(), None);
        // The writer drops the dead id's 3000 entries in the background.
        assert!(eventually(
            || !store.reader().has_element(id, b"f2999") && !store.reader().has_element(id, b"f0")
        ));
        // Overwritten by a string (SET of a hash key), then recreated as a new hash.
        let old = hset(&store, b"k", fields(5, "a"));
        store.set(b"k", b"now a string").unwrap();
        assert_eq!(store.get(b"k").unwrap(), Some(b"now a string".to_vec()));
        let new = hset(&store, b"k", fields(2, "b"));
        assert_ne!(old, new);
        assert_eq!(store.execute(move |t| t.element_count(new)).unwrap(), 2);
        assert!(eventually(|| !store.reader().has_element(old, b"f4")));
    }
    // Reopened: the deleted hash and the replaced one stay gone.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.reader().lookup(b"h").unwrap(), None);
    assert_eq!(store.recovery_report().collections, 1);
    assert_eq!(store.recovery_report().elements, 2);
}

#[test]
fn rename_and_expiry_move_or_end_a_collection_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let id = hset(&store, b"src", fields(100, "v"));
    let writes = store.stats().writes;
    assert!(
        store
            .execute(|t| t.rename(b"src", b"dst").unwrap())
            .unwrap()
    );
    assert_eq!(store.stats().writes, writes + 2, "RENAME is two records");
    assert_eq!(meta(&store, b"dst").map(|m| m.id), Some(id));
    assert_eq!(store.reader().lookup(b"src").unwrap(), None);
    assert_eq!(
        store.reader().element(id, b"f7").unwrap(),
        Some(b"v7".to_vec())
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        store.reader().has_element(id, b"f99"),
        "a renamed hash is not dropped"
    );
    // Expiry of the whole hash.
    let at = kvs_storage::now_ms() + 100;
    assert!(
        store
            .execute(move |t| t.set_expiry(b"dst", Some(at)).unwrap())
            .unwrap()
    );
    assert_eq!(meta(&store, b"dst").and_then(|m| m.expire_at_ms), Some(at));
    assert!(eventually(|| store
        .reader()
        .lookup(b"dst")
        .unwrap()
        .is_none()));
    assert!(eventually(|| !store.reader().has_element(id, b"f99")));
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.recovery_report().elements, 0);
}

#[test]
fn a_batch_sees_its_own_element_changes_and_a_panic_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let id = hset(&store, b"s", fields(3, "x"));
    let (count, mut all) = store
        .execute(move |t| {
            t.put_element(b"s", id, b"new", b"").unwrap();
            t.delete_element(b"s", id, b"f0");
            t.put_element(b"s", id, b"f1", b"changed").unwrap();
            assert_eq!(t.element(id, b"f1").unwrap(), Some(b"changed".to_vec()));
            assert_eq!(t.element(id, b"f0").unwrap(), None);
            (t.element_count(id), t.elements(id))
        })
        .unwrap();
    all.sort();
    assert_eq!(count, 3);
    assert_eq!(all, vec![b"f1".to_vec(), b"f2".to_vec(), b"new".to_vec()]);
    // A txn that panics after changing elements is rolled back, its count change too.
    let s2 = store.clone();
    let _ = std::thread::spawn(move || {
        let _ = s2.execute(move |t| {
            t.put_element(b"s", id, b"ghost", b"").unwrap();
            panic!("test panic after a write");
        });
    })
    .join();
    assert_eq!(store.execute(move |t| t.element_count(id)).unwrap(), 3);
    assert!(!store.reader().has_element(id, b"ghost"));
}

#[test]
fn flush_all_drops_collections() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let id = hset(&store, b"h", fields(10, "v"));
    store.flush_all().unwrap();
    assert_eq!(store.reader().lookup(b"h").unwrap(), None);
    assert!(!store.reader().has_element(id, b"f1"));
    let id2 = hset(&store, b"h", fields(1, "v"));
    assert_eq!(store.execute(move |t| t.element_count(id2)).unwrap(), 1);
}

#[test]
fn kvs_check_counts_live_elements_of_live_collections_only() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        hset(&store, b"h", fields(3, "v"));
        hset(&store, b"dead", fields(4, "v"));
        store.remove(b"dead").unwrap();
        store.set(b"s", b"string").unwrap();
    }
    let report = kvs_storage::check(dir.path(), &kvs_storage::CheckOptions::default()).unwrap();
    assert!(report.problems.is_empty(), "{report}");
    assert_eq!((report.keys(), report.elements()), (2, 3), "{report}");
}

#[test]
fn a_collection_is_refused_new_elements_past_its_limit_and_keeps_what_it_has() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        max_collection_elements: 3,
        ..Options::default()
    };
    let store = Store::open_with(dir.path(), opts.clone()).unwrap();
    let id = hset(&store, b"h", fields(3, "v"));
    let refused = store
        .execute(move |t| {
            // Overwriting an element is no new element: allowed at the limit.
            assert!(!t.put_element(b"h", id, b"f0", b"again").unwrap());
            assert!(t.ensure_room(Some(id), 0).is_ok());
            assert!(t.ensure_room(None, 3).is_ok());
            assert!(matches!(
                t.ensure_room(None, 4),
                Err(StorageError::CollectionFull { limit: 3 })
            ));
            t.put_element(b"h", id, b"f3", b"x")
        })
        .unwrap();
    match refused {
        Err(e @ StorageError::CollectionFull { limit: 3 }) => assert_eq!(
            e.to_string(),
            "ERR a hash, set or list may hold at most 3 elements"
        ),
        other => panic!("expected CollectionFull, got {other:?}"),
    }
    // After a delete there is room again; the refused element was never written.
    store
        .execute(move |t| {
            assert!(t.delete_element(b"h", id, b"f1"));
            assert!(t.put_element(b"h", id, b"f4", b"x").unwrap());
        })
        .unwrap();
    drop(store);
    let store = Store::open_with(dir.path(), opts).unwrap();
    let all: BTreeSet<Vec<u8>> = store
        .execute(move |t| t.elements(id))
        .unwrap()
        .into_iter()
        .collect();
    let want: BTreeSet<Vec<u8>> = [b"f0".to_vec(), b"f2".to_vec(), b"f4".to_vec()].into();
    assert_eq!(all, want);
    assert_eq!(kvs_storage::MAX_ELEMENTS, u32::MAX as usize);
    assert_eq!(Options::default().max_collection_elements, (1u64 << 32) - 1);
}
