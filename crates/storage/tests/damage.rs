//! Torn tails and bit rot (docs/storage-format.md §9): every cut and every flipped bit is
//! detected, reported at the right offset, and never panics; records before the damage are
//! intact, and a torn tail's repair point is exact.

mod common;

use std::path::Path;

use common::{Rec, sample_records, write_data_file};
use kvs_storage::format::HEADER_LEN;
use kvs_storage::{
    Access, DBFile, DataCodec, DecodeError, FileKind, HintCodec, HintEntry, MappedFile, RecordIter,
    RecordPos, RecordRef, StorageError,
};
use proptest::prelude::*;

/// A data file's bytes and the positions of its records.
fn data_file_bytes(n: u64) -> (Vec<u8>, Vec<Rec>, Vec<RecordPos>) {
    let dir = tempfile::tempdir().unwrap();
    let recs = sample_records(n);
    let (f, pos) = write_data_file(dir.path(), 1, &recs);
    (std::fs::read(f.path()).unwrap(), recs, pos)
}

/// One scanned item: offset and record or error.
type Item = (u64, Result<Rec, StorageError>);

/// Scans `bytes` in memory: the items and the report.
fn scan(bytes: &[u8]) -> (Vec<Item>, kvs_storage::ScanReport) {
    let mut it = RecordIter::<DataCodec>::new(bytes, Path::new("mem"));
    let items = it
        .by_ref()
        .map(|(off, r)| (off, r.map(|r| Rec::from_ref(&r))))
        .collect();
    (items, it.into_report())
}

#[test]
fn every_cut_in_the_last_records() {
    let (bytes, recs, pos) = data_file_bytes(10);
    let from = pos[7].offset as usize;
    for cut in from..=bytes.len() {
        let (items, rep) = scan(&bytes[..cut]);
        let complete = pos.iter().take_while(|p| p.end() <= cut as u64).count();
        let prefix = pos[..complete]
            .last()
            .map_or(HEADER_LEN as u64, |p| p.end());
        // all complete records, in order, then at most one error at the prefix end
        for (i, (off, r)) in items.iter().take(complete).enumerate() {
            assert_eq!(*off, pos[i].offset, "cut {cut}");
            assert_eq!(r.as_ref().unwrap(), &recs[i], "cut {cut}");
        }
        assert_eq!(rep.valid_prefix, prefix, "cut {cut}");
        assert_eq!(rep.records, complete as u64, "cut {cut}");
        if cut as u64 == prefix {
            assert!(rep.is_clean(), "cut {cut} is on a boundary");
            assert_eq!(items.len(), complete);
            assert_eq!(rep.torn_tail_at(), None);
        } else {
            assert_eq!(items.len(), complete + 1, "cut {cut}");
            let (off, err) = &items[complete];
            assert_eq!(*off, prefix);
            assert!(
                matches!(err, Err(StorageError::Truncated { offset, .. }) if *offset == prefix),
                "cut {cut}: {err:?}"
            );
            assert_eq!(rep.torn_tail_at(), Some(prefix), "cut {cut}");
        }
    }
}

#[test]
fn zero_filled_tail_is_a_torn_tail() {
    // A crash can leave the file extended with zeros instead of the last bytes.
    let (bytes, _, pos) = data_file_bytes(6);
    for cut in pos[4].offset as usize..bytes.len() {
        let mut b = bytes.clone();
        b[cut..].fill(0);
        let (_, rep) = scan(&b);
        let prefix = pos.iter().rfind(|p| p.end() <= cut as u64).unwrap().end();
        assert_eq!(rep.valid_prefix, prefix, "cut {cut}");
        assert_eq!(rep.torn_tail_at(), Some(prefix), "cut {cut}");
    }
}

#[test]
fn repair_every_cut_on_disk_then_append() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, recs, pos) = data_file_bytes(6);
    let path = dir.path().join("000001.data");
    for cut in pos[4].offset as usize..=bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let mut f = DBFile::open(dir.path(), FileKind::Data, 1, Access::ReadWrite).unwrap();
        let report = {
            let view = f.view().unwrap();
            let mut it = view.records::<DataCodec>().unwrap();
            it.by_ref().for_each(drop);
            it.into_report()
        };
        let complete = pos.iter().filter(|p| p.end() <= cut as u64).count();
        if let Some(at) = report.torn_tail_at() {
            f.truncate_to(at).unwrap();
        }
        assert_eq!(f.len(), report.valid_prefix);
        let late = RecordRef::put(100, b"after-repair", b"ok");
        let p = f.append_record(&late).unwrap();
        f.sync().unwrap();
        drop(f);

        let m = MappedFile::open(dir.path(), FileKind::Data, 1).unwrap();
        let got: Vec<Rec> = m
            .records::<DataCodec>()
            .unwrap()
            .map(|(_, r)| Rec::from_ref(&r.unwrap()))
            .collect();
        let mut want = recs[..complete].to_vec();
        want.push(Rec::from_ref(&late));
        assert_eq!(got, want, "cut {cut}");
        assert_eq!(m.record_at(p.offset).unwrap(), late);
    }
}

#[test]
fn cut_inside_the_header_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _, _) = data_file_bytes(1);
    let path = dir.path().join("000001.data");
    for cut in 0..HEADER_LEN {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = DBFile::open(dir.path(), FileKind::Data, 1, Access::ReadWrite).unwrap_err();
        assert!(
            matches!(e, StorageError::Truncated { offset: 0, .. }),
            "cut {cut}: {e}"
        );
        assert!(MappedFile::open(dir.path(), FileKind::Data, 1).is_err());
    }
}

#[test]
fn every_bit_flip_in_a_middle_record() {
    let (bytes, recs, pos) = data_file_bytes(5);
    let victim = pos[2];
    for bit in victim.offset * 8..victim.end() * 8 {
        let mut b = bytes.clone();
        b[(bit / 8) as usize] ^= 1 << (bit % 8);
        let (items, rep) = scan(&b);
        // records before the damage are intact
        assert_eq!(items[0].1.as_ref().unwrap(), &recs[0], "bit {bit}");
        assert_eq!(items[1].1.as_ref().unwrap(), &recs[1], "bit {bit}");
        // the damaged record is reported at its own offset
        assert_eq!(items[2].0, victim.offset, "bit {bit}");
        assert!(items[2].1.as_ref().unwrap_err().is_damage(), "bit {bit}");
        // resync finds the records after it
        let after: Vec<&Rec> = items[3..]
            .iter()
            .map(|(_, r)| r.as_ref().unwrap())
            .collect();
        assert_eq!(after, vec![&recs[3], &recs[4]], "bit {bit}");
        assert_eq!(rep.valid_prefix, victim.offset);
        assert_eq!(rep.damaged.len(), 1);
        assert_eq!(
            rep.damaged[0].end(),
            victim.end(),
            "bit {bit}: exact resync"
        );
        assert_eq!(rep.torn_tail_at(), None, "bit {bit}: not a torn tail");
        assert_eq!(rep.mid_file_damage().count(), 1);
    }
}

#[test]
fn every_bit_flip_in_the_last_record_looks_like_a_torn_tail() {
    // Documented in §9.2: damage with nothing valid after it cannot be told from a torn write.
    let (bytes, recs, pos) = data_file_bytes(4);
    let victim = pos[3];
    for bit in victim.offset * 8..victim.end() * 8 {
        let mut b = bytes.clone();
        b[(bit / 8) as usize] ^= 1 << (bit % 8);
        let (items, rep) = scan(&b);
        assert_eq!(items.len(), 4, "bit {bit}");
        for i in 0..3 {
            assert_eq!(items[i].1.as_ref().unwrap(), &recs[i]);
        }
        assert_eq!(rep.torn_tail_at(), Some(victim.offset), "bit {bit}");
    }
}

#[test]
fn bit_flips_on_disk_fail_pread_and_mmap_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _, pos) = data_file_bytes(5);
    let path = dir.path().join("000001.data");
    let victim = pos[2];
    for byte in victim.offset..victim.end() {
        let mut b = bytes.clone();
        b[byte as usize] ^= 1 << (byte % 8);
        std::fs::write(&path, &b).unwrap();
        let f = DBFile::open(dir.path(), FileKind::Data, 1, Access::ReadOnly).unwrap();
        let e = f.read_record_at(victim.offset).unwrap_err();
        assert!(e.is_damage(), "byte {byte}: {e}");
        assert!(e.to_string().contains("000001.data"));
        assert!(f.read_record_at(pos[1].offset).is_ok());
        assert!(f.read_record_at(pos[3].offset).is_ok());
        let m = MappedFile::open(dir.path(), FileKind::Data, 1).unwrap();
        assert!(m.record_at(victim.offset).unwrap_err().is_damage());
        assert!(m.record_at(pos[4].offset).is_ok());
    }
}

#[test]
fn every_header_bit_flip_is_rejected_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _, _) = data_file_bytes(2);
    let path = dir.path().join("000001.data");
    for bit in 0..HEADER_LEN * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &b).unwrap();
        let e = DBFile::open(dir.path(), FileKind::Data, 1, Access::ReadOnly).unwrap_err();
        assert!(
            matches!(e, StorageError::Corrupt { offset: 0, .. }),
            "bit {bit}: {e}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("000001.data") && msg.contains("offset 0"),
            "{msg}"
        );
        assert!(MappedFile::open(dir.path(), FileKind::Data, 1).is_err());
    }
}

#[test]
fn garbage_in_the_middle_is_skipped_exactly() {
    let (bytes, recs, pos) = data_file_bytes(6);
    let at = pos[3].offset as usize;
    let garbage: Vec<u8> = (0..37u32).map(|i| (i * 97 + 13) as u8).collect();
    let b = [&bytes[..at], &garbage, &bytes[at..]].concat();
    let (items, rep) = scan(&b);
    let ok: Vec<&Rec> = items.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
    assert_eq!(ok, recs.iter().collect::<Vec<_>>());
    assert_eq!(rep.damaged.len(), 1);
    assert_eq!((rep.damaged[0].offset, rep.damaged[0].len), (at as u64, 37));
}

#[test]
fn hint_file_damage_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let recs = sample_records(4);
    let mut hint = DBFile::create(dir.path(), FileKind::Hint, 1).unwrap();
    let mut off = HEADER_LEN as u64;
    let entries: Vec<HintEntry<'_>> = recs
        .iter()
        .map(|r| {
            let len = r.as_ref().encoded_len() as u32;
            let e = HintEntry::for_record(&r.as_ref(), RecordPos { offset: off, len });
            off += u64::from(len);
            e
        })
        .collect();
    let pos = hint.write_records::<HintCodec>(&entries).unwrap();
    let bytes = std::fs::read(hint.path()).unwrap();
    let victim = pos[1];
    for bit in victim.offset * 8..victim.end() * 8 {
        let mut b = bytes.clone();
        b[(bit / 8) as usize] ^= 1 << (bit % 8);
        let mut it = RecordIter::<HintCodec>::new(&b, Path::new("mem"));
        let items: Vec<_> = it.by_ref().collect();
        assert_eq!(items[0].1.as_ref().unwrap(), &entries[0]);
        assert_eq!(items[1].0, victim.offset);
        assert!(items[1].1.is_err());
        assert_eq!(it.report().valid_prefix, victim.offset);
    }
    // and every cut
    for cut in pos[2].offset as usize..bytes.len() {
        let it = RecordIter::<HintCodec>::new(&bytes[..cut], Path::new("mem"));
        let n_ok = it.filter(|(_, r)| r.is_ok()).count();
        assert_eq!(n_ok, if cut as u64 >= pos[2].end() { 3 } else { 2 });
    }
}

#[test]
fn decode_errors_distinguish_short_from_wrong() {
    let (bytes, _, pos) = data_file_bytes(1);
    let rec = &bytes[pos[0].offset as usize..];
    assert!(matches!(
        kvs_storage::format::decode_frame::<DataCodec>(&rec[..rec.len() - 1]),
        Err(DecodeError::Truncated { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Arbitrary overwrites and cuts: scanning never panics, the valid prefix only ever holds
    /// records that were written, and the report is consistent.
    #[test]
    fn random_damage_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let (mut bytes, recs, pos) = data_file_bytes(8);
        for (i, v) in edits {
            let i = HEADER_LEN + i.index(bytes.len() - HEADER_LEN);
            bytes[i] = v;
        }
        let cut = HEADER_LEN + cut.index(bytes.len() - HEADER_LEN + 1);
        let (items, rep) = scan(&bytes[..cut]);
        prop_assert!(rep.valid_prefix <= cut as u64);
        let mut prefix_items = 0;
        for (off, r) in &items {
            if *off >= rep.valid_prefix { break; }
            let i = pos.iter().position(|p| p.offset == *off).unwrap();
            prop_assert_eq!(r.as_ref().unwrap(), &recs[i]);
            prefix_items += 1;
        }
        prop_assert!(prefix_items as u64 <= rep.records);
        // The scan partitions the records area exactly into valid records and damaged ranges.
        let ok_bytes: u64 = items
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .map(|r| r.as_ref().encoded_len() as u64)
            .sum();
        let damaged: u64 = rep.damaged.iter().map(|d| d.len).sum();
        prop_assert_eq!(ok_bytes + damaged, (cut - HEADER_LEN) as u64);
    }
}
