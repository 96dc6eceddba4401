//! `kvs_storage::check`: stores damaged on purpose — a torn tail, a flipped bit in the middle of a
//! file, a flipped header, damaged and stale hint files, a torn MANIFEST edit, leftover and
//! missing files — are reported exactly; `--repair` fixes them after saving the removed bytes,
//! a second check is clean, and the store opens and serves every intact key.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use kvs_storage::check::{HeaderFault, HintStatus, Problem, ProblemKind};
use kvs_storage::format::HEADER_LEN;
use kvs_storage::{
    CheckOptions, CheckReport, CheckStatus, Corruption, DBFile, DecodeError, Fid, FileKind,
    HintCodec, HintEntry, Manifest, ManifestEdit, MappedFile, Options, RecordRef, StorageError,
    Store, check, file_name, file_path,
};
use support::{Found, all_records, data_fids, data_path, records};

fn opts() -> Options {
    Options {
        compaction_interval: None,
        readers: 1,
        ..support::small_opts(2048)
    }
}

/// A store built in two sessions, and what it holds.
struct Built {
    tmp: tempfile::TempDir,
    /// Key → value, as the store should serve it.
    model: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Key → the fid and record of its newest version (tombstones included), before damage.
    newest: HashMap<Vec<u8>, (Fid, Found)>,
}

impl Built {
    fn dir(&self) -> &Path {
        self.tmp.path()
    }
}

/// Session 1 (rotating every ~2 KiB, so several sealed files): 150 keys, 20 overwritten, 10
/// deleted, and one three-key atomic batch in the middle. Session 2 (the last active file): ten
/// keys, then `last`.
fn build() -> Built {
    let tmp = tempfile::tempdir().unwrap();
    let mut model = BTreeMap::new();
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    for i in 0..150 {
        let (k, v) = (
            format!("a-{i:03}").into_bytes(),
            format!("value of a-{i:03} ").repeat(1 + i % 3).into_bytes(),
        );
        store.set(&k, &v).unwrap();
        model.insert(k, v);
        if i == 75 {
            store
                .execute(|t| {
                    for j in 0..3 {
                        t.put(format!("b-{j}").as_bytes(), b"batch value", None);
                    }
                })
                .unwrap();
            for j in 0..3 {
                model.insert(format!("b-{j}").into_bytes(), b"batch value".to_vec());
            }
        }
    }
    for i in 0..20 {
        let (k, v) = (format!("a-{i:03}").into_bytes(), b"overwritten".to_vec());
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    for i in 20..30 {
        let k = format!("a-{i:03}").into_bytes();
        assert!(store.remove(&k).unwrap());
        model.remove(&k);
    }
    drop(store);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    for i in 0..10 {
        let (k, v) = (
            format!("c-{i}").into_bytes(),
            format!("cee {i}").into_bytes(),
        );
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    store.set(b"last", b"the last write").unwrap();
    model.insert(b"last".to_vec(), b"the last write".to_vec());
    drop(store);
    let mut newest: HashMap<Vec<u8>, (Fid, Found)> = HashMap::new();
    for (fid, r) in all_records(tmp.path()) {
        if newest.get(&r.key).is_none_or(|(_, cur)| cur.seq < r.seq) {
            newest.insert(r.key.clone(), (fid, r));
        }
    }
    let built = Built { tmp, model, newest };
    assert!(sealed_with_hint(&built).len() >= 3, "too few sealed files");
    built
}

/// Data files with records and a hint file (sealed, compacted or rotated), ascending.
fn sealed_with_hint(b: &Built) -> Vec<Fid> {
    data_fids(b.dir())
        .into_iter()
        .filter(|&f| file_path(b.dir(), FileKind::Hint, f).exists())
        .filter(|&f| !records(b.dir(), f).is_empty())
        .collect()
}

/// The newest data file: the last active one, which ends with `last`.
fn last_active(b: &Built) -> Fid {
    *data_fids(b.dir()).last().unwrap()
}

fn check_only(dir: &Path) -> CheckReport {
    check(dir, &CheckOptions::default()).unwrap()
}

fn repair(dir: &Path) -> CheckReport {
    let r = check(dir, &CheckOptions { repair: true }).unwrap();
    println!("{r}");
    r
}

fn problem(file: impl Into<String>, kind: ProblemKind) -> Problem {
    Problem {
        file: file.into(),
        kind,
    }
}

fn data_name(fid: Fid) -> String {
    file_name(FileKind::Data, fid)
}

fn hint_name(fid: Fid) -> String {
    file_name(FileKind::Hint, fid)
}

fn flip(path: &Path, at: u64) {
    let mut b = std::fs::read(path).unwrap();
    b[at as usize] ^= 0x10;
    std::fs::write(path, b).unwrap();
}

fn backup_dir(r: &CheckReport) -> PathBuf {
    r.repair.as_ref().unwrap().backup_dir.clone().unwrap()
}

/// The checks every successful repair must pass: the report says repaired, the check after the
/// repair and a fresh one are clean, and the store opens without recovering anything.
fn assert_repaired(r: &CheckReport, dir: &Path) {
    assert_eq!(r.status(), CheckStatus::Repaired, "{r}");
    let again = check_only(dir);
    assert_eq!(again.status(), CheckStatus::Clean, "{again}");
    assert!(again.problems.is_empty());
    assert_eq!(again.keys(), r.repair.as_ref().unwrap().after.keys());
}

/// Opens the store and checks that every key of the model not in `lost` has its value, and that
/// the lost ones do not have it (they are gone, or show an older version).
fn assert_serves(b: &Built, lost: &BTreeSet<Vec<u8>>) {
    let store = Store::open_with(b.dir(), opts()).unwrap();
    let rep = store.recovery_report().clone();
    assert!(
        rep.damaged.is_empty() && rep.torn_tails.is_empty(),
        "recovery after repair: {rep:?}"
    );
    for (k, v) in &b.model {
        let got = store.get(k).unwrap();
        if lost.contains(k) {
            assert_ne!(got.as_ref(), Some(v), "{:?}", String::from_utf8_lossy(k));
        } else {
            assert_eq!(got.as_ref(), Some(v), "{:?}", String::from_utf8_lossy(k));
        }
    }
    let keys = support::all_keys(&store);
    for k in &keys {
        assert!(
            b.model.contains_key(k) || lost.contains(k),
            "resurrected {:?}",
            String::from_utf8_lossy(k)
        );
    }
}

/// A record of `fid` in the middle of the file whose key is not written anywhere else.
fn lone_record(b: &Built, fid: Fid) -> Found {
    let recs = records(b.dir(), fid);
    let count = |k: &[u8]| {
        all_records(b.dir())
            .iter()
            .filter(|(_, r)| r.key == k)
            .count()
    };
    recs.iter()
        .skip(recs.len() / 2)
        .find(|r| !r.tombstone && !r.batch_open && count(&r.key) == 1)
        .cloned()
        .unwrap()
}

#[test]
fn a_clean_store_is_clean_and_agrees_with_recovery() {
    let b = build();
    let r = check_only(b.dir());
    println!("{r}");
    assert_eq!(r.status(), CheckStatus::Clean);
    assert!(r.problems.is_empty());
    assert!(r.manifest.replayed);
    assert_eq!(r.keys(), b.model.len() as u64);
    assert_eq!(r.records(), all_records(b.dir()).len() as u64);
    assert_eq!(
        r.files.iter().map(|f| f.fid).collect::<Vec<_>>(),
        data_fids(b.dir())
    );
    for f in &r.files {
        assert_eq!(f.live_bytes + f.dead_bytes, f.size - HEADER_LEN as u64);
        let hint = file_path(b.dir(), FileKind::Hint, f.fid).exists();
        assert_eq!(matches!(f.hint, HintStatus::Valid { .. }), hint);
    }
    assert!(r.file(last_active(&b)).unwrap().last_active);
    assert!(
        r.dead_bytes() > 0,
        "overwrites and deletes leave dead bytes"
    );

    // Repairing a clean store changes nothing and writes no backup.
    let before = support::dir_bytes(b.dir());
    let r2 = check(b.dir(), &CheckOptions { repair: true }).unwrap();
    assert_eq!(r2.status(), CheckStatus::Clean);
    assert!(r2.repair.is_none());
    assert_eq!(support::dir_bytes(b.dir()), before);

    // The store, opened on the same files, counts the same keys and dead bytes.
    let store = Store::open_with(b.dir(), opts()).unwrap();
    let stats = store.stats();
    assert_eq!(stats.keys as u64, r.keys());
    for (fid, s) in &stats.files {
        if let Some(f) = r.file(*fid) {
            assert_eq!((s.total, s.dead), (f.size, f.dead_bytes), "file {fid}");
        }
    }
    drop(store);
    assert_serves(&b, &BTreeSet::new());
}

#[test]
fn torn_tail_of_the_last_active_file() {
    let b = build();
    let fid = last_active(&b);
    let last = records(b.dir(), fid).pop().unwrap();
    assert_eq!(last.key, b"last");
    let path = data_path(b.dir(), fid);
    let full = std::fs::read(&path).unwrap();
    let cut = full.len() as u64 - 3;
    std::fs::write(&path, &full[..cut as usize]).unwrap();

    let r = check_only(b.dir());
    assert_eq!(r.status(), CheckStatus::Damaged);
    assert_eq!(
        r.problems,
        vec![problem(
            data_name(fid),
            ProblemKind::TornTail {
                offset: last.offset,
                len: cut - last.offset
            }
        )]
    );
    assert!(r.to_string().contains("torn tail at offset"), "{r}");

    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    let saved = backup_dir(&r).join(format!("{}.{}.bin", data_name(fid), last.offset));
    assert_eq!(
        std::fs::read(saved).unwrap(),
        &full[last.offset as usize..cut as usize]
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), last.offset);
    assert_serves(&b, &BTreeSet::from([b"last".to_vec()]));
}

#[test]
fn bit_flip_in_the_middle_of_a_sealed_file() {
    let b = build();
    let fid = sealed_with_hint(&b)[0];
    let active = last_active(&b);
    let victim = lone_record(&b, fid);
    let path = data_path(b.dir(), fid);
    flip(&path, victim.offset + victim.len - 2);
    let damaged = std::fs::read(&path).unwrap();

    let r = check_only(b.dir());
    println!("{r}");
    assert_eq!(r.problems.len(), 2, "{r}");
    assert!(matches!(
        &r.problems[0],
        Problem { file, kind: ProblemKind::Corrupt { offset, len, error: DecodeError::Corrupt(Corruption::ChecksumMismatch { .. }) } }
            if *file == data_name(fid) && *offset == victim.offset && *len == victim.len
    ));
    assert!(matches!(
        &r.problems[1],
        Problem { file, kind: ProblemKind::StaleHint { .. } } if *file == hint_name(fid)
    ));
    assert_eq!(r.file(fid).unwrap().hint, HintStatus::Invalid);
    assert_eq!(r.keys(), b.model.len() as u64 - 1);

    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    let backup = backup_dir(&r);
    assert_eq!(
        std::fs::read(backup.join(format!("{}.{}.bin", data_name(fid), victim.offset))).unwrap(),
        &damaged[victim.offset as usize..(victim.offset + victim.len) as usize]
    );
    // The whole original file and its hint file are kept.
    assert_eq!(std::fs::read(backup.join(data_name(fid))).unwrap(), damaged);
    assert!(backup.join(hint_name(fid)).exists());
    // The rewritten file replaced it in the live set, with a valid hint file.
    let after = &r.repair.as_ref().unwrap().after;
    assert!(after.file(fid).is_none());
    let new = after.files.iter().map(|f| f.fid).max().unwrap();
    assert!(new > active);
    assert!(matches!(
        after.file(new).unwrap().hint,
        HintStatus::Valid { .. }
    ));
    assert!(!path.exists());
    assert_serves(&b, &BTreeSet::from([victim.key]));
}

#[test]
fn flipped_header_of_a_sealed_file() {
    let b = build();
    let fid = sealed_with_hint(&b)[1];
    let path = data_path(b.dir(), fid);
    flip(&path, 12); // the fid field: caught by the header CRC
    let header = std::fs::read(&path).unwrap()[..HEADER_LEN].to_vec();

    // The store cannot open it (on a copy: a failed open may still change files).
    let copy = support::copy_store(b.dir());
    assert!(Store::open_with(copy.path(), opts()).is_err());

    let r = check_only(b.dir());
    assert_eq!(r.problems.len(), 1, "{r}");
    assert!(matches!(
        &r.problems[0],
        Problem { file, kind: ProblemKind::BadHeader(HeaderFault::Decode(DecodeError::Corrupt(Corruption::ChecksumMismatch { .. }))) }
            if *file == data_name(fid)
    ));
    // The records after the header are intact, and still counted.
    assert_eq!(r.keys(), b.model.len() as u64);

    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    let saved = backup_dir(&r).join(format!("{}.0.bin", data_name(fid)));
    assert_eq!(std::fs::read(saved).unwrap(), header);
    assert_serves(&b, &BTreeSet::new());
}

#[test]
fn damaged_hint_file() {
    let b = build();
    let fid = sealed_with_hint(&b)[0];
    let path = file_path(b.dir(), FileKind::Hint, fid);
    let len = std::fs::metadata(&path).unwrap().len();
    flip(&path, len / 2);
    let damaged = std::fs::read(&path).unwrap();

    let r = check_only(b.dir());
    assert!(!r.problems.is_empty());
    assert!(
        r.problems
            .iter()
            .all(|p| p.file == hint_name(fid) && matches!(p.kind, ProblemKind::Corrupt { .. })),
        "{r}"
    );
    assert_eq!(r.keys(), b.model.len() as u64);

    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    assert_eq!(
        std::fs::read(backup_dir(&r).join(hint_name(fid))).unwrap(),
        damaged
    );
    assert!(!path.exists());
    assert_serves(&b, &BTreeSet::new());
}

/// A hint file whose every CRC is valid but that says something else than its data file: the
/// store would trust it.
#[test]
fn stale_hint_file() {
    let b = build();
    let fid = sealed_with_hint(&b)[1];
    let recs = records(b.dir(), fid);
    let path = file_path(b.dir(), FileKind::Hint, fid);
    std::fs::remove_file(&path).unwrap();
    let mut hint = DBFile::create(b.dir(), FileKind::Hint, fid).unwrap();
    let entries: Vec<HintEntry<'_>> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let rec = if r.tombstone {
                RecordRef::delete(r.seq, &r.key)
            } else {
                RecordRef::put(r.seq + u64::from(i == 2), &r.key, &r.value)
            };
            HintEntry::for_record(
                &rec,
                kvs_storage::RecordPos {
                    offset: r.offset,
                    len: r.len as u32,
                },
            )
        })
        .collect();
    hint.write_records::<HintCodec>(&entries).unwrap();
    hint.sync().unwrap();
    drop(hint);
    // A correct footer (§5.1): the entry, not the footer, is what is stale.
    let data = std::fs::read(file_path(b.dir(), FileKind::Data, fid)).unwrap();
    let footer = kvs_storage::HintFooter::of_data(&data, entries.last().map(|h| h.pos)).unwrap();
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(&footer.encode())
        .unwrap();

    let r = check_only(b.dir());
    assert_eq!(r.problems.len(), 1, "{r}");
    match &r.problems[0] {
        Problem {
            file,
            kind: ProblemKind::StaleHint { detail },
        } if *file == hint_name(fid) => assert!(detail.starts_with("entry 2 "), "{detail}"),
        p => panic!("{p:?}"),
    }
    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    assert_serves(&b, &BTreeSet::new());
}

#[test]
fn torn_manifest_edit() {
    for zeros in [false, true] {
        let b = build();
        let path = b.dir().join("MANIFEST");
        let len = std::fs::metadata(&path).unwrap().len();
        let mut edit = Vec::new();
        ManifestEdit {
            add: vec![],
            remove: vec![],
            next_fid: 1000,
            next_seq: 1,
        }
        .encode_into(&mut edit)
        .unwrap();
        // Half an edit, or a whole edit's length of zeros (an extended but unwritten file).
        let tail = if zeros {
            vec![0; edit.len()]
        } else {
            edit[..edit.len() / 2].to_vec()
        };
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&tail);
        std::fs::write(&path, &bytes).unwrap();

        let r = check_only(b.dir());
        assert_eq!(
            r.problems,
            vec![problem(
                "MANIFEST",
                ProblemKind::TornTail {
                    offset: len,
                    len: tail.len() as u64
                }
            )],
            "zeros: {zeros}"
        );
        assert!(r.manifest.replayed);
        assert!(r.to_string().contains("torn last edit at offset"));

        let r = repair(b.dir());
        assert_repaired(&r, b.dir());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
        let saved = backup_dir(&r).join(format!("MANIFEST.{len}.bin"));
        assert_eq!(std::fs::read(saved).unwrap(), tail);
        assert_serves(&b, &BTreeSet::new());
    }
}

#[test]
fn leftover_files_not_in_the_manifest() {
    let b = build();
    let (state, _) = Manifest::replay(b.dir()).unwrap();
    let orphan = state.next_fid() + 3;
    let mut f = DBFile::create(b.dir(), FileKind::Data, orphan).unwrap();
    f.append_record(&RecordRef::put(1_000_000, b"orphan", b"never live"))
        .unwrap();
    f.sync().unwrap();
    drop(f);
    DBFile::create(b.dir(), FileKind::Hint, orphan).unwrap();
    std::fs::copy(b.dir().join("MANIFEST"), b.dir().join("MANIFEST.tmp")).unwrap();
    // The compactor's temporary directory for hint files, left by a crash.
    std::fs::create_dir(b.dir().join("hint.tmp")).unwrap();
    std::fs::write(b.dir().join("hint.tmp").join("000001.hint"), b"half").unwrap();
    let orphan_bytes = std::fs::read(data_path(b.dir(), orphan)).unwrap();

    let r = check_only(b.dir());
    assert_eq!(
        r.problems,
        vec![
            problem("MANIFEST.tmp", ProblemKind::Leftover),
            problem("hint.tmp", ProblemKind::Leftover),
            problem(data_name(orphan), ProblemKind::Leftover),
            problem(hint_name(orphan), ProblemKind::Leftover),
        ]
    );
    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    let backup = backup_dir(&r);
    assert_eq!(
        std::fs::read(backup.join(data_name(orphan))).unwrap(),
        orphan_bytes
    );
    assert!(backup.join(hint_name(orphan)).exists());
    assert!(backup.join("MANIFEST.tmp").exists());
    assert!(backup.join("hint.tmp").join("000001.hint").exists());
    assert!(!data_path(b.dir(), orphan).exists());
    assert_serves(&b, &BTreeSet::new());
}

#[test]
fn missing_live_file() {
    let b = build();
    let fid = sealed_with_hint(&b)[1];
    std::fs::remove_file(data_path(b.dir(), fid)).unwrap();

    let copy = support::copy_store(b.dir());
    assert!(Store::open_with(copy.path(), opts()).is_err());

    let r = check_only(b.dir());
    assert_eq!(
        r.problems,
        vec![problem(data_name(fid), ProblemKind::Missing)]
    );
    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    assert!(
        !r.repair
            .as_ref()
            .unwrap()
            .after
            .manifest
            .live
            .contains(&fid)
    );
    // Its hint file went into the backup with it.
    assert!(backup_dir(&r).join(hint_name(fid)).exists());
    let lost: BTreeSet<Vec<u8>> = b
        .newest
        .iter()
        .filter(|(_, (f, _))| *f == fid)
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!lost.is_empty());
    assert_serves(&b, &lost);
}

/// A flipped bit in the second record of a three-record atomic batch: recovery never applies the
/// first one (its batch never closes), so the check reports it with the damage, and the repair
/// drops it — and keeps the third, which recovery applies on its own (§4.2, §11.5).
#[test]
fn damage_inside_an_atomic_batch() {
    let b = build();
    let (fid, batch): (Fid, Vec<Found>) = data_fids(b.dir())
        .into_iter()
        .find_map(|fid| {
            let v: Vec<Found> = records(b.dir(), fid)
                .into_iter()
                .filter(|r| r.key.starts_with(b"b-"))
                .collect();
            (!v.is_empty()).then_some((fid, v))
        })
        .unwrap();
    assert_eq!(batch.len(), 3, "the batch is in one file");
    assert_ne!(fid, last_active(&b));
    let path = data_path(b.dir(), fid);
    flip(&path, batch[1].offset + batch[1].len - 1);

    let r = check_only(b.dir());
    let data: Vec<&ProblemKind> = r.problems_of(&data_name(fid));
    assert_eq!(data.len(), 2, "{r}");
    assert_eq!(
        data[0],
        &ProblemKind::DroppedBatch {
            offset: batch[0].offset,
            len: batch[0].len
        }
    );
    assert!(
        matches!(data[1], ProblemKind::Corrupt { offset, len, .. } if *offset == batch[1].offset && *len == batch[1].len)
    );
    assert!(
        r.problems
            .iter()
            .all(|p| p.file == data_name(fid) || p.file == hint_name(fid))
    );

    let r = repair(b.dir());
    assert_repaired(&r, b.dir());
    assert_serves(&b, &BTreeSet::from([b"b-0".to_vec(), b"b-1".to_vec()]));
}

/// Damage before the last edit of the MANIFEST: the store refuses to open, and so does the
/// repair — nothing is changed, nothing is guessed (§6.4).
#[test]
fn manifest_damaged_in_the_middle_is_not_repaired() {
    let b = build();
    let path = b.dir().join("MANIFEST");
    flip(&path, HEADER_LEN as u64 + 6);
    let listing = |dir: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = listing(b.dir());

    let r = check_only(b.dir());
    assert!(!r.manifest.replayed);
    assert!(matches!(
        r.problems.as_slice(),
        [Problem { file, kind: ProblemKind::Corrupt { offset: 24, .. } }] if file == "MANIFEST"
    ));
    let r = repair(b.dir());
    assert_eq!(r.status(), CheckStatus::Damaged);
    let rep = r.repair.as_ref().unwrap();
    assert!(rep.backup_dir.is_none() && rep.actions.is_empty());
    assert_eq!(rep.skipped.len(), 1);
    assert_eq!(listing(b.dir()), before);
    assert!(r.to_string().contains("not repaired"));
}

#[test]
fn a_running_store_is_refused() {
    let b = build();
    let store = Store::open_with(b.dir(), opts()).unwrap();
    for repair in [false, true] {
        match check(b.dir(), &CheckOptions { repair }) {
            Err(StorageError::Locked { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    drop(store);
    assert_eq!(check_only(b.dir()).status(), CheckStatus::Clean);
}

#[test]
fn not_a_store() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in [tmp.path().to_path_buf(), tmp.path().join("nope")] {
        match check(&dir, &CheckOptions { repair: true }) {
            Err(StorageError::Io { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// All of the above at once, in one store.
#[test]
fn everything_at_once() {
    let b = build();
    let dir = b.dir();
    let sealed = sealed_with_hint(&b);
    let (flipped, headless, gone) = (sealed[0], sealed[1], sealed[2]);
    let active = last_active(&b);
    // torn tail
    let path = data_path(dir, active);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 1)
        .unwrap();
    // bit flip in the middle, bad header, missing file
    let victim = lone_record(&b, flipped);
    flip(&data_path(dir, flipped), victim.offset + 30);
    flip(&data_path(dir, headless), 2);
    std::fs::remove_file(data_path(dir, gone)).unwrap();
    // torn MANIFEST edit, leftover
    let mut m = std::fs::read(dir.join("MANIFEST")).unwrap();
    let mut edit = Vec::new();
    ManifestEdit {
        next_fid: 999,
        next_seq: 1,
        ..Default::default()
    }
    .encode_into(&mut edit)
    .unwrap();
    m.extend_from_slice(&edit[..edit.len() - 1]);
    std::fs::write(dir.join("MANIFEST"), m).unwrap();
    DBFile::create(dir, FileKind::Data, 500).unwrap();

    let r = check_only(dir);
    println!("{r}");
    let mut kinds: Vec<(String, &'static str)> = r
        .problems
        .iter()
        .map(|p| {
            let k = match p.kind {
                ProblemKind::Missing => "missing",
                ProblemKind::Leftover => "leftover",
                ProblemKind::BadHeader(_) => "header",
                ProblemKind::TornTail { .. } => "torn",
                ProblemKind::Corrupt { .. } => "corrupt",
                ProblemKind::StaleHint { .. } => "stale",
                _ => "other",
            };
            (p.file.clone(), k)
        })
        .collect();
    kinds.sort();
    let mut want = vec![
        ("MANIFEST".to_string(), "torn"),
        (data_name(500), "leftover"),
        (data_name(active), "torn"),
        (data_name(flipped), "corrupt"),
        (hint_name(flipped), "stale"),
        (data_name(headless), "header"),
        (data_name(gone), "missing"),
    ];
    want.sort();
    assert_eq!(kinds, want);

    let r = repair(dir);
    assert_repaired(&r, dir);
    let lost: BTreeSet<Vec<u8>> = b
        .newest
        .iter()
        .filter(|(_, (f, _))| *f == gone)
        .map(|(k, _)| k.clone())
        .chain([victim.key.clone(), b"last".to_vec()])
        .collect();
    assert_serves(&b, &lost);
    // Nothing the store reads is left in a state it would repair by itself.
    let store = Store::open_with(dir, opts()).unwrap();
    assert_eq!(store.recovery_report().orphans_removed, 0);
    drop(store);
    // MappedFile::open accepts every live data file again.
    for f in &check_only(dir).files {
        MappedFile::open(dir, FileKind::Data, f.fid).unwrap();
    }
}
