//! Collections' records on damaged disks (storage-format §4.3 with §8–9): `check` counts the
//! keys and elements recovery serves; a flipped bit in an element record costs that element
//! alone — never a wrong value, never a count that disagrees with the listing; a batch that
//! creates a hash, cut anywhere, comes back whole or not at all, also on later opens.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use kvs_storage::{
    CheckOptions, CheckStatus, CollectionKind, FileKind, Options, Store, Stored, check, file_path,
};
use support::collections::{ELEMENTS, KEYS, Keyspace, Model, Op, apply, element, key, observed};
use support::{Found, copy_store, data_fids, data_path, records, small_opts};

fn opts() -> Options {
    small_opts(2048)
}

/// The fields the last batch gives `key-5` (a new hash), one atomic write.
fn batch_fields() -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..3)
        .map(|i| {
            (
                format!("bf-{i}").into_bytes(),
                format!("batch {i}").into_bytes(),
            )
        })
        .collect()
}

/// Two sessions of hash and set writes over many 2 KiB files (fields added, changed, removed,
/// a hash deleted, a set renamed, a hash overwritten by a string), then one batch creating the
/// hash `key-5` at the end of the newest file. Returns the directory and the model.
fn build() -> (tempfile::TempDir, Keyspace) {
    let tmp = tempfile::tempdir().unwrap();
    let mut model = Keyspace::new();
    let mut ops = Vec::new();
    for i in 0..60u8 {
        ops.push(Op::HSet(i % 3, i % ELEMENTS, 40));
        ops.push(Op::SAdd(3 + i % 2, i % ELEMENTS));
    }
    ops.extend([
        Op::HDel(0, 1),
        Op::SRem(3, 2),
        Op::Del(1),
        Op::Rename(4, 1),
        Op::Set(2, 10),
        Op::HSet(0, 3, 99),
        Op::Del(5),
    ]);
    let (first, second) = ops.split_at(90);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    for (step, op) in first.iter().enumerate() {
        apply(&store, &mut model, op, step as u64);
    }
    drop(store);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    for (step, op) in second.iter().enumerate() {
        apply(&store, &mut model, op, 1000 + step as u64);
    }
    store
        .execute(|t| {
            let m = t.create_collection(&key(5), CollectionKind::Hash, None);
            for (f, v) in batch_fields() {
                t.put_element(&key(5), m.id, &f, &v).unwrap();
            }
        })
        .unwrap();
    model.insert(key(5), Model::Hash(batch_fields().into_iter().collect()));
    assert_eq!(observed(&store), model);
    drop(store);
    (tmp, model)
}

fn elements_in(model: &Keyspace) -> u64 {
    model
        .values()
        .map(|m| match m {
            Model::Str(_) => 0,
            Model::Hash(h) => h.len() as u64,
            Model::Set(s) => s.len() as u64,
        })
        .sum()
}

/// Collection id → its key, in the store at `dir`.
fn ids(dir: &Path) -> BTreeMap<u64, Vec<u8>> {
    let store = Store::open_with(dir, opts()).unwrap();
    (0..KEYS)
        .filter_map(|k| match store.reader().lookup(&key(k)).unwrap() {
            Some(Stored::Collection(m)) => Some((m.id, key(k))),
            _ => None,
        })
        .collect()
}

#[test]
fn check_counts_what_recovery_serves() {
    let (tmp, model) = build();
    let r = check(tmp.path(), &CheckOptions::default()).unwrap();
    assert_eq!(r.status(), CheckStatus::Clean, "{r}");
    assert_eq!(r.keys(), model.len() as u64);
    assert_eq!(r.elements(), elements_in(&model));
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    let rec = store.recovery_report();
    assert_eq!(rec.elements as u64, r.elements());
    assert_eq!(rec.keys as u64, r.keys());
    assert_eq!(observed(&store), model);
    let stats = store.stats();
    for (fid, s) in &stats.files {
        if let Some(f) = r.file(*fid) {
            assert_eq!((s.total, s.dead), (f.size, f.dead_bytes), "file {fid}");
        }
    }
}

#[test]
fn a_flipped_bit_in_an_element_record_costs_that_element_only() {
    let (src, model) = build();
    let ids = ids(src.path());
    // The newest record of every live element, in sealed files (not the newest file).
    let fids = data_fids(src.path());
    // Only records that are a batch of their own (a damaged record drops its whole batch,
    // §8: see the next test for a batch that holds a collection's metadata record).
    let mut newest: BTreeMap<Vec<u8>, (u64, Found)> = BTreeMap::new();
    let mut lone = std::collections::BTreeSet::new();
    for &fid in &fids {
        let recs = records(src.path(), fid);
        for (i, r) in recs.iter().enumerate() {
            let after_open_batch = i > 0 && recs[i - 1].batch_open;
            if !r.batch_open && !after_open_batch {
                lone.insert((fid, r.offset));
            }
            if newest.get(&r.key).is_none_or(|(_, cur)| cur.seq < r.seq) {
                newest.insert(r.key.clone(), (fid, r.clone()));
            }
        }
    }
    let mut tried = 0;
    for (ek, (fid, r)) in &newest {
        let Some(ck) = ids.get(&u64::from_be_bytes(ek[..8].try_into().unwrap())) else {
            continue; // a user key, or an element of a dead collection
        };
        if r.tombstone || !lone.contains(&(*fid, r.offset)) || ek.len() <= 8 {
            continue;
        }
        let el = ek[8..].to_vec();
        let tmp = copy_store(src.path());
        for &f in &fids {
            let _ = std::fs::remove_file(file_path(tmp.path(), FileKind::Hint, f));
        }
        let path = data_path(tmp.path(), *fid);
        let mut bytes = std::fs::read(&path).unwrap();
        // A bit of the element's bytes in its key: the CRC no longer matches.
        bytes[(r.offset + r.len - 1) as usize] ^= 0x10;
        std::fs::write(&path, bytes).unwrap();
        let store = Store::open_with(tmp.path(), opts()).unwrap();
        assert!(
            !store.recovery_report().damaged.is_empty(),
            "the open's scan reports the damage"
        );
        // `observed` also checks each collection's count against its listing.
        let got = observed(&store);
        let mut want = model.clone();
        let lost = match want.get_mut(ck) {
            Some(Model::Hash(h)) => h.remove(&el).is_some(),
            Some(Model::Set(s)) => s.remove(&el),
            other => panic!("{ck:?} is {other:?} in the model"),
        };
        assert!(lost, "the element was live");
        // The element is gone, or back at an older value — nothing else changed.
        let mut got_without = got.clone();
        match got_without.get_mut(ck) {
            Some(Model::Hash(h)) => {
                h.remove(&el);
            }
            Some(Model::Set(s)) => {
                s.remove(&el);
            }
            _ => {}
        }
        // A collection left empty by the loss is absent in the model after removal too.
        want.retain(|_, m| {
            !matches!(m, Model::Hash(h) if h.is_empty())
                && !matches!(m, Model::Set(s) if s.is_empty())
        });
        got_without.retain(|_, m| {
            !matches!(m, Model::Hash(h) if h.is_empty())
                && !matches!(m, Model::Set(s) if s.is_empty())
        });
        assert_eq!(
            got_without,
            want,
            "flip in {:?} of {ck:?}",
            String::from_utf8_lossy(&el)
        );
        if let Some(Model::Hash(h)) = got.get(ck)
            && let Some(v) = h.get(&el)
        {
            assert_ne!(
                Some(v),
                match model.get(ck) {
                    Some(Model::Hash(m)) => m.get(&el),
                    _ => None,
                },
                "the damaged record's value was served"
            );
        }
        tried += 1;
        if tried == 6 {
            break;
        }
    }
    assert!(
        tried >= 3,
        "too few element records in sealed files ({tried})"
    );
}

#[test]
fn a_batch_creating_a_hash_cut_anywhere_never_half_survives() {
    let (src, model) = build();
    // The newest file, with the batch at its end, is left the last active one (no hint file):
    // the id is read from a copy, as opening a store seals that file.
    let last = *data_fids(src.path()).last().unwrap();
    let recs = records(src.path(), last);
    let id5 = *ids(copy_store(src.path()).path())
        .iter()
        .find(|(_, k)| **k == key(5))
        .unwrap()
        .0;
    let batch = &recs[recs.len() - 4..]; // the metadata record and three fields
    let mut before = model.clone();
    before.remove(&key(5));
    let cuts = [
        batch[0].offset + 3,
        batch[1].offset,
        batch[2].offset + 7,
        batch[3].offset + batch[3].len - 1,
    ];
    for cut in cuts {
        let tmp = copy_store(src.path());
        std::fs::OpenOptions::new()
            .write(true)
            .open(data_path(tmp.path(), last))
            .unwrap()
            .set_len(cut)
            .unwrap();
        for open in 0..2 {
            let store = Store::open_with(tmp.path(), opts()).unwrap();
            assert_eq!(observed(&store), before, "cut at {cut}, open #{}", open + 1);
            let served = store
                .execute(move |t| {
                    batch_fields()
                        .iter()
                        .filter(|(f, _)| t.has_element(id5, f))
                        .count()
                })
                .unwrap();
            assert_eq!(
                served, 0,
                "cut at {cut}: a field of the torn batch is served"
            );
        }
    }
}

/// A collection's metadata record is the only link from its key to its elements (they are
/// keyed by the collection's id: §4.3). Damage to it — or to any record of the batch that wrote
/// it, since a damaged batch is dropped whole (§8) — loses that collection, and only it: its
/// elements are then those of a dead collection, never served under any key, and nothing else
/// changes. `check` reports the damaged range.
#[test]
fn damage_to_a_collections_metadata_batch_loses_that_collection_only() {
    let (src, model) = build();
    let ids = ids(src.path());
    let fids = data_fids(src.path());
    let (fid, meta) = fids
        .iter()
        .flat_map(|&f| records(src.path(), f).into_iter().map(move |r| (f, r)))
        .find(|(_, r)| r.key == key(3) && !r.tombstone)
        .expect("key-3's metadata record");
    let id = *ids.iter().find(|(_, k)| **k == key(3)).unwrap().0;
    let tmp = copy_store(src.path());
    for &f in &fids {
        let _ = std::fs::remove_file(file_path(tmp.path(), FileKind::Hint, f));
    }
    let path = data_path(tmp.path(), fid);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(meta.offset + meta.len - 1) as usize] ^= 0x10;
    std::fs::write(&path, bytes).unwrap();
    let report = check(tmp.path(), &CheckOptions::default()).unwrap();
    assert_ne!(
        report.status(),
        CheckStatus::Clean,
        "check reports the damage"
    );
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    let mut want = model.clone();
    want.remove(&key(3));
    assert_eq!(observed(&store), want);
    let orphans = store
        .execute(move |t| {
            (0..ELEMENTS)
                .filter(|&e| t.has_element(id, &element(e)))
                .count()
        })
        .unwrap();
    assert_eq!(orphans, 0, "the lost collection's elements are not served");
}

/// A sealed data file cut short behind its hint file's back (a bad copy or restore): the hint
/// file lists records past the file's end, so it is not trusted and the data file is scanned
/// instead. The lost tail — here the batch that created `key-5` — reads as absent, never as an
/// error, and everything before it is served.
#[test]
fn a_sealed_file_cut_short_behind_its_hint_file_is_scanned_instead() {
    let (src, model) = build();
    let last = *data_fids(src.path()).last().unwrap();
    let recs = records(src.path(), last);
    let batch_at = recs[recs.len() - 4].offset;
    // Opening the store seals `last` and writes its hint file (in the background).
    drop(Store::open_with(src.path(), opts()).unwrap());
    let hint = file_path(src.path(), FileKind::Hint, last);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !hint.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(hint.exists(), "the sealed file got its hint file");
    let tmp = copy_store(src.path());
    std::fs::OpenOptions::new()
        .write(true)
        .open(data_path(tmp.path(), last))
        .unwrap()
        .set_len(batch_at + 3)
        .unwrap();
    let mut before = model.clone();
    before.remove(&key(5));
    for open in 0..2 {
        let store = Store::open_with(tmp.path(), opts()).unwrap();
        assert_eq!(observed(&store), before, "open #{}", open + 1);
        assert!(
            store.recovery_report().from_hints < data_fids(tmp.path()).len(),
            "the cut file was scanned, not loaded from its hint file"
        );
    }
}
