//! Opening a store: replay the MANIFEST, delete orphans, rebuild the index from hint files or
//! scans, repair the torn tail of the last active file (docs/storage-format.md §6, §9, §10, §11).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::collection::Collections;
use crate::dbfile::{Access, DBFile};
use crate::dir::{file_path, list_files};
use crate::error::Result;
use crate::format::header::HEADER_LEN;
use crate::format::{DataCodec, Fid, FileKind, HintCodec, RecordCodec, RecordKind};
use crate::index::{Index, IndexEntry};
use crate::loader::{Expiring, Loader};
use crate::manifest::Manifest;
use crate::mapped::MappedFile;
use crate::record_scan::ScanReport;
use crate::shared::FileStats;

mod collections;
mod load;

use collections::build_collections;
use load::load_index;

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
    /// Collections (hashes, sets) among them.
    pub collections: usize,
    /// Elements of those collections.
    pub elements: usize,
    /// Torn tails truncated: (fid, offset cut at, bytes dropped).
    pub torn_tails: Vec<(Fid, u64, u64)>,
    /// Damaged ranges skipped (bit rot): (fid, offset, length). Never silently.
    pub damaged: Vec<(Fid, u64, u64)>,
    /// Orphan files deleted (leftovers of an interrupted compaction or rotation).
    pub orphans_removed: usize,
    /// Threads that built the index (§11.5).
    pub load_threads: usize,
    /// Time spent checking records and sorting them by index shard (phase A, §11.5).
    pub sort_time: Duration,
    /// Time spent inserting them into the index (phase B, §11.5).
    pub insert_time: Duration,
}

pub(crate) struct Recovered {
    pub(crate) manifest: Manifest,
    pub(crate) index: Index,
    /// The element index (§4.3).
    pub(crate) elements: Index,
    /// The live collections, for the writer.
    pub(crate) collections: Collections,
    pub(crate) stats: BTreeMap<Fid, FileStats>,
    pub(crate) sealed: HashMap<Fid, Arc<MappedFile>>,
    pub(crate) next_seq: u64,
    /// Keys with an expiry, by expiry: the writer's active-expiry schedule.
    pub(crate) expiries: BTreeSet<(u64, Vec<u8>)>,
    pub(crate) report: RecoveryReport,
}

/// Where a live file's index entries come from.
enum Source {
    /// Its hint file (each entry's CRC is checked as it is loaded; a damaged hint file falls
    /// back to scanning the data file).
    Hints(MappedFile),
    /// A scan of the data file itself; `scanned` if pass 1 already scanned it (and reported
    /// its damage): the last active file.
    Data { scanned: bool },
}

/// One live data file, as planned by the first pass.
struct Planned {
    fid: Fid,
    source: Source,
    /// Estimated records, for sizing the index and ordering the work.
    records: u64,
}

/// What loading one file found.
struct Loaded {
    fid: Fid,
    seqs: FileStats,
    from_hints: bool,
    damaged: Vec<(Fid, u64, u64)>,
}

/// What one loader thread hands back.
struct LoaderResult {
    live: Vec<u64>,
    tombstoned: Vec<Box<[u8]>>,
    expiring: Vec<Expiring>,
}

/// What [`load_index`] hands back.
struct Phases {
    results: Vec<LoaderResult>,
    loaded: Vec<Loaded>,
    sort_time: Duration,
    insert_time: Duration,
    /// Element keys given a tombstone placeholder in the element index.
    element_tombstones: Vec<Box<[u8]>>,
    /// Keys met with a collection's metadata record (some replaced since).
    metas: Vec<Box<[u8]>>,
}

/// Below this many records one thread loads everything: spawning is not worth it.
const PARALLEL_LOAD_MIN_RECORDS: u64 = 200_000;

/// At most this many loader threads.
const MAX_LOAD_THREADS: usize = 8;

pub(crate) fn recover(dir: &Path) -> Result<Recovered> {
    recover_with_threads(dir, None)
}

/// [`recover`], with the number of index loader threads forced (tests), or chosen from the
/// record count and the CPUs (`None`).
fn recover_with_threads(dir: &Path, threads: Option<usize>) -> Result<Recovered> {
    let manifest = Manifest::open_or_create(dir)?;
    let live: Vec<Fid> = manifest.live_files().iter().copied().collect();
    let mut report = RecoveryReport {
        files: live.len(),
        ..Default::default()
    };
    remove_orphans(dir, &manifest, &mut report)?;
    // The last active file is the newest live data file without a hint file (compaction outputs
    // all have one): the only file that may have a torn tail.
    let last_active = live
        .iter()
        .rev()
        .find(|fid| !file_path(dir, FileKind::Hint, **fid).exists())
        .copied();

    // Pass 1, one file after another (§11.5): repair the torn tail of the last active file,
    // map every data file and hint file, estimate record counts to size the index.
    let Pass1 {
        mut stats,
        sealed,
        mut plan,
    } = plan_files(dir, &live, last_active, &mut report)?;

    // Pass 2: build the index on several threads (see load_index).
    let records: u64 = plan.iter().map(|p| p.records).sum();
    let index = Index::with_capacity(usize::try_from(records).unwrap_or(usize::MAX));
    let elements = Index::new();
    let threads = loader_threads(threads, records, plan.len());
    // Biggest files first, so that the threads finish together.
    plan.sort_by(|a, b| b.records.cmp(&a.records).then(a.fid.cmp(&b.fid)));
    let fids: Vec<Fid> = live.clone(); // sorted: the MANIFEST's live set is ordered
    let Phases {
        results,
        loaded,
        sort_time,
        insert_time,
        element_tombstones,
        metas,
    } = load_index(dir, &index, &elements, &plan, &sealed, &fids, threads)?;
    report.sort_time = sort_time;
    report.insert_time = insert_time;

    let mut live_bytes = vec![0u64; fids.len()];
    let mut tombstoned = Vec::new();
    let mut expiring = Vec::new();
    let mut max_seq = 0u64;
    let mut damaged = Vec::new();
    for r in results {
        for (sum, b) in live_bytes.iter_mut().zip(&r.live) {
            *sum = sum.wrapping_add(*b);
        }
        tombstoned.extend(r.tombstoned);
        expiring.extend(r.expiring);
    }
    for f in loaded {
        max_seq = max_seq.max(f.seqs.max_seq);
        if let Some(s) = stats.get_mut(&f.fid) {
            s.min_seq = f.seqs.min_seq;
            s.max_seq = f.seqs.max_seq;
        }
        if f.from_hints {
            report.from_hints += 1;
        } else {
            report.scanned += 1;
        }
        damaged.extend(f.damaged);
    }
    damaged.sort_unstable();
    report.damaged.extend(damaged);
    // The scans touched every page of the files without hints (and some of the others): let
    // them go from this process's resident set; they stay in the page cache.
    for m in sealed.values() {
        m.release_pages();
    }
    Loader::<fn(&IndexEntry) -> u64>::remove_placeholders(&index, &tombstoned);
    Loader::<fn(&IndexEntry) -> u64>::remove_placeholders(&elements, &element_tombstones);
    // Collections (§4.3): which keys hold which ids, each id's elements; the elements of ids
    // no key holds are dead and leave the element index. Their live bytes join the count.
    let collections = build_collections(&index, &elements, &sealed, &metas);
    elements.for_each_entry(|e| {
        if let Ok(i) = fids.binary_search(&e.fid)
            && let Some(b) = live_bytes.get_mut(i)
        {
            *b = b.wrapping_add(u64::from(e.len));
        }
    });
    // The writer's schedule of keys to expire: those whose final entry has the expiry met.
    let expiries: BTreeSet<(u64, Vec<u8>)> = expiring
        .into_iter()
        .filter(|(at, k)| index.get(k).and_then(|e| e.expire_at_ms) == Some(*at))
        .map(|(at, k)| (at, k.into_vec()))
        .collect();

    // Dead bytes = everything in a file that no index entry points at.
    for (fid, live) in fids.iter().zip(&live_bytes) {
        if let Some(s) = stats.get_mut(fid) {
            let body = s.total.saturating_sub(HEADER_LEN as u64);
            s.dead = body.saturating_sub(*live);
        }
    }
    report.keys = index.len();
    report.load_threads = threads;
    let next_seq = (max_seq + 1).max(manifest.next_seq());
    report.collections = collections.len();
    report.elements = elements.len();
    Ok(Recovered {
        manifest,
        index,
        elements,
        collections,
        stats,
        sealed,
        next_seq,
        expiries,
        report,
    })
}

/// Deletes data and hint files the MANIFEST does not list (a compaction or rotation that died
/// before its edit), unless the MANIFEST itself lost its last edit (§6.4).
fn remove_orphans(dir: &Path, manifest: &Manifest, report: &mut RecoveryReport) -> Result<()> {
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
    Ok(())
}

/// What pass 1 leaves: each live file's stats and map, and the plan for pass 2.
struct Pass1 {
    stats: BTreeMap<Fid, FileStats>,
    sealed: HashMap<Fid, Arc<MappedFile>>,
    plan: Vec<Planned>,
}

/// Pass 1 over the live files, one after another: repair the torn tail of the last active
/// file (`last_active`, scanned in full), map every data and hint file, and estimate each
/// file's record count to size the index.
fn plan_files(
    dir: &Path,
    live: &[Fid],
    last_active: Option<Fid>,
    report: &mut RecoveryReport,
) -> Result<Pass1> {
    let mut stats = BTreeMap::new();
    let mut sealed = HashMap::new();
    let mut plan = Vec::with_capacity(live.len());
    for &fid in live {
        let mut s = FileStats::default();
        let hints = if file_path(dir, FileKind::Hint, fid).exists() {
            match MappedFile::open(dir, FileKind::Hint, fid) {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(fid, error = %e, "unreadable hint file; scanning the data file");
                    None
                }
            }
        } else {
            None
        };
        let mut scanned_records = None;
        if hints.is_none() && Some(fid) == last_active {
            scanned_records = Some(scan_data(dir, fid, true, &mut s, report)?);
        }
        let mapped = MappedFile::open(dir, FileKind::Data, fid)?;
        s.total = mapped.len();
        let (source, records) = match (hints, scanned_records) {
            (Some(h), _) => {
                let n = estimate_records::<HintCodec>(&h);
                (Source::Hints(h), n)
            }
            (None, Some(n)) => (Source::Data { scanned: true }, n),
            (None, None) => (
                Source::Data { scanned: false },
                estimate_records::<DataCodec>(&mapped),
            ),
        };
        stats.insert(fid, s);
        sealed.insert(fid, Arc::new(mapped));
        plan.push(Planned {
            fid,
            source,
            records,
        });
    }
    Ok(Pass1 {
        stats,
        sealed,
        plan,
    })
}

/// How many threads load the index: `forced` (tests), else one below
/// [`PARALLEL_LOAD_MIN_RECORDS`] records, else one per CPU up to [`MAX_LOAD_THREADS`] and no
/// more than there are files.
fn loader_threads(forced: Option<usize>, records: u64, files: usize) -> usize {
    if let Some(t) = forced {
        t.max(1)
    } else if records < PARALLEL_LOAD_MIN_RECORDS {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_LOAD_THREADS)
            .min(files)
    }
}

/// Estimates the records in a file from the average size of its first few.
fn estimate_records<C: RecordCodec>(m: &MappedFile) -> u64 {
    const SAMPLE: usize = 256;
    let Ok(mut iter) = m.records::<C>() else {
        return 0;
    };
    let n = iter.by_ref().take(SAMPLE).count() as u64;
    let used = iter.position().saturating_sub(HEADER_LEN as u64);
    let body = m.len().saturating_sub(HEADER_LEN as u64);
    if n == 0 || used == 0 {
        0
    } else {
        body.saturating_mul(n) / used
    }
}

/// Walks a data file and hands `apply` the records that committed: a record outside an atomic
/// batch at once, the records of a batch (§4.2) only once the batch's last record is seen; a
/// batch cut by damage or still open at the end was never committed and is dropped. `seen` gets
/// every valid record. Returns the scan report and where an uncommitted batch at the end of the
/// file starts, if there is one (the torn-tail cut must go back there).
fn committed_records<'m>(
    file: &'m MappedFile,
    fid: Fid,
    mut seen: impl FnMut(u64),
    mut apply: impl FnMut(&'m [u8], IndexEntry, u64, bool, RecordKind),
) -> Result<(ScanReport, Option<u64>)> {
    let mut iter = file.records::<DataCodec>()?;
    let mut group: Vec<(&[u8], IndexEntry, u64, bool, RecordKind)> = Vec::new();
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
        seen(rec.seq);
        let e = IndexEntry {
            fid,
            offset,
            len: rec.encoded_len() as u32,
            expire_at_ms: rec.expire_at_ms,
        };
        group_start.get_or_insert(offset);
        group.push((rec.key, e, rec.seq, rec.tombstone, rec.kind));
        if !rec.batch_open {
            for (key, e, seq, tomb, kind) in group.drain(..) {
                apply(key, e, seq, tomb, kind);
            }
            group_start = None;
        }
    }
    let scan = iter.into_report();
    // Damage that runs to the end of the file: in the last active file, a torn write (even if
    // bit rot elsewhere in the file was skipped too).
    let torn = scan.tail_damage().map(|d| d.offset);
    let open_batch = group_start.or(broken.filter(|&(_, at)| Some(at) == torn).map(|(g, _)| g));
    Ok((scan, open_batch))
}

/// Pass 1 over a data file without a usable hint file: notes seqs, reports damage, truncates
/// the torn tail of the last active file. Returns the number of committed records.
fn scan_data(
    dir: &Path,
    fid: Fid,
    may_be_torn: bool,
    s: &mut FileStats,
    report: &mut RecoveryReport,
) -> Result<u64> {
    let mut file = DBFile::open(
        dir,
        FileKind::Data,
        fid,
        if may_be_torn {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        },
    )?;
    let mut n = 0u64;
    let cut = {
        let view = file.view()?;
        let (scan, open_batch) =
            committed_records(&view, fid, |seq| s.note_seq(seq), |_, _, _, _, _| n += 1)?;
        for d in scan.mid_file_damage() {
            tracing::error!(fid, offset = d.offset, len = d.len, error = %d.error, "damaged records skipped");
            report.damaged.push((fid, d.offset, d.len));
        }
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
        match (scan.tail_damage().map(|d| d.offset), open_batch) {
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
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Store};
    use std::collections::BTreeMap;

    /// Every split of the key space between loader threads builds the same index and the same
    /// per-file dead bytes: overwrites, deletes and re-creations spread over many files, some
    /// loaded from hint files (compaction outputs) and some scanned.
    #[test]
    fn any_number_of_loader_threads_builds_the_same_index() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = Options {
            max_file_size: 16 * 1024,
            compaction_interval: None,
            ..Options::default()
        };
        {
            let store = Store::open_with(tmp.path(), opts.clone()).unwrap();
            for round in 0..10u32 {
                for i in 0..400u32 {
                    let key = format!("key:{i}");
                    if (i + round) % 5 == 0 {
                        store.remove(key.as_bytes()).unwrap();
                    } else {
                        store
                            .set(key.as_bytes(), format!("v{round}:{i}").as_bytes())
                            .unwrap();
                    }
                }
                if round == 3 {
                    store.compact().unwrap();
                }
            }
            // Keys 0..10 get a TTL; keys 0..5 then lose it again (SET without EX).
            let far = crate::now_ms() + 3_600_000;
            for i in 0..10u32 {
                let k = format!("ttl:{i}");
                store
                    .execute(move |t| t.put(k.as_bytes(), b"v", Some(far + u64::from(i))))
                    .unwrap();
            }
            for i in 0..5u32 {
                store.set(format!("ttl:{i}").as_bytes(), b"w").unwrap();
            }
        }
        let snapshot = |threads: usize| {
            let r = recover_with_threads(tmp.path(), Some(threads)).unwrap();
            assert_eq!(r.report.load_threads, threads);
            let mut keys = BTreeMap::new();
            r.index.for_each(|k, e| {
                keys.insert(k.to_vec(), *e);
            });
            let dead: Vec<(Fid, u64)> = r.stats.iter().map(|(f, s)| (*f, s.dead)).collect();
            let expiring: Vec<Vec<u8>> = r.expiries.iter().map(|(_, k)| k.clone()).collect();
            let want: Vec<Vec<u8>> = (5..10).map(|i| format!("ttl:{i}").into_bytes()).collect();
            assert_eq!(expiring, want, "the writer's expiry schedule");
            (keys, dead, r.report.from_hints, r.report.scanned)
        };
        let one = snapshot(1);
        assert!(
            one.2 >= 3 && one.3 >= 1,
            "files from hints / scanned: {} / {}",
            one.2,
            one.3
        );
        assert_eq!(
            one.0.len(),
            400 - 80 + 10,
            "the keys deleted in the last round are gone"
        );
        for threads in [2, 3, 7] {
            assert_eq!(snapshot(threads), one, "{threads} threads");
        }
        // Without every other hint file, those files are scanned: same index, same dead bytes.
        let mut hints: Vec<_> = list_files(tmp.path())
            .unwrap()
            .into_iter()
            .filter(|(k, _)| *k == FileKind::Hint)
            .collect();
        hints.sort();
        for (_, fid) in hints.iter().step_by(2) {
            std::fs::remove_file(file_path(tmp.path(), FileKind::Hint, *fid)).unwrap();
        }
        let mixed = snapshot(1);
        assert!(
            mixed.3 > one.3,
            "more files scanned: {} / {}",
            mixed.2,
            mixed.3
        );
        assert_eq!((&mixed.0, &mixed.1), (&one.0, &one.1));
        for threads in [2, 5] {
            assert_eq!(snapshot(threads), mixed, "{threads} threads");
        }
    }
}
