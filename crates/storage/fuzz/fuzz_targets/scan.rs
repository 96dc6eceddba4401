//! Fuzzes `RecordIter` (`docs/storage-format.md` §9) over arbitrary file bytes, for the three
//! record kinds, and the `ScanReport` it builds.
//!
//! Input: one flags byte (bits 0–1: data, hint or MANIFEST records; bit 2: prepend a valid
//! header, else the bytes are the whole file; bit 3: rewrite the CRCs of the records from the
//! end of the header on, as long as their lengths are plausible, so mutations get past the CRC),
//! then the bytes. Checks, beyond "never panics":
//!
//! * the items tile the file: the first is at `min(24, file_len)`, each starts where the
//!   previous record or damaged range ended, and the scan ends at `file_len`;
//! * a record yielded decodes at its offset with the length it advanced by; `records` counts them;
//! * every damaged range is non-empty, inside the file, in order, not overlapping the others or
//!   any record, is yielded once as an error that is damage and names its offset, and ends at
//!   the end of the file or at the first offset after its start where a record decodes (resync);
//! * `valid_prefix` ≤ `file_len`: the end of the last record before the first damage;
//!   `torn_tail_at`, `tail_damage` and `mid_file_damage` agree with the ranges; and the report
//!   read halfway through is a prefix of the final one.
#![cfg_attr(fuzzing, no_main)]

#[path = "common.rs"]
mod common;

use std::path::Path;

use kvs_storage::format::{HEADER_LEN, decode_frame};
use kvs_storage::{
    DataCodec, EditCodec, FileKind, HintCodec, RecordCodec, RecordIter, ScanReport, StorageError,
};

fn scan<C: RecordCodec>(file: &[u8]) {
    let path = Path::new("fuzz.file");
    let file_len = file.len() as u64;
    let mut it = RecordIter::<C>::new(file, path);
    let start = HEADER_LEN.min(file.len()) as u64;
    assert_eq!(it.position(), start);
    assert_eq!(it.report().valid_prefix, start);

    let mut pos = start;
    let mut records = 0u64;
    let mut damages = 0usize;
    let mut halfway: Option<ScanReport> = None;
    while let Some((offset, item)) = it.next() {
        assert_eq!(
            offset, pos,
            "an item does not start where the previous one ended"
        );
        let next = it.position();
        assert!(
            next > offset && next <= file_len,
            "{offset} -> {next} of {file_len}"
        );
        let at = &file[offset as usize..];
        match item {
            Ok(_) => {
                let (_, len) = decode_frame::<C>(at).expect("a yielded record decodes again");
                assert_eq!(next - offset, len as u64);
                records += 1;
            }
            Err(e) => {
                assert!(e.is_damage(), "{e}");
                let named = match &e {
                    StorageError::Corrupt { offset, .. }
                    | StorageError::Truncated { offset, .. } => Some(*offset),
                    _ => None,
                };
                assert_eq!(named, Some(offset), "{e}");
                assert!(decode_frame::<C>(at).is_err());
                let d = &it.report().damaged[damages];
                assert_eq!((d.offset, d.end()), (offset, next));
                // Resync: the first offset after the damage's start where a record decodes.
                for p in offset + 1..next {
                    assert!(
                        decode_frame::<C>(&file[p as usize..]).is_err(),
                        "damage at {offset}..{next} skips a record at {p}"
                    );
                }
                if next < file_len {
                    assert!(decode_frame::<C>(&file[next as usize..]).is_ok());
                }
                damages += 1;
            }
        }
        assert_eq!(it.report().records, records);
        assert_eq!(it.report().damaged.len(), damages);
        if halfway.is_none() && records + damages as u64 >= 2 {
            halfway = Some(it.report().clone());
        }
        pos = next;
    }
    assert_eq!(pos, file_len, "the scan stopped before the end");
    assert!(it.next().is_none(), "the iterator is not fused");

    let report = it.into_report();
    assert_eq!(report.file_len, file_len);
    assert_eq!(report.records, records);
    assert!(report.valid_prefix <= report.file_len);
    let mut end = start;
    for d in &report.damaged {
        assert!(d.len > 0 && d.offset >= end && d.end() <= file_len, "{d:?}");
        end = d.end();
    }
    match report.damaged.first() {
        Some(first) => assert_eq!(report.valid_prefix, first.offset),
        None => assert_eq!(report.valid_prefix, file_len),
    }
    assert_eq!(report.is_clean(), report.damaged.is_empty());
    let tail = report.tail_damage();
    assert_eq!(tail, report.damaged.last().filter(|d| d.end() == file_len));
    assert_eq!(
        report.mid_file_damage().count() + usize::from(tail.is_some()),
        report.damaged.len()
    );
    let torn = report.damaged.len() == 1 && tail.is_some_and(|d| d.offset == report.valid_prefix);
    assert_eq!(report.torn_tail_at(), torn.then_some(report.valid_prefix));
    if let Some(h) = halfway {
        assert_eq!(h.file_len, report.file_len);
        assert!(h.records <= report.records);
        assert_eq!(h.damaged[..], report.damaged[..h.damaged.len()]);
        if !h.damaged.is_empty() {
            assert_eq!(h.valid_prefix, report.valid_prefix);
        }
    }
}

fn check(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let kind = match flags & 3 {
        0 | 3 => FileKind::Data,
        1 => FileKind::Hint,
        _ => FileKind::Manifest,
    };
    let mut file = if flags & 4 != 0 {
        let mut f = common::header(kind, u64::from(flags >> 4)).to_vec();
        f.extend_from_slice(rest);
        f
    } else {
        rest.to_vec()
    };
    if flags & 8 != 0 {
        match kind {
            FileKind::Data => common::fix_crcs::<DataCodec>(&mut file, HEADER_LEN),
            FileKind::Hint => common::fix_crcs::<HintCodec>(&mut file, HEADER_LEN),
            FileKind::Manifest => common::fix_crcs::<EditCodec>(&mut file, HEADER_LEN),
        };
    }
    match kind {
        FileKind::Data => scan::<DataCodec>(&file),
        FileKind::Hint => scan::<HintCodec>(&file),
        FileKind::Manifest => scan::<EditCodec>(&file),
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

#[cfg(not(fuzzing))]
fn main() -> std::io::Result<()> {
    common::replay(check)
}
