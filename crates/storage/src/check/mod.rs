//! Offline consistency check and repair of a store directory (`kvs-check`).
//!
//! [`check`] takes the directory lock (so it never runs next to a live store), then verifies
//! everything `docs/storage-format.md` promises, without changing a byte:
//!
//! * the MANIFEST: header, every edit's CRC, the replay rules (§6.2); a torn last edit (§6.4) and
//!   a damaged or invalid edit in the middle are reported with their offsets;
//! * the directory against the MANIFEST: *leftovers* (data or hint files that are not live,
//!   `MANIFEST.tmp`, the compactor's `hint.tmp`) and *missing* files (live, but not there);
//! * every live data file: header, every record's CRC, torn tail, damaged ranges, atomic
//!   batches cut short (§4.2), and per-file record count, live keys, live and dead bytes — live
//!   meaning the record is the current version of its key across the whole store, by the seq
//!   rules recovery uses (§7, §11.5);
//! * every hint file: header, entries, and that it describes its data file exactly (§5).
//!
//! With [`CheckOptions::repair`] it then fixes what it found, always writing a backup of what it
//! removes first (see [`repair`](self#repair) below), and checks again: the report's
//! [`RepairReport::after`] is the state the store is left in.
//!
//! # Repair
//!
//! Every removed byte goes to a backup directory, `repair-backup-<UTC time>` inside the store
//! directory, *before* it is removed (files written and fsync'd, directory fsync'd):
//!
//! * leftovers are moved (renamed) into it whole;
//! * a torn MANIFEST tail is saved as `MANIFEST.<offset>.bin`, then cut with the MANIFEST's own
//!   repair ([`Manifest::open`](crate::Manifest::open): truncate + fsync); a MANIFEST with a bad
//!   header is copied whole, then replaced by a snapshot of its valid edits (tmp file, fsync,
//!   rename, directory fsync — the §6.5 procedure);
//! * a hint file that is damaged, stale, or whose data file is about to change is moved away
//!   first (the store then scans the data file);
//! * a data file whose only damage runs to its end is truncated
//!   ([`DBFile::truncate_to`](crate::DBFile::truncate_to), which fsyncs) after the cut bytes were
//!   saved as `<file>.<offset>.bin`;
//! * any other damaged data file (bad header, damage in the middle) is rewritten like a
//!   compaction (§10): its readable records go to a new file with a new fid and a hint file,
//!   both fsync'd, the directory fsync'd, then one MANIFEST edit adds the new file and removes
//!   the old one — the commit point — and only then is the old file moved into the backup.
//!   The damaged ranges were saved as `<file>.<offset>.bin` before anything else;
//! * a live file that is missing is removed from the live set with one MANIFEST edit.
//!
//! A crash at any point leaves a store that opens: each step is either a rename, a truncation
//! of bytes the store would never use, or a MANIFEST edit whose fsync is the commit point, and
//! the files it depends on were complete and durable first. Running the check again finishes the
//! job. A MANIFEST that cannot be replayed (missing, damaged in the middle, an invalid edit)
//! is never guessed at: nothing is repaired, and the report says so.

mod inspect;
mod repair;
mod report;

use std::io;
use std::path::{Path, PathBuf};

use crate::dir::MANIFEST_NAME;
use crate::error::{Result, StorageError};
use crate::lock::DirLock;

pub use report::{
    CheckReport, CheckStatus, FileReport, HeaderFault, HintStatus, ManifestSummary, Problem,
    ProblemKind, RepairAction, RepairReport,
};

/// Prefix of the backup directories written by a repair; the check skips them.
pub const BACKUP_PREFIX: &str = "repair-backup-";

/// Name of the temporary directory the compactor writes hint files in (a leftover if present).
pub const HINT_TMP_DIR: &str = "hint.tmp";

/// What [`check`] should do besides checking.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Repair what can be repaired, after backing up every byte that is removed (see the
    /// [module docs](self#repair)).
    pub repair: bool,
}

/// Checks (and with [`CheckOptions::repair`], repairs) the store in `dir`, offline.
///
/// Fails with [`StorageError::Locked`] if a running store holds the directory, and with an
/// [`StorageError::Io`] if `dir` is not a directory or holds no store at all. Damage is never an
/// error: it is what the [`CheckReport`] describes.
pub fn check(dir: &Path, opts: &CheckOptions) -> Result<CheckReport> {
    let meta = std::fs::metadata(dir).map_err(|e| StorageError::io("stat", dir, e))?;
    if !meta.is_dir() {
        let e = io::Error::new(io::ErrorKind::NotADirectory, "not a directory");
        return Err(StorageError::io("check", dir, e));
    }
    let has_manifest = dir.join(MANIFEST_NAME).exists();
    if !has_manifest && crate::dir::list_files(dir)?.is_empty() {
        let e = io::Error::new(io::ErrorKind::NotFound, "no MANIFEST: not a kvs store");
        return Err(StorageError::io("check", dir, e));
    }
    let _lock = DirLock::acquire(dir)?;
    let found = inspect::inspect(dir)?;
    if !opts.repair || found.report.problems.is_empty() {
        return Ok(found.report);
    }
    let (backup_dir, actions, skipped) = repair::repair(dir, &found)?;
    let after = inspect::inspect(dir)?.report;
    let mut report = found.report;
    report.repair = Some(RepairReport {
        backup_dir,
        actions,
        skipped,
        after: Box::new(after),
    });
    Ok(report)
}

/// The default backup directory name for a repair started at `unix_secs`:
/// `repair-backup-YYYYMMDDTHHMMSSZ` (UTC).
pub fn backup_name(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{BACKUP_PREFIX}{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Where a repair puts its backup: a fresh `repair-backup-<time>[-n]` in `dir`.
fn fresh_backup_dir(dir: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = backup_name(secs);
    let mut path = dir.join(&base);
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{base}-{n}"));
        n += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names() {
        assert_eq!(backup_name(0), "repair-backup-19700101T000000Z");
        assert_eq!(backup_name(951_782_400), "repair-backup-20000229T000000Z");
        assert_eq!(backup_name(1_700_000_000), "repair-backup-20231114T221320Z");
    }
}
