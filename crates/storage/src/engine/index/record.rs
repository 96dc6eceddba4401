//! One key's entry as stored in its shard's arena (storage-engine §11.1): a run of 8-byte
//! words holding the packed [`IndexEntry`], its expiry if it may have one, and the key bytes.
//!
//! ```text
//! w0   offset (bits 0..48) | HAS_EXPIRY (bit 48) | key length (bits 49..64; LONG_KEY: see wL)
//! w1   fid (bits 0..32) | record length (bits 32..64)
//! [w2] expiry, Unix ms; 0 = none                 only if HAS_EXPIRY
//! [wL] key length                                only if the 15-bit field is LONG_KEY
//! ...  key bytes, little-endian, the last word zero-padded
//! ```
//!
//! A 16-byte key without a TTL takes 4 words (32 bytes). An entry that gains a TTL moves to a
//! new run with the expiry word (the shard's writer does that); one that loses it keeps the
//! word, set to 0.
//!
//! Every access is a relaxed atomic load or store, bounds-checked: readers run concurrently
//! with the shard's writer under a seqlock (`shard.rs`), so what they read may be torn. A torn
//! read yields garbage or [`Torn`] here — never undefined behaviour — and the reader's seqlock
//! check throws it away.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::{IndexEntry, MAX_FID, MAX_OFFSET};

/// A read met something a consistent table cannot hold (an index past the end): the reader
/// overlapped a write and must retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Torn;

const HAS_EXPIRY: u64 = 1 << 48;
const KEY_LEN_SHIFT: u32 = 49;
/// Key-length field value meaning "the length is in its own word".
const LONG_KEY: u64 = 0x7fff;

fn load(arena: &[AtomicU64], at: usize) -> Result<u64, Torn> {
    arena.get(at).map(|w| w.load(Relaxed)).ok_or(Torn)
}

fn store(arena: &[AtomicU64], at: usize, v: u64) {
    if let Some(w) = arena.get(at) {
        w.store(v, Relaxed);
    }
}

/// Words a run takes for a key of `key_len` bytes, with or without the expiry word.
pub(super) fn words_for(key_len: usize, with_expiry: bool) -> usize {
    2 + usize::from(with_expiry) + usize::from(key_len as u64 >= LONG_KEY) + key_len.div_ceil(8)
}

/// The key's bytes from `at` as little-endian words: word `i` of the key.
fn key_word(key: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    let start = i.saturating_mul(8);
    let chunk = key.get(start..).unwrap_or_default();
    let n = chunk.len().min(8);
    if let (Some(dst), Some(src)) = (w.get_mut(..n), chunk.get(..n)) {
        dst.copy_from_slice(src);
    }
    u64::from_le_bytes(w)
}

fn pack_w0(e: &IndexEntry, with_expiry: bool, key_len: usize) -> u64 {
    let len_field = (key_len as u64).min(LONG_KEY);
    e.offset.min(MAX_OFFSET) | if with_expiry { HAS_EXPIRY } else { 0 } | len_field << KEY_LEN_SHIFT
}

fn pack_w1(e: &IndexEntry) -> u64 {
    e.fid.min(MAX_FID) | u64::from(e.len) << 32
}

fn pack_expiry(e: &IndexEntry) -> u64 {
    e.expire_at_ms.map_or(0, |t| t.max(1))
}

/// Writes the run for `key` and `e` at `at`; returns its length in words. The caller has
/// checked that [`words_for`] words fit.
pub(super) fn write(
    arena: &[AtomicU64],
    at: usize,
    key: &[u8],
    e: &IndexEntry,
    with_expiry: bool,
) -> usize {
    let mut p = at;
    store(arena, p, pack_w0(e, with_expiry, key.len()));
    store(arena, p + 1, pack_w1(e));
    p += 2;
    if with_expiry {
        store(arena, p, pack_expiry(e));
        p += 1;
    }
    if key.len() as u64 >= LONG_KEY {
        store(arena, p, key.len() as u64);
        p += 1;
    }
    for i in 0..key.len().div_ceil(8) {
        store(arena, p + i, key_word(key, i));
    }
    words_for(key.len(), with_expiry)
}

/// Where the key of the run at `at` starts, and its length.
fn key_at(arena: &[AtomicU64], at: usize) -> Result<(usize, usize), Torn> {
    let w0 = load(arena, at)?;
    let mut p = at + 2 + usize::from(w0 & HAS_EXPIRY != 0);
    let mut len = w0 >> KEY_LEN_SHIFT;
    if len == LONG_KEY {
        len = load(arena, p)?;
        p += 1;
    }
    let len = usize::try_from(len).map_err(|_| Torn)?;
    // A consistent run lies inside the arena: check once, so that callers may trust it.
    if p.saturating_add(len.div_ceil(8)) > arena.len() {
        return Err(Torn);
    }
    Ok((p, len))
}

/// The key words of the run at `at`.
fn key_words(arena: &[AtomicU64], at: usize) -> Result<(&[AtomicU64], usize), Torn> {
    let (p, len) = key_at(arena, at)?;
    let words = arena.get(p..p + len.div_ceil(8)).ok_or(Torn)?;
    Ok((words, len))
}

/// Whether the run at `at` is for `key`.
pub(super) fn key_matches(arena: &[AtomicU64], at: usize, key: &[u8]) -> Result<bool, Torn> {
    let (words, len) = key_words(arena, at)?;
    if len != key.len() {
        return Ok(false);
    }
    let mut chunks = key.chunks_exact(8);
    let mut i = 0;
    for (w, c) in words.iter().zip(&mut chunks) {
        let c = <[u8; 8]>::try_from(c).map_err(|_| Torn)?;
        if w.load(Relaxed) != u64::from_le_bytes(c) {
            return Ok(false);
        }
        i += 1;
    }
    if !chunks.remainder().is_empty() {
        let last = words.get(i).ok_or(Torn)?.load(Relaxed);
        if last != key_word(key, i) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Appends the key of the run at `at` to `out`.
pub(super) fn read_key(arena: &[AtomicU64], at: usize, out: &mut Vec<u8>) -> Result<(), Torn> {
    let (words, len) = key_words(arena, at)?;
    let end = out.len() + len;
    out.reserve(words.len() * 8);
    for w in words {
        out.extend_from_slice(&w.load(Relaxed).to_le_bytes());
    }
    out.truncate(end);
    Ok(())
}

/// The entry of the run at `at`.
pub(super) fn read_entry(arena: &[AtomicU64], at: usize) -> Result<IndexEntry, Torn> {
    let w0 = load(arena, at)?;
    let w1 = load(arena, at + 1)?;
    let expiry = if w0 & HAS_EXPIRY != 0 {
        load(arena, at + 2)?
    } else {
        0
    };
    Ok(IndexEntry {
        fid: w1 & MAX_FID,
        offset: w0 & MAX_OFFSET,
        len: (w1 >> 32) as u32,
        expire_at_ms: (expiry != 0).then_some(expiry),
    })
}

/// Length in words of the run at `at`.
pub(super) fn words_at(arena: &[AtomicU64], at: usize) -> Result<usize, Torn> {
    let w0 = load(arena, at)?;
    let (p, len) = key_at(arena, at)?;
    debug_assert!(p >= at);
    Ok(words_for(len, w0 & HAS_EXPIRY != 0))
}

/// Copies the run at `from` in `src` to `to` in `dst`; returns its length in words.
pub(super) fn copy(
    src: &[AtomicU64],
    from: usize,
    dst: &[AtomicU64],
    to: usize,
) -> Result<usize, Torn> {
    let n = words_at(src, from)?;
    for i in 0..n {
        store(dst, to + i, load(src, from + i)?);
    }
    Ok(n)
}

/// Overwrites the entry of the run at `at` in place, if the run can hold it (an expiry needs
/// the expiry word). Returns false, changing nothing, if it cannot.
pub(super) fn set_entry(arena: &[AtomicU64], at: usize, e: &IndexEntry) -> Result<bool, Torn> {
    let w0 = load(arena, at)?;
    let with_expiry = w0 & HAS_EXPIRY != 0;
    if e.expire_at_ms.is_some() && !with_expiry {
        return Ok(false);
    }
    let key_bits = w0 & !(MAX_OFFSET | HAS_EXPIRY);
    store(
        arena,
        at,
        e.offset.min(MAX_OFFSET) | (w0 & HAS_EXPIRY) | key_bits,
    );
    store(arena, at + 1, pack_w1(e));
    if with_expiry {
        store(arena, at + 2, pack_expiry(e));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arena(words: usize) -> Vec<AtomicU64> {
        (0..words).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn runs_round_trip_keys_and_entries() {
        let e = IndexEntry {
            fid: 7,
            offset: 1 << 40,
            len: 123,
            expire_at_ms: Some(1_700_000_000_000),
        };
        for len in [0usize, 1, 7, 8, 9, 16, 17, 300, 0x7ffe, 0x7fff, 70_000] {
            let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            for with_expiry in [false, true] {
                let a = arena(words_for(len, with_expiry) + 3);
                let n = write(&a, 3, &key, &e, with_expiry);
                assert_eq!(n, words_for(len, with_expiry));
                assert_eq!(words_at(&a, 3), Ok(n));
                assert_eq!(key_matches(&a, 3, &key), Ok(true));
                let mut other = key.clone();
                other.push(0);
                assert_eq!(key_matches(&a, 3, &other), Ok(false));
                let mut out = Vec::new();
                read_key(&a, 3, &mut out).unwrap();
                assert_eq!(out, key);
                let want = IndexEntry {
                    expire_at_ms: e.expire_at_ms.filter(|_| with_expiry),
                    ..e
                };
                assert_eq!(read_entry(&a, 3), Ok(want));
            }
        }
    }

    #[test]
    fn set_entry_needs_the_expiry_word_for_a_ttl() {
        let key = b"key:000000000001";
        let plain = IndexEntry {
            fid: 1,
            offset: 24,
            len: 40,
            expire_at_ms: None,
        };
        let ttl = IndexEntry {
            expire_at_ms: Some(5),
            ..plain
        };
        let a = arena(8);
        write(&a, 0, key, &plain, false);
        assert_eq!(set_entry(&a, 0, &ttl), Ok(false));
        assert_eq!(read_entry(&a, 0), Ok(plain));
        write(&a, 0, key, &ttl, true);
        assert_eq!(set_entry(&a, 0, &plain), Ok(true));
        assert_eq!(read_entry(&a, 0), Ok(plain));
        assert_eq!(key_matches(&a, 0, key), Ok(true));
    }

    #[test]
    fn garbage_reads_are_torn_not_panics() {
        let a = arena(4);
        for w in &a {
            w.store(u64::MAX, Relaxed);
        }
        assert_eq!(key_matches(&a, 0, b"x"), Err(Torn));
        assert_eq!(read_entry(&a, 4), Err(Torn));
        assert_eq!(words_at(&a, 0), Err(Torn));
    }
}
