//! Opening a store: replay the MANIFEST, delete orphans, rebuild the index from hint files or
//! scans, repair the torn tail of the last active file (docs/storage-format.md §6, §9, §10, §11).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::dbfile::{Access, DBFile};
use crate::dir::{file_path, list_files};
use crate::error::Result;
use crate::format::header::HEADER_LEN;
use crate::format::{DataCodec, Fid, FileKind, HintCodec};
use crate::index::{Index, IndexEntry};
use crate::manifest::Manifest;
use crate::mapped::MappedFile;
use crate::shared::FileStats;

/// What opening the store found and did.
#[derive(Debug, Clone, Default)]
pub struct RecoveryReport {
    /// Live data files.
    pub files: usize,
    /// Files whose index came from their hint file.
    pub from_hints: usize,
    /// Files scanned record by record.
    pub scanned: usize,
    /// Keys in the index after recovery.
    pub keys: usize,
    /// Torn tails truncated: (fid, offset cut at, bytes dropped).
    pub torn_tails: Vec<(Fid, u64, u64)>,
    /// Damaged ranges skipped (bit rot): (fid, offset, length). Never silently.
    pub damaged: Vec<(Fid, u64, u64)>,
    /// Orphan files deleted (leftovers of an interrupted compaction or rotation).
    pub orphans_removed: usize,
}

pub(crate) struct Recovered {
    pub(crate) manifest: Manifest,
    pub(crate) index: Index,
    pub(crate) stats: BTreeMap<Fid, FileStats>,
    pub(crate) sealed: HashMap<Fid, Arc<MappedFile>>,
    pub(crate) next_seq: u64,
    pub(crate) report: RecoveryReport,
}

/// Applies records in any file order: the highest seq wins, and a tombstone hides every older
/// record of its key (remembered in `tombs` while loading only).
struct Loader {
    index: Index,
    tombs: HashMap<Vec<u8>, u64>,
    max_seq: u64,
}

impl Loader {
    fn apply(&mut self, key: &[u8], e: IndexEntry, tombstone: bool) {
        self.max_seq = self.max_seq.max(e.seq);
        if tombstone {
            let t = self.tombs.entry(key.to_vec()).or_insert(0);
            *t = (*t).max(e.seq);
            if self.index.get(key).is_some_and(|cur| cur.seq < e.seq) {
                self.index.remove(key);
            }
        } else if self.tombs.get(key).is_none_or(|&t| t <= e.seq) {
            self.index.insert_if_newer(key, e);
        }
    }
}

pub(crate) fn recover(dir: &Path) -> Result<Recovered> {
    let manifest = Manifest::open_or_create(dir)?;
    let live: Vec<Fid> = manifest.live_files().iter().copied().collect();
    let mut report = RecoveryReport {
        files: live.len(),
        ..Default::default()
    };
    for (kind, fid) in list_files(dir)? {
        if matches!(kind, FileKind::Data | FileKind::Hint) && !manifest.live_files().contains(&fid)
        {
            if manifest.recovered_tail().is_some() {
                // The MANIFEST lost its last edit: it may have been bit rot in an edit that made
                // this file live. Keep the file for an operator to look at (§6.4).
                tracing::warn!(
                    fid,
                    ?kind,
                    "not deleting a file unknown to a repaired MANIFEST"
                );
                continue;
            }
            crate::compactor::remove_files(dir, fid);
            report.orphans_removed += 1;
        }
    }
    let mut loader = Loader {
        index: Index::new(),
        tombs: HashMap::new(),
        max_seq: 0,
    };
    let mut stats = BTreeMap::new();
    let mut sealed = HashMap::new();
    // The last active file is the newest live data file without a hint file (compaction outputs
    // all have one): the only file that may have a torn tail.
    let last_active = live
        .iter()
        .rev()
        .find(|fid| !file_path(dir, FileKind::Hint, **fid).exists())
        .copied();
    for &fid in &live {
        let mut s = FileStats::default();
        if file_path(dir, FileKind::Hint, fid).exists()
            && load_hints(dir, fid, &mut loader, &mut s)?
        {
            report.from_hints += 1;
        } else {
            scan_data(
                dir,
                fid,
                Some(fid) == last_active,
                &mut loader,
                &mut s,
                &mut report,
            )?;
            report.scanned += 1;
        }
        let mapped = MappedFile::open(dir, FileKind::Data, fid)?;
        s.total = mapped.len();
        stats.insert(fid, s);
        sealed.insert(fid, Arc::new(mapped));
    }
    // Dead bytes = everything in a file that no index entry points at.
    let mut live_bytes: HashMap<Fid, u64> = HashMap::new();
    loader
        .index
        .for_each(|_, e| *live_bytes.entry(e.fid).or_default() += u64::from(e.len));
    for (fid, s) in stats.iter_mut() {
        let body = s.total.saturating_sub(HEADER_LEN as u64);
        s.dead = body.saturating_sub(live_bytes.get(fid).copied().unwrap_or(0));
    }
    report.keys = loader.index.len();
    let next_seq = (loader.max_seq + 1).max(manifest.next_seq());
    Ok(Recovered {
        manifest,
        index: loader.index,
        stats,
        sealed,
        next_seq,
        report,
    })
}

/// Loads a file's index entries from its hint file. Returns false (and loads nothing) if the
/// hint file is damaged: the caller scans the data file instead.
fn load_hints(dir: &Path, fid: Fid, loader: &mut Loader, s: &mut FileStats) -> Result<bool> {
    let hints = match MappedFile::open(dir, FileKind::Hint, fid) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(fid, error = %e, "unreadable hint file; scanning the data file");
            return Ok(false);
        }
    };
    let mut check = hints.records::<HintCodec>()?;
    check.by_ref().for_each(drop);
    if !check.report().is_clean() {
        tracing::warn!(fid, "damaged hint file; scanning the data file");
        return Ok(false);
    }
    for (_, h) in hints.records::<HintCodec>()? {
        let Ok(h) = h else { continue };
        s.note_seq(h.seq);
        let e = IndexEntry {
            fid,
            offset: h.pos.offset,
            len: h.pos.len,
            seq: h.seq,
            expire_at_ms: h.expire_at_ms,
        };
        loader.apply(h.key, e, h.tombstone);
    }
    Ok(true)
}

/// Scans a data file. Records of an atomic batch (§4.2) are applied only once the batch's last
/// record is seen; a batch still open at the end was cut by a crash and is dropped.
fn scan_data(
    dir: &Path,
    fid: Fid,
    may_be_torn: bool,
    loader: &mut Loader,
    s: &mut FileStats,
    report: &mut RecoveryReport,
) -> Result<()> {
    let mut file = DBFile::open(dir, FileKind::Data, fid, Access::ReadWrite)?;
    let cut = {
        let view = file.view()?;
        let mut iter = view.records::<DataCodec>()?;
        let mut group: Vec<(&[u8], IndexEntry, bool)> = Vec::new();
        let mut group_start = None;
        // A batch cut short by damage: its start, and where the damage begins. If that damage is
        // the torn tail, the cut must go back to the batch's start, or its first records would
        // stay at the end of the file, with nothing left to tell they were never committed.
        let mut broken: Option<(u64, u64)> = None;
        for (offset, rec) in iter.by_ref() {
            let Ok(rec) = rec else {
                if !group.is_empty() {
                    tracing::error!(
                        fid,
                        offset,
                        "damage inside an atomic batch; dropping the batch"
                    );
                    group.clear();
                    broken = group_start.take().map(|g| (g, offset));
                }
                continue;
            };
            s.note_seq(rec.seq);
            let len = rec.encoded_len() as u32;
            let e = IndexEntry {
                fid,
                offset,
                len,
                seq: rec.seq,
                expire_at_ms: rec.expire_at_ms,
            };
            group_start.get_or_insert(offset);
            group.push((rec.key, e, rec.tombstone));
            if !rec.batch_open {
                for (key, e, tomb) in group.drain(..) {
                    loader.apply(key, e, tomb);
                }
                group_start = None;
            }
        }
        let scan = iter.into_report();
        for d in scan.mid_file_damage() {
            tracing::error!(fid, offset = d.offset, len = d.len, error = %d.error, "damaged records skipped");
            report.damaged.push((fid, d.offset, d.len));
        }
        let torn = scan.torn_tail_at();
        let group_start =
            group_start.or(broken.filter(|&(_, at)| Some(at) == torn).map(|(g, _)| g));
        if let Some(d) = scan.tail_damage()
            && !may_be_torn
        {
            tracing::error!(
                fid,
                offset = d.offset,
                len = d.len,
                "damage at the end of a sealed file; not truncating"
            );
            report.damaged.push((fid, d.offset, d.len));
        }
        match (torn, group_start) {
            (Some(t), Some(g)) => Some(t.min(g)),
            (t, g) => t.or(g),
        }
    };
    if let Some(cut) = cut
        && may_be_torn
    {
        let dropped = file.len() - cut;
        tracing::warn!(
            fid,
            offset = cut,
            dropped,
            "truncating the torn tail of the last active file"
        );
        file.truncate_to(cut)?;
        report.torn_tails.push((fid, cut, dropped));
    }
    Ok(())
}
