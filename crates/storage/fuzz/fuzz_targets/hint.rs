//! Fuzzes hint-entry decoding (`docs/storage-format.md` §5): `decode_frame::<HintCodec>` and
//! `RecordIter<HintCodec>` over a hint file made of the input.
//!
//! Input: one flags byte, then the bytes; flag bit 2 rewrites the CRCs of the entries the bytes
//! start with (`common::fix_crcs`), so mutations get past the CRC. Checks, beyond "never panics":
//!
//! * every entry that decodes is valid and re-encodes to exactly the bytes it was decoded from;
//! * every proper prefix of a decoded entry is `Truncated`;
//! * the entry describes a data record that can exist: the record with its seq, flags, key and a
//!   value of `value_len()` bytes encodes to `pos.len` bytes, and `HintEntry::for_record` of it
//!   at `pos` is the entry itself; the value lies inside `pos`;
//! * flag bit 0: the bytes behind a valid hint-file header, scanned: each entry yielded
//!   re-encodes to the file's bytes at its offset;
//! * flag bit 1: the bytes are read as the fields of an entry to encode: an entry that validates
//!   round-trips, one that does not appends nothing.
#![cfg_attr(fuzzing, no_main)]

#[path = "common.rs"]
mod common;

use std::path::Path;

use kvs_storage::format::{FLAG_EXPIRES, FLAG_TOMBSTONE, decode_frame};
use kvs_storage::{FileKind, HintCodec, HintEntry, RecordCodec, RecordIter, RecordPos, RecordRef};

/// The round-trip checks for an entry decoded from the start of `buf`.
fn check_decoded(h: &HintEntry<'_>, buf: &[u8], len: usize) {
    assert_eq!(
        h.validate(),
        Ok(()),
        "a decoded entry does not validate: {h:?}"
    );
    assert_eq!(h.encoded_len(), len);
    let mut out = Vec::new();
    assert_eq!(HintCodec::encode(h, &mut out), Ok(()));
    assert_eq!(out, &buf[..len], "re-encoding differs: {h:?}");

    // The record it describes.
    assert!(h.value_offset() >= h.pos.offset);
    assert_eq!(h.value_offset().saturating_add(h.value_len()), h.pos.end());
    assert!(!h.tombstone || (h.value_len() == 0 && h.expire_at_ms.is_none()));
    if h.value_len() <= 4096 {
        let value = vec![0x5a; h.value_len() as usize];
        let r = RecordRef {
            seq: h.seq,
            tombstone: h.tombstone,
            expire_at_ms: h.expire_at_ms,
            key: h.key,
            value: &value,
            batch_open: false,
        };
        assert_eq!(r.validate(), Ok(()), "the record of {h:?} is invalid");
        assert_eq!(r.encoded_len() as u64, u64::from(h.pos.len));
        assert_eq!(HintEntry::for_record(&r, h.pos), *h);
    }
}

fn check(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut owned;
    let rest = if flags & 4 != 0 {
        owned = rest.to_vec();
        common::fix_crcs::<HintCodec>(&mut owned, 0);
        &owned[..]
    } else {
        rest
    };

    // 1. The entry at the start of the bytes.
    let decoded = common::check_frame::<HintCodec>(rest);
    match decode_frame::<HintCodec>(rest) {
        Ok((h, len)) => {
            assert_eq!(decoded, Some(len));
            check_decoded(&h, rest, len);
        }
        Err(_) => assert_eq!(decoded, None),
    }

    // 2. As a hint file.
    if flags & 1 != 0 {
        let mut file = common::header(FileKind::Hint, u64::from(flags >> 4)).to_vec();
        file.extend_from_slice(rest);
        let mut it = RecordIter::<HintCodec>::new(&file, Path::new("fuzz.hint"));
        for (offset, item) in it.by_ref() {
            let at = &file[offset as usize..];
            match item {
                Ok(h) => check_decoded(&h, at, h.encoded_len()),
                Err(e) => assert!(e.is_damage(), "{e}"),
            }
        }
        assert_eq!(it.position(), file.len() as u64);
    }

    // 3. The bytes as the fields of an entry to encode.
    if flags & 2 != 0 && rest.len() >= 29 {
        let (fixed, key) = rest.split_at(29);
        let u64_at = |i: usize| u64::from_le_bytes(fixed[i..i + 8].try_into().unwrap_or_default());
        let hflags = fixed[28];
        let h = HintEntry {
            seq: u64_at(0),
            tombstone: hflags & FLAG_TOMBSTONE != 0,
            expire_at_ms: (hflags & FLAG_EXPIRES != 0).then(|| u64_at(8)),
            pos: RecordPos {
                offset: u64_at(16),
                len: u32::from_le_bytes(fixed[24..28].try_into().unwrap_or_default()),
            },
            key,
            kind: kvs_storage::RecordKind::from_flags(hflags),
        };
        let mut out = b"prefix".to_vec();
        match HintCodec::encode(&h, &mut out) {
            Ok(()) => {
                assert_eq!(h.validate(), Ok(()));
                let enc = &out[6..];
                assert_eq!(enc.len(), h.encoded_len());
                let back = decode_frame::<HintCodec>(enc).expect("an encoded entry decodes");
                assert_eq!(back, (h, enc.len()));
            }
            Err(e) => {
                assert_eq!(h.validate(), Err(e));
                assert_eq!(out, b"prefix", "a failed encode appended bytes");
            }
        }
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

#[cfg(not(fuzzing))]
fn main() -> std::io::Result<()> {
    common::replay(check)
}
