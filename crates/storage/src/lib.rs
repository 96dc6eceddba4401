//! `kvs-storage`: a Bitcask-style log-structured key-value store with lock-free reads.
//!
//! A store is one directory of CRC'd, append-only files: data files holding every put and
//! delete, hint files that let an open rebuild the index without reading values, and a MANIFEST
//! (fid 0) whose atomic `AddOrRemove` edits say which files are live. Every key lives in an
//! in-memory [`index`] pointing at its current record. The byte layouts, the replay rules and the
//! crash-safety argument are in `docs/storage-format.md`; the section numbers (§n) in the code
//! refer to it. The crate knows nothing of sockets or RESP: `kvs-server` drives it through the
//! API below, and so can any application.
//!
//! # Using it
//!
//! * [`KvStore`] — the blocking API ([`KvsEngine`]: `set`, `get`, `remove`), durable per the
//!   [`FsyncPolicy`] once a call returns.
//! * [`Store`] — the engine under it, `Clone + Send + Sync`. A write command runs on the writer
//!   thread against a [`Txn`] (atomic read-modify-write; the records of one command commit
//!   together) and is told once its batch is committed: a [`WriteCommand`] of the caller's own
//!   type ([`Store::submit_commands`]), or a closure returning its [`Completion`]
//!   ([`Store::submit_write`]); [`Store::execute`] waits for it. Reads are lock-free:
//!   [`Store::reader`] gives a [`Reader`] on the calling thread, [`Store::submit_reads`] runs
//!   [`ReadCommand`]s (closures too) on the reader threads. Also [`Store::sync`] (SAVE), [`Store::flush_all`],
//!   [`Store::compact`], [`Store::stats`], and [`Options`] to open with.
//!
//! ```
//! use kvs_storage::{KvStore, KvsEngine};
//!
//! # fn main() -> Result<(), kvs_storage::StorageError> {
//! let tmp = tempfile::tempdir().unwrap();
//! let store = KvStore::open(tmp.path())?;
//! store.set("k".to_owned(), "1".to_owned())?;
//!
//! // A read-modify-write on the writer thread; `execute` waits until it is committed.
//! let next = store.store().execute(|txn| {
//!     let n: u64 = match txn.get(b"k")? {
//!         Some(v) => String::from_utf8_lossy(&v.data).parse().unwrap_or(0),
//!         None => 0,
//!     };
//!     txn.put(b"k", (n + 1).to_string().as_bytes(), None);
//!     Ok::<_, kvs_storage::StorageError>(n + 1)
//! })??;
//! assert_eq!(next, 2);
//! assert_eq!(store.store().reader().get(b"k")?, Some(b"2".to_vec()));
//! # Ok(())
//! # }
//! ```
//!
//! # Threads
//!
//! Opening a store ([`Store::open_with`]) takes an exclusive lock on [`LOCK_FILE`] (one process
//! per directory), recovers (MANIFEST replay, leftover files deleted, the index loaded from hint
//! files or scans, the torn tail of the last active file truncated: [`RecoveryReport`]), and
//! starts:
//!
//! * one **writer**, the only appender: it drains its channel into a batch, runs each command's
//!   [`WriteCommand::run`], appends the whole batch with one `pwrite`, fsyncs per policy (at most
//!   once per batch), updates the index, and only then calls [`WriteCommand::committed`] — that
//!   call is the commit point. It also seals the active file at [`Options::max_file_size`] — or earlier,
//!   once it is mostly garbage ([`Options::seal_dead_ratio`], [`Options::seal_dead_bytes`]) —
//!   and deletes keys whose TTL has passed. A caller blocked in [`Store::execute`] (every
//!   [`KvStore`] write) is answered without waking parked threads where it can: both sides
//!   poll for a bounded time while the reply or the next call is due;
//! * [`Options::readers`] **reader** threads running read commands sent over a channel;
//! * one **compactor**, which rewrites sealed files with enough dead bytes into new files with
//!   hint files, commits the swap with one MANIFEST edit, and repoints the index by
//!   compare-and-swap ([`CompactionReport`]).
//!
//! Results go to the caller's closures; the store never knows where they are going. When the last
//! handle is dropped, the threads stop, the writer fsyncs, and the lock is released.
//!
//! [`check`](mod@check) verifies (and repairs) a store offline, as the `kvs-check` binary does.
//!
//! # The file layer
//!
//! Public too, for tools and tests: everything on disk, nothing in memory beyond one file at a
//! time.
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

// Three layers, each a folder: the file layer (`file/`, the format), the engine (`engine/`, the
// running store) and opening (`open/`). Their modules are re-exported here under the flat names
// the public API has always had (`kvs_storage::dbfile`, `kvs_storage::index`...), and the crate's
// own code uses the same flat paths.
mod engine;
mod file;
mod open;

pub mod check;
pub mod error;

pub use engine::index;
#[cfg(feature = "fault-injection")]
pub use file::faults;
pub use file::{dbfile, dir, format, manifest, mapped, record_scan};

pub(crate) use engine::{
    batch, collection, command, compactor, expiry, fileset, handoff, kv_store, list_order,
    list_view, options, reader, shared, store, txn, watch, writer, zset_order,
};
#[cfg(not(feature = "fault-injection"))]
pub(crate) use file::faults;
pub(crate) use file::lock;
pub(crate) use open::{loader, recovery};

pub use check::{CheckOptions, CheckReport, CheckStatus, check};
pub use dbfile::{Access, DBFile};
pub use dir::{file_name, file_path, list_files, parse_file_name, sync_dir};
pub use error::{Corruption, DecodeError, EditError, Result, StorageError};
pub use format::{
    DataCodec, EditCodec, Fid, FileHeader, FileKind, HintCodec, HintEntry, HintFooter,
    ManifestEdit, RecordBuf, RecordCodec, RecordKind, RecordPos, RecordRef,
};
pub use manifest::{Manifest, ManifestState};
pub use mapped::{FileView, MappedFile};
pub use record_scan::{Damage, RecordIter, ScanReport};

pub use collection::{
    CollectionKind, CollectionMeta, CollectionShape, KeyType, ListOrder, MAX_ELEMENTS, Members,
    Stored,
};
pub use command::{Completion, ReadCommand, ReadFn, TxnFn, WriteCommand};
pub use compactor::CompactionReport;
pub use kv_store::{KvStore, KvsEngine};
pub use lock::LOCK_FILE;
pub use options::{CompletionScope, ExpiredSink, FsyncPolicy, Options, now_ms};
pub use reader::{Reader, Value};
pub use recovery::RecoveryReport;
pub use shared::FileStats;
pub use store::{Store, StoreStats};
pub use txn::Txn;
pub use watch::{WatchCounts, WatcherId, Watches};
