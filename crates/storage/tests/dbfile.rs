//! DBFile life cycle: create, append, read (pread and mmap), seal, map, reopen, delete.

mod common;

use common::{Rec, sample_records, write_data_file};
use kvs_storage::format::HEADER_LEN;
use kvs_storage::{
    Access, DBFile, DataCodec, EditCodec, FileKind, HintCodec, HintEntry, MappedFile, StorageError,
    list_files, sync_dir,
};
use proptest::prelude::*;

#[test]
fn create_writes_a_synced_header_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = DBFile::create(dir.path(), FileKind::Data, 1).unwrap();
    assert_eq!(f.len(), HEADER_LEN as u64);
    assert!(f.is_empty());
    assert_eq!(f.path(), dir.path().join("000001.data"));
    let bytes = std::fs::read(f.path()).unwrap();
    assert_eq!(bytes.len(), HEADER_LEN);
    assert_eq!(&bytes[..8], b"KVS\0DATA");
    // create never overwrites
    assert!(matches!(
        DBFile::create(dir.path(), FileKind::Data, 1),
        Err(StorageError::Io { op: "create", .. })
    ));
    // fid rules
    assert!(matches!(
        DBFile::create(dir.path(), FileKind::Data, 0),
        Err(StorageError::InvalidFid { .. })
    ));
    assert!(matches!(
        DBFile::create(dir.path(), FileKind::Manifest, 3),
        Err(StorageError::InvalidFid { .. })
    ));
}

#[test]
fn append_read_seal_map_reopen_delete() {
    let dir = tempfile::tempdir().unwrap();
    let recs = sample_records(12);
    let (mut f, pos) = write_data_file(dir.path(), 7, &recs[..10]);
    // single appends continue where the batch ended
    let p10 = f.append_record(&recs[10].as_ref()).unwrap();
    let p11 = f.append_record(&recs[11].as_ref()).unwrap();
    assert_eq!(p10.offset, pos[9].end());
    assert_eq!(p11.offset, p10.end());
    let pos: Vec<_> = pos.into_iter().chain([p10, p11]).collect();
    assert_eq!(pos[0].offset, HEADER_LEN as u64);
    assert_eq!(f.len(), pos[11].end());
    f.sync().unwrap();

    // pread path
    for (r, p) in recs.iter().zip(&pos) {
        let buf = f.read_record_at(p.offset).unwrap();
        assert_eq!(Rec::from_ref(&buf.as_record()), *r);
        assert_eq!(buf.as_bytes().len(), p.len as usize);
    }
    // mmap view of the still-writable file
    {
        let view = f.view().unwrap();
        let got: Vec<Rec> = view
            .records::<DataCodec>()
            .unwrap()
            .map(|(_, r)| Rec::from_ref(&r.unwrap()))
            .collect();
        assert_eq!(got, recs);
        assert!(view.records::<HintCodec>().is_err(), "kind is checked");
    }

    // seal: no more writes, then map for readers
    f.seal().unwrap();
    assert!(matches!(
        f.append_record(&recs[0].as_ref()),
        Err(StorageError::Sealed { .. })
    ));
    assert!(matches!(
        f.truncate_to(100),
        Err(StorageError::Sealed { .. })
    ));
    let m = f.into_mapped().unwrap();
    for (r, p) in recs.iter().zip(&pos) {
        assert_eq!(Rec::from_ref(&m.record_at(p.offset).unwrap()), *r);
    }
    // an offset that is not a record start is damage, not a panic
    assert!(m.record_at(pos[3].offset + 1).unwrap_err().is_damage());
    assert!(matches!(
        m.record_at(m.len()),
        Err(StorageError::OutOfBounds { .. })
    ));
    assert!(matches!(
        m.record_at(3),
        Err(StorageError::OutOfBounds { .. })
    ));

    // reopen both ways
    let ro = DBFile::open(dir.path(), FileKind::Data, 7, Access::ReadOnly).unwrap();
    assert!(ro.is_sealed());
    assert_eq!(ro.len(), m.len());
    let m2 = MappedFile::open(dir.path(), FileKind::Data, 7).unwrap();
    assert_eq!(m2.bytes(), m.bytes());
    let mut rw = DBFile::open(dir.path(), FileKind::Data, 7, Access::ReadWrite).unwrap();
    let p = rw
        .append_record(&kvs_storage::RecordRef::put(99, b"late", b"write"))
        .unwrap();
    assert_eq!(p.offset, m.len());
    assert_eq!(rw.read_record_at(p.offset).unwrap().value(), b"write");

    // delete while mapped: the map stays readable
    rw.delete().unwrap();
    sync_dir(dir.path()).unwrap();
    assert!(list_files(dir.path()).unwrap().is_empty());
    assert_eq!(Rec::from_ref(&m.record_at(pos[5].offset).unwrap()), recs[5]);
}

#[test]
fn into_mapped_requires_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let (f, _) = write_data_file(dir.path(), 1, &sample_records(2));
    assert!(matches!(
        f.into_mapped(),
        Err(StorageError::NotSealed { .. })
    ));
}

#[test]
fn open_checks_kind_and_fid() {
    let dir = tempfile::tempdir().unwrap();
    write_data_file(dir.path(), 3, &sample_records(1));
    // the file is renamed to look like fid 4 / a hint file
    std::fs::copy(
        dir.path().join("000003.data"),
        dir.path().join("000004.data"),
    )
    .unwrap();
    std::fs::copy(
        dir.path().join("000003.data"),
        dir.path().join("000003.hint"),
    )
    .unwrap();
    let e = DBFile::open(dir.path(), FileKind::Data, 4, Access::ReadOnly).unwrap_err();
    assert!(matches!(
        e,
        StorageError::WrongFile {
            expected_fid: 4,
            found_fid: 3,
            ..
        }
    ));
    let e = MappedFile::open(dir.path(), FileKind::Hint, 3).unwrap_err();
    assert!(matches!(
        e,
        StorageError::WrongFile {
            expected: FileKind::Hint,
            found: FileKind::Data,
            ..
        }
    ));
    let msg = e.to_string();
    assert!(msg.contains("000003.hint") && msg.contains("hint") && msg.contains("data"));
    // missing file
    assert!(matches!(
        DBFile::open(dir.path(), FileKind::Data, 9, Access::ReadOnly),
        Err(StorageError::Io { op: "open", .. })
    ));
}

#[test]
fn codec_must_match_file_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = DBFile::create(dir.path(), FileKind::Hint, 2).unwrap();
    assert!(matches!(
        f.append_record(&kvs_storage::RecordRef::put(1, b"k", b"v")),
        Err(StorageError::KindMismatch { .. })
    ));
    assert!(matches!(
        f.append::<EditCodec>(&Default::default()),
        Err(StorageError::KindMismatch { .. })
    ));
    assert_eq!(f.len(), HEADER_LEN as u64, "nothing written");
}

#[test]
fn encode_errors_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = DBFile::create(dir.path(), FileKind::Data, 1).unwrap();
    let good = kvs_storage::RecordRef::put(1, b"k", b"v");
    let bad = kvs_storage::RecordRef::put(0, b"k", b"v"); // seq 0 is reserved
    assert!(matches!(
        f.write_records::<DataCodec>(&[good, bad]),
        Err(StorageError::Encode(_))
    ));
    assert_eq!(f.len(), HEADER_LEN as u64);
    assert_eq!(
        std::fs::metadata(f.path()).unwrap().len(),
        HEADER_LEN as u64
    );
}

#[test]
fn hint_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let recs = sample_records(9);
    let (mut data, pos) = write_data_file(dir.path(), 5, &recs);
    data.seal().unwrap();
    let data = data.into_mapped().unwrap();

    let mut hint = DBFile::create(dir.path(), FileKind::Hint, 5).unwrap();
    let entries: Vec<HintEntry<'_>> = recs
        .iter()
        .zip(&pos)
        .map(|(r, p)| HintEntry::for_record(&r.as_ref(), *p))
        .collect();
    hint.write_records::<HintCodec>(&entries).unwrap();
    hint.seal().unwrap();
    let hint = hint.into_mapped().unwrap();

    let mut n = 0;
    for ((_, h), r) in hint.records::<HintCodec>().unwrap().zip(&recs) {
        let h = h.unwrap();
        assert_eq!(h.key, &r.key[..]);
        assert_eq!(h.seq, r.seq);
        // the hint locates the value without decoding the record
        let v = &data.bytes()[h.value_offset() as usize..][..h.value_len() as usize];
        assert_eq!(v, &r.value[..]);
        assert_eq!(Rec::from_ref(&data.record_at(h.pos.offset).unwrap()), *r);
        n += 1;
    }
    assert_eq!(n, recs.len());
}

#[test]
fn truncate_to_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let (mut f, pos) = write_data_file(dir.path(), 1, &sample_records(3));
    for bad in [0, HEADER_LEN as u64 - 1, f.len() + 1] {
        assert!(matches!(
            f.truncate_to(bad),
            Err(StorageError::BadTruncate { .. })
        ));
    }
    f.truncate_to(pos[1].offset).unwrap();
    assert_eq!(f.len(), pos[1].offset);
    assert_eq!(std::fs::metadata(f.path()).unwrap().len(), pos[1].offset);
    assert!(matches!(
        f.read_record_at(pos[1].offset),
        Err(StorageError::OutOfBounds { .. })
    ));
}

fn arb_rec() -> impl Strategy<Value = Rec> {
    (
        any::<bool>(),
        proptest::option::of(any::<u64>()),
        proptest::collection::vec(any::<u8>(), 0..24),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(tombstone, exp, key, value)| Rec {
            seq: 0,
            tombstone,
            expire_at_ms: if tombstone { None } else { exp },
            key,
            value: if tombstone { Vec::new() } else { value },
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Batches of random records: every read path returns exactly what was written.
    #[test]
    fn batches_round_trip(batches in proptest::collection::vec(
        proptest::collection::vec(arb_rec(), 1..8), 1..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut f = DBFile::create(dir.path(), FileKind::Data, 1).unwrap();
        let mut all = Vec::new();
        let mut seq = 0;
        for batch in batches {
            let batch: Vec<Rec> = batch
                .into_iter()
                .map(|r| { seq += 1; Rec { seq, ..r } })
                .collect();
            let refs: Vec<_> = batch.iter().map(Rec::as_ref).collect();
            let pos = f.write_records::<DataCodec>(&refs).unwrap();
            all.extend(batch.into_iter().zip(pos));
        }
        f.sync().unwrap();
        for (r, p) in &all {
            prop_assert_eq!(&Rec::from_ref(&f.read_record_at(p.offset).unwrap().as_record()), r);
        }
        let view = f.view().unwrap();
        let mut it = view.records::<DataCodec>().unwrap();
        for ((off, got), (r, p)) in it.by_ref().zip(&all) {
            prop_assert_eq!(off, p.offset);
            prop_assert_eq!(&Rec::from_ref(&got.unwrap()), r);
        }
        prop_assert!(it.next().is_none());
        let rep = it.report();
        prop_assert!(rep.is_clean());
        prop_assert_eq!(rep.valid_prefix, f.len());
        prop_assert_eq!(rep.records, all.len() as u64);
    }
}

#[test]
fn mapped_files_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<MappedFile>();
    send_sync::<DBFile>();
    send_sync::<kvs_storage::Manifest>();

    let dir = tempfile::tempdir().unwrap();
    let recs = sample_records(16);
    let (mut f, pos) = write_data_file(dir.path(), 1, &recs);
    f.seal().unwrap();
    let m = std::sync::Arc::new(f.into_mapped().unwrap());
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let (m, recs, pos) = (m.clone(), recs.clone(), pos.clone());
            std::thread::spawn(move || {
                for (r, p) in recs.iter().zip(&pos).skip(t).step_by(2) {
                    assert_eq!(Rec::from_ref(&m.record_at(p.offset).unwrap()), *r);
                }
            })
        })
        .collect();
    // deleting the file under the readers is safe (§8)
    std::fs::remove_file(m.path()).unwrap();
    for h in handles {
        h.join().unwrap();
    }
}
