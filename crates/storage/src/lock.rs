//! The directory lock: one process per store directory.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
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
        // SAFETY: plain syscall on a descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::WouldBlock {
                return Err(StorageError::Locked { path });
            }
            return Err(StorageError::io("flock", &path, err));
        }
        Ok(DirLock { _file: file })
    }
}
