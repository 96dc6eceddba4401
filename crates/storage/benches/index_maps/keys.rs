//! Keys and entries: the key and entry representations the candidates are measured with.

use super::*;

/// The `i`th key: `key:` and 12 hex digits, 16 bytes, built on the stack.
pub(crate) fn make_key(i: u64) -> [u8; KEY_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut k = *b"key:000000000000";
    for (j, b) in k[4..].iter_mut().enumerate() {
        *b = HEX[((i >> (4 * (11 - j))) & 0xf) as usize];
    }
    k
}

pub(crate) fn make_entry(i: u64) -> IndexEntry {
    IndexEntry {
        fid: 1 + i % 64,
        offset: 24 + (i * 97) % (1 << 30),
        len: 40 + (i % 200) as u32,
        expire_at_ms: if i.is_multiple_of(10) {
            Some(1_700_000_000_000 + i)
        } else {
            None
        },
    }
}

/// xorshift64*: cheap enough not to dominate a hash lookup.
pub(crate) struct Rng(pub(crate) u64);
impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
}

/// Key representation stored in a map.
pub(crate) trait Key: Hash + Eq + Borrow<[u8]> + Clone + Send + Sync + 'static {
    fn from_slice(k: &[u8]) -> Self;
}

impl Key for Box<[u8]> {
    fn from_slice(k: &[u8]) -> Self {
        k.into()
    }
}

/// A small-string-optimised byte key: up to 22 bytes inline, longer ones on the heap. 24 bytes.
/// (The same idea as the private key type in `index.rs`, repeated here so raw maps can be
/// compared with it.)
#[derive(Clone)]
pub(crate) enum InlineKey {
    Inline { len: u8, buf: [u8; 22] },
    Heap(Box<[u8]>),
}
const _: () = assert!(std::mem::size_of::<InlineKey>() == 24);

impl Borrow<[u8]> for InlineKey {
    fn borrow(&self) -> &[u8] {
        match self {
            InlineKey::Inline { len, buf } => &buf[..usize::from(*len)],
            InlineKey::Heap(b) => b,
        }
    }
}
impl Hash for InlineKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Borrow::<[u8]>::borrow(self).hash(state)
    }
}
impl PartialEq for InlineKey {
    fn eq(&self, other: &Self) -> bool {
        Borrow::<[u8]>::borrow(self) == Borrow::<[u8]>::borrow(other)
    }
}
impl Eq for InlineKey {}
impl Key for InlineKey {
    fn from_slice(k: &[u8]) -> Self {
        if k.len() <= 22 {
            let mut buf = [0u8; 22];
            buf[..k.len()].copy_from_slice(k);
            InlineKey::Inline {
                len: k.len() as u8,
                buf,
            }
        } else {
            InlineKey::Heap(k.into())
        }
    }
}

/// Value representation stored in a map.
pub(crate) trait Val: Copy + Send + Sync + 'static {
    fn pack(e: IndexEntry) -> Self;
    fn unpack(self) -> IndexEntry;
}

/// The public entry as is: 48 bytes.
impl Val for IndexEntry {
    fn pack(e: IndexEntry) -> Self {
        e
    }
    fn unpack(self) -> IndexEntry {
        self
    }
}

/// fid u32, offset u32, len u32, seq u64, expire u64 (0 = none) as seven u32: 28 bytes, align 4.
/// (Measured when the index kept each record's seq; `IndexEntry` no longer has one, so the seq
/// words are stored as zero: same size, same cost.)
#[derive(Clone, Copy)]
pub(crate) struct Compact(pub(crate) [u32; 7]);
impl Val for Compact {
    fn pack(e: IndexEntry) -> Self {
        let x = e.expire_at_ms.unwrap_or(0);
        Compact([
            e.fid as u32,
            e.offset as u32,
            e.len,
            0,
            0,
            x as u32,
            (x >> 32) as u32,
        ])
    }
    fn unpack(self) -> IndexEntry {
        let [fid, off, len, _s0, _s1, x0, x1] = self.0;
        let x = u64::from(x0) | u64::from(x1) << 32;
        IndexEntry {
            fid: u64::from(fid),
            offset: u64::from(off),
            len,
            expire_at_ms: (x != 0).then_some(x),
        }
    }
}

/// As [`Compact`] without the seq: 20 bytes. What dropping the seq would save.
#[derive(Clone, Copy)]
pub(crate) struct NoSeq(pub(crate) [u32; 5]);
impl Val for NoSeq {
    fn pack(e: IndexEntry) -> Self {
        let x = e.expire_at_ms.unwrap_or(0);
        NoSeq([
            e.fid as u32,
            e.offset as u32,
            e.len,
            x as u32,
            (x >> 32) as u32,
        ])
    }
    fn unpack(self) -> IndexEntry {
        let [fid, off, len, x0, x1] = self.0;
        let x = u64::from(x0) | u64::from(x1) << 32;
        IndexEntry {
            fid: u64::from(fid),
            offset: u64::from(off),
            len,
            expire_at_ms: (x != 0).then_some(x),
        }
    }
}
