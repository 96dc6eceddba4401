//! Directories written by earlier format versions open and keep working (docs/storage-format.md
//! §12). `fixtures/v1-strings` was written by the last version-1 build (d0427e1, strings only):
//! SETs with overwrites and deletes, a far TTL and a past one, MSET, INCR, APPEND, an empty
//! value, 4 KiB files, one compaction (hint files) and a hint-less active file.
//! `fixtures/v2-collections` was written by the last version-2 build (9b57f6a, before lists).
//! `fixtures/v4-zsets` was written by the last version-4 build (5c6fca0, before hint-file
//! footers), with hint files.

use std::path::Path;

use kvs_storage::{FileHeader, Store};

fn copy_fixture(name: &str, to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn header_version(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert!(FileHeader::decode(&bytes).is_ok(), "{path:?}");
    u16::from_le_bytes([bytes[8], bytes[9]])
}

#[test]
fn a_version_1_directory_opens_reads_and_takes_new_writes() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("v1-strings", dir.path());
    assert_eq!(header_version(&dir.path().join("000003.data")), 1);
    let check = |store: &Store| {
        let long = "x".repeat(100);
        for i in 1..=60 {
            let want = match i {
                1..=20 => Some(format!("overwritten-{i}")),
                21..=30 => None,
                _ => Some(format!("{long}-{i}")),
            };
            let got = store.get(format!("key:{i}").as_bytes()).unwrap();
            assert_eq!(got, want.map(String::into_bytes), "key:{i}");
        }
        assert_eq!(store.get(b"ttl:far").unwrap(), Some(b"v".to_vec()));
        assert_eq!(store.get(b"ttl:past").unwrap(), None);
        for (k, v) in [(&b"m:a"[..], &b"1"[..]), (b"m:b", b"2"), (b"m:c", b"3")] {
            assert_eq!(store.get(k).unwrap().as_deref(), Some(v));
        }
        assert_eq!(store.get(b"counter").unwrap(), Some(b"2".to_vec()));
        assert_eq!(store.get(b"s").unwrap(), Some(b"hello-world".to_vec()));
        assert_eq!(store.get(b"empty").unwrap(), Some(Vec::new()));
    };
    {
        let store = Store::open(dir.path()).unwrap();
        check(&store);
        store.set(b"new", b"after the upgrade").unwrap();
        store.remove(b"key:60").unwrap();
    }
    // Reopened: the old files and the new version-2 file together.
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.get(b"new").unwrap(),
        Some(b"after the upgrade".to_vec())
    );
    assert_eq!(store.get(b"key:60").unwrap(), None);
    assert_eq!(store.get(b"key:59").unwrap().map(|v| v.len()), Some(103)); // 100 x, "-59"
    let newest = kvs_storage::list_files(dir.path())
        .unwrap()
        .into_iter()
        .filter(|(kind, _)| *kind == kvs_storage::FileKind::Data)
        .map(|(_, fid)| fid)
        .max()
        .unwrap();
    let path = kvs_storage::file_path(dir.path(), kvs_storage::FileKind::Data, newest);
    assert_eq!(header_version(&path), kvs_storage::format::FORMAT_VERSION);
}

/// Hashes, sets and strings as format version 2 (the last build before lists) wrote them:
/// `HSET h f1 v1 f2 v2 f3 v3`, `SADD s a b c d`, `SREM s d`, `SET str hello`, `HSET gone x 1`,
/// `DEL gone`, `HDEL h f3`, then a clean SHUTDOWN.
#[test]
fn a_version_2_directory_with_collections_opens_and_takes_a_list() {
    use kvs_storage::{CollectionKind, Stored};
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("v2-collections", dir.path());
    assert_eq!(header_version(&dir.path().join("000001.data")), 2);
    let check = |store: &Store| {
        let r = store.reader();
        let Some(Stored::Collection(h)) = r.lookup(b"h").unwrap() else {
            panic!("h is not a collection");
        };
        assert_eq!(h.kind, CollectionKind::Hash);
        assert_eq!(r.element(h.id, b"f1").unwrap(), Some(b"v1".to_vec()));
        assert_eq!(r.element(h.id, b"f2").unwrap(), Some(b"v2".to_vec()));
        assert_eq!(r.element(h.id, b"f3").unwrap(), None);
        let Some(Stored::Collection(s)) = r.lookup(b"s").unwrap() else {
            panic!("s is not a collection");
        };
        assert_eq!(s.kind, CollectionKind::Set);
        assert!(
            r.has_element(s.id, b"a") && r.has_element(s.id, b"c") && !r.has_element(s.id, b"d")
        );
        assert_eq!(r.lookup(b"gone").unwrap(), None);
        assert_eq!(store.get(b"str").unwrap(), Some(b"hello".to_vec()));
    };
    {
        let store = Store::open(dir.path()).unwrap();
        check(&store);
        store
            .execute(|t| {
                let id = t.create_collection(b"l", CollectionKind::List, None).id;
                t.list_push(b"l", id, false, b"first").unwrap();
            })
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    check(&store);
    let items = store
        .execute(|t| {
            let Some(Stored::Collection(m)) = t.lookup(b"l").unwrap() else {
                panic!("l is not a collection");
            };
            t.list_range(m.id, 0, 10).unwrap()
        })
        .unwrap();
    assert_eq!(items, [b"first".to_vec()]);
}

/// Strings, a hash and a list as format version 3 (the last build before sorted sets) wrote
/// them: `RPUSH l a b c`, `LPUSH l z`, `LINSERT l BEFORE b ab`, `RPOP l`, `HSET h f v`,
/// `SET str hello`, `RPUSH gone x`, `DEL gone`, then a clean SHUTDOWN.
#[test]
fn a_version_3_directory_with_lists_opens_and_takes_a_sorted_set() {
    use kvs_storage::{CollectionKind, Stored};
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("v3-lists", dir.path());
    assert_eq!(header_version(&dir.path().join("000001.data")), 3);
    let check = |store: &Store| {
        let items = store
            .execute(|t| {
                let Some(Stored::Collection(m)) = t.lookup(b"l").unwrap() else {
                    panic!("l is not a collection");
                };
                assert_eq!(m.kind, CollectionKind::List);
                t.list_range(m.id, 0, 10).unwrap()
            })
            .unwrap();
        let want: Vec<Vec<u8>> = ["z", "a", "ab", "b"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        assert_eq!(items, want);
        assert_eq!(store.get(b"str").unwrap(), Some(b"hello".to_vec()));
        assert_eq!(store.reader().lookup(b"gone").unwrap(), None);
    };
    {
        let store = Store::open(dir.path()).unwrap();
        check(&store);
        store
            .execute(|t| {
                let id = t
                    .create_collection(b"z", CollectionKind::SortedSet, None)
                    .id;
                t.zset_set(b"z", id, b"m", 1.5).unwrap();
                t.zset_set(b"z", id, b"n", -2.0).unwrap();
            })
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    check(&store);
    let members = store
        .execute(|t| {
            let Some(Stored::Collection(m)) = t.lookup(b"z").unwrap() else {
                panic!("z is not a collection");
            };
            t.zset_range_by_rank(m.id, 0, 10, false)
        })
        .unwrap();
    assert_eq!(members, vec![(b"n".to_vec(), -2.0), (b"m".to_vec(), 1.5)]);
}

/// Format version 4 (the last build before hint-file footers, 5c6fca0's kvs-server with 4 KiB
/// files and compaction every 100 ms): `ZADD z 1.5 m -2 n 3 o`, three rounds of `SET key:1..40`
/// (`round-R-value-I-` and 30 x), `ZREM z o`, `RPUSH l a b c`, `DEL key:40`, `HSET h f v`, a
/// clean SHUTDOWN. Its hint files have no footer: they are still used, within the old bounds
/// check, and the files this build writes next carry one.
#[test]
fn a_version_4_directory_keeps_its_hint_files_and_new_ones_get_footers() {
    use kvs_storage::{CollectionKind, Stored};
    let dir = tempfile::tempdir().unwrap();
    copy_fixture("v4-zsets", dir.path());
    assert_eq!(header_version(&dir.path().join("000002.hint")), 4);
    let check = |store: &Store| {
        let x = "x".repeat(30);
        for i in 1..=39 {
            let want = format!("round-2-value-{i}-{x}");
            assert_eq!(
                store.get(format!("key:{i}").as_bytes()).unwrap(),
                Some(want.into_bytes()),
                "key:{i}"
            );
        }
        assert_eq!(store.get(b"key:40").unwrap(), None);
        let members = store
            .execute(|t| {
                let Some(Stored::Collection(m)) = t.lookup(b"z").unwrap() else {
                    panic!("z is not a collection");
                };
                assert_eq!(m.kind, CollectionKind::SortedSet);
                t.zset_range_by_rank(m.id, 0, 10, false)
            })
            .unwrap();
        assert_eq!(members, vec![(b"n".to_vec(), -2.0), (b"m".to_vec(), 1.5)]);
    };
    {
        let store = Store::open(dir.path()).unwrap();
        assert!(
            store.recovery_report().from_hints >= 1,
            "version-4 hint files are still used: {:?}",
            store.recovery_report()
        );
        check(&store);
        for i in 1..=39 {
            store
                .set(
                    format!("key:{i}").as_bytes(),
                    format!("round-2-value-{i}-{}", "x".repeat(30)).as_bytes(),
                )
                .unwrap();
        }
        store.compact().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    check(&store);
    let new_hints: Vec<_> = kvs_storage::list_files(dir.path())
        .unwrap()
        .into_iter()
        .filter(|(kind, _)| *kind == kvs_storage::FileKind::Hint)
        .map(|(_, fid)| kvs_storage::file_path(dir.path(), kvs_storage::FileKind::Hint, fid))
        .filter(|p| header_version(p) == kvs_storage::format::FORMAT_VERSION)
        .collect();
    assert!(
        !new_hints.is_empty(),
        "the compaction wrote version-5 hint files"
    );
    for p in new_hints {
        let bytes = std::fs::read(&p).unwrap();
        let tail = &bytes[bytes.len() - kvs_storage::format::HINT_FOOTER_LEN..];
        assert!(
            kvs_storage::HintFooter::decode(tail).is_some(),
            "{p:?} has a footer"
        );
    }
}
