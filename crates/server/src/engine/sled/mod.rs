//! sled as a comparison engine (`kvs-server --engine sled`): the same jobs, the same thread
//! shape (one writer running write jobs in order, reader threads), sled underneath.
//!
//! Values are stored as `[expire_at_ms: u64 LE, 0 = none][bytes]`. A write job's changes go into
//! one `sled::Batch`, applied atomically. Expired keys are hidden on read but only removed when
//! overwritten or deleted (sled has no expiry of its own).
//!
//! # Durability: the same guarantee as the kvs engine for the same `--fsync`
//!
//! sled 0.34 keeps a write in an in-memory IO buffer of its log until the buffer fills or is
//! flushed, so an acknowledged write that is only applied can die with the process. Its one
//! public way out of the process is `Db::flush()` (`Tree::flush` → `iobuf::flush` →
//! `make_stable`): it seals the current IO buffer, `pwrite`s it and, on Linux, waits for
//! `sync_file_range(WAIT_BEFORE|WRITE|WAIT_AFTER)` on the written range
//! (`pagecache/iobuf.rs:736`; `sync_all` on other systems). There is no cheaper call that
//! stops at the page cache, and `sync_file_range` is not an fsync: it neither commits the
//! file's metadata (its size) nor flushes the device's write cache, and sled writes large pages
//! to files under `blobs/` that it never fsyncs at all. `Config::flush_every_ms` only starts a
//! background thread that does the same roll of the IO buffer every N ms, some segment
//! cleaning, and `sync_all` of the log file — no help for a reply sent before its tick.
//!
//! So the writer, once per writer *batch* (group commit, never per command) and before any
//! reply of the batch is handed back:
//!
//! * every policy: `Db::flush()` — the batch is out of the process, and a SIGKILL loses no
//!   acknowledged write (it costs a device write per batch even under `no`);
//! * `always`: a real fsync too — `fsync` of the blob files written since the last one (and
//!   of `blobs/`) before the flush, `fdatasync` of the log file (through a handle of our own)
//!   after it (`Syncer`) — a power loss loses no acknowledged write;
//! * `everysec`: the same fsync about once a second, after the batch's replies (or when idle),
//!   as the kvs engine does — a power loss loses about the last second;
//! * `no`: no fsync of our own; what reaches the platter is up to the kernel and the device.
//!
//! `SAVE` and shutdown do the full fsync whatever the policy. sled's own flusher is off
//! (`flush_every_ms(None)`): it would only add an unscheduled fsync; segments are still cleaned
//! inline as pages are rewritten. A failed apply, flush or fsync refuses writes until restart
//! (as in the kvs engine: after a failed fsync nothing can be known to be on disk).

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use kvs_storage::{
    CompactionReport, FsyncPolicy, Result, StorageError, StoreStats, WatchCounts, Watches, now_ms,
};

use super::{Completion, Db, Engine, Job};

mod views;

use views::{SledReader, SledTxn};

enum Msg {
    Jobs(Vec<Box<dyn Job>>),
    FlushAll(Completion),
    Sync(Completion),
}

/// sled behind the [`Engine`] trait.
pub struct SledEngine {
    db: sled::Db,
    fsync: FsyncPolicy,
    syncer: Arc<Syncer>,
    /// Why writes are refused, once an apply, flush or fsync has failed (never cleared).
    refused: Arc<OnceLock<String>>,
    writer: Option<Sender<Msg>>,
    readers: Option<Sender<Vec<Box<dyn Job>>>>,
    /// The writer's watched keys and watching clients (WATCH), for INFO.
    watch_counts: Arc<WatchCounts>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

fn err(e: sled::Error) -> StorageError {
    StorageError::InvalidOperation(format!("ERR sled: {e}"))
}

/// An error opening the database at `path`, with the path kept (sled's own texts often lack
/// it) and its lock conflict turned into [`StorageError::Locked`] like the kvs store's.
fn open_err(path: &Path, e: sled::Error) -> StorageError {
    match e {
        // sled 0.34 reports a failed flock only as text in an `Other` error.
        sled::Error::Io(e) if e.to_string().contains("could not acquire lock") => {
            StorageError::Locked {
                path: path.join("db"),
            }
        }
        sled::Error::Io(e) => StorageError::io("open sled database", path, e),
        e => StorageError::InvalidOperation(format!("sled database {}: {e}", path.display())),
    }
}

/// The everysec interval.
const SECOND: Duration = Duration::from_secs(1);

/// The fsync that sled's `flush()` does not do (see the module comment).
struct Syncer {
    /// sled's log file, opened a second time: `fsync` acts on the file, not on the descriptor.
    /// Never locked, so closing it cannot touch sled's `flock` on its own descriptor.
    log: File,
    blobs: PathBuf,
    /// The highest blob id already fsync'd. Blob files are named by the log sequence number
    /// of the write that made them, which only grows, so newer ones are exactly those above.
    blobs_synced: Mutex<Option<u64>>,
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Syncer {
    /// Opens the log file of the sled database in `sled_dir` and makes what is there durable,
    /// directory entries included (sled fsyncs neither `sled_dir` nor its parent on creation).
    fn open(sled_dir: &Path) -> io::Result<Syncer> {
        let syncer = Syncer {
            log: File::open(sled_dir.join("db"))?,
            blobs: sled_dir.join("blobs"),
            blobs_synced: Mutex::new(None),
        };
        syncer.sync()?;
        sync_dir(sled_dir)?;
        if let Some(parent) = sled_dir.parent() {
            sync_dir(parent)?;
        }
        Ok(syncer)
    }

    /// fsyncs the blobs written since the last call, then what sled's `flush()` wrote to the
    /// log. It makes durable what is already in the files; it writes nothing itself.
    fn sync(&self) -> io::Result<()> {
        self.sync_blobs()?;
        self.log.sync_data()
    }

    /// fsyncs the blob files written since the last call, and `blobs/` if there were any.
    fn sync_blobs(&self) -> io::Result<()> {
        let mut synced = self
            .blobs_synced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut newest = *synced;
        for entry in std::fs::read_dir(&self.blobs)? {
            let entry = entry?;
            let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if synced.is_some_and(|s| id <= s) {
                continue;
            }
            match File::open(entry.path()) {
                Ok(f) => f.sync_all()?,
                // Replaced and removed since the listing: nothing left to make durable.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            newest = newest.max(Some(id));
        }
        if newest != *synced {
            sync_dir(&self.blobs)?;
            *synced = newest;
        }
        Ok(())
    }
}

/// The writer thread's state between batches.
struct Writer {
    db: sled::Db,
    fsync: FsyncPolicy,
    syncer: Arc<Syncer>,
    refused: Arc<OnceLock<String>>,
    /// everysec: flushed batches not fsync'd yet, and when the last fsync was.
    unsynced: bool,
    last_sync: Instant,
    /// Keys clients WATCH (`kvs_storage::Watches`): every put and delete touches them.
    watches: Watches,
    /// Their sizes, for INFO.
    watch_counts: Arc<WatchCounts>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) {
        loop {
            let first = if self.unsynced {
                match rx.recv_timeout(SECOND.saturating_sub(self.last_sync.elapsed())) {
                    Ok(m) => m,
                    Err(RecvTimeoutError::Timeout) => {
                        self.sync_if_due();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(m) => m,
                    Err(_) => break,
                }
            };
            let mut msgs = vec![first];
            msgs.extend(rx.try_iter().take(1024));
            self.batch(msgs);
            self.sync_if_due();
        }
        // Shutdown: whatever the policy, the last writes reach the disk.
        if let Err(e) = self.commit(true) {
            tracing::error!(error = %e, "sled: final flush failed");
        }
    }

    /// Refuses writes from now on; the first reason stays.
    fn refuse(&self, reason: String) {
        tracing::error!(%reason, "sled: store refuses writes from now on");
        let _ = self.refused.set(reason);
    }

    /// Runs one writer batch and hands back its completions once it is committed.
    fn batch(&mut self, msgs: Vec<Msg>) {
        let db = &self.db;
        let mut overlay = HashMap::new();
        let mut done: Vec<Completion> = Vec::new();
        let now = now_ms();
        let mut force_sync = false;
        for m in msgs {
            match m {
                Msg::Jobs(jobs) => {
                    for mut job in jobs {
                        let mut txn = SledTxn {
                            reader: SledReader { db: db.clone() },
                            overlay: &mut overlay,
                            batch: sled::Batch::default(),
                            now,
                            watches: &mut self.watches,
                        };
                        job.run_write_on(&mut txn);
                        // Once refused, jobs still run (they build their replies) but their
                        // changes are dropped.
                        if self.refused.get().is_none()
                            && let Err(e) = db.apply_batch(txn.batch)
                        {
                            self.refuse(format!("sled apply: {e}"));
                        }
                        done.push(Box::new(move |r| job.committed(r)));
                    }
                }
                Msg::Sync(c) => {
                    force_sync = true;
                    done.push(c);
                }
                Msg::FlushAll(c) => {
                    // Keys the overlay holds as deleted do not exist; the rest, as sled has them.
                    let exists = |k: &[u8]| match overlay.get(k) {
                        Some(v) => v.is_some(),
                        None => db.contains_key(k).unwrap_or(false),
                    };
                    self.watches.touch_all(exists);
                    overlay.clear();
                    if self.refused.get().is_none()
                        && let Err(e) = db.clear()
                    {
                        self.refuse(format!("sled clear: {e}"));
                    }
                    done.push(c);
                }
            }
        }
        // Group commit: one flush (and under `always` one fsync) for the whole batch, before
        // any of its replies.
        if self.refused.get().is_none()
            && let Err(e) = self.commit(force_sync || self.fsync == FsyncPolicy::Always)
        {
            self.refuse(e);
        }
        self.watches.publish(&self.watch_counts);
        let failed = self.refused.get();
        // Like the kvs engine's completion scope: each looper gets the batch's replies at once.
        kvs_reactor::coalesce_posts(|| {
            for c in done {
                c(match failed {
                    None => Ok(()),
                    Some(reason) => Err(StorageError::WritesRefused {
                        reason: reason.clone(),
                    }),
                });
            }
        });
    }

    /// Gets what was applied out of the process (`flush`), and with `fsync` onto the disk.
    fn commit(&mut self, fsync: bool) -> std::result::Result<(), String> {
        let fsync_err = |e: io::Error| format!("sled fsync: {e}");
        // sled writes a blob file before the log record that points at it; making the blobs
        // durable before our flush writes those records keeps a power loss from leaving a
        // durable record whose blob is gone (sled may have written a full IO buffer already:
        // that record belongs to this unacknowledged batch, so the window is sled's own).
        if fsync {
            self.syncer.sync_blobs().map_err(fsync_err)?;
        }
        self.db.flush().map_err(|e| format!("sled flush: {e}"))?;
        if fsync {
            self.syncer.log.sync_data().map_err(fsync_err)?;
            self.unsynced = false;
            self.last_sync = Instant::now();
        } else if self.fsync == FsyncPolicy::EverySec {
            self.unsynced = true;
        }
        Ok(())
    }

    /// everysec: the once-a-second fsync, after the replies of the batch that made it due.
    fn sync_if_due(&mut self) {
        if self.unsynced && self.last_sync.elapsed() >= SECOND && self.refused.get().is_none() {
            if let Err(e) = self.syncer.sync() {
                self.refuse(format!("sled fsync: {e}"));
            }
            // Also after a failure: retrying a poisoned file every turn would spin.
            self.unsynced = false;
            self.last_sync = Instant::now();
        }
    }
}

impl SledEngine {
    /// Opens sled in `dir/sled` with `readers` reader threads.
    pub fn open(dir: &Path, fsync: FsyncPolicy, readers: usize) -> Result<SledEngine> {
        let sled_dir = dir.join("sled");
        // No background flusher: the writer flushes and fsyncs itself (module comment).
        let db = sled::Config::new()
            .path(&sled_dir)
            .flush_every_ms(None)
            .open()
            .map_err(|e| open_err(&sled_dir, e))?;
        let syncer = Arc::new(
            Syncer::open(&sled_dir)
                .map_err(|e| StorageError::io("fsync sled files", &sled_dir, e))?,
        );
        let refused = Arc::new(OnceLock::new());
        let (wtx, wrx) = unbounded();
        let (rtx, rrx) = unbounded::<Vec<Box<dyn Job>>>();
        let mut threads = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .map_err(|e| StorageError::io("spawn thread", dir, e))
        };
        let watch_counts = Arc::new(WatchCounts::default());
        let w = Writer {
            db: db.clone(),
            fsync,
            syncer: syncer.clone(),
            refused: refused.clone(),
            unsynced: false,
            last_sync: Instant::now(),
            watches: Watches::new(),
            watch_counts: watch_counts.clone(),
        };
        threads.push(spawn("sled-writer".into(), Box::new(move || w.run(wrx)))?);
        for n in 0..readers.max(1) {
            let (rdb, rx) = (db.clone(), rrx.clone());
            threads.push(spawn(
                format!("sled-reader-{n}"),
                Box::new(move || {
                    let mut r = SledReader { db: rdb };
                    for jobs in rx.iter() {
                        for job in jobs {
                            job.run_read_on(&mut r);
                        }
                    }
                }),
            )?);
        }
        Ok(SledEngine {
            watch_counts,
            db,
            fsync,
            syncer,
            refused,
            writer: Some(wtx),
            readers: Some(rtx),
            threads: Mutex::new(threads),
        })
    }

    fn send(&self, m: Msg) -> Result<()> {
        self.writer
            .as_ref()
            .ok_or(StorageError::Closed)?
            .send(m)
            .map_err(|_| StorageError::Closed)
    }
}

impl Engine for SledEngine {
    fn name(&self) -> &'static str {
        "sled"
    }
    fn fsync(&self) -> FsyncPolicy {
        self.fsync
    }
    fn submit_writes(&self, jobs: Vec<Box<dyn Job>>) -> Result<()> {
        self.send(Msg::Jobs(jobs))
    }
    fn submit_reads(&self, jobs: Vec<Box<dyn Job>>) -> Result<()> {
        self.readers
            .as_ref()
            .ok_or(StorageError::Closed)?
            .send(jobs)
            .map_err(|_| StorageError::Closed)
    }
    fn submit_flush_all(&self, done: Completion) -> Result<()> {
        self.send(Msg::FlushAll(done))
    }
    fn submit_sync(&self, done: Completion) -> Result<()> {
        self.send(Msg::Sync(done))
    }
    fn submit_compact(&self, done: Box<dyn FnOnce(Result<CompactionReport>) + Send>) -> Result<()> {
        // sled compacts by itself; there is nothing to start.
        done(Ok(CompactionReport::default()));
        Ok(())
    }
    fn sync(&self) -> Result<()> {
        self.db.flush().map_err(err)?;
        self.syncer
            .sync()
            .map_err(|e| StorageError::io("fsync sled files", &self.syncer.blobs, e))
    }
    fn writes_refused(&self) -> Option<StorageError> {
        self.refused
            .get()
            .map(|reason| StorageError::WritesRefused {
                reason: reason.clone(),
            })
    }
    fn with_reader(&self, f: &mut dyn FnMut(&mut dyn Db)) {
        f(&mut SledReader {
            db: self.db.clone(),
        })
    }
    fn stats(&self) -> StoreStats {
        StoreStats {
            keys: self.db.len(),
            disk_bytes: self.db.size_on_disk().unwrap_or(0),
            watched_keys: self.watch_counts.keys(),
            watching_clients: self.watch_counts.clients(),
            ..StoreStats::default()
        }
    }
}

impl Drop for SledEngine {
    fn drop(&mut self) {
        self.writer.take();
        self.readers.take();
        for t in self
            .threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .drain(..)
        {
            let _ = t.join();
        }
        let _ = self.db.flush();
    }
}
