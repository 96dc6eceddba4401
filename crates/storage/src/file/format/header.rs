//! The file header every DBFile starts with (`docs/storage-format.md` §3).
//!
//! ```text
//! offset  width  field
//!      0      8  magic            "KVS\0DATA" | "KVS\0HINT" | "KVS\0MANI"
//!      8      2  format version   u16 LE, currently 5 (FORMAT_VERSION)
//!     10      2  reserved         u16 LE, must be 0
//!     12      8  fid              u64 LE
//!     20      4  header CRC32     u32 LE, over bytes 0..20
//! ```

use std::fmt;

use crate::error::{Corruption, DecodeError};
use crate::format::{Cursor, Fid, MANIFEST_FID, crc32};

/// Length of the file header in bytes; records start at this offset.
pub const HEADER_LEN: usize = 24;

/// The format version written by this build (§12): 5, whose hint files end with a footer that
/// ties them to their data file (§5.1), on top of version 4's sorted sets (metadata type 4,
/// §4.3.2), version 3's lists and version 2's collection records.
pub const FORMAT_VERSION: u16 = 5;

/// The oldest format version this build reads (§12): version 1 files are version 2 files
/// without collection records, version 2 files are version 3 files without lists, and
/// version 3 files are version 4 files without sorted sets, and version 4 files are version 5
/// files whose hint files have no footer.
pub const OLDEST_READ_VERSION: u16 = 1;

/// The three kinds of DBFile, told apart by their magic (§2, §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// A data file: the log of puts and deletes (§4).
    Data,
    /// A hint file: key and location of every record in the data file with the same fid (§5).
    Hint,
    /// The MANIFEST: the log of file-set edits (§6).
    Manifest,
}

impl FileKind {
    /// All kinds, in magic order.
    pub const ALL: [FileKind; 3] = [FileKind::Data, FileKind::Hint, FileKind::Manifest];

    /// The 8-byte magic that opens files of this kind (§3).
    pub const fn magic(self) -> [u8; 8] {
        match self {
            FileKind::Data => *b"KVS\0DATA",
            FileKind::Hint => *b"KVS\0HINT",
            FileKind::Manifest => *b"KVS\0MANI",
        }
    }

    /// The kind a magic belongs to, if any.
    pub fn from_magic(magic: [u8; 8]) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.magic() == magic)
    }

    /// Whether `fid` is allowed for this kind: 0 for the MANIFEST, ≥ 1 for the others.
    pub fn accepts_fid(self, fid: Fid) -> bool {
        match self {
            FileKind::Manifest => fid == MANIFEST_FID,
            FileKind::Data | FileKind::Hint => fid != MANIFEST_FID,
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Data => "data",
            FileKind::Hint => "hint",
            FileKind::Manifest => "manifest",
        })
    }
}

/// A decoded file header (§3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    /// Kind, from the magic.
    pub kind: FileKind,
    /// File id.
    pub fid: Fid,
}

impl FileHeader {
    /// Encodes the header (format version [`FORMAT_VERSION`]).
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        // Unlike records, the header keeps its CRC last so that the magic is the first thing
        // in the file (recognisable by `file(1)` and `xxd`).
        let mut body = [0u8; HEADER_LEN - 4];
        let fields = self
            .kind
            .magic()
            .into_iter()
            .chain(FORMAT_VERSION.to_le_bytes())
            .chain(0u16.to_le_bytes())
            .chain(self.fid.to_le_bytes());
        for (dst, src) in body.iter_mut().zip(fields) {
            *dst = src;
        }
        let mut out = [0u8; HEADER_LEN];
        for (dst, src) in out
            .iter_mut()
            .zip(body.into_iter().chain(crc32(&body).to_le_bytes()))
        {
            *dst = src;
        }
        out
    }

    /// Decodes and validates the header at the start of `buf`.
    ///
    /// Checks, in order: length, magic (so a foreign file is named as such), CRC, version,
    /// reserved field, fid range for the kind.
    pub fn decode(buf: &[u8]) -> Result<FileHeader, DecodeError> {
        let mut c = Cursor::new(buf);
        let magic = c.array::<8>()?;
        let version = c.u16()?;
        let reserved = c.u16()?;
        let fid = c.u64()?;
        let stored_crc = c.u32()?;
        let kind = FileKind::from_magic(magic).ok_or(Corruption::UnknownMagic(magic))?;
        let covered = buf.get(..20).unwrap_or_default();
        let computed = crc32(covered);
        if computed != stored_crc {
            return Err(Corruption::ChecksumMismatch {
                stored: stored_crc,
                computed,
            }
            .into());
        }
        if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(Corruption::UnsupportedVersion(version).into());
        }
        if reserved != 0 {
            return Err(Corruption::ReservedHeaderField(reserved).into());
        }
        if !kind.accepts_fid(fid) {
            return Err(Corruption::BadFid { kind, fid }.into());
        }
        Ok(FileHeader { kind, fid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_kinds() {
        for kind in FileKind::ALL {
            let fid = if kind == FileKind::Manifest { 0 } else { 42 };
            let h = FileHeader { kind, fid };
            let bytes = h.encode();
            assert_eq!(&bytes[..8], &kind.magic());
            assert_eq!(FileHeader::decode(&bytes), Ok(h));
        }
    }

    #[test]
    fn doc_example_bytes() {
        // §3.1 of docs/storage-format.md shows this exact dump.
        let h = FileHeader {
            kind: FileKind::Data,
            fid: 7,
        };
        let hex: Vec<String> = h.encode().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex.join(" "),
            "4b 56 53 00 44 41 54 41 05 00 00 00 07 00 00 00 00 00 00 00 81 e5 f4 f0"
        );
        // The same header as format version 4 wrote it still opens (§12).
        let v4 = [
            0x4b, 0x56, 0x53, 0x00, 0x44, 0x41, 0x54, 0x41, 0x04, 0x00, 0x00, 0x00, 0x07, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xee, 0xa9, 0x51, 0x6b,
        ];
        assert_eq!(FileHeader::decode(&v4), Ok(h));
        // The same header as format version 3 wrote it still opens (§12).
        let v3 = [
            0x4b, 0x56, 0x53, 0x00, 0x44, 0x41, 0x54, 0x41, 0x03, 0x00, 0x00, 0x00, 0x07, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x40, 0xc9, 0x1f,
        ];
        assert_eq!(FileHeader::decode(&v3), Ok(h));
        // And as version 2 wrote it.
        let v2 = [
            0x4b, 0x56, 0x53, 0x00, 0x44, 0x41, 0x54, 0x41, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x0c, 0x6c, 0x84,
        ];
        assert_eq!(FileHeader::decode(&v2), Ok(h));
        // And as version 1 wrote it.
        let v1 = [
            0x4b, 0x56, 0x53, 0x00, 0x44, 0x41, 0x54, 0x41, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xde, 0xf2, 0xf3,
        ];
        assert_eq!(FileHeader::decode(&v1), Ok(h));
        let mut v6 = h.encode();
        v6[8] = 6;
        let crc = crc32(&v6[..20]);
        v6[20..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            FileHeader::decode(&v6),
            Err(Corruption::UnsupportedVersion(6).into())
        );
    }

    #[test]
    fn every_bit_flip_is_rejected() {
        let bytes = FileHeader {
            kind: FileKind::Hint,
            fid: 3,
        }
        .encode();
        for i in 0..HEADER_LEN * 8 {
            let mut b = bytes;
            b[i / 8] ^= 1 << (i % 8);
            assert!(FileHeader::decode(&b).is_err(), "bit {i} not detected");
        }
    }

    #[test]
    fn short_header_is_truncated() {
        let bytes = FileHeader {
            kind: FileKind::Manifest,
            fid: 0,
        }
        .encode();
        for n in 0..HEADER_LEN {
            assert!(matches!(
                FileHeader::decode(&bytes[..n]),
                Err(DecodeError::Truncated { .. })
            ));
        }
    }

    #[test]
    fn fid_rules() {
        for (kind, fid) in [(FileKind::Manifest, 1u64), (FileKind::Data, 0)] {
            let mut b = FileHeader { kind, fid: 5 }.encode();
            b[12..20].copy_from_slice(&fid.to_le_bytes());
            let crc = crc32(&b[..20]);
            b[20..].copy_from_slice(&crc.to_le_bytes());
            assert_eq!(
                FileHeader::decode(&b),
                Err(Corruption::BadFid { kind, fid }.into())
            );
        }
    }
}
