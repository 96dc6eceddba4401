//! How a key and its entry are stored in the index's tables: [`Key`] (inline up to
//! [`INLINE_KEY_LEN`] bytes) and [`Slot`] (the packed [`IndexEntry`]), 24 bytes each — the
//! layout described in the parent module's docs.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use super::{INLINE_KEY_LEN, IndexEntry, MAX_FID, MAX_OFFSET};
use crate::format::Fid;

/// A key as stored: up to [`INLINE_KEY_LEN`] bytes inline, otherwise on the heap. 24 bytes.
#[derive(Clone)]
pub(super) enum Key {
    Inline {
        len: u8,
        bytes: [u8; INLINE_KEY_LEN],
    },
    Heap(Box<[u8]>),
}

const _: () = assert!(std::mem::size_of::<Key>() == 24);
const _: () = assert!(std::mem::size_of::<Slot>() == 24);

impl Key {
    pub(super) fn new(key: &[u8]) -> Key {
        let mut bytes = [0u8; INLINE_KEY_LEN];
        match (bytes.get_mut(..key.len()), u8::try_from(key.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(key);
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(key.into()),
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Key::Heap(b) => b,
        }
    }
}

/// Heap bytes a key of this length costs beyond the entry block (an estimate of the malloc
/// chunk: 16-byte granules, 8 bytes of header, 32 at least).
pub(super) fn heap_key_bytes(len: usize) -> usize {
    if len <= INLINE_KEY_LEN {
        0
    } else {
        len.saturating_add(8).next_multiple_of(16).max(32)
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

// Must hash exactly like `[u8]`, since lookups are by `&[u8]` (`Borrow`).
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_bytes().escape_ascii().to_string())
    }
}

/// [`IndexEntry`] as stored: 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Slot {
    /// Low 32 bits of the fid.
    fid_lo: u32,
    pub(super) len: u32,
    /// Offset in the low 48 bits, bits 32..48 of the fid in the high 16.
    loc: u64,
    /// 0 = no expiry.
    expire: u64,
}

impl Slot {
    pub(super) fn pack(e: &IndexEntry) -> Slot {
        let fid = e.fid.min(MAX_FID);
        let offset = e.offset.min(MAX_OFFSET);
        Slot {
            fid_lo: fid as u32,
            len: e.len,
            loc: offset | (fid >> 32) << 48,
            expire: e.expire_at_ms.map_or(0, |t| t.max(1)),
        }
    }

    pub(super) fn unpack(&self) -> IndexEntry {
        IndexEntry {
            fid: u64::from(self.fid_lo) | (self.loc >> 48) << 32,
            offset: self.loc & MAX_OFFSET,
            len: self.len,
            expire_at_ms: (self.expire != 0).then_some(self.expire),
        }
    }

    pub(super) fn is_at(&self, fid: Fid, offset: u64) -> bool {
        let e = self.unpack();
        e.fid == fid && e.offset == offset
    }
}
