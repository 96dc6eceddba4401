//! Unit tests of the index.

use super::*;
use std::collections::HashSet;
use std::sync::atomic::AtomicBool;
use std::thread;

/// An entry whose record has seq `seq`: the index keeps no seqs, so in these tests the seq
/// rides in the record length, and [`seq_of`] reads it back (recovery reads the record).
fn entry(fid: Fid, offset: u64, seq: u64) -> IndexEntry {
    IndexEntry {
        fid,
        offset,
        len: seq as u32,
        expire_at_ms: None,
    }
}

fn seq_of(e: &IndexEntry) -> u64 {
    u64::from(e.len)
}

fn key(i: u64) -> Vec<u8> {
    format!("key:{i:08}").into_bytes()
}

#[test]
fn key_inline_and_heap_round_trip() {
    for len in [0usize, 1, 21, 22, 23, 100, 5000] {
        let k: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let stored = Key::new(&k);
        assert_eq!(stored.as_bytes(), &k[..]);
        assert_eq!(matches!(stored, Key::Inline { .. }), len <= INLINE_KEY_LEN);
        // Hash must agree with [u8]'s for `Borrow` lookups.
        let h = RandomState::new();
        assert_eq!(h.hash_one(&stored), h.hash_one(&k[..]));
    }
}

#[test]
fn slot_round_trips_and_saturates() {
    let cases = [
        entry(1, 24, 1),
        IndexEntry {
            fid: MAX_FID,
            offset: MAX_OFFSET,
            len: u32::MAX,
            expire_at_ms: Some(u64::MAX),
        },
        IndexEntry {
            fid: (1 << 40) + 7,
            offset: (1 << 33) + 5,
            len: 0,
            expire_at_ms: Some(1_700_000_000_000),
        },
    ];
    for e in cases {
        assert_eq!(Slot::pack(&e).unpack(), e);
    }
    let big = IndexEntry {
        fid: u64::MAX,
        offset: u64::MAX,
        ..entry(0, 0, 1)
    };
    let back = Slot::pack(&big).unpack();
    assert_eq!((back.fid, back.offset), (MAX_FID, MAX_OFFSET));
    let zero = IndexEntry {
        expire_at_ms: Some(0),
        ..entry(1, 24, 1)
    };
    assert_eq!(Slot::pack(&zero).unpack().expire_at_ms, Some(1));
}

#[test]
fn insert_get_remove() {
    let idx = Index::new();
    assert!(idx.is_empty());
    let long = vec![b'x'; 300];
    for k in [&b""[..], b"a", &long] {
        assert_eq!(idx.insert(k, entry(1, 24, 1)), None);
        assert_eq!(idx.insert(k, entry(2, 48, 2)), Some(entry(1, 24, 1)));
        assert_eq!(idx.get(k), Some(entry(2, 48, 2)));
        assert!(idx.contains_key(k));
    }
    assert_eq!(idx.len(), 3);
    assert!(idx.approx_memory_bytes() >= 3 * 64 + 300);
    assert_eq!(idx.remove(&long), Some(entry(2, 48, 2)));
    assert_eq!(idx.remove(&long), None);
    assert_eq!(idx.get(&long), None);
    assert_eq!(idx.len(), 2);
    idx.clear();
    assert!(idx.is_empty());
    assert_eq!(idx.get(b"a"), None);
}

#[test]
fn insert_if_newer_by_seq() {
    let idx = Index::new();
    assert_eq!(
        idx.insert_if_newer(b"k", entry(3, 100, 5), 5, seq_of),
        InsertOutcome::Inserted
    );
    assert_eq!(
        idx.insert_if_newer(b"k", entry(1, 24, 2), 2, seq_of),
        InsertOutcome::Stale(entry(3, 100, 5))
    );
    // The same record met twice (equal seq) keeps the first.
    assert_eq!(
        idx.insert_if_newer(b"k", entry(9, 24, 5), 5, seq_of),
        InsertOutcome::Stale(entry(3, 100, 5))
    );
    assert_eq!(
        idx.insert_if_newer(b"k", entry(2, 50, 7), 7, seq_of),
        InsertOutcome::Replaced(entry(3, 100, 5))
    );
    assert_eq!(idx.get(b"k"), Some(entry(2, 50, 7)));
}

#[test]
fn conditional_removes() {
    let idx = Index::new();
    idx.insert(b"k", entry(2, 50, 7));
    assert_eq!(
        idx.remove_if_older(b"k", 7, seq_of),
        None,
        "equal seq is not older"
    );
    assert_eq!(idx.remove_if_older(b"k", 3, seq_of), None);
    assert_eq!(idx.remove_if_at(b"k", 2, 51), None);
    assert_eq!(idx.remove_if_at(b"k", 1, 50), None);
    assert_eq!(idx.remove_if_at(b"k", 2, 50), Some(entry(2, 50, 7)));
    idx.insert(b"k", entry(2, 50, 7));
    assert_eq!(idx.remove_if_older(b"k", 8, seq_of), Some(entry(2, 50, 7)));
    assert_eq!(idx.remove_if_older(b"missing", 8, seq_of), None);
    assert!(idx.is_empty());
}

#[test]
fn compare_and_repoint_only_from_the_expected_place() {
    let idx = Index::new();
    let moved = entry(9, 24, 7);
    assert!(
        !idx.compare_and_repoint(b"k", 2, 50, moved),
        "absent key is not created"
    );
    assert_eq!(idx.get(b"k"), None);
    idx.insert(b"k", entry(2, 50, 7));
    assert!(!idx.compare_and_repoint(b"k", 2, 51, moved));
    assert!(!idx.compare_and_repoint(b"k", 3, 50, moved));
    assert_eq!(idx.get(b"k"), Some(entry(2, 50, 7)));
    assert!(idx.compare_and_repoint(b"k", 2, 50, moved));
    assert_eq!(idx.get(b"k"), Some(moved));
    assert!(
        !idx.compare_and_repoint(b"k", 2, 50, entry(10, 24, 7)),
        "already moved"
    );
}

/// The compactor's CAS against the writer's unconditional inserts: whatever the
/// interleaving, a CAS only ever copies the entry it read, so each key ends with the seq
/// of its last write — a copy never hides a newer write.
#[test]
fn cas_races_with_writer() {
    let idx = Arc::new(Index::new());
    let keys = 200u64;
    for i in 0..keys {
        idx.insert(&key(i), entry(1, i * 100 + 24, i + 1));
    }
    let writer = {
        let idx = Arc::clone(&idx);
        thread::spawn(move || {
            let mut last: Vec<u64> = (1..=keys).collect();
            let mut seq = keys + 1;
            for round in 0..20u64 {
                for i in (0..keys).filter(|i| (i + round) % 3 == 0) {
                    idx.insert(&key(i), entry(5, seq * 100, seq));
                    last[i as usize] = seq;
                    seq += 1;
                }
            }
            last
        })
    };
    let mut moved = 0;
    for round in 0..20u64 {
        for i in 0..keys {
            let Some(cur) = idx.get(&key(i)) else {
                continue;
            };
            // A "compaction output" fid 1000 + round, keeping the record's seq.
            let new = IndexEntry {
                fid: 1000 + round,
                offset: i * 100 + 24,
                ..cur
            };
            if idx.compare_and_repoint(&key(i), cur.fid, cur.offset, new) {
                moved += 1;
            }
        }
    }
    let last = writer.join().unwrap();
    assert!(moved > 0);
    for i in 0..keys {
        assert_eq!(
            seq_of(&idx.get(&key(i)).unwrap()),
            last[i as usize],
            "key {i}"
        );
    }
}

#[test]
fn readers_see_old_or_new_never_nothing() {
    let idx = Arc::new(Index::new());
    let keys = 2_000u64;
    for i in 0..keys {
        idx.insert(&key(i), entry(1, 24, 1));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (idx, stop) = (Arc::clone(&idx), Arc::clone(&stop));
            thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    for i in 0..keys {
                        let e = idx.get(&key(i)).expect("a key present throughout");
                        assert_eq!(e.offset, seq_of(&e) * 10 + 14, "torn entry {e:?}");
                        reads += 1;
                    }
                }
                reads
            })
        })
        .collect();
    // Overwrite existing keys and insert many new ones (forcing resizes) meanwhile.
    let mut seq = 1;
    for round in 0..5u64 {
        for i in 0..keys {
            seq += 1;
            idx.insert(
                &key(i),
                IndexEntry {
                    fid: 2,
                    offset: seq * 10 + 14,
                    len: seq as u32,
                    expire_at_ms: None,
                },
            );
        }
        for j in 0..4_000u64 {
            idx.insert(&key(keys + round * 4_000 + j), entry(3, 24, 1));
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(idx.len() as u64, keys + 5 * 4_000);
}

#[test]
fn scan_visits_every_key_once() {
    let idx = Index::new();
    for i in 0..5_000u64 {
        idx.insert(&key(i), entry(1, 24, i + 1));
    }
    for count in [1usize, 10, 1000, usize::MAX] {
        let mut seen = Vec::new();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            let before = seen.len();
            cursor = idx.scan(cursor, count, |k, e| seen.push((k.to_vec(), *e)));
            steps += 1;
            if cursor == 0 {
                break;
            }
            assert!(
                seen.len() - before >= count,
                "a step passes at least `count` keys"
            );
        }
        assert!(steps <= SHARDS);
        assert_eq!(seen.len(), 5_000);
        let set: HashSet<_> = seen.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(set.len(), 5_000);
        for (k, e) in &seen {
            assert_eq!(idx.get(k), Some(*e));
        }
    }
    assert_eq!(
        idx.scan(SHARDS as u64, 10, |_, _| panic!("nothing after the end")),
        0
    );
    assert_eq!(Index::new().scan(0, 10, |_, _| panic!("empty")), 0);
}

#[test]
fn scan_complete_under_concurrent_inserts_and_removes() {
    let idx = Arc::new(Index::new());
    let stable = 3_000u64;
    for i in 0..stable {
        idx.insert(&key(i), entry(1, 24, 1));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let writer = {
        let (idx, stop, rounds) = (Arc::clone(&idx), Arc::clone(&stop), Arc::clone(&rounds));
        thread::spawn(move || {
            // Other keys come and go while the scans run: the tables grow and fill with
            // tombstones, so they are resized (copied) under the scan's feet.
            while !stop.load(Ordering::Relaxed) {
                for j in stable..stable + 8_000 {
                    idx.insert(&key(j), entry(2, 24, 1));
                }
                for j in stable..stable + 8_000 {
                    idx.remove(&key(j));
                }
                rounds.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let mut scans = 0;
    while scans < 3 || rounds.load(Ordering::Relaxed) < 2 {
        scans += 1;
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = idx.scan(cursor, 7, |k, _| {
                seen.insert(k.to_vec());
            });
            if cursor == 0 {
                break;
            }
            thread::yield_now();
        }
        for i in 0..stable {
            assert!(seen.contains(&key(i)), "scan missed a stable key {i}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

#[test]
fn for_each_and_random_key() {
    let idx = Index::new();
    assert_eq!(idx.random_key(), None);
    for i in 0..3_000u64 {
        idx.insert(&key(i), entry(1, 24, i + 1));
    }
    let mut n = 0;
    idx.for_each(|k, e| {
        assert_eq!(idx.get(k), Some(*e));
        n += 1;
    });
    assert_eq!(n, 3_000);
    let mut distinct = HashSet::new();
    for _ in 0..500 {
        let k = idx.random_key().unwrap();
        assert!(idx.get(&k).is_some());
        distinct.insert(k);
    }
    assert!(
        distinct.len() > 400,
        "random_key is far from uniform: {}",
        distinct.len()
    );
    idx.clear();
    idx.insert(b"only", entry(1, 24, 1));
    assert_eq!(idx.random_key().as_deref(), Some(&b"only"[..]));
}

#[test]
fn shards_are_balanced() {
    let idx = Index::new();
    let mut counts = vec![0usize; SHARDS];
    for i in 0..(SHARDS as u64 * 64) {
        counts[idx.shard_index(&key(i))] += 1;
    }
    let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(
        *min > 20 && *max < 120,
        "shard sizes {min}..{max} for a mean of 64"
    );
}

#[test]
fn index_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Index>();
}
