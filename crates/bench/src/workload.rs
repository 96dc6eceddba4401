//! What each test sends: command templates patched in place per request, and, under
//! `--verify`, the reply each request must get.
//!
//! A request is its test's command encoded once as a RESP multibulk ([`encode::command`]) with
//! fixed-width fields: every key ends in a 12-byte slot (`__rand_int__`, or 12 zero-padded
//! digits with `-r`), exactly like redis-benchmark's keys, and values are `-d` bytes. Sending a
//! request copies the template and overwrites the slots: no formatting, no allocation. Without
//! `-r` or `--verify` nothing varies, and a batch is a slice of `P` prebuilt copies.
//!
//! With `--verify` every connection works on its own keys, `kvsbench:<nonce>:<client>:<k>`
//! (`<nonce>` is new each run), with values that are a function of the key, so each reply can
//! be predicted: SET/MSET write keys `0..` in order (wrapping at `-r`), GET/MGET read back the
//! keys this client's SET/MSET wrote, INCR counts per key, DEL deletes each written key once.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::BytesMut;

use crate::request as encode;

use super::reply::{Value, decode};

/// How many keys one MSET or MGET carries (redis-benchmark's MSET has 10).
pub const MULTI_KEYS: usize = 10;
/// Requests are batched into one send up to this many bytes (one request at least).
const MAX_BATCH_BYTES: usize = 64 * 1024;
/// Width of a key's variable part: `__rand_int__`, or 12 digits.
const SLOT: usize = 12;
const RAND_PLACEHOLDER: &[u8; SLOT] = b"__rand_int__";

/// A benchmark test, selected with `-t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum TestKind {
    /// `PING`
    Ping,
    /// `SET key:__rand_int__ <value>`
    Set,
    /// `GET key:__rand_int__`
    Get,
    /// `INCR counter:__rand_int__`
    Incr,
    /// `MSET` of 10 keys
    Mset,
    /// `MGET` of 10 keys
    Mget,
    /// `DEL key:__rand_int__`
    Del,
}

impl TestKind {
    /// The name printed in reports: `SET`, `GET`...
    pub fn name(self) -> &'static str {
        match self {
            TestKind::Ping => "PING",
            TestKind::Set => "SET",
            TestKind::Get => "GET",
            TestKind::Incr => "INCR",
            TestKind::Mset => "MSET",
            TestKind::Mget => "MGET",
            TestKind::Del => "DEL",
        }
    }
}

/// What a run's tests share about the data they send.
#[derive(Debug, Clone)]
pub struct DataSpec {
    /// `-d`: value size in bytes.
    pub data_size: usize,
    /// `-r`: keys are drawn from `0..keyspace`; `None`: the one key `key:__rand_int__`.
    pub keyspace: Option<u64>,
    /// `--verify`: the run's nonce (keys are per client and predictable).
    pub verify: Option<u64>,
    /// `-P`: most requests in flight per connection.
    pub pipeline: usize,
}

/// Per client, how many keys (`0..n`) its SET/MSET wrote so far under `--verify`.
#[derive(Debug)]
pub struct Written(Vec<AtomicU64>);

impl Written {
    /// Nothing written yet, for `clients` clients.
    pub fn new(clients: usize) -> Self {
        Written((0..clients).map(|_| AtomicU64::new(0)).collect())
    }

    fn get(&self, idx: usize) -> u64 {
        self.0.get(idx).map_or(0, |w| w.load(Ordering::Acquire))
    }

    fn raise(&self, idx: usize, n: u64) {
        if let Some(w) = self.0.get(idx) {
            w.fetch_max(n, Ordering::AcqRel);
        }
    }
}

/// One connection's request generator and reply checker.
pub struct ConnWorkload {
    kind: TestKind,
    idx: usize,
    /// One encoded request.
    template: Vec<u8>,
    /// Offsets in `template` of each key's 12-byte slot.
    key_slots: Vec<usize>,
    /// Offsets in `template` of each value (`data_size` bytes), paired with `key_slots`.
    value_slots: Vec<usize>,
    /// `per_send` copies of `template`, when nothing needs patching.
    fixed: Option<Vec<u8>>,
    per_send: usize,
    /// The batch being built (reused).
    out: BytesMut,
    data_size: usize,
    keyspace: Option<u64>,
    rng: u64,
    verify: Option<Verify>,
}

struct Verify {
    nonce: u64,
    /// `-r`, or 1.
    keys: u64,
    /// Keys `0..written` hold their value (SET/MSET ran before).
    written: u64,
    scratch: Vec<u8>,
}

impl ConnWorkload {
    /// The generator of client `idx` for test `kind`. `written` is read now: a GET test sees
    /// what the SET tests before it wrote.
    pub fn new(kind: TestKind, idx: usize, spec: &DataSpec, written: &Written) -> Self {
        let value = vec![b'x'; spec.data_size];
        let slot: &[u8] = if spec.keyspace.is_some() || spec.verify.is_some() {
            b"000000000000"
        } else {
            RAND_PLACEHOLDER
        };
        let (key_prefix, counter_prefix) = match spec.verify {
            Some(nonce) => (
                format!("kvsbench:{nonce:016x}:{idx}:"),
                format!("kvsbench:{nonce:016x}:ctr:{idx}:"),
            ),
            None => ("key:".to_owned(), "counter:".to_owned()),
        };
        let key = |prefix: &str| [prefix.as_bytes(), slot].concat();
        let mut args: Vec<Vec<u8>> = Vec::new();
        // Which arguments hold a key slot / a value.
        let mut key_args = Vec::new();
        let mut value_args = Vec::new();
        match kind {
            TestKind::Ping => args.push(b"PING".to_vec()),
            TestKind::Set => {
                args.extend([b"SET".to_vec(), key(&key_prefix), value.clone()]);
                key_args.push(1);
                value_args.push(2);
            }
            TestKind::Get | TestKind::Del => {
                let name: &[u8] = if kind == TestKind::Get {
                    b"GET"
                } else {
                    b"DEL"
                };
                args.extend([name.to_vec(), key(&key_prefix)]);
                key_args.push(1);
            }
            TestKind::Incr => {
                args.extend([b"INCR".to_vec(), key(&counter_prefix)]);
                key_args.push(1);
            }
            TestKind::Mset => {
                args.push(b"MSET".to_vec());
                for _ in 0..MULTI_KEYS {
                    key_args.push(args.len());
                    args.push(key(&key_prefix));
                    value_args.push(args.len());
                    args.push(value.clone());
                }
            }
            TestKind::Mget => {
                args.push(b"MGET".to_vec());
                for _ in 0..MULTI_KEYS {
                    key_args.push(args.len());
                    args.push(key(&key_prefix));
                }
            }
        }
        // Encode, finding each argument's payload offset: `$<len>\r\n<payload>\r\n`.
        let mut buf = BytesMut::new();
        encode::array_len(&mut buf, args.len());
        let mut offsets = Vec::with_capacity(args.len());
        for a in &args {
            let mut digits = itoa::Buffer::new();
            offsets.push(buf.len() + 1 + digits.format(a.len()).len() + 2);
            encode::bulk(&mut buf, a);
        }
        let template = buf.to_vec();
        debug_assert_eq!(
            {
                let mut check = BytesMut::new();
                encode::command(&mut check, &args);
                check.to_vec()
            },
            template
        );
        // The slot is the key's last 12 bytes.
        let key_slots = key_args
            .iter()
            .map(|&i| offsets[i] + args[i].len() - SLOT)
            .collect();
        let value_slots = value_args.iter().map(|&i| offsets[i]).collect();
        let varies = spec.keyspace.is_some() || spec.verify.is_some();
        let per_send = (MAX_BATCH_BYTES / template.len().max(1)).clamp(1, spec.pipeline.max(1));
        let fixed = (!varies).then(|| template.repeat(per_send));
        let verify = spec.verify.map(|nonce| Verify {
            nonce,
            keys: spec.keyspace.unwrap_or(1).max(1),
            written: written.get(idx),
            scratch: Vec::with_capacity(spec.data_size),
        });
        ConnWorkload {
            kind,
            idx,
            template,
            key_slots,
            value_slots,
            fixed,
            per_send,
            out: BytesMut::with_capacity(0),
            data_size: spec.data_size,
            keyspace: spec.keyspace,
            rng: seed(idx),
            verify,
        }
    }

    /// How many requests one send may carry: the pipeline depth, fewer for big requests.
    pub fn per_send(&self) -> usize {
        self.per_send
    }

    /// The bytes of requests `seq..seq + n` (`n` at most [`per_send`](Self::per_send)).
    pub fn requests(&mut self, seq: u64, n: usize) -> &[u8] {
        let len = self.template.len();
        if let Some(fixed) = &self.fixed
            && let Some(batch) = fixed.get(..n * len)
        {
            return batch;
        }
        self.out.clear();
        self.out.reserve(n * len);
        for i in 0..n as u64 {
            let base = self.out.len();
            self.out.extend_from_slice(&self.template);
            let req = self.out.get_mut(base..).unwrap_or_default();
            if let Some(v) = &mut self.verify {
                for (j, &at) in self.key_slots.iter().enumerate() {
                    let k = verify_key(self.kind, v, seq + i, j as u64);
                    write_slot(req, at, k);
                    if let Some(&vat) = self.value_slots.get(j) {
                        fill_value(v.nonce, self.idx, k, &mut v.scratch, self.data_size);
                        if let Some(dst) = req.get_mut(vat..vat + self.data_size) {
                            dst.copy_from_slice(&v.scratch);
                        }
                    }
                }
            } else if let Some(keys) = self.keyspace {
                for &at in &self.key_slots {
                    self.rng = splitmix(self.rng);
                    write_slot(req, at, self.rng % keys.max(1));
                }
            }
        }
        &self.out
    }

    /// Checks the reply to request `seq` under `--verify` (always `Ok` otherwise).
    pub fn check(&mut self, seq: u64, reply: &[u8]) -> Result<(), String> {
        let Some(v) = &mut self.verify else {
            return Ok(());
        };
        let Some(got) = decode(reply) else {
            return Err("undecodable reply".into());
        };
        let kind = self.kind;
        let (idx, size) = (self.idx, self.data_size);
        let value_of = |v: &mut Verify, k: u64| -> Vec<u8> {
            fill_value(v.nonce, idx, k, &mut v.scratch, size);
            v.scratch.clone()
        };
        let expected: Value<'_>;
        let owned: Vec<Vec<u8>>;
        match kind {
            TestKind::Ping => expected = Value::Simple(b"PONG"),
            TestKind::Set | TestKind::Mset => expected = Value::Simple(b"OK"),
            TestKind::Incr => {
                let n = i64::try_from(seq / v.keys + 1).unwrap_or(i64::MAX);
                expected = Value::Int(n);
            }
            TestKind::Del => {
                expected = Value::Int(i64::from(v.written > 0 && seq < v.written));
            }
            TestKind::Get => {
                if v.written == 0 {
                    expected = Value::Nil;
                } else {
                    let k = verify_key(kind, v, seq, 0);
                    owned = vec![value_of(v, k)];
                    expected = Value::Bulk(&owned[0]);
                }
            }
            TestKind::Mget => {
                if v.written == 0 {
                    expected = Value::Array(vec![Value::Nil; MULTI_KEYS]);
                } else {
                    owned = (0..MULTI_KEYS as u64)
                        .map(|j| {
                            let k = verify_key(kind, v, seq, j);
                            value_of(v, k)
                        })
                        .collect();
                    expected = Value::Array(owned.iter().map(|b| Value::Bulk(b)).collect());
                }
            }
        }
        if got == expected {
            Ok(())
        } else {
            Err(format!(
                "{} request #{seq} of client {idx}: expected {}, got {}",
                kind.name(),
                show(&expected),
                show(&got)
            ))
        }
    }

    /// Records, after a SET/MSET phase, that requests `0..sent` were answered: the keys they
    /// wrote can be read back by later tests.
    pub fn note_written(&self, sent: u64, written: &Written) {
        let Some(v) = &self.verify else { return };
        let keys = match self.kind {
            TestKind::Set => sent,
            TestKind::Mset => sent.saturating_mul(MULTI_KEYS as u64),
            _ => return,
        };
        written.raise(self.idx, keys.min(v.keys));
    }
}

/// Under `--verify`, the key number that field `j` of request `seq` addresses.
fn verify_key(kind: TestKind, v: &Verify, seq: u64, j: u64) -> u64 {
    let multi = seq.wrapping_mul(MULTI_KEYS as u64).wrapping_add(j);
    match kind {
        TestKind::Ping => 0,
        TestKind::Set | TestKind::Incr => seq % v.keys,
        TestKind::Mset => multi % v.keys,
        TestKind::Get | TestKind::Del => match v.written {
            0 => seq % v.keys,
            w => seq % w,
        },
        TestKind::Mget => match v.written {
            0 => multi % v.keys,
            w => multi % w,
        },
    }
}

/// Writes `n` as 12 zero-padded digits at `at`.
fn write_slot(req: &mut [u8], at: usize, n: u64) {
    if let Some(slot) = req.get_mut(at..at + SLOT) {
        let mut n = n;
        for b in slot.iter_mut().rev() {
            *b = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
}

/// The value of key `k` of client `idx` under `--verify`: `size` bytes from a keyed PRNG.
fn fill_value(nonce: u64, idx: usize, k: u64, out: &mut Vec<u8>, size: usize) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    out.clear();
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

fn seed(idx: usize) -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    splitmix(t ^ splitmix(idx as u64 + 1))
}

/// A short printable form of a reply for mismatch messages.
fn show(v: &Value<'_>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use kvs_server::resp::{Limits, Parser};

    fn spec(keyspace: Option<u64>, verify: Option<u64>) -> DataSpec {
        DataSpec {
            data_size: 5,
            keyspace,
            verify,
            pipeline: 4,
        }
    }

    fn parse_all(bytes: &[u8]) -> Vec<Vec<String>> {
        let mut parser = Parser::new(Limits::default());
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(cmd) = parser.parse(&mut buf, true).expect("valid RESP") {
            out.push(
                cmd.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            );
        }
        assert!(buf.is_empty());
        out
    }

    #[test]
    fn fixed_requests_are_redis_benchmark_shaped() {
        let w = Written::new(1);
        let mut set = ConnWorkload::new(TestKind::Set, 0, &spec(None, None), &w);
        let cmds = parse_all(set.requests(0, 3));
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[0], ["SET", "key:__rand_int__", "xxxxx"]);
        let mut mset = ConnWorkload::new(TestKind::Mset, 0, &spec(None, None), &w);
        let cmds = parse_all(mset.requests(0, 1));
        assert_eq!(cmds[0].len(), 1 + 2 * MULTI_KEYS);
    }

    #[test]
    fn random_keys_stay_in_keyspace() {
        let w = Written::new(1);
        let mut get = ConnWorkload::new(TestKind::Get, 0, &spec(Some(100), None), &w);
        for seq in 0..50 {
            for cmd in parse_all(get.requests(seq, 4)) {
                let k: u64 = cmd[1].strip_prefix("key:").unwrap().parse().unwrap();
                assert!(k < 100);
                assert_eq!(cmd[1].len(), 4 + 12);
            }
        }
    }

    #[test]
    fn verify_round_trip() {
        let w = Written::new(2);
        let s = spec(Some(3), Some(42));
        let mut set = ConnWorkload::new(TestKind::Set, 1, &s, &w);
        let cmds = parse_all(set.requests(0, 2));
        assert_eq!(cmds[0][1], format!("kvsbench:{:016x}:1:000000000000", 42));
        assert_eq!(cmds[1][1], format!("kvsbench:{:016x}:1:000000000001", 42));
        assert!(set.check(0, b"+OK\r\n").is_ok());
        set.note_written(2, &w);
        let v1 = cmds[1][2].clone();

        let mut get = ConnWorkload::new(TestKind::Get, 1, &s, &w);
        let cmds = parse_all(get.requests(1, 2));
        assert_eq!(cmds[0][1], format!("kvsbench:{:016x}:1:000000000001", 42));
        assert_eq!(cmds[1][1], format!("kvsbench:{:016x}:1:000000000000", 42));
        let reply = format!("${}\r\n{v1}\r\n", v1.len());
        assert!(get.check(1, reply.as_bytes()).is_ok());
        assert!(
            get.check(2, reply.as_bytes()).is_err(),
            "key 0 has another value"
        );
        assert!(get.check(1, b"$-1\r\n").is_err());

        // Client 0 wrote nothing: its GETs expect nil.
        let mut get0 = ConnWorkload::new(TestKind::Get, 0, &s, &w);
        assert!(get0.check(0, b"$-1\r\n").is_ok());

        let mut incr = ConnWorkload::new(TestKind::Incr, 1, &s, &w);
        assert!(incr.check(0, b":1\r\n").is_ok());
        assert!(incr.check(3, b":2\r\n").is_ok());
        assert!(incr.check(4, b":1\r\n").is_err());

        let mut del = ConnWorkload::new(TestKind::Del, 1, &s, &w);
        assert!(del.check(1, b":1\r\n").is_ok());
        assert!(del.check(2, b":0\r\n").is_ok());
    }
}
