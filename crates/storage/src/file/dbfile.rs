//! [`DBFile`]: one file of the store, any kind, opened for appending or reading
//! (`docs/storage-format.md` §2, §3, §8–§10).
//!
//! Life of a file:
//!
//! ```text
//! create ──► append / write_records … sync … ──► seal ──► into_mapped ──► (readers) ──► delete
//!   │ header written + fsync'd                   │ fdatasync, no more writes   │ mmap, zero-copy
//!   └ (caller fsyncs the directory, §10)         └ never truncated again       └ by name, any time
//! ```
//!
//! Writes use `pwrite` at the logical end (`len`), reads use `pread` or an mmap. The file
//! cursor is never used, so reads and writes do not interfere.
//!
//! After a failed write or sync the file is *poisoned* and refuses further writes: what
//! reached the disk is unknown (a failed `fsync` may have dropped dirty pages), so the only
//! safe continuation is a new file (§9.3).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::dir::file_path;
use crate::error::{Corruption, Result, StorageError};
use crate::faults;
use crate::format::{
    DataCodec, Fid, FileHeader, FileKind, HEADER_LEN, RecordBuf, RecordCodec, RecordPos, RecordRef,
};
use crate::mapped::{FileView, MappedFile};

/// Scratch buffers larger than this are freed after use instead of kept for the next write.
const SCRATCH_KEEP: usize = 4 << 20;

/// How to open an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read only; the handle is sealed from the start.
    ReadOnly,
    /// Read and append (the active data file, the MANIFEST).
    ReadWrite,
}

/// One file of the store (data, hint or MANIFEST): a header (§3) followed by records.
#[derive(Debug)]
pub struct DBFile {
    file: File,
    path: PathBuf,
    kind: FileKind,
    fid: Fid,
    /// Logical length: header plus every record written through this handle. Appends go here.
    len: u64,
    sealed: bool,
    poisoned: bool,
    scratch: Vec<u8>,
}

impl DBFile {
    /// Creates `dir/<name of kind, fid>` (§2), which must not exist, and writes and fsyncs its
    /// header.
    ///
    /// Does not fsync `dir`: callers batch that (see [`crate::sync_dir`] and §10). If writing
    /// the header fails, the new file is removed again (best effort).
    pub fn create(dir: &Path, kind: FileKind, fid: Fid) -> Result<DBFile> {
        Self::create_at(file_path(dir, kind, fid), kind, fid)
    }

    /// [`DBFile::create`] at an explicit path (used for `MANIFEST.tmp`).
    pub(crate) fn create_at(path: PathBuf, kind: FileKind, fid: Fid) -> Result<DBFile> {
        if !kind.accepts_fid(fid) {
            return Err(StorageError::InvalidFid { kind, fid });
        }
        let file = faults::open_new(
            OpenOptions::new().read(true).write(true).create_new(true),
            &path,
        )
        .map_err(|e| StorageError::io("create", &path, e))?;
        let header = FileHeader { kind, fid }.encode();
        let written = faults::write_all_at(&file, &path, &header, 0)
            .map_err(|e| StorageError::io("write header", &path, e))
            .and_then(|()| {
                faults::sync_all(&file, &path).map_err(|e| StorageError::io("fsync", &path, e))
            });
        if let Err(e) = written {
            if let Err(rm) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), error = %rm, "could not remove half-created file");
            }
            return Err(e);
        }
        Ok(DBFile {
            file,
            path,
            kind,
            fid,
            len: HEADER_LEN as u64,
            sealed: false,
            poisoned: false,
            scratch: Vec::new(),
        })
    }

    /// Opens `dir/<name of kind, fid>` and validates its header: magic, CRC, version, and that
    /// kind and fid are the ones asked for.
    ///
    /// The records are not scanned: to recover an active file after a crash, scan it with
    /// [`DBFile::view`] and repair a torn tail with [`DBFile::truncate_to`] (§9.2) before
    /// appending.
    pub fn open(dir: &Path, kind: FileKind, fid: Fid, access: Access) -> Result<DBFile> {
        Self::open_at(file_path(dir, kind, fid), kind, fid, access)
    }

    /// [`DBFile::open`] at an explicit path.
    pub(crate) fn open_at(
        path: PathBuf,
        kind: FileKind,
        fid: Fid,
        access: Access,
    ) -> Result<DBFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(access == Access::ReadWrite)
            .open(&path)
            .map_err(|e| StorageError::io("open", &path, e))?;
        let len = file
            .metadata()
            .map_err(|e| StorageError::io("stat", &path, e))?
            .len();
        let mut header = [0u8; HEADER_LEN];
        let have = header
            .get_mut(..len.min(HEADER_LEN as u64) as usize)
            .unwrap_or_default();
        file.read_exact_at(have, 0)
            .map_err(|e| StorageError::io("read header", &path, e))?;
        check_header(&path, have, kind, fid)?;
        Ok(DBFile {
            file,
            path,
            kind,
            fid,
            len,
            sealed: access == Access::ReadOnly,
            poisoned: false,
            scratch: Vec::new(),
        })
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Kind of the file.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// Fid of the file.
    pub fn fid(&self) -> Fid {
        self.fid
    }

    /// Logical length in bytes (header included); the next record is written here.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if the file holds no records (only its header).
    pub fn is_empty(&self) -> bool {
        self.len <= HEADER_LEN as u64
    }

    /// True once sealed (or opened read-only).
    pub fn is_sealed(&self) -> bool {
        self.sealed
    }

    /// True after a failed write or sync.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Appends one data record; see [`DBFile::write_records`].
    pub fn append_record(&mut self, record: &RecordRef<'_>) -> Result<RecordPos> {
        self.append::<DataCodec>(record)
    }

    /// Appends one record of any kind; see [`DBFile::write_records`].
    pub fn append<C: RecordCodec>(&mut self, item: &C::Ref<'_>) -> Result<RecordPos> {
        self.encode_and_write::<C, _>(|buf, base| encode_one::<C>(item, buf, base))
    }

    /// Encodes `items` and appends them with one `pwrite` at the end of the file.
    ///
    /// All items are validated and encoded before anything is written, so an encoding error
    /// writes nothing. Not durable until [`DBFile::sync`]. Returns each record's position.
    pub fn write_records<C: RecordCodec>(
        &mut self,
        items: &[C::Ref<'_>],
    ) -> Result<Vec<RecordPos>> {
        self.encode_and_write::<C, _>(|buf, base| {
            items
                .iter()
                .map(|item| encode_one::<C>(item, buf, base))
                .collect()
        })
    }

    /// Runs `encode` into the scratch buffer (given the file offset the buffer will land at),
    /// then writes the buffer with one `pwrite`.
    fn encode_and_write<C: RecordCodec, T>(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>, u64) -> Result<T>,
    ) -> Result<T> {
        self.check_kind::<C>()?;
        self.check_writable()?;
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        let result = encode(&mut buf, self.len).and_then(|out| {
            self.write_at_end(&buf)?;
            Ok(out)
        });
        if buf.capacity() <= SCRATCH_KEEP {
            self.scratch = buf;
        }
        result
    }

    /// `pwrite`s `bytes` at the logical end and advances it.
    fn write_at_end(&mut self, bytes: &[u8]) -> Result<()> {
        if let Err(e) = faults::write_all_at(&self.file, &self.path, bytes, self.len) {
            self.poisoned = true;
            return Err(StorageError::io("write", &self.path, e));
        }
        self.len = self.len.saturating_add(bytes.len() as u64);
        Ok(())
    }

    /// Appends `bytes` as they are (the hint-file footer, §5.1).
    pub(crate) fn append_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.check_writable()?;
        self.write_at_end(bytes)
    }

    /// Reads `buf.len()` bytes at `offset` with `pread`.
    pub(crate) fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.pread(buf, offset)
    }

    /// Reads and verifies the data record at `offset` with `pread` (§8).
    ///
    /// Reads the fixed prefix first; a length that is over the limits or runs past the end of
    /// the file is reported without allocating for it.
    pub fn read_record_at(&self, offset: u64) -> Result<RecordBuf> {
        let buf = self.read_frame_at::<DataCodec>(offset)?;
        RecordBuf::from_bytes(buf).map_err(|e| StorageError::from_decode(&self.path, offset, e))
    }

    /// Reads the bytes of the record at `offset`, sized from its prefix; the CRC is *not*
    /// checked yet (the caller's decode does that).
    pub(crate) fn read_frame_at<C: RecordCodec>(&self, offset: u64) -> Result<Vec<u8>> {
        self.check_kind::<C>()?;
        if offset < HEADER_LEN as u64 || offset >= self.len {
            return Err(StorageError::OutOfBounds {
                path: self.path.clone(),
                offset,
                len: self.len,
            });
        }
        let available = self.len - offset;
        let truncated = |needed: u64| StorageError::Truncated {
            path: self.path.clone(),
            offset,
            needed,
            available,
        };
        if available < C::PREFIX_LEN as u64 {
            return Err(truncated(C::PREFIX_LEN as u64));
        }
        let mut buf = vec![0u8; C::PREFIX_LEN];
        self.pread(&mut buf, offset)?;
        let len =
            C::record_len(&buf).map_err(|e| StorageError::from_decode(&self.path, offset, e))?;
        if len as u64 > available {
            return Err(truncated(len as u64));
        }
        buf.resize(len, 0);
        if let Some(rest) = buf.get_mut(C::PREFIX_LEN..) {
            self.pread(rest, offset + C::PREFIX_LEN as u64)?;
        }
        Ok(buf)
    }

    fn pread(&self, buf: &mut [u8], offset: u64) -> Result<()> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| StorageError::io("read", &self.path, e))
    }

    /// Maps the file read-only for a sequential scan ([`MappedFile::records`]) or random
    /// zero-copy reads, up to the current logical length.
    ///
    /// The view borrows `self`, so the file cannot be appended to or truncated while it exists
    /// (a truncation under a live mapping would raise SIGBUS, §8).
    pub fn view(&self) -> Result<FileView<'_>> {
        let mapped = MappedFile::map_file(&self.file, &self.path, self.kind, self.fid, self.len)?;
        Ok(FileView::new(mapped))
    }

    /// Makes every record written so far durable (`fdatasync`).
    pub fn sync(&mut self) -> Result<()> {
        if self.poisoned {
            return Err(StorageError::Poisoned {
                path: self.path.clone(),
            });
        }
        if let Err(e) = faults::sync_data(&self.file, &self.path) {
            self.poisoned = true;
            return Err(StorageError::io("fdatasync", &self.path, e));
        }
        Ok(())
    }

    /// Syncs and seals the file: no more writes or truncation through this handle. Idempotent.
    pub fn seal(&mut self) -> Result<()> {
        if !self.sealed {
            self.sync()?;
            self.sealed = true;
        }
        Ok(())
    }

    /// Shrinks the file to `len` bytes and fsyncs it: the torn-tail repair of §9.2, with `len`
    /// from [`crate::ScanReport::torn_tail_at`].
    ///
    /// Never call this on a file that is mapped anywhere (another process, another handle):
    /// touching a mapped page past the new end raises SIGBUS. Sealed files — the only ones this
    /// crate maps for readers — refuse it, and a [`FileView`] borrows the handle.
    pub fn truncate_to(&mut self, len: u64) -> Result<()> {
        self.check_writable()?;
        if len < HEADER_LEN as u64 || len > self.len {
            return Err(StorageError::BadTruncate {
                path: self.path.clone(),
                to: len,
                header: HEADER_LEN as u64,
                len: self.len,
            });
        }
        tracing::info!(path = %self.path.display(), from = self.len, to = len, "truncating file");
        let done = faults::set_len(&self.file, &self.path, len)
            .map_err(|e| StorageError::io("truncate", &self.path, e))
            .and_then(|()| {
                faults::sync_all(&self.file, &self.path)
                    .map_err(|e| StorageError::io("fsync", &self.path, e))
            });
        if done.is_err() {
            self.poisoned = true;
        }
        done?;
        self.len = len;
        Ok(())
    }

    /// After a failed write or sync (§9.3, healing): cuts the file to `len` — the end of the
    /// last batch that was published, at or before the logical end — dropping what a failed
    /// write or an unacknowledged batch left after it, and fsyncs the cut. Readers may map the
    /// file meanwhile: they only touch published records, all below `len`.
    pub fn cut_after_failure(&mut self, len: u64) -> Result<()> {
        if len < HEADER_LEN as u64 || len > self.len {
            return Err(StorageError::BadTruncate {
                path: self.path.clone(),
                to: len,
                header: HEADER_LEN as u64,
                len: self.len,
            });
        }
        faults::set_len(&self.file, &self.path, len)
            .map_err(|e| StorageError::io("truncate", &self.path, e))?;
        faults::sync_all(&self.file, &self.path)
            .map_err(|e| StorageError::io("fsync", &self.path, e))?;
        self.len = len;
        Ok(())
    }

    /// Turns a sealed file into a [`MappedFile`] for lock-free readers.
    pub fn into_mapped(self) -> Result<MappedFile> {
        if !self.sealed {
            return Err(StorageError::NotSealed { path: self.path });
        }
        MappedFile::map_file(&self.file, &self.path, self.kind, self.fid, self.len)
    }

    /// Closes and unlinks the file. Does not fsync the directory ([`crate::sync_dir`]).
    ///
    /// Safe even while other handles map the file: the pages stay valid until unmapped.
    pub fn delete(self) -> Result<()> {
        std::fs::remove_file(&self.path).map_err(|e| StorageError::io("remove", &self.path, e))
    }

    fn check_kind<C: RecordCodec>(&self) -> Result<()> {
        if C::KIND != self.kind {
            return Err(StorageError::KindMismatch {
                path: self.path.clone(),
                file: self.kind,
                codec: C::KIND,
            });
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<()> {
        if self.sealed {
            return Err(StorageError::Sealed {
                path: self.path.clone(),
            });
        }
        if self.poisoned {
            return Err(StorageError::Poisoned {
                path: self.path.clone(),
            });
        }
        Ok(())
    }
}

/// Appends the encoding of `item` to `buf` and returns its position, given that `buf` will
/// be written at file offset `base`.
fn encode_one<C: RecordCodec>(
    item: &C::Ref<'_>,
    buf: &mut Vec<u8>,
    base: u64,
) -> Result<RecordPos> {
    let start = buf.len();
    C::encode(item, buf).map_err(StorageError::Encode)?;
    let len = buf.len() - start;
    // Every codec bounds its records far below 4 GiB (§8); keep the check anyway.
    let len = u32::try_from(len).map_err(|_| {
        StorageError::Encode(Corruption::ValueTooLong {
            len: len as u64,
            max: u64::from(u32::MAX),
        })
    })?;
    Ok(RecordPos {
        offset: base.saturating_add(start as u64),
        len,
    })
}

/// Validates a header read from `path` against the expected kind and fid.
pub(crate) fn check_header(path: &Path, bytes: &[u8], kind: FileKind, fid: Fid) -> Result<()> {
    let header = FileHeader::decode(bytes).map_err(|e| StorageError::from_decode(path, 0, e))?;
    if header.kind != kind || header.fid != fid {
        return Err(StorageError::WrongFile {
            path: path.to_path_buf(),
            expected: kind,
            expected_fid: fid,
            found: header.kind,
            found_fid: header.fid,
        });
    }
    Ok(())
}
