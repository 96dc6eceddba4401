//! The published set of files readers use: sealed files mmap'd, the active file read with
//! `pread`. Swapped atomically (arc-swap) by the writer on rotation and by the compactor, so a
//! reader never takes a lock (docs/storage-format.md §11).

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Result, StorageError};
use crate::format::codec::decode_frame;
use crate::format::{DataCodec, Fid, FileKind};
use crate::index::IndexEntry;
use crate::mapped::MappedFile;

/// The file being appended to, as readers see it: a second, read-only descriptor, read at
/// offsets the index got from the writer after the bytes were written.
#[derive(Debug)]
pub(crate) struct ActiveFile {
    pub(crate) fid: Fid,
    file: File,
    path: PathBuf,
}

impl ActiveFile {
    pub(crate) fn open(dir: &std::path::Path, fid: Fid) -> Result<ActiveFile> {
        let path = crate::dir::file_path(dir, FileKind::Data, fid);
        let file = File::open(&path).map_err(|e| StorageError::io("open", &path, e))?;
        Ok(ActiveFile { fid, file, path })
    }

    /// Opens any existing file by path (the store's placeholder before its active file exists).
    pub(crate) fn open_path(path: PathBuf) -> Result<ActiveFile> {
        let file = File::open(&path).map_err(|e| StorageError::io("open", &path, e))?;
        Ok(ActiveFile { fid: 0, file, path })
    }

    fn read(&self, offset: u64, len: u32) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|e| StorageError::io("read", &self.path, e))?;
        Ok(buf)
    }
}

/// A value read from the store, with its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The bytes.
    pub data: Vec<u8>,
    /// Absolute expiry, Unix milliseconds.
    pub expire_at_ms: Option<u64>,
}

/// Every live data file: what a reader needs to resolve an index entry to bytes.
#[derive(Debug, Clone)]
pub(crate) struct FileSet {
    pub(crate) sealed: HashMap<Fid, Arc<MappedFile>>,
    pub(crate) active: Arc<ActiveFile>,
}

impl FileSet {
    /// Reads the record `e` points at and checks it is `key`'s (CRC verified on every read, so
    /// bit rot is reported, never served). `Ok(None)` means the file is no longer in this set: a
    /// compaction moved the record, and the caller retries with a fresh index entry.
    pub(crate) fn read(&self, e: &IndexEntry, key: &[u8]) -> Result<Option<Value>> {
        if e.fid == self.active.fid {
            let buf = self.active.read(e.offset, e.len)?;
            let (rec, _) = decode_frame::<DataCodec>(&buf)
                .map_err(|err| StorageError::from_decode(&self.active.path, e.offset, err))?;
            return check(&rec, key, &self.active.path, e.offset).map(Some);
        }
        let Some(file) = self.sealed.get(&e.fid) else {
            return Ok(None);
        };
        let rec = file.record_at(e.offset)?;
        check(&rec, key, file.path(), e.offset).map(Some)
    }
}

fn check(
    rec: &crate::RecordRef<'_>,
    key: &[u8],
    path: &std::path::Path,
    offset: u64,
) -> Result<Value> {
    if rec.key != key || rec.tombstone {
        return Err(StorageError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: crate::Corruption::IndexMismatch,
        });
    }
    Ok(Value {
        data: rec.value.to_vec(),
        expire_at_ms: rec.expire_at_ms,
    })
}
