//! Pass 2 of opening a store: building the index from the planned files on several threads,
//! in two phases (sort by shard, then insert shard by shard; storage-engine §11.5).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::error::{Result, StorageError};
use crate::file::hint_file;
use crate::format::{Fid, HintCodec, RecordKind};
use crate::index::{Index, IndexEntry, SHARDS};
use crate::loader::Loader;
use crate::mapped::MappedFile;
use crate::record_scan::RecordIter;
use crate::shared::FileStats;

use super::{Loaded, LoaderResult, Phases, Planned, Source, committed_records};

/// A record to load, packed in 8 bytes: whether it is a hint entry (else a data record), the
/// index of its file in the plan, and its offset in the hint or data file.
#[derive(Clone, Copy)]
struct RecordRef64(u64);

const REF_OFFSET_BITS: u32 = 40;
const REF_PLAN_BITS: u32 = 23;

impl RecordRef64 {
    fn new(hint: bool, plan: usize, offset: u64) -> Option<RecordRef64> {
        let plan = u64::try_from(plan)
            .ok()
            .filter(|&p| p < 1 << REF_PLAN_BITS)?;
        let offset = Some(offset).filter(|&o| o < 1 << REF_OFFSET_BITS)?;
        Some(RecordRef64(
            u64::from(hint) << 63 | plan << REF_OFFSET_BITS | offset,
        ))
    }

    fn hint(self) -> bool {
        self.0 >> 63 == 1
    }

    fn plan(self) -> usize {
        ((self.0 >> REF_OFFSET_BITS) & ((1 << REF_PLAN_BITS) - 1)) as usize
    }

    fn offset(self) -> u64 {
        self.0 & ((1 << REF_OFFSET_BITS) - 1)
    }
}

/// One shard's records as one phase-A thread filed them, and the index arena words their keys
/// would take (so phase B can size the shard's table once: `Index::reserve_shard`).
#[derive(Default)]
struct ShardRefs {
    refs: Vec<RecordRef64>,
    words: usize,
}

/// Records sorted by index shard (`buckets[shard]`), as a phase-A thread leaves them.
type Buckets = Vec<ShardRefs>;

/// What one phase-A thread files besides the buckets: the element records (§4.3), loaded into
/// the element index after phase B, and the keys met with a collection's metadata record.
#[derive(Default)]
struct Collected {
    elements: Vec<RecordRef64>,
    metas: Vec<Box<[u8]>>,
}

/// Builds the index from every planned file on `threads` threads, in two phases (§11.5):
///
/// * **A — sort by shard.** Threads take files from a queue, check every hint entry's or
///   record's CRC (and the atomic-batch rule, §4.2), and append an 8-byte reference to each
///   record to the bucket of its key's index shard.
/// * **B — insert shard by shard.** Threads take shards from a queue and insert the records of
///   each, decoding them again from the mapped files. One shard's table is 1/1024 of the index
///   and stays in the CPU caches while it fills, so an insert costs cache hits instead of the
///   two or three DRAM (and TLB) misses of inserting keys in file order — that was ~two thirds
///   of the time of opening a large store. The key's shard is decided by one thread only, so
///   phase B has no cross-thread conflicts; the loader's rules still make the outcome
///   independent of the order.
///
/// The references cost 8 bytes per record while loading (80 MB for 10 M keys), freed at the end.
pub(super) fn load_index(
    dir: &Path,
    index: &Index,
    elements: &Index,
    plan: &[Planned],
    sealed: &HashMap<Fid, Arc<MappedFile>>,
    fids: &[Fid],
    threads: usize,
) -> Result<Phases> {
    // Phase A. Buckets sized from the estimates, to spare copies while they grow.
    let estimate: u64 = plan.iter().map(|p| p.records).sum();
    let per_bucket = usize::try_from(estimate / (SHARDS * threads.max(1)) as u64)
        .unwrap_or(0)
        .saturating_mul(9)
        / 8;
    let next = AtomicUsize::new(0);
    let sort = || -> Result<(Buckets, Vec<Loaded>, Collected)> {
        let mut buckets: Buckets = (0..SHARDS)
            .map(|_| ShardRefs {
                refs: Vec::with_capacity(per_bucket),
                words: 0,
            })
            .collect();
        let mut files = Vec::new();
        let mut collected = Collected::default();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(p) = plan.get(i) else { break };
            files.push(sort_file(
                index,
                i,
                p,
                sealed,
                &mut buckets,
                &mut collected,
            )?);
        }
        Ok((buckets, files, collected))
    };
    let t0 = Instant::now();
    let sorted: Vec<(Buckets, Vec<Loaded>, Collected)> = on_threads(dir, threads, sort)?;
    let sort_time = t0.elapsed();
    let mut loaded = Vec::new();
    let mut all_buckets = Vec::with_capacity(sorted.len());
    let mut collected = Collected::default();
    for (b, f, c) in sorted {
        all_buckets.push(b);
        loaded.extend(f);
        collected.elements.extend(c.elements);
        collected.metas.extend(c.metas);
    }

    // Phase B. The index keeps no seqs: when a key is met again, the present entry's seq is
    // read from its record (mapped; CRC-checked, so a damaged record counts as oldest).
    let seq_of = |e: &IndexEntry| {
        sealed
            .get(&e.fid)
            .and_then(|m| m.record_at(e.offset).ok())
            .map_or(0, |r| r.seq)
    };
    let next_shard = AtomicUsize::new(0);
    let insert = || -> Result<LoaderResult> {
        let mut loader = Loader::new(index, fids, seq_of);
        loop {
            let shard = next_shard.fetch_add(1, Ordering::Relaxed);
            if shard >= SHARDS {
                break;
            }
            // Room for every record of the shard at once: its table is built once, not
            // rebuilt each time it fills (then trimmed of what duplicates left unused).
            let (keys, words) = all_buckets
                .iter()
                .filter_map(|b| b.get(shard))
                .fold((0, 0), |(k, w), s| (k + s.refs.len(), w + s.words));
            index.reserve_shard(shard, keys, words);
            loader.begin_shard(shard);
            for refs in all_buckets
                .iter()
                .filter_map(|b| b.get(shard))
                .map(|s| &s.refs)
            {
                // The records of a shard are scattered over the files: ask for each one a few
                // records ahead, so that the misses overlap instead of queueing.
                for (j, &r) in refs.iter().enumerate() {
                    if let Some(&ahead) = refs.get(j + PREFETCH_DISTANCE) {
                        prefetch_ref(ahead, plan, sealed);
                    }
                    insert_ref(r, plan, sealed, &mut loader)?;
                }
            }
            loader.end_shard();
            index.fit_shard(shard);
        }
        let live = loader.live_bytes().to_vec();
        let (tombstoned, expiring) = loader.into_keys();
        Ok(LoaderResult {
            live,
            tombstoned,
            expiring,
        })
    };
    let t0 = Instant::now();
    let results = on_threads(dir, threads, insert)?;
    // The element records, on this thread: a store of strings has none. Their live bytes are
    // counted once the dead collections' elements are out (`build_collections`).
    let mut loader = Loader::new(elements, fids, seq_of);
    for &r in &collected.elements {
        insert_ref(r, plan, sealed, &mut loader)?;
    }
    let (element_tombstones, _) = loader.into_keys();
    Ok(Phases {
        results,
        loaded,
        sort_time,
        insert_time: t0.elapsed(),
        element_tombstones,
        metas: collected.metas,
    })
}

/// Runs `f` on `threads` scoped threads (or on this one) and collects the results. `dir` is
/// the store's, named by a failure to spawn so the start-up error says which store it hit.
fn on_threads<T: Send>(
    dir: &Path,
    threads: usize,
    f: impl Fn() -> Result<T> + Sync,
) -> Result<Vec<T>> {
    if threads <= 1 {
        return Ok(vec![f()?]);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                std::thread::Builder::new()
                    .name(format!("kvs-load-{i}"))
                    .spawn_scoped(scope, &f)
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|_| {
                    Err(StorageError::InvalidOperation(
                        "an index loader thread panicked".into(),
                    ))
                }),
                Err(e) => Err(StorageError::io("spawn index loader thread for", dir, e)),
            })
            .collect()
    })
}

/// A file too big for an 8-byte record reference (≥ 1 TiB, or more than 8 M files).
fn too_big(fid: Fid) -> StorageError {
    StorageError::InvalidOperation(format!(
        "data file {fid}: too large to load (offsets must be below 1 TiB)"
    ))
}

/// Phase A for one file: checks its hint entries (or, without a sound hint file, its data
/// records) and files a reference to each under its key's shard.
fn sort_file(
    index: &Index,
    i: usize,
    p: &Planned,
    sealed: &HashMap<Fid, Arc<MappedFile>>,
    buckets: &mut Buckets,
    collected: &mut Collected,
) -> Result<Loaded> {
    let fid = p.fid;
    let mut out = Loaded {
        fid,
        seqs: FileStats::default(),
        from_hints: false,
        damaged: Vec::new(),
    };
    let mut file = |key: &[u8], r: Option<RecordRef64>, kind: RecordKind| -> Result<()> {
        let r = r.ok_or_else(|| too_big(fid))?;
        match kind {
            RecordKind::Element => {
                collected.elements.push(r);
                return Ok(());
            }
            RecordKind::Meta => collected.metas.push(key.into()),
            RecordKind::Plain => {}
        }
        if let Some(b) = buckets.get_mut(index.shard_of(key)) {
            b.refs.push(r);
            b.words += Index::entry_words(key.len());
        }
        Ok(())
    };
    let mut scanned = false;
    if let Source::Hints(h) = &p.source {
        // A version-5 hint file is trusted only for the exact data file its footer names
        // (§5.1: the data file's length and its last record's CRC), checked before a single
        // entry is filed. Any hint entry is also trusted only for a record that lies inside its
        // data file: a data file cut short behind an older hint file's back (a copy, a restore,
        // a disk that lost its tail) is scanned instead, so its lost records read as absent
        // rather than as errors.
        let data = sealed.get(&fid);
        let data_len = data.map_or(0, |m| m.len());
        let layout = hint_file::layout(h.bytes());
        let fits = data.is_some_and(|m| layout.fits(m.bytes()));
        let mut past_end = false;
        let mut clean = false;
        if fits {
            let entries = h.bytes().get(..layout.entries_end).unwrap_or_default();
            let mut iter = RecordIter::<HintCodec>::new(entries, h.path());
            for (offset, h) in iter.by_ref() {
                let Ok(h) = h else { continue };
                if h.pos.offset.saturating_add(u64::from(h.pos.len)) > data_len {
                    past_end = true;
                    break;
                }
                out.seqs.note_seq(h.seq);
                file(h.key, RecordRef64::new(true, i, offset), h.kind)?;
            }
            clean = iter.report().is_clean();
        }
        if fits && !past_end && clean {
            out.from_hints = true;
            return Ok(out);
        }
        // The entries filed so far were each intact and inside the data file: its scan meets
        // the same records again, which changes nothing (an equal seq keeps the present entry).
        if !fits {
            tracing::warn!(
                fid,
                data_len,
                "hint file does not match its data file (length or last record); scanning the data file"
            );
        } else if past_end {
            tracing::warn!(
                fid,
                data_len,
                "hint file lists records past the end of its data file; scanning the data file"
            );
        } else {
            tracing::warn!(fid, "damaged hint file; scanning the data file");
        }
        out.seqs = FileStats::default();
    } else if let Source::Data { scanned: s } = p.source {
        scanned = s;
    }
    let Some(m) = sealed.get(&fid) else {
        return Ok(out);
    };
    let seqs = &mut out.seqs;
    let mut failed = None;
    let (scan, _) = committed_records(
        m,
        fid,
        |seq| seqs.note_seq(seq),
        |key, e, _, _, kind| {
            if failed.is_none()
                && let Err(err) = file(key, RecordRef64::new(false, i, e.offset), kind)
            {
                failed = Some(err);
            }
        },
    )?;
    if let Some(err) = failed {
        return Err(err);
    }
    if !scanned {
        // Pass 1 scanned (and repaired) only the last active file: report damage in the
        // others here. Sealed files are never truncated (§9).
        for d in scan.mid_file_damage().chain(scan.tail_damage()) {
            tracing::error!(fid, offset = d.offset, len = d.len, error = %d.error, "damaged records skipped");
            out.damaged.push((fid, d.offset, d.len));
        }
    }
    Ok(out)
}

/// How many records ahead phase B prefetches (measured at 10 M keys: no prefetch 6.0–6.2 s,
/// 12 ahead 5.0–5.3 s, 32 ahead 4.2–5.1 s, 64 ahead 4.8–5.1 s for phase B, on a loaded VM).
const PREFETCH_DISTANCE: usize = 32;

/// Hints the CPU to fetch the first bytes of a record into the caches.
fn prefetch_ref(r: RecordRef64, plan: &[Planned], sealed: &HashMap<Fid, Arc<MappedFile>>) {
    let Some(p) = plan.get(r.plan()) else { return };
    let bytes = match &p.source {
        Source::Hints(h) if r.hint() => h.bytes(),
        _ => match sealed.get(&p.fid) {
            Some(m) => m.bytes(),
            None => return,
        },
    };
    let Some(at) = usize::try_from(r.offset())
        .ok()
        .and_then(|o| bytes.get(o..))
    else {
        return;
    };
    prefetch(at.as_ptr());
}

#[cfg(target_arch = "x86_64")]
fn prefetch(p: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is only a hint: it never faults and never reads memory into the
    // program's view, whatever the address; `p` points into a live mapping anyway.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast()) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch(_: *const u8) {}

/// Phase B for one record: decodes it again (without its CRC, checked in phase A) and hands
/// it to the loader.
fn insert_ref<F: Fn(&IndexEntry) -> u64>(
    r: RecordRef64,
    plan: &[Planned],
    sealed: &HashMap<Fid, Arc<MappedFile>>,
    loader: &mut Loader<'_, F>,
) -> Result<()> {
    let Some(p) = plan.get(r.plan()) else {
        return Ok(());
    };
    if r.hint() {
        if let Source::Hints(hints) = &p.source {
            // Phase A checked this entry's CRC in the same immutable mapping.
            let h = hints.decode_verified_at::<HintCodec>(r.offset())?;
            let e = IndexEntry {
                fid: p.fid,
                offset: h.pos.offset,
                len: h.pos.len,
                expire_at_ms: h.expire_at_ms,
            };
            loader.apply(h.key, e, h.seq, h.tombstone);
        }
    } else if let Some(m) = sealed.get(&p.fid) {
        // Phase A checked this record's CRC (and its batch) in the same immutable mapping.
        let rec = m.decode_verified_at::<crate::format::DataCodec>(r.offset())?;
        let e = IndexEntry {
            fid: p.fid,
            offset: r.offset(),
            len: rec.encoded_len() as u32,
            expire_at_ms: rec.expire_at_ms,
        };
        loader.apply(rec.key, e, rec.seq, rec.tombstone);
    }
    Ok(())
}
