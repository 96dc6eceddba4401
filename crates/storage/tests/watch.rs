//! WATCH through the store's API: the writer's watched keys see every change of a key — a put or
//! delete by any command, the expiry pass's delete, FLUSHALL — and `check_watched` reports it
//! (Redis' rules: `kvs_storage::Watches`).

use std::thread::sleep;
use std::time::Duration;

use kvs_storage::{Store, now_ms};

const CLIENT: u64 = 7;
const OTHER: u64 = 8;

fn watch(store: &Store, watcher: u64, key: &'static [u8]) {
    store.execute(move |t| t.watch(watcher, key)).unwrap();
}

fn check(store: &Store, watcher: u64) -> bool {
    store.execute(move |t| t.check_watched(watcher)).unwrap()
}

#[test]
fn puts_and_deletes_by_any_command_touch_watchers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.set(b"x", b"1").unwrap();
    watch(&store, CLIENT, b"x");
    watch(&store, OTHER, b"y");
    assert!(check(&store, CLIENT), "nothing changed");
    watch(&store, CLIENT, b"x");
    store.set(b"x", b"2").unwrap();
    assert!(!check(&store, CLIENT));
    assert!(check(&store, OTHER), "y was not touched");
    // A delete of a key that is not there writes nothing and touches nothing.
    watch(&store, CLIENT, b"nothing");
    store.execute(|t| t.delete(b"nothing").unwrap()).unwrap();
    assert!(check(&store, CLIENT));
    watch(&store, CLIENT, b"x");
    store.execute(|t| t.delete(b"x").unwrap()).unwrap();
    assert!(!check(&store, CLIENT));
    // The watcher's own write in the same txn as its check counts too.
    watch(&store, CLIENT, b"x");
    let ok = store
        .execute(|t| {
            t.put(b"x", b"3", None);
            t.check_watched(CLIENT)
        })
        .unwrap();
    assert!(!ok);
}

#[test]
fn expiry_fails_a_watch_unless_the_key_was_already_expired() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // Expires after WATCH: fails, before and after the expiry pass deletes it.
    for wait_ms in [0, 300] {
        let at = now_ms() + 80;
        store.execute(move |t| t.put(b"k", b"v", Some(at))).unwrap();
        watch(&store, CLIENT, b"k");
        sleep(Duration::from_millis(120 + wait_ms));
        assert!(!check(&store, CLIENT), "after {wait_ms} ms");
    }
    // Already expired at WATCH (stale): its deletion by the expiry pass is no change.
    let at = now_ms() + 1;
    store.execute(move |t| t.put(b"s", b"v", Some(at))).unwrap();
    sleep(Duration::from_millis(5));
    watch(&store, CLIENT, b"s");
    sleep(Duration::from_millis(300));
    assert_eq!(store.get(b"s").unwrap(), None);
    assert!(check(&store, CLIENT));
    assert_eq!(store.stats().watched_keys, 0);
}

#[test]
fn flush_all_touches_the_watched_keys_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.set(b"x", b"1").unwrap();
    watch(&store, CLIENT, b"x");
    watch(&store, OTHER, b"absent");
    assert_eq!(store.stats().watched_keys, 2);
    assert_eq!(store.stats().watching_clients, 2);
    store.flush_all().unwrap();
    assert!(!check(&store, CLIENT));
    assert!(check(&store, OTHER));
    let stats = store.stats();
    assert_eq!((stats.watched_keys, stats.watching_clients), (0, 0));
}
