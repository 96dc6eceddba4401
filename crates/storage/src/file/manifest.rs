//! The MANIFEST (fid 0): an append-only log of [`ManifestEdit`]s whose replay yields the set
//! of live files and the fid / sequence counters (`docs/storage-format.md` §6).
//!
//! Every edit is one CRC'd record, appended and `fdatasync`'d before [`Manifest::log_edit`]
//! returns: that fsync is the commit point of a file-set change (§10). On open:
//!
//! * edits are replayed in order with the rules of [`ManifestState::apply`] (§6.2);
//! * damage that runs to the end of the file is a torn last edit: it is ignored, logged, and
//!   truncated away before anything is appended, so new edits follow the last valid one (§6.4);
//! * damage followed by a valid edit, or a CRC-valid edit that breaks the rules, is an error
//!   naming the file and offset. Nothing is guessed.

use std::collections::BTreeSet;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::dbfile::{Access, DBFile};
use crate::dir::{MANIFEST_NAME, MANIFEST_TMP_NAME, sync_dir};
use crate::error::{Corruption, EditError, FidList, Result, StorageError};
use crate::format::{EditCodec, FIRST_DATA_FID, Fid, FileKind, MANIFEST_FID, ManifestEdit};
use crate::record_scan::{Damage, ScanReport};

/// The state a MANIFEST describes: live files and counters (§6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestState {
    live: BTreeSet<Fid>,
    next_fid: Fid,
    next_seq: u64,
}

impl Default for ManifestState {
    fn default() -> Self {
        Self::new()
    }
}

impl ManifestState {
    /// The state of an empty store: no live files, next fid 1, next sequence number 1.
    pub fn new() -> Self {
        ManifestState {
            live: BTreeSet::new(),
            next_fid: FIRST_DATA_FID,
            next_seq: 1,
        }
    }

    /// The live fids, ascending.
    pub fn live(&self) -> &BTreeSet<Fid> {
        &self.live
    }

    /// True if `fid` is live.
    pub fn is_live(&self, fid: Fid) -> bool {
        self.live.contains(&fid)
    }

    /// The next fid to allocate; every fid ever allocated is below it.
    pub fn next_fid(&self) -> Fid {
        self.next_fid
    }

    /// Floor for the next sequence number (§7).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Checks `edit` against the replay rules without applying it (§6.2):
    /// counters never go backwards; no fid appears twice; fid 0 is never listed; added fids
    /// were allocated (below the edit's `next_fid`) and are not live; removed fids are live.
    pub fn check(&self, edit: &ManifestEdit) -> Result<(), EditError> {
        if edit.next_fid < self.next_fid {
            return Err(EditError::NextFidBackwards {
                from: self.next_fid,
                to: edit.next_fid,
            });
        }
        if edit.next_seq < self.next_seq {
            return Err(EditError::NextSeqBackwards {
                from: self.next_seq,
                to: edit.next_seq,
            });
        }
        let mut seen = BTreeSet::new();
        for &fid in edit.add.iter().chain(&edit.remove) {
            if fid == MANIFEST_FID {
                return Err(EditError::ReservedFid);
            }
            if !seen.insert(fid) {
                return Err(EditError::Duplicate(fid));
            }
        }
        for &fid in &edit.add {
            if fid >= edit.next_fid {
                return Err(EditError::NotAllocated {
                    fid,
                    next_fid: edit.next_fid,
                });
            }
            if self.live.contains(&fid) {
                return Err(EditError::AlreadyLive(fid));
            }
        }
        if let Some(&fid) = edit.remove.iter().find(|f| !self.live.contains(f)) {
            return Err(EditError::NotLive(fid));
        }
        Ok(())
    }

    /// Checks and applies `edit`; on error the state is unchanged.
    pub fn apply(&mut self, edit: &ManifestEdit) -> Result<(), EditError> {
        self.check(edit)?;
        for fid in &edit.remove {
            self.live.remove(fid);
        }
        self.live.extend(edit.add.iter().copied());
        self.next_fid = edit.next_fid;
        self.next_seq = edit.next_seq;
        Ok(())
    }

    /// One edit that rebuilds this state from an empty one (§6.5).
    pub fn snapshot(&self) -> ManifestEdit {
        ManifestEdit {
            add: self.live.iter().copied().collect(),
            remove: Vec::new(),
            next_fid: self.next_fid,
            next_seq: self.next_seq,
        }
    }
}

/// A MANIFEST that has grown this many bytes past its last snapshot is rewritten as one
/// snapshot edit (§6.5), at open and after the edit that takes it there, so it never grows
/// without bound (a few edits per rotation and per compaction). LevelDB starts a new MANIFEST
/// at open; this also does it at run time.
pub const DEFAULT_REWRITE_AT: u64 = 64 << 10;

/// An open MANIFEST, ready to log edits. Single writer: wrap it in a mutex to share.
#[derive(Debug)]
pub struct Manifest {
    dir: PathBuf,
    file: DBFile,
    state: ManifestState,
    recovered_tail: Option<Damage>,
    /// Rewrite once the file is this much longer than `snapshot_len` ([`DEFAULT_REWRITE_AT`]).
    rewrite_at: u64,
    /// The file's length after its snapshot edit (its last rewrite, or its creation; 0 if it
    /// was opened as it was).
    snapshot_len: u64,
    /// A rewrite failed part way: `MANIFEST` may be a new file that `file` is not, so no edit
    /// is appended until a rewrite succeeds.
    needs_rewrite: bool,
}

impl Manifest {
    /// Creates the MANIFEST of a new store in `dir` (which must exist and hold no MANIFEST).
    ///
    /// Written as `MANIFEST.tmp` (header + one snapshot edit of the empty state), fsync'd,
    /// renamed to `MANIFEST`, then the directory is fsync'd: a crash leaves either no MANIFEST
    /// or a complete one (§6.5).
    pub fn create(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_NAME);
        let exists = path
            .try_exists()
            .map_err(|e| StorageError::io("stat", &path, e))?;
        if exists {
            let e = io::Error::new(io::ErrorKind::AlreadyExists, "MANIFEST already exists");
            return Err(StorageError::io("create", &path, e));
        }
        let state = ManifestState::new();
        write_snapshot(dir, &state)?;
        let file = DBFile::open(dir, FileKind::Manifest, MANIFEST_FID, Access::ReadWrite)?;
        Ok(Manifest {
            dir: dir.to_path_buf(),
            file,
            state,
            recovered_tail: None,
            rewrite_at: DEFAULT_REWRITE_AT,
            snapshot_len: 0,
            needs_rewrite: false,
        }
        .with_snapshot_len())
    }

    /// Opens and replays the MANIFEST in `dir`, repairing a torn last edit (§6.4).
    ///
    /// A leftover `MANIFEST.tmp` (a crash during [`Manifest::rewrite`]) is removed.
    pub fn open(dir: &Path) -> Result<Manifest> {
        remove_stale_tmp(dir)?;
        let mut file = DBFile::open(dir, FileKind::Manifest, MANIFEST_FID, Access::ReadWrite)?;
        let (state, report) = replay_file(&file)?;
        let recovered_tail = report.tail_damage().cloned();
        if let Some(at) = report.torn_tail_at() {
            tracing::warn!(
                path = %file.path().display(),
                offset = at,
                bytes = report.file_len.saturating_sub(at),
                "ignoring torn last MANIFEST edit; truncating it away"
            );
            file.truncate_to(at)?;
        }
        tracing::debug!(
            path = %file.path().display(),
            edits = report.records,
            live = state.live().len(),
            next_fid = state.next_fid(),
            "MANIFEST replayed"
        );
        let mut manifest = Manifest {
            dir: dir.to_path_buf(),
            file,
            state,
            recovered_tail,
            rewrite_at: DEFAULT_REWRITE_AT,
            snapshot_len: 0,
            needs_rewrite: false,
        };
        if manifest.past_bound() {
            manifest.rewrite()?;
        }
        Ok(manifest)
    }

    /// [`Manifest::open`] if `dir` has a MANIFEST, else [`Manifest::create`].
    pub fn open_or_create(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_NAME);
        match path.try_exists() {
            Ok(true) => Self::open(dir),
            Ok(false) => Self::create(dir),
            Err(e) => Err(StorageError::io("stat", &path, e)),
        }
    }

    /// Replays the MANIFEST in `dir` without modifying anything (no truncation, no tmp
    /// removal). Same errors as [`Manifest::open`].
    pub fn replay(dir: &Path) -> Result<(ManifestState, ScanReport)> {
        let file = DBFile::open(dir, FileKind::Manifest, MANIFEST_FID, Access::ReadOnly)?;
        replay_file(&file)
    }

    /// The replayed state, including every edit logged since.
    pub fn state(&self) -> &ManifestState {
        &self.state
    }

    /// The live fids, ascending.
    pub fn live_files(&self) -> &BTreeSet<Fid> {
        self.state.live()
    }

    /// The next fid that [`Manifest::allocate_fid`] will hand out.
    pub fn next_fid(&self) -> Fid {
        self.state.next_fid()
    }

    /// Floor for the next sequence number (§7).
    pub fn next_seq(&self) -> u64 {
        self.state.next_seq()
    }

    /// Path of the MANIFEST file.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The torn tail that [`Manifest::open`] dropped, if any. A tail that was complete but
    /// failed its CRC may also have been bit rot in the last synced edit (§6.4): callers that
    /// delete orphan files may want to be careful when this is `Some`.
    pub fn recovered_tail(&self) -> Option<&Damage> {
        self.recovered_tail.as_ref()
    }

    /// Allocates one fid, durably (one edit, one fsync); it will never be handed out again.
    pub fn allocate_fid(&mut self) -> Result<Fid> {
        Ok(self.allocate_fids(1)?.start)
    }

    /// Allocates `n` consecutive fids with one durable edit.
    pub fn allocate_fids(&mut self, n: u64) -> Result<Range<Fid>> {
        let start = self.state.next_fid();
        let end = start.checked_add(n).ok_or(StorageError::FidsExhausted)?;
        self.log_edit(&ManifestEdit {
            add: Vec::new(),
            remove: Vec::new(),
            next_fid: end,
            next_seq: self.state.next_seq(),
        })?;
        Ok(start..end)
    }

    /// The core operation: atomically makes `add` live and `remove` not live, with one CRC'd
    /// edit, fsync'd before returning (§6, §10). Added fids must come from
    /// [`Manifest::allocate_fid`] and their files must already be complete, synced, and
    /// reachable (directory fsync'd).
    pub fn add_or_remove(&mut self, add: &[Fid], remove: &[Fid]) -> Result<()> {
        self.log_edit(&ManifestEdit {
            add: add.to_vec(),
            remove: remove.to_vec(),
            next_fid: self.state.next_fid(),
            next_seq: self.state.next_seq(),
        })
    }

    /// Raises the persisted sequence floor to at least `next_seq` (§7), with one durable edit.
    pub fn raise_next_seq(&mut self, next_seq: u64) -> Result<()> {
        if next_seq <= self.state.next_seq() {
            return Ok(());
        }
        self.log_edit(&ManifestEdit {
            add: Vec::new(),
            remove: Vec::new(),
            next_fid: self.state.next_fid(),
            next_seq,
        })
    }

    /// Checks `edit` against the current state (§6.2), appends it and fsyncs. The in-memory
    /// state changes only if all of that succeeded.
    ///
    /// After an I/O error the MANIFEST handle is poisoned (§9.3): whether the edit is on disk
    /// is unknown. [`Manifest::rewrite`] replaces the file with the in-memory state, which
    /// settles the question (the edit is then definitely not applied).
    pub fn log_edit(&mut self, edit: &ManifestEdit) -> Result<()> {
        if self.needs_rewrite {
            return Err(StorageError::Poisoned {
                path: self.file.path().to_path_buf(),
            });
        }
        self.state
            .check(edit)
            .map_err(|reason| StorageError::InvalidEdit {
                path: self.file.path().to_path_buf(),
                reason,
            })?;
        let pos = self.file.append::<EditCodec>(edit)?;
        self.file.sync()?;
        self.state
            .apply(edit)
            .map_err(|reason| StorageError::InvalidEdit {
                path: self.file.path().to_path_buf(),
                reason,
            })?;
        tracing::debug!(
            offset = pos.offset,
            add = %FidList(&edit.add),
            remove = %FidList(&edit.remove),
            next_fid = edit.next_fid,
            "MANIFEST edit committed"
        );
        // The edit is committed whatever happens here: a failed rewrite only makes the next
        // edit fail (and the store heal, rewriting it again).
        if self.past_bound()
            && let Err(e) = self.rewrite()
        {
            tracing::warn!(error = %e, "MANIFEST rewrite failed; the next edit will retry it");
        }
        Ok(())
    }

    /// Rewrites the MANIFEST once it has grown `bytes` past its last snapshot (default
    /// [`DEFAULT_REWRITE_AT`]).
    pub fn set_rewrite_at(&mut self, bytes: u64) {
        self.rewrite_at = bytes;
    }

    fn past_bound(&self) -> bool {
        self.file.len() > self.snapshot_len.saturating_add(self.rewrite_at)
    }

    fn with_snapshot_len(mut self) -> Self {
        self.snapshot_len = self.file.len();
        self
    }

    /// Replaces the MANIFEST by one holding a single snapshot edit of the current state
    /// (tmp file, fsync, rename, directory fsync; §6.5). Keeps the log short, and is the way
    /// out after a poisoned append.
    ///
    /// Until it has succeeded no edit is appended: a failure after the rename would otherwise
    /// leave edits going to the replaced file's unlinked inode.
    pub fn rewrite(&mut self) -> Result<()> {
        self.needs_rewrite = true;
        let before = self.file.len();
        write_snapshot(&self.dir, &self.state)?;
        self.file = DBFile::open(
            &self.dir,
            FileKind::Manifest,
            MANIFEST_FID,
            Access::ReadWrite,
        )?;
        self.needs_rewrite = false;
        self.snapshot_len = self.file.len();
        self.recovered_tail = None;
        tracing::debug!(before, after = self.file.len(), "MANIFEST rewritten");
        Ok(())
    }
}

/// Replays every edit of `file` (§6.2, §6.4).
fn replay_file(file: &DBFile) -> Result<(ManifestState, ScanReport)> {
    let view = file.view()?;
    let mut edits = view.records::<EditCodec>()?;
    let mut state = ManifestState::new();
    while let Some((offset, item)) = edits.next() {
        match item {
            Ok(edit) => state.apply(&edit).map_err(|e| StorageError::Corrupt {
                path: file.path().to_path_buf(),
                offset,
                reason: Corruption::InvalidEdit(e),
            })?,
            // Damage with a valid edit after it is not a torn write: refuse to guess.
            Err(e) if edits.position() < edits.report().file_len => return Err(e),
            // Damage that runs to the end: the torn last edit, ignored (§6.4).
            Err(_) => {}
        }
    }
    Ok((state, edits.into_report()))
}

/// Writes `state` as a fresh MANIFEST via `MANIFEST.tmp` + rename + directory fsync.
fn write_snapshot(dir: &Path, state: &ManifestState) -> Result<()> {
    remove_stale_tmp(dir)?;
    let tmp = dir.join(MANIFEST_TMP_NAME);
    let mut file = DBFile::create_at(tmp.clone(), FileKind::Manifest, MANIFEST_FID)?;
    file.append::<EditCodec>(&state.snapshot())?;
    file.sync()?;
    drop(file);
    let path = dir.join(MANIFEST_NAME);
    crate::faults::rename(&tmp, &path).map_err(|e| StorageError::io("rename", &tmp, e))?;
    sync_dir(dir)
}

/// Removes `MANIFEST.tmp` if present.
fn remove_stale_tmp(dir: &Path) -> Result<()> {
    let tmp = dir.join(MANIFEST_TMP_NAME);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {
            tracing::info!(path = %tmp.display(), "removed stale MANIFEST.tmp");
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io("remove", &tmp, e)),
    }
}
