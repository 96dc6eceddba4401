//! Data records (`docs/storage-format.md` §4).
//!
//! ```text
//! offset  width      field
//!      0      4      crc32          u32 LE, over bytes 4..end of record
//!      4      4      key_len        u32 LE, ≤ MAX_KEY_LEN
//!      8      4      value_len      u32 LE, ≤ MAX_VALUE_LEN, 0 for a tombstone
//!     12      1      flags          bit 0 TOMBSTONE, bit 1 EXPIRES, bits 2..7 zero
//!     13      8      seq            u64 LE, ≥ 1, unique and increasing across the store
//!     21      8      expire_at_ms   u64 LE, Unix time in ms; present only if EXPIRES
//!  21|29   key_len   key
//!      …  value_len  value
//! ```
//!
//! [`RecordRef`] is the zero-copy view used over mmap'd files; [`RecordBuf`] owns the bytes of
//! one record read with `pread` and hands out the same view. Both go through the one decoder,
//! [`DataCodec`].

use crate::error::{Corruption, DecodeError};
use crate::format::codec::{RecordCodec, decode_frame, seal_crc};
use crate::format::{
    Cursor, FLAG_BATCH_OPEN, FLAG_EXPIRES, FLAG_TOMBSTONE, FileKind, RecordKind, check_flags,
    check_key_len, check_value_len, flags_byte,
};

/// Length of the fixed part of a data record (CRC, lengths, flags, seq), §4.
pub const RECORD_FIXED_LEN: usize = 21;

/// Length of the optional expire-at field, §4.
pub const EXPIRY_LEN: usize = 8;

/// A data record viewed in place: the key and value borrow from the buffer it was decoded
/// from (an mmap'd file, a `pread` buffer) or from the caller who is about to write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordRef<'a> {
    /// Sequence number (§7); ≥ 1.
    pub seq: u64,
    /// True for a delete. A tombstone has an empty value and no expiry.
    pub tombstone: bool,
    /// Absolute expiry time, Unix milliseconds, if the key has a TTL.
    pub expire_at_ms: Option<u64>,
    /// The key.
    pub key: &'a [u8],
    /// The value (empty for a tombstone).
    pub value: &'a [u8],
    /// More records of the same atomic batch follow this one (§4.2).
    pub batch_open: bool,
    /// A string (or user-key delete), a collection's metadata, or an element (§4.3).
    pub kind: RecordKind,
}

impl<'a> RecordRef<'a> {
    /// A put of `key` = `value` without expiry.
    pub fn put(seq: u64, key: &'a [u8], value: &'a [u8]) -> Self {
        RecordRef {
            seq,
            tombstone: false,
            expire_at_ms: None,
            key,
            value,
            batch_open: false,
            kind: RecordKind::Plain,
        }
    }

    /// A delete (tombstone) of `key`.
    pub fn delete(seq: u64, key: &'a [u8]) -> Self {
        RecordRef {
            seq,
            tombstone: true,
            expire_at_ms: None,
            key,
            value: &[],
            batch_open: false,
            kind: RecordKind::Plain,
        }
    }

    /// The same record as a record of `kind` (§4.3).
    pub fn of_kind(self, kind: RecordKind) -> Self {
        RecordRef { kind, ..self }
    }

    /// The same record with an absolute expiry time (Unix milliseconds).
    pub fn with_expiry(self, expire_at_ms: u64) -> Self {
        RecordRef {
            expire_at_ms: Some(expire_at_ms),
            ..self
        }
    }

    /// The flags byte this record encodes to (§4).
    pub fn flags(&self) -> u8 {
        let batch = if self.batch_open { FLAG_BATCH_OPEN } else { 0 };
        flags_byte(self.tombstone, self.expire_at_ms.is_some()) | batch | self.kind.flag()
    }

    /// The same record marked as not the last of its atomic batch (§4.2).
    pub fn in_open_batch(self, open: bool) -> Self {
        RecordRef {
            batch_open: open,
            ..self
        }
    }

    /// Bytes before the key: fixed fields plus the optional expiry.
    pub fn header_len(&self) -> usize {
        RECORD_FIXED_LEN
            + if self.expire_at_ms.is_some() {
                EXPIRY_LEN
            } else {
                0
            }
    }

    /// Offset of the value from the start of the record (for value-only reads).
    pub fn value_offset(&self) -> usize {
        self.header_len().saturating_add(self.key.len())
    }

    /// Total encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        self.value_offset().saturating_add(self.value.len())
    }

    /// Checks the record can be encoded: limits (§8), seq ≥ 1, tombstone rules.
    pub fn validate(&self) -> Result<(), Corruption> {
        check_key_len(self.key.len() as u64)?;
        check_value_len(self.value.len() as u64)?;
        check_flags(self.flags())?;
        if self.tombstone && !self.value.is_empty() {
            return Err(Corruption::BadTombstone);
        }
        if self.seq == 0 {
            return Err(Corruption::ZeroSeq);
        }
        Ok(())
    }

    /// Appends the encoding to `out` (nothing is appended on error).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Corruption> {
        DataCodec::encode(self, out)
    }

    /// Encodes into a fresh vector.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Corruption> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

/// The codec for data records (§4).
#[derive(Debug, Clone, Copy, Default)]
pub struct DataCodec;

/// Fixed fields of a data record, as read from its prefix.
struct Fixed {
    key_len: u32,
    value_len: u32,
    flags: u8,
    seq: u64,
}

fn read_fixed(c: &mut Cursor<'_>) -> Result<Fixed, DecodeError> {
    let _crc = c.u32()?;
    let key_len = c.u32()?;
    let value_len = c.u32()?;
    let flags = c.u8()?;
    let seq = c.u64()?;
    check_flags(flags)?;
    check_key_len(u64::from(key_len))?;
    check_value_len(u64::from(value_len))?;
    if flags & FLAG_TOMBSTONE != 0 && value_len != 0 {
        return Err(Corruption::BadTombstone.into());
    }
    if seq == 0 {
        return Err(Corruption::ZeroSeq.into());
    }
    Ok(Fixed {
        key_len,
        value_len,
        flags,
        seq,
    })
}

impl RecordCodec for DataCodec {
    const KIND: FileKind = FileKind::Data;
    const PREFIX_LEN: usize = RECORD_FIXED_LEN;
    type Ref<'a> = RecordRef<'a>;

    fn record_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        let f = read_fixed(&mut Cursor::new(prefix))?;
        let expiry = if f.flags & FLAG_EXPIRES != 0 {
            EXPIRY_LEN
        } else {
            0
        };
        // Both lengths are bounded (≤ 1 MiB + 512 MiB), so this cannot overflow.
        Ok(RECORD_FIXED_LEN + expiry + f.key_len as usize + f.value_len as usize)
    }

    fn decode_checked(record: &[u8]) -> Result<RecordRef<'_>, DecodeError> {
        let mut c = Cursor::new(record);
        let f = read_fixed(&mut c)?;
        let expire_at_ms = if f.flags & FLAG_EXPIRES != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        let key = c.bytes(f.key_len as usize)?;
        let value = c.bytes(f.value_len as usize)?;
        Ok(RecordRef {
            seq: f.seq,
            tombstone: f.flags & FLAG_TOMBSTONE != 0,
            expire_at_ms,
            key,
            value,
            batch_open: f.flags & FLAG_BATCH_OPEN != 0,
            kind: RecordKind::from_flags(f.flags),
        })
    }

    fn encode(r: &RecordRef<'_>, out: &mut Vec<u8>) -> Result<(), Corruption> {
        r.validate()?;
        let start = out.len();
        out.reserve(r.encoded_len());
        out.extend_from_slice(&[0u8; 4]);
        // Lengths fit in u32: validate() bounded them by MAX_KEY_LEN / MAX_VALUE_LEN.
        out.extend_from_slice(&(r.key.len() as u32).to_le_bytes());
        out.extend_from_slice(&(r.value.len() as u32).to_le_bytes());
        out.push(r.flags());
        out.extend_from_slice(&r.seq.to_le_bytes());
        if let Some(at) = r.expire_at_ms {
            out.extend_from_slice(&at.to_le_bytes());
        }
        out.extend_from_slice(r.key);
        out.extend_from_slice(r.value);
        if let Some(rec) = out.get_mut(start..) {
            seal_crc(rec);
        }
        Ok(())
    }
}

/// One data record in an owned buffer (as returned by a `pread`).
///
/// Holds the record's exact bytes, CRC-verified at construction, and hands out a
/// [`RecordRef`] over them without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBuf {
    buf: Vec<u8>,
    seq: u64,
    tombstone: bool,
    expire_at_ms: Option<u64>,
    batch_open: bool,
    kind: RecordKind,
    key_start: usize,
    key_len: usize,
}

impl RecordBuf {
    /// Verifies and wraps the record at the start of `buf`; bytes after it are dropped.
    pub fn from_bytes(mut buf: Vec<u8>) -> Result<RecordBuf, DecodeError> {
        let (r, len) = decode_frame::<DataCodec>(&buf)?;
        let out = RecordBuf {
            seq: r.seq,
            tombstone: r.tombstone,
            expire_at_ms: r.expire_at_ms,
            batch_open: r.batch_open,
            kind: r.kind,
            key_start: r.header_len(),
            key_len: r.key.len(),
            buf: Vec::new(),
        };
        buf.truncate(len);
        Ok(RecordBuf { buf, ..out })
    }

    /// The record as a borrowed view.
    pub fn as_record(&self) -> RecordRef<'_> {
        RecordRef {
            seq: self.seq,
            tombstone: self.tombstone,
            expire_at_ms: self.expire_at_ms,
            key: self.key(),
            value: self.value(),
            batch_open: self.batch_open,
            kind: self.kind,
        }
    }

    /// The key.
    pub fn key(&self) -> &[u8] {
        let end = self.key_start.saturating_add(self.key_len);
        self.buf.get(self.key_start..end).unwrap_or_default()
    }

    /// The value (empty for a tombstone).
    pub fn value(&self) -> &[u8] {
        let start = self.key_start.saturating_add(self.key_len);
        self.buf.get(start..).unwrap_or_default()
    }

    /// Sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// True for a delete.
    pub fn is_tombstone(&self) -> bool {
        self.tombstone
    }

    /// Expiry, Unix milliseconds.
    pub fn expire_at_ms(&self) -> Option<u64> {
        self.expire_at_ms
    }

    /// The encoded record, CRC included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Gives the encoded record back.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{MAX_KEY_LEN, MAX_VALUE_LEN};
    use proptest::prelude::*;

    #[test]
    fn collection_records_round_trip_and_bad_combinations_are_rejected() {
        let id = 42u64.to_be_bytes();
        let mut element_key = id.to_vec();
        element_key.extend_from_slice(b"field");
        for r in [
            RecordRef::put(1, b"user", b"\x01\x2a\0\0\0\0\0\0\0").of_kind(RecordKind::Meta),
            RecordRef::put(2, b"user", b"meta")
                .of_kind(RecordKind::Meta)
                .with_expiry(9),
            RecordRef::put(3, &element_key, b"value").of_kind(RecordKind::Element),
            RecordRef::delete(4, &element_key).of_kind(RecordKind::Element),
        ] {
            let bytes = r.to_bytes().unwrap();
            let (back, len) = decode_frame::<DataCodec>(&bytes).unwrap();
            assert_eq!((back, len), (r, bytes.len()));
            assert_eq!(RecordKind::from_flags(bytes[12]), r.kind);
        }
        // A metadata record is never a tombstone (a user key's delete is a plain one), and a
        // record is not both metadata and element.
        let meta_delete = RecordRef::delete(5, b"user").of_kind(RecordKind::Meta);
        assert_eq!(meta_delete.validate(), Err(Corruption::BadTombstone));
        let mut both = RecordRef::put(6, b"k", b"v").to_bytes().unwrap();
        both[12] |= crate::format::FLAG_META | crate::format::FLAG_ELEMENT;
        assert!(decode_frame::<DataCodec>(&both).is_err());
    }

    fn hex(b: &[u8]) -> String {
        b.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn doc_examples() {
        // §4.1 of docs/storage-format.md shows these exact dumps.
        let put = RecordRef::put(1, b"k", b"v").to_bytes().unwrap();
        assert_eq!(
            hex(&put),
            "84 9f bc 64 01 00 00 00 01 00 00 00 00 01 00 00 00 00 00 00 00 6b 76"
        );
        let ttl = RecordRef::put(2, b"k", b"v")
            .with_expiry(1_700_000_000_000)
            .to_bytes()
            .unwrap();
        assert_eq!(
            hex(&ttl),
            "41 82 43 fe 01 00 00 00 01 00 00 00 02 02 00 00 00 00 00 00 00 \
             00 68 e5 cf 8b 01 00 00 6b 76"
        );
        let del = RecordRef::delete(3, b"k").to_bytes().unwrap();
        assert_eq!(
            hex(&del),
            "87 96 66 84 01 00 00 00 00 00 00 00 01 03 00 00 00 00 00 00 00 6b"
        );
    }

    #[test]
    fn encode_rejects_invalid() {
        let big_key = vec![0u8; MAX_KEY_LEN as usize + 1];
        assert!(matches!(
            RecordRef::put(1, &big_key, b"").to_bytes(),
            Err(Corruption::KeyTooLong { .. })
        ));
        assert_eq!(
            RecordRef::put(0, b"k", b"v").to_bytes(),
            Err(Corruption::ZeroSeq)
        );
        let bad = RecordRef {
            value: b"x",
            ..RecordRef::delete(1, b"k")
        };
        assert_eq!(bad.to_bytes(), Err(Corruption::BadTombstone));
        let bad = RecordRef::delete(1, b"k").with_expiry(5);
        assert_eq!(bad.to_bytes(), Err(Corruption::BadTombstone));
    }

    #[test]
    fn corrupt_lengths_are_bounded_before_any_allocation() {
        let mut b = RecordRef::put(1, b"k", b"v").to_bytes().unwrap();
        b[8..12].copy_from_slice(&(MAX_VALUE_LEN + 1).to_le_bytes());
        assert!(matches!(
            decode_frame::<DataCodec>(&b),
            Err(DecodeError::Corrupt(Corruption::ValueTooLong { .. }))
        ));
        // A plausible but wrong length is caught as a truncation (it runs past the buffer)...
        let mut b = RecordRef::put(1, b"k", b"v").to_bytes().unwrap();
        b[8..12].copy_from_slice(&1000u32.to_le_bytes());
        assert!(matches!(
            decode_frame::<DataCodec>(&b),
            Err(DecodeError::Truncated { needed: 1022, .. })
        ));
        // ...or by the CRC when the buffer happens to be long enough.
        b.extend_from_slice(&[0u8; 2000]);
        assert!(matches!(
            decode_frame::<DataCodec>(&b),
            Err(DecodeError::Corrupt(Corruption::ChecksumMismatch { .. }))
        ));
    }

    #[test]
    fn record_buf_views_the_same_record() {
        let r = RecordRef::put(9, b"key", b"value").with_expiry(77);
        let mut bytes = r.to_bytes().unwrap();
        bytes.extend_from_slice(b"trailing");
        let buf = RecordBuf::from_bytes(bytes).unwrap();
        assert_eq!(buf.as_record(), r);
        assert_eq!(buf.as_bytes().len(), r.encoded_len());
        assert_eq!(
            &buf.as_bytes()[r.value_offset()..],
            b"value",
            "value_offset points at the value"
        );
    }

    fn arb_record() -> impl Strategy<Value = (u64, bool, Option<u64>, Vec<u8>, Vec<u8>)> {
        (
            1..u64::MAX,
            any::<bool>(),
            proptest::option::of(any::<u64>()),
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::collection::vec(any::<u8>(), 0..256),
        )
    }

    proptest! {
        #[test]
        fn round_trip((seq, tomb, exp, key, value) in arb_record()) {
            let r = if tomb {
                RecordRef::delete(seq, &key)
            } else {
                let r = RecordRef::put(seq, &key, &value);
                match exp { Some(e) => r.with_expiry(e), None => r }
            };
            let bytes = r.to_bytes().unwrap();
            prop_assert_eq!(bytes.len(), r.encoded_len());
            let (back, len) = decode_frame::<DataCodec>(&bytes).unwrap();
            prop_assert_eq!(back, r);
            prop_assert_eq!(len, bytes.len());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = decode_frame::<DataCodec>(&bytes);
            let _ = RecordBuf::from_bytes(bytes);
        }
    }
}
