//! The blocking pops — BLPOP / BRPOP key [key ...] timeout, BLMOVE source destination
//! LEFT|RIGHT LEFT|RIGHT timeout, BRPOPLPUSH source destination timeout, BLMPOP timeout numkeys
//! key [key ...] LEFT|RIGHT [COUNT count], and for sorted sets BZPOPMIN / BZPOPMAX key [key ...]
//! timeout and BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] — as one command
//! type, [`BPop`]: what differs is the operation on the list or sorted set that is found
//! non-empty ([`Op`]); the blocking is the same.
//!
//! On the writer the command first tries its keys in order, as the non-blocking command would
//! ([`BPop::try_serve`]). If every key is empty, the job parks it in the writer's
//! [`Blocked`](crate::blocking::Blocked) registry instead of answering; a later write that
//! creates a list (a sorted set) at one of its keys serves it there ([`BPop::serve_key`]),
//! first blocked first served, and posts the reply to the client's looper. Inside MULTI (and whenever it runs as
//! a plain `exec_write`) it never blocks: an empty result is answered at once, as Redis does
//! for a client that may not block.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, wrong_arity};
use super::lmove::{LMove, parse_side};
use super::lmpop::{LIST_SIDES, parse_keys_side_count};
use super::lpop::{encode_key_and_elements, pop_from};
use super::zmpop::ZSET_SIDES;
use super::zpop::{self, encode_key_and_scored};
use super::{Cmd, StorageCommand, WriteDb, collection};
use crate::resp::{Proto, encode};

/// Redis' `getTimeoutFromObjectOrReply` texts.
const TIMEOUT_NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";

/// What a blocking pop does with the first list it finds non-empty.
#[derive(Debug)]
pub enum Op {
    /// BLPOP / BRPOP: one element, answered `[key, element]`.
    Pop { front: bool },
    /// BLMPOP: up to `count` elements, answered `[key, [elements]]`.
    MPop { front: bool, count: usize },
    /// BLMOVE / BRPOPLPUSH: the element moves to `destination`; answered with the element.
    Move {
        destination: Bytes,
        from_front: bool,
        to_front: bool,
    },
    /// BZPOPMIN / BZPOPMAX: the lowest (highest) member, answered `[key, member, score]`.
    ZPop { max: bool },
    /// BZMPOP: up to `count` members, answered `[key, [[member, score], ...]]`.
    ZMPop { max: bool, count: usize },
}

impl Op {
    /// The type of collection it pops from.
    fn kind(&self) -> CollectionKind {
        match self {
            Op::Pop { .. } | Op::MPop { .. } | Op::Move { .. } => CollectionKind::List,
            Op::ZPop { .. } | Op::ZMPop { .. } => CollectionKind::SortedSet,
        }
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct BPop {
    keys: Vec<Bytes>,
    op: Op,
    /// How long to block; `None`: for ever (a timeout of 0).
    timeout: Option<Duration>,
}

/// A blocking command's timeout argument, in seconds with decimals (Redis' rounding: up to the
/// next millisecond); 0 is no timeout.
fn parse_timeout(arg: &Bytes) -> Result<Option<Duration>, String> {
    // Redis reads a long double (`string2ld`), rounds `ceill(t * 1000)` and casts it to a
    // long long: past that range the x86 cast gives LLONG_MIN, so a huge or infinite timeout
    // is "negative" there, and so it is here.
    if super::long_double::LongDouble::parse(arg).is_none() {
        return Err(TIMEOUT_NOT_FLOAT.into());
    }
    let secs: f64 = std::str::from_utf8(arg)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| TIMEOUT_NOT_FLOAT.to_string())?;
    // A positive timeout too small for a double (1e-400) is still a long double: 1 ms.
    let underflow = secs == 0.0
        && !text_is_negative(arg)
        && arg
            .iter()
            .take_while(|b| !matches!(b, b'e' | b'E'))
            .any(|b| (b'1'..=b'9').contains(b));
    let ms = if underflow {
        1.0
    } else {
        (secs * 1000.0).ceil()
    };
    if ms < 0.0 || !ms.is_finite() || ms >= i64::MAX as f64 {
        return Err(TIMEOUT_NEGATIVE.into());
    }
    Ok((ms > 0.0).then(|| Duration::from_millis(ms as u64)))
}

fn text_is_negative(arg: &[u8]) -> bool {
    arg.first() == Some(&b'-')
}

/// `key [key ...] timeout`: BLPOP, BRPOP, BZPOPMIN, BZPOPMAX.
fn parse_keys_timeout(args: &[Bytes], name: &str, op: Op) -> Result<Cmd, String> {
    // `args[0]` is the command's name; the table checked there is a key and a timeout.
    let Some((timeout, keys)) = args.get(1..).and_then(<[Bytes]>::split_last) else {
        return Err(wrong_arity(name));
    };
    Ok(BPop {
        timeout: parse_timeout(timeout)?,
        keys: keys.to_vec(),
        op,
    }
    .into())
}

pub fn parse_blpop(args: &[Bytes]) -> Result<Cmd, String> {
    parse_keys_timeout(args, "blpop", Op::Pop { front: true })
}

pub fn parse_brpop(args: &[Bytes]) -> Result<Cmd, String> {
    parse_keys_timeout(args, "brpop", Op::Pop { front: false })
}

pub fn parse_bzpopmin(args: &[Bytes]) -> Result<Cmd, String> {
    parse_keys_timeout(args, "bzpopmin", Op::ZPop { max: false })
}

pub fn parse_bzpopmax(args: &[Bytes]) -> Result<Cmd, String> {
    parse_keys_timeout(args, "bzpopmax", Op::ZPop { max: true })
}

pub fn parse_blmove(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let source = a.next_bytes()?;
    let destination = a.next_bytes()?;
    let from_front = parse_side(&a.next_bytes()?)?;
    let to_front = parse_side(&a.next_bytes()?)?;
    let timeout = parse_timeout(&a.next_bytes()?)?;
    Ok(BPop {
        keys: vec![source],
        op: Op::Move {
            destination,
            from_front,
            to_front,
        },
        timeout,
    }
    .into())
}

pub fn parse_brpoplpush(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let source = a.next_bytes()?;
    let destination = a.next_bytes()?;
    let timeout = parse_timeout(&a.next_bytes()?)?;
    Ok(BPop {
        keys: vec![source],
        op: Op::Move {
            destination,
            from_front: false,
            to_front: true,
        },
        timeout,
    }
    .into())
}

/// BLMPOP and BZMPOP: `numkeys`, the keys, the side and COUNT are checked before the timeout,
/// as Redis' `lmpopGenericCommand` and `zmpopGenericCommand` do.
fn parse_mpop(args: &[Bytes], zset: bool) -> Result<Cmd, String> {
    // `args[0]` is the command's name: the shared parser skips the timeout in its place.
    let (Some(timeout), Some(rest)) = (args.get(1), args.get(1..)) else {
        return Err(wrong_arity(if zset { "bzmpop" } else { "blmpop" }));
    };
    let sides = if zset { ZSET_SIDES } else { LIST_SIDES };
    let (keys, first_side, count) = parse_keys_side_count(rest, sides)?;
    let op = if zset {
        Op::ZMPop {
            max: !first_side,
            count,
        }
    } else {
        Op::MPop {
            front: first_side,
            count,
        }
    };
    Ok(BPop {
        timeout: parse_timeout(timeout)?,
        keys,
        op,
    }
    .into())
}

pub fn parse_blmpop(args: &[Bytes]) -> Result<Cmd, String> {
    parse_mpop(args, false)
}

pub fn parse_bzmpop(args: &[Bytes]) -> Result<Cmd, String> {
    parse_mpop(args, true)
}

impl BPop {
    /// The keys it waits on, in the order given.
    pub fn keys(&self) -> &[Bytes] {
        &self.keys
    }

    /// How long it may block (`None`: for ever).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Tries each key in order, as the non-blocking command would: `true` once one list (or
    /// sorted set) was served (the reply is in `out`), `false` if every key is absent. A key
    /// of another type met before a non-empty one is WRONGTYPE.
    pub fn try_serve(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<bool, StorageError> {
        match collection::first_present(txn, &self.keys, self.op.kind())? {
            Some((key, _)) => self.serve_key(txn, key, proto, out),
            None => Ok(false),
        }
    }

    /// Serves the command from the list (sorted set) at `key` (one of its keys, just made
    /// non-empty): `false`, writing nothing, if `key` holds none now (popped by an earlier
    /// client, or replaced by another type: Redis serves a ready key only while it has the
    /// type the client waits for).
    pub fn serve_key(
        &self,
        txn: &mut dyn WriteDb,
        key: &Bytes,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<bool, StorageError> {
        let found = match collection::read_for_write(txn, key, self.op.kind()) {
            Ok(Some(l)) => l,
            Ok(None) | Err(StorageError::WrongType) => return Ok(false),
            Err(e) => return Err(e),
        };
        let (front, count) = match &self.op {
            Op::ZPop { max } => {
                let popped = zpop::pop_from(txn, key, &found, *max, 1)?;
                encode::array_len(out, 1 + popped.len() * 2);
                encode::bulk(out, key);
                for (m, s) in &popped {
                    encode::bulk(out, m);
                    encode::double_g17(out, *s, proto);
                }
                return Ok(true);
            }
            Op::ZMPop { max, count } => {
                let popped = zpop::pop_from(txn, key, &found, *max, *count)?;
                encode_key_and_scored(out, key, &popped, proto);
                return Ok(true);
            }
            Op::Move {
                destination,
                from_front,
                to_front,
            } => {
                let mv = LMove::new(key.clone(), destination.clone(), *from_front, *to_front);
                mv.exec_write(txn, proto, out)?;
                return Ok(true);
            }
            Op::Pop { front } => (*front, 1),
            Op::MPop { front, count } => (*front, *count),
        };
        let popped = pop_from(txn, key, &found, front, count)?;
        match &self.op {
            Op::MPop { .. } => encode_key_and_elements(out, key, &popped),
            _ => {
                encode::array_len(out, 2);
                encode::bulk(out, key);
                encode::bulk(out, popped.first().map_or(&[][..], Vec::as_slice));
            }
        }
        Ok(true)
    }

    /// The reply of a client that may not block and found nothing (inside MULTI): a null
    /// array, but a null for BLMOVE and BRPOPLPUSH (Redis' `addReplyNull` there).
    pub fn empty_reply(&self, proto: Proto, out: &mut BytesMut) {
        match self.op {
            Op::Move { .. } => encode::null(out, proto),
            _ => encode::null_array(out, proto),
        }
    }

    /// The reply when the timeout passes (or CLIENT UNBLOCK ... TIMEOUT): a null array for
    /// every blocking list command (Redis' `replyToBlockedClientTimedOut`).
    pub fn timed_out_reply(proto: Proto, out: &mut BytesMut) {
        encode::null_array(out, proto);
    }
}

impl StorageCommand for BPop {
    const WRITES: bool = true;

    /// The non-blocking form (inside MULTI): serve now or answer empty.
    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        if !self.try_serve(txn, proto, out)? {
            self.empty_reply(proto, out);
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        self.keys.first()
    }
}

/// A parked [`BPop`] with what its reply needs: the registry's view of it
/// ([`Waiting`](crate::blocked::Waiting)).
#[derive(Debug)]
pub struct Blocker {
    /// The command (a [`Cmd::Storage`] holding a [`BPop`]).
    pub cmd: Cmd,
    /// Its client's protocol.
    pub proto: Proto,
    /// CLIENT REPLY OFF / SKIP: the reply is empty (the slot still fills).
    pub silent: bool,
    /// Set by the client's session when its connection closes.
    pub closed: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Blocker {
    fn reply(&self, write: impl FnOnce(&mut BytesMut)) -> Bytes {
        let mut out = BytesMut::new();
        write(&mut out);
        if self.silent {
            out.clear();
        }
        out.freeze()
    }
}

impl crate::blocked::Waiting for Blocker {
    fn serve(
        &mut self,
        key: &Bytes,
        view: &mut crate::db::Counted<'_, dyn WriteDb + '_>,
    ) -> Option<Bytes> {
        let bpop = self.cmd.as_blocking()?;
        let mut out = BytesMut::new();
        match bpop.serve_key(view, key, self.proto, &mut out) {
            Ok(false) => None,
            Ok(true) => Some(self.reply(|o| o.extend_from_slice(&out))),
            Err(e) => Some(self.reply(|o| super::storage_error(&e, o))),
        }
    }

    fn timed_out(&self) -> Bytes {
        self.reply(|o| BPop::timed_out_reply(self.proto, o))
    }

    fn is_closed(&self) -> bool {
        self.closed
            .as_ref()
            .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn unblocked_with_error(&self) -> Bytes {
        self.reply(|o| o.extend_from_slice(b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"))
    }
}
