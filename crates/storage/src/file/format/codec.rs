//! The framing shared by data records, hint entries and MANIFEST edits (§1, §9).
//!
//! Every record of every file kind is laid out the same way at the outermost level:
//!
//! ```text
//! +---------+---------------------------------------------+----------------------+
//! | crc u32 | fixed fields (lengths, counts, flags, ...)  | variable-size bytes  |
//! +---------+---------------------------------------------+----------------------+
//! |<------------------ PREFIX_LEN ------------------------>|
//!           |<---------------- covered by crc --------------------------------->|
//! ```
//!
//! The total length of a record is a function of its fixed prefix alone, so a reader can
//! tell "the file ends inside this record" (a torn tail) from "the record is all there but
//! wrong" (corruption) — and, because the CRC covers the length fields too, a flipped length
//! is caught like any other flipped bit.

use crate::error::{Corruption, DecodeError};
use crate::format::FileKind;
use crate::format::crc32;

/// One record format: how long a record is, how to decode it once its CRC checked out, how to
/// encode it. Implemented by [`DataCodec`](crate::format::DataCodec),
/// [`HintCodec`](crate::format::HintCodec) and [`EditCodec`](crate::format::EditCodec).
///
/// The trait only describes the bytes; [`decode_frame`] does the checking in the one order
/// every codec shares (length of prefix, plausibility of the prefix, length of record, CRC,
/// body), so the torn-tail and resync logic in [`crate::record_scan`] works for all file kinds.
pub trait RecordCodec {
    /// The kind of file these records live in (checked against the file header).
    const KIND: FileKind;

    /// Bytes at the start of a record (CRC included) that determine its total length.
    const PREFIX_LEN: usize;

    /// The decoded form. Borrows from the buffer for zero-copy kinds (data, hint).
    type Ref<'a>;

    /// Given exactly `PREFIX_LEN` bytes, checks the fixed fields for plausibility (flags, limits)
    /// and returns the total record length in bytes, CRC included.
    ///
    /// Must not panic on any input. Returning an error here is what keeps a corrupt length
    /// from ever causing an allocation or a read of absurd size (§8).
    fn record_len(prefix: &[u8]) -> Result<usize, DecodeError>;

    /// Decodes a whole record of `record_len` bytes whose CRC has already been verified.
    fn decode_checked(record: &[u8]) -> Result<Self::Ref<'_>, DecodeError>;

    /// Appends the encoding of `item` (CRC included) to `out`.
    ///
    /// On error nothing is appended.
    fn encode(item: &Self::Ref<'_>, out: &mut Vec<u8>) -> Result<(), Corruption>;
}

/// Decodes the record at the start of `buf`, verifying its CRC.
///
/// Returns the record and its length in bytes. The checks run in this order (§9):
///
/// 1. `buf` holds at least the fixed prefix, else [`DecodeError::Truncated`];
/// 2. the fixed fields are plausible (flags, size limits), else [`DecodeError::Corrupt`];
/// 3. `buf` holds the whole record, else [`DecodeError::Truncated`];
/// 4. the CRC matches, else [`Corruption::ChecksumMismatch`];
/// 5. the body decodes.
///
/// Never panics and never allocates more than the record's own size, whatever `buf` holds.
pub fn decode_frame<C: RecordCodec>(buf: &[u8]) -> Result<(C::Ref<'_>, usize), DecodeError> {
    let record = frame::<C>(buf)?;
    verify_crc(record)?;
    Ok((C::decode_checked(record)?, record.len()))
}

/// The record at the start of `buf`: its length read from its prefix (checked for
/// plausibility, so a corrupt length never reads out of bounds), its bytes.
fn frame<C: RecordCodec>(buf: &[u8]) -> Result<&[u8], DecodeError> {
    let available = buf.len() as u64;
    let prefix = buf.get(..C::PREFIX_LEN).ok_or(DecodeError::Truncated {
        needed: C::PREFIX_LEN as u64,
        available,
    })?;
    let len = C::record_len(prefix)?;
    buf.get(..len).ok_or(DecodeError::Truncated {
        needed: len as u64,
        available,
    })
}

/// [`decode_frame`] without the CRC check, for a record whose CRC was checked earlier in the
/// same immutable bytes (recovery decodes each record twice: phase A checks it, phase B,
/// storage-engine §11.5, only needs its fields back). The fields are still checked for
/// plausibility, so no input makes it panic or read out of bounds.
pub(crate) fn decode_frame_verified<C: RecordCodec>(
    buf: &[u8],
) -> Result<(C::Ref<'_>, usize), DecodeError> {
    let record = frame::<C>(buf)?;
    Ok((C::decode_checked(record)?, record.len()))
}

/// Checks the leading CRC32 of `record` against the rest of it.
pub(crate) fn verify_crc(record: &[u8]) -> Result<(), DecodeError> {
    let (stored, covered) = match (record.get(..4), record.get(4..)) {
        (Some(s), Some(c)) => (s, c),
        _ => {
            return Err(DecodeError::Truncated {
                needed: 4,
                available: record.len() as u64,
            });
        }
    };
    let mut le = [0u8; 4];
    le.copy_from_slice(stored);
    let stored = u32::from_le_bytes(le);
    let computed = crc32(covered);
    if stored != computed {
        return Err(Corruption::ChecksumMismatch { stored, computed }.into());
    }
    Ok(())
}

/// Writes a record's CRC into its first four bytes. `record` is the bytes of one record as
/// just appended by an encoder, with a placeholder CRC.
pub(crate) fn seal_crc(record: &mut [u8]) {
    if let Some((crc, covered)) = record.split_first_chunk_mut::<4>() {
        *crc = crc32(covered).to_le_bytes();
    }
}
