//! `--verify`: which key, field or member each request addresses, the value it writes, and the
//! reply it must get.
//!
//! Every connection works on its own keys (`kvsbench:<nonce>:<client>:...`, `<nonce>` new each
//! run) and every value is a function of the run, the client, the family and the element
//! number, so each reply can be predicted from the request's sequence number and from how many
//! elements the tests before it wrote ([`Written`]).

use std::sync::atomic::{AtomicU64, Ordering};

use super::{MULTI_KEYS, SMALL_ELEMENTS, TestKind};
use crate::reply::Value;

/// What a test writes or reads: each family counts its written elements on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// String keys `0..` (SET, MSET; read by GET, MGET, DEL).
    Strings = 0,
    /// Fields `0..` of the client's hash (HSET; read by HGET).
    Hash = 1,
    /// Members `0..` of the client's set (SADD; read by SISMEMBER).
    Set = 2,
}

const FAMILIES: usize = 3;

/// Per client and family, how many elements (`0..n`) its writing tests wrote so far under
/// `--verify`: string keys (SET/MSET), hash fields (HSET), set members (SADD).
#[derive(Debug)]
pub struct Written(Vec<[AtomicU64; FAMILIES]>);

impl Written {
    /// Nothing written yet, for `clients` clients.
    pub fn new(clients: usize) -> Self {
        Written((0..clients).map(|_| Default::default()).collect())
    }

    pub(super) fn get(&self, idx: usize, family: Family) -> u64 {
        self.0
            .get(idx)
            .map_or(0, |w| w[family as usize].load(Ordering::Acquire))
    }

    pub(super) fn raise(&self, idx: usize, family: Family, n: u64) {
        if let Some(w) = self.0.get(idx) {
            w[family as usize].fetch_max(n, Ordering::AcqRel);
        }
    }
}

/// One connection's verification state.
pub(super) struct Verify {
    pub nonce: u64,
    pub idx: usize,
    /// `-r`, or 1.
    pub keys: u64,
    /// Elements `0..written` of the test's family hold their value (a writing test ran
    /// before this one; for a writing test, what was there before it started).
    pub written: u64,
    /// `-d`.
    pub size: usize,
    scratch: Vec<u8>,
}

impl Verify {
    pub fn new(nonce: u64, idx: usize, keys: u64, written: u64, size: usize) -> Self {
        Verify {
            nonce,
            idx,
            keys: keys.max(1),
            written,
            size,
            scratch: Vec::with_capacity(size),
        }
    }

    /// The element number that slot `j` of request `seq` addresses.
    pub fn element(&self, kind: TestKind, seq: u64, j: u64) -> u64 {
        let multi = seq.wrapping_mul(MULTI_KEYS as u64).wrapping_add(j);
        // Reads cycle over what was written (everything then hits), or over the keyspace when
        // nothing was (everything then misses).
        let read_range = match self.written {
            0 => self.keys,
            w => w,
        };
        match kind {
            TestKind::Ping | TestKind::Hgetall | TestKind::Smembers => 0,
            TestKind::Set | TestKind::Incr | TestKind::Hset | TestKind::Sadd => seq % self.keys,
            TestKind::Mset => multi % self.keys,
            TestKind::Get | TestKind::Del | TestKind::Hget => seq % read_range,
            TestKind::Mget => multi % read_range,
            // Even requests ask for a member SADD added, odd ones for one it did not (while
            // the set is not full at -r), so both answers are checked from the start.
            TestKind::Sismember => {
                let absent = self.keys.saturating_sub(self.written);
                match self.written {
                    0 => seq % self.keys,
                    w if absent == 0 => seq % w,
                    w if seq % 2 == 1 => w + (seq / 2) % absent,
                    w => (seq / 2) % w,
                }
            }
        }
    }

    /// The value of element `k` of `family`, in a buffer reused by the next call.
    pub fn value(&mut self, family: Family, k: u64) -> &[u8] {
        fill_value(
            self.nonce,
            self.idx,
            family,
            k,
            &mut self.scratch,
            self.size,
        );
        &self.scratch
    }

    /// Checks the reply to request `seq`.
    pub fn check(&mut self, kind: TestKind, seq: u64, reply: &[u8]) -> Result<(), String> {
        let Some(got) = crate::reply::decode(reply) else {
            return Err("undecodable reply".into());
        };
        let got = normalize(kind, got);
        let owned = self.expected_payloads(kind, seq);
        let expected = self.expected(kind, seq, &owned);
        if got == expected {
            Ok(())
        } else {
            Err(format!(
                "{} request #{seq} of client {}: expected {}, got {}",
                kind.name(),
                self.idx,
                show(&expected),
                show(&got)
            ))
        }
    }

    /// The bulk strings the reply to request `seq` must carry, in reply order (sorted for the
    /// whole-collection reads, whose order is the server's).
    fn expected_payloads(&mut self, kind: TestKind, seq: u64) -> Vec<Vec<u8>> {
        match kind {
            TestKind::Get | TestKind::Hget if self.written > 0 => {
                let k = self.element(kind, seq, 0);
                vec![self.value(kind.family(), k).to_vec()]
            }
            TestKind::Mget if self.written > 0 => (0..MULTI_KEYS as u64)
                .map(|j| {
                    let k = self.element(kind, seq, j);
                    self.value(Family::Strings, k).to_vec()
                })
                .collect(),
            TestKind::Smembers => (0..SMALL_ELEMENTS).map(element_name).collect(),
            TestKind::Hgetall => (0..SMALL_ELEMENTS)
                .flat_map(|j| [element_name(j), self.value(Family::Hash, j).to_vec()])
                .collect(),
            _ => Vec::new(),
        }
    }

    fn expected<'a>(&self, kind: TestKind, seq: u64, owned: &'a [Vec<u8>]) -> Value<'a> {
        let bulks = || Value::Array(owned.iter().map(|b| Value::Bulk(b)).collect());
        // Does request `seq` of a writing test add a new element? Element `seq % keys` is new
        // the first time round, unless a test before wrote it.
        let adds = seq < self.keys && seq >= self.written;
        match kind {
            TestKind::Ping => Value::Simple(b"PONG"),
            TestKind::Set | TestKind::Mset => Value::Simple(b"OK"),
            TestKind::Incr => Value::Int(i64::try_from(seq / self.keys + 1).unwrap_or(i64::MAX)),
            TestKind::Del => Value::Int(i64::from(self.written > 0 && seq < self.written)),
            TestKind::Hset | TestKind::Sadd => Value::Int(i64::from(adds)),
            TestKind::Sismember => Value::Int(i64::from(self.element(kind, seq, 0) < self.written)),
            TestKind::Get | TestKind::Hget => owned.first().map_or(Value::Nil, |b| Value::Bulk(b)),
            TestKind::Mget if owned.is_empty() => Value::Array(vec![Value::Nil; MULTI_KEYS]),
            TestKind::Mget | TestKind::Smembers | TestKind::Hgetall => bulks(),
        }
    }
}

/// `element:` and `k` as 12 digits: a field or member name, as the templates write it.
pub(super) fn element_name(k: u64) -> Vec<u8> {
    let mut name = b"element:000000000000".to_vec();
    let at = name.len() - super::SLOT;
    super::write_slot(&mut name, at, k);
    name
}

/// Puts a whole-collection reply in the order [`Verify::expected_payloads`] uses: the server
/// chooses the order of SMEMBERS' members and HGETALL's pairs.
fn normalize(kind: TestKind, got: Value<'_>) -> Value<'_> {
    let Value::Array(mut items) = got else {
        return got;
    };
    let name = |v: &Value<'_>| match v {
        Value::Bulk(b) => b.to_vec(),
        _ => Vec::new(),
    };
    match kind {
        TestKind::Smembers => items.sort_by_key(name),
        TestKind::Hgetall if items.len() % 2 == 0 => {
            let mut pairs: Vec<[Value<'_>; 2]> = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(f), Some(v)) = (it.next(), it.next()) {
                pairs.push([f, v]);
            }
            pairs.sort_by_key(|p| name(&p[0]));
            items = pairs.into_iter().flatten().collect();
        }
        _ => {}
    }
    Value::Array(items)
}

/// The value of element `k` of `family` of client `idx` under `--verify`: `size` bytes from a
/// keyed PRNG (the family is mixed in, so a hash field never looks like the string key of the
/// same number).
pub(super) fn fill_value(
    nonce: u64,
    idx: usize,
    family: Family,
    k: u64,
    out: &mut Vec<u8>,
    size: usize,
) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    out.clear();
    let k = k ^ ((family as u64) << 56);
    let mut x = splitmix(nonce ^ splitmix(idx as u64) ^ splitmix(k.wrapping_add(0x5bd1_e995)));
    while out.len() < size {
        x = splitmix(x);
        let mut bits = x;
        for _ in 0..10 {
            if out.len() == size {
                break;
            }
            out.push(ALPHABET[(bits & 63) as usize]);
            bits >>= 6;
        }
    }
}

/// SplitMix64: a fast, well-mixed PRNG step.
pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A short printable form of a reply for mismatch messages.
pub(crate) fn show(v: &Value<'_>) -> String {
    fn text(b: &[u8]) -> String {
        let s = String::from_utf8_lossy(b);
        if s.len() > 40 {
            format!("{}...", s.chars().take(40).collect::<String>())
        } else {
            s.into_owned()
        }
    }
    match v {
        Value::Simple(s) => format!("+{}", text(s)),
        Value::Error(s) => format!("-{}", text(s)),
        Value::Int(n) => format!(":{n}"),
        Value::Bulk(b) => format!("\"{}\"", text(b)),
        Value::Nil => "nil".into(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().take(4).map(show).collect();
            let more = if items.len() > 4 { ", ..." } else { "" };
            format!("[{}{more}]", inner.join(", "))
        }
        Value::Other(s) => text(s),
    }
}
