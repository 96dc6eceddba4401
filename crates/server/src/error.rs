//! Why a server could not start (or stop cleanly).
//!
//! A start-up failure is read by a person who just typed a command line, so every variant names
//! the address or path it is about and what is wrong with it in words ("address already in use",
//! "is not a directory (it is a regular file)"), and [`ServerError::hint`] says what to do about
//! it. The context is attached where the failure happens (the reactor's bind, the data
//! directory checks, the store's own errors that carry op and path); nothing is parsed back out
//! of an error's text (the one exception is sled's lock conflict, see `engine/sled.rs`).

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use kvs_storage::StorageError;

/// Errors starting or stopping the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listening socket could not be created, bound or put in the listening state.
    #[error("cannot listen on {addr}: {}", listen_problem(op, source))]
    Listen {
        /// The address asked for (`--addr`).
        addr: SocketAddr,
        /// The failing step ("bind", "listen", ...).
        op: &'static str,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// `--dir` names something that exists and is not a directory.
    #[error("data directory {} is not a directory (it is {kind})", dir.display())]
    NotADirectory {
        /// The data directory.
        dir: PathBuf,
        /// What it is instead ("a regular file", ...).
        kind: &'static str,
    },
    /// A path component above `--dir` is not a directory, so `--dir` cannot be created.
    #[error(
        "cannot create data directory {}: {} is not a directory (it is {kind})",
        dir.display(),
        parent.display()
    )]
    ParentNotADirectory {
        /// The data directory.
        dir: PathBuf,
        /// The ancestor that is in the way.
        parent: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// `--dir` does not exist and `mkdir` failed.
    #[error("cannot create data directory {}: {}", dir.display(), os_problem(source))]
    CreateDir {
        /// The data directory.
        dir: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// Creating or writing a file in the data directory was refused (permissions, read-only
    /// file system).
    #[error(
        "data directory {} is not writable: cannot {op} {}: {}",
        dir.display(),
        path.display(),
        os_problem(source)
    )]
    NotWritable {
        /// The data directory.
        dir: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// Any other operating-system error on the data directory.
    #[error(
        "data directory {}: cannot {op} {}: {}",
        dir.display(),
        path.display(),
        os_problem(source)
    )]
    DirIo {
        /// The data directory.
        dir: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating-system error.
        #[source]
        source: io::Error,
    },
    /// Another process has the data directory open.
    #[error(
        "data directory {} is in use by another process ({} is locked)",
        dir.display(),
        lock.display()
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// The lock file held by the other process.
        lock: PathBuf,
    },
    /// The data directory belongs to another engine.
    #[error(
        "data directory {} was created by engine '{found}', not '{wanted}'",
        dir.display()
    )]
    EngineMismatch {
        /// The directory.
        dir: PathBuf,
        /// Engine recorded there.
        found: String,
        /// Engine asked for.
        wanted: String,
    },
    /// An engine this build does not have.
    /// The store's files are damaged: it cannot be opened as it is.
    #[error("data directory {} is damaged: {source}", dir.display())]
    Damaged {
        /// The data directory.
        dir: PathBuf,
        /// The storage error, which names the file (and offset).
        #[source]
        source: StorageError,
    },
    /// A file the store needs is gone (a live data file the MANIFEST lists).
    #[error(
        "data directory {} is damaged: {} is missing",
        dir.display(),
        path.display()
    )]
    MissingFile {
        /// The data directory.
        dir: PathBuf,
        /// The missing file.
        path: PathBuf,
    },
    /// Opening the store failed for another reason.
    #[error("cannot open the store in data directory {}: {source}", dir.display())]
    Open {
        /// The data directory.
        dir: PathBuf,
        /// The storage error.
        #[source]
        source: StorageError,
    },
    /// A storage failure once running (the final fsync of a shutdown).
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// Starting the network threads failed.
    #[error("network: {0}")]
    Reactor(kvs_reactor::Error),
}

impl From<kvs_reactor::Error> for ServerError {
    fn from(e: kvs_reactor::Error) -> Self {
        match e {
            kvs_reactor::Error::Listen { addr, op, source } => {
                ServerError::Listen { addr, op, source }
            }
            other => ServerError::Reactor(other),
        }
    }
}

impl ServerError {
    /// What the operator can do about it, in terms of `kvs-server`'s flags; `None` when there
    /// is nothing better to say than the error itself.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            ServerError::Listen { addr, source, .. } => match source.kind() {
                ErrorKind::AddrInUse => {
                    "is another server running there? stop it or choose another --addr".into()
                }
                ErrorKind::AddrNotAvailable => "no interface of this machine has that address: \
                     choose one of its addresses, 127.0.0.1, or 0.0.0.0 for all of them"
                    .into(),
                ErrorKind::PermissionDenied if addr.port() < 1024 => format!(
                    "ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port of 1024 or \
                     above (e.g. --addr {})",
                    SocketAddr::new(addr.ip(), 6379)
                ),
                _ => "choose another --addr".into(),
            },
            ServerError::NotADirectory { .. } => "pass --dir with a directory path".into(),
            ServerError::ParentNotADirectory { parent, .. } => format!(
                "move {} out of the way or pass --dir with a path under a directory",
                parent.display()
            ),
            ServerError::CreateDir { source, .. } => match source.kind() {
                ErrorKind::PermissionDenied => "create it with an owner the server runs as, or \
                     pass a --dir this user may create"
                    .into(),
                ErrorKind::ReadOnlyFilesystem => "pass a --dir on a writable file system".into(),
                _ => "pass another --dir".into(),
            },
            ServerError::NotWritable { source, .. } => match source.kind() {
                ErrorKind::ReadOnlyFilesystem => "pass a --dir on a writable file system".into(),
                _ => "give the user the server runs as write access to it (chown/chmod), or \
                     pass another --dir"
                    .into(),
            },
            ServerError::DirIo { source, .. } => match source.kind() {
                ErrorKind::PermissionDenied => "give the user the server runs as access to it, \
                     or pass another --dir"
                    .into(),
                ErrorKind::StorageFull => "free some disk space, or pass another --dir".into(),
                _ => return None,
            },
            ServerError::Locked { .. } => {
                "is another kvs-server running on it? stop it or pass another --dir".into()
            }
            ServerError::EngineMismatch { found, .. } => {
                format!("use --engine {found} or pass another --dir")
            }
            ServerError::Damaged { dir, .. } | ServerError::MissingFile { dir, .. } => format!(
                "run `kvs-check --dir {}` for a full report (`--repair` fixes what it can); \
                 otherwise restore the directory from a backup",
                dir.display()
            ),
            ServerError::Open { .. } | ServerError::Storage(_) | ServerError::Reactor(_) => {
                return None;
            }
        };
        Some(hint)
    }

    /// An error of one of the data directory's own operations (checking it, creating it,
    /// writing the engine file). `writes` says whether the operation modifies the directory, so
    /// a refusal reads "not writable" and not "cannot read".
    pub(crate) fn dir_io(
        dir: &Path,
        op: &'static str,
        path: &Path,
        source: io::Error,
        writes: bool,
    ) -> ServerError {
        let (dir, path) = (dir.to_path_buf(), path.to_path_buf());
        if writes && refuses_writes(&source) {
            ServerError::NotWritable {
                dir,
                op,
                path,
                source,
            }
        } else {
            ServerError::DirIo {
                dir,
                op,
                path,
                source,
            }
        }
    }

    /// Classifies a failure of opening the store in `dir`: the storage errors carry op and
    /// path; this sorts them into what the operator must act on (lock, damage, permissions).
    pub(crate) fn open(dir: &Path, e: StorageError) -> ServerError {
        let dir = dir.to_path_buf();
        match e {
            StorageError::Locked { path } => ServerError::Locked { dir, lock: path },
            e if e.is_damage() || matches!(e, StorageError::WrongFile { .. }) => {
                ServerError::Damaged { dir, source: e }
            }
            // The directory was checked (and created) before the store opened, so a store
            // file that is not there is a live data file the MANIFEST lists but that is gone.
            StorageError::Io { path, source, .. } if source.kind() == ErrorKind::NotFound => {
                ServerError::MissingFile { dir, path }
            }
            StorageError::Io { op, path, source } => {
                let writes = !matches!(op, "read" | "read_dir" | "stat" | "canonicalize" | "mmap");
                ServerError::dir_io(&dir, op, &path, source, writes)
            }
            e => ServerError::Open { dir, source: e },
        }
    }
}

/// True for the errors that mean "you may not write here" (as opposed to a failing disk).
fn refuses_writes(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
    )
}

/// The bind failures a user meets, in Redis' words (lower case); others keep the step and the
/// OS text.
fn listen_problem(op: &str, e: &io::Error) -> String {
    match e.kind() {
        ErrorKind::AddrInUse => "address already in use".into(),
        ErrorKind::AddrNotAvailable => "address not available".into(),
        ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("{op}: {e}"),
    }
}

/// An OS error in words, without the "(os error N)" suffix for the common cases.
fn os_problem(e: &io::Error) -> String {
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        ErrorKind::StorageFull => "no space left on device".into(),
        ErrorKind::NotFound => "no such file or directory".into(),
        _ => e.to_string(),
    }
}

/// What a non-directory is, for "(it is ...)".
pub(crate) fn file_kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_file() {
        "a regular file"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "an unknown kind of file"
    }
}
