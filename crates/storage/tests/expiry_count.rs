//! The count of keys carrying an expiry (`StoreStats::expiring_keys`, INFO's `expires`), their
//! mean remaining TTL (`avg_ttl_ms`) and the count of keys deleted for their TTL
//! (`expired_keys`): exact through sets with and without a TTL, overwrites, deletes, expiry,
//! FLUSHALL and a restart.

use std::time::{Duration, Instant};

use kvs_storage::{Store, StoreStats};

fn put(store: &Store, key: &str, ttl_ms: Option<u64>) {
    let key = key.as_bytes().to_vec();
    store
        .execute(move |t| t.put(&key, b"v", ttl_ms.map(|ms| t.now_ms() + ms)))
        .unwrap();
}

fn stats(store: &Store) -> StoreStats {
    store.stats()
}

/// Polls the store's stats until `f` holds (or 5 s pass). `Store::stats` is not one atomic
/// snapshot (the key count is read before the counters), so `f` must name every field the
/// caller then asserts on, or a writer commit landing between the reads fails the test.
fn wait_for(store: &Store, f: impl Fn(&StoreStats) -> bool) -> StoreStats {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let s = stats(store);
        if f(&s) || Instant::now() >= deadline {
            return s;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

const HOUR: u64 = 3_600_000;

#[test]
fn set_overwrite_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(stats(&store).expiring_keys, 0);
    assert_eq!(stats(&store).avg_ttl_ms, 0);

    put(&store, "a", Some(HOUR));
    put(&store, "b", Some(2 * HOUR));
    put(&store, "plain", None);
    let s = stats(&store);
    assert_eq!((s.keys, s.expiring_keys), (3, 2));
    // Exact mean of 1 h and 2 h, less the few ms this test took.
    assert!(
        (3 * HOUR / 2 - 5_000..=3 * HOUR / 2).contains(&s.avg_ttl_ms),
        "{}",
        s.avg_ttl_ms
    );

    // A new TTL replaces the old one: still one expiring key.
    put(&store, "a", Some(3 * HOUR));
    let s = stats(&store);
    assert_eq!(s.expiring_keys, 2);
    assert!(s.avg_ttl_ms > 2 * HOUR, "{}", s.avg_ttl_ms);

    // Overwritten without a TTL (SET without EX/KEEPTTL): no longer expiring.
    put(&store, "a", None);
    assert_eq!(stats(&store).expiring_keys, 1);
    // A plain key given a TTL.
    put(&store, "plain", Some(HOUR));
    assert_eq!(stats(&store).expiring_keys, 2);

    assert!(store.remove(b"b").unwrap());
    assert!(store.remove(b"plain").unwrap());
    let s = stats(&store);
    assert_eq!((s.keys, s.expiring_keys, s.avg_ttl_ms), (1, 0, 0));
    assert_eq!(s.expired_keys, 0, "nothing expired");

    // Several records of one key in one batch: the last one counts.
    store
        .execute(|t| {
            t.put(b"m", b"1", Some(t.now_ms() + HOUR));
            t.put(b"m", b"2", None);
            t.put(b"m", b"3", Some(t.now_ms() + HOUR));
        })
        .unwrap();
    assert_eq!(stats(&store).expiring_keys, 1);

    store.flush_all().unwrap();
    let s = stats(&store);
    assert_eq!((s.keys, s.expiring_keys, s.avg_ttl_ms), (0, 0, 0));
}

#[test]
fn expiry_counts_down_and_counts_expired() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    for i in 0..10 {
        put(&store, &format!("short{i}"), Some(30));
    }
    put(&store, "long", Some(HOUR));
    put(&store, "plain", None);
    assert!(stats(&store).expiring_keys >= 1);
    let s = wait_for(&store, |s| {
        (s.expired_keys, s.keys, s.expiring_keys) == (10, 2, 1)
    });
    assert_eq!(s.expired_keys, 10, "{s:?}");
    assert_eq!((s.keys, s.expiring_keys), (2, 1));
    assert!(s.avg_ttl_ms > HOUR - 5_000, "{}", s.avg_ttl_ms);

    // Overwriting a key whose TTL passed but which the writer has not deleted yet also counts
    // it as expired, as Redis expires a key a write looks up. Either way it is counted once.
    put(&store, "gone", Some(1));
    std::thread::sleep(Duration::from_millis(5));
    put(&store, "gone", None);
    let s = wait_for(&store, |s| {
        (s.expired_keys, s.expiring_keys, s.keys) == (11, 1, 3)
    });
    assert_eq!((s.expired_keys, s.expiring_keys, s.keys), (11, 1, 3));
}

#[test]
fn exact_after_restart() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(tmp.path()).unwrap();
        put(&store, "a", Some(HOUR));
        put(&store, "b", Some(HOUR));
        put(&store, "c", Some(HOUR));
        put(&store, "c", None); // overwritten: not expiring
        put(&store, "d", Some(HOUR));
        assert!(store.remove(b"d").unwrap());
        put(&store, "soon", Some(1_000));
        put(&store, "plain", None);
        assert_eq!(stats(&store).expiring_keys, 3);
    }
    // "soon" expires while the store is closed.
    std::thread::sleep(Duration::from_millis(1_050));
    let store = Store::open(tmp.path()).unwrap();
    let s = wait_for(&store, |s| {
        (s.keys, s.expiring_keys, s.expired_keys) == (4, 2, 1)
    });
    assert_eq!(
        (s.keys, s.expiring_keys, s.expired_keys),
        (4, 2, 1),
        "{s:?}"
    );
    assert!(
        (HOUR - 60_000..=HOUR).contains(&s.avg_ttl_ms),
        "{}",
        s.avg_ttl_ms
    );
    // The restored schedule keeps counting correctly.
    put(&store, "a", None);
    assert!(store.remove(b"b").unwrap());
    put(&store, "e", Some(HOUR));
    let s = stats(&store);
    assert_eq!((s.keys, s.expiring_keys), (4, 1));
    let left = s.avg_ttl_ms;
    assert!(left <= HOUR && left > HOUR - 5_000, "{left}");
}
