//! Optimistic locking for transactions: Redis' WATCH (`multi.c`), kept by the one thread that
//! modifies keys.
//!
//! A *watcher* (a client, by its id) watches keys; every modification of a watched key — a
//! write or a delete by any command, a delete by the expiry pass, FLUSHALL of a key that
//! exists — marks its watchers *dirty*; at EXEC the watcher asks [`Watches::check`] whether its
//! transaction may run. The table lives on the writer thread (kvs-storage's writer, or the sled
//! engine's), which is where every modification happens, so it needs no lock, and the cost to a
//! write when nobody watches anything is one `is_empty` test.
//!
//! Redis' rules, kept exactly:
//! - A key that exists but has expired when it is watched is *stale*: its deletion (by the
//!   expiry pass, or FLUSHALL) is no logical change and does not make the watcher dirty; any
//!   other modification does.
//! - At EXEC, a watched key that was not stale at WATCH and has expired since fails the
//!   transaction, even before the expiry pass has deleted it.
//! - Once dirty, a watcher's keys are forgotten (nothing can make it clean again but
//!   [`unwatch`](Watches::unwatch) or [`check`](Watches::check)), and a later WATCH adds none.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

/// Who watches: a client id.
pub type WatcherId = u64;

/// The watched keys and their watchers. Writer-thread only (it is not shared).
#[derive(Debug, Default)]
pub struct Watches {
    /// Watched key → its watchers.
    by_key: HashMap<Box<[u8]>, Vec<WatcherId>>,
    /// Each watcher's keys and dirty flag.
    watchers: HashMap<WatcherId, Watcher>,
    /// Changed since the last [`publish`](Watches::publish).
    changed: bool,
}

/// A [`Watches`]' sizes, for other threads to read (INFO's `watching_clients` and
/// `total_watched_keys`, as Redis 7.4 names them).
#[derive(Debug, Default)]
pub struct WatchCounts {
    keys: AtomicU64,
    clients: AtomicU64,
}

impl WatchCounts {
    /// Distinct keys watched.
    pub fn keys(&self) -> u64 {
        self.keys.load(Relaxed)
    }

    /// Clients watching at least one key.
    pub fn clients(&self) -> u64 {
        self.clients.load(Relaxed)
    }
}

#[derive(Debug, Default)]
struct Watcher {
    keys: Vec<WatchedKey>,
    /// A watched key was modified: the next EXEC fails.
    dirty: bool,
}

#[derive(Debug)]
struct WatchedKey {
    key: Box<[u8]>,
    /// The key existed but had expired when it was watched.
    stale: bool,
}

impl Watches {
    /// An empty table.
    pub fn new() -> Watches {
        Watches::default()
    }

    /// Whether no key is watched: the writer's fast path, tested before each touch.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// How many distinct keys are watched.
    pub fn watched_keys(&self) -> usize {
        self.by_key.len()
    }

    /// Stores the table's sizes in `counts` if they may have changed since the last call.
    /// O(watchers) then; nothing otherwise.
    pub fn publish(&mut self, counts: &WatchCounts) {
        if !std::mem::take(&mut self.changed) {
            return;
        }
        let clients = self
            .watchers
            .values()
            .filter(|w| !w.keys.is_empty())
            .count();
        counts.keys.store(self.by_key.len() as u64, Relaxed);
        counts.clients.store(clients as u64, Relaxed);
    }

    /// The keys `watcher` watches.
    pub fn keys_of(&self, watcher: WatcherId) -> Vec<Vec<u8>> {
        self.watchers
            .get(&watcher)
            .map(|w| w.keys.iter().map(|k| k.key.to_vec()).collect())
            .unwrap_or_default()
    }

    /// `watcher` starts watching `key` (WATCH); `stale`: the key exists but has expired. A key
    /// already watched by it, or a watcher already dirty, changes nothing (`watchCommand`).
    pub fn watch(&mut self, watcher: WatcherId, key: &[u8], stale: bool) {
        let w = self.watchers.entry(watcher).or_default();
        if w.dirty || w.keys.iter().any(|k| &*k.key == key) {
            return;
        }
        w.keys.push(WatchedKey {
            key: key.into(),
            stale,
        });
        self.changed = true;
        self.by_key.entry(key.into()).or_default().push(watcher);
    }

    /// `key` was modified; `deleted`: it no longer exists (a delete, the expiry pass). Marks its
    /// watchers dirty (`touchWatchedKey`), but a stale watched key's deletion only clears its
    /// staleness.
    pub fn touch(&mut self, key: &[u8], deleted: bool) {
        if self.by_key.is_empty() {
            return;
        }
        let Some(ids) = self.by_key.get(key) else {
            return;
        };
        for id in ids.clone() {
            let Some(w) = self.watchers.get_mut(&id) else {
                continue;
            };
            if let Some(k) = w.keys.iter_mut().find(|k| &*k.key == key)
                && k.stale
                && deleted
            {
                k.stale = false;
                continue;
            }
            w.dirty = true;
            self.forget_keys(id);
        }
    }

    /// Every key was deleted (FLUSHALL): the watchers of each watched key that `existed` (in
    /// the store, expired or not) are dirty — or, for a stale key, no longer stale
    /// (`touchAllWatchedKeysInDb`).
    pub fn touch_all(&mut self, existed: impl Fn(&[u8]) -> bool) {
        let keys: Vec<Box<[u8]>> = self.by_key.keys().filter(|k| existed(k)).cloned().collect();
        for key in keys {
            self.touch(&key, true);
        }
    }

    /// EXEC: whether `watcher`'s transaction may run — no watched key was modified since WATCH
    /// and none has expired since (`expired_now(key)`: the key exists and its expiry has
    /// passed). Unwatches everything either way, as EXEC does.
    pub fn check(&mut self, watcher: WatcherId, expired_now: impl Fn(&[u8]) -> bool) -> bool {
        let ok = self
            .watchers
            .get(&watcher)
            .is_none_or(|w| !w.dirty && !w.keys.iter().any(|k| !k.stale && expired_now(&k.key)));
        self.unwatch(watcher);
        ok
    }

    /// `watcher` watches nothing any more and is clean (UNWATCH, DISCARD, EXEC, RESET, a closed
    /// connection).
    pub fn unwatch(&mut self, watcher: WatcherId) {
        self.forget_keys(watcher);
        self.watchers.remove(&watcher);
    }

    /// Takes `watcher`'s keys out of the table, keeping its dirty flag.
    fn forget_keys(&mut self, watcher: WatcherId) {
        let Some(w) = self.watchers.get_mut(&watcher) else {
            return;
        };
        self.changed = true;
        for k in w.keys.drain(..) {
            if let Some(ids) = self.by_key.get_mut(&k.key) {
                ids.retain(|&i| i != watcher);
                if ids.is_empty() {
                    self.by_key.remove(&k.key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: WatcherId = 1;
    const B: WatcherId = 2;

    #[test]
    fn a_touched_key_fails_its_watchers_only() {
        let mut w = Watches::new();
        w.watch(A, b"x", false);
        w.watch(B, b"y", false);
        w.touch(b"x", false);
        assert!(!w.check(A, |_| false));
        assert!(w.check(B, |_| false));
        assert!(w.is_empty());
    }

    #[test]
    fn check_and_unwatch_forget_everything() {
        let mut w = Watches::new();
        w.watch(A, b"x", false);
        w.touch(b"x", false);
        assert!(!w.check(A, |_| false));
        // After EXEC the key is no longer watched.
        w.touch(b"x", false);
        assert!(w.check(A, |_| false));
        w.watch(A, b"x", false);
        w.touch(b"x", true);
        w.unwatch(A);
        assert!(w.check(A, |_| false));
        assert!(w.is_empty());
    }

    #[test]
    fn a_dirty_watcher_adds_no_keys() {
        let mut w = Watches::new();
        w.watch(A, b"x", false);
        w.touch(b"x", false);
        w.watch(A, b"y", false);
        assert_eq!(w.watched_keys(), 0);
        assert!(!w.check(A, |_| false));
    }

    #[test]
    fn a_stale_key_deleted_is_no_change_but_rewritten_is() {
        let mut w = Watches::new();
        w.watch(A, b"x", true);
        w.touch(b"x", true);
        assert!(
            w.check(A, |_| false),
            "a stale key's deletion shows nothing"
        );
        w.watch(A, b"x", true);
        w.touch(b"x", false);
        assert!(!w.check(A, |_| false));
        // Once its deletion cleared the staleness, the next change counts.
        w.watch(A, b"x", true);
        w.touch(b"x", true);
        w.touch(b"x", false);
        assert!(!w.check(A, |_| false));
    }

    #[test]
    fn a_key_expired_since_watch_fails_exec() {
        let mut w = Watches::new();
        w.watch(A, b"x", false);
        assert!(!w.check(A, |k| k == b"x"));
        w.watch(A, b"x", true);
        assert!(w.check(A, |k| k == b"x"), "already expired at WATCH");
    }

    #[test]
    fn flushall_touches_keys_that_existed() {
        let mut w = Watches::new();
        w.watch(A, b"x", false);
        w.watch(B, b"gone", false);
        w.touch_all(|k| k == b"x");
        assert!(!w.check(A, |_| false));
        assert!(w.check(B, |_| false));
    }

    #[test]
    fn publish_counts_keys_and_clients_still_watching() {
        let mut w = Watches::new();
        let counts = WatchCounts::default();
        w.watch(A, b"x", false);
        w.watch(A, b"y", false);
        w.watch(B, b"x", false);
        w.publish(&counts);
        assert_eq!((counts.keys(), counts.clients()), (2, 2));
        w.touch(b"y", false); // A is dirty: its keys are forgotten
        w.publish(&counts);
        assert_eq!((counts.keys(), counts.clients()), (1, 1));
        w.unwatch(B);
        w.unwatch(A);
        w.publish(&counts);
        assert_eq!((counts.keys(), counts.clients()), (0, 0));
    }

    #[test]
    fn one_key_many_watchers() {
        let mut w = Watches::new();
        w.watch(A, b"x", false);
        w.watch(B, b"x", false);
        w.watch(A, b"x", false);
        assert_eq!(w.watched_keys(), 1);
        w.unwatch(A);
        w.touch(b"x", false);
        assert!(w.check(A, |_| false));
        assert!(!w.check(B, |_| false));
    }
}
