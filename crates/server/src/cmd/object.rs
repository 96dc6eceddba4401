//! OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP: introspection of a key's value,
//! answered as Redis 7.0 would for the same contents (`object.c`, `objectCommand`).
//!
//! Informational (`crate::encoding`): ENCODING names what Redis would use at this size
//! (`int`/`embstr`/`raw`; a hash `listpack`/`hashtable`; a set `intset`/`hashtable`) under the
//! CONFIG thresholds; REFCOUNT is Redis' (shared small integers report `INT_MAX`); IDLETIME is
//! 0, kvs keeps no access times; FREQ answers Redis' error for a server whose policy is not LFU
//! (kvs's is `noeviction`).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, CollectionMeta, StorageError, Stored};

use super::args::{is, wrong_arity};
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::encoding::EncodingLimits;
use crate::resp::parse::string2ll;
use crate::resp::{Proto, encode};

/// Which question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Encoding,
    Refcount,
    Idletime,
    Freq,
}

#[derive(Debug)]
pub struct Object {
    sub: Sub,
    key: Bytes,
}

/// OBJECT HELP, Redis' text.
const HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// Redis' `OBJ_SHARED_REFCOUNT`: the refcount of its shared integers 0..9999.
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(wrong_arity("object"));
    };
    if is(sub, "HELP") {
        if !rest.is_empty() {
            return Err(wrong_arity("object|help"));
        }
        let mut out = BytesMut::new();
        encode::array_len(&mut out, HELP.len());
        for line in HELP {
            encode::simple(&mut out, line);
        }
        return Ok(Cmd::Reply(out.freeze()));
    }
    let (sub, name) = if is(sub, "ENCODING") {
        (Sub::Encoding, "object|encoding")
    } else if is(sub, "REFCOUNT") {
        (Sub::Refcount, "object|refcount")
    } else if is(sub, "IDLETIME") {
        (Sub::Idletime, "object|idletime")
    } else if is(sub, "FREQ") {
        (Sub::Freq, "object|freq")
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try OBJECT HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    match rest {
        [key] => Ok(Object {
            sub,
            key: key.clone(),
        }
        .into()),
        _ => Err(wrong_arity(name)),
    }
}

impl StorageCommand for Object {
    const WRITES: bool = false;
    /// A collection's encoding depends on its size and contents: the writer's view.
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let stored = txn.lookup(&self.key)?;
        txn.note_lookup(stored.is_some());
        let Some(stored) = stored else {
            encode::null(out, proto);
            return Ok(());
        };
        match self.sub {
            Sub::Encoding => {
                let name = match &stored {
                    Stored::String(v) => EncodingLimits::string(&v.data),
                    Stored::Collection(m) => collection_encoding(txn, m)?,
                };
                encode::bulk(out, name.as_bytes());
            }
            Sub::Refcount => {
                let shared = matches!(&stored, Stored::String(v)
                    if v.data.len() <= 5 && string2ll(&v.data).is_some_and(|n| (0..10_000).contains(&n)));
                encode::integer(out, if shared { SHARED_REFCOUNT } else { 1 });
            }
            Sub::Idletime => encode::integer(out, 0),
            Sub::Freq => {
                return Err(fail(
                    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
                ));
            }
        }
        Ok(())
    }
}

/// What Redis would call collection `m`: its current size and contents, and — since Redis never
/// converts a collection back to its compact encoding — the most it has held
/// (`CollectionShape`).
fn collection_encoding(
    txn: &mut dyn WriteDb,
    m: &CollectionMeta,
) -> Result<&'static str, StorageError> {
    let defaults = EncodingLimits::default();
    let count = txn.element_count(m.id);
    let shape = txn.collection_shape(m.id);
    let peak = count.max(shape.peak);
    match m.kind {
        // Redis 7.0 keeps every list in a quicklist (7.2 added small listpack lists).
        CollectionKind::List => Ok("quicklist"),
        CollectionKind::SortedSet => {
            let limits = txn.encoding_limits().unwrap_or(&defaults);
            Ok(limits.zset(peak, shape.longest))
        }
        CollectionKind::Hash => {
            // Only a hash small enough to be a listpack needs its sizes looked at.
            let limits = txn.encoding_limits().unwrap_or(&defaults);
            if limits.hash(peak, shape.longest) == "hashtable" {
                return Ok("hashtable");
            }
            let mut longest = shape.longest;
            for field in txn.elements(m.id) {
                let value = txn.element(m.id, &field)?.unwrap_or_default();
                longest = longest.max(field.len()).max(value.len());
            }
            Ok(txn
                .encoding_limits()
                .unwrap_or(&defaults)
                .hash(peak, longest))
        }
        CollectionKind::Set => {
            let limits = txn.encoding_limits().unwrap_or(&defaults);
            if shape.non_integer || limits.set_of(peak, true) == "hashtable" {
                return Ok("hashtable");
            }
            let all_integers = txn
                .elements(m.id)
                .iter()
                .all(|e| e.len() <= 20 && string2ll(e).is_some());
            Ok(txn
                .encoding_limits()
                .unwrap_or(&defaults)
                .set_of(peak, all_integers))
        }
    }
}
