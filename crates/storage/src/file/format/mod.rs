//! Pure byte formats: no I/O here, only `&[u8]` in and `Vec<u8>` out.
//!
//! Every decoder in this module is total: any byte input yields a value or a
//! [`DecodeError`](crate::DecodeError), never a panic. The layouts are specified in
//! `docs/storage-format.md`; each submodule cites its section.
//!
//! * [`header`] — the 24-byte header every file starts with (§3).
//! * [`record`] — data records (§4).
//! * [`hint`] — hint entries (§5).
//! * [`edit`] — MANIFEST edits (§6.1).
//! * [`codec`] — the framing all three share: CRC first, lengths derivable from a fixed prefix.

pub mod codec;
pub mod edit;
pub mod header;
pub mod hint;
pub mod hint_footer;
pub mod record;

pub use codec::{RecordCodec, decode_frame};
pub use edit::{EditCodec, ManifestEdit};
pub use header::{FORMAT_VERSION, FileHeader, FileKind, HEADER_LEN, OLDEST_READ_VERSION};
pub use hint::{HintCodec, HintEntry};
pub use hint_footer::{HINT_FOOTER_LEN, HintFooter};
pub use record::{DataCodec, RecordBuf, RecordRef};

/// A file id. Fid 0 is the MANIFEST; data and hint files use fids from 1 up, allocated by
/// the MANIFEST and never reused (§2, §6.3).
pub type Fid = u64;

/// Position of one record (data record, hint entry or edit) in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RecordPos {
    /// Byte offset of the record's first byte (its CRC).
    pub offset: u64,
    /// Length of the whole record in bytes.
    pub len: u32,
}

impl RecordPos {
    /// Offset just past the record.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(u64::from(self.len))
    }
}

/// Fid of the MANIFEST (§2).
pub const MANIFEST_FID: Fid = 0;

/// First fid handed out for data files (§6.3).
pub const FIRST_DATA_FID: Fid = 1;

/// Largest key accepted, in bytes (1 MiB, §8).
pub const MAX_KEY_LEN: u32 = 1 << 20;

/// Largest value accepted, in bytes (512 MiB, Redis' `proto-max-bulk-len` default, §8).
pub const MAX_VALUE_LEN: u32 = 512 << 20;

/// Most fids one MANIFEST edit may list, `add` and `remove` together (§6.1).
pub const MAX_EDIT_FIDS: u32 = 1 << 20;

/// Record flag: the record is a tombstone (a delete) (§4).
pub const FLAG_TOMBSTONE: u8 = 0x01;

/// Record flag: an 8-byte expire-at timestamp follows the fixed fields (§4).
pub const FLAG_EXPIRES: u8 = 0x02;

/// Record flag (format version 2, §4.3): the record is a collection's metadata record — its
/// key is a user key, its value the collection's type and id.
pub const FLAG_META: u8 = 0x08;

/// Record flag (format version 2, §4.3): the record is an element of a collection — its key is
/// `[collection id, u64 big-endian][element]`, in a key space of its own.
pub const FLAG_ELEMENT: u8 = 0x10;

/// All flag bits defined (by format versions 1 and 2); the others must be zero.
pub const KNOWN_FLAGS: u8 =
    FLAG_TOMBSTONE | FLAG_EXPIRES | FLAG_BATCH_OPEN | FLAG_META | FLAG_ELEMENT;

/// What a record holds (§4.3): its flags' META and ELEMENT bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordKind {
    /// A string value, or the delete of a user key (whatever its type): a user-key record
    /// as format version 1 has them.
    #[default]
    Plain,
    /// A collection's metadata record, under its user key.
    Meta,
    /// An element of a collection, in the element key space.
    Element,
}

impl RecordKind {
    /// The kind a flags byte gives.
    pub fn from_flags(flags: u8) -> RecordKind {
        if flags & FLAG_META != 0 {
            RecordKind::Meta
        } else if flags & FLAG_ELEMENT != 0 {
            RecordKind::Element
        } else {
            RecordKind::Plain
        }
    }

    /// The flag bit of this kind (none for `Plain`).
    pub fn flag(self) -> u8 {
        match self {
            RecordKind::Plain => 0,
            RecordKind::Meta => FLAG_META,
            RecordKind::Element => FLAG_ELEMENT,
        }
    }

    /// Whether the record's key is in the element key space (else it is a user key).
    pub fn is_element(self) -> bool {
        self == RecordKind::Element
    }
}

/// Data record flag (§4.2): more records of the same atomic write batch follow this one. The
/// last record of a batch has it clear, so a batch cut short by a crash is recognised and
/// dropped whole on recovery.
pub const FLAG_BATCH_OPEN: u8 = 0x04;

/// CRC-32 used everywhere (§1): IEEE 802.3 / ISO-HDLC polynomial, as computed by
/// `crc32fast` (the same as zlib's `crc32`).
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Builds the flags byte from the two booleans (§4).
pub(crate) fn flags_byte(tombstone: bool, expires: bool) -> u8 {
    let mut f = 0;
    if tombstone {
        f |= FLAG_TOMBSTONE;
    }
    if expires {
        f |= FLAG_EXPIRES;
    }
    f
}

/// Checks a flags byte and the tombstone rule shared by records and hint entries (§4).
pub(crate) fn check_flags(flags: u8) -> Result<(), crate::Corruption> {
    if flags & !KNOWN_FLAGS != 0 {
        return Err(crate::Corruption::ReservedFlags(flags));
    }
    if flags & FLAG_TOMBSTONE != 0 && flags & (FLAG_EXPIRES | FLAG_META) != 0 {
        return Err(crate::Corruption::BadTombstone);
    }
    if flags & FLAG_META != 0 && flags & FLAG_ELEMENT != 0 {
        return Err(crate::Corruption::ReservedFlags(flags));
    }
    Ok(())
}

/// Checks a key length against [`MAX_KEY_LEN`].
pub(crate) fn check_key_len(len: u64) -> Result<(), crate::Corruption> {
    if len > u64::from(MAX_KEY_LEN) {
        return Err(crate::Corruption::KeyTooLong {
            len,
            max: u64::from(MAX_KEY_LEN),
        });
    }
    Ok(())
}

/// Checks a value length against [`MAX_VALUE_LEN`].
pub(crate) fn check_value_len(len: u64) -> Result<(), crate::Corruption> {
    if len > u64::from(MAX_VALUE_LEN) {
        return Err(crate::Corruption::ValueTooLong {
            len,
            max: u64::from(MAX_VALUE_LEN),
        });
    }
    Ok(())
}

/// A little-endian reader over a byte slice that never panics: every read that would run
/// past the end returns [`crate::DecodeError::Truncated`].
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Starts reading at the beginning of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    /// Takes the next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], crate::DecodeError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end).map(|s| (end, s))) {
            Some((end, s)) => {
                self.pos = end;
                Ok(s)
            }
            None => Err(crate::DecodeError::Truncated {
                needed: (self.pos as u64).saturating_add(n as u64),
                available: self.buf.len() as u64,
            }),
        }
    }

    /// Takes a fixed-size array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], crate::DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Reads one byte.
    pub(crate) fn u8(&mut self) -> Result<u8, crate::DecodeError> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian `u16`.
    pub(crate) fn u16(&mut self) -> Result<u16, crate::DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, crate::DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Reads a little-endian `u64`.
    pub(crate) fn u64(&mut self) -> Result<u64, crate::DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}
