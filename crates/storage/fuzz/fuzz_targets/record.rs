//! Fuzzes data-record decoding (`docs/storage-format.md` §4): `decode_frame::<DataCodec>`,
//! `RecordBuf::from_bytes`, and `RecordIter<DataCodec>` over a data file made of the input.
//!
//! Input: one flags byte, then the bytes; flag bit 2 rewrites the CRCs of the records the bytes
//! start with (`common::fix_crcs`), so mutations get past the CRC. Checks, beyond "never panics":
//!
//! * every record that decodes is valid, re-encodes to exactly the bytes it was decoded from,
//!   and `RecordBuf` sees the same record, the same bytes, the value at `value_offset`;
//! * every proper prefix of a decoded record is `Truncated` (torn tail, not corruption);
//! * flag bit 0: the bytes behind a valid data-file header, scanned: each record yielded
//!   re-encodes to the file's bytes at its offset;
//! * flag bit 1: the bytes are read as fields (seq, flags, expiry, key, value) of a record to
//!   encode: a record that validates round-trips, one that does not appends nothing.
#![cfg_attr(fuzzing, no_main)]

#[path = "common.rs"]
mod common;

use std::path::Path;

use kvs_storage::format::record::RECORD_FIXED_LEN;
use kvs_storage::format::{FLAG_BATCH_OPEN, FLAG_EXPIRES, FLAG_TOMBSTONE, decode_frame};
use kvs_storage::{DataCodec, FileKind, RecordBuf, RecordIter, RecordRef};

/// The round-trip checks for a record decoded from the start of `buf`, `len` bytes long.
fn check_decoded(r: &RecordRef<'_>, buf: &[u8], len: usize) {
    let bytes = &buf[..len];
    assert_eq!(
        r.validate(),
        Ok(()),
        "a decoded record does not validate: {r:?}"
    );
    assert_eq!(r.encoded_len(), len);
    assert!(r.header_len() >= RECORD_FIXED_LEN);
    assert_eq!(
        r.to_bytes().as_deref(),
        Ok(bytes),
        "re-encoding differs: {r:?}"
    );
    assert_eq!(&bytes[r.value_offset()..], r.value);
    assert_eq!(&bytes[r.header_len()..r.value_offset()], r.key);
    assert!(!r.tombstone || (r.value.is_empty() && r.expire_at_ms.is_none()));
}

fn check(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut owned;
    let rest = if flags & 4 != 0 {
        owned = rest.to_vec();
        common::fix_crcs::<DataCodec>(&mut owned, 0);
        &owned[..]
    } else {
        rest
    };

    // 1. The record at the start of the bytes.
    let decoded = common::check_frame::<DataCodec>(rest);
    match decode_frame::<DataCodec>(rest) {
        Ok((r, len)) => {
            assert_eq!(decoded, Some(len));
            check_decoded(&r, rest, len);
            let buf = RecordBuf::from_bytes(rest.to_vec()).expect("decode_frame accepted it");
            assert_eq!(buf.as_record(), r);
            assert_eq!(buf.as_bytes(), &rest[..len]);
            assert_eq!(buf.key(), r.key);
            assert_eq!(buf.value(), r.value);
            assert_eq!(buf.seq(), r.seq);
            assert_eq!(buf.is_tombstone(), r.tombstone);
            assert_eq!(buf.expire_at_ms(), r.expire_at_ms);
        }
        Err(e) => {
            assert_eq!(decoded, None);
            assert_eq!(RecordBuf::from_bytes(rest.to_vec()), Err(e));
        }
    }

    // 2. As a data file: every record the scan yields round-trips in place.
    if flags & 1 != 0 {
        let mut file = common::header(FileKind::Data, u64::from(flags >> 4)).to_vec();
        file.extend_from_slice(rest);
        let mut it = RecordIter::<DataCodec>::new(&file, Path::new("fuzz.data"));
        for (offset, item) in it.by_ref() {
            let at = &file[offset as usize..];
            match item {
                Ok(r) => check_decoded(&r, at, r.encoded_len()),
                Err(e) => assert!(e.is_damage(), "{e}"),
            }
        }
        assert_eq!(it.position(), file.len() as u64);
    }

    // 3. The bytes as the fields of a record to encode.
    if flags & 2 != 0 && rest.len() >= 18 {
        let (fixed, tail) = rest.split_at(18);
        let seq = u64::from_le_bytes(fixed[..8].try_into().unwrap_or_default());
        let expire = u64::from_le_bytes(fixed[8..16].try_into().unwrap_or_default());
        let rflags = fixed[16];
        let key_len = usize::from(fixed[17]).min(tail.len());
        let (key, value) = tail.split_at(key_len);
        let mut r = RecordRef {
            seq,
            tombstone: rflags & FLAG_TOMBSTONE != 0,
            expire_at_ms: None,
            key,
            value,
            batch_open: rflags & FLAG_BATCH_OPEN != 0,
            kind: kvs_storage::RecordKind::from_flags(rflags),
        };
        if rflags & FLAG_EXPIRES != 0 {
            r = r.with_expiry(expire);
        }
        let mut out = b"prefix".to_vec();
        match r.encode_into(&mut out) {
            Ok(()) => {
                assert_eq!(r.validate(), Ok(()));
                let enc = &out[6..];
                assert_eq!(enc.len(), r.encoded_len());
                let (back, len) =
                    decode_frame::<DataCodec>(enc).expect("an encoded record decodes");
                assert_eq!((back, len), (r, enc.len()));
            }
            Err(e) => {
                assert_eq!(r.validate(), Err(e));
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
