//! Unit tests of the index.

use super::*;
use std::collections::HashSet;
use std::sync::Arc;
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
fn entries_round_trip_and_saturate() {
    let idx = Index::new();
    let cases = [
        entry(1, 24, 1),
        IndexEntry {
            fid: MAX_FID,
            offset: MAX_OFFSET,
            len: u32::MAX,
            expire_at_ms: Some(u64::MAX),
        },
        IndexEntry {
            fid: (1 << 31) + 7,
            offset: (1 << 33) + 5,
            len: 0,
            expire_at_ms: Some(1_700_000_000_000),
        },
    ];
    for (i, e) in cases.into_iter().enumerate() {
        idx.insert(&key(i as u64), e);
        assert_eq!(idx.get(&key(i as u64)), Some(e));
    }
    let big = IndexEntry {
        fid: u64::MAX,
        offset: u64::MAX,
        ..entry(0, 0, 1)
    };
    idx.insert(b"big", big);
    let back = idx.get(b"big").unwrap();
    assert_eq!((back.fid, back.offset), (MAX_FID, MAX_OFFSET));
    assert!(idx.remove_if_at(b"big", u64::MAX, u64::MAX).is_some());
    let zero = IndexEntry {
        expire_at_ms: Some(0),
        ..entry(1, 24, 1)
    };
    idx.insert(b"zero", zero);
    assert_eq!(idx.get(b"zero").unwrap().expire_at_ms, Some(1));
}

/// A TTL needs a run with the expiry word: gaining one moves the entry, losing one keeps the
/// word (set to none), and both survive the table being rebuilt around them.
#[test]
fn ttl_gained_and_lost() {
    let idx = Index::new();
    let ttl = |fid, t| IndexEntry {
        expire_at_ms: Some(t),
        ..entry(fid, 24, 1)
    };
    for i in 0..2_000u64 {
        idx.insert(&key(i), entry(1, 24, 1));
    }
    for i in (0..2_000u64).step_by(2) {
        assert_eq!(
            idx.insert(&key(i), ttl(2, 1_000 + i)),
            Some(entry(1, 24, 1))
        );
    }
    for i in (0..2_000u64).step_by(4) {
        assert_eq!(
            idx.insert(&key(i), entry(3, 24, 1)),
            Some(ttl(2, 1_000 + i))
        );
    }
    for i in 0..2_000u64 {
        let want = match i % 4 {
            0 => entry(3, 24, 1),
            2 => ttl(2, 1_000 + i),
            _ => entry(1, 24, 1),
        };
        assert_eq!(idx.get(&key(i)), Some(want), "key {i}");
    }
    assert_eq!(idx.len(), 2_000);
}

/// Against a model: random inserts, TTL changes, removes and conditional changes of a small
/// key space (so slots fill with DELETED and tables are rebuilt in every way), keys of
/// every length class.
#[test]
fn random_operations_match_a_model() {
    let idx = Index::new();
    let mut model = std::collections::HashMap::new();
    let mut rng = 0x1234_5678_9abc_def0_u64;
    let mut next = || {
        rng = mix64(rng.wrapping_add(0x9e37_79b9_7f4a_7c15));
        rng
    };
    let key_of = |r: u64| -> Vec<u8> {
        let i = r % 3_000;
        match i % 3 {
            0 => format!("k{i}").into_bytes(),
            1 => key(i),
            _ => format!("{i}-{}", "x".repeat((i % 200) as usize)).into_bytes(),
        }
    };
    for step in 0..200_000u64 {
        let r = next();
        let k = key_of(r >> 8);
        let e = IndexEntry {
            fid: step % 7 + 1,
            offset: step,
            len: (r % 1000) as u32,
            expire_at_ms: (r % 3 == 0).then_some(r >> 20),
        };
        match r % 8 {
            0 | 1 => assert_eq!(idx.insert(&k, e), model.insert(k, e), "insert"),
            2 | 3 => {
                // The writer's way: hash once, prefetch in two stages, then write.
                let h = idx.hash(&k);
                idx.prefetch(h, PrefetchStage::Bucket);
                idx.prefetch(h, PrefetchStage::Run);
                assert_eq!(idx.insert_hashed(&k, h, e), model.insert(k, e), "insert");
            }
            4 => assert_eq!(idx.remove(&k), model.remove(&k), "remove"),
            5 => {
                let h = idx.hash(&k);
                assert_eq!(idx.remove_hashed(&k, h), model.remove(&k), "remove");
            }
            6 => {
                let cur = model.get(&k).copied();
                let (fid, offset) = cur.map_or((1, 1), |c| (c.fid, c.offset));
                let moved = idx.compare_and_repoint(&k, fid, offset, e);
                assert_eq!(moved, cur.is_some());
                if moved {
                    model.insert(k, e);
                }
            }
            _ => assert_eq!(idx.get(&k), model.get(&k).copied(), "get"),
        }
    }
    assert_eq!(idx.len(), model.len());
    let mut n = 0;
    idx.for_each(|k, e| {
        assert_eq!(model.get(k), Some(e));
        n += 1;
    });
    assert_eq!(n, model.len());
}

/// Removing most keys gives the arenas (and buckets) back; the memory counter follows.
#[test]
fn memory_follows_keys_down_after_removes() {
    let idx = Index::new();
    let empty = idx.approx_memory_bytes();
    for i in 0..100_000u64 {
        idx.insert(&key(i), entry(1, 24, 1));
    }
    let full = idx.approx_memory_bytes();
    // 16-byte keys: a 32-byte run and a 5-byte slot each, plus growth room.
    assert!(full > empty + 100_000 * 37, "{full}");
    assert!(full < empty + 100_000 * 80, "{full}");
    for i in 0..95_000u64 {
        idx.remove(&key(i));
    }
    let after = idx.approx_memory_bytes();
    assert!(after < full / 4, "{after} of {full}");
    for i in 95_000..100_000u64 {
        assert_eq!(idx.get(&key(i)), Some(entry(1, 24, 1)));
    }
    idx.clear();
    assert!(idx.approx_memory_bytes() <= empty);
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
    assert!(idx.approx_memory_bytes() >= 3 * 32 + 300);
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
                    // Some gain a TTL (their entry moves to a new run) or lose it.
                    expire_at_ms: ((i + round) % 3 == 0).then_some(seq),
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
    let mut seqs = Vec::new();
    idx.for_each_entry(|e| seqs.push(seq_of(e)));
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=3_000).collect::<Vec<_>>());
    let mut distinct = HashSet::new();
    for _ in 0..500 {
        let k = idx.random_key().unwrap();
        assert!(idx.get(&k).is_some());
        distinct.insert(k);
    }
    // A uniform draw would see ~460 distinct keys; this sampler (a random shard, the next
    // non-empty one if it is empty, then a random key in it) sees 409–447 (median 428 over
    // 120 runs), so 400 failed about once in a few hundred runs. 350 is ~8 standard
    // deviations below, and still far above what a stuck or badly skewed sampler gives.
    assert!(
        distinct.len() > 350,
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
        counts[idx.shard_of(&key(i))] += 1;
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

/// Readers of keys being rewritten as fast as one thread can: every entry read must be one
/// that was written whole (all fields carry the same number), never a mix of two — what the
/// seqlock is for.
#[test]
fn hot_keys_are_never_read_torn() {
    let idx = Arc::new(Index::new());
    let whole = |v: u64| IndexEntry {
        fid: v,
        offset: v,
        len: v as u32,
        expire_at_ms: v.is_multiple_of(2).then_some(v),
    };
    let keys: Vec<Vec<u8>> = (0..4).map(key).collect();
    for k in &keys {
        idx.insert(k, whole(1));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (idx, stop, keys) = (Arc::clone(&idx), Arc::clone(&stop), keys.clone());
        thread::spawn(move || {
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for k in &keys {
                    let e = idx.get(k).expect("present throughout");
                    assert_eq!(e, whole(e.fid), "torn entry");
                    reads += 1;
                }
            }
            reads
        })
    };
    for v in 2..400_000u64 {
        idx.insert(&keys[(v % 4) as usize], whole(v));
    }
    stop.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

/// Recovery's sizing: a reserved shard takes its keys without growing, and `fit_shard` gives
/// back what the reservation over-estimated; entries are untouched by either.
#[test]
fn reserve_then_fit_a_shard() {
    let idx = Index::new();
    let shard = idx.shard_of(&key(0));
    let keys: Vec<Vec<u8>> = (0..200_000u64)
        .map(key)
        .filter(|k| idx.shard_of(k) == shard)
        .collect();
    assert!(keys.len() > 100, "{}", keys.len());
    let words: usize = keys.iter().map(|k| Index::entry_words(k.len())).sum();
    let before = idx.approx_memory_bytes();
    // Reserve for twice the keys (as if every key were met in two files).
    idx.reserve_shard(shard, 2 * keys.len(), 2 * words);
    let reserved = idx.approx_memory_bytes();
    assert!(reserved >= before + 2 * words * 8, "{reserved} vs {before}");
    for (i, k) in keys.iter().enumerate() {
        idx.insert(k, entry(1, i as u64, 1));
    }
    assert_eq!(
        idx.approx_memory_bytes(),
        reserved,
        "no rebuild while filling"
    );
    idx.fit_shard(shard);
    let fitted = idx.approx_memory_bytes();
    assert!(fitted < reserved - words * 8 / 2, "{fitted} vs {reserved}");
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(idx.get(k), Some(entry(1, i as u64, 1)));
    }
    // Fitting again changes nothing.
    idx.fit_shard(shard);
    assert_eq!(idx.approx_memory_bytes(), fitted);
}
