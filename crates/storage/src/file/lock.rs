//! The directory lock: one process per store directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};

/// Name of the lock file inside the store directory.
pub const LOCK_FILE: &str = "LOCK";

/// An exclusive `flock` on `dir/LOCK`, released when dropped (or when the process dies, so a
/// crash never leaves a stale lock behind).
#[derive(Debug)]
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<DirLock> {
        let path: PathBuf = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StorageError::io("open", &path, e))?;
        // std's `try_lock` is `flock(LOCK_EX | LOCK_NB)` on Linux: held by the open file,
        // released when it closes — also when the process dies.
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StorageError::Locked { path }),
            Err(TryLockError::Error(err)) => return Err(StorageError::io("flock", &path, err)),
        }
        Ok(DirLock { _file: file })
    }
}
