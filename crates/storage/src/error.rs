//! Errors of the storage layer.
//!
//! Three levels, from the bytes up:
//!
//! * [`Corruption`] — *why* some bytes are not a valid header, record, hint entry or MANIFEST
//!   edit. Carries no location: the decoders in [`crate::format`] work on plain `&[u8]`.
//! * [`DecodeError`] — what a decoder returns: either the bytes are too short (maybe a torn
//!   tail, `docs/storage-format.md` §9) or they are [`Corruption`].
//! * [`StorageError`] — what every file-level API returns. Decode failures are converted with
//!   [`StorageError::from_decode`], which attaches the file path and the byte offset, so every
//!   corruption report names *where* it is.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::format::{Fid, FileKind};

/// Result alias used throughout the crate.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Why a byte range is not a valid header, record, hint entry or edit.
///
/// Produced by the pure decoders; see `docs/storage-format.md` §3–§6 for the rules each
/// variant enforces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The index pointed at a record of another key, or at a tombstone: an internal bug or a
    /// file changed behind the store's back.
    #[error("the index points at a record that does not hold the key")]
    IndexMismatch,

    /// The stored CRC32 does not match the bytes it covers.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch {
        /// CRC read from the file.
        stored: u32,
        /// CRC computed over the covered bytes.
        computed: u32,
    },
    /// The first eight bytes are not a kvs magic (§3).
    #[error("not a kvs file: unknown magic {0:02x?}")]
    UnknownMagic([u8; 8]),
    /// The header names a format version this build cannot read (§12).
    #[error("unsupported format version {0}")]
    UnsupportedVersion(u16),
    /// The reserved header field is not zero (§3).
    #[error("reserved header field is {0:#06x}, expected 0")]
    ReservedHeaderField(u16),
    /// The header's fid is impossible for its kind (MANIFEST must be fid 0, others ≥ 1).
    #[error("fid {fid} is not valid for a {kind} file")]
    BadFid {
        /// Kind named by the magic.
        kind: FileKind,
        /// Fid found in the header.
        fid: Fid,
    },
    /// Flag bits that this version does not define are set (§4, §5).
    #[error("reserved flag bits set in {0:#04x}")]
    ReservedFlags(u8),
    /// A key length above [`crate::format::MAX_KEY_LEN`].
    #[error("key length {len} exceeds the limit of {max} bytes")]
    KeyTooLong {
        /// Length found or requested.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A value length above [`crate::format::MAX_VALUE_LEN`].
    #[error("value length {len} exceeds the limit of {max} bytes")]
    ValueTooLong {
        /// Length found or requested.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// Sequence number 0 is reserved and never written (§7).
    #[error("sequence number 0 is reserved")]
    ZeroSeq,
    /// A tombstone with a value or an expiry (§4).
    #[error("tombstone carries a value or an expiry")]
    BadTombstone,
    /// A hint entry whose record length cannot hold its own key (§5).
    #[error("hint entry record length {record_len} is impossible for key length {key_len}")]
    BadHintLength {
        /// Record length stored in the hint.
        record_len: u32,
        /// Key length stored in the hint.
        key_len: u32,
    },
    /// A MANIFEST edit of a kind this version does not know (§6.1).
    #[error("unknown manifest edit kind {0}")]
    UnknownEditKind(u8),
    /// A MANIFEST edit listing more fids than [`crate::format::MAX_EDIT_FIDS`].
    #[error("manifest edit lists {count} fids, limit {max}")]
    TooManyFids {
        /// Number of fids in the edit.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// A well-formed MANIFEST edit that breaks the replay rules (§6.2).
    #[error("invalid manifest edit: {0}")]
    InvalidEdit(#[from] EditError),
}

/// A MANIFEST edit that is well-formed but not allowed in the current state (§6.2).
///
/// The same checks run when an edit is logged and when it is replayed, so a file that was
/// written by this crate always replays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// Fid 0 belongs to the MANIFEST itself.
    #[error("fid 0 is reserved for the MANIFEST")]
    ReservedFid,
    /// A fid is added that is already live.
    #[error("fid {0} is added but already live")]
    AlreadyLive(Fid),
    /// A fid is removed that is not live.
    #[error("fid {0} is removed but not live")]
    NotLive(Fid),
    /// A fid is added that was never allocated (it is not below `next_fid`).
    #[error("fid {fid} is added but was never allocated (next fid is {next_fid})")]
    NotAllocated {
        /// The offending fid.
        fid: Fid,
        /// The allocation counter at that point.
        next_fid: Fid,
    },
    /// A fid appears twice in one edit (in `add`, in `remove`, or in both).
    #[error("fid {0} appears twice in one edit")]
    Duplicate(Fid),
    /// The next-fid counter would go backwards (fids must never be reused).
    #[error("next fid would go backwards from {from} to {to}")]
    NextFidBackwards {
        /// Counter before the edit.
        from: Fid,
        /// Counter in the edit.
        to: Fid,
    },
    /// The next-sequence floor would go backwards.
    #[error("next sequence number would go backwards from {from} to {to}")]
    NextSeqBackwards {
        /// Floor before the edit.
        from: u64,
        /// Floor in the edit.
        to: u64,
    },
}

/// What a pure decoder returns when it cannot produce a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The buffer ends before the structure does: a torn tail, or a corrupt length (§9).
    #[error("truncated: need {needed} bytes, {available} available")]
    Truncated {
        /// Bytes the structure needs (as far as could be determined).
        needed: u64,
        /// Bytes that were available.
        available: u64,
    },
    /// The bytes are present but wrong.
    #[error(transparent)]
    Corrupt(#[from] Corruption),
}

/// Errors of every file-level operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// `remove` of a key that does not exist (the talent-plan `KvsEngine` contract).
    #[error("Key not found")]
    KeyNotFound,

    /// The store has been shut down; the command was not executed.
    #[error("the store is closed")]
    Closed,

    /// A write command produced a key or value over the format's limits (§8): the command was
    /// refused and nothing of it written; the store goes on.
    #[error("{what} too large: {len} bytes (the limit is {max})")]
    TooLarge {
        /// "key" or "value".
        what: &'static str,
        /// Its length.
        len: u64,
        /// The limit.
        max: u64,
    },

    /// Another process (or another store in this process that is not this one) holds the
    /// directory's lock file.
    #[error("{}: the store directory is locked by another process", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },

    /// An earlier write or fsync failed: what reached the disk is unknown, so the store refuses
    /// writes, rather than pretend, until the writer heals it in a fresh file or it is
    /// reopened (§9.3).
    #[error("writes refused after an earlier I/O failure ({reason}); retrying")]
    WritesRefused {
        /// The failure that poisoned the store.
        reason: String,
    },

    /// A read-modify-write found a value it cannot operate on (e.g. INCR of a non-integer).
    #[error("{0}")]
    InvalidOperation(String),

    /// The key holds another type than the operation works on (a string read of a hash, a
    /// hash operation on a set...): Redis' WRONGTYPE.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,

    /// A new element would take a hash or set past
    /// [`Options::max_collection_elements`](crate::Options::max_collection_elements) (at most
    /// 2^32 − 1). Nothing of the command is written when it is refused before its first record
    /// (`Txn::ensure_room`).
    #[error("ERR a hash, set or list may hold at most {limit} elements")]
    CollectionFull {
        /// The limit in force.
        limit: u64,
    },

    /// An operating-system error, with the operation and the path it concerned.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("open", "write", "fdatasync", …).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Bytes at `offset` in `path` are corrupt.
    #[error("{}: corrupt at offset {offset}: {reason}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damaged header, record, hint entry or edit.
        offset: u64,
        /// What is wrong.
        reason: Corruption,
    },
    /// The structure at `offset` in `path` runs past the end of the file.
    #[error(
        "{}: truncated at offset {offset}: need {needed} bytes, {available} available",
        path.display()
    )]
    Truncated {
        /// The short file.
        path: PathBuf,
        /// Byte offset where the incomplete structure starts.
        offset: u64,
        /// Bytes the structure needs.
        needed: u64,
        /// Bytes the file has from `offset` on.
        available: u64,
    },
    /// A file's header is valid but names another kind or fid than was asked for.
    #[error(
        "{}: expected a {expected} file with fid {expected_fid}, found a {found} file with fid {found_fid}",
        path.display()
    )]
    WrongFile {
        /// The file.
        path: PathBuf,
        /// Kind the caller asked for.
        expected: FileKind,
        /// Fid the caller asked for.
        expected_fid: Fid,
        /// Kind in the header.
        found: FileKind,
        /// Fid in the header.
        found_fid: Fid,
    },
    /// A codec for one kind of file was used on a file of another kind.
    #[error("{}: cannot use {codec} records on a {file} file", path.display())]
    KindMismatch {
        /// The file.
        path: PathBuf,
        /// Kind of the file.
        file: FileKind,
        /// Kind the codec is for.
        codec: FileKind,
    },
    /// The fid is impossible for the kind (MANIFEST is fid 0, everything else ≥ 1).
    #[error("fid {fid} is not valid for a {kind} file")]
    InvalidFid {
        /// Requested kind.
        kind: FileKind,
        /// Requested fid.
        fid: Fid,
    },
    /// A write or truncate was attempted on a sealed (read-only) file.
    #[error("{}: file is sealed", path.display())]
    Sealed {
        /// The file.
        path: PathBuf,
    },
    /// The operation needs a sealed file (e.g. mapping it).
    #[error("{}: file is not sealed", path.display())]
    NotSealed {
        /// The file.
        path: PathBuf,
    },
    /// An earlier write or sync failed; the file's durable contents are unknown, so it
    /// refuses further writes (the caller must rotate or stop).
    #[error("{}: an earlier write or sync failed; file refuses further writes", path.display())]
    Poisoned {
        /// The file.
        path: PathBuf,
    },
    /// A read at an offset outside `[header end, file length)`.
    #[error("{}: offset {offset} is outside the records area (file length {len})", path.display())]
    OutOfBounds {
        /// The file.
        path: PathBuf,
        /// Requested offset.
        offset: u64,
        /// Logical file length.
        len: u64,
    },
    /// `truncate_to` with a length below the header or above the current length.
    #[error("{}: cannot truncate to {to} (header {header} bytes, length {len})", path.display())]
    BadTruncate {
        /// The file.
        path: PathBuf,
        /// Requested length.
        to: u64,
        /// Header length (minimum).
        header: u64,
        /// Current length (maximum).
        len: u64,
    },
    /// A record, hint entry or edit cannot be encoded (too long, tombstone with a value, …).
    #[error("cannot encode: {0}")]
    Encode(Corruption),
    /// A MANIFEST edit was rejected before being written.
    #[error("{}: edit rejected: {reason}", path.display())]
    InvalidEdit {
        /// The MANIFEST.
        path: PathBuf,
        /// Why.
        reason: EditError,
    },
    /// The fid counter would overflow `u64`.
    #[error("fid space exhausted")]
    FidsExhausted,
}

impl StorageError {
    /// Wraps an [`io::Error`] with the operation and path it concerned.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StorageError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// Attaches a location to a [`DecodeError`].
    pub fn from_decode(path: &Path, offset: u64, err: DecodeError) -> Self {
        match err {
            DecodeError::Truncated { needed, available } => StorageError::Truncated {
                path: path.to_path_buf(),
                offset,
                needed,
                available,
            },
            DecodeError::Corrupt(reason) => StorageError::Corrupt {
                path: path.to_path_buf(),
                offset,
                reason,
            },
        }
    }

    /// True for [`StorageError::Corrupt`] and [`StorageError::Truncated`]: the bytes on disk are
    /// damaged, as opposed to an operating-system error or a misuse of the API.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            StorageError::Corrupt { .. } | StorageError::Truncated { .. }
        )
    }
}

/// Display helper for a list of fids in log lines.
pub(crate) struct FidList<'a>(pub &'a [Fid]);

impl fmt::Display for FidList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, fid) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{fid}")?;
        }
        f.write_str("]")
    }
}
