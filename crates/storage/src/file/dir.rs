//! The store directory: file naming, listing and directory fsync (`docs/storage-format.md` §2).
//!
//! ```text
//! MANIFEST          fid 0, the log of file-set edits (§6)
//! MANIFEST.tmp      a MANIFEST being rewritten; never live, removed on open (§6.5)
//! 000001.data       data file, fid 1 (at least six digits, zero-padded)
//! 000001.hint       hint file for data file 1 (§5)
//! 1234567.data      fids beyond 999999 simply use more digits
//! ```
//!
//! Any other name is not ours and is left alone.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};
use crate::format::{Fid, FileKind, MANIFEST_FID};

/// Name of the MANIFEST file.
pub const MANIFEST_NAME: &str = "MANIFEST";

/// Name of a MANIFEST being rewritten (§6.5).
pub const MANIFEST_TMP_NAME: &str = "MANIFEST.tmp";

/// Suffix of data files.
pub const DATA_SUFFIX: &str = ".data";

/// Suffix of hint files.
pub const HINT_SUFFIX: &str = ".hint";

/// The canonical file name of a file of `kind` with `fid` (§2).
///
/// The MANIFEST is always `MANIFEST` (its fid is 0 by definition).
pub fn file_name(kind: FileKind, fid: Fid) -> String {
    match kind {
        FileKind::Manifest => MANIFEST_NAME.to_owned(),
        FileKind::Data => format!("{fid:06}{DATA_SUFFIX}"),
        FileKind::Hint => format!("{fid:06}{HINT_SUFFIX}"),
    }
}

/// `dir` joined with [`file_name`].
pub fn file_path(dir: &Path, kind: FileKind, fid: Fid) -> PathBuf {
    dir.join(file_name(kind, fid))
}

/// Parses a file name produced by [`file_name`]. Only canonical names parse: `1.data`,
/// `0000001.data` (for fid 1) or `000000.data` (fid 0 is the MANIFEST's) do not.
pub fn parse_file_name(name: &str) -> Option<(FileKind, Fid)> {
    if name == MANIFEST_NAME {
        return Some((FileKind::Manifest, MANIFEST_FID));
    }
    let (kind, stem) = if let Some(stem) = name.strip_suffix(DATA_SUFFIX) {
        (FileKind::Data, stem)
    } else if let Some(stem) = name.strip_suffix(HINT_SUFFIX) {
        (FileKind::Hint, stem)
    } else {
        return None;
    };
    if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fid: Fid = stem.parse().ok()?;
    (kind.accepts_fid(fid) && file_name(kind, fid) == name).then_some((kind, fid))
}

/// Every file in `dir` with a canonical name, sorted by (fid, kind). Other entries
/// (including `MANIFEST.tmp`) are skipped.
pub fn list_files(dir: &Path) -> Result<Vec<(FileKind, Fid)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| StorageError::io("read_dir", dir, e))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io("read_dir", dir, e))?;
        let name = entry.file_name();
        match name.to_str().and_then(parse_file_name) {
            Some(kf) => out.push(kf),
            None => tracing::trace!(dir = %dir.display(), name = ?name, "ignoring foreign file"),
        }
    }
    out.sort_by_key(|&(kind, fid)| (fid, kind));
    Ok(out)
}

/// fsyncs the directory itself, making file creations, renames and deletions in it durable.
///
/// Required by the commit order of §10: new files must be reachable by name before a
/// MANIFEST edit makes them live.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let d = File::open(dir).map_err(|e| StorageError::io("open directory", dir, e))?;
    crate::faults::sync_dir(&d, dir).map_err(|e| StorageError::io("fsync directory", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (kind, fid) in [
            (FileKind::Manifest, 0),
            (FileKind::Data, 1),
            (FileKind::Hint, 1),
            (FileKind::Data, 999_999),
            (FileKind::Hint, 1_000_000),
            (FileKind::Data, u64::MAX),
        ] {
            let name = file_name(kind, fid);
            assert_eq!(parse_file_name(&name), Some((kind, fid)), "{name}");
        }
        assert_eq!(file_name(FileKind::Data, 7), "000007.data");
        assert_eq!(file_name(FileKind::Hint, 1234567), "1234567.hint");
    }

    #[test]
    fn non_canonical_names_are_foreign() {
        for name in [
            "1.data",
            "0000001.data",
            "000000.data",
            "+00001.data",
            "00000a.hint",
            ".data",
            "000001.dat",
            "MANIFEST.tmp",
            "manifest",
            "99999999999999999999999.data",
        ] {
            assert_eq!(parse_file_name(name), None, "{name}");
        }
    }

    #[test]
    fn list_and_sync() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "000002.data",
            "000001.hint",
            "000001.data",
            "MANIFEST",
            "junk",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        assert_eq!(
            list_files(dir.path()).unwrap(),
            vec![
                (FileKind::Manifest, 0),
                (FileKind::Data, 1),
                (FileKind::Hint, 1),
                (FileKind::Data, 2)
            ]
        );
        sync_dir(dir.path()).unwrap();
    }
}
