//! `Store`: the engine's handle — opens a directory, runs the writer, reader and compactor
//! threads, and takes commands for them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, LazyLock, Mutex, Weak};
use std::thread::JoinHandle;

use arc_swap::ArcSwap;
use crossbeam_channel::{Sender, bounded, unbounded};

use crate::command::{ClosureCommand, Completion, ReadCommand, ReadFn, TxnFn, WriteCommand};
use crate::compactor::{CompactionReport, CompactorMsg};
use crate::error::{Result, StorageError};
use crate::fileset::{ActiveFile, FileSet};
use crate::handoff::CallerSpin;
use crate::lock::DirLock;
use crate::options::Options;
use crate::reader::Reader;
use crate::recovery::{RecoveryReport, recover};
use crate::shared::{Counters, FileStats, Shared, lock};
use crate::txn::Txn;
use crate::writer::{Writer, WriterMsg};

/// A handle to an open store. `Clone + Send + Sync`; the store shuts down (threads stopped, data
/// fsync'd, directory lock released) when the last clone is dropped.
///
/// Writes go to the one writer thread ([`submit_write`](Self::submit_write)); reads can run on
/// the reader threads ([`submit_read`](Self::submit_read)) or directly on the calling thread
/// ([`reader`](Self::reader)), lock-free either way. Results are handed to the caller's
/// closures — the store never knows where they go (a socket's event loop, a channel, ...).
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    writer_tx: Option<Sender<WriterMsg>>,
    reader_tx: Option<Sender<Vec<ReadFn>>>,
    compactor_tx: Option<Sender<CompactorMsg>>,
    threads: Vec<JoinHandle<()>>,
    recovery: RecoveryReport,
    /// Blocked callers polling for their reply (`handoff`).
    caller_spin: CallerSpin,
    key: PathBuf,
    dir_lock: Option<DirLock>,
}

/// Stores open in this process, so that opening a directory that is already open hands back
/// the live instance, and opening one that is closing waits for it to finish closing.
type Registry = (Mutex<HashMap<PathBuf, Weak<Inner>>>, Condvar);
static OPEN: LazyLock<Registry> = LazyLock::new(Default::default);

/// Counters and sizes, for INFO and for tests.
#[derive(Debug, Clone, Default)]
pub struct StoreStats {
    /// Keys in the index (expired ones not yet collected included).
    pub keys: usize,
    /// Estimated bytes used by the index.
    pub index_bytes: usize,
    /// Per live data file: sizes, dead bytes, seq range.
    pub files: Vec<(u64, FileStats)>,
    /// Sum of live data file sizes.
    pub disk_bytes: u64,
    /// Sum of dead bytes.
    pub dead_bytes: u64,
    /// Write batches committed (each one write, at most one fsync).
    pub write_batches: u64,
    /// Records written.
    pub writes: u64,
    /// fsyncs of the active file.
    pub fsyncs: u64,
    /// Compactions run.
    pub compactions: u64,
    /// Bytes reclaimed by compaction.
    pub bytes_reclaimed: u64,
    /// Unix ms of the last fsync (Redis' `LASTSAVE`, in ms).
    pub last_save_ms: u64,
    /// Why writes are refused, if they are (after an I/O failure, until the writer heals
    /// the store: storage-format §9.3).
    pub refused: Option<String>,
    /// The last write failure, kept after writes resume.
    pub last_write_error: Option<String>,
    /// Why the last attempt to heal failed, while writes are refused.
    pub last_heal_error: Option<String>,
    /// Attempts to heal after write failures, and the ones that succeeded.
    pub heal_attempts: u64,
    /// See `heal_attempts`.
    pub heals: u64,
    /// Keys that carry an expiry (Redis' `expires`; expired ones not yet collected included).
    pub expiring_keys: u64,
    /// Mean remaining TTL, in ms, of the keys with an expiry: exact (their mean expiry time
    /// minus now, floored at 0; 0 if there are none).
    pub avg_ttl_ms: u64,
    /// Keys deleted because their TTL had passed (Redis' `expired_keys`).
    pub expired_keys: u64,
    /// Distinct keys watched by clients (WATCH).
    pub watched_keys: u64,
    /// Clients watching at least one key.
    pub watching_clients: u64,
}

impl Store {
    /// Opens (or creates) the store in `dir` with default [`Options`].
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        Self::open_with(dir, Options::default())
    }

    /// Opens (or creates) the store in `dir`.
    ///
    /// If this process already has the directory open, the live instance is returned (its
    /// options stay as they were); if it is being closed, this waits for the close to finish.
    /// Another process holding the directory makes this fail with [`StorageError::Locked`].
    pub fn open_with(dir: impl AsRef<Path>, opts: Options) -> Result<Store> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| StorageError::io("create directory", dir, e))?;
        let key = dir
            .canonicalize()
            .map_err(|e| StorageError::io("canonicalize", dir, e))?;
        let (registry, closed) = &*OPEN;
        let mut open = lock(registry);
        loop {
            match open.get(&key).map(Weak::upgrade) {
                Some(Some(inner)) => return Ok(Store { inner }),
                Some(None) => {
                    open = closed
                        .wait(open)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                }
                None => break,
            }
        }
        let inner = Arc::new(Inner::start(&key, opts)?);
        open.insert(key, Arc::downgrade(&inner));
        Ok(Store { inner })
    }

    /// What recovery found when this store was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.inner.recovery
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.inner.shared.dir
    }

    /// The options the store runs with.
    pub fn options(&self) -> &Options {
        &self.inner.shared.opts
    }

    /// Sends one write command to the writer thread. **Thread-safe.** Fails with
    /// [`StorageError::Closed`] (without running `f`) if the store is shutting down.
    pub fn submit_write(
        &self,
        f: impl FnOnce(&mut Txn<'_>) -> Completion + Send + 'static,
    ) -> Result<()> {
        self.submit_commands(vec![Box::new(ClosureCommand::new(f))])
    }

    /// Sends several write closures in one channel message; they run in order, in one batch or
    /// consecutive ones. **Thread-safe.**
    pub fn submit_writes(&self, fs: Vec<TxnFn>) -> Result<()> {
        self.submit_commands(
            fs.into_iter()
                .map(|f| -> Box<dyn WriteCommand> { Box::new(ClosureCommand::new(f)) })
                .collect(),
        )
    }

    /// Sends several write commands of the caller's own type in one channel message; they run
    /// in order, in one batch or consecutive ones. **Thread-safe.** Fails with
    /// [`StorageError::Closed`] (dropping the commands unrun) if the store is shutting down.
    pub fn submit_commands(&self, commands: Vec<Box<dyn WriteCommand>>) -> Result<()> {
        self.writer()?
            .send(WriterMsg::Txns(commands))
            .map_err(|_| StorageError::Closed)
    }

    /// Sends one read command to the reader threads. **Thread-safe.**
    pub fn submit_read(&self, f: impl FnOnce(&Reader<'_>) + Send + 'static) -> Result<()> {
        self.submit_reads(vec![Box::new(f) as Box<dyn ReadCommand>])
    }

    /// Sends several read commands in one channel message, run in order by one reader thread.
    /// **Thread-safe.**
    pub fn submit_reads(&self, fs: Vec<ReadFn>) -> Result<()> {
        let tx = self.inner.reader_tx.as_ref().ok_or(StorageError::Closed)?;
        tx.send(fs).map_err(|_| StorageError::Closed)
    }

    /// A reader for the calling thread: lock-free reads without a channel hop.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            shared: &self.inner.shared,
        }
    }

    /// Makes every write completed so far durable, then calls `done`.
    pub fn submit_sync(&self, done: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        self.writer()?
            .send(WriterMsg::Sync(Box::new(done)))
            .map_err(|_| StorageError::Closed)
    }

    /// Deletes every key with one MANIFEST edit, then calls `done`.
    pub fn submit_flush_all(&self, done: impl FnOnce(Result<()>) + Send + 'static) -> Result<()> {
        self.writer()?
            .send(WriterMsg::FlushAll(Box::new(done)))
            .map_err(|_| StorageError::Closed)
    }

    /// Starts a compaction of every sealed file with dead bytes; `done` gets the report.
    pub fn submit_compact(
        &self,
        done: impl FnOnce(Result<CompactionReport>) + Send + 'static,
    ) -> Result<()> {
        let tx = self
            .inner
            .compactor_tx
            .as_ref()
            .ok_or(StorageError::Closed)?;
        tx.send(CompactorMsg::Compact(Box::new(done)))
            .map_err(|_| StorageError::Closed)
    }

    /// Runs `f` on the writer thread and waits until its writes are committed; returns what `f`
    /// returned. The blocking form of [`submit_write`](Self::submit_write) for embedded use.
    pub fn execute<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Txn<'_>) -> R + Send + 'static,
    ) -> Result<R> {
        let (tx, rx) = crate::handoff::reply_slot();
        let call = Box::new(ClosureCommand::new(
            move |txn: &mut Txn<'_>| -> Completion {
                let r = f(txn);
                Box::new(move |committed: Result<()>| tx.send(committed.map(|()| r)))
            },
        ));
        self.writer()?
            .send(WriterMsg::Call(call, std::time::Instant::now()))
            .map_err(|_| StorageError::Closed)?;
        // A reply due after an fsync is not worth polling for.
        let may_spin = self.inner.shared.opts.fsync != crate::options::FsyncPolicy::Always;
        self.inner
            .caller_spin
            .wait(rx, may_spin)
            .ok_or(StorageError::Closed)?
    }

    /// Blocking [`submit_sync`](Self::submit_sync).
    pub fn sync(&self) -> Result<()> {
        let (tx, rx) = bounded(1);
        self.submit_sync(move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| StorageError::Closed)?
    }

    /// Blocking [`submit_flush_all`](Self::submit_flush_all).
    pub fn flush_all(&self) -> Result<()> {
        let (tx, rx) = bounded(1);
        self.submit_flush_all(move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| StorageError::Closed)?
    }

    /// Blocking [`submit_compact`](Self::submit_compact).
    pub fn compact(&self) -> Result<CompactionReport> {
        let (tx, rx) = bounded(1);
        self.submit_compact(move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| StorageError::Closed)?
    }

    /// Sets `key` (blocking until committed).
    pub fn set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let (k, v) = (key.to_vec(), value.to_vec());
        self.execute(move |t| t.put(&k, &v, None))
    }

    /// Reads `key` on the calling thread.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.reader().get(key)
    }

    /// Deletes `key` (blocking); returns whether it existed.
    pub fn remove(&self, key: &[u8]) -> Result<bool> {
        let k = key.to_vec();
        self.execute(move |t| t.delete(&k))?
    }

    /// Why writes are refused, if they are: after a failed write or fsync the store refuses
    /// every write until the writer heals it — a fresh file takes the writes once the disk
    /// does — or it is reopened (storage-format §9.3); reads go on. **Thread-safe**, and
    /// one atomic load while writes are accepted, so callers may ask before each write.
    pub fn writes_refused(&self) -> Option<StorageError> {
        self.inner.shared.refused()
    }

    /// Counters and sizes. **Thread-safe.**
    pub fn stats(&self) -> StoreStats {
        let s = &self.inner.shared;
        let files: Vec<(u64, FileStats)> = lock(&s.stats).iter().map(|(f, st)| (*f, *st)).collect();
        let c: &Counters = &s.counters;
        let load = |a: &AtomicU64| a.load(Relaxed);
        StoreStats {
            keys: s.index.len(),
            index_bytes: s.index.approx_memory_bytes(),
            disk_bytes: files.iter().map(|(_, f)| f.total).sum(),
            dead_bytes: files.iter().map(|(_, f)| f.dead).sum(),
            files,
            write_batches: load(&c.write_batches),
            writes: load(&c.writes),
            fsyncs: load(&c.fsyncs),
            compactions: load(&c.compactions),
            bytes_reclaimed: load(&c.bytes_reclaimed),
            last_save_ms: load(&c.last_save_ms),
            refused: lock(&s.poisoned).clone(),
            last_write_error: lock(&s.last_write_error).clone(),
            last_heal_error: lock(&s.last_heal_error).clone(),
            heal_attempts: load(&c.heal_attempts),
            heals: load(&c.heals),
            expiring_keys: load(&c.expiring_keys),
            avg_ttl_ms: match load(&c.expiring_keys) {
                0 => 0,
                _ => load(&c.expiring_mean_at_ms).saturating_sub(crate::options::now_ms()),
            },
            expired_keys: load(&c.expired_keys),
            watched_keys: c.watches.keys(),
            watching_clients: c.watches.clients(),
        }
    }

    fn writer(&self) -> Result<&Sender<WriterMsg>> {
        self.inner.writer_tx.as_ref().ok_or(StorageError::Closed)
    }
}

impl Inner {
    fn start(dir: &Path, opts: Options) -> Result<Inner> {
        let lock_file = DirLock::acquire(dir)?;
        let opening = std::time::Instant::now();
        let rec = recover(dir)?;
        let recovered_in = opening.elapsed();
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            index: rec.index,
            elements: rec.elements,
            files: ArcSwap::from_pointee(FileSet {
                sealed: rec.sealed,
                active: Arc::new(placeholder_active(dir)?),
            }),
            files_update: Mutex::new(()),
            stats: Mutex::new(rec.stats),
            manifest: Mutex::new({
                let mut m = rec.manifest;
                m.set_rewrite_at(opts.manifest_rewrite_at);
                m
            }),
            next_seq: AtomicU64::new(rec.next_seq),
            poisoned: Mutex::new(None),
            refusing: AtomicBool::new(false),
            last_write_error: Mutex::new(None),
            last_heal_error: Mutex::new(None),
            compaction: Mutex::new(()),
            counters: Counters::default(),
            publishing: AtomicU64::new(0),
            opts,
        });
        // Every open starts a fresh active file; the previous one is sealed as it is.
        let active = crate::writer::new_active_file(&shared)?;
        let active_reader = Arc::new(ActiveFile::open(
            dir,
            active.fid(),
            shared.opts.max_file_size,
        )?);
        shared.update_files(|cur| FileSet {
            sealed: cur.sealed.clone(),
            active: active_reader,
        });
        let r = &rec.report;
        tracing::info!(
            dir = %dir.display(),
            keys = r.keys,
            files = r.files,
            from_hints = r.from_hints,
            scanned = r.scanned,
            threads = r.load_threads,
            recovery_ms = recovered_in.as_millis() as u64,
            sort_ms = r.sort_time.as_millis() as u64,
            insert_ms = r.insert_time.as_millis() as u64,
            opened_ms = opening.elapsed().as_millis() as u64,
            "store opened"
        );

        let (writer_tx, writer_rx) = unbounded();
        let (reader_tx, reader_rx) = unbounded();
        let (compactor_tx, compactor_rx) = unbounded();
        let mut threads = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .map_err(|e| StorageError::io("spawn thread", dir, e))
        };
        let writer = Writer::new(
            shared.clone(),
            active,
            writer_rx,
            compactor_tx.clone(),
            rec.expiries,
            rec.collections,
        );
        threads.push(spawn("kvs-writer".into(), Box::new(move || writer.run()))?);
        for n in 0..shared.opts.readers.max(1) {
            let (s, rx) = (shared.clone(), reader_rx.clone());
            threads.push(spawn(
                format!("kvs-reader-{n}"),
                Box::new(move || crate::reader::run(s, rx, n)),
            )?);
        }
        let (s, wtx) = (shared.clone(), writer_tx.clone());
        threads.push(spawn(
            "kvs-compactor".into(),
            Box::new(move || crate::compactor::run(s, compactor_rx, wtx)),
        )?);
        // Sealed files recovery found without a hint file (the previous active file) get one.
        for fid in shared.files.load().sealed.keys() {
            if !crate::dir::file_path(dir, crate::format::FileKind::Hint, *fid).exists() {
                let _ = compactor_tx.send(CompactorMsg::WriteHints(*fid));
            }
        }
        Ok(Inner {
            shared,
            writer_tx: Some(writer_tx),
            reader_tx: Some(reader_tx),
            compactor_tx: Some(compactor_tx),
            threads,
            recovery: rec.report,
            caller_spin: CallerSpin::new(),
            key: dir.to_path_buf(),
            dir_lock: Some(lock_file),
        })
    }
}

/// The file set needs an active file before the real one exists; the MANIFEST always does.
fn placeholder_active(dir: &Path) -> Result<ActiveFile> {
    ActiveFile::open_path(dir.join(crate::dir::MANIFEST_NAME))
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channels stops the threads; the compactor goes first, as it talks to the
        // writer; the writer fsyncs on its way out.
        if let Some(tx) = self.compactor_tx.take() {
            let _ = tx.send(CompactorMsg::Stop);
        }
        self.reader_tx.take();
        self.writer_tx.take();
        let threads = std::mem::take(&mut self.threads);
        // The last handle may be dropped on one of the store's own threads (a write completion
        // or read command held it). That thread cannot join itself: another one finishes the
        // close once it has exited; reopening waits for that as usual.
        let me = std::thread::current().id();
        let on_own_thread = threads.iter().any(|t| t.thread().id() == me);
        let dir_lock = self.dir_lock.take();
        let (key, dir) = (self.key.clone(), self.shared.dir.clone());
        let finish = move || {
            for t in threads {
                if t.join().is_err() {
                    tracing::error!("a store thread panicked");
                }
            }
            // Release the directory before anyone waiting to reopen it is woken.
            drop(dir_lock);
            tracing::info!(dir = %dir.display(), "store closed");
            let (registry, closed) = &*OPEN;
            let mut open = lock(registry);
            if open.get(&key).is_some_and(|w| w.strong_count() == 0) {
                open.remove(&key);
            }
            drop(open);
            closed.notify_all();
        };
        if on_own_thread {
            if let Err(e) = std::thread::Builder::new()
                .name("kvs-close".into())
                .spawn(finish)
            {
                tracing::error!(error = %e, "cannot finish closing the store");
            }
        } else {
            finish();
        }
    }
}
