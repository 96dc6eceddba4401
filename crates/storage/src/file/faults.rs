//! The file-operation seam: every system call whose failure the store must survive goes through
//! one of the small wrappers below, so tests can make it fail (`docs/storage-format.md` §9.3).
//!
//! | wrapper          | [`Op`]            | called by                                                  |
//! |------------------|-------------------|------------------------------------------------------------|
//! | `open_new`       | `Create`          | `DBFile::create` (data, hint, `MANIFEST.tmp`)              |
//! | `create_dir`     | `Create`          | the compactor's `hint.tmp/` directory                      |
//! | `write_all_at`   | `Write`           | every `pwrite`: file headers, records, hint entries, edits |
//! | `sync_data`      | `Sync`            | `DBFile::sync` / `seal` (`fdatasync`)                      |
//! | `sync_all`       | `Sync`            | header fsync in `DBFile::create`, `DBFile::truncate_to`    |
//! | `sync_dir`       | `SyncDir`         | `kvs_storage::sync_dir`                                    |
//! | `set_len`        | `Truncate`        | `DBFile::truncate_to` (torn-tail repair on open)           |
//! | `rename`         | `Rename`          | MANIFEST rewrite (§6.5), hint files written after rotation |
//!
//! Without the cargo feature `fault-injection` (the default) each wrapper is the plain `std`
//! call, inlined: the seam costs nothing in a production build. With the feature, the module
//! is public and tests arm a [`Fault`] for one store directory with [`inject`]: "the `nth`
//! `Op` on files of this kind (or this fid) fails with this errno", optionally after writing
//! only the first `k` bytes (a short write, as `write_all` leaves it when the disk fills up
//! mid-buffer). While no fault is armed anywhere in the process, a wrapper costs one relaxed
//! atomic load more than the plain call.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

#[cfg(feature = "fault-injection")]
pub use plan::{Fault, Injected, inject};

/// A kind of file-system operation that can be made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Creating a file (`open(O_CREAT|O_EXCL)`) or a directory.
    Create,
    /// `pwrite` (file headers, records, hint entries, MANIFEST edits).
    Write,
    /// `fdatasync` / `fsync` of a file.
    Sync,
    /// `fsync` of the store directory.
    SyncDir,
    /// `rename` (matched on the destination's name).
    Rename,
    /// `ftruncate` (torn-tail repair).
    Truncate,
}

/// What an armed fault makes a call do instead of its work.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(crate) struct Injection {
    /// The error the call returns.
    error: io::Error,
    /// For writes: how many bytes really reach the file before the error.
    short: Option<usize>,
}

/// The fault armed for this call, if any.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
fn injection(_op: Op, _path: &Path) -> Option<Injection> {
    None
}

#[cfg(feature = "fault-injection")]
use plan::injection;

/// Fails like [`injection`] says, or succeeds; for calls that do no partial work.
#[inline(always)]
fn check(op: Op, path: &Path) -> io::Result<()> {
    match injection(op, path) {
        Some(i) => Err(i.error),
        None => Ok(()),
    }
}

/// Opens `path` with `options` (which create it): [`Op::Create`].
#[inline]
pub(crate) fn open_new(options: &OpenOptions, path: &Path) -> io::Result<File> {
    check(Op::Create, path)?;
    options.open(path)
}

/// `mkdir path`: [`Op::Create`].
#[inline]
pub(crate) fn create_dir(path: &Path) -> io::Result<()> {
    check(Op::Create, path)?;
    std::fs::create_dir(path)
}

/// `pwrite`s all of `buf` at `offset` of `file` (named `path`): [`Op::Write`]. A short-write
/// fault writes the first bytes of `buf` for real, then fails.
#[inline]
pub(crate) fn write_all_at(file: &File, path: &Path, buf: &[u8], offset: u64) -> io::Result<()> {
    if let Some(i) = injection(Op::Write, path) {
        if let Some(head) = i.short.and_then(|k| buf.get(..k.min(buf.len()))) {
            file.write_all_at(head, offset)?;
        }
        return Err(i.error);
    }
    file.write_all_at(buf, offset)
}

/// `fdatasync(file)`: [`Op::Sync`].
#[inline]
pub(crate) fn sync_data(file: &File, path: &Path) -> io::Result<()> {
    check(Op::Sync, path)?;
    file.sync_data()
}

/// `fsync(file)`: [`Op::Sync`].
#[inline]
pub(crate) fn sync_all(file: &File, path: &Path) -> io::Result<()> {
    check(Op::Sync, path)?;
    file.sync_all()
}

/// `fsync` of the directory `dir`, opened as `file`: [`Op::SyncDir`].
#[inline]
pub(crate) fn sync_dir(file: &File, dir: &Path) -> io::Result<()> {
    check(Op::SyncDir, dir)?;
    file.sync_all()
}

/// `ftruncate(file, len)`: [`Op::Truncate`].
#[inline]
pub(crate) fn set_len(file: &File, path: &Path, len: u64) -> io::Result<()> {
    check(Op::Truncate, path)?;
    file.set_len(len)
}

/// `rename(from, to)`: [`Op::Rename`], matched on `to`.
#[inline]
pub(crate) fn rename(from: &Path, to: &Path) -> io::Result<()> {
    check(Op::Rename, to)?;
    std::fs::rename(from, to)
}

#[cfg(feature = "fault-injection")]
mod plan {
    use std::io;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    use super::{Injection, Op};
    use crate::dir::{MANIFEST_TMP_NAME, parse_file_name};
    use crate::format::{Fid, FileKind, MANIFEST_FID};

    /// One fault to arm with [`inject`]: which calls it matches, which of them fail, and how.
    ///
    /// ```
    /// # use kvs_storage::{FileKind, faults::{Fault, Op}};
    /// // The second fdatasync of a MANIFEST fails with EIO, once.
    /// let f = Fault::eio(Op::Sync).kind(FileKind::Manifest).nth(2);
    /// // Every write to data file 7 writes 10 bytes, then fails with ENOSPC.
    /// let g = Fault::enospc(Op::Write).file(FileKind::Data, 7).short_write(10).always();
    /// # let _ = (f, g);
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Fault {
        op: Op,
        errno: i32,
        kind: Option<FileKind>,
        fid: Option<Fid>,
        nth: u64,
        times: u64,
        short: Option<usize>,
    }

    impl Fault {
        /// `op` on any file of the directory fails with `errno`, the first time it is called
        /// after the fault is armed, once.
        pub fn new(op: Op, errno: i32) -> Fault {
            Fault {
                op,
                errno,
                kind: None,
                fid: None,
                nth: 1,
                times: 1,
                short: None,
            }
        }

        /// [`Fault::new`] with `EIO`.
        pub fn eio(op: Op) -> Fault {
            Fault::new(op, libc::EIO)
        }

        /// [`Fault::new`] with `ENOSPC`.
        pub fn enospc(op: Op) -> Fault {
            Fault::new(op, libc::ENOSPC)
        }

        /// Only files of `kind` (`MANIFEST.tmp` counts as a MANIFEST; a directory is of no
        /// kind, so [`Op::SyncDir`] faults must not set one).
        pub fn kind(mut self, kind: FileKind) -> Fault {
            self.kind = Some(kind);
            self
        }

        /// Only the file of `kind` with `fid`.
        pub fn file(mut self, kind: FileKind, fid: Fid) -> Fault {
            self.kind = Some(kind);
            self.fid = Some(fid);
            self
        }

        /// Let the first `n - 1` matching calls through; fail from the `n`th on (1-based).
        pub fn nth(mut self, n: u64) -> Fault {
            self.nth = n.max(1);
            self
        }

        /// Fail `n` matching calls in a row (default 1).
        pub fn times(mut self, n: u64) -> Fault {
            self.times = n;
            self
        }

        /// Fail every matching call from the `nth` on (a disk that stays full or broken).
        pub fn always(self) -> Fault {
            self.times(u64::MAX)
        }

        /// For [`Op::Write`]: write the first `k` bytes of the buffer for real, then fail.
        pub fn short_write(mut self, k: usize) -> Fault {
            self.short = Some(k);
            self
        }

        fn matches(&self, op: Op, file: Option<(FileKind, Fid)>) -> bool {
            if op != self.op {
                return false;
            }
            match (self.kind, file) {
                (None, _) => true,
                (Some(_), None) => false,
                (Some(kind), Some((k, fid))) => kind == k && self.fid.is_none_or(|f| f == fid),
            }
        }
    }

    struct Rule {
        id: u64,
        /// The directory as given, and canonicalized: calls on paths under either match.
        dirs: [PathBuf; 2],
        fault: Fault,
        counts: Arc<Counts>,
    }

    #[derive(Default)]
    struct Counts {
        seen: AtomicUsize,
        fired: AtomicUsize,
    }

    struct Plan {
        next_id: u64,
        rules: Vec<Rule>,
    }

    static PLAN: Mutex<Plan> = Mutex::new(Plan {
        next_id: 0,
        rules: Vec::new(),
    });

    /// Armed rules in the process: the fast path of every wrapper reads only this.
    static ARMED: AtomicUsize = AtomicUsize::new(0);

    fn plan() -> std::sync::MutexGuard<'static, Plan> {
        PLAN.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms `fault` for calls on paths inside `dir` (a store directory; its subdirectories,
    /// such as the compactor's `hint.tmp/`, included). Faults of different directories are
    /// independent, so tests using their own directories can run in parallel.
    ///
    /// The fault stays armed until the returned handle is dropped.
    #[must_use = "the fault is disarmed when the handle is dropped"]
    pub fn inject(dir: impl AsRef<Path>, fault: Fault) -> Injected {
        let dir = dir.as_ref().to_path_buf();
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        let counts = Arc::new(Counts::default());
        let mut plan = plan();
        let id = plan.next_id;
        plan.next_id += 1;
        plan.rules.push(Rule {
            id,
            dirs: [dir, canonical],
            fault,
            counts: counts.clone(),
        });
        ARMED.fetch_add(1, Ordering::SeqCst);
        Injected { id, counts }
    }

    /// An armed fault; disarmed on drop.
    #[derive(Debug)]
    #[must_use = "the fault is disarmed when the handle is dropped"]
    pub struct Injected {
        id: u64,
        counts: Arc<Counts>,
    }

    impl std::fmt::Debug for Counts {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Counts")
                .field("seen", &self.seen.load(Ordering::SeqCst))
                .field("fired", &self.fired.load(Ordering::SeqCst))
                .finish()
        }
    }

    impl Injected {
        /// Calls the fault matched so far (failed or let through).
        pub fn seen(&self) -> usize {
            self.counts.seen.load(Ordering::SeqCst)
        }

        /// Calls the fault made fail so far.
        pub fn fired(&self) -> usize {
            self.counts.fired.load(Ordering::SeqCst)
        }
    }

    impl Drop for Injected {
        fn drop(&mut self) {
            let mut plan = plan();
            let before = plan.rules.len();
            plan.rules.retain(|r| r.id != self.id);
            ARMED.fetch_sub(before - plan.rules.len(), Ordering::SeqCst);
        }
    }

    /// The kind and fid a path names, if it is one of the store's files.
    fn classify(path: &Path) -> Option<(FileKind, Fid)> {
        let name = path.file_name()?.to_str()?;
        if name == MANIFEST_TMP_NAME {
            return Some((FileKind::Manifest, MANIFEST_FID));
        }
        parse_file_name(name)
    }

    pub(crate) fn injection(op: Op, path: &Path) -> Option<Injection> {
        if ARMED.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let file = classify(path);
        let plan = plan();
        let mut hit = None;
        for rule in &plan.rules {
            if !rule.dirs.iter().any(|d| path.starts_with(d)) || !rule.fault.matches(op, file) {
                continue;
            }
            let seen = rule.counts.seen.fetch_add(1, Ordering::SeqCst) as u64 + 1;
            let fired = rule.counts.fired.load(Ordering::SeqCst) as u64;
            if hit.is_none() && seen >= rule.fault.nth && fired < rule.fault.times {
                rule.counts.fired.fetch_add(1, Ordering::SeqCst);
                hit = Some(&rule.fault);
            }
        }
        let fault = hit?;
        tracing::warn!(
            ?op,
            path = %path.display(),
            errno = fault.errno,
            short = ?fault.short,
            "injecting a file-system fault"
        );
        Some(Injection {
            error: io::Error::from_raw_os_error(fault.errno),
            short: fault.short,
        })
    }
}
