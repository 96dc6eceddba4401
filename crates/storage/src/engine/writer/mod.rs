//! The writer thread: the only appender. Drains its channel into a batch, runs each command's
//! [`Txn`], appends all records with one `pwrite`, fsyncs per policy (at most once per batch),
//! updates the index, and only then completes the commands — the completion is the commit point.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::batch::{Batch, Pending, Undo};
use crate::collection::Collections;
use crate::command::{Completion, WriteCommand};
use crate::dbfile::DBFile;
use crate::error::{Result, StorageError};
use crate::expiry::ExpirySchedule;
use crate::format::header::HEADER_LEN;
use crate::format::{DataCodec, MAX_KEY_LEN, MAX_VALUE_LEN, RecordRef};
use crate::handoff::{WriterSpin, poll_for};
use crate::index::{IndexEntry, KeyHash, PrefetchStage};
use crate::options::{CompletionScope, FsyncPolicy, now_ms};
use crate::shared::{Shared, lock};
use crate::txn::Txn;
use crate::watch::Watches;

mod expire;
mod files;
mod heal;
mod publish;

pub(crate) use files::new_active_file;

/// A boxed write command, as the writer receives them.
pub(crate) type Command = Box<dyn WriteCommand>;

pub(crate) enum WriterMsg {
    Txns(Vec<Command>),
    /// One command whose caller is blocked until it commits ([`Store::execute`]), sent at the
    /// given time: the writer polls for that caller's next call before parking (`handoff`).
    ///
    /// [`Store::execute`]: crate::Store::execute
    Call(Command, Instant),
    /// Make everything written so far durable, then call back.
    Sync(Completion),
    /// Drop every key: one MANIFEST edit replaces all files with a new, empty one.
    FlushAll(Completion),
}

pub(crate) struct Writer {
    shared: Arc<Shared>,
    /// Told about each file the writer seals, to write its hint file off the write path.
    compactor: Option<crossbeam_channel::Sender<crate::compactor::CompactorMsg>>,
    active: DBFile,
    /// The active file's length at its last successful fsync, and at the end of its last
    /// published batch: what healing copies and where it cuts (`heal.rs`).
    durable_len: u64,
    published_len: u64,
    /// The retry schedule while the store refuses writes (`heal.rs`).
    healing: Option<heal::Healing>,
    rx: Receiver<WriterMsg>,
    next_seq: u64,
    dirty: bool,
    last_sync: Instant,
    /// Keys with a TTL by expiry time, deleted by `expire_due` when due (`expiry.rs`).
    expiries: ExpirySchedule,
    /// `expire_due` is committing its tombstones: it counts those keys as expired itself (it
    /// knows each was past due when it built the tombstone, even if a compaction removes the
    /// entry before the commit), so `commit` must not count them again.
    in_expire_pass: bool,
    /// Keys found expired since the sink was last told (`Options::on_expired`; empty and
    /// unused without a sink).
    expired_now: Vec<Vec<u8>>,
    /// The current batch and the current txn's undo log, kept to reuse their memory.
    batch: Batch,
    undo: Vec<Undo>,
    /// The current batch's commands, to be told of the commit, and its syncs (kept, as `batch`).
    completions: Vec<Command>,
    syncs: Vec<Completion>,
    /// When to poll for a blocked caller's next call instead of parking at once.
    spin: WriterSpin,
    /// Keys clients WATCH: every record the writer commits touches them (`watch.rs`).
    watches: Watches,
    /// The live collections and their elements (§4.3, `collection.rs`).
    collections: Collections,
}

/// Most expired keys deleted in one go, so a mass expiry cannot stall writes for long.
const EXPIRE_BATCH: usize = 1024;

/// A copy of a batch failure for each command of the batch.
fn failure(e: &StorageError) -> StorageError {
    match e {
        StorageError::WritesRefused { reason } => StorageError::WritesRefused {
            reason: reason.clone(),
        },
        other => StorageError::WritesRefused {
            reason: other.to_string(),
        },
    }
}

/// The error for a record over the format's limits (§8), if it is.
fn too_large(p: &Pending) -> Option<StorageError> {
    let (what, len, max) = if p.key_len() as u64 > u64::from(MAX_KEY_LEN) {
        ("key", p.key_len(), MAX_KEY_LEN)
    } else if p.value_len() as u64 > u64::from(MAX_VALUE_LEN) {
        ("value", p.value_len(), MAX_VALUE_LEN)
    } else {
        return None;
    };
    Some(StorageError::TooLarge {
        what,
        len: len as u64,
        max: u64::from(max),
    })
}

impl Writer {
    pub(crate) fn new(
        shared: Arc<Shared>,
        active: DBFile,
        rx: Receiver<WriterMsg>,
        compactor: crossbeam_channel::Sender<crate::compactor::CompactorMsg>,
        expiries: BTreeSet<(u64, Vec<u8>)>,
        collections: Collections,
    ) -> Writer {
        let next_seq = shared.next_seq();
        let writer = Writer {
            shared,
            compactor: Some(compactor),
            durable_len: active.len(),
            published_len: active.len(),
            healing: None,
            active,
            rx,
            next_seq,
            dirty: false,
            last_sync: Instant::now(),
            in_expire_pass: false,
            expired_now: Vec::new(),
            expiries: ExpirySchedule::new(expiries),
            batch: Batch::default(),
            undo: Vec::new(),
            completions: Vec::new(),
            syncs: Vec::new(),
            spin: WriterSpin::new(),
            watches: Watches::new(),
            collections,
        };
        writer.publish_expiries();
        writer
    }

    /// Publishes the expiring-key count and mean expiry time for [`Store::stats`].
    ///
    /// [`Store::stats`]: crate::Store::stats
    fn publish_expiries(&self) {
        let c = &self.shared.counters;
        c.expiring_keys.store(self.expiries.len(), Relaxed);
        c.expiring_mean_at_ms
            .store(self.expiries.mean_at(), Relaxed);
    }

    pub(crate) fn run(mut self) {
        let _span = tracing::debug_span!("writer").entered();
        loop {
            let mut timeout = if self.dirty && self.shared.opts.fsync == FsyncPolicy::EverySec {
                Duration::from_secs(1).saturating_sub(self.last_sync.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            if let Some(at) = self.expiries.next_at() {
                timeout = timeout.min(Duration::from_millis(at.saturating_sub(now_ms())));
            }
            if self.collections.has_doomed() {
                timeout = Duration::ZERO; // dead collections' elements to drop meanwhile
            }
            // Refusing writes: the next attempt to heal. Otherwise wake now and then anyway: a
            // failure on the compactor's thread makes the store refuse writes without a
            // message to this one.
            timeout = timeout.min(self.heal_wait().unwrap_or(heal::MAX_RETRY));
            // Just answered a blocked caller: its next call is likely a few µs away.
            let window = self.spin.take_window().min(timeout);
            let polled = (!window.is_zero())
                .then(|| {
                    let m = poll_for(&self.rx, window);
                    self.spin.polled(m.is_some());
                    m
                })
                .flatten();
            let first = match polled.map_or_else(|| self.rx.recv_timeout(timeout), Ok) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    self.heal_if_due();
                    self.expire_due();
                    self.drop_dead_elements();
                    self.sync_if_due();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            self.spin.arrived(match &first {
                WriterMsg::Call(_, sent_at) => Some(*sent_at),
                _ => None,
            });
            let mut msgs = vec![first];
            let mut n = 0usize;
            while n < self.shared.opts.max_batch {
                match self.rx.try_recv() {
                    Ok(m) => {
                        n += match &m {
                            WriterMsg::Txns(v) => v.len(),
                            _ => 1,
                        };
                        msgs.push(m);
                    }
                    Err(_) => break,
                }
            }
            let answers_caller = msgs.iter().any(|m| matches!(m, WriterMsg::Call(..)));
            self.process(msgs);
            if answers_caller {
                self.spin.answered();
            }
            self.heal_if_due();
            self.expire_due();
            self.drop_dead_elements();
            self.seal_if_mostly_dead();
            self.sync_if_due();
        }
        // Dropping the store flushes: whatever the policy, the last writes reach the disk.
        if self.dirty
            && let Err(e) = self.active.sync()
        {
            tracing::error!(error = %e, "final fsync failed");
        }
        tracing::debug!("writer stopped");
    }

    /// Drops the element entries of dead collections (deleted, overwritten, expired), up to
    /// [`EXPIRE_BATCH`] a turn: their records are dead since the commit that killed their id
    /// (§4.3), so this writes nothing; it frees the memory and counts the bytes dead.
    fn drop_dead_elements(&mut self) {
        if !self.collections.has_doomed() {
            return;
        }
        let keys = self.collections.drop_some(EXPIRE_BATCH);
        let mut stats = lock(&self.shared.stats);
        for key in keys {
            if let Some(old) = self.shared.elements.remove(&key) {
                Shared::mark_dead(&mut stats, old.fid, u64::from(old.len));
            }
        }
    }

    fn sync_if_due(&mut self) {
        if self.dirty
            && self.shared.opts.fsync == FsyncPolicy::EverySec
            && self.last_sync.elapsed() >= Duration::from_secs(1)
            && let Err(e) = self.sync()
        {
            self.shared.poison(e.to_string());
        }
    }

    fn sync(&mut self) -> Result<()> {
        if let Err(e) = self.active.sync() {
            // The file is poisoned: nothing more can be made durable through it, and retrying
            // every loop turn (everysec) would spin.
            self.dirty = false;
            return Err(e);
        }
        self.dirty = false;
        self.durable_len = self.active.len();
        self.last_sync = Instant::now();
        self.shared.counters.fsyncs.fetch_add(1, Relaxed);
        self.shared.counters.last_save_ms.store(now_ms(), Relaxed);
        Ok(())
    }

    fn process(&mut self, msgs: Vec<WriterMsg>) {
        // The batch, the completion lists and the undo log are kept from one batch to the
        // next: no allocation per batch.
        let mut batch = std::mem::take(&mut self.batch);
        let mut completions = std::mem::take(&mut self.completions);
        let mut syncs = std::mem::take(&mut self.syncs);
        let now = now_ms();
        for msg in msgs {
            match msg {
                WriterMsg::Txns(txns) => {
                    for f in txns {
                        if let Some(c) = self.run_txn(f, &mut batch, now) {
                            completions.push(c);
                        }
                    }
                }
                WriterMsg::Call(f, _) => {
                    if let Some(c) = self.run_txn(f, &mut batch, now) {
                        completions.push(c);
                    }
                }
                WriterMsg::Sync(c) => syncs.push(c),
                WriterMsg::FlushAll(c) => {
                    // Commit what came before, in order, then flush.
                    let result = self.commit(&mut batch, !syncs.is_empty());
                    batch.clear();
                    self.watches.publish(&self.shared.counters.watches);
                    let scope = self.shared.opts.completion_scope.clone();
                    finish(scope.as_ref(), &result, &mut completions, &mut syncs);
                    // flush_all's errors are already WritesRefused, which `failure` keeps as is.
                    let flushed = self.flush_all();
                    self.watches.publish(&self.shared.counters.watches);
                    finish(scope.as_ref(), &flushed, &mut Vec::new(), &mut vec![c]);
                }
            }
        }
        let result = self.commit(&mut batch, !syncs.is_empty());
        // Whatever the outcome: a failed commit returns early and must not leave its records
        // for the next batch to commit.
        batch.clear();
        // Before the replies: who hears of a WATCH's commit sees it counted.
        self.watches.publish(&self.shared.counters.watches);
        let scope = self.shared.opts.completion_scope.as_ref();
        finish(scope, &result, &mut completions, &mut syncs);
        self.batch = batch;
        self.completions = completions;
        self.syncs = syncs;
    }

    fn run_txn(&mut self, mut command: Command, batch: &mut Batch, now: u64) -> Option<Command> {
        let start = batch.len();
        let mut next_seq = self.next_seq;
        let mut undo = std::mem::take(&mut self.undo);
        undo.clear();
        let mut txn = Txn {
            shared: &self.shared,
            batch,
            next_seq: &mut next_seq,
            now_ms: now,
            undo: &mut undo,
            watches: &mut self.watches,
            collections: &self.collections,
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| command.run(&mut txn))).map(|()| command);
        let c = self.finish_txn(outcome, start, next_seq, batch, &mut undo);
        self.undo = undo;
        c
    }

    /// Keeps a txn's records, or drops them and rolls its overlay changes back (it panicked, or
    /// wrote something over the limits).
    fn finish_txn(
        &mut self,
        outcome: std::thread::Result<Command>,
        start: usize,
        next_seq: u64,
        batch: &mut Batch,
        undo: &mut Vec<Undo>,
    ) -> Option<Command> {
        match outcome {
            Ok(c) => {
                // Over-limit keys or values (§8) would fail the whole batch's encoding, which
                // is treated as an I/O failure: refuse the one command instead, before it
                // takes effect. Likewise a command that writes while the store refuses writes
                // (§9.3): undone at once, so the commands after it never see its writes, and
                // read-only commands of the batch still succeed.
                let new = batch.tail(start);
                if let Some(e) = new
                    .iter()
                    .find_map(too_large)
                    .or_else(|| (!new.is_empty()).then(|| self.shared.refused()).flatten())
                {
                    batch.roll_back(start, undo);
                    c.committed(Err(e));
                    return None;
                }
                self.next_seq = next_seq;
                // A command that wrote several records is one atomic batch (§4.2).
                let mine = batch.tail_mut(start);
                let n = mine.len();
                for r in mine.iter_mut().take(n.saturating_sub(1)) {
                    r.batch_open = true;
                }
                Some(c)
            }
            Err(_) => {
                tracing::error!("a write command panicked; its writes are discarded");
                batch.roll_back(start, undo);
                None
            }
        }
    }

    /// Appends `records` (one write), fsyncs if asked or if the policy says so, updates the index.
    fn commit(&mut self, records: &mut Batch, force_sync: bool) -> Result<()> {
        if let Some(e) = self.shared.refused()
            && (force_sync || !records.is_empty())
        {
            records.clear();
            return Err(e);
        }
        if records.is_empty() {
            if force_sync && self.dirty {
                return self
                    .sync()
                    .inspect_err(|e| self.shared.poison(e.to_string()));
            }
            return Ok(());
        }
        let refs: Vec<RecordRef<'_>> = records
            .iter()
            .map(|(p, key, value)| {
                let mut r = if p.tombstone {
                    RecordRef::delete(p.seq, key)
                } else {
                    RecordRef::put(p.seq, key, value)
                }
                .of_kind(p.kind);
                if let Some(t) = p.expire_at_ms {
                    r = r.with_expiry(t);
                }
                r.in_open_batch(p.batch_open)
            })
            .collect();
        let bytes: u64 = refs.iter().map(|r| r.encoded_len() as u64).sum();
        if self.active.len() > HEADER_LEN as u64
            && self.active.len() + bytes > self.shared.opts.max_file_size
        {
            self.rotate()
                .inspect_err(|e| self.shared.poison(e.to_string()))?;
        }
        // The index's memory for these keys starts loading now, behind the pwrite: buckets
        // first, runs once the buckets are in (§11.1). Each key then waits for memory about
        // once in the publish loop below, instead of twice.
        let shared = self.shared.clone();
        let index_of = |p: &Pending| {
            if p.kind.is_element() {
                &shared.elements
            } else {
                &shared.index
            }
        };
        let hashes: Vec<KeyHash> = records
            .iter()
            .map(|(p, key, _)| index_of(p).hash(key))
            .collect();
        for ((p, _, _), h) in records.iter().zip(&hashes) {
            index_of(p).prefetch(*h, PrefetchStage::Bucket);
        }
        let positions = match self.active.write_records::<DataCodec>(&refs) {
            Ok(p) => p,
            Err(e) => {
                self.shared.poison(e.to_string());
                return Err(e);
            }
        };
        drop(refs);
        self.dirty = true;
        if force_sync || self.shared.opts.fsync == FsyncPolicy::Always {
            self.sync()
                .inspect_err(|e| self.shared.poison(e.to_string()))?;
        }
        for ((p, _, _), h) in records.iter().zip(&hashes) {
            index_of(p).prefetch(*h, PrefetchStage::Run);
        }
        // Publish: from here on every reader sees the batch. The seqlock is odd meanwhile, so
        // multi-key reads see the whole batch or none of it.
        let fid = self.active.fid();
        let now = now_ms();
        let mut expiries_changed = false;
        let mut expired = 0u64;
        let mut stats = lock(&shared.stats);
        shared.publishing.fetch_add(1, SeqCst);
        for (((p, key, value), pos), h) in records.iter().zip(&positions).zip(hashes) {
            let s = stats.entry(fid).or_default();
            s.note_seq(p.seq);
            let index = index_of(p);
            let old = if p.tombstone {
                Shared::mark_dead(&mut stats, fid, u64::from(pos.len));
                index.remove_hashed(key, h)
            } else {
                let e = IndexEntry {
                    fid,
                    offset: pos.offset,
                    len: pos.len,
                    expire_at_ms: p.expire_at_ms,
                };
                index.insert_hashed(key, h, e)
            };
            if let Some(old) = &old {
                Shared::mark_dead(&mut stats, old.fid, u64::from(old.len));
            }
            let (gone, rescheduled) = self.published(p, key, value, old, now);
            expired += u64::from(gone);
            if gone && self.shared.opts.on_expired.is_some() {
                self.expired_now.push(key.to_vec());
            }
            expiries_changed |= rescheduled;
        }
        self.shared.publishing.fetch_add(1, SeqCst);
        if let Some(s) = stats.get_mut(&fid) {
            s.total = self.active.len();
        }
        drop(stats);
        self.published_len = self.active.len();
        if expiries_changed {
            self.publish_expiries();
        }
        if expired > 0 {
            self.shared
                .counters
                .expired_keys
                .fetch_add(expired, Relaxed);
        }
        self.shared.next_seq.store(self.next_seq, Relaxed);
        self.shared.counters.write_batches.fetch_add(1, Relaxed);
        self.shared
            .counters
            .writes
            .fetch_add(records.len() as u64, Relaxed);
        records.clear();
        self.tell_expired(); // before the batch's replies go out
        Ok(())
    }
}

/// Tells a batch's commands, then its syncs, how the commit went (emptying both lists), inside
/// the store's completion scope.
fn finish(
    scope: Option<&CompletionScope>,
    result: &Result<()>,
    commands: &mut Vec<Command>,
    syncs: &mut Vec<Completion>,
) {
    let outcome = || match result {
        Ok(()) => Ok(()),
        Err(e) => Err(failure(e)),
    };
    CompletionScope::run(scope, || {
        for c in commands.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| c.committed(outcome()))).is_err() {
                tracing::error!("a write completion panicked");
            }
        }
        for c in syncs.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| c(outcome()))).is_err() {
                tracing::error!("a sync completion panicked");
            }
        }
    });
}
