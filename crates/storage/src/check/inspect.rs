//! The read-only half of the check: MANIFEST replay, directory listing, data and hint scans,
//! and the store-wide liveness of every record.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;

use super::report::{
    CheckReport, FileReport, HeaderFault, HintStatus, ManifestSummary, Problem, ProblemKind,
};
use super::{BACKUP_PREFIX, HINT_TMP_DIR};
use crate::dir::{MANIFEST_NAME, MANIFEST_TMP_NAME, file_name, file_path, parse_file_name};
use crate::error::{Result, StorageError};
use crate::format::{
    DataCodec, EditCodec, Fid, FileHeader, FileKind, HEADER_LEN, HintCodec, HintEntry,
    MANIFEST_FID, RecordRef,
};
use crate::manifest::ManifestState;
use crate::mapped::MappedFile;
use crate::record_scan::{RecordIter, ScanReport};

/// Files shorter than this are read instead of mapped (no empty maps, fewer syscalls).
const MAP_THRESHOLD: u64 = 64 << 10;

/// The result of inspecting a directory: the report, plus what a repair needs.
pub(super) struct Inspection {
    pub(super) report: CheckReport,
    /// The replayed MANIFEST state; `None` if the store could not replay it.
    pub(super) state: Option<ManifestState>,
}

/// The bytes of one file: mapped, or read for short files.
pub(super) enum Bytes {
    Mapped(MappedFile),
    Owned(Vec<u8>),
}

impl Bytes {
    /// Maps (or reads) the whole file at `path`, without validating its header.
    pub(super) fn load(path: &Path, kind: FileKind, fid: Fid) -> Result<Bytes> {
        let file = File::open(path).map_err(|e| StorageError::io("open", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| StorageError::io("stat", path, e))?
            .len();
        if len < MAP_THRESHOLD {
            let bytes = std::fs::read(path).map_err(|e| StorageError::io("read", path, e))?;
            return Ok(Bytes::Owned(bytes));
        }
        Ok(Bytes::Mapped(MappedFile::map_file(
            &file,
            path,
            kind,
            fid,
            u64::MAX,
        )?))
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m.bytes(),
            Bytes::Owned(v) => v,
        }
    }
}

/// What the header of `bytes` says is wrong for a `kind` file with `fid`, if anything (§3).
pub(super) fn header_fault(bytes: &[u8], kind: FileKind, fid: Fid) -> Option<HeaderFault> {
    match FileHeader::decode(bytes) {
        Err(e) => Some(HeaderFault::Decode(e)),
        Ok(h) if h.kind != kind || h.fid != fid => Some(HeaderFault::WrongFile {
            kind: h.kind,
            fid: h.fid,
        }),
        Ok(_) => None,
    }
}

/// The current version of a key, by the seq rules of recovery (§7).
struct Newest {
    seq: u64,
    fid: Fid,
    len: u64,
    put: bool,
    /// A collection's metadata record (§4.3): the id it holds.
    holds: Option<u64>,
}

/// A key in its key space: user keys and collection element keys (§4.3) are apart.
type SpacedKey = (bool, Vec<u8>);

/// Everything about the directory, read-only.
pub(super) fn inspect(dir: &Path) -> Result<Inspection> {
    let mut problems = Vec::new();
    let (manifest, state) = inspect_manifest(dir, &mut problems)?;

    let mut data = BTreeSet::new();
    let mut hints = BTreeSet::new();
    let mut temps = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| StorageError::io("read_dir", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io("read_dir", dir, e))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        match parse_file_name(&name) {
            Some((FileKind::Data, fid)) => {
                data.insert(fid);
            }
            Some((FileKind::Hint, fid)) => {
                hints.insert(fid);
            }
            Some((FileKind::Manifest, _)) => {}
            None if name == MANIFEST_TMP_NAME || name == HINT_TMP_DIR => temps.push(name),
            None if name.starts_with(BACKUP_PREFIX) => {}
            None => tracing::debug!(name, "not a store file; ignored"),
        }
    }
    temps.sort();

    // The live set: the MANIFEST's, or, if it cannot be replayed, every data file present.
    let live: BTreeSet<Fid> = match &state {
        Some(s) => s.live().clone(),
        None => data.clone(),
    };
    if state.is_some() {
        for name in temps {
            problems.push(Problem {
                file: name,
                kind: ProblemKind::Leftover,
            });
        }
        let mut left: Vec<(Fid, FileKind)> = data
            .iter()
            .map(|&f| (f, FileKind::Data))
            .chain(hints.iter().map(|&f| (f, FileKind::Hint)))
            .filter(|(fid, _)| !live.contains(fid))
            .collect();
        left.sort();
        for (fid, kind) in left {
            problems.push(Problem {
                file: file_name(kind, fid),
                kind: ProblemKind::Leftover,
            });
        }
        for &fid in live.iter().filter(|f| !data.contains(f)) {
            problems.push(Problem {
                file: file_name(FileKind::Data, fid),
                kind: ProblemKind::Missing,
            });
        }
    }

    // Recovery's rule (§11.5): the newest live file without a hint file was the active one.
    let last_active = live.iter().rev().find(|f| !hints.contains(f)).copied();
    let mut newest: HashMap<SpacedKey, Newest> = HashMap::new();
    let mut files = BTreeMap::new();
    for &fid in live.iter().filter(|f| data.contains(f)) {
        let r = inspect_data(
            dir,
            fid,
            Some(fid) == last_active,
            hints.contains(&fid),
            &mut newest,
            &mut problems,
        )?;
        files.insert(fid, r);
    }
    // An element is live only while a live metadata record holds its collection's id (§4.3).
    let live_ids: std::collections::HashSet<u64> = newest
        .values()
        .filter(|n| n.put)
        .filter_map(|n| n.holds)
        .collect();
    for ((element, key), n) in newest.iter().filter(|(_, n)| n.put) {
        let live = !element
            || crate::collection::split_element_key(key)
                .is_some_and(|(id, _)| live_ids.contains(&id));
        if !live {
            continue;
        }
        if let Some(r) = files.get_mut(&n.fid) {
            if *element {
                r.elements += 1;
            } else {
                r.keys += 1;
            }
            r.live_bytes += n.len;
        }
    }
    for r in files.values_mut() {
        let body = r.size.saturating_sub(HEADER_LEN as u64);
        r.dead_bytes = body.saturating_sub(r.live_bytes);
    }
    Ok(Inspection {
        report: CheckReport {
            dir: dir.to_path_buf(),
            manifest,
            files: files.into_values().collect(),
            problems,
            repair: None,
        },
        state,
    })
}

/// Replays the MANIFEST like the store does (§6.2, §6.4), reporting instead of failing.
fn inspect_manifest(
    dir: &Path,
    problems: &mut Vec<Problem>,
) -> Result<(ManifestSummary, Option<ManifestState>)> {
    let path = dir.join(MANIFEST_NAME);
    let problem = |kind| Problem {
        file: MANIFEST_NAME.to_owned(),
        kind,
    };
    if !path.exists() {
        problems.push(problem(ProblemKind::Missing));
        return Ok((ManifestSummary::default(), None));
    }
    let bytes = Bytes::load(&path, FileKind::Manifest, MANIFEST_FID)?;
    let bytes = bytes.as_slice();
    if let Some(h) = header_fault(bytes, FileKind::Manifest, MANIFEST_FID) {
        problems.push(problem(ProblemKind::BadHeader(h)));
    }
    let mut state = ManifestState::new();
    let mut replayed = true;
    let mut edits = 0;
    let mut iter = RecordIter::<EditCodec>::new(bytes, &path);
    while let Some((offset, item)) = iter.next() {
        match item {
            Ok(edit) => {
                edits += 1;
                if !replayed {
                    continue;
                }
                if let Err(error) = state.apply(&edit) {
                    problems.push(problem(ProblemKind::InvalidEdit { offset, error }));
                    replayed = false;
                }
            }
            // The store refuses damage followed by anything (§6.4): stop applying there.
            Err(_) => replayed &= iter.position() == iter.report().file_len,
        }
    }
    let scan = iter.into_report();
    match scan.torn_tail_at() {
        Some(offset) => problems.push(problem(ProblemKind::TornTail {
            offset,
            len: scan.file_len - offset,
        })),
        None => problems.extend(scan.damaged.iter().map(|d| {
            problem(ProblemKind::Corrupt {
                offset: d.offset,
                len: d.len,
                error: d.error.clone(),
            })
        })),
    }
    let summary = ManifestSummary {
        len: scan.file_len,
        edits,
        live: state.live().iter().copied().collect(),
        next_fid: state.next_fid(),
        next_seq: state.next_seq(),
        replayed,
    };
    Ok((summary, replayed.then_some(state)))
}

/// Scans one live data file (and its hint file): problems, record counts, and the records
/// recovery would apply, folded into `newest`.
fn inspect_data(
    dir: &Path,
    fid: Fid,
    last_active: bool,
    has_hint: bool,
    newest: &mut HashMap<SpacedKey, Newest>,
    problems: &mut Vec<Problem>,
) -> Result<FileReport> {
    let path = file_path(dir, FileKind::Data, fid);
    let name = file_name(FileKind::Data, fid);
    let bytes = Bytes::load(&path, FileKind::Data, fid)?;
    let bytes = bytes.as_slice();
    if let Some(h) = header_fault(bytes, FileKind::Data, fid) {
        problems.push(Problem {
            file: name.clone(),
            kind: ProblemKind::BadHeader(h),
        });
    }
    let scan = scan_data(bytes, &path);

    // Where recovery cuts the last active file (§9.2, §4.2): damage running to the end (a torn
    // write, also when bit rot earlier in the file was skipped), moved back to the start of an
    // atomic batch it interrupted or that is still open at the end.
    let torn = scan.report.tail_damage().map(|d| d.offset);
    let cut = [
        torn,
        scan.batches
            .iter()
            .find(|b| Some(b.1) == torn || b.1 == scan.report.file_len)
            .map(|b| b.0),
    ]
    .into_iter()
    .flatten()
    .min()
    .filter(|_| last_active);
    let before_cut = |offset: u64| cut.is_none_or(|c| offset < c);
    if let Some(offset) = cut {
        problems.push(Problem {
            file: name.clone(),
            kind: ProblemKind::TornTail {
                offset,
                len: scan.report.file_len - offset,
            },
        });
    }
    let mut found: Vec<(u64, ProblemKind)> = Vec::new();
    for d in scan.report.damaged.iter().filter(|d| before_cut(d.offset)) {
        found.push((
            d.offset,
            ProblemKind::Corrupt {
                offset: d.offset,
                len: d.len,
                error: d.error.clone(),
            },
        ));
    }
    for &(start, end) in scan.batches.iter().filter(|b| before_cut(b.0)) {
        found.push((
            start,
            ProblemKind::DroppedBatch {
                offset: start,
                len: end - start,
            },
        ));
    }
    found.sort_by_key(|f| f.0);
    problems.extend(found.into_iter().map(|(_, kind)| Problem {
        file: name.clone(),
        kind,
    }));

    for &i in &scan.applied {
        let Some((_, rec)) = scan.records.get(i) else {
            continue;
        };
        let n = Newest {
            seq: rec.seq,
            fid,
            len: rec.encoded_len() as u64,
            put: !rec.tombstone,
            holds: (rec.kind == crate::format::RecordKind::Meta)
                .then(|| crate::collection::decode_meta(rec.value).map(|(_, id)| id))
                .flatten(),
        };
        let spaced: SpacedKey = (rec.kind.is_element(), rec.key.to_vec());
        match newest.get_mut(&spaced) {
            None => {
                newest.insert(spaced, n);
            }
            // Recovery: the higher seq wins; on a tie (the same record twice) the one loaded
            // first stays, and a put survives a tombstone of the same seq.
            Some(cur) if n.seq > cur.seq || (n.seq == cur.seq && n.put && !cur.put) => *cur = n,
            Some(_) => {}
        }
    }

    let hint = if has_hint {
        inspect_hint(dir, fid, &scan.records, problems)?
    } else {
        HintStatus::Absent
    };
    Ok(FileReport {
        fid,
        size: scan.report.file_len,
        records: scan.records.len() as u64,
        keys: 0,
        elements: 0,
        live_bytes: 0,
        dead_bytes: 0,
        last_active,
        hint,
    })
}

/// A data file's records as recovery reads them (§4.2, §11.5).
pub(super) struct DataScan<'a> {
    /// Every valid record, in file order.
    pub(super) records: Vec<(u64, RecordRef<'a>)>,
    /// Indices into `records` of the records recovery applies (closed batches).
    pub(super) applied: Vec<usize>,
    /// Ranges of valid records that recovery does not apply: a batch interrupted by damage
    /// (start, damage offset), or still open at the end of the file (start, file length).
    pub(super) batches: Vec<(u64, u64)>,
    /// Damaged ranges.
    pub(super) report: ScanReport,
}

/// Scans `bytes` (a whole data file) with recovery's batch rules.
pub(super) fn scan_data<'a>(bytes: &'a [u8], path: &'a Path) -> DataScan<'a> {
    let mut iter = RecordIter::<DataCodec>::new(bytes, path);
    let mut records = Vec::new();
    let mut applied = Vec::new();
    let mut batches = Vec::new();
    let mut group_start: Option<(u64, usize)> = None;
    for (offset, item) in iter.by_ref() {
        match item {
            Ok(rec) => {
                let (_, first) = *group_start.get_or_insert((offset, records.len()));
                records.push((offset, rec));
                if !rec.batch_open {
                    applied.extend(first..records.len());
                    group_start = None;
                }
            }
            Err(_) => {
                if let Some((start, _)) = group_start.take() {
                    batches.push((start, offset));
                }
            }
        }
    }
    let report = iter.into_report();
    if let Some((start, _)) = group_start {
        batches.push((start, report.file_len));
    }
    DataScan {
        records,
        applied,
        batches,
        report,
    }
}

/// Checks `fid`'s hint file and that it describes `records` (every valid record of the data
/// file, in order) exactly (§5).
fn inspect_hint(
    dir: &Path,
    fid: Fid,
    records: &[(u64, RecordRef<'_>)],
    problems: &mut Vec<Problem>,
) -> Result<HintStatus> {
    let path = file_path(dir, FileKind::Hint, fid);
    let name = file_name(FileKind::Hint, fid);
    let bytes = Bytes::load(&path, FileKind::Hint, fid)?;
    let bytes = bytes.as_slice();
    let mut problem = |kind| {
        problems.push(Problem {
            file: name.clone(),
            kind,
        })
    };
    if let Some(h) = header_fault(bytes, FileKind::Hint, fid) {
        problem(ProblemKind::BadHeader(h));
        return Ok(HintStatus::Invalid);
    }
    // From format version 5 the file ends with a footer naming its data file's last record
    // (§5.1); the entries come before it.
    let layout = crate::file::hint_file::layout(bytes);
    if let crate::file::hint_file::Footer::Required(footer) = layout.footer {
        let last = records.last().map(|(o, r)| (*o, r.encoded_len() as u64));
        let named = footer.map(|f| f.last.map(|(p, _)| (p.offset, u64::from(p.len))));
        match named {
            None => {
                problem(ProblemKind::StaleHint {
                    detail: "no valid footer (format version 5 hint files end with one)".into(),
                });
                return Ok(HintStatus::Invalid);
            }
            Some(n) if n != last => {
                problem(ProblemKind::StaleHint {
                    detail: format!(
                        "the footer names the last record as {n:?} (offset, length), the data \
                         file's is {last:?}"
                    ),
                });
                return Ok(HintStatus::Invalid);
            }
            Some(_) => {}
        }
    }
    let bytes = bytes.get(..layout.entries_end).unwrap_or_default();
    let mut iter = RecordIter::<HintCodec>::new(bytes, &path);
    let entries: Vec<(u64, HintEntry<'_>)> = iter
        .by_ref()
        .filter_map(|(o, h)| Some((o, h.ok()?)))
        .collect();
    let scan = iter.into_report();
    if !scan.is_clean() {
        // Hint files are complete before they become live (§5): any damage is corruption.
        for d in &scan.damaged {
            problem(ProblemKind::Corrupt {
                offset: d.offset,
                len: d.len,
                error: d.error.clone(),
            });
        }
        return Ok(HintStatus::Invalid);
    }
    if let Some(detail) = hint_mismatch(&entries, records) {
        problem(ProblemKind::StaleHint { detail });
        return Ok(HintStatus::Invalid);
    }
    Ok(HintStatus::Valid {
        entries: entries.len() as u64,
    })
}

/// The first difference between a hint file's entries and its data file's records, if any.
fn hint_mismatch(
    hints: &[(u64, HintEntry<'_>)],
    records: &[(u64, RecordRef<'_>)],
) -> Option<String> {
    for (i, (hint_at, h)) in hints.iter().enumerate() {
        let Some((offset, r)) = records.get(i) else {
            return Some(format!(
                "entry {i} (at {hint_at}) names a record at offset {} but the data file has only \
                 {} valid records",
                h.pos.offset,
                records.len()
            ));
        };
        let same = h.pos.offset == *offset
            && u64::from(h.pos.len) == r.encoded_len() as u64
            && h.seq == r.seq
            && h.tombstone == r.tombstone
            && h.expire_at_ms == r.expire_at_ms
            && h.key == r.key;
        if !same {
            return Some(format!(
                "entry {i} (at {hint_at}) names a record at offset {} ({} bytes, seq {}); the \
                 data file's record {i} is at offset {offset} ({} bytes, seq {})",
                h.pos.offset,
                h.pos.len,
                h.seq,
                r.encoded_len(),
                r.seq
            ));
        }
    }
    records.get(hints.len()).map(|(offset, _)| {
        format!(
            "{} entries for {} records: the record at offset {offset} has no entry",
            hints.len(),
            records.len()
        )
    })
}
