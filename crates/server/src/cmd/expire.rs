//! EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT], and PERSIST key.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::args::{int, is};
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

/// A parsed expire-family command.
#[derive(Debug)]
pub struct Expire {
    key: Bytes,
    /// Absolute expiry in Unix ms, or relative ms; `None` for PERSIST.
    when: Option<When>,
    cond: Cond,
    name: &'static str,
}

#[derive(Debug, Clone, Copy)]
enum When {
    In(i64),
    At(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    Nx,
    Xx,
    Gt,
    /// LT; with XX the key must also have a TTL already.
    Lt {
        xx: bool,
    },
}

fn parse(args: &[Bytes], seconds: bool, absolute: bool, name: &'static str) -> Result<Cmd, String> {
    let mut args = ArgCursor::new(args);
    let key = args.next_bytes()?;
    let time = args.next_bytes()?;
    // Redis checks the options before the time (expireGenericCommand: the flags, then
    // getLongLongFromObjectOrReply): `EXPIRE k abc FOO` is an unsupported option, not a bad
    // integer.
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for a in args.remaining() {
        if is(a, "NX") {
            nx = true;
        } else if is(a, "XX") {
            xx = true;
        } else if is(a, "GT") {
            gt = true;
        } else if is(a, "LT") {
            lt = true;
        } else {
            return Err(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(a)
            ));
        }
    }
    if nx && (xx || gt || lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    let v = int(&time)?;
    let invalid = || format!("ERR invalid expire time in '{name}' command");
    let ms = if seconds {
        v.checked_mul(1000).ok_or_else(invalid)?
    } else {
        v
    };
    let when = if absolute {
        When::At(ms)
    } else {
        (kvs_storage::now_ms() as i64)
            .checked_add(ms)
            .ok_or_else(invalid)?;
        When::In(ms)
    };
    let cond = if nx {
        Cond::Nx
    } else if gt {
        Cond::Gt
    } else if lt {
        Cond::Lt { xx }
    } else if xx {
        Cond::Xx
    } else {
        Cond::Always
    };
    // XX with GT adds nothing: GT already fails for a key without TTL (an infinite TTL).
    Ok(Cmd::from(Expire {
        key,
        when: Some(when),
        cond,
        name,
    }))
}

pub fn parse_expire(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true, false, "expire")
}
pub fn parse_pexpire(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false, false, "pexpire")
}
pub fn parse_expireat(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, true, true, "expireat")
}
pub fn parse_pexpireat(args: &[Bytes]) -> Result<Cmd, String> {
    parse(args, false, true, "pexpireat")
}
pub fn parse_persist(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::from(Expire {
        key: ArgCursor::new(args).next_bytes()?,
        when: None,
        cond: Cond::Always,
        name: "persist",
    }))
}

impl StorageCommand for Expire {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        exec(self, txn, out)
    }
}

fn exec(e: &Expire, txn: &mut dyn WriteDb, out: &mut BytesMut) -> Result<(), StorageError> {
    // Any type: a collection's expiry is its metadata record's (one record, whatever its size).
    let Some(stored) = txn.lookup(&e.key)? else {
        encode::integer(out, 0);
        return Ok(());
    };
    let expire_at_ms = stored.expire_at_ms();
    let now = txn.now_ms() as i64;
    let Some(when) = e.when else {
        // PERSIST
        if expire_at_ms.is_some() {
            txn.set_expiry(&e.key, None)?;
            txn.notify(notify::GENERIC, "persist", &e.key);
            encode::integer(out, 1);
        } else {
            encode::integer(out, 0);
        }
        return Ok(());
    };
    let at = match when {
        When::At(t) => t,
        When::In(ms) => match now.checked_add(ms) {
            Some(t) => t,
            None => {
                encode::error(
                    out,
                    &format!("ERR invalid expire time in '{}' command", e.name),
                );
                return Ok(());
            }
        },
    };
    // A key without TTL counts as an infinite TTL for GT and LT.
    let current = expire_at_ms.map(|t| t as i64);
    let ok = match e.cond {
        Cond::Always => true,
        Cond::Nx => current.is_none(),
        Cond::Xx => current.is_some(),
        Cond::Gt => current.is_some_and(|c| at > c),
        Cond::Lt { xx } => match current {
            Some(c) => at < c,
            None => !xx,
        },
    };
    if !ok {
        encode::integer(out, 0);
        return Ok(());
    }
    if at <= now {
        txn.delete(&e.key)?;
        txn.notify(notify::GENERIC, "del", &e.key);
    } else {
        txn.set_expiry(&e.key, Some(at as u64))?;
        txn.notify(notify::GENERIC, "expire", &e.key);
    }
    encode::integer(out, 1);
    Ok(())
}
