//! MANIFEST replay, torn last edit, mid-file corruption, fid allocation (§6).

use std::collections::BTreeSet;
use std::path::Path;

use kvs_storage::format::HEADER_LEN;
use kvs_storage::{
    Access, Corruption, DBFile, EditCodec, EditError, FileKind, Manifest, ManifestEdit,
    StorageError,
};

fn manifest_path(dir: &Path) -> std::path::PathBuf {
    dir.join("MANIFEST")
}

/// Runs a compaction-like history and returns the live set after it, plus the file offset
/// after each edit (for cutting).
fn history(m: &mut Manifest, rounds: u64) -> (BTreeSet<u64>, Vec<u64>) {
    let mut live = BTreeSet::new();
    let mut ends = Vec::new();
    let end = |m: &Manifest| std::fs::metadata(m.path()).unwrap().len();
    for round in 0..rounds {
        // rotation: a new active file
        let fid = m.allocate_fid().unwrap();
        ends.push(end(m));
        m.add_or_remove(&[fid], &[]).unwrap();
        ends.push(end(m));
        live.insert(fid);
        // every third round, compact the two oldest files into two new ones
        if round % 3 == 2 {
            let outs = m.allocate_fids(2).unwrap();
            ends.push(end(m));
            let ins: Vec<u64> = live.iter().copied().take(2).collect();
            let outs: Vec<u64> = outs.collect();
            m.add_or_remove(&outs, &ins).unwrap();
            ends.push(end(m));
            for f in &ins {
                live.remove(f);
            }
            live.extend(outs);
        }
    }
    (live, ends)
}

#[test]
fn create_then_open_empty() {
    let dir = tempfile::tempdir().unwrap();
    let m = Manifest::create(dir.path()).unwrap();
    assert!(m.live_files().is_empty());
    assert_eq!(m.next_fid(), 1);
    assert_eq!(m.next_seq(), 1);
    drop(m);
    assert!(matches!(
        Manifest::create(dir.path()),
        Err(StorageError::Io { op: "create", .. })
    ));
    let m = Manifest::open(dir.path()).unwrap();
    assert!(m.live_files().is_empty());
    assert!(m.recovered_tail().is_none());
    assert!(!dir.path().join("MANIFEST.tmp").exists());
}

#[test]
fn replay_of_many_edits() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Manifest::create(dir.path()).unwrap();
    let (live, _) = history(&mut m, 40);
    m.raise_next_seq(12345).unwrap();
    m.raise_next_seq(7).unwrap(); // never lowers
    assert_eq!(m.live_files(), &live);
    let state = m.state().clone();
    drop(m);

    let m = Manifest::open(dir.path()).unwrap();
    assert_eq!(m.state(), &state);
    assert_eq!(m.next_seq(), 12345);
    let (replayed, report) = Manifest::replay(dir.path()).unwrap();
    assert_eq!(replayed, state);
    assert!(report.is_clean());
}

#[test]
fn fids_are_never_reused_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = BTreeSet::new();
    Manifest::create(dir.path()).unwrap();
    for _ in 0..5 {
        let mut m = Manifest::open_or_create(dir.path()).unwrap();
        // allocated but never added: still never handed out again
        let unused = m.allocate_fid().unwrap();
        let used = m.allocate_fid().unwrap();
        m.add_or_remove(&[used], &[]).unwrap();
        assert!(seen.insert(unused) && seen.insert(used));
    }
    let m = Manifest::open(dir.path()).unwrap();
    assert_eq!(m.next_fid(), 11);
    assert!(seen.iter().all(|&f| f < m.next_fid()));
}

#[test]
fn invalid_edits_are_rejected_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Manifest::create(dir.path()).unwrap();
    let a = m.allocate_fid().unwrap();
    m.add_or_remove(&[a], &[]).unwrap();
    let len = std::fs::metadata(m.path()).unwrap().len();
    let cases: Vec<(Vec<u64>, Vec<u64>, EditError)> = vec![
        (vec![a], vec![], EditError::AlreadyLive(a)),
        (vec![], vec![a + 1], EditError::NotLive(a + 1)),
        (
            vec![a + 1],
            vec![],
            EditError::NotAllocated {
                fid: a + 1,
                next_fid: a + 1,
            },
        ),
        (vec![0], vec![], EditError::ReservedFid),
        (vec![], vec![a, a], EditError::Duplicate(a)),
    ];
    for (add, remove, want) in cases {
        match m.add_or_remove(&add, &remove) {
            Err(StorageError::InvalidEdit { reason, .. }) => assert_eq!(reason, want),
            other => panic!("{add:?} {remove:?}: {other:?}"),
        }
    }
    let backwards = ManifestEdit {
        next_fid: 1,
        next_seq: 1,
        ..Default::default()
    };
    assert!(m.log_edit(&backwards).is_err());
    assert_eq!(std::fs::metadata(m.path()).unwrap().len(), len);
    assert_eq!(m.live_files(), &BTreeSet::from([a]));
}

#[test]
fn torn_last_edit_is_ignored_at_every_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Manifest::create(dir.path()).unwrap();
    let (live, _) = history(&mut m, 5);
    let victims: Vec<u64> = live.iter().copied().take(2).collect();
    let before_last = m.state().clone();
    let last_start = std::fs::metadata(m.path()).unwrap().len();
    let outs: Vec<u64> = m.allocate_fids(3).unwrap().collect();
    let after_alloc = m.state().clone();
    let alloc_end = std::fs::metadata(m.path()).unwrap().len();
    m.add_or_remove(&outs, &victims).unwrap();
    let full = std::fs::read(m.path()).unwrap();
    drop(m);

    for cut in last_start as usize..full.len() {
        std::fs::write(manifest_path(dir.path()), &full[..cut]).unwrap();
        let (want, valid_end) = if cut < alloc_end as usize {
            (&before_last, last_start)
        } else {
            (&after_alloc, alloc_end)
        };
        let mut m = Manifest::open(dir.path()).unwrap();
        assert_eq!(m.state(), want, "cut {cut}");
        assert_eq!(m.recovered_tail().is_some(), cut as u64 != valid_end);
        // truncated to the last valid edit; new edits follow it
        assert_eq!(std::fs::metadata(m.path()).unwrap().len(), valid_end);
        let fid = m.allocate_fid().unwrap();
        assert!(fid >= want.next_fid());
        m.add_or_remove(&[fid], &[]).unwrap();
        let state = m.state().clone();
        drop(m);
        let m = Manifest::open(dir.path()).unwrap();
        assert_eq!(m.state(), &state, "cut {cut}");
        assert!(m.recovered_tail().is_none());
    }
}

#[test]
fn zero_filled_last_edit_is_torn() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Manifest::create(dir.path()).unwrap();
    history(&mut m, 2);
    let state = m.state().clone();
    let len = std::fs::metadata(m.path()).unwrap().len();
    drop(m);
    let mut bytes = std::fs::read(manifest_path(dir.path())).unwrap();
    bytes.extend_from_slice(&[0u8; 64]);
    std::fs::write(manifest_path(dir.path()), &bytes).unwrap();
    let m = Manifest::open(dir.path()).unwrap();
    assert_eq!(m.state(), &state);
    assert_eq!(std::fs::metadata(m.path()).unwrap().len(), len);
}

#[test]
fn mid_file_corruption_is_an_error_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Manifest::create(dir.path()).unwrap();
    let (_, ends) = history(&mut m, 6);
    drop(m);
    let good = std::fs::read(manifest_path(dir.path())).unwrap();
    // every byte of an edit in the middle, one bit each
    let (start, end) = (ends[4], ends[5]);
    for i in start..end {
        let mut b = good.clone();
        b[i as usize] ^= 1 << (i % 8);
        std::fs::write(manifest_path(dir.path()), &b).unwrap();
        let e = Manifest::open(dir.path()).unwrap_err();
        match &e {
            StorageError::Corrupt { offset, .. } | StorageError::Truncated { offset, .. } => {
                assert_eq!(*offset, start, "byte {i}: {e}")
            }
            other => panic!("byte {i}: {other}"),
        }
        let msg = e.to_string();
        assert!(msg.contains("MANIFEST") && msg.contains(&format!("offset {start}")));
        // nothing was modified
        assert_eq!(std::fs::read(manifest_path(dir.path())).unwrap(), b);
    }
}

#[test]
fn crc_valid_but_illegal_edit_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    Manifest::create(dir.path()).unwrap();
    let mut raw = DBFile::open(dir.path(), FileKind::Manifest, 0, Access::ReadWrite).unwrap();
    let at = raw.len();
    raw.append::<EditCodec>(&ManifestEdit {
        add: vec![5],
        remove: vec![],
        next_fid: 3,
        next_seq: 1,
    })
    .unwrap();
    raw.sync().unwrap();
    drop(raw);
    match Manifest::open(dir.path()).unwrap_err() {
        StorageError::Corrupt {
            offset,
            reason: Corruption::InvalidEdit(EditError::NotAllocated { fid: 5, .. }),
            ..
        } => assert_eq!(offset, at),
        other => panic!("{other}"),
    }
}

#[test]
fn damaged_header_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    Manifest::create(dir.path()).unwrap();
    let mut b = std::fs::read(manifest_path(dir.path())).unwrap();
    b[13] ^= 0x10; // fid byte
    std::fs::write(manifest_path(dir.path()), &b).unwrap();
    assert!(matches!(
        Manifest::open(dir.path()),
        Err(StorageError::Corrupt { offset: 0, .. })
    ));
    std::fs::write(manifest_path(dir.path()), &b[..HEADER_LEN - 3]).unwrap();
    assert!(matches!(
        Manifest::open(dir.path()),
        Err(StorageError::Truncated { offset: 0, .. })
    ));
}

#[test]
fn rewrite_compacts_the_log_and_keeps_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Manifest::create(dir.path()).unwrap();
    history(&mut m, 30);
    let state = m.state().clone();
    let before = std::fs::metadata(m.path()).unwrap().len();
    m.rewrite().unwrap();
    let after = std::fs::metadata(m.path()).unwrap().len();
    assert!(after < before / 4, "{after} vs {before}");
    assert_eq!(m.state(), &state);
    // still appendable, and replays to the same state
    let fid = m.allocate_fid().unwrap();
    m.add_or_remove(&[fid], &[]).unwrap();
    let state = m.state().clone();
    drop(m);
    // a stale tmp from a crashed rewrite is ignored and removed
    std::fs::write(dir.path().join("MANIFEST.tmp"), b"half a manifest").unwrap();
    let m = Manifest::open(dir.path()).unwrap();
    assert_eq!(m.state(), &state);
    assert!(!dir.path().join("MANIFEST.tmp").exists());
}

/// Grown past its bound, the MANIFEST is rewritten as one snapshot edit after the edit that took
/// it there (§6.5): it stays small however many edits it has seen, and replays to the same state.
#[test]
fn a_manifest_past_its_bound_is_rewritten_after_the_edit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut m = Manifest::create(dir).unwrap();
    m.set_rewrite_at(2048);
    let (live, _) = history(&mut m, 400);
    let len = std::fs::metadata(manifest_path(dir)).unwrap().len();
    // The snapshot of a few hundred live fids, plus at most 2 KiB of edits since.
    assert!(
        len <= 4096 + 2048,
        "{len} bytes after 400 rounds: never rewritten"
    );
    assert_eq!(m.live_files(), &live);
    let next_fid = m.next_fid();
    drop(m);
    let (state, report) = Manifest::replay(dir).unwrap();
    assert_eq!(state.live(), &live);
    assert_eq!(state.next_fid(), next_fid);
    assert!(report.damaged.is_empty());
    assert!(!dir.join("MANIFEST.tmp").exists());
}

/// A store that rotates its active file thousands of times keeps a bounded MANIFEST, and
/// reopens with every key.
#[test]
fn a_long_running_store_keeps_its_manifest_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let opts = || kvs_storage::Options {
        max_file_size: 4096,
        manifest_rewrite_at: 1024,
        compaction_interval: None,
        ..Default::default()
    };
    let store = kvs_storage::Store::open_with(dir, opts()).unwrap();
    for i in 0..3000u32 {
        store.set(format!("k{i}").as_bytes(), &[b'v'; 100]).unwrap();
    }
    store.compact().unwrap();
    let len = std::fs::metadata(manifest_path(dir)).unwrap().len();
    assert!(len <= 1024 + 4096, "MANIFEST of {len} bytes");
    drop(store);
    let store = kvs_storage::Store::open_with(dir, opts()).unwrap();
    for i in (0..3000u32).step_by(7) {
        assert_eq!(
            store.get(format!("k{i}").as_bytes()).unwrap(),
            Some(vec![b'v'; 100])
        );
    }
}
