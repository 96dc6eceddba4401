//! The directory lock: one process per store directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Result, StorageError};

/// How long a busy lock is retried before the directory is reported as in use.
const LOCK_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

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
        //
        // A lock this process has just released can still look held for an instant: a child
        // forked by another thread at that moment shares the open file until its `exec` closes
        // it (close-on-exec). So a busy lock is retried for a short while before it is taken
        // for another process's: reopening a store right after closing it, while the process
        // spawns children, must not fail (a test did, once in a few hundred runs).
        let deadline = std::time::Instant::now() + LOCK_RETRY;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(DirLock { _file: file }),
                Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(TryLockError::WouldBlock) => return Err(StorageError::Locked { path }),
                Err(TryLockError::Error(err)) => {
                    return Err(StorageError::io("flock", &path, err));
                }
            }
        }
    }
}
