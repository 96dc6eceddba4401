//! What each test sends: command templates patched in place per request, and, under
//! `--verify`, the reply each request must get.
//!
//! A request is its test's command encoded once as a RESP multibulk
//! ([`crate::request::command`]) with fixed-width fields: every key, hash field or set member
//! that varies ends in a 12-byte slot (`__rand_int__`, or 12 zero-padded digits with `-r`),
//! exactly like redis-benchmark's, and values are `-d` bytes. Sending a request copies the
//! template and overwrites the slots: no formatting, no allocation. Without `-r` or `--verify`
//! nothing varies, and a batch is a slice of `P` prebuilt copies.
//!
//! The commands (`<r>` is the slot; with `-r N` a random number in `0..N`). "same": the
//! command redis-benchmark 7 sends for its test of that name, byte for byte but for the value's
//! letters (`x`s here, random letters there, as many):
//!
//! | test        | command                                   | as redis-benchmark        |
//! |-------------|-------------------------------------------|---------------------------|
//! | `ping`      | `PING`                                    | `PING_MBULK`              |
//! | `set`       | `SET key:<r> <value>`                     | same                      |
//! | `get`       | `GET key:<r>`                             | same                      |
//! | `incr`      | `INCR counter:<r>`                        | same                      |
//! | `mset`      | `MSET key:<r> <value>` × 10               | same                      |
//! | `mget`      | `MGET key:<r>` × 10                       | (no MGET test)            |
//! | `del`       | `DEL key:<r>`                             | (no DEL test)             |
//! | `hset`      | `HSET myhash element:<r> <value>`         | same                      |
//! | `hget`      | `HGET myhash element:<r>`                 | (no HGET test)            |
//! | `hgetall`   | `HGETALL myhash:small`                    | (no HGETALL test)         |
//! | `sadd`      | `SADD myset element:<r>`                  | same                      |
//! | `sismember` | `SISMEMBER myset element:<r>`             | (no SISMEMBER test)       |
//! | `smembers`  | `SMEMBERS myset:small`                    | (no SMEMBERS test)        |
//!
//! HSET and SADD grow one hash / one set, as redis-benchmark's do: `-r` varies the field or
//! member, never the key. SMEMBERS and HGETALL do not read that set or hash, whose size is
//! whatever the earlier tests and runs left (up to `-r` elements, so the cost of one read would
//! grow with it): each connection first makes `myset:small` = `element:000000000000` ..
//! `element:000000000009` and `myhash:small` = the same 10 fields with `-d`-byte values
//! (`DEL`, then one `SADD`/`HSET`; see `template.rs`), so they measure a 10-element reply.
//!
//! With `--verify` every connection works on its own keys, `kvsbench:<nonce>:<client>:<k>`,
//! `...:hash`, `...:set`, `...:hash:small`, `...:set:small` (`<nonce>` is new each run), with
//! values that are a function of the element, so each reply can be predicted (see `verify.rs`):
//! SET/MSET write keys `0..` in order (wrapping at `-r`), GET/MGET read back the keys this
//! client's SET/MSET wrote, INCR counts per key, DEL deletes each written key once; HSET and
//! SADD write fields / members `0..` (reply 1 the first time round, 0 after), HGET reads back
//! the fields HSET wrote, SISMEMBER alternates members SADD added (1) and members of `0..-r` it
//! did not (0), SMEMBERS and HGETALL get the 10 elements their setup wrote.
//!
//! With `--multi` each batch a connection sends is one transaction: `MULTI`, the batch's
//! requests, `EXEC` ([`Wrap`]).

mod template;
mod verify;

use bytes::BytesMut;

use template::{Names, Template};
pub use verify::Written;
pub(crate) use verify::splitmix;
use verify::{Family, Verify};

/// How many keys one MSET or MGET carries (redis-benchmark's MSET has 10).
pub const MULTI_KEYS: usize = 10;
/// How many elements the collections HGETALL and SMEMBERS read have.
pub const SMALL_ELEMENTS: u64 = 10;
/// Requests are batched into one send up to this many bytes (one request at least).
const MAX_BATCH_BYTES: usize = 64 * 1024;
/// Width of a key's variable part: `__rand_int__`, or 12 digits.
const SLOT: usize = 12;
const RAND_PLACEHOLDER: &[u8; SLOT] = b"__rand_int__";
/// `MULTI` and `EXEC`, encoded.
const MULTI: &[u8] = b"*1\r\n$5\r\nMULTI\r\n";
const EXEC: &[u8] = b"*1\r\n$4\r\nEXEC\r\n";

/// A benchmark test, selected with `-t`. Tests run in this order.
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
    /// `HSET myhash element:__rand_int__ <value>` (redis-benchmark's; -r varies the field)
    Hset,
    /// `HGET myhash element:__rand_int__` (the fields HSET writes)
    Hget,
    /// `HGETALL myhash:small` (10 fields, written by each connection first)
    Hgetall,
    /// `SADD myset element:__rand_int__` (redis-benchmark's; -r varies the member)
    Sadd,
    /// `SISMEMBER myset element:__rand_int__` (the members SADD adds)
    Sismember,
    /// `SMEMBERS myset:small` (10 members, added by each connection first)
    Smembers,
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
            TestKind::Hset => "HSET",
            TestKind::Hget => "HGET",
            TestKind::Hgetall => "HGETALL",
            TestKind::Sadd => "SADD",
            TestKind::Sismember => "SISMEMBER",
            TestKind::Smembers => "SMEMBERS",
        }
    }

    /// The elements the test writes or reads, as `--verify` counts them.
    fn family(self) -> Family {
        match self {
            TestKind::Hset | TestKind::Hget | TestKind::Hgetall => Family::Hash,
            TestKind::Sadd | TestKind::Sismember | TestKind::Smembers => Family::Set,
            _ => Family::Strings,
        }
    }
}

/// What a run's tests share about the data they send.
#[derive(Debug, Clone)]
pub struct DataSpec {
    /// `-d`: value size in bytes.
    pub data_size: usize,
    /// `-r`: slots are drawn from `0..keyspace`; `None`: the one slot `__rand_int__`.
    pub keyspace: Option<u64>,
    /// `--verify`: the run's nonce (keys are per client and predictable).
    pub verify: Option<u64>,
    /// `-P`: most requests in flight per connection.
    pub pipeline: usize,
    /// `--multi`: each batch is sent as one MULTI/EXEC transaction.
    pub multi: bool,
}

/// Where the bytes of one [`ConnWorkload::requests`] call sit in a `--multi` transaction: a
/// transaction too big for one send is spread over several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wrap {
    /// `MULTI` goes before the requests.
    pub begin: bool,
    /// `EXEC` goes after them.
    pub end: bool,
}

impl Wrap {
    /// Plain requests (no `--multi`, or the middle of a transaction).
    pub const NONE: Wrap = Wrap {
        begin: false,
        end: false,
    };
    /// A whole transaction.
    pub const WHOLE: Wrap = Wrap {
        begin: true,
        end: true,
    };
}

/// One connection's request generator and reply checker.
pub struct ConnWorkload {
    kind: TestKind,
    idx: usize,
    template: Template,
    /// `per_send` copies of the template when nothing needs patching; under `--multi`, wrapped
    /// in MULTI/EXEC.
    fixed: Option<Vec<u8>>,
    per_send: usize,
    /// The batch being built (reused).
    out: BytesMut,
    data_size: usize,
    keyspace: Option<u64>,
    multi: bool,
    rng: u64,
    verify: Option<Verify>,
}

impl ConnWorkload {
    /// The generator of client `idx` for test `kind`. `written` is read now: a GET test sees
    /// what the SET tests before it wrote.
    pub fn new(kind: TestKind, idx: usize, spec: &DataSpec, written: &Written) -> Self {
        let varies = spec.keyspace.is_some() || spec.verify.is_some();
        let slot: &[u8] = if varies {
            b"000000000000"
        } else {
            RAND_PLACEHOLDER
        };
        let mut verify = spec.verify.map(|nonce| {
            let keys = spec.keyspace.unwrap_or(1);
            let w = written.get(idx, kind.family());
            Verify::new(nonce, idx, keys, w, spec.data_size)
        });
        let small_value = |j: u64| match &mut verify {
            Some(v) => v.value(Family::Hash, j).to_vec(),
            None => vec![b'x'; spec.data_size],
        };
        let names = Names::new(spec.verify, idx);
        let value = vec![b'x'; spec.data_size];
        let template = template::build(kind, &names, slot, &value, small_value);
        let len = template.bytes.len();
        let per_send = (MAX_BATCH_BYTES / len.max(1)).clamp(1, spec.pipeline.max(1));
        let fixed = (!varies).then(|| {
            let copies = template.bytes.repeat(per_send);
            if spec.multi {
                [MULTI, &copies, EXEC].concat()
            } else {
                copies
            }
        });
        ConnWorkload {
            kind,
            idx,
            template,
            fixed,
            per_send,
            out: BytesMut::with_capacity(0),
            data_size: spec.data_size,
            keyspace: spec.keyspace,
            multi: spec.multi,
            rng: seed(idx),
            verify,
        }
    }

    /// How many requests one send may carry: the pipeline depth, fewer for big requests.
    pub fn per_send(&self) -> usize {
        self.per_send
    }

    /// The commands to send once, before the test, and how many replies they get (none for
    /// most tests).
    pub fn setup(&self) -> (&[u8], usize) {
        (&self.template.setup, self.template.setup_replies)
    }

    /// The bytes of requests `seq..seq + n` (`n` at most [`per_send`](Self::per_send)), with
    /// `MULTI` before and `EXEC` after them as `wrap` says (only under `--multi`).
    pub fn requests(&mut self, seq: u64, n: usize, wrap: Wrap) -> &[u8] {
        let len = self.template.bytes.len();
        let wrap = if self.multi { wrap } else { Wrap::NONE };
        if let Some(end) = self.prebuilt_len(n, wrap) {
            return self
                .fixed
                .as_deref()
                .and_then(|f| f.get(..end))
                .unwrap_or_default();
        }
        self.out.clear();
        self.out.reserve(n * len + MULTI.len() + EXEC.len());
        if wrap.begin {
            self.out.extend_from_slice(MULTI);
        }
        for i in 0..n as u64 {
            let base = self.out.len();
            self.out.extend_from_slice(&self.template.bytes);
            self.patch(base, seq + i);
        }
        if wrap.end {
            self.out.extend_from_slice(EXEC);
        }
        &self.out
    }

    /// How much of `fixed` is the batch `n`, `wrap` asks for, if it is there: a prefix of the
    /// copies, or under `--multi` the whole prebuilt transaction of `per_send` requests.
    fn prebuilt_len(&self, n: usize, wrap: Wrap) -> Option<usize> {
        let fixed = self.fixed.as_ref()?;
        let end = if self.multi {
            (wrap == Wrap::WHOLE && n == self.per_send).then_some(fixed.len())?
        } else {
            n * self.template.bytes.len()
        };
        (end <= fixed.len()).then_some(end)
    }

    /// Fills the slots (and under `--verify` the values) of request `seq`, at `base` in `out`.
    fn patch(&mut self, base: usize, seq: u64) {
        let req = self.out.get_mut(base..).unwrap_or_default();
        if let Some(v) = &mut self.verify {
            let family = self.kind.family();
            for (j, &at) in self.template.slots.iter().enumerate() {
                let k = v.element(self.kind, seq, j as u64);
                write_slot(req, at, k);
                if let Some(&vat) = self.template.values.get(j)
                    && let Some(dst) = req.get_mut(vat..vat + self.data_size)
                {
                    dst.copy_from_slice(v.value(family, k));
                }
            }
        } else if let Some(keys) = self.keyspace {
            for &at in &self.template.slots {
                self.rng = splitmix(self.rng);
                write_slot(req, at, self.rng % keys.max(1));
            }
        }
    }

    /// Checks the reply to request `seq` under `--verify` (always `Ok` otherwise). Under
    /// `--multi` this is the request's element of EXEC's array.
    pub fn check(&mut self, seq: u64, reply: &[u8]) -> Result<(), String> {
        match &mut self.verify {
            Some(v) => v.check(self.kind, seq, reply),
            None => Ok(()),
        }
    }

    /// Is `--verify` on?
    pub fn verifies(&self) -> bool {
        self.verify.is_some()
    }

    /// Records, after a writing test's phase, that requests `0..sent` were answered: the keys,
    /// fields or members they wrote can be read back by later tests.
    pub fn note_written(&self, sent: u64, written: &Written) {
        let Some(v) = &self.verify else { return };
        let elements = match self.kind {
            TestKind::Set | TestKind::Hset | TestKind::Sadd => sent,
            TestKind::Mset => sent.saturating_mul(MULTI_KEYS as u64),
            _ => return,
        };
        written.raise(self.idx, self.kind.family(), elements.min(v.keys));
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

fn seed(idx: usize) -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    splitmix(t ^ splitmix(idx as u64 + 1))
}

#[cfg(test)]
mod tests;
