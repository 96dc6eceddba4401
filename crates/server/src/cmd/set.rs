//! SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL], and its elders SETNX, SETEX,
//! PSETEX, which are the same operation with fixed options.

use bytes::{Bytes, BytesMut};
use kvs_storage::{StorageError, Stored};

use super::args::{ArgCursor, SYNTAX, int, is};
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

/// When the expiry of a write is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// No TTL (a plain SET clears any TTL).
    None,
    /// Relative milliseconds from the moment the command runs.
    In(i64),
    /// Absolute Unix milliseconds.
    At(i64),
    /// Keep whatever TTL the key has (KEEPTTL).
    Keep,
}

impl Expiry {
    /// The absolute expiry for a write at `now`; `Err` if it overflows (Redis: invalid expire time).
    pub fn resolve(self, now: u64, old: Option<u64>) -> Result<Option<u64>, ()> {
        match self {
            Expiry::None => Ok(None),
            Expiry::Keep => Ok(old),
            Expiry::At(t) => Ok(Some(t.max(0) as u64)),
            Expiry::In(ms) => (now as i64)
                .checked_add(ms)
                .map(|t| Some(t as u64))
                .ok_or(()),
        }
    }
}

/// Condition on the key's existence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// Always write.
    Always,
    /// Only if absent (NX).
    IfAbsent,
    /// Only if present (XX).
    IfPresent,
}

/// How the reply is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`, or a null when the condition failed (SET).
    Ok,
    /// The old value (SET ... GET).
    Old,
    /// `:1` / `:0` (SETNX).
    Flag,
}

/// A parsed SET.
#[derive(Debug)]
pub struct Set {
    key: Bytes,
    value: Bytes,
    cond: Cond,
    expiry: Expiry,
    reply: Reply,
    /// Name for the expire-time error text.
    name: &'static str,
}

/// Parses an expire amount for `cmd` (`EX`-style: seconds if `seconds`), checking it the way
/// Redis does: a positive integer that does not overflow once in milliseconds.
pub fn expire_arg(arg: &[u8], seconds: bool, absolute: bool, cmd: &str) -> Result<Expiry, String> {
    let v = int(arg)?;
    let invalid = || format!("ERR invalid expire time in '{cmd}' command");
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if seconds { v * 1000 } else { v };
    if absolute {
        Ok(Expiry::At(ms))
    } else {
        // Relative times must not overflow when the current time is added.
        if ms > i64::MAX - kvs_storage::now_ms() as i64 {
            return Err(invalid());
        }
        Ok(Expiry::In(ms))
    }
}

pub fn parse_set(args: &[Bytes]) -> Result<Cmd, String> {
    // Redis' parseExtendedStringArgumentsOrReply: an option may repeat (the last amount wins);
    // only conflicting ones are a syntax error.
    let mut args = ArgCursor::new(args);
    let mut s = Set {
        key: args.next_bytes()?,
        value: args.next_bytes()?,
        cond: Cond::Always,
        expiry: Expiry::None,
        reply: Reply::Ok,
        name: "set",
    };
    let (mut nx, mut xx, mut keepttl) = (false, false, false);
    let mut timed: Option<(&str, &Bytes)> = None;
    while let Some(a) = args.next_opt() {
        let next = args.peek();
        let unit = ["EX", "PX", "EXAT", "PXAT"].into_iter().find(|u| is(a, u));
        if is(a, "NX") && !xx {
            nx = true;
        } else if is(a, "XX") && !nx {
            xx = true;
        } else if is(a, "GET") {
            s.reply = Reply::Old;
        } else if is(a, "KEEPTTL") && timed.is_none() {
            keepttl = true;
        } else if let (Some(u), Some(v)) = (unit, next) {
            if keepttl || timed.is_some_and(|(t, _)| t != u) {
                return Err(SYNTAX.into());
            }
            timed = Some((u, v));
            args.next_opt();
        } else {
            return Err(SYNTAX.into());
        }
    }
    s.cond = if nx {
        Cond::IfAbsent
    } else if xx {
        Cond::IfPresent
    } else {
        Cond::Always
    };
    if keepttl {
        s.expiry = Expiry::Keep;
    }
    if let Some((unit, v)) = timed {
        let seconds = unit == "EX" || unit == "EXAT";
        let absolute = unit == "EXAT" || unit == "PXAT";
        s.expiry = expire_arg(v, seconds, absolute, "set")?;
    }
    Ok(Cmd::from(s))
}

pub fn parse_setnx(args: &[Bytes]) -> Result<Cmd, String> {
    let mut args = ArgCursor::new(args);
    Ok(Cmd::from(Set {
        key: args.next_bytes()?,
        value: args.next_bytes()?,
        cond: Cond::IfAbsent,
        expiry: Expiry::None,
        reply: Reply::Flag,
        name: "setnx",
    }))
}

fn parse_timed(args: &[Bytes], seconds: bool, name: &'static str) -> Result<Cmd, String> {
    let mut args = ArgCursor::new(args);
    let key = args.next_bytes()?;
    let expiry = expire_arg(&args.next_bytes()?, seconds, false, name)?;
    Ok(Cmd::from(Set {
        key,
        value: args.next_bytes()?,
        cond: Cond::Always,
        expiry,
        reply: Reply::Ok,
        name,
    }))
}

pub fn parse_setex(args: &[Bytes]) -> Result<Cmd, String> {
    parse_timed(args, true, "setex")
}

pub fn parse_psetex(args: &[Bytes]) -> Result<Cmd, String> {
    parse_timed(args, false, "psetex")
}

impl StorageCommand for Set {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        exec(self, txn, proto, out)
    }
}

fn exec(
    s: &Set,
    txn: &mut dyn WriteDb,
    proto: Proto,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    // A plain SET needs nothing of the old value: skip the read (an index lookup and a record
    // read from the data file) unless a condition, GET or KEEPTTL looks at it.
    let needs_old = s.cond != Cond::Always || s.reply == Reply::Old || s.expiry == Expiry::Keep;
    // Looked up whatever it holds: NX, XX and KEEPTTL only ask whether the key exists and its
    // TTL, so a hash or a set there is no error (`setGenericCommand`: `lookupKeyWrite`); only
    // GET needs a string, checked first, as Redis' `getGenericCommand` does.
    let old = if needs_old { txn.lookup(&s.key)? } else { None };
    if s.reply == Reply::Old && matches!(old, Some(Stored::Collection(_))) {
        return Err(StorageError::WrongType);
    }
    let ok = match s.cond {
        Cond::Always => true,
        Cond::IfAbsent => old.is_none(),
        Cond::IfPresent => old.is_some(),
    };
    if ok {
        let now = txn.now_ms();
        let Ok(expire) = s
            .expiry
            .resolve(now, old.as_ref().and_then(Stored::expire_at_ms))
        else {
            encode::error(
                out,
                &format!("ERR invalid expire time in '{}' command", s.name),
            );
            return Ok(());
        };
        if expire.is_some_and(|t| t <= now) {
            // An absolute time in the past: the key is set and expires at once, as in Redis.
            txn.delete(&s.key)?;
        } else {
            txn.put(&s.key, &s.value, expire);
        }
        txn.notify(notify::STRING, "set", &s.key);
        if matches!(s.expiry, Expiry::In(_) | Expiry::At(_)) {
            txn.notify(notify::GENERIC, "expire", &s.key);
        }
    }
    match s.reply {
        Reply::Old => match old {
            Some(Stored::String(v)) => encode::bulk(out, &v.data),
            _ => encode::null(out, proto),
        },
        Reply::Flag => encode::integer(out, i64::from(ok)),
        Reply::Ok if ok => encode::simple(out, "OK"),
        Reply::Ok => encode::null(out, proto),
    }
    Ok(())
}
