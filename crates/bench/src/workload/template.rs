//! Building a test's request template: its arguments, which of them end in a 12-byte slot and
//! which hold a value, and the setup commands a connection sends once before the test.

use bytes::BytesMut;

use super::{MULTI_KEYS, SLOT, SMALL_ELEMENTS, TestKind};
use crate::request as encode;

/// The keys a client's requests name: redis-benchmark's, or under `--verify` its own.
pub(super) struct Names {
    /// Prefix of the string keys (SET, GET, MSET, MGET, DEL).
    key: String,
    /// Prefix of INCR's counters.
    counter: String,
    /// HSET's and HGET's hash.
    hash: String,
    /// SADD's and SISMEMBER's set.
    set: String,
    /// HGETALL's hash of [`SMALL_ELEMENTS`] fields.
    small_hash: String,
    /// SMEMBERS' set of [`SMALL_ELEMENTS`] members.
    small_set: String,
}

impl Names {
    /// redis-benchmark's names, or `kvsbench:<nonce>:<idx>:...` under `--verify`.
    pub fn new(verify: Option<u64>, idx: usize) -> Self {
        match verify {
            None => Names {
                key: "key:".into(),
                counter: "counter:".into(),
                hash: "myhash".into(),
                set: "myset".into(),
                small_hash: "myhash:small".into(),
                small_set: "myset:small".into(),
            },
            Some(nonce) => {
                let own = format!("kvsbench:{nonce:016x}:{idx}:");
                Names {
                    counter: format!("kvsbench:{nonce:016x}:ctr:{idx}:"),
                    hash: format!("{own}hash"),
                    set: format!("{own}set"),
                    small_hash: format!("{own}hash:small"),
                    small_set: format!("{own}set:small"),
                    key: own,
                }
            }
        }
    }
}

/// One test's encoded request and where to patch it.
pub(super) struct Template {
    /// One encoded request.
    pub bytes: Vec<u8>,
    /// Offsets in `bytes` of each 12-byte slot (a key's, a field's or a member's last bytes).
    pub slots: Vec<usize>,
    /// Offsets in `bytes` of each value (`-d` bytes), paired with `slots`.
    pub values: Vec<usize>,
    /// Commands to send once before the test (encoded), and how many replies they get.
    pub setup: Vec<u8>,
    pub setup_replies: usize,
}

/// A command being built: its arguments, and which of them hold a slot or a value.
#[derive(Default)]
struct Command {
    args: Vec<Vec<u8>>,
    slot_args: Vec<usize>,
    value_args: Vec<usize>,
}

impl Command {
    fn word(mut self, w: impl AsRef<[u8]>) -> Self {
        self.args.push(w.as_ref().to_vec());
        self
    }

    /// `prefix` and a slot, patched per request.
    fn slotted(mut self, prefix: &str, slot: &[u8]) -> Self {
        self.slot_args.push(self.args.len());
        self.args.push([prefix.as_bytes(), slot].concat());
        self
    }

    fn value(mut self, v: &[u8]) -> Self {
        self.value_args.push(self.args.len());
        self.args.push(v.to_vec());
        self
    }
}

/// The template of test `kind`. `slot` is the initial slot text (`__rand_int__` or 12
/// digits), `value` the initial value; `small_value(j)` is the value of field `j` of HGETALL's
/// hash.
pub(super) fn build(
    kind: TestKind,
    names: &Names,
    slot: &[u8],
    value: &[u8],
    mut small_value: impl FnMut(u64) -> Vec<u8>,
) -> Template {
    let c = Command::default();
    let cmd = match kind {
        TestKind::Ping => c.word("PING"),
        TestKind::Set => c.word("SET").slotted(&names.key, slot).value(value),
        TestKind::Get => c.word("GET").slotted(&names.key, slot),
        TestKind::Del => c.word("DEL").slotted(&names.key, slot),
        TestKind::Incr => c.word("INCR").slotted(&names.counter, slot),
        TestKind::Mset => (0..MULTI_KEYS).fold(c.word("MSET"), |c, _| {
            c.slotted(&names.key, slot).value(value)
        }),
        TestKind::Mget => (0..MULTI_KEYS).fold(c.word("MGET"), |c, _| c.slotted(&names.key, slot)),
        // redis-benchmark's `HSET myhash element:__rand_int__ <data>`: one hash, the field
        // varies.
        TestKind::Hset => c
            .word("HSET")
            .word(&names.hash)
            .slotted("element:", slot)
            .value(value),
        TestKind::Hget => c.word("HGET").word(&names.hash).slotted("element:", slot),
        TestKind::Hgetall => c.word("HGETALL").word(&names.small_hash),
        // redis-benchmark's `SADD myset element:__rand_int__`.
        TestKind::Sadd => c.word("SADD").word(&names.set).slotted("element:", slot),
        TestKind::Sismember => c
            .word("SISMEMBER")
            .word(&names.set)
            .slotted("element:", slot),
        TestKind::Smembers => c.word("SMEMBERS").word(&names.small_set),
    };
    let (bytes, offsets) = encode_with_offsets(&cmd.args);
    // A slot is its argument's last 12 bytes.
    let slots = cmd
        .slot_args
        .iter()
        .map(|&i| offsets[i] + cmd.args[i].len() - SLOT)
        .collect();
    let values = cmd.value_args.iter().map(|&i| offsets[i]).collect();
    let setup = setup_commands(kind, names, &mut small_value);
    let mut setup_bytes = BytesMut::new();
    for args in &setup {
        encode::command(&mut setup_bytes, args);
    }
    Template {
        bytes,
        slots,
        values,
        setup: setup_bytes.to_vec(),
        setup_replies: setup.len(),
    }
}

/// What a connection sends before the test: HGETALL and SMEMBERS read a collection of
/// [`SMALL_ELEMENTS`] elements they make themselves (`DEL`, then one `HSET`/`SADD`), so what
/// they measure does not depend on what ran before. Every connection sends it; all are done
/// before any request is measured, and the result is the same whoever runs last.
fn setup_commands(
    kind: TestKind,
    names: &Names,
    small_value: &mut impl FnMut(u64) -> Vec<u8>,
) -> Vec<Vec<Vec<u8>>> {
    let del = |key: &str| vec![b"DEL".to_vec(), key.as_bytes().to_vec()];
    match kind {
        TestKind::Hgetall => {
            let mut hset = vec![b"HSET".to_vec(), names.small_hash.as_bytes().to_vec()];
            for j in 0..SMALL_ELEMENTS {
                hset.push(super::verify::element_name(j));
                hset.push(small_value(j));
            }
            vec![del(&names.small_hash), hset]
        }
        TestKind::Smembers => {
            let mut sadd = vec![b"SADD".to_vec(), names.small_set.as_bytes().to_vec()];
            sadd.extend((0..SMALL_ELEMENTS).map(super::verify::element_name));
            vec![del(&names.small_set), sadd]
        }
        _ => Vec::new(),
    }
}

/// Encodes `args` as one command, with each argument's payload offset:
/// `$<len>\r\n<payload>\r\n`.
fn encode_with_offsets(args: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut buf = BytesMut::new();
    encode::array_len(&mut buf, args.len());
    let mut offsets = Vec::with_capacity(args.len());
    for a in args {
        let mut digits = itoa::Buffer::new();
        offsets.push(buf.len() + 1 + digits.format(a.len()).len() + 2);
        encode::bulk(&mut buf, a);
    }
    debug_assert_eq!(
        {
            let mut check = BytesMut::new();
            encode::command(&mut check, args);
            check.to_vec()
        },
        buf.to_vec()
    );
    (buf.to_vec(), offsets)
}
