//! Healing after a failed write (storage-format §9.3): once an append, an fsync, a MANIFEST
//! edit or a rotation fails, the store refuses writes at once (`WritesRefused`, the server's
//! MISCONF), and the writer tries to carry on, on a timer with backoff (50 ms doubling to
//! 500 ms, so writes resume within about half a second of the disk taking them again).
//!
//! An attempt never trusts the file that failed: after a failed fsync the kernel may have
//! dropped its dirty pages and will not say so again (PostgreSQL's "fsyncgate"). It
//!
//! 1. rewrites the MANIFEST from the in-memory state (§6.5) — the way out of a poisoned
//!    MANIFEST, and the first probe of the disk;
//! 2. cuts the failed file back to the end of its last published batch (whatever a failed
//!    write or an unacknowledged batch left after it goes) and fsyncs the cut;
//! 3. copies the records written since the last successful fsync — acknowledged, but of
//!    unknown durability — out of the page cache into a new data file, verifies each CRC,
//!    fsyncs it and the directory, and only then adds it to the MANIFEST;
//! 4. makes the new file the active one and the old one a sealed, mapped file for readers
//!    (both opened before the MANIFEST edit, so nothing can fail after it), and repoints the
//!    index at the copies (a compare-and-repoint: a key written since points elsewhere already).
//!
//! Any step failing leaves the store refusing writes and the next attempt starts over; a new
//! file not yet in the MANIFEST is deleted. Nothing acknowledged is lost that the page cache
//! still holds, nothing unacknowledged becomes visible (step 2 cuts it), and the MANIFEST only
//! ever names complete, synced files. The copies keep their sequence numbers: if the cut of
//! step 2 and the copies both survive a crash, recovery sees the same record twice and keeps
//! one.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use super::Writer;
use crate::dbfile::DBFile;
use crate::error::{Result, StorageError};
use crate::fileset::{ActiveFile, FileSet};
use crate::format::{DataCodec, FileKind, RecordRef};
use crate::index::IndexEntry;
use crate::mapped::MappedFile;
use crate::shared::{FileStats, Shared, lock};

/// The first retry comes this long after the failure.
const FIRST_RETRY: Duration = Duration::from_millis(50);
/// Retries back off up to this interval.
pub(super) const MAX_RETRY: Duration = Duration::from_millis(500);

/// The retry schedule while the store refuses writes.
#[derive(Debug)]
pub(crate) struct Healing {
    next_try: Instant,
    backoff: Duration,
}

impl Writer {
    /// How long until the next attempt to heal, while the store refuses writes.
    pub(super) fn heal_wait(&mut self) -> Option<Duration> {
        if self.shared.refused().is_none() {
            self.healing = None;
            return None;
        }
        let h = self.healing.get_or_insert_with(|| Healing {
            next_try: Instant::now() + FIRST_RETRY,
            backoff: FIRST_RETRY,
        });
        Some(h.next_try.saturating_duration_since(Instant::now()))
    }

    /// Tries to heal if an attempt is due; on success the store takes writes again.
    pub(super) fn heal_if_due(&mut self) {
        if self.heal_wait() != Some(Duration::ZERO) {
            return;
        }
        let counters = &self.shared.counters;
        counters.heal_attempts.fetch_add(1, Relaxed);
        match self.heal() {
            Ok(()) => {
                self.healing = None;
                self.shared.counters.heals.fetch_add(1, Relaxed);
                self.shared.unpoison();
            }
            Err(e) => {
                tracing::warn!(error = %e, "writes still refused; will retry");
                *lock(&self.shared.last_heal_error) = Some(e.to_string());
                if let Some(h) = &mut self.healing {
                    h.backoff = (h.backoff * 2).min(MAX_RETRY);
                    h.next_try = Instant::now() + h.backoff;
                }
            }
        }
    }

    fn heal(&mut self) -> Result<()> {
        let shared = self.shared.clone();
        // No compaction may change the file set or move index entries meanwhile. One that is
        // running (it started before the failure) is not waited for: the writer would stop
        // serving the reads that run on it; the next attempt comes soon enough.
        let _compaction = match shared.compaction.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(StorageError::InvalidOperation(
                    "a compaction is running; healing waits for it".into(),
                ));
            }
        };
        // 1. A MANIFEST that names exactly what memory holds.
        lock(&shared.manifest).rewrite()?;
        // 2. The failed file ends where its last published batch ends.
        let old_fid = self.active.fid();
        self.active.cut_after_failure(self.published_len)?;
        // 3. The possibly lost records, copied into a new file, durably. Everything that can
        // still fail — mapping the failed file for readers, opening the new one for them — is
        // done before the MANIFEST names the new file: after that edit nothing may fail.
        let fid = lock(&shared.manifest).allocate_fid()?;
        let prepared = self.copy_unsynced(fid).and_then(|(new, copied)| {
            let mapped = Arc::new(MappedFile::open(&shared.dir, FileKind::Data, old_fid)?);
            let active = Arc::new(ActiveFile::open(
                &shared.dir,
                fid,
                shared.opts.max_file_size,
            )?);
            Ok((new, copied, mapped, active))
        });
        let (new, copied, mapped, active) = match prepared {
            Ok(p) => p,
            Err(e) => {
                let path = crate::dir::file_path(&shared.dir, FileKind::Data, fid);
                let _ = std::fs::remove_file(path);
                return Err(e);
            }
        };
        lock(&shared.manifest).add_or_remove(&[fid], &[])?;
        // 4. Committed: the new file takes the writes, the old one is sealed for readers.
        let mut stats = FileStats {
            total: new.len(),
            ..FileStats::default()
        };
        for c in &copied {
            stats.note_seq(c.seq);
        }
        lock(&shared.stats).insert(fid, stats);
        // The failed file's handle is never written again; readers use `mapped`, a mapping of
        // its own.
        drop(std::mem::replace(&mut self.active, new));
        shared.update_files(|cur| {
            let mut sealed = cur.sealed.clone();
            sealed.insert(old_fid, mapped);
            FileSet { sealed, active }
        });
        let mut moved = 0;
        {
            let mut stats = lock(&shared.stats);
            if let Some(s) = stats.get_mut(&old_fid) {
                s.total = self.published_len;
            }
            for c in &copied {
                let index = if c.element {
                    &shared.elements
                } else {
                    &shared.index
                };
                let entry = IndexEntry {
                    fid,
                    offset: c.new_offset,
                    len: c.len,
                    expire_at_ms: c.expire_at_ms,
                };
                if !c.tombstone && index.compare_and_repoint(&c.key, old_fid, c.old_offset, entry) {
                    moved += 1;
                    Shared::mark_dead(&mut stats, old_fid, u64::from(c.len));
                } else {
                    Shared::mark_dead(&mut stats, fid, u64::from(c.len));
                }
            }
        }
        self.durable_len = self.active.len();
        self.published_len = self.active.len();
        self.dirty = false;
        if let Some(c) = &self.compactor {
            let _ = c.send(crate::compactor::CompactorMsg::Sealed(old_fid));
        }
        tracing::info!(
            old = old_fid,
            new = fid,
            copied = copied.len(),
            moved,
            "writes resumed: the failed file is sealed and its unsynced records are copied"
        );
        Ok(())
    }

    /// Creates data file `fid` holding the records the active file received after its last
    /// successful fsync (up to its last published batch), verified by their CRCs and fsync'd
    /// with the directory.
    fn copy_unsynced(&mut self, fid: u64) -> Result<(DBFile, Vec<Copied>)> {
        let mut new = DBFile::create(&self.shared.dir, FileKind::Data, fid)?;
        let from = self.durable_len.min(self.published_len);
        let view = self.active.view()?;
        let mut records = view.records::<DataCodec>()?;
        let mut refs: Vec<RecordRef<'_>> = Vec::new();
        let mut copied = Vec::new();
        let mut lost = 0u64;
        for (offset, rec) in records.by_ref() {
            if offset < from {
                continue;
            }
            match rec {
                Ok(r) => {
                    copied.push(Copied {
                        key: r.key.to_vec(),
                        element: r.kind.is_element(),
                        tombstone: r.tombstone,
                        seq: r.seq,
                        expire_at_ms: r.expire_at_ms,
                        old_offset: offset,
                        new_offset: 0,
                        len: 0,
                    });
                    refs.push(r);
                }
                Err(_) => lost += 1,
            }
        }
        if lost > 0 {
            // The page cache no longer holds them (the kernel dropped pages after a failed
            // fsync): nothing can bring them back.
            tracing::error!(
                lost,
                fid = self.active.fid(),
                "acknowledged records lost with a failed fsync"
            );
        }
        if !refs.is_empty() {
            let positions = new.write_records::<DataCodec>(&refs)?;
            for (c, p) in copied.iter_mut().zip(positions) {
                c.new_offset = p.offset;
                c.len = p.len;
            }
        }
        new.sync()?;
        crate::dir::sync_dir(&self.shared.dir)?;
        Ok((new, copied))
    }
}

/// One record copied out of the failed file.
struct Copied {
    key: Vec<u8>,
    element: bool,
    tombstone: bool,
    seq: u64,
    expire_at_ms: Option<u64>,
    old_offset: u64,
    new_offset: u64,
    len: u32,
}
