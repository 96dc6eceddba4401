//! Sequential scan of a file's records with torn-tail and corruption handling
//! (`docs/storage-format.md` §9).
//!
//! [`RecordIter`] walks the records of any file kind over a byte slice (an mmap'd file or a
//! buffer read with `pread`). It never panics and never stops silently:
//!
//! * a valid record is yielded as `(offset, Ok(record))`;
//! * a damaged region — a record that fails to decode, up to the next offset where a valid
//!   record starts (found by scanning forward byte by byte, "resync") or to the end of the
//!   file — is yielded once as `(offset, Err(e))`, logged with `tracing::warn!`, and recorded
//!   in the [`ScanReport`];
//! * the report says where the valid prefix ends and whether the only damage is a torn tail,
//!   so the caller can `truncate_to` it (§9.2).
//!
//! Callers that want to stop at the first error simply stop iterating.

use std::marker::PhantomData;
use std::path::Path;

use crate::error::{DecodeError, StorageError};
use crate::format::{HEADER_LEN, RecordCodec, decode_frame};

/// One damaged byte range found by a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// Offset of the first byte that did not decode.
    pub offset: u64,
    /// Bytes skipped: up to the next valid record, or to the end of the file.
    pub len: u64,
    /// Why the record at `offset` did not decode.
    pub error: DecodeError,
}

impl Damage {
    /// Offset just past the damaged range.
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.len)
    }
}

/// What a scan found, in addition to the records themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Length of the scanned bytes (the file length).
    pub file_len: u64,
    /// End of the valid prefix: the header plus every record before the first damage.
    pub valid_prefix: u64,
    /// Valid records yielded so far (before and after damage).
    pub records: u64,
    /// Damaged ranges, in file order.
    pub damaged: Vec<Damage>,
}

impl ScanReport {
    /// No damage found (so far).
    pub fn is_clean(&self) -> bool {
        self.damaged.is_empty()
    }

    /// The damaged range that runs to the end of the file, if the last one does.
    pub fn tail_damage(&self) -> Option<&Damage> {
        self.damaged.last().filter(|d| d.end() == self.file_len)
    }

    /// Where to truncate to repair a torn tail: `Some(valid_prefix)` if and only if the sole
    /// damage is one range from the end of the valid prefix to the end of the file (§9.2).
    /// `None` for a clean file and for a file with damage in the middle.
    pub fn torn_tail_at(&self) -> Option<u64> {
        match self.damaged.as_slice() {
            [d] if d.offset == self.valid_prefix && d.end() == self.file_len => {
                Some(self.valid_prefix)
            }
            _ => None,
        }
    }

    /// Damaged ranges followed by at least one valid record: bit rot, not a torn write.
    pub fn mid_file_damage(&self) -> impl Iterator<Item = &Damage> {
        let tail = self.tail_damage().map(|d| d.offset);
        self.damaged.iter().filter(move |d| Some(d.offset) != tail)
    }
}

/// Iterator over the records of a whole file's bytes, from the end of the header.
///
/// Yields `(offset, Result<record>)`; see the [module docs](self) for the damage rules.
/// Call [`RecordIter::report`] (at any time, typically after the loop) for the summary.
#[derive(Debug)]
pub struct RecordIter<'a, C: RecordCodec> {
    buf: &'a [u8],
    pos: usize,
    path: &'a Path,
    report: ScanReport,
    _codec: PhantomData<fn() -> C>,
}

impl<'a, C: RecordCodec> RecordIter<'a, C> {
    /// Scans `file` (the complete file, header included; the header is assumed valid and
    /// skipped). `path` is only used in errors and log lines.
    pub fn new(file: &'a [u8], path: &'a Path) -> Self {
        let start = HEADER_LEN.min(file.len());
        RecordIter {
            buf: file,
            pos: start,
            path,
            report: ScanReport {
                file_len: file.len() as u64,
                valid_prefix: start as u64,
                records: 0,
                damaged: Vec::new(),
            },
            _codec: PhantomData,
        }
    }

    /// The summary so far; complete once the iterator returned `None`.
    pub fn report(&self) -> &ScanReport {
        &self.report
    }

    /// Consumes the iterator, returning the summary.
    pub fn into_report(self) -> ScanReport {
        self.report
    }

    /// Offset of the next record to be examined.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// First offset at or after `from` where a valid record starts, or the end of the buffer.
    fn resync(&self, from: usize) -> usize {
        let mut p = from;
        while let Some(rest) = self.buf.get(p..) {
            if rest.is_empty() || decode_frame::<C>(rest).is_ok() {
                return p;
            }
            p += 1;
        }
        self.buf.len()
    }
}

impl<'a, C: RecordCodec> Iterator for RecordIter<'a, C> {
    type Item = (u64, Result<C::Ref<'a>, StorageError>);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.pos..).filter(|r| !r.is_empty())?;
        let offset = self.pos;
        match decode_frame::<C>(rest) {
            Ok((rec, len)) => {
                self.pos = offset.saturating_add(len);
                self.report.records += 1;
                if self.report.damaged.is_empty() {
                    self.report.valid_prefix = self.pos as u64;
                }
                Some((offset as u64, Ok(rec)))
            }
            Err(error) => {
                let next = self.resync(offset.saturating_add(1));
                let damage = Damage {
                    offset: offset as u64,
                    len: (next - offset) as u64,
                    error: error.clone(),
                };
                tracing::warn!(
                    path = %self.path.display(),
                    kind = %C::KIND,
                    offset = damage.offset,
                    len = damage.len,
                    at_tail = next == self.buf.len(),
                    %error,
                    "damaged region in file"
                );
                self.report.damaged.push(damage);
                self.pos = next;
                Some((
                    offset as u64,
                    Err(StorageError::from_decode(self.path, offset as u64, error)),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{DataCodec, FileHeader, FileKind, RecordRef};

    fn file_with(n: u64) -> Vec<u8> {
        let mut f = FileHeader {
            kind: FileKind::Data,
            fid: 1,
        }
        .encode()
        .to_vec();
        for seq in 1..=n {
            RecordRef::put(seq, format!("k{seq}").as_bytes(), b"value")
                .encode_into(&mut f)
                .unwrap();
        }
        f
    }

    #[test]
    fn clean_file() {
        let f = file_with(5);
        let path = Path::new("x");
        let mut it = RecordIter::<DataCodec>::new(&f, path);
        let seqs: Vec<u64> = it.by_ref().map(|(_, r)| r.unwrap().seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        let rep = it.into_report();
        assert!(rep.is_clean());
        assert_eq!(rep.valid_prefix, f.len() as u64);
        assert_eq!(rep.torn_tail_at(), None);
    }

    #[test]
    fn middle_damage_is_skipped_and_reported() {
        let mut f = file_with(3);
        let second = HEADER_LEN + RecordRef::put(1, b"k1", b"value").encoded_len();
        f[second + 25] ^= 0x40; // inside record 2's key/value
        let path = Path::new("x");
        let mut it = RecordIter::<DataCodec>::new(&f, path);
        let items: Vec<_> = it.by_ref().collect();
        assert_eq!(items.len(), 3);
        assert!(items[0].1.is_ok());
        assert_eq!(items[1].0, second as u64);
        assert!(matches!(items[1].1, Err(StorageError::Corrupt { .. })));
        assert_eq!(items[2].1.as_ref().unwrap().seq, 3);
        let rep = it.report();
        assert_eq!(rep.valid_prefix, second as u64);
        assert_eq!(rep.torn_tail_at(), None);
        assert_eq!(rep.mid_file_damage().count(), 1);
    }
}
