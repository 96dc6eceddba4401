//! sled as a comparison engine (`kvs-server --engine sled`): the same jobs, the same thread
//! shape (one writer running write jobs in order, reader threads), sled underneath.
//!
//! Values are stored as `[expire_at_ms: u64 LE, 0 = none][bytes]`. A write job's changes go into
//! one `sled::Batch`, applied atomically. Expired keys are hidden on read but only removed when
//! overwritten or deleted (sled has no expiry of its own). Durability: `always` flushes sled
//! once per writer batch; `everysec` lets sled flush every second; `no` never flushes explicitly.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::thread::JoinHandle;

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, unbounded};
use kvs_storage::{CompactionReport, FsyncPolicy, Result, StorageError, StoreStats, Value, now_ms};

use super::{Completion, Engine, ReadJob, WriteJob};
use crate::cmd::{Db, WriteDb};

enum Msg {
    Jobs(Vec<WriteJob>),
    FlushAll(Completion),
    Sync(Completion),
}

/// sled behind the [`Engine`] trait.
pub struct SledEngine {
    db: sled::Db,
    fsync: FsyncPolicy,
    writer: Option<Sender<Msg>>,
    readers: Option<Sender<Vec<ReadJob>>>,
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

fn encode(value: &[u8], expire_at_ms: Option<u64>) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + value.len());
    v.extend_from_slice(&expire_at_ms.unwrap_or(0).to_le_bytes());
    v.extend_from_slice(value);
    v
}

fn decode(raw: &[u8], now: u64) -> Option<Value> {
    let (head, data) = raw.split_at_checked(8)?;
    let at = u64::from_le_bytes(head.try_into().ok()?);
    let expire_at_ms = (at != 0).then_some(at);
    if expire_at_ms.is_some_and(|t| t <= now) {
        return None;
    }
    Some(Value {
        data: data.to_vec(),
        expire_at_ms,
    })
}

/// Read view over the committed sled state.
struct SledReader {
    db: sled::Db,
}

impl Db for SledReader {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>> {
        Ok(self
            .db
            .get(key)
            .map_err(err)?
            .and_then(|raw| decode(&raw, now_ms())))
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }
    fn get_many(&mut self, keys: &[Bytes]) -> Result<Vec<Option<Value>>> {
        keys.iter().map(|k| self.get(k)).collect()
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        // The cursor counts keys already returned (sled iterates in key order): simple, and a
        // key present for the whole scan is returned at least once.
        let now = now_ms();
        let mut keys = Vec::new();
        let mut seen = 0usize;
        for item in self.db.iter().skip(cursor as usize).take(count) {
            seen += 1;
            if let Ok((k, v)) = item
                && decode(&v, now).is_some()
            {
                keys.push(k.to_vec());
            }
        }
        let next = if seen < count {
            0
        } else {
            cursor + seen as u64
        };
        (next, keys)
    }
    fn key_count(&mut self) -> usize {
        self.db.len()
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        let n = self.db.len();
        if n == 0 {
            return None;
        }
        let start = (now_ms() as usize).wrapping_mul(2654435761) % n;
        let now = now_ms();
        self.db
            .iter()
            .skip(start)
            .chain(self.db.iter())
            .flatten()
            .find(|(_, v)| decode(v, now).is_some())
            .map(|(k, _)| k.to_vec())
    }
}

/// One write job's view: its changes in a batch, visible to the rest of the writer batch.
struct SledTxn<'a> {
    reader: SledReader,
    overlay: &'a mut HashMap<Vec<u8>, Option<Value>>,
    batch: sled::Batch,
    now: u64,
}

impl Db for SledTxn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Value>> {
        match self.overlay.get(key) {
            Some(v) => Ok(v
                .clone()
                .filter(|v| v.expire_at_ms.is_none_or(|t| t > self.now))),
            None => self.reader.get(key),
        }
    }
    fn exists(&mut self, key: &[u8]) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }
    fn scan(&mut self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        self.reader.scan(cursor, count)
    }
    fn key_count(&mut self) -> usize {
        self.reader.key_count()
    }
    fn random_key(&mut self) -> Option<Vec<u8>> {
        self.reader.random_key()
    }
}

impl WriteDb for SledTxn<'_> {
    fn now_ms(&self) -> u64 {
        self.now
    }
    fn put(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.batch.insert(key, encode(value, expire_at_ms));
        self.overlay.insert(
            key.to_vec(),
            Some(Value {
                data: value.to_vec(),
                expire_at_ms,
            }),
        );
    }
    fn delete(&mut self, key: &[u8]) -> Result<bool> {
        let existed = self.exists(key)?;
        self.batch.remove(key);
        self.overlay.insert(key.to_vec(), None);
        Ok(existed)
    }
}

fn writer(db: sled::Db, fsync: FsyncPolicy, rx: Receiver<Msg>) {
    while let Ok(first) = rx.recv() {
        let mut msgs = vec![first];
        msgs.extend(rx.try_iter().take(1024));
        let mut overlay = HashMap::new();
        let mut done: Vec<Completion> = Vec::new();
        let mut failed: Option<String> = None;
        let now = now_ms();
        let mut force_sync = false;
        for m in msgs {
            match m {
                Msg::Jobs(jobs) => {
                    for job in jobs {
                        let mut txn = SledTxn {
                            reader: SledReader { db: db.clone() },
                            overlay: &mut overlay,
                            batch: sled::Batch::default(),
                            now,
                        };
                        let completion = job(&mut txn);
                        if let Err(e) = db.apply_batch(txn.batch) {
                            failed = Some(e.to_string());
                        }
                        done.push(completion);
                    }
                }
                Msg::Sync(c) => {
                    force_sync = true;
                    done.push(c);
                }
                Msg::FlushAll(c) => {
                    overlay.clear();
                    if let Err(e) = db.clear() {
                        failed = Some(e.to_string());
                    }
                    done.push(c);
                }
            }
        }
        if failed.is_none()
            && (force_sync || fsync == FsyncPolicy::Always)
            && let Err(e) = db.flush()
        {
            failed = Some(e.to_string());
        }
        for c in done {
            c(match &failed {
                None => Ok(()),
                Some(reason) => Err(StorageError::WritesRefused {
                    reason: reason.clone(),
                }),
            });
        }
    }
    let _ = db.flush();
}

impl SledEngine {
    /// Opens sled in `dir/sled` with `readers` reader threads.
    pub fn open(dir: &Path, fsync: FsyncPolicy, readers: usize) -> Result<SledEngine> {
        let flush_every = match fsync {
            FsyncPolicy::EverySec => Some(1000),
            _ => None,
        };
        let path = dir.join("sled");
        let db = sled::Config::new()
            .path(&path)
            .flush_every_ms(flush_every)
            .open()
            .map_err(|e| open_err(&path, e))?;
        let (wtx, wrx) = unbounded();
        let (rtx, rrx) = unbounded::<Vec<ReadJob>>();
        let mut threads = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name)
                .spawn(f)
                .map_err(|e| StorageError::io("spawn thread", dir, e))
        };
        let wdb = db.clone();
        threads.push(spawn(
            "sled-writer".into(),
            Box::new(move || writer(wdb, fsync, wrx)),
        )?);
        for n in 0..readers.max(1) {
            let (rdb, rx) = (db.clone(), rrx.clone());
            threads.push(spawn(
                format!("sled-reader-{n}"),
                Box::new(move || {
                    let mut r = SledReader { db: rdb };
                    for jobs in rx.iter() {
                        for job in jobs {
                            job(&mut r);
                        }
                    }
                }),
            )?);
        }
        Ok(SledEngine {
            db,
            fsync,
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
    fn submit_writes(&self, jobs: Vec<WriteJob>) -> Result<()> {
        self.send(Msg::Jobs(jobs))
    }
    fn submit_reads(&self, jobs: Vec<ReadJob>) -> Result<()> {
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
        self.db.flush().map(|_| ()).map_err(err)
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
