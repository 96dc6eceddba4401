//! The published set of files readers use: sealed files mmap'd, the active file mapped over a
//! window it grows into. Swapped atomically (arc-swap) by the writer on rotation and by the compactor, so a
//! reader never takes a lock (docs/storage-engine.md §11).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use memmap2::{Mmap, MmapOptions};

use crate::engine::prefetch;
use crate::error::{Result, StorageError};
use crate::format::codec::decode_frame;
use crate::format::{DataCodec, Fid, FileKind, RecordKind};
use crate::index::IndexEntry;
use crate::mapped::MappedFile;
use crate::reader::Value;

/// The file being appended to, as readers see it: a second, read-only descriptor and a
/// read-only map of its first `window` bytes (§11.3), read at offsets the index got from the
/// writer after the bytes were written.
///
/// The map spares every read of the active file a `pread` — on the server's loopers, where
/// most reads of fresh keys run, that is one system call per GET. It is made once, larger than
/// the file (the file grows into it); a record past the window (a batch larger than
/// `max_file_size`) is read with `pread`.
#[derive(Debug)]
pub(crate) struct ActiveFile {
    pub(crate) fid: Fid,
    file: File,
    path: PathBuf,
    map: Option<Mmap>,
}

/// Largest window mapped for an active file; records past it are read with `pread`.
const MAX_WINDOW: u64 = 1 << 30;

impl ActiveFile {
    /// Opens data file `fid` of `dir` for reading, mapping its first `window` bytes.
    pub(crate) fn open(dir: &std::path::Path, fid: Fid, window: u64) -> Result<ActiveFile> {
        let path = crate::dir::file_path(dir, FileKind::Data, fid);
        let file = File::open(&path).map_err(|e| StorageError::io("open", &path, e))?;
        // Address space, not memory: only pages read are ever mapped in. Capped so a huge
        // `max_file_size` cannot make the map itself fail.
        let map = match usize::try_from(window.min(MAX_WINDOW)) {
            // SAFETY: a map is only sound while nobody shrinks the file or rewrites mapped
            // bytes that are read. The active file is only ever appended to while the store
            // is open (`DBFile::truncate_to` runs in recovery, before any reader exists), and
            // readers touch only records the writer finished writing before it published them
            // to the index, so every byte read lies below the file's end and never changes.
            // Pages of the window past the end are never touched (SIGBUS if they were).
            Ok(len) if len > 0 => Some(
                unsafe { MmapOptions::new().len(len).map(&file) }
                    .map_err(|e| StorageError::io("mmap", &path, e))?,
            ),
            _ => None,
        };
        Ok(ActiveFile {
            fid,
            file,
            path,
            map,
        })
    }

    /// Opens any existing file by path, unmapped (the store's placeholder before its active
    /// file exists).
    pub(crate) fn open_path(path: PathBuf) -> Result<ActiveFile> {
        let file = File::open(&path).map_err(|e| StorageError::io("open", &path, e))?;
        Ok(ActiveFile {
            fid: 0,
            file,
            path,
            map: None,
        })
    }

    /// The `len` bytes at `offset`: borrowed from the map when they lie in its window, read
    /// with `pread` otherwise.
    fn read(&self, offset: u64, len: u32) -> Result<Cow<'_, [u8]>> {
        let in_map = self.map.as_ref().and_then(|m| {
            let start = usize::try_from(offset).ok()?;
            m.get(start..start.checked_add(len as usize)?)
        });
        if let Some(bytes) = in_map {
            return Ok(Cow::Borrowed(bytes));
        }
        let mut buf = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|e| StorageError::io("read", &self.path, e))?;
        Ok(Cow::Owned(buf))
    }
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
    pub(crate) fn read(&self, e: &IndexEntry, key: &[u8]) -> Result<Option<(RecordKind, Value)>> {
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

    /// Starts loading (a hint: never blocks, never faults) the first bytes of the record `e`
    /// points at, if its file is mapped here and the bytes are in the map.
    pub(crate) fn prefetch(&self, e: &IndexEntry) {
        /// A record's fixed part, a short key and a 100-byte value: what a GET reads first.
        const HEAD: usize = 192;
        let map = if e.fid == self.active.fid {
            self.active.map.as_deref()
        } else {
            self.sealed.get(&e.fid).map(|f| f.bytes())
        };
        let start = usize::try_from(e.offset).unwrap_or(usize::MAX);
        if let Some(rest) = map.and_then(|m| m.get(start..)) {
            prefetch::bytes(rest, HEAD.min(e.len as usize));
        }
    }
}

fn check(
    rec: &crate::RecordRef<'_>,
    key: &[u8],
    path: &std::path::Path,
    offset: u64,
) -> Result<(RecordKind, Value)> {
    if rec.key != key || rec.tombstone {
        return Err(StorageError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: crate::Corruption::IndexMismatch,
        });
    }
    let value = Value {
        data: rec.value.to_vec(),
        expire_at_ms: rec.expire_at_ms,
    };
    Ok((rec.kind, value))
}
