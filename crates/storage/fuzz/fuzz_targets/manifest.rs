//! Fuzzes MANIFEST edits and their replay (`docs/storage-format.md` §6): `decode_frame::<EditCodec>`,
//! `ManifestState::{check, apply, snapshot}` over the edits a scan yields, and — on a real file —
//! `Manifest::replay`, `Manifest::open` (torn-tail repair) and appending after it.
//!
//! Input: one flags byte, then the bytes. What the bytes are:
//!
//! * flag bit 1 clear: raw bytes, the records after a valid MANIFEST header (bit 3 set: the whole
//!   file, header included, so a bad header is exercised too); bit 4 set: the CRCs of the edits
//!   are rewritten first (`common::fix_crcs`), so mutated edits get past them;
//! * flag bit 1 set: a compact list of edits (see [`edits_from`]) that are encoded with a valid
//!   CRC, then optionally cut short or have one byte changed (bytes 1–4 of the input). Random
//!   bytes almost never pass a CRC, so this is what reaches the replay rules.
//!
//! Checks, beyond "never panics":
//!
//! * the edit at the start of the raw bytes, if it decodes, re-encodes to exactly those bytes
//!   and its proper prefixes are `Truncated`;
//! * replay in memory, with the rules of `Manifest::open`: `apply` fails exactly when `check`
//!   does, and then leaves the state unchanged; after every applied edit the live fids are in
//!   `1..next_fid`, the counters never went backwards, and the state's snapshot edit encodes,
//!   decodes and replays (on an empty state) to the same state;
//! * flag bit 2: the file is written to a temporary directory (on /dev/shm when there is one):
//!   `Manifest::replay` agrees with the in-memory replay (same state, same report, or an error
//!   in the same cases); `Manifest::open` succeeds in the same cases with the same state and
//!   leaves a file that replays clean to it; an edit appended after that replays too.
#![cfg_attr(fuzzing, no_main)]

#[path = "common.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kvs_storage::format::{HEADER_LEN, decode_frame};
use kvs_storage::{
    EditCodec, FileHeader, FileKind, Manifest, ManifestEdit, ManifestState, RecordIter, ScanReport,
    StorageError,
};

/// Reads a compact list of edits: per edit, one byte `n_add | n_remove << 4` (each `& 7`), one
/// byte for `next_fid` and one for `next_seq` (signed steps from the previous edit's, so they can
/// go backwards), then one byte per fid (`0xff` is `u64::MAX`).
fn edits_from(mut b: &[u8]) -> Vec<ManifestEdit> {
    let mut out = Vec::new();
    let (mut next_fid, mut next_seq) = (1u64, 1u64);
    while let [counts, dfid, dseq, rest @ ..] = b {
        let n_add = usize::from(counts & 7);
        let n_remove = usize::from((counts >> 4) & 7);
        let n = (n_add + n_remove).min(rest.len());
        let fids: Vec<u64> = rest[..n]
            .iter()
            .map(|&f| if f == 0xff { u64::MAX } else { u64::from(f) })
            .collect();
        b = &rest[n..];
        next_fid = next_fid.saturating_add_signed(i64::from(*dfid as i8));
        next_seq = next_seq.saturating_add_signed(i64::from(*dseq as i8));
        let (add, remove) = fids.split_at(n_add.min(n));
        out.push(ManifestEdit {
            add: add.to_vec(),
            remove: remove.to_vec(),
            next_fid,
            next_seq,
        });
    }
    out
}

/// What replaying a MANIFEST gives: the state and scan report, or the offset of the edit or
/// damage that makes it an error.
type Replay = Result<(ManifestState, ScanReport), u64>;

/// Replays `file` (header assumed valid) as `Manifest::open` does, checking the state rules.
fn replay(file: &[u8]) -> Replay {
    let mut edits = RecordIter::<EditCodec>::new(file, Path::new("MANIFEST"));
    let mut state = ManifestState::new();
    while let Some((offset, item)) = edits.next() {
        match item {
            Ok(edit) => {
                let before = state.clone();
                let checked = state.check(&edit);
                let applied = state.apply(&edit);
                assert_eq!(checked, applied, "check and apply disagree on {edit:?}");
                if applied.is_err() {
                    assert_eq!(state, before, "a refused edit changed the state");
                    return Err(offset);
                }
                check_state(&before, &state);
            }
            Err(e) => {
                assert!(e.is_damage(), "{e}");
                if edits.position() < edits.report().file_len {
                    return Err(offset);
                }
            }
        }
    }
    Ok((state, edits.into_report()))
}

/// The invariants of a state reached by applying an edit to `before`.
fn check_state(before: &ManifestState, state: &ManifestState) {
    assert!(state.next_fid() >= before.next_fid());
    assert!(state.next_seq() >= before.next_seq());
    assert!(state.next_fid() >= 1 && state.next_seq() >= 1);
    for &fid in state.live() {
        assert!(
            fid >= 1 && fid < state.next_fid(),
            "live fid {fid} in {state:?}"
        );
    }
    let snap = state.snapshot();
    let mut bytes = Vec::new();
    snap.encode_into(&mut bytes).expect("a snapshot encodes");
    assert_eq!(bytes.len(), snap.encoded_len());
    let (back, len) = decode_frame::<EditCodec>(&bytes).expect("a snapshot decodes");
    assert_eq!((&back, len), (&snap, bytes.len()));
    let mut fresh = ManifestState::new();
    fresh.apply(&back).expect("a snapshot replays");
    assert_eq!(&fresh, state);
}

/// A directory of this process for the on-disk checks, under `$KVS_FUZZ_TMP` if set (as
/// `scripts/fuzz.sh` does, removing it afterwards), else /dev/shm or the temp directory.
fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = match std::env::var_os("KVS_FUZZ_TMP") {
            Some(dir) => PathBuf::from(dir),
            None if shm.is_dir() => shm.to_path_buf(),
            None => std::env::temp_dir(),
        };
        let dir = base.join(format!("kvs-fuzz-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the scratch directory");
        dir
    })
}

/// The on-disk checks for `file` (`ours` is the in-memory replay, if the header is valid).
fn check_on_disk(file: &[u8], ours: Option<&Replay>) {
    let dir = scratch_dir();
    let path = dir.join("MANIFEST");
    std::fs::write(&path, file).expect("write the MANIFEST");
    let replayed = Manifest::replay(dir);
    let Some(ours) = ours else {
        assert!(replayed.is_err(), "a MANIFEST with a bad header replayed");
        assert!(
            Manifest::open(dir).is_err(),
            "a MANIFEST with a bad header opened"
        );
        return;
    };
    match (&replayed, ours) {
        (Ok((state, report)), Ok((s, r))) => {
            assert_eq!(state, s);
            assert_eq!(report, r);
        }
        (Err(e), Err(offset)) => {
            // A clear error naming the file and the offset of the bad edit or damage.
            let at = match e {
                StorageError::Corrupt { path, offset, .. }
                | StorageError::Truncated { path, offset, .. } => Some((path.clone(), *offset)),
                _ => None,
            };
            assert_eq!(at, Some((path.clone(), *offset)), "{e}");
        }
        (theirs, ours) => panic!("Manifest::replay gave {theirs:?}, the fuzz replay {ours:?}"),
    }
    let opened = Manifest::open(dir);
    assert_eq!(
        opened.is_ok(),
        replayed.is_ok(),
        "open and replay disagree: {opened:?}"
    );
    let (Ok(mut m), Ok((state, report))) = (opened, ours) else {
        return;
    };
    assert_eq!(m.state(), state);
    assert_eq!(m.recovered_tail(), report.tail_damage());
    // A torn tail was truncated away: the file now replays clean.
    let (again, clean) = Manifest::replay(dir).expect("an opened MANIFEST replays");
    assert_eq!(&again, state);
    assert!(clean.is_clean(), "still damaged after open: {clean:?}");
    // And new edits follow the last valid one.
    let fid = match m.allocate_fid() {
        Err(StorageError::FidsExhausted) if state.next_fid() == u64::MAX => return,
        r => r.expect("allocate a fid"),
    };
    assert_eq!(fid, state.next_fid());
    m.add_or_remove(&[fid], &[]).expect("add a file");
    let expected = m.state().clone();
    drop(m);
    let (after, report) = Manifest::replay(dir).expect("replay after appending");
    assert_eq!(after, expected);
    assert!(after.is_live(fid));
    assert!(report.is_clean());
    assert_eq!(report.records, clean.records + 2);
}

fn check(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };

    // The file to replay.
    let header = common::header(FileKind::Manifest, 0);
    let file: Vec<u8> = if flags & 2 != 0 {
        let (ctl, spec) = rest.split_at(rest.len().min(4));
        let mut f = header.to_vec();
        for e in edits_from(spec) {
            e.encode_into(&mut f).expect("a small edit encodes");
        }
        // ctl[0..2]: where to cut or change a byte; ctl[2]: what to do; ctl[3]: the new byte.
        if let [a, b, what, byte] = *ctl {
            let at = HEADER_LEN + usize::from(u16::from_le_bytes([a, b]));
            match what % 4 {
                1 if at < f.len() => f.truncate(at),
                2 if at < f.len() => f[at] = byte,
                _ => {}
            }
        }
        f
    } else {
        let mut owned;
        let rest = if flags & 16 != 0 {
            owned = rest.to_vec();
            let from = if flags & 8 != 0 { HEADER_LEN } else { 0 };
            common::fix_crcs::<EditCodec>(&mut owned, from);
            &owned[..]
        } else {
            rest
        };
        // The edit at the start of the raw bytes.
        if let Some(len) = common::check_frame::<EditCodec>(rest) {
            let (e, _) = decode_frame::<EditCodec>(rest).expect("it decoded");
            assert_eq!(e.encoded_len(), len);
            let mut out = Vec::new();
            e.encode_into(&mut out).expect("a decoded edit re-encodes");
            assert_eq!(out, &rest[..len]);
        }
        if flags & 8 != 0 {
            rest.to_vec()
        } else {
            let mut f = header.to_vec();
            f.extend_from_slice(rest);
            f
        }
    };

    let valid_header = matches!(
        FileHeader::decode(&file),
        Ok(FileHeader {
            kind: FileKind::Manifest,
            fid: 0
        })
    );
    let ours = valid_header.then(|| replay(&file));
    if flags & 4 != 0 {
        check_on_disk(&file, ours.as_ref());
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

#[cfg(not(fuzzing))]
fn main() -> std::io::Result<()> {
    let done = common::replay(check);
    // libFuzzer exits without running destructors; a replay can clean up after itself.
    let dir = scratch_dir();
    std::fs::remove_dir_all(dir)?;
    done
}
