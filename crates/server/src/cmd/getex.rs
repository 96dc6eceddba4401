//! GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: get, and change the TTL.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::{ArgCursor, SYNTAX, is};
use super::set::{Expiry, expire_arg};
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

/// A parsed GETEX. The option *structure* is checked at parse time (a syntax error whatever
/// the key), the amount only once the key is found: Redis answers a null for a missing key even
/// with `EX 0` (t_string.c, getexCommand).
#[derive(Debug)]
pub struct GetEx {
    key: Bytes,
    change: Change,
}

#[derive(Debug)]
enum Change {
    Keep,
    Persist,
    /// (unit, amount as written)
    Timed(&'static str, Bytes),
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut args = ArgCursor::new(args);
    let key = args.next_bytes()?;
    let mut change = Change::Keep;
    while let Some(a) = args.next_opt() {
        let unit = ["EX", "PX", "EXAT", "PXAT"].into_iter().find(|u| is(a, u));
        match (unit, args.peek(), &change) {
            (None, _, Change::Keep | Change::Persist) if is(a, "PERSIST") => {
                change = Change::Persist
            }
            (Some(u), Some(v), Change::Keep) => {
                change = Change::Timed(u, v.clone());
                args.next_opt();
            }
            (Some(u), Some(v), Change::Timed(prev, _)) if *prev == u => {
                change = Change::Timed(u, v.clone());
                args.next_opt();
            }
            _ => return Err(SYNTAX.into()),
        }
    }
    Ok(Cmd::from(GetEx { key, change }))
}

/// The TTL change asked for; `None` leaves the TTL alone.
fn resolve(change: &Change) -> Result<Option<Expiry>, String> {
    Ok(match change {
        Change::Keep => None,
        Change::Persist => Some(Expiry::None),
        Change::Timed(unit, v) => {
            let seconds = *unit == "EX" || *unit == "EXAT";
            let absolute = *unit == "EXAT" || *unit == "PXAT";
            Some(expire_arg(v, seconds, absolute, "getex")?)
        }
    })
}

impl StorageCommand for GetEx {
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
    g: &GetEx,
    txn: &mut dyn WriteDb,
    proto: Proto,
    out: &mut BytesMut,
) -> Result<(), StorageError> {
    let v = txn.get(&g.key)?;
    txn.note_lookup(v.is_some());
    let Some(v) = v else {
        encode::null(out, proto);
        return Ok(());
    };
    let expiry = match resolve(&g.change) {
        Ok(e) => e,
        Err(msg) => {
            encode::error(out, &msg);
            return Ok(());
        }
    };
    if let Some(expiry) = expiry {
        let now = txn.now_ms();
        match expiry.resolve(now, v.expire_at_ms) {
            Err(()) => {
                encode::error(out, "ERR invalid expire time in 'getex' command");
                return Ok(());
            }
            Ok(Some(t)) if t <= now => {
                txn.delete(&g.key)?;
                txn.notify(notify::GENERIC, "del", &g.key);
            }
            Ok(t) => {
                if t != v.expire_at_ms {
                    txn.put(&g.key, &v.data, t);
                }
                // Redis: `expire` for any new TTL, `persist` only if there was one to remove.
                if t.is_some() {
                    txn.notify(notify::GENERIC, "expire", &g.key);
                } else if v.expire_at_ms.is_some() {
                    txn.notify(notify::GENERIC, "persist", &g.key);
                }
            }
        }
    }
    encode::bulk(out, &v.data);
    Ok(())
}
