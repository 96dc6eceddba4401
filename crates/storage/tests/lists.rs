//! Lists on the log (storage-format §4.3, lists): pushes and pops at both ends touch only the
//! element they add or remove, indexes and ranges read only what they return, the order holds
//! within a batch (several commands in one transaction) and survives reopen and compaction.
//! Checked against a `VecDeque` model.

use std::collections::VecDeque;

use kvs_storage::{CollectionKind, Options, Store, Stored, Txn};

/// The list at `key`, created if absent; its id.
fn list_id(t: &mut Txn<'_>, key: &[u8]) -> u64 {
    match t.lookup(key).unwrap() {
        Some(Stored::Collection(m)) => m.id,
        _ => t.create_collection(key, CollectionKind::List, None).id,
    }
}

fn all(store: &Store, key: &'static [u8]) -> Vec<Vec<u8>> {
    store
        .execute(move |t| {
            let id = list_id(t, key);
            let n = t.element_count(id);
            t.list_range(id, 0, n).unwrap()
        })
        .unwrap()
}

fn item(i: usize) -> Vec<u8> {
    format!("item-{i}").into_bytes()
}

#[test]
fn pushes_and_pops_at_both_ends_follow_a_deque() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        max_file_size: 8 << 10,
        compaction_interval: None,
        ..Options::default()
    };
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    {
        let store = Store::open_with(dir.path(), opts.clone()).unwrap();
        // One batch with many pushes and pops: each sees the ones before it.
        let got = store
            .execute(|t| {
                let id = list_id(t, b"q");
                let mut popped = Vec::new();
                for i in 0..40 {
                    t.list_push(b"q", id, i % 3 == 0, &item(i)).unwrap();
                    if i % 5 == 4 {
                        popped.push(t.list_pop(b"q", id, i % 2 == 0).unwrap());
                    }
                }
                popped
            })
            .unwrap();
        let mut expect_popped = Vec::new();
        for i in 0..40 {
            if i % 3 == 0 {
                model.push_front(item(i));
            } else {
                model.push_back(item(i));
            }
            if i % 5 == 4 {
                expect_popped.push(if i % 2 == 0 {
                    model.pop_front()
                } else {
                    model.pop_back()
                });
            }
        }
        assert_eq!(got, expect_popped);
        assert_eq!(all(&store, b"q"), Vec::from(model.clone()));
        // Later batches: index, set, range.
        store
            .execute(|t| {
                let id = list_id(t, b"q");
                assert_eq!(t.list_get(id, 0).unwrap(), Some(b"item-39".to_vec()));
                assert!(t.list_set(b"q", id, 1, b"changed").unwrap());
                assert!(!t.list_set(b"q", id, 10_000, b"x").unwrap());
                assert_eq!(t.list_get(id, 10_000).unwrap(), None);
            })
            .unwrap();
        model[1] = b"changed".to_vec();
        for i in 100..400 {
            store
                .execute(move |t| {
                    let id = list_id(t, b"q");
                    t.list_push(b"q", id, i % 2 == 0, &item(i)).unwrap();
                })
                .unwrap();
            if i % 2 == 0 {
                model.push_front(item(i));
            } else {
                model.push_back(item(i));
            }
        }
        let mid = store
            .execute(|t| {
                let id = list_id(t, b"q");
                t.list_range(id, 100, 110).unwrap()
            })
            .unwrap();
        assert_eq!(mid, model.range(100..110).cloned().collect::<Vec<_>>());
        let report = store.compact().unwrap();
        assert!(!report.inputs.is_empty(), "{report:?}");
        assert_eq!(all(&store, b"q"), Vec::from(model.clone()));
    }
    // Reopened: the order comes back from the positions alone.
    let store = Store::open_with(dir.path(), opts).unwrap();
    assert_eq!(all(&store, b"q"), Vec::from(model.clone()));
    let t = store.reader().lookup(b"q").unwrap().unwrap().key_type();
    assert_eq!(t, kvs_storage::KeyType::Collection(CollectionKind::List));
    // Popping everything leaves an empty list for the caller to delete.
    let n = model.len();
    let popped = store
        .execute(move |t| {
            let id = list_id(t, b"q");
            let mut out = Vec::new();
            for _ in 0..n + 1 {
                out.push(t.list_pop(b"q", id, true).unwrap());
            }
            out
        })
        .unwrap();
    assert_eq!(popped[n], None);
    assert_eq!(
        popped[..n].iter().flatten().cloned().collect::<Vec<_>>(),
        Vec::from(model)
    );
}

/// Elements written to a list id without the list operations (COPY's way, `put_element` with
/// the source's positions) are seen by the list operations later in the same batch: a push
/// goes past them instead of onto one of them.
#[test]
fn elements_put_directly_are_in_the_batch_view() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .execute(|t| {
            let src = list_id(t, b"src");
            for v in [b"a", b"b", b"c"] {
                t.list_push(b"src", src, false, v).unwrap();
            }
        })
        .unwrap();
    let got = store
        .execute(|t| {
            let src = list_id(t, b"src");
            let dst = t.create_collection(b"dst", CollectionKind::List, None).id;
            for e in t.elements(src) {
                let v = t.element(src, &e).unwrap().unwrap();
                t.put_element(b"dst", dst, &e, &v).unwrap();
            }
            t.list_push(b"dst", dst, false, b"x").unwrap();
            t.list_range(dst, 0, 10).unwrap()
        })
        .unwrap();
    let want: Vec<Vec<u8>> = ["a", "b", "c", "x"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    assert_eq!(got, want);
    assert_eq!(all(&store, b"dst"), want);
}
