//! MANIFEST edits (`docs/storage-format.md` §6.1).
//!
//! ```text
//! offset  width        field
//!      0      4        crc32      u32 LE, over bytes 4..end of edit
//!      4      1        kind       u8, 1 = AddOrRemove (the only kind in version 1)
//!      5      4        n_add      u32 LE
//!      9      4        n_remove   u32 LE, n_add + n_remove ≤ MAX_EDIT_FIDS
//!     13      8        next_fid   u64 LE, the fid allocation counter after this edit
//!     21      8        next_seq   u64 LE, floor for the next sequence number
//!     29  8·n_add      add        u64 LE each
//!      …  8·n_remove   remove     u64 LE each
//! ```
//!
//! This module only encodes and decodes; the replay rules (§6.2) live in
//! [`crate::manifest::ManifestState`].

use crate::error::{Corruption, DecodeError};
use crate::format::codec::{RecordCodec, seal_crc};
use crate::format::{Cursor, Fid, FileKind, MAX_EDIT_FIDS};

/// Length of the fixed part of an edit, §6.1.
pub const EDIT_FIXED_LEN: usize = 29;

/// The edit kind byte of an `AddOrRemove` edit.
pub const EDIT_ADD_OR_REMOVE: u8 = 1;

/// One MANIFEST edit: atomically add and remove files from the live set, and persist the
/// fid and sequence counters (§6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ManifestEdit {
    /// Fids that become live.
    pub add: Vec<Fid>,
    /// Fids that stop being live.
    pub remove: Vec<Fid>,
    /// The fid allocation counter after this edit: every fid ever handed out is below it.
    pub next_fid: Fid,
    /// Floor for the next sequence number the store may assign (§7).
    pub next_seq: u64,
}

impl ManifestEdit {
    /// Total encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        let n = self.add.len().saturating_add(self.remove.len());
        EDIT_FIXED_LEN.saturating_add(n.saturating_mul(8))
    }

    /// Appends the encoding to `out` (nothing is appended on error).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Corruption> {
        EditCodec::encode(self, out)
    }
}

/// The codec for MANIFEST edits (§6.1).
#[derive(Debug, Clone, Copy, Default)]
pub struct EditCodec;

fn check_counts(n_add: u64, n_remove: u64) -> Result<(), Corruption> {
    let count = n_add.saturating_add(n_remove);
    if count > u64::from(MAX_EDIT_FIDS) {
        return Err(Corruption::TooManyFids {
            count,
            max: u64::from(MAX_EDIT_FIDS),
        });
    }
    Ok(())
}

struct Fixed {
    n_add: u32,
    n_remove: u32,
    next_fid: Fid,
    next_seq: u64,
}

fn read_fixed(c: &mut Cursor<'_>) -> Result<Fixed, DecodeError> {
    let _crc = c.u32()?;
    let kind = c.u8()?;
    if kind != EDIT_ADD_OR_REMOVE {
        return Err(Corruption::UnknownEditKind(kind).into());
    }
    let f = Fixed {
        n_add: c.u32()?,
        n_remove: c.u32()?,
        next_fid: c.u64()?,
        next_seq: c.u64()?,
    };
    check_counts(u64::from(f.n_add), u64::from(f.n_remove))?;
    Ok(f)
}

fn read_fids(c: &mut Cursor<'_>, n: u32) -> Result<Vec<Fid>, DecodeError> {
    // n ≤ MAX_EDIT_FIDS and the caller already checked the bytes are present.
    let mut v = Vec::with_capacity(n as usize);
    for _ in 0..n {
        v.push(c.u64()?);
    }
    Ok(v)
}

impl RecordCodec for EditCodec {
    const KIND: FileKind = FileKind::Manifest;
    const PREFIX_LEN: usize = EDIT_FIXED_LEN;
    type Ref<'a> = ManifestEdit;

    fn record_len(prefix: &[u8]) -> Result<usize, DecodeError> {
        let f = read_fixed(&mut Cursor::new(prefix))?;
        // Bounded by MAX_EDIT_FIDS · 8 = 8 MiB.
        Ok(EDIT_FIXED_LEN + 8 * (f.n_add as usize + f.n_remove as usize))
    }

    fn decode_checked(record: &[u8]) -> Result<ManifestEdit, DecodeError> {
        let mut c = Cursor::new(record);
        let f = read_fixed(&mut c)?;
        Ok(ManifestEdit {
            add: read_fids(&mut c, f.n_add)?,
            remove: read_fids(&mut c, f.n_remove)?,
            next_fid: f.next_fid,
            next_seq: f.next_seq,
        })
    }

    fn encode(e: &ManifestEdit, out: &mut Vec<u8>) -> Result<(), Corruption> {
        check_counts(e.add.len() as u64, e.remove.len() as u64)?;
        let start = out.len();
        out.reserve(e.encoded_len());
        out.extend_from_slice(&[0u8; 4]);
        out.push(EDIT_ADD_OR_REMOVE);
        // Both counts ≤ MAX_EDIT_FIDS (checked above).
        out.extend_from_slice(&(e.add.len() as u32).to_le_bytes());
        out.extend_from_slice(&(e.remove.len() as u32).to_le_bytes());
        out.extend_from_slice(&e.next_fid.to_le_bytes());
        out.extend_from_slice(&e.next_seq.to_le_bytes());
        for fid in e.add.iter().chain(&e.remove) {
            out.extend_from_slice(&fid.to_le_bytes());
        }
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
    fn doc_example() {
        // §6.1 of docs/storage-format.md shows this exact dump.
        let e = ManifestEdit {
            add: vec![1],
            remove: vec![],
            next_fid: 2,
            next_seq: 1,
        };
        let mut out = Vec::new();
        e.encode_into(&mut out).unwrap();
        let hex: Vec<String> = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex.join(" "),
            "d4 f2 ad 06 01 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 \
             01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00"
        );
    }

    #[test]
    fn too_many_fids_is_rejected_from_the_prefix() {
        let mut b = Vec::new();
        ManifestEdit::default().encode_into(&mut b).unwrap();
        b[5..9].copy_from_slice(&MAX_EDIT_FIDS.to_le_bytes());
        b[9..13].copy_from_slice(&1u32.to_le_bytes());
        assert!(matches!(
            decode_frame::<EditCodec>(&b),
            Err(DecodeError::Corrupt(Corruption::TooManyFids { .. }))
        ));
        b[4] = 9;
        assert_eq!(
            decode_frame::<EditCodec>(&b).unwrap_err(),
            DecodeError::Corrupt(Corruption::UnknownEditKind(9))
        );
    }

    proptest! {
        #[test]
        fn round_trip(
            add in proptest::collection::vec(any::<u64>(), 0..32),
            remove in proptest::collection::vec(any::<u64>(), 0..32),
            next_fid in any::<u64>(),
            next_seq in any::<u64>(),
        ) {
            let e = ManifestEdit { add, remove, next_fid, next_seq };
            let mut out = Vec::new();
            e.encode_into(&mut out).unwrap();
            prop_assert_eq!(out.len(), e.encoded_len());
            let (back, len) = decode_frame::<EditCodec>(&out).unwrap();
            prop_assert_eq!(back, e);
            prop_assert_eq!(len, out.len());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = decode_frame::<EditCodec>(&bytes);
        }
    }
}
