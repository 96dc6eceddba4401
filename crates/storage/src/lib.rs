//! `kvs-storage`: a Bitcask-style log-structured key-value store.
//!
//! What will live here (see issue 4 and `docs/storage-format.md`): `DBFile`s with CRC'd headers and
//! records, the MANIFEST (fid 0) of atomic `AddOrRemove` edits, a lock-free read path over mmap'd
//! immutable files and a concurrent index, and the reader / writer / compactor threads that take
//! commands over channels and hand replies to a caller-supplied sink.
//!
//! # What is here so far: the file layer
//!
//! Everything on disk, nothing in memory beyond one file at a time. The byte layouts, the
//! replay rules and the crash-safety argument are in `docs/storage-format.md`; the section
//! numbers (§n) in the code refer to it.
//!
//! * [`format`](mod@format) — pure encoders/decoders over `&[u8]`: the [file header](format::FileHeader),
//!   [data records](format::RecordRef), [hint entries](format::HintEntry) and
//!   [MANIFEST edits](format::ManifestEdit), all framed the same way (CRC first, covering
//!   every byte after it, lengths included) behind the [`RecordCodec`] trait. No input panics.
//! * [`DBFile`] — one file: create (header written and synced), open (header validated),
//!   batched appends with one `pwrite`, `pread` of a record, `fdatasync`, seal, torn-tail
//!   truncation, delete.
//! * [`MappedFile`] / [`FileView`] — read-only mmaps with zero-copy [`RecordRef`] decoding.
//! * [`RecordIter`] / [`ScanReport`] — sequential scans that report damaged ranges, resync past
//!   them, and say exactly where a torn tail starts.
//! * [`Manifest`] — fid 0: the log of `AddOrRemove` edits, fid allocation, replay, repair.
//! * [`dir`] — file naming, directory listing, [`sync_dir`].
//!
//! ```
//! use kvs_storage::{DBFile, FileKind, Manifest, RecordRef, sync_dir};
//!
//! # fn main() -> Result<(), kvs_storage::StorageError> {
//! let tmp = tempfile::tempdir().unwrap();
//! let dir = tmp.path();
//! let mut manifest = Manifest::create(dir)?;
//!
//! // New active data file: allocate a fid, create the file, make it reachable, commit.
//! let fid = manifest.allocate_fid()?;
//! let mut data = DBFile::create(dir, FileKind::Data, fid)?;
//! sync_dir(dir)?;
//! manifest.add_or_remove(&[fid], &[])?;
//!
//! let pos = data.append_record(&RecordRef::put(1, b"hello", b"world"))?;
//! data.sync()?;
//! assert_eq!(data.read_record_at(pos.offset)?.value(), b"world");
//!
//! // Rotate: seal and map it for readers.
//! data.seal()?;
//! let mapped = data.into_mapped()?;
//! assert_eq!(mapped.record_at(pos.offset)?.key, b"hello");
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

pub mod dbfile;
pub mod dir;
pub mod error;
pub mod format;
pub mod index;
pub mod manifest;
pub mod mapped;
pub mod scan;

mod compactor;
mod fileset;
mod kv_store;
mod lock;
mod options;
mod reader;
mod recovery;
mod shared;
mod store;
mod txn;
mod writer;

pub use dbfile::{Access, DBFile};
pub use dir::{file_name, file_path, list_files, parse_file_name, sync_dir};
pub use error::{Corruption, DecodeError, EditError, Result, StorageError};
pub use format::{
    DataCodec, EditCodec, Fid, FileHeader, FileKind, HintCodec, HintEntry, ManifestEdit, RecordBuf,
    RecordCodec, RecordPos, RecordRef,
};
pub use manifest::{Manifest, ManifestState};
pub use mapped::{FileView, MappedFile};
pub use scan::{Damage, RecordIter, ScanReport};

pub use compactor::CompactionReport;
pub use fileset::Value;
pub use kv_store::{KvStore, KvsEngine};
pub use lock::LOCK_FILE;
pub use options::{FsyncPolicy, Options, now_ms};
pub use reader::{ReadFn, Reader};
pub use recovery::RecoveryReport;
pub use shared::FileStats;
pub use store::{Store, StoreStats};
pub use txn::Txn;
pub use writer::{Completion, TxnFn};
