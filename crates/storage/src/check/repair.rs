//! The writing half of the check: repairs, each preceded by a durable backup of what it removes
//! (see the [module docs](super#repair) for the steps and why a crash between them is safe).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::inspect::{Bytes, Inspection};
use super::report::{ProblemKind, RepairAction};
use crate::dbfile::{Access, DBFile};
use crate::dir::{
    MANIFEST_NAME, MANIFEST_TMP_NAME, file_name, file_path, parse_file_name, sync_dir,
};
use crate::error::{Result, StorageError};
use crate::format::{
    DataCodec, EditCodec, Fid, FileKind, HEADER_LEN, HintEntry, MANIFEST_FID, RecordRef,
};
use crate::manifest::{Manifest, ManifestState};
use crate::record_scan::RecordIter;

/// Records are copied into a rewritten file in writes of about this many bytes.
const WRITE_CHUNK: usize = 4 << 20;

/// What to do to one damaged data file.
#[derive(Debug, Default)]
struct Plan {
    header_bad: bool,
    /// Byte ranges to drop: damage, torn tail, records of incomplete batches.
    ranges: Vec<(u64, u64)>,
}

/// Repairs what `found` reports. Returns the backup directory, the actions, and what was left.
pub(super) fn repair(
    dir: &Path,
    found: &Inspection,
) -> Result<(Option<PathBuf>, Vec<RepairAction>, Vec<String>)> {
    let problems = &found.report.problems;
    let Some(state) = &found.state else {
        let why = if found.report.manifest.len == 0 && !dir.join(MANIFEST_NAME).exists() {
            "the MANIFEST is missing"
        } else {
            "the MANIFEST cannot be replayed (damage or an invalid edit before its end)"
        };
        let skipped = format!(
            "{why}: which files are live is unknown, so nothing was changed; \
             restore the MANIFEST from a backup (docs/check.md)"
        );
        return Ok((None, Vec::new(), vec![skipped]));
    };
    let mut r = Repairer {
        dir,
        backup: Backup::create(dir)?,
        actions: Vec::new(),
        manifest: None,
    };

    // 1. Leftovers: not live, so moving them changes nothing the store reads.
    for p in problems.iter().filter(|p| p.kind == ProblemKind::Leftover) {
        let saved = r.backup.move_in(&dir.join(&p.file), &p.file)?;
        r.act(&p.file, "moved into the backup".into(), vec![saved]);
    }
    r.sync()?;

    // 2. The MANIFEST: a bad header is rewritten from the valid edits, a torn edit cut.
    let manifest_problem = |f: fn(&ProblemKind) -> bool| {
        problems
            .iter()
            .filter(|p| p.file == MANIFEST_NAME)
            .find(|p| f(&p.kind))
            .map(|p| &p.kind)
    };
    if manifest_problem(|k| matches!(k, ProblemKind::BadHeader(_))).is_some() {
        r.rewrite_manifest(state, found.report.manifest.edits)?;
    } else if let Some(&ProblemKind::TornTail { offset, len }) =
        manifest_problem(|k| matches!(k, ProblemKind::TornTail { .. }))
    {
        r.cut_manifest(offset, len)?;
    }

    // 3. Plans for the data files; the missing ones.
    let mut plans: BTreeMap<Fid, Plan> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut bad_hints = BTreeSet::new();
    for p in problems {
        match (parse_file_name(&p.file), &p.kind) {
            (Some((FileKind::Data, fid)), ProblemKind::Missing) => missing.push(fid),
            (Some((FileKind::Data, fid)), ProblemKind::BadHeader(_)) => {
                plans.entry(fid).or_default().header_bad = true;
            }
            (
                Some((FileKind::Data, fid)),
                &ProblemKind::TornTail { offset, len }
                | &ProblemKind::Corrupt { offset, len, .. }
                | &ProblemKind::DroppedBatch { offset, len },
            ) => plans
                .entry(fid)
                .or_default()
                .ranges
                .push((offset, offset.saturating_add(len))),
            (Some((FileKind::Hint, fid)), k) if *k != ProblemKind::Leftover => {
                bad_hints.insert(fid);
            }
            _ => {}
        }
    }

    // 4. Hint files go before their data file changes: a hint that outlived a truncation would
    //    be trusted by recovery and point past the end of the file.
    for fid in plans.keys().chain(&missing).chain(&bad_hints) {
        let name = file_name(FileKind::Hint, *fid);
        let path = dir.join(&name);
        if !path.exists() {
            continue;
        }
        let why = if bad_hints.contains(fid) {
            "damaged or stale"
        } else if missing.contains(fid) {
            "its data file is missing"
        } else {
            "its data file is repaired"
        };
        let saved = r.backup.move_in(&path, &name)?;
        r.act(&name, format!("moved into the backup ({why})"), vec![saved]);
    }
    r.sync()?;

    // 5. Missing files leave the live set (their records are gone either way).
    if !missing.is_empty() {
        r.manifest()?.add_or_remove(&[], &missing)?;
        for &fid in &missing {
            r.act(
                &file_name(FileKind::Data, fid),
                "removed from the live set (MANIFEST edit); its records are lost, and keys it \
                 had deleted may show older values"
                    .into(),
                Vec::new(),
            );
        }
    }

    // 6. Damaged data files: cut a damaged tail, rewrite anything else.
    for (fid, mut plan) in plans {
        plan.ranges.sort_unstable();
        let path = file_path(dir, FileKind::Data, fid);
        let len = std::fs::metadata(&path)
            .map_err(|e| StorageError::io("stat", &path, e))?
            .len();
        match tail_only(&plan, len) {
            Some(cut) => r.truncate_data(fid, cut, len)?,
            None => r.rewrite_data(fid, &plan, len)?,
        }
    }
    r.sync()?;
    r.write_readme();
    Ok((Some(r.backup.dir), r.actions, Vec::new()))
}

/// Where to truncate if the ranges to drop are one contiguous run to the end of the file and
/// the header is good.
fn tail_only(plan: &Plan, len: u64) -> Option<u64> {
    if plan.header_bad {
        return None;
    }
    let (first, rest) = plan.ranges.split_first()?;
    let mut end = first.1;
    for &(s, e) in rest {
        if s != end {
            return None;
        }
        end = e;
    }
    (end == len && first.0 >= HEADER_LEN as u64).then_some(first.0)
}

struct Repairer<'a> {
    dir: &'a Path,
    backup: Backup,
    actions: Vec<RepairAction>,
    manifest: Option<Manifest>,
}

impl Repairer<'_> {
    fn act(&mut self, file: &str, what: String, saved: Vec<PathBuf>) {
        tracing::info!(file, what, "repair");
        self.actions.push(RepairAction {
            file: file.to_owned(),
            what,
            saved,
        });
    }

    /// The MANIFEST, opened for edits (on first use).
    fn manifest(&mut self) -> Result<&mut Manifest> {
        let m = match self.manifest.take() {
            Some(m) => m,
            None => Manifest::open(self.dir)?,
        };
        Ok(self.manifest.insert(m))
    }

    /// fsyncs the backup directory and the store directory.
    fn sync(&self) -> Result<()> {
        sync_dir(&self.backup.dir)?;
        sync_dir(self.dir)
    }

    /// Saves the torn last edit, then lets [`Manifest::open`] cut it (§6.4).
    fn cut_manifest(&mut self, offset: u64, len: u64) -> Result<()> {
        let path = self.dir.join(MANIFEST_NAME);
        let saved = self.backup.save_range(&path, MANIFEST_NAME, offset, len)?;
        sync_dir(&self.backup.dir)?;
        self.manifest = Some(Manifest::open(self.dir)?);
        self.act(
            MANIFEST_NAME,
            format!("torn last edit removed: truncated at offset {offset} ({len} bytes)"),
            vec![saved],
        );
        Ok(())
    }

    /// Copies the MANIFEST into the backup, then replaces it with one snapshot edit of `state`
    /// the way §6.5 does it: `MANIFEST.tmp`, fsync, rename, directory fsync.
    fn rewrite_manifest(&mut self, state: &ManifestState, edits: u64) -> Result<()> {
        let path = self.dir.join(MANIFEST_NAME);
        let saved = self.backup.copy_in(&path, MANIFEST_NAME)?;
        sync_dir(&self.backup.dir)?;
        let tmp = self.dir.join(MANIFEST_TMP_NAME);
        let mut file = DBFile::create_at(tmp.clone(), FileKind::Manifest, MANIFEST_FID)?;
        file.append::<EditCodec>(&state.snapshot())?;
        file.sync()?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(|e| StorageError::io("rename", &tmp, e))?;
        sync_dir(self.dir)?;
        self.manifest = Some(Manifest::open(self.dir)?);
        self.act(
            MANIFEST_NAME,
            format!(
                "bad header: rewritten as one snapshot edit of its {edits} valid edits \
                 ({} live files); the old file is in the backup",
                state.live().len()
            ),
            vec![saved],
        );
        Ok(())
    }

    /// Saves `cut..len` of data file `fid`, then truncates it there.
    fn truncate_data(&mut self, fid: Fid, cut: u64, len: u64) -> Result<()> {
        let name = file_name(FileKind::Data, fid);
        let path = self.dir.join(&name);
        let saved = self.backup.save_range(&path, &name, cut, len - cut)?;
        sync_dir(&self.backup.dir)?;
        let mut file = DBFile::open(self.dir, FileKind::Data, fid, Access::ReadWrite)?;
        file.truncate_to(cut)?;
        self.act(
            &name,
            format!("truncated at offset {cut} ({} bytes removed)", len - cut),
            vec![saved],
        );
        Ok(())
    }

    /// Saves the ranges to drop (and a bad header), copies every other record into a new file
    /// with a hint file, commits the swap with one MANIFEST edit, then moves the old file into
    /// the backup (§10's compaction order).
    fn rewrite_data(&mut self, fid: Fid, plan: &Plan, len: u64) -> Result<()> {
        let name = file_name(FileKind::Data, fid);
        let path = self.dir.join(&name);
        let mut saved = Vec::new();
        if plan.header_bad {
            let n = len.min(HEADER_LEN as u64);
            saved.push(self.backup.save_range(&path, &name, 0, n)?);
        }
        for &(s, e) in &plan.ranges {
            saved.push(self.backup.save_range(&path, &name, s, e - s)?);
        }
        sync_dir(&self.backup.dir)?;
        let dir = self.dir;
        let new = self.manifest()?.allocate_fid()?;
        let copied = {
            let bytes = Bytes::load(&path, FileKind::Data, fid)?;
            copy_records(dir, new, bytes.as_slice(), &path, &plan.ranges).inspect_err(|_| {
                for kind in [FileKind::Data, FileKind::Hint] {
                    let _ = std::fs::remove_file(file_path(dir, kind, new));
                }
            })?
        };
        sync_dir(dir)?;
        self.manifest()?.add_or_remove(&[new], &[fid])?;
        saved.push(self.backup.move_in(&path, &name)?);
        self.sync()?;
        let dropped: u64 = plan.ranges.iter().map(|(s, e)| e - s).sum();
        self.act(
            &name,
            format!(
                "rewritten as {} ({copied} records kept, {dropped} bytes dropped{}); the \
                 original file is in the backup",
                file_name(FileKind::Data, new),
                if plan.header_bad { ", bad header" } else { "" }
            ),
            saved,
        );
        Ok(())
    }

    /// A note in the backup directory of what was done (best effort: the report has it too).
    fn write_readme(&self) {
        let mut text = format!(
            "kvs-check --repair of {}\n\nEach <file>.<offset>.bin holds the bytes removed from \
             <file> at that offset; whole files were moved here unchanged.\n\n",
            self.dir.display()
        );
        for a in &self.actions {
            text.push_str(&format!("{}: {}\n", a.file, a.what));
            for s in &a.saved {
                let n = s.file_name().map(|n| n.to_string_lossy().into_owned());
                text.push_str(&format!("    saved {}\n", n.unwrap_or_default()));
            }
        }
        let path = self.backup.dir.join("REPAIR.txt");
        if let Err(e) = std::fs::write(&path, text) {
            tracing::warn!(path = %path.display(), error = %e, "could not write the repair notes");
        }
    }
}

/// Copies every valid record of `bytes` outside `drop` into new data file `new`, each closed
/// (as compaction does), and writes its hint file; both fsync'd. Returns the records copied.
fn copy_records(
    dir: &Path,
    new: Fid,
    bytes: &[u8],
    path: &Path,
    drop: &[(u64, u64)],
) -> Result<u64> {
    let mut out = DBFile::create(dir, FileKind::Data, new)?;
    let mut hints: Vec<HintEntry<'_>> = Vec::new();
    let mut batch: Vec<RecordRef<'_>> = Vec::new();
    let mut batch_len = 0;
    let mut copied = 0;
    for (offset, item) in RecordIter::<DataCodec>::new(bytes, path) {
        let Ok(rec) = item else { continue };
        if drop.iter().any(|&(s, e)| (s..e).contains(&offset)) {
            continue;
        }
        batch_len += rec.encoded_len();
        batch.push(rec.in_open_batch(false));
        copied += 1;
        if batch_len >= WRITE_CHUNK {
            flush(&mut out, &mut batch, &mut hints)?;
            batch_len = 0;
        }
    }
    flush(&mut out, &mut batch, &mut hints)?;
    out.sync()?;
    let footer = crate::file::hint_file::footer_of(&out, &hints)?;
    let mut hint = DBFile::create(dir, FileKind::Hint, new)?;
    crate::file::hint_file::write_body(&mut hint, &hints, footer)?;
    hint.sync()?;
    Ok(copied)
}

fn flush<'a>(
    out: &mut DBFile,
    batch: &mut Vec<RecordRef<'a>>,
    hints: &mut Vec<HintEntry<'a>>,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let pos = out.write_records::<DataCodec>(batch)?;
    hints.extend(
        batch
            .iter()
            .zip(pos)
            .map(|(r, p)| HintEntry::for_record(r, p)),
    );
    batch.clear();
    Ok(())
}

/// The backup directory of one repair.
struct Backup {
    dir: PathBuf,
}

impl Backup {
    /// Creates a fresh `repair-backup-<time>` in `store` and makes it durable.
    fn create(store: &Path) -> Result<Backup> {
        let dir = super::fresh_backup_dir(store);
        std::fs::create_dir(&dir).map_err(|e| StorageError::io("create directory", &dir, e))?;
        sync_dir(store)?;
        tracing::info!(dir = %dir.display(), "repair backup directory");
        Ok(Backup { dir })
    }

    /// Writes bytes `offset..offset + len` of `src` to `<name>.<offset>.bin`, fsync'd.
    fn save_range(&self, src: &Path, name: &str, offset: u64, len: u64) -> Result<PathBuf> {
        let out = self.dir.join(format!("{name}.{offset}.bin"));
        let mut from = File::open(src).map_err(|e| StorageError::io("open", src, e))?;
        from.seek(SeekFrom::Start(offset))
            .map_err(|e| StorageError::io("seek", src, e))?;
        let mut to = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&out)
            .map_err(|e| StorageError::io("create", &out, e))?;
        let n = io::copy(&mut io::Read::take(from, len), &mut to)
            .map_err(|e| StorageError::io("copy", &out, e))?;
        if n != len {
            let e = io::Error::new(io::ErrorKind::UnexpectedEof, "file shorter than expected");
            return Err(StorageError::io("copy", src, e));
        }
        to.sync_all()
            .map_err(|e| StorageError::io("fsync", &out, e))?;
        Ok(out)
    }

    /// Moves `src` (a file or directory in the store) into the backup under `name`.
    fn move_in(&self, src: &Path, name: &str) -> Result<PathBuf> {
        let dst = self.dir.join(name);
        std::fs::rename(src, &dst).map_err(|e| StorageError::io("rename", src, e))?;
        Ok(dst)
    }

    /// Copies the file `src` into the backup under `name`, fsync'd.
    fn copy_in(&self, src: &Path, name: &str) -> Result<PathBuf> {
        let dst = self.dir.join(name);
        std::fs::copy(src, &dst).map_err(|e| StorageError::io("copy", src, e))?;
        File::open(&dst)
            .and_then(|f| f.sync_all())
            .map_err(|e| StorageError::io("fsync", &dst, e))?;
        Ok(dst)
    }
}
