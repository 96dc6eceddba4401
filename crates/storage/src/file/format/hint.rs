//! Hint entries (`docs/storage-format.md` §5).
//!
//! A hint file has the fid of the data file it describes and one entry per record that
//! compaction kept in it, in file order, so the index can be rebuilt without reading values.
//!
//! ```text
//! offset  width     field
//!      0      4     crc32          u32 LE, over bytes 4..end of entry
//!      4      4     key_len        u32 LE, ≤ MAX_KEY_LEN
//!      8      4     record_len     u32 LE, length of the data record (CRC included)
//!     12      1     flags          as in the data record (§4)
//!     13      8     seq            u64 LE, ≥ 1, as in the data record
//!     21      8     record_offset  u64 LE, offset of the data record in its file
//!     29      8     expire_at_ms   u64 LE, present only if EXPIRES
//!  29|37  key_len   key
//! ```

use crate::error::{Corruption, DecodeError};
use crate::format::codec::{RecordCodec, seal_crc};
use crate::format::record::{EXPIRY_LEN, RECORD_FIXED_LEN, RecordRef};
use crate::format::{
    Cursor, FLAG_BATCH_OPEN, FLAG_EXPIRES, FLAG_TOMBSTONE, FileKind, HEADER_LEN, MAX_KEY_LEN,
    MAX_VALUE_LEN, RecordKind, RecordPos, check_flags, check_key_len, flags_byte,
};

/// Length of the fixed part of a hint entry, §5.
pub const HINT_FIXED_LEN: usize = 29;

/// Where a record lives and what the index needs to know about it, without its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HintEntry<'a> {
    /// Sequence number of the record.
    pub seq: u64,
    /// True if the record is a tombstone.
    pub tombstone: bool,
    /// Expiry of the record, Unix milliseconds.
    pub expire_at_ms: Option<u64>,
    /// Position of the whole record in the data file with the same fid.
    pub pos: RecordPos,
    /// The key.
    pub key: &'a [u8],
    /// What the record holds (§4.3).
    pub kind: RecordKind,
}

impl<'a> HintEntry<'a> {
    /// The hint entry describing `record`, written at `pos`.
    pub fn for_record(record: &RecordRef<'a>, pos: RecordPos) -> Self {
        HintEntry {
            seq: record.seq,
            tombstone: record.tombstone,
            expire_at_ms: record.expire_at_ms,
            pos,
            key: record.key,
            kind: record.kind,
        }
    }

    /// The flags byte (same meaning as in data records, §4).
    pub fn flags(&self) -> u8 {
        flags_byte(self.tombstone, self.expire_at_ms.is_some()) | self.kind.flag()
    }

    /// Length of the data record's bytes before its value.
    fn record_header_len(&self) -> u64 {
        let expiry = if self.expire_at_ms.is_some() {
            EXPIRY_LEN
        } else {
            0
        };
        (RECORD_FIXED_LEN + expiry) as u64 + self.key.len() as u64
    }

    /// Offset of the value inside the data file.
    pub fn value_offset(&self) -> u64 {
        self.pos.offset.saturating_add(self.record_header_len())
    }

    /// Length of the value.
    pub fn value_len(&self) -> u64 {
        u64::from(self.pos.len).saturating_sub(self.record_header_len())
    }

    /// Total encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        let expiry = if self.expire_at_ms.is_some() {
            EXPIRY_LEN
        } else {
            0
        };
        HINT_FIXED_LEN + expiry + self.key.len()
    }

    /// Checks the entry can be encoded (§5).
    pub fn validate(&self) -> Result<(), Corruption> {
        let key_len = u32::try_from(self.key.len()).unwrap_or(u32::MAX);
        check_fields(
            key_len,
            self.pos.len,
            self.flags(),
            self.seq,
            self.pos.offset,
        )
    }
}

/// The §5 checks, shared by encoder and decoder.
fn check_fields(
    key_len: u32,
    record_len: u32,
    flags: u8,
    seq: u64,
    offset: u64,
) -> Result<(), Corruption> {
    check_flags(flags)?;
    // BATCH_OPEN (§4.2) belongs to data records only: `HintEntry` cannot carry it, so an entry
    // with it set would decode to an entry that re-encodes differently (found by fuzzing).
    if flags & FLAG_BATCH_OPEN != 0 {
        return Err(Corruption::ReservedFlags(flags));
    }
    check_key_len(u64::from(key_len))?;
    if seq == 0 {
        return Err(Corruption::ZeroSeq);
    }
    let expiry = if flags & FLAG_EXPIRES != 0 {
        EXPIRY_LEN as u64
    } else {
        0
    };
    let min = RECORD_FIXED_LEN as u64 + expiry + u64::from(key_len);
    let max = min + u64::from(MAX_VALUE_LEN);
    let len = u64::from(record_len);
    let tombstone_ok = flags & FLAG_TOMBSTONE == 0 || len == min;
    if len < min || len > max || !tombstone_ok || offset < HEADER_LEN as u64 {
        return Err(Corruption::BadHintLength {
            record_len,
            key_len,
        });
    }
    Ok(())
}

/// The codec for hint entries (§5).
#[derive(Debug, Clone, Copy, Default)]
pub struct HintCodec;

struct Fixed {
    key_len: u32,
    record_len: u32,
    flags: u8,
    seq: u64,
    offset: u64,
}

fn read_fixed(c: &mut Cursor<'_>) -> Result<Fixed, DecodeError> {
    let _crc = c.u32()?;
    let f = Fixed {
        key_len: c.u32()?,
        record_len: c.u32()?,
        flags: c.u8()?,
        seq: c.u64()?,
        offset: c.u64()?,
    };
    check_fields(f.key_len, f.record_len, f.flags, f.seq, f.offset)?;
    Ok(f)
}

impl RecordCodec for HintCodec {
    const KIND: FileKind = FileKind::Hint;
    const PREFIX_LEN: usize = HINT_FIXED_LEN;
    type Ref<'a> = HintEntry<'a>;

    fn record_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        let f = read_fixed(&mut Cursor::new(prefix))?;
        let expiry = if f.flags & FLAG_EXPIRES != 0 {
            EXPIRY_LEN
        } else {
            0
        };
        // key_len ≤ MAX_KEY_LEN was checked.
        Ok(HINT_FIXED_LEN + expiry + f.key_len as usize)
    }

    fn decode_checked(record: &[u8]) -> Result<HintEntry<'_>, DecodeError> {
        let mut c = Cursor::new(record);
        let f = read_fixed(&mut c)?;
        let expire_at_ms = if f.flags & FLAG_EXPIRES != 0 {
            Some(c.u64()?)
        } else {
            None
        };
        let key = c.bytes(f.key_len as usize)?;
        Ok(HintEntry {
            seq: f.seq,
            tombstone: f.flags & FLAG_TOMBSTONE != 0,
            expire_at_ms,
            pos: RecordPos {
                offset: f.offset,
                len: f.record_len,
            },
            key,
            kind: RecordKind::from_flags(f.flags),
        })
    }

    fn encode(h: &HintEntry<'_>, out: &mut Vec<u8>) -> Result<(), Corruption> {
        h.validate()?;
        debug_assert!(h.key.len() <= MAX_KEY_LEN as usize);
        let start = out.len();
        out.reserve(h.encoded_len());
        out.extend_from_slice(&[0u8; 4]);
        out.extend_from_slice(&(h.key.len() as u32).to_le_bytes());
        out.extend_from_slice(&h.pos.len.to_le_bytes());
        out.push(h.flags());
        out.extend_from_slice(&h.seq.to_le_bytes());
        out.extend_from_slice(&h.pos.offset.to_le_bytes());
        if let Some(at) = h.expire_at_ms {
            out.extend_from_slice(&at.to_le_bytes());
        }
        out.extend_from_slice(h.key);
        if let Some(rec) = out.get_mut(start..) {
            seal_crc(rec);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::decode_frame;
    use proptest::prelude::*;

    #[test]
    fn for_record_locates_the_value() {
        let r = RecordRef::put(5, b"key", b"value!").with_expiry(10);
        let pos = RecordPos {
            offset: 100,
            len: r.encoded_len() as u32,
        };
        let h = HintEntry::for_record(&r, pos);
        assert_eq!(h.value_offset(), 100 + r.value_offset() as u64);
        assert_eq!(h.value_len(), 6);
        let mut out = Vec::new();
        HintCodec::encode(&h, &mut out).unwrap();
        assert_eq!(out.len(), h.encoded_len());
        assert_eq!(decode_frame::<HintCodec>(&out).unwrap(), (h, out.len()));
    }

    #[test]
    fn impossible_lengths_are_rejected() {
        let h = HintEntry {
            seq: 1,
            tombstone: false,
            expire_at_ms: None,
            pos: RecordPos {
                offset: 24,
                len: 10,
            },
            key: b"abc",
            kind: RecordKind::Plain,
        };
        assert!(matches!(
            HintCodec::encode(&h, &mut Vec::new()),
            Err(Corruption::BadHintLength { .. })
        ));
        let h = HintEntry {
            tombstone: true,
            pos: RecordPos {
                offset: 24,
                len: 25,
            },
            ..h
        };
        assert!(HintCodec::encode(&h, &mut Vec::new()).is_err());
    }

    #[test]
    fn batch_open_flag_is_rejected() {
        // Regression (cargo-fuzz, `hint` target): flags 0x06 (EXPIRES | BATCH_OPEN) decoded,
        // dropping BATCH_OPEN, so the entry re-encoded to different bytes. Hint entries never
        // carry the flag (compaction writes closed records, §4.2): it is now refused.
        let h = HintEntry {
            seq: 2,
            tombstone: false,
            expire_at_ms: Some(7),
            pos: RecordPos {
                offset: 24,
                len: 37,
            },
            key: b"key",
            kind: RecordKind::Plain,
        };
        let mut out = Vec::new();
        HintCodec::encode(&h, &mut out).unwrap();
        assert_eq!(decode_frame::<HintCodec>(&out), Ok((h, out.len())));
        out[12] |= crate::format::FLAG_BATCH_OPEN;
        seal_crc(&mut out);
        assert_eq!(
            decode_frame::<HintCodec>(&out),
            Err(DecodeError::Corrupt(Corruption::ReservedFlags(0x06)))
        );
    }

    fn arb_entry() -> impl Strategy<Value = (u64, bool, Option<u64>, u64, u32, Vec<u8>)> {
        (
            1..u64::MAX,
            any::<bool>(),
            proptest::option::of(any::<u64>()),
            24..u64::MAX,
            0..MAX_VALUE_LEN,
            proptest::collection::vec(any::<u8>(), 0..64),
        )
    }

    proptest! {
        #[test]
        fn round_trip((seq, tomb, exp, offset, vlen, key) in arb_entry()) {
            let exp = if tomb { None } else { exp };
            let vlen = if tomb { 0 } else { vlen };
            let head = RECORD_FIXED_LEN + if exp.is_some() { EXPIRY_LEN } else { 0 };
            let len = (head + key.len()) as u32 + vlen;
            let h = HintEntry {
                seq,
                tombstone: tomb,
                expire_at_ms: exp,
                pos: RecordPos { offset, len },
                key: &key,
                kind: RecordKind::Plain,
            };
            let mut out = Vec::new();
            HintCodec::encode(&h, &mut out).unwrap();
            prop_assert_eq!(out.len(), h.encoded_len());
            prop_assert_eq!(decode_frame::<HintCodec>(&out).unwrap(), (h, out.len()));
            prop_assert_eq!(h.value_len(), u64::from(vlen));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = decode_frame::<HintCodec>(&bytes);
        }
    }
}
