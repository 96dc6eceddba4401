//! MEMORY USAGE key [SAMPLES count], MEMORY PURGE, MEMORY HELP.
//!
//! USAGE estimates the bytes kvs keeps **in memory** for a key: its index entry, and for a hash
//! or set each element's entry in the element index and its copy in the writer's element list.
//! Values stay on disk (a string's value, a hash field's value) and are not counted, which is
//! the point of kvs' design; Redis counts them, so the two figures differ by design. SAMPLES is
//! checked as Redis checks it and otherwise ignored: every element is counted (O(N)).

use bytes::{Bytes, BytesMut};
use kvs_storage::index::Index;
use kvs_storage::{StorageError, Stored};

use super::args::{NOT_INTEGER, SYNTAX, is, parse_i64, wrong_arity};
use super::{Cmd, StorageCommand, WriteDb};
use crate::resp::{Proto, encode};

/// MEMORY HELP, Redis' text for the subcommands kvs has.
const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

/// The writer's element list: a 12-byte span and a 4-byte position slot per element, besides
/// its bytes (`kvs_storage::Members`).
const MEMBER_OVERHEAD: usize = 16;

#[derive(Debug)]
pub struct MemoryUsage {
    key: Bytes,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(wrong_arity("memory"));
    };
    let reply = |lines: &[&str]| {
        let mut out = BytesMut::new();
        if let [one] = lines {
            encode::simple(&mut out, one);
        } else {
            encode::array_len(&mut out, lines.len());
            for line in lines {
                encode::simple(&mut out, line);
            }
        }
        Cmd::Reply(out.freeze())
    };
    if is(sub, "HELP") {
        return if rest.is_empty() {
            Ok(reply(HELP))
        } else {
            Err(wrong_arity("memory|help"))
        };
    }
    if is(sub, "PURGE") {
        // The heap is trimmed every few seconds anyway (`trim.rs`); nothing more to ask for.
        return if rest.is_empty() {
            Ok(reply(&["OK"]))
        } else {
            Err(wrong_arity("memory|purge"))
        };
    }
    if !is(sub, "USAGE") {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try MEMORY HELP.",
            String::from_utf8_lossy(sub)
        ));
    }
    let Some((key, options)) = rest.split_first() else {
        return Err(wrong_arity("memory|usage"));
    };
    match options {
        [] => {}
        [opt, n] if is(opt, "SAMPLES") => match parse_i64(n) {
            None => return Err(NOT_INTEGER.into()),
            Some(n) if n < 0 => return Err(SYNTAX.into()),
            Some(_) => {}
        },
        _ => return Err(SYNTAX.into()),
    }
    Ok(MemoryUsage { key: key.clone() }.into())
}

impl StorageCommand for MemoryUsage {
    const WRITES: bool = false;
    /// A collection's element lengths: the writer's view.
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(stored) = txn.lookup(&self.key)? else {
            encode::null(out, proto);
            return Ok(());
        };
        let mut bytes = Index::entry_memory(self.key.len());
        if let Stored::Collection(m) = stored {
            for e in txn.elements(m.id) {
                bytes += Index::entry_memory(8 + e.len()) + e.len() + MEMBER_OVERHEAD;
            }
        }
        encode::integer(out, bytes as i64);
        Ok(())
    }
}
