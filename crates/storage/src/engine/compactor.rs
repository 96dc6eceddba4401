//! The compactor thread: rewrites sealed files whose dead-byte ratio passed the threshold into
//! new files plus hint files, commits the swap with one MANIFEST edit, repoints the index by
//! compare-and-swap, and deletes the inputs (docs/storage-format.md §10, compaction).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::dbfile::DBFile;
use crate::error::{Result, StorageError};
use crate::file::hint_file;
use crate::fileset::FileSet;
use crate::format::header::HEADER_LEN;
use crate::format::{DataCodec, Fid, FileKind, HintEntry, HintFooter, RecordKind, RecordRef};
use crate::index::IndexEntry;
use crate::mapped::MappedFile;
use crate::options::now_ms;
use crate::shared::{FileStats, Shared, lock};
use crate::writer::WriterMsg;

/// What one compaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Files rewritten and deleted.
    pub inputs: Vec<Fid>,
    /// Files written.
    pub outputs: Vec<Fid>,
    /// Bytes of the inputs.
    pub bytes_before: u64,
    /// Bytes of the outputs (data files; hint files not counted).
    pub bytes_after: u64,
    /// Records copied (live values and tombstones that must stay).
    pub records_kept: u64,
    /// Records dropped (overwritten, deleted, expired, damaged).
    pub records_dropped: u64,
}

pub(crate) type CompactionSink = Box<dyn FnOnce(Result<CompactionReport>) + Send>;

pub(crate) enum CompactorMsg {
    /// Compact every sealed file with any dead bytes (explicit request, e.g. BGREWRITEAOF).
    Compact(CompactionSink),
    /// Write the hint file of a sealed data file that has none (found by recovery), so the
    /// next open loads its keys without reading values.
    WriteHints(Fid),
    /// The writer sealed this file: compact at once if it is already past the threshold (and
    /// automatic compaction is on), else write its hint file (§10.1).
    Sealed(Fid),
    /// Stop (sent by the store on close; the writer holds a sender too, so the channel alone
    /// would never disconnect).
    Stop,
}

pub(crate) fn run(shared: Arc<Shared>, rx: Receiver<CompactorMsg>, writer: Sender<WriterMsg>) {
    let _span = tracing::debug_span!("compactor").entered();
    let interval = shared
        .opts
        .compaction_interval
        .unwrap_or(Duration::from_secs(3600 * 24 * 365));
    // A deadline, checked before every message: hint-file requests arrive after every rotation,
    // and with a per-message timeout (or a backlog of them) the automatic compaction would be
    // pushed back forever under steady writes.
    let mut next_auto = Instant::now() + interval;
    loop {
        if Instant::now() >= next_auto {
            if shared.opts.compaction_interval.is_some()
                && let Err(e) = compact(&shared, &writer, shared.opts.compaction_threshold)
            {
                tracing::error!(error = %e, "automatic compaction failed");
            }
            next_auto = Instant::now() + interval;
        }
        match rx.recv_timeout(next_auto.saturating_duration_since(Instant::now())) {
            Ok(CompactorMsg::Compact(sink)) => sink(compact(&shared, &writer, 0.0)),
            Ok(CompactorMsg::Sealed(fid)) if past_threshold(&shared, fid) => {
                // Its outputs get hint files; the input needs none.
                if let Err(e) = compact(&shared, &writer, shared.opts.compaction_threshold) {
                    tracing::error!(error = %e, "compaction of a sealed file failed");
                }
            }
            Ok(CompactorMsg::WriteHints(fid) | CompactorMsg::Sealed(fid)) => {
                if let Err(e) = write_hints(&shared, fid) {
                    tracing::warn!(fid, error = %e, "could not write a hint file");
                    refuse_after_sync_failure(&shared, &e);
                }
            }
            Err(RecvTimeoutError::Timeout) => {} // the automatic compaction is due: see above
            Ok(CompactorMsg::Stop) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    tracing::debug!("compactor stopped");
}

/// Whether automatic compaction is on and sealed file `fid` is already past its threshold.
fn past_threshold(shared: &Shared, fid: Fid) -> bool {
    shared.opts.compaction_interval.is_some()
        && shared.files.load().sealed.contains_key(&fid)
        && lock(&shared.stats)
            .get(&fid)
            .is_some_and(|s| s.dead_at_least(shared.opts.compaction_threshold))
}

/// Sealed files whose dead fraction is above `threshold` (any dead byte when it is 0).
fn pick(
    stats: &std::collections::BTreeMap<Fid, FileStats>,
    files: &FileSet,
    threshold: f64,
) -> Vec<Fid> {
    stats
        .iter()
        .filter(|(fid, _)| files.sealed.contains_key(fid))
        .filter(|(_, s)| s.dead_at_least(threshold))
        .map(|(fid, _)| *fid)
        .collect()
}

/// One output data file being written, with the hint entries for it.
struct Output<'a> {
    file: DBFile,
    hints: Vec<HintEntry<'a>>,
    /// Records not written yet, each with its slot in `Outputs::moves` if it is a live value.
    pending: Vec<(RecordRef<'a>, Option<usize>)>,
    pending_bytes: usize,
    stats: FileStats,
}

const WRITE_CHUNK: usize = 1 << 20;

/// A live record copied: its key, old fid and offset, new entry (filled once written), and
/// whether it is an element record (§4.3: repointed in the element index).
type Move<'a> = (&'a [u8], Fid, u64, IndexEntry, bool);

struct Outputs<'a> {
    shared: &'a Shared,
    current: Option<Output<'a>>,
    done: Vec<Output<'a>>,
    /// (key, old location, new entry) for every live record moved.
    moves: Vec<Move<'a>>,
}

impl<'a> Outputs<'a> {
    fn push(&mut self, rec: RecordRef<'a>, move_slot: Option<usize>) -> Result<()> {
        let len = rec.encoded_len();
        let full = self.current.as_ref().is_some_and(|o| {
            o.file.len() + (o.pending_bytes + len) as u64 > self.shared.opts.max_file_size
                && o.file.len() + o.pending_bytes as u64 > HEADER_LEN as u64
        });
        if full {
            self.finish_current()?;
        }
        if self.current.is_none() {
            // A failed MANIFEST edit poisons the MANIFEST handle: no file set can change any
            // more, so the store refuses writes (the writer would at its next rotation).
            let fid = lock(&self.shared.manifest)
                .allocate_fid()
                .inspect_err(|e| self.shared.poison(e.to_string()))?;
            let file = DBFile::create(&self.shared.dir, FileKind::Data, fid)?;
            self.current = Some(Output {
                file,
                hints: Vec::new(),
                pending: Vec::new(),
                pending_bytes: 0,
                stats: FileStats::default(),
            });
        }
        if let Some(o) = self.current.as_mut() {
            o.stats.note_seq(rec.seq);
            o.pending.push((rec.in_open_batch(false), move_slot));
            o.pending_bytes += len;
            if o.pending_bytes >= WRITE_CHUNK {
                Self::flush(o, &mut self.moves)?;
            }
        }
        Ok(())
    }

    /// Writes the buffered records with one `pwrite` and notes where each landed.
    fn flush(o: &mut Output<'a>, moves: &mut [Move<'a>]) -> Result<()> {
        if o.pending.is_empty() {
            return Ok(());
        }
        let refs: Vec<RecordRef<'a>> = o.pending.iter().map(|(r, _)| *r).collect();
        let positions = o.file.write_records::<DataCodec>(&refs)?;
        let fid = o.file.fid();
        for ((rec, slot), pos) in o.pending.drain(..).zip(positions) {
            o.hints.push(HintEntry::for_record(&rec, pos));
            if let Some(m) = slot.and_then(|i| moves.get_mut(i)) {
                m.3 = IndexEntry {
                    fid,
                    offset: pos.offset,
                    len: pos.len,
                    expire_at_ms: rec.expire_at_ms,
                };
            }
        }
        o.pending_bytes = 0;
        Ok(())
    }

    fn finish_current(&mut self) -> Result<()> {
        // The output stays in `current` until it is complete, so that `discard` finds it.
        let Some(o) = self.current.as_mut() else {
            return Ok(());
        };
        Self::flush(o, &mut self.moves)?;
        o.file.sync()?;
        // The footer pins the hint file to this data file (§5.1): its last record's CRC.
        let footer = hint_file::footer_of(&o.file, &o.hints)?;
        let mut hint = DBFile::create(&self.shared.dir, FileKind::Hint, o.file.fid())?;
        hint_file::write_body(&mut hint, &o.hints, footer)?;
        hint.sync()?;
        o.file.seal()?;
        o.stats.total = o.file.len();
        self.done.extend(self.current.take());
        Ok(())
    }

    /// Deletes every output written so far (data and hint files): for a compaction that failed
    /// before its commit point, when nothing refers to them. Without this they would stay
    /// until the next open deletes them as orphans — disk space a full disk cannot spare.
    fn discard(&mut self) {
        for fid in self
            .done
            .iter()
            .chain(self.current.as_ref())
            .map(|o| o.file.fid())
        {
            remove_files(&self.shared.dir, fid);
        }
        self.done.clear();
        self.current = None;
    }
}

/// Writes `fid.hint` for a sealed data file from a scan of it: to a temporary name first, then
/// fsync, rename and directory fsync, so a hint file is either complete or absent (§5).
fn write_hints(shared: &Shared, fid: Fid) -> Result<()> {
    let _guard = lock(&shared.compaction); // the file must not be compacted away meanwhile
    if shared.refused().is_some() {
        return Ok(()); // a store that refuses writes writes no files; the next open scans it
    }
    let files = shared.files.load_full();
    let Some(mf) = files.sealed.get(&fid) else {
        return Ok(());
    };
    let final_path = crate::dir::file_path(&shared.dir, FileKind::Hint, fid);
    if final_path.exists() {
        return Ok(());
    }
    let mut hints = Vec::new();
    let mut iter = mf.records::<DataCodec>()?;
    for (offset, rec) in iter.by_ref() {
        if let Ok(rec) = rec {
            let pos = crate::format::RecordPos {
                offset,
                len: rec.encoded_len() as u32,
            };
            hints.push(HintEntry::for_record(&rec, pos));
        }
    }
    if !iter.report().is_clean() {
        mf.release_pages();
        return Ok(()); // a damaged file keeps being scanned on open, so its damage is reported
    }
    // A clean scan: the last entry is the file's last record (§5.1).
    let Some(footer) = HintFooter::of_data(mf.bytes(), hints.last().map(|h| h.pos)) else {
        mf.release_pages();
        return Ok(());
    };
    let tmp_dir = shared.dir.join("hint.tmp");
    let _ = std::fs::remove_dir_all(&tmp_dir);
    let written = write_hint_file(&tmp_dir, &final_path, fid, &hints, footer);
    // Only now: the hint entries borrow their keys from the map.
    let entries = hints.len();
    drop(hints);
    mf.release_pages();
    let _ = std::fs::remove_dir_all(&tmp_dir);
    written?;
    crate::dir::sync_dir(&shared.dir)?;
    tracing::debug!(fid, entries, "hint file written");
    Ok(())
}

/// Writes `hints` to a hint file in `tmp_dir`, fsyncs it and renames it to `final_path`.
fn write_hint_file(
    tmp_dir: &Path,
    final_path: &Path,
    fid: Fid,
    hints: &[HintEntry<'_>],
    footer: HintFooter,
) -> Result<()> {
    crate::faults::create_dir(tmp_dir)
        .map_err(|e| StorageError::io("create directory", tmp_dir, e))?;
    let mut hint = DBFile::create(tmp_dir, FileKind::Hint, fid)?;
    hint_file::write_body(&mut hint, hints, footer)?;
    hint.sync()?;
    let tmp_path = hint.path().to_path_buf();
    drop(hint);
    crate::faults::rename(&tmp_path, final_path)
        .map_err(|e| StorageError::io("rename", final_path, e))
}

/// Deletes a data file and its hint file, if present (best effort, logged).
pub(crate) fn remove_files(dir: &Path, fid: Fid) {
    for kind in [FileKind::Data, FileKind::Hint] {
        let path = crate::dir::file_path(dir, kind, fid);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not delete file"),
        }
    }
}

/// If `e` is a failed fsync (of a file or of the directory), makes the store refuse writes.
///
/// After a failed fsync what is on disk is unknown: the kernel may have dropped the dirty pages
/// and will not report it again (PostgreSQL's "fsyncgate"). The compactor abandons its own
/// files anyway, but the disk is failing under the store, so it refuses writes from then on,
/// exactly as after a failed fsync of the active file (§9.3). Other failures (a file that
/// cannot be created, a write that fails) only fail the compaction: its outputs are deleted and
/// it may be retried.
fn refuse_after_sync_failure(shared: &Shared, e: &StorageError) {
    // The `op` names are those of `DBFile::{sync, create, truncate_to}` and `sync_dir`.
    let sync_failed = matches!(
        e,
        StorageError::Io {
            op: "fdatasync" | "fsync" | "fsync directory",
            ..
        } | StorageError::Poisoned { .. }
    );
    if sync_failed {
        shared.poison(e.to_string());
    }
}

/// Runs one compaction of the sealed files past `threshold`.
///
/// Fails without changing the file set if anything goes wrong before the commit point (the
/// outputs are deleted again); the store then refuses writes only if an fsync or the MANIFEST
/// failed. A failure at or after the commit point always makes it refuse writes: whether the
/// edit is on disk, or whether memory still matches it, is then unknown.
pub(crate) fn compact(
    shared: &Shared,
    writer: &Sender<WriterMsg>,
    threshold: f64,
) -> Result<CompactionReport> {
    compact_locked(shared, writer, threshold).inspect_err(|e| refuse_after_sync_failure(shared, e))
}

fn compact_locked(
    shared: &Shared,
    writer: &Sender<WriterMsg>,
    threshold: f64,
) -> Result<CompactionReport> {
    let guard = lock(&shared.compaction);
    if let Some(e) = shared.refused() {
        return Err(e);
    }
    let files = shared.files.load_full();
    let mut stats = lock(&shared.stats).clone();
    // Expired records are garbage too, though nothing has marked them dead yet: without this a
    // file holding only live and expired records would never be picked.
    let now = now_ms();
    shared.index.for_each_entry(|e| {
        if crate::shared::is_expired(e, now) {
            Shared::mark_dead(&mut stats, e.fid, u64::from(e.len));
        }
    });
    let inputs = pick(&stats, &files, threshold);
    if inputs.is_empty() {
        return Ok(CompactionReport::default());
    }
    let input_set: BTreeSet<Fid> = inputs.iter().copied().collect();
    // A tombstone (or an expired record) may vanish only if no file left outside this compaction
    // can hold an older record of its key: all of them must be newer than it (§10).
    let oldest_outside = stats
        .iter()
        .filter(|(fid, s)| !input_set.contains(fid) && s.min_seq > 0)
        .map(|(_, s)| s.min_seq)
        .min()
        .unwrap_or(u64::MAX);
    let mut report = CompactionReport {
        inputs: inputs.clone(),
        ..Default::default()
    };
    let mut outputs = Outputs {
        shared,
        current: None,
        done: Vec::new(),
        moves: Vec::new(),
    };
    let mut expired: Vec<(&[u8], Fid, u64)> = Vec::new();
    // Before the commit point nothing refers to the outputs: on failure they are deleted again.
    let written = copy_live(
        &files,
        &inputs,
        (oldest_outside, now),
        &mut outputs,
        &mut expired,
        &mut report,
    )
    .and_then(|()| outputs.finish_current())
    .and_then(|()| crate::dir::sync_dir(&shared.dir));
    if let Err(e) = written {
        outputs.discard();
        return Err(e);
    }
    let out_fids: Vec<Fid> = outputs.done.iter().map(|o| o.file.fid()).collect();
    // Records that superseded the ones dropped here must be durable before the drop is. The
    // writer may be waiting for the compaction lock (FLUSHALL) before it gets to this sync:
    // release it meanwhile, and check below that the inputs are still live.
    drop(guard);
    let (tx, rx) = crossbeam_channel::bounded(1);
    let synced = writer
        .send(WriterMsg::Sync(Box::new(move |r| {
            let _ = tx.send(r);
        })))
        .map_err(|_| StorageError::Closed)
        .and_then(|()| rx.recv().map_err(|_| StorageError::Closed)?);
    if let Err(e) = synced {
        outputs.discard();
        return Err(e);
    }
    let _guard = lock(&shared.compaction);
    if !inputs
        .iter()
        .all(|f| lock(&shared.manifest).live_files().contains(f))
    {
        // A FLUSHALL dropped the inputs meanwhile: the outputs are stale, never made live.
        for o in &outputs.done {
            remove_files(&shared.dir, o.file.fid());
        }
        tracing::info!("compaction abandoned: a FLUSHALL ran meanwhile");
        return Ok(CompactionReport::default());
    }
    // Commit point. If the edit fails, it may still be on disk (a failed fsync says nothing
    // about what the page cache wrote back): the outputs stay, as they may be live after a
    // restart, and so do the inputs. The next open settles it either way (§6.4, §10).
    lock(&shared.manifest)
        .add_or_remove(&out_fids, &inputs)
        .inspect_err(|e| shared.poison(e.to_string()))?;
    // From here on memory must follow the MANIFEST; if it cannot, writes are refused.
    let mut mapped = Vec::new();
    for o in &outputs.done {
        let file = MappedFile::open(&shared.dir, FileKind::Data, o.file.fid())
            .inspect_err(|e| shared.poison(e.to_string()))?;
        mapped.push((o.file.fid(), Arc::new(file)));
        report.bytes_after += o.file.len();
    }
    // Readers may now find a record in the outputs or the inputs; repoint, then retire inputs.
    shared.update_files(|cur| {
        let mut sealed = cur.sealed.clone();
        sealed.extend(mapped.iter().cloned());
        FileSet {
            sealed,
            active: cur.active.clone(),
        }
    });
    let mut out_stats: std::collections::BTreeMap<Fid, FileStats> = outputs
        .done
        .iter()
        .map(|o| (o.file.fid(), o.stats))
        .collect();
    for (key, old_fid, old_offset, new, element) in &outputs.moves {
        let index = if *element {
            &shared.elements
        } else {
            &shared.index
        };
        if !index.compare_and_repoint(key, *old_fid, *old_offset, *new) {
            // A write replaced the key meanwhile: the copy is dead on arrival.
            Shared::mark_dead(&mut out_stats, new.fid, u64::from(new.len));
        }
    }
    for (key, fid, offset) in expired {
        shared.index.remove_if_at(key, fid, offset);
    }
    shared.update_files(|cur| {
        let mut sealed = cur.sealed.clone();
        for f in &inputs {
            sealed.remove(f);
        }
        FileSet {
            sealed,
            active: cur.active.clone(),
        }
    });
    {
        let mut stats = lock(&shared.stats);
        for f in &inputs {
            stats.remove(f);
        }
        stats.extend(out_stats);
    }
    drop(files);
    for &f in &inputs {
        remove_files(&shared.dir, f);
    }
    crate::dir::sync_dir(&shared.dir)?;
    report.outputs = out_fids;
    shared.counters.compactions.fetch_add(1, Relaxed);
    shared.counters.bytes_reclaimed.fetch_add(
        report.bytes_before.saturating_sub(report.bytes_after),
        Relaxed,
    );
    tracing::info!(?report.inputs, ?report.outputs, report.bytes_before, report.bytes_after, "compaction done");
    Ok(report)
}

/// Copies the live records of `inputs` (and the tombstones that must stay) into `outputs`;
/// notes the live records that expired in `expired`. `bounds` is (oldest seq outside the
/// compaction, now in ms).
fn copy_live<'a>(
    files: &'a FileSet,
    inputs: &[Fid],
    bounds: (u64, u64),
    outputs: &mut Outputs<'a>,
    expired: &mut Vec<(&'a [u8], Fid, u64)>,
    report: &mut CompactionReport,
) -> Result<()> {
    let (oldest_outside, now) = bounds;
    let shared = outputs.shared;
    for &fid in inputs {
        let Some(mf) = files.sealed.get(&fid) else {
            continue;
        };
        report.bytes_before += mf.len();
        let mut iter = mf.records::<DataCodec>()?;
        for (offset, rec) in iter.by_ref() {
            let Ok(rec) = rec else {
                report.records_dropped += 1;
                continue; // damage is logged by the scan; nothing there can be live
            };
            // An element record (§4.3) is live if the element index points at it; the rest,
            // if the main index does.
            let element = rec.kind.is_element();
            let index = if element {
                &shared.elements
            } else {
                &shared.index
            };
            let entry = index.get(rec.key);
            let live = entry.is_some_and(|e| e.fid == fid && e.offset == offset);
            let gone = rec.tombstone || (live && rec.expire_at_ms.is_some_and(|t| t <= now));
            if gone {
                if live {
                    expired.push((rec.key, fid, offset));
                }
                if rec.seq < oldest_outside {
                    report.records_dropped += 1;
                } else {
                    // Keep it as a tombstone: an older record of the key may still exist.
                    let kind = if element {
                        RecordKind::Element
                    } else {
                        RecordKind::Plain
                    };
                    outputs.push(RecordRef::delete(rec.seq, rec.key).of_kind(kind), None)?;
                    report.records_kept += 1;
                }
            } else if live {
                let slot = outputs.moves.len();
                let placeholder = IndexEntry {
                    fid: 0,
                    offset: 0,
                    len: 0,
                    expire_at_ms: None,
                };
                outputs
                    .moves
                    .push((rec.key, fid, offset, placeholder, element));
                outputs.push(rec, Some(slot))?;
                report.records_kept += 1;
            } else {
                report.records_dropped += 1;
            }
        }
        for d in iter.report().mid_file_damage() {
            tracing::error!(
                fid,
                offset = d.offset,
                len = d.len,
                "compaction skipped damaged bytes"
            );
        }
    }
    Ok(())
}
