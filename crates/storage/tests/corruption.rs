//! Damaged stores, at the store level (the file-level cases are in `damage.rs`): a torn tail of
//! the newest data file is cut back to the last complete write — an atomic batch all or none —
//! and reported; a flipped bit in a sealed file never makes the open fail or panic, never loses
//! another key, and never turns into a wrong value.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use kvs_storage::{Fid, FileKind, Options, Store, StoreStats};
use support::{Found, all_keys, copy_store, data_fids, data_path, records};

fn opts() -> Options {
    Options {
        compaction_interval: None,
        readers: 1,
        ..support::small_opts(1 << 20)
    }
}

fn remove_hints(dir: &Path) {
    for (kind, fid) in kvs_storage::list_files(dir).unwrap() {
        if kind == FileKind::Hint {
            std::fs::remove_file(kvs_storage::file_path(dir, kind, fid)).unwrap();
        }
    }
}

fn a_key(i: usize) -> Vec<u8> {
    format!("a-{i:02}").into_bytes()
}

fn a_value(i: usize) -> Vec<u8> {
    format!("value of a-{i:02} ").repeat(1 + i % 4).into_bytes()
}

/// Two sessions: file A (sealed) holds a-00..a-29; file B (the newest, the one a crash could
/// have torn) holds b-0..b-9 and then one atomic batch t-0, t-1, t-2.
fn build() -> (tempfile::TempDir, Fid, Fid, BTreeMap<Vec<u8>, Vec<u8>>) {
    let tmp = tempfile::tempdir().unwrap();
    let mut expected = BTreeMap::new();
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    for i in 0..30 {
        store.set(&a_key(i), &a_value(i)).unwrap();
        expected.insert(a_key(i), a_value(i));
    }
    drop(store);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    for i in 0..10 {
        let (k, v) = (
            format!("b-{i}").into_bytes(),
            format!("bee {i}").into_bytes(),
        );
        store.set(&k, &v).unwrap();
        expected.insert(k, v);
    }
    store
        .execute(|t| {
            for i in 0..3 {
                t.put(format!("t-{i}").as_bytes(), b"txn", None);
            }
        })
        .unwrap();
    for i in 0..3 {
        expected.insert(format!("t-{i}").into_bytes(), b"txn".to_vec());
    }
    drop(store);
    let fids: Vec<Fid> = data_fids(tmp.path())
        .into_iter()
        .filter(|f| !records(tmp.path(), *f).is_empty())
        .collect();
    assert_eq!(
        fids.len(),
        2,
        "expected two data files with records: {fids:?}"
    );
    (tmp, fids[0], fids[1], expected)
}

fn file_len(dir: &Path, fid: Fid) -> u64 {
    std::fs::metadata(data_path(dir, fid)).unwrap().len()
}

/// Truncates the newest data file at every offset of its last four records (a single write and
/// the three-record batch).
#[test]
fn torn_tail_of_the_newest_file_at_every_offset() {
    let (src, fid_a, fid_b, expected) = build();
    let recs = records(src.path(), fid_b);
    let n = recs.len();
    let (tail, full_len) = (&recs[n - 4..], file_len(src.path(), fid_b));
    let batch_start = recs[n - 3].offset;
    assert!(
        recs[n - 3].batch_open && recs[n - 2].batch_open && !recs[n - 1].batch_open,
        "{recs:?}"
    );
    assert_eq!(recs[n - 1].offset + recs[n - 1].len, full_len);
    let boundaries: Vec<u64> = tail.iter().map(|r| r.offset).collect();
    let mut torn_seen = 0;
    for cut in tail[0].offset..=full_len {
        let tmp = copy_store(src.path());
        remove_hints(tmp.path());
        std::fs::OpenOptions::new()
            .write(true)
            .open(data_path(tmp.path(), fid_b))
            .unwrap()
            .set_len(cut)
            .unwrap();
        // Where recovery must cut: back to the start of the batch if the batch is incomplete,
        // to the start of a partly written single record, nowhere at a clean boundary.
        let repair = if cut == full_len {
            None
        } else if cut > batch_start {
            Some(batch_start)
        } else if boundaries.contains(&cut) {
            None
        } else {
            Some(tail.iter().rev().find(|r| r.offset < cut).unwrap().offset)
        };
        let store = Store::open_with(tmp.path(), opts())
            .unwrap_or_else(|e| panic!("cut at {cut}: open failed: {e}"));
        let rep = store.recovery_report().clone();
        match repair {
            Some(at) => {
                assert_eq!(rep.torn_tails, vec![(fid_b, at, cut - at)], "cut at {cut}");
                torn_seen += 1;
            }
            None => assert!(rep.torn_tails.is_empty(), "cut at {cut}: {rep:?}"),
        }
        assert!(rep.damaged.is_empty(), "cut at {cut}: {rep:?}");
        assert_eq!(
            file_len(tmp.path(), fid_b),
            repair.unwrap_or(cut),
            "cut at {cut}: file not truncated"
        );
        let end = repair.unwrap_or(cut);
        for r in records(src.path(), fid_b) {
            let survives = r.offset + r.len <= end;
            let got = store.get(&r.key).unwrap();
            if survives {
                assert_eq!(
                    got.as_ref(),
                    expected.get(&r.key),
                    "cut at {cut}: {:?}",
                    String::from_utf8_lossy(&r.key)
                );
            } else {
                assert_eq!(
                    got,
                    None,
                    "cut at {cut}: {:?} should be gone",
                    String::from_utf8_lossy(&r.key)
                );
            }
        }
        let batch: Vec<bool> = (0..3)
            .map(|i| store.reader().exists(format!("t-{i}").as_bytes()))
            .collect();
        assert!(
            batch.iter().all(|b| *b == batch[0]),
            "cut at {cut}: half a batch survived: {batch:?}"
        );
        assert_eq!(batch[0], cut == full_len);
        for r in records(src.path(), fid_a) {
            assert_eq!(
                store.get(&r.key).unwrap().as_ref(),
                expected.get(&r.key),
                "cut at {cut}: sealed file's key"
            );
        }
        // The repaired store takes writes and opens cleanly afterwards (checked for some cuts:
        // opening a store is not cheap in a debug build).
        if cut % 5 != 0 && cut != full_len {
            continue;
        }
        store.set(b"after", b"repair").unwrap();
        drop(store);
        let store = Store::open_with(tmp.path(), opts()).unwrap();
        let rep = store.recovery_report();
        assert!(
            rep.torn_tails.is_empty() && rep.damaged.is_empty(),
            "cut at {cut}: second open: {rep:?}"
        );
        assert_eq!(
            store.get(b"after").unwrap().as_deref(),
            Some(&b"repair"[..])
        );
        let survivors = recs.iter().filter(|r| r.offset + r.len <= end).count();
        assert_eq!(all_keys(&store).len(), 30 + survivors + 1, "cut at {cut}");
    }
    assert!(torn_seen > 80, "only {torn_seen} cuts needed a repair");
}

/// A crash inside an atomic batch: whatever record of the batch the cut falls in, no key of the
/// batch is visible — not after the repairing open, and not after later opens either (when the
/// repaired file has been sealed and, possibly, given a hint file).
#[test]
fn a_batch_cut_anywhere_never_half_survives_later_opens() {
    let (src, _fid_a, fid_b, _expected) = build();
    let recs = records(src.path(), fid_b);
    let n = recs.len();
    let batch = &recs[n - 3..];
    let cuts = [
        batch[0].offset + 5,
        batch[1].offset,
        batch[1].offset + 1,
        batch[1].offset + batch[1].len - 1,
        batch[2].offset,
        batch[2].offset + 3,
        batch[2].offset + batch[2].len - 1,
    ];
    let hint_b = |dir: &Path| kvs_storage::file_path(dir, FileKind::Hint, fid_b);
    for cut in cuts {
        let tmp = copy_store(src.path());
        remove_hints(tmp.path());
        std::fs::OpenOptions::new()
            .write(true)
            .open(data_path(tmp.path(), fid_b))
            .unwrap()
            .set_len(cut)
            .unwrap();
        let visible = |store: &Store| -> Vec<bool> {
            (0..3)
                .map(|i| store.reader().exists(format!("t-{i}").as_bytes()))
                .collect()
        };
        let store = Store::open_with(tmp.path(), opts()).unwrap();
        assert_eq!(visible(&store), [false; 3], "cut at {cut}");
        assert_eq!(
            store.recovery_report().torn_tails,
            vec![(fid_b, batch[0].offset, cut - batch[0].offset)],
            "cut at {cut}"
        );
        // Give the store a moment to write the repaired file's hint file, if it does that.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !hint_b(tmp.path()).exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        drop(store);
        for again in 0..2 {
            let store = Store::open_with(tmp.path(), opts()).unwrap();
            assert_eq!(
                visible(&store),
                [false; 3],
                "cut at {cut}, open #{}: part of a torn batch came back",
                again + 2
            );
            for r in &recs[..n - 3] {
                assert!(
                    store.reader().exists(&r.key),
                    "cut at {cut}: lost {:?}",
                    String::from_utf8_lossy(&r.key)
                );
            }
        }
    }
}

/// The store's view of `dir` after opening it: every key, read back.
fn read_all(
    store: &Store,
    keys: impl Iterator<Item = Vec<u8>>,
) -> BTreeMap<Vec<u8>, Result<Option<Vec<u8>>, String>> {
    keys.map(|k| {
        let v = store.get(&k).map_err(|e| e.to_string());
        (k, v)
    })
    .collect()
}

fn flip(path: &Path, at: u64, bit: u8) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at as usize] ^= 1 << bit;
    std::fs::write(path, bytes).unwrap();
}

/// Bit positions to try in a record: in the CRC, the lengths, the flags / seq, the key and the
/// value.
fn positions(r: &Found) -> Vec<u64> {
    let key_at = 21;
    let mut v = vec![1, 5, 9, 12, 15, key_at];
    if !r.value.is_empty() {
        v.push(key_at + r.key.len() as u64 + r.value.len() as u64 / 2);
    }
    v.push(r.len - 1);
    v.sort_unstable();
    v.dedup();
    v
}

/// A bit flipped anywhere in any record of a sealed file, found by the open's scan: the open
/// succeeds and reports the damage at that record; every other key is intact; the damaged one is
/// absent (it has no older version) or fails to read — never a wrong value.
#[test]
fn bit_flip_in_each_record_of_a_sealed_file() {
    let (src, fid_a, _fid_b, expected) = build();
    let recs = records(src.path(), fid_a);
    assert_eq!(recs.len(), 30);
    let a_len = file_len(src.path(), fid_a);
    let mut cases = 0;
    for (i, r) in recs.iter().enumerate() {
        // Three of the positions for each record, a different three each time.
        let all = positions(r);
        let mut picked: Vec<u64> = (0..3).map(|j| all[(i + 3 * j) % all.len()]).collect();
        picked.dedup();
        for (j, pos) in picked.into_iter().enumerate() {
            let tmp = copy_store(src.path());
            remove_hints(tmp.path());
            flip(
                &data_path(tmp.path(), fid_a),
                r.offset + pos,
                ((i + j) % 8) as u8,
            );
            let store = Store::open_with(tmp.path(), opts())
                .unwrap_or_else(|e| panic!("record {i} byte {pos}: open failed: {e}"));
            let rep = store.recovery_report().clone();
            assert!(
                rep.damaged
                    .iter()
                    .any(|&(f, off, len)| f == fid_a && off <= r.offset && r.offset < off + len),
                "record {i} byte {pos}: damage not reported: {rep:?}"
            );
            assert!(
                rep.torn_tails.is_empty(),
                "record {i} byte {pos}: a sealed file was 'repaired': {rep:?}"
            );
            assert_eq!(
                file_len(tmp.path(), fid_a),
                a_len,
                "record {i} byte {pos}: the sealed file was truncated"
            );
            for (k, got) in read_all(&store, expected.keys().cloned()) {
                if k == r.key {
                    assert!(
                        matches!(got, Ok(None) | Err(_)),
                        "record {i} byte {pos}: damaged key read as {got:?}"
                    );
                } else {
                    assert_eq!(
                        got,
                        Ok(expected.get(&k).cloned()),
                        "record {i} byte {pos}: key {:?}",
                        String::from_utf8_lossy(&k)
                    );
                }
            }
            assert!(!all_keys(&store).contains(&r.key));
            cases += 1;
        }
    }
    assert!(cases >= 80, "{cases}");
}

/// A file written by compaction is loaded from its hint file, without reading the records: a
/// flipped bit in a record is found when that record is read, and reported as an error.
#[test]
fn bit_flip_in_a_record_of_a_file_loaded_from_hints() {
    let src = tempfile::tempdir().unwrap();
    let key = |i: usize| format!("h-{i:02}").into_bytes();
    let val = |i: usize, round: usize| format!("{round} value of h-{i:02} ").repeat(2).into_bytes();
    let store = Store::open_with(src.path(), opts()).unwrap();
    for round in 0..3 {
        for i in 0..20 {
            store.set(&key(i), &val(i, round)).unwrap();
        }
    }
    drop(store);
    let store = Store::open_with(src.path(), opts()).unwrap();
    let report = store.compact().unwrap();
    assert_eq!(report.outputs.len(), 1, "{report:?}");
    let out = report.outputs[0];
    drop(store);
    let recs = records(src.path(), out);
    assert_eq!(recs.len(), 20);

    for (i, r) in recs.iter().enumerate() {
        let tmp = copy_store(src.path());
        flip(
            &data_path(tmp.path(), out),
            r.offset + positions(r)[i % 7 % positions(r).len()],
            (i % 8) as u8,
        );
        let store = Store::open_with(tmp.path(), opts()).unwrap();
        assert!(
            store.recovery_report().from_hints >= 1,
            "{:?}",
            store.recovery_report()
        );
        for j in 0..20 {
            let got = store.get(&key(j));
            if key(j) == r.key {
                assert!(
                    matches!(got, Ok(None) | Err(_)),
                    "record {i}: damaged key read as {got:?}"
                );
            } else {
                assert_eq!(got.unwrap(), Some(val(j, 2)), "record {i}: key h-{j:02}");
            }
        }
    }

    // A damaged hint file is not trusted: the data file is scanned instead, and nothing is lost.
    let hint_path = kvs_storage::file_path(src.path(), FileKind::Hint, out);
    let hint_len = std::fs::metadata(&hint_path).unwrap().len();
    for at in (24..hint_len).step_by(29) {
        let tmp = copy_store(src.path());
        flip(
            &kvs_storage::file_path(tmp.path(), FileKind::Hint, out),
            at,
            (at % 8) as u8,
        );
        let store = Store::open_with(tmp.path(), opts()).unwrap();
        let rep = store.recovery_report();
        assert!(
            rep.scanned >= 1 && rep.damaged.is_empty(),
            "hint byte {at}: {rep:?}"
        );
        for j in 0..20 {
            assert_eq!(
                store.get(&key(j)).unwrap(),
                Some(val(j, 2)),
                "hint byte {at}: key h-{j:02}"
            );
        }
    }
}

/// Stats after a damaged open still add up (the store does not count damaged bytes as live).
#[test]
fn damaged_open_stats_are_consistent() {
    let (src, fid_a, _fid_b, _expected) = build();
    let tmp = copy_store(src.path());
    remove_hints(tmp.path());
    let r = &records(src.path(), fid_a)[10];
    flip(&data_path(tmp.path(), fid_a), r.offset + 25, 3);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    let stats: StoreStats = store.stats();
    let a = stats.files.iter().find(|(f, _)| *f == fid_a).unwrap().1;
    assert!(
        a.dead >= r.len,
        "the damaged record's bytes are not counted dead: {a:?}"
    );
    assert!(a.dead < a.total, "{a:?}");
    assert_eq!(stats.keys, 42);
}

/// Bit rot in the middle of the newest data file **and** a torn write at its end (found by the
/// offline check): the open reports the rot, truncates the torn tail as it would alone, and
/// serves every other key; the next open finds nothing to repair at the end.
#[test]
fn bit_rot_and_a_torn_tail_in_the_newest_file() {
    let (src, _fid_a, fid_b, expected) = build();
    let recs = records(src.path(), fid_b);
    let tmp = copy_store(src.path());
    remove_hints(tmp.path());
    let path = data_path(tmp.path(), fid_b);
    // Rot inside the second record's key; half a record of garbage appended at the end.
    let rotten = &recs[1];
    flip(&path, rotten.offset + 22, 3);
    let full_len = file_len(tmp.path(), fid_b);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(&[0x5a; 17]);
    std::fs::write(&path, bytes).unwrap();

    let store = Store::open_with(tmp.path(), opts()).unwrap();
    let rep = store.recovery_report().clone();
    assert_eq!(
        rep.damaged,
        vec![(fid_b, rotten.offset, rotten.len)],
        "the rot is reported: {rep:?}"
    );
    assert_eq!(rep.torn_tails, vec![(fid_b, full_len, 17)], "{rep:?}");
    assert_eq!(
        file_len(tmp.path(), fid_b),
        full_len,
        "the torn tail is cut"
    );
    for (k, v) in &expected {
        if *k != rotten.key {
            assert_eq!(store.get(k).unwrap().as_ref(), Some(v), "{k:?}");
        }
    }
    drop(store);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    assert!(store.recovery_report().torn_tails.is_empty());
}
