//! Read-only memory maps of files: [`MappedFile`] for sealed files shared by readers, and
//! [`FileView`] for a temporary map of a [`DBFile`](crate::DBFile) (`docs/storage-format.md` §8).
//!
//! Reads decode in place: [`MappedFile::record_at`] returns a [`RecordRef`] borrowing the
//! mapped pages, with the same decoder ([`decode_frame`]) that checks `pread` buffers.

use std::fs::File;
use std::marker::PhantomData;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::dbfile::check_header;
use crate::dir::file_path;
use crate::error::{Result, StorageError};
use crate::format::{DataCodec, Fid, FileKind, HEADER_LEN, RecordCodec, RecordRef, decode_frame};
use crate::record_scan::RecordIter;

/// A whole file mapped read-only, header validated. `Send + Sync`; share it in an `Arc`.
///
/// Only files that are never written again are mapped this way: sealed data and hint files.
/// Deleting the file while mapped is safe (the pages live until the map is dropped);
/// truncating it is not, which is why sealed files are never truncated (§8, §10).
#[derive(Debug)]
pub struct MappedFile {
    map: Mmap,
    len: usize,
    path: PathBuf,
    kind: FileKind,
    fid: Fid,
}

impl MappedFile {
    /// Opens and maps the sealed file `dir/<name of kind, fid>`, validating its header.
    pub fn open(dir: &Path, kind: FileKind, fid: Fid) -> Result<MappedFile> {
        let path = file_path(dir, kind, fid);
        let file = File::open(&path).map_err(|e| StorageError::io("open", &path, e))?;
        let mapped = Self::map_file(&file, &path, kind, fid, u64::MAX)?;
        check_header(&path, mapped.header_bytes(), kind, fid)?;
        Ok(mapped)
    }

    /// Maps `file`, exposing at most `len` bytes. The caller has validated the header or
    /// validates it next.
    pub(crate) fn map_file(
        file: &File,
        path: &Path,
        kind: FileKind,
        fid: Fid,
        len: u64,
    ) -> Result<MappedFile> {
        // SAFETY: mapping a file is only sound while nobody changes the mapped bytes or shrinks
        // the file. This crate maps only (a) sealed files, which it never writes or truncates
        // again, and (b) files borrowed by a `FileView`, whose `&DBFile` borrow rules out
        // writes and truncation through that handle for the view's lifetime. Other writers
        // (other processes, other handles on the same path) are outside the contract (§8).
        let map = unsafe { Mmap::map(file) }.map_err(|e| StorageError::io("mmap", path, e))?;
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(map.len());
        Ok(MappedFile {
            map,
            len,
            path: path.to_path_buf(),
            kind,
            fid,
        })
    }

    fn header_bytes(&self) -> &[u8] {
        let bytes = self.bytes();
        bytes.get(..HEADER_LEN).unwrap_or(bytes)
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

    /// Mapped length in bytes, header included.
    pub fn len(&self) -> u64 {
        self.len as u64
    }

    /// True if the file holds no records.
    pub fn is_empty(&self) -> bool {
        self.len <= HEADER_LEN
    }

    /// The whole file, header included.
    pub fn bytes(&self) -> &[u8] {
        self.map.get(..self.len).unwrap_or_default()
    }

    /// Whether bytes `offset..offset + len` of the file are in the page cache, so reading them
    /// through the map cannot wait for the disk (at most a minor fault maps the page in). One
    /// `mincore` call; `false` for a range outside the file or over 64 pages, and if the call
    /// fails. **Thread-safe.** A page can of course be evicted right after the answer: this is
    /// a hint for where to run a read (storage-engine §11.3), not a guarantee.
    pub fn is_resident(&self, offset: u64, len: usize) -> bool {
        const MAX_PAGES: usize = 64;
        let page = page_size();
        let Ok(start) = usize::try_from(offset) else {
            return false;
        };
        let Some(end) = start.checked_add(len).filter(|&e| e <= self.len && len > 0) else {
            return false;
        };
        let base = self.map.as_ptr() as usize; // page-aligned: mmap returns whole pages
        let first = (base + start) & !(page - 1);
        let span = base + end - first;
        let pages = span.div_ceil(page);
        if pages > MAX_PAGES {
            return false;
        }
        let mut vec = [0u8; MAX_PAGES];
        // SAFETY: `first..first + pages * page` lies within this mapping (whole pages of a map
        // that covers `..self.len`), and `vec` has room for one byte per page. mincore only
        // reads the page tables and writes `vec`.
        let r =
            unsafe { libc::mincore(first as *mut libc::c_void, pages * page, vec.as_mut_ptr()) };
        r == 0 && vec.iter().take(pages).all(|v| v & 1 == 1)
    }

    /// Drops this process's references to the file's pages after a whole-file scan (the hint
    /// writer's, recovery's), so they stop counting in its resident memory: they stay in the
    /// page cache, and a later read through the map faults them back in from there. Without
    /// this, every byte the compactor ever scanned shows in the server's RSS. Best effort.
    ///
    /// Thread-safe: readers may be reading through the map meanwhile.
    pub fn release_pages(&self) {
        // SAFETY: `MADV_DONTNEED` on a read-only *shared* file mapping only unmaps the pages;
        // the next access reads the same bytes from the page cache (the file is sealed: nobody
        // writes it). What makes DONTNEED unsafe in general — private or anonymous mappings,
        // whose contents it resets — does not apply to this map.
        let r = unsafe {
            self.map
                .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
        };
        if let Err(e) = r {
            tracing::debug!(path = %self.path.display(), error = %e, "madvise(DONTNEED) failed");
        }
    }

    /// Iterates over all records from the end of the header (§9). Fails only if `C` is not
    /// this file's kind.
    pub fn records<C: RecordCodec>(&self) -> Result<RecordIter<'_, C>> {
        self.check_kind::<C>()?;
        Ok(RecordIter::new(self.bytes(), &self.path))
    }

    /// Decodes and verifies the data record at `offset`, zero-copy.
    pub fn record_at(&self, offset: u64) -> Result<RecordRef<'_>> {
        self.decode_at::<DataCodec>(offset)
    }

    /// Decodes and verifies the record of kind `C` at `offset`.
    pub fn decode_at<C: RecordCodec>(&self, offset: u64) -> Result<C::Ref<'_>> {
        let rest = self.bytes_from::<C>(offset)?;
        decode_frame::<C>(rest)
            .map(|(rec, _)| rec)
            .map_err(|e| StorageError::from_decode(&self.path, offset, e))
    }

    /// [`decode_at`](MappedFile::decode_at) without the CRC check, for a record this mapping
    /// already verified (recovery's phase B, storage-engine §11.5).
    pub(crate) fn decode_verified_at<C: RecordCodec>(&self, offset: u64) -> Result<C::Ref<'_>> {
        let rest = self.bytes_from::<C>(offset)?;
        crate::format::codec::decode_frame_verified::<C>(rest)
            .map(|(rec, _)| rec)
            .map_err(|e| StorageError::from_decode(&self.path, offset, e))
    }

    /// The bytes from `offset` on, if it lies after the header of a file of `C`'s kind.
    fn bytes_from<C: RecordCodec>(&self, offset: u64) -> Result<&[u8]> {
        self.check_kind::<C>()?;
        usize::try_from(offset)
            .ok()
            .filter(|&o| o >= HEADER_LEN)
            .and_then(|o| self.bytes().get(o..))
            .filter(|r| !r.is_empty())
            .ok_or_else(|| StorageError::OutOfBounds {
                path: self.path.clone(),
                offset,
                len: self.len(),
            })
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
}

/// A read-only map of a [`DBFile`](crate::DBFile) that borrows it, so the file cannot be
/// written or truncated while the map exists. Dereferences to [`MappedFile`].
///
/// Used to scan a file that is still open for writing, e.g. the active data file or the
/// MANIFEST during recovery.
#[derive(Debug)]
pub struct FileView<'a> {
    inner: MappedFile,
    _file: PhantomData<&'a crate::DBFile>,
}

impl FileView<'_> {
    pub(crate) fn new(inner: MappedFile) -> Self {
        FileView {
            inner,
            _file: PhantomData,
        }
    }
}

impl Deref for FileView<'_> {
    type Target = MappedFile;

    fn deref(&self) -> &MappedFile {
        &self.inner
    }
}

/// The system's page size (`sysconf`, read once).
fn page_size() -> usize {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n)
            .ok()
            .filter(|n| n.is_power_of_two())
            .unwrap_or(4096)
    })
}
