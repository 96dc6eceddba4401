//! What [`check`](super::check) found and did, and how it prints.

use std::fmt;
use std::path::PathBuf;

use crate::error::{DecodeError, EditError};
use crate::format::{Fid, FileKind};

/// The verdict of a check: what `kvs-check` turns into its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    /// No problem found.
    Clean,
    /// Problems found and not (all) repaired.
    Damaged,
    /// Problems found, and a repair left the store clean.
    Repaired,
}

/// Everything [`check`](super::check) found (and, with repair, did).
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The store directory.
    pub dir: PathBuf,
    /// The replayed MANIFEST.
    pub manifest: ManifestSummary,
    /// Every live data file that is present, by ascending fid.
    pub files: Vec<FileReport>,
    /// Every problem found, in the order: MANIFEST, directory, data and hint files.
    pub problems: Vec<Problem>,
    /// What a repair did; `None` unless one was asked for and there was something to repair.
    pub repair: Option<RepairReport>,
}

impl CheckReport {
    /// Clean, damaged, or repaired (a repair ran and the check after it found nothing).
    pub fn status(&self) -> CheckStatus {
        match &self.repair {
            _ if self.problems.is_empty() => CheckStatus::Clean,
            Some(r) if r.after.problems.is_empty() => CheckStatus::Repaired,
            _ => CheckStatus::Damaged,
        }
    }

    /// Live keys in the store (keys whose newest record is a put, expired ones included).
    pub fn keys(&self) -> u64 {
        self.files.iter().map(|f| f.keys).sum()
    }

    /// Elements of live collections (hash fields, set members) in the store.
    pub fn elements(&self) -> u64 {
        self.files.iter().map(|f| f.elements).sum()
    }

    /// Valid records in all live data files.
    pub fn records(&self) -> u64 {
        self.files.iter().map(|f| f.records).sum()
    }

    /// Bytes of the current version of every live key.
    pub fn live_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.live_bytes).sum()
    }

    /// Bytes of live data files that are not live records (headers excluded).
    pub fn dead_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.dead_bytes).sum()
    }

    /// The problems reported for `file` (a name like `000003.data` or `MANIFEST`).
    pub fn problems_of(&self, file: &str) -> Vec<&ProblemKind> {
        self.problems
            .iter()
            .filter(|p| p.file == file)
            .map(|p| &p.kind)
            .collect()
    }

    /// The report of live data file `fid`, if present.
    pub fn file(&self, fid: Fid) -> Option<&FileReport> {
        self.files.iter().find(|f| f.fid == fid)
    }
}

/// The MANIFEST as replayed (§6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestSummary {
    /// Length of the file in bytes.
    pub len: u64,
    /// Edits with a valid CRC.
    pub edits: u64,
    /// Live fids after replay, ascending.
    pub live: Vec<Fid>,
    /// The fid allocation counter after replay.
    pub next_fid: Fid,
    /// The sequence floor after replay.
    pub next_seq: u64,
    /// False if the store could not replay it (missing, damaged in the middle, invalid edit):
    /// the live set above is then only what replay reached, and leftovers and missing files are
    /// not reported.
    pub replayed: bool,
}

/// One live data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Its fid.
    pub fid: Fid,
    /// Length in bytes, header included.
    pub size: u64,
    /// Valid records (whether live or not).
    pub records: u64,
    /// Keys whose current version is in this file.
    pub keys: u64,
    /// Elements of live collections (hash fields, set members, §4.3) whose current version is in
    /// this file.
    pub elements: u64,
    /// Bytes of those current versions.
    pub live_bytes: u64,
    /// Everything else after the header: overwritten and deleted records, tombstones, damage.
    pub dead_bytes: u64,
    /// True for the newest live data file without a hint file: the one recovery treats as the
    /// previous active file, whose torn tail it truncates (§9.2, §11.5).
    pub last_active: bool,
    /// Its hint file.
    pub hint: HintStatus,
}

/// The state of a data file's hint file (§5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintStatus {
    /// No hint file: recovery scans the data file.
    Absent,
    /// A valid hint file that matches the data file record for record.
    Valid {
        /// Entries in it.
        entries: u64,
    },
    /// Present but damaged or stale (see the problems).
    Invalid,
}

/// One problem: a file (name relative to the store directory) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `MANIFEST`, `000003.data`, `000003.hint`, `MANIFEST.tmp`, …
    pub file: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The MANIFEST, or a data file the MANIFEST lists as live, does not exist.
    Missing,
    /// A file that is not live: a data or hint file the MANIFEST does not list, a stale
    /// `MANIFEST.tmp`, the compactor's `hint.tmp` directory (§2, §10).
    Leftover,
    /// The 24-byte header is invalid (§3).
    BadHeader(HeaderFault),
    /// Damage from `offset` to the end of the file that recovery treats as an interrupted write
    /// (§6.4, §9.2): the MANIFEST's last edit, or the tail of the last active data file —
    /// including an atomic batch left open at its end (§4.2).
    TornTail {
        /// Where the file would be cut.
        offset: u64,
        /// Bytes from there to the end.
        len: u64,
    },
    /// Bytes that are not a valid record: bit rot, or an external write (§9.1).
    Corrupt {
        /// Offset of the damaged range.
        offset: u64,
        /// Its length (up to the next valid record, or the end of the file).
        len: u64,
        /// Why the record at `offset` did not decode.
        error: DecodeError,
    },
    /// A MANIFEST edit with a valid CRC that breaks the replay rules (§6.2).
    InvalidEdit {
        /// Offset of the edit.
        offset: u64,
        /// The rule it breaks.
        error: EditError,
    },
    /// Valid records of an atomic batch that recovery never applies because the batch is
    /// incomplete: damage follows them, or the file ends with the batch still open (§4.2).
    DroppedBatch {
        /// Offset of the batch's first record.
        offset: u64,
        /// Bytes up to the damage (or the end of the file).
        len: u64,
    },
    /// A hint file with valid entries that do not describe its data file (§5).
    StaleHint {
        /// The first difference found.
        detail: String,
    },
}

/// Why a header is invalid (§3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderFault {
    /// The header does not decode: too short, unknown magic, CRC, version, reserved field.
    Decode(DecodeError),
    /// A valid header of another kind or fid than the file name says.
    WrongFile {
        /// Kind in the header.
        kind: FileKind,
        /// Fid in the header.
        fid: Fid,
    },
}

/// What a repair did.
#[derive(Debug, Clone)]
pub struct RepairReport {
    /// Where removed bytes and files were saved (`None` if nothing was changed).
    pub backup_dir: Option<PathBuf>,
    /// Each change, in the order made.
    pub actions: Vec<RepairAction>,
    /// Problems left alone, and why.
    pub skipped: Vec<String>,
    /// The check run after the repair.
    pub after: Box<CheckReport>,
}

/// One change made by a repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairAction {
    /// The file changed (name relative to the store directory).
    pub file: String,
    /// What was done.
    pub what: String,
    /// Backup files written for it (removed bytes, moved files).
    pub saved: Vec<PathBuf>,
}

impl fmt::Display for HeaderFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderFault::Decode(e) => write!(f, "{e}"),
            HeaderFault::WrongFile { kind, fid } => {
                write!(f, "it is the header of a {kind} file with fid {fid}")
            }
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = &self.file;
        let manifest = file == crate::dir::MANIFEST_NAME;
        match &self.kind {
            ProblemKind::Missing if manifest => write!(f, "{file}: missing"),
            ProblemKind::Missing => write!(f, "{file}: missing (live in the MANIFEST)"),
            ProblemKind::Leftover => write!(f, "{file}: leftover, not in the MANIFEST"),
            ProblemKind::BadHeader(h) => write!(f, "{file}: bad header: {h}"),
            ProblemKind::TornTail { offset, len } if manifest => {
                write!(f, "{file}: torn last edit at offset {offset} ({len} bytes)")
            }
            ProblemKind::TornTail { offset, len } => {
                write!(f, "{file}: torn tail at offset {offset} ({len} bytes)")
            }
            ProblemKind::Corrupt { offset, len, error } => write!(
                f,
                "{file}: corrupt {} at offset {offset}, {len} bytes: {error}",
                if manifest { "edit" } else { "records" }
            ),
            ProblemKind::InvalidEdit { offset, error } => {
                write!(f, "{file}: invalid edit at offset {offset}: {error}")
            }
            ProblemKind::DroppedBatch { offset, len } => write!(
                f,
                "{file}: incomplete atomic batch at offset {offset} ({len} bytes), ignored by recovery"
            ),
            ProblemKind::StaleHint { detail } => {
                write!(f, "{file}: does not match its data file: {detail}")
            }
        }
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "kvs-check {}", self.dir.display())?;
        self.fmt_body(f)?;
        match (self.status(), &self.repair) {
            (CheckStatus::Clean, _) => writeln!(f, "result: clean"),
            (CheckStatus::Repaired, Some(r)) => writeln!(
                f,
                "result: repaired {} problem(s); backup in {}",
                self.problems.len(),
                r.backup_dir
                    .as_ref()
                    .map_or_else(|| "-".into(), |p| p.display().to_string())
            ),
            (_, Some(r)) => writeln!(
                f,
                "result: damaged: {} problem(s) remain after repair",
                r.after.problems.len()
            ),
            (_, None) => writeln!(
                f,
                "result: damaged: {} problem(s) (run with --repair to fix)",
                self.problems.len()
            ),
        }
    }
}

impl CheckReport {
    /// Everything but the first and last lines.
    fn fmt_body(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.manifest;
        writeln!(
            f,
            "MANIFEST: {} bytes, {} edits, {} live files, next fid {}, next seq {}{}",
            m.len,
            m.edits,
            m.live.len(),
            m.next_fid,
            m.next_seq,
            if m.replayed { "" } else { " (NOT replayable)" }
        )?;
        if !self.files.is_empty() {
            writeln!(
                f,
                "{:<13} {:>12} {:>9} {:>9} {:>12} {:>12}  hint",
                "file", "bytes", "records", "keys", "live bytes", "dead bytes"
            )?;
        }
        for r in &self.files {
            let hint = match r.hint {
                HintStatus::Absent if r.last_active => "none (last active file)".to_string(),
                HintStatus::Absent => "none".to_string(),
                HintStatus::Valid { entries } => format!("ok, {entries} entries"),
                HintStatus::Invalid => "INVALID".to_string(),
            };
            writeln!(
                f,
                "{:<13} {:>12} {:>9} {:>9} {:>12} {:>12}  {hint}",
                crate::dir::file_name(FileKind::Data, r.fid),
                r.size,
                r.records,
                r.keys,
                r.live_bytes,
                r.dead_bytes
            )?;
        }
        let elements = match self.elements() {
            0 => String::new(),
            n => format!(" ({n} hash fields and set members)"),
        };
        writeln!(
            f,
            "total: {} files, {} records, {} keys{elements}, {} live bytes, {} dead bytes",
            self.files.len(),
            self.records(),
            self.keys(),
            self.live_bytes(),
            self.dead_bytes()
        )?;
        if !self.problems.is_empty() {
            writeln!(f, "problems ({}):", self.problems.len())?;
            for p in &self.problems {
                writeln!(f, "  {p}")?;
            }
        }
        if let Some(r) = &self.repair {
            match &r.backup_dir {
                Some(b) => writeln!(f, "repair (backup in {}):", b.display())?,
                None => writeln!(f, "repair:")?,
            }
            for a in &r.actions {
                writeln!(f, "  {}: {}", a.file, a.what)?;
                for s in &a.saved {
                    writeln!(f, "      saved {}", s.display())?;
                }
            }
            for s in &r.skipped {
                writeln!(f, "  not repaired: {s}")?;
            }
            writeln!(f, "after repair:")?;
            r.after.fmt_body(f)?;
        }
        Ok(())
    }
}
