//! The hint-file footer (`docs/storage-format.md` §5.1, format version 5): what ties a hint file
//! to the exact data file it describes, checked before a single entry is trusted.
//!
//! ```text
//! offset  width  field
//!      0      4  crc32          u32 LE, over bytes 4..29
//!      4      4  key_len        u32 LE, 0
//!      8      4  record_len     u32 LE, length of the data file's last record (0: no record)
//!     12      1  flags          0x20 (FOOTER) and nothing else
//!     13      8  last_crc       u64 LE, that record's CRC-32 (its first 4 bytes), else 0
//!     21      8  record_offset  u64 LE, that record's offset (24 with no record)
//! ```
//!
//! Shaped like a hint entry without a key, so a hint file is still a run of CRC-framed items,
//! but never decoded as one: the footer is the file's last 29 bytes, read first, and entries
//! are decoded only before it. The data file must end exactly at `record_offset + record_len`
//! and hold `last_crc` at `record_offset`: a data file replaced, cut short, grown, or restored
//! from another copy behind its hint file's back fails one of the two, and is scanned instead.
//! Two reads of the data file — its length and 4 bytes — whatever its size.

use crate::format::codec::seal_crc;
use crate::format::{Cursor, HEADER_LEN, RecordPos, crc32};

/// Length of the footer: the last bytes of a version-5 hint file.
pub const HINT_FOOTER_LEN: usize = 29;

/// The flags byte of a footer; no data record or hint entry has this bit.
pub const FLAG_HINT_FOOTER: u8 = 0x20;

/// The data file a hint file describes, as far as the footer pins it down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HintFooter {
    /// The data file's last record and its CRC-32; `None` for a data file without records.
    pub last: Option<(RecordPos, u32)>,
}

impl HintFooter {
    /// The footer's bytes.
    pub fn encode(&self) -> [u8; HINT_FOOTER_LEN] {
        let (len, crc, offset) = match self.last {
            Some((pos, crc)) => (pos.len, crc, pos.offset),
            None => (0, 0, HEADER_LEN as u64),
        };
        let mut body = Vec::with_capacity(HINT_FOOTER_LEN);
        body.extend_from_slice(&[0u8; 4]); // the CRC, below
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&len.to_le_bytes());
        body.push(FLAG_HINT_FOOTER);
        body.extend_from_slice(&u64::from(crc).to_le_bytes());
        body.extend_from_slice(&offset.to_le_bytes());
        seal_crc(&mut body);
        let mut out = [0u8; HINT_FOOTER_LEN];
        out.copy_from_slice(&body);
        out
    }

    /// Decodes the footer from a hint file's last [`HINT_FOOTER_LEN`] bytes; `None` if they
    /// are not a valid footer (a torn or older hint file).
    pub fn decode(bytes: &[u8]) -> Option<HintFooter> {
        if bytes.len() != HINT_FOOTER_LEN {
            return None;
        }
        let mut c = Cursor::new(bytes);
        let stored_crc = c.u32().ok()?;
        if stored_crc != crc32(bytes.get(4..)?) {
            return None;
        }
        let (key_len, len, flags) = (c.u32().ok()?, c.u32().ok()?, c.u8().ok()?);
        let (crc, offset) = (c.u64().ok()?, c.u64().ok()?);
        if key_len != 0 || flags != FLAG_HINT_FOOTER || offset < HEADER_LEN as u64 {
            return None;
        }
        let crc = u32::try_from(crc).ok()?;
        let last = match len {
            0 if crc == 0 && offset == HEADER_LEN as u64 => None,
            0 => return None,
            _ => Some((RecordPos { offset, len }, crc)),
        };
        Some(HintFooter { last })
    }

    /// Whether `data` (a data file's bytes, header included) is the file the footer describes:
    /// it ends where the last record ends, and that record's CRC is the one recorded.
    pub fn matches(&self, data: &[u8]) -> bool {
        match self.last {
            None => data.len() == HEADER_LEN,
            Some((pos, crc)) => {
                let end = pos.offset.saturating_add(u64::from(pos.len));
                let Ok(at) = usize::try_from(pos.offset) else {
                    return false;
                };
                end == data.len() as u64
                    && at
                        .checked_add(4)
                        .and_then(|e| data.get(at..e))
                        .is_some_and(|c| c == crc.to_le_bytes().as_slice())
            }
        }
    }

    /// The footer of the data file `data`, whose last record is at `last` (`None`: it has no
    /// records); `None` if `last` does not lie in `data`.
    pub fn of_data(data: &[u8], last: Option<RecordPos>) -> Option<HintFooter> {
        let Some(pos) = last else {
            return Some(HintFooter { last: None });
        };
        let at = usize::try_from(pos.offset).ok()?;
        let crc: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
        let crc = u32::from_le_bytes(crc);
        Some(HintFooter {
            last: Some((pos, crc)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_file(records: &[&[u8]]) -> (Vec<u8>, Option<RecordPos>) {
        let mut data = vec![0u8; HEADER_LEN];
        let mut last = None;
        for r in records {
            last = Some(RecordPos {
                offset: data.len() as u64,
                len: r.len() as u32,
            });
            data.extend_from_slice(r);
        }
        (data, last)
    }

    #[test]
    fn a_footer_round_trips_and_pins_its_data_file() {
        let (data, last) = data_file(&[b"\x01\x02\x03\x04rest", b"\xaa\xbb\xcc\xddmore"]);
        let f = HintFooter::of_data(&data, last).unwrap();
        let bytes = f.encode();
        assert_eq!(HintFooter::decode(&bytes), Some(f));
        assert!(f.matches(&data));
        // Grown, cut short, or with another last record: not the same file.
        let mut grown = data.clone();
        grown.push(0);
        assert!(!f.matches(&grown));
        assert!(!f.matches(&data[..data.len() - 1]));
        let mut other = data.clone();
        let at = last.unwrap().offset as usize;
        other[at] ^= 1;
        assert!(!f.matches(&other));
        // Any flipped bit of the footer is caught by its CRC.
        for i in 0..HINT_FOOTER_LEN * 8 {
            let mut b = bytes;
            b[i / 8] ^= 1 << (i % 8);
            assert_ne!(HintFooter::decode(&b), Some(f), "bit {i}");
        }
    }

    #[test]
    fn an_empty_data_file_has_a_footer_too() {
        let (data, last) = data_file(&[]);
        let f = HintFooter::of_data(&data, last).unwrap();
        assert_eq!(HintFooter::decode(&f.encode()), Some(f));
        assert!(f.matches(&data));
        assert!(!f.matches(&[0u8; HEADER_LEN + 1]));
    }
}
