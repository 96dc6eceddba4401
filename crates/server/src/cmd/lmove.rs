//! LMOVE source destination LEFT|RIGHT LEFT|RIGHT and RPOPLPUSH source destination (LMOVE
//! RIGHT LEFT): pops an element from one end of `source` and pushes it at one end of
//! `destination`, in one atomic batch; the element, or nil if `source` is absent. The same key
//! on both sides rotates the list.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, SYNTAX, is};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::notify;
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct LMove {
    source: Bytes,
    destination: Bytes,
    /// Pop from the head (LEFT)?
    from_front: bool,
    /// Push at the head (LEFT)?
    to_front: bool,
}

/// LEFT (the head: `true`) or RIGHT; Redis' `getListPositionFromObjectOrReply`.
pub fn parse_side(arg: &Bytes) -> Result<bool, String> {
    if is(arg, "LEFT") {
        Ok(true)
    } else if is(arg, "RIGHT") {
        Ok(false)
    } else {
        Err(SYNTAX.into())
    }
}

pub fn parse_lmove(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let source = a.next_bytes()?;
    let destination = a.next_bytes()?;
    let from_front = parse_side(&a.next_bytes()?)?;
    let to_front = parse_side(&a.next_bytes()?)?;
    Ok(LMove {
        source,
        destination,
        from_front,
        to_front,
    }
    .into())
}

impl LMove {
    /// LMOVE `source` `destination` with the given sides (BLMOVE served, `bpop.rs`).
    pub fn new(source: Bytes, destination: Bytes, from_front: bool, to_front: bool) -> LMove {
        LMove {
            source,
            destination,
            from_front,
            to_front,
        }
    }
}

pub fn parse_rpoplpush(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    Ok(LMove {
        source: a.next_bytes()?,
        destination: a.next_bytes()?,
        from_front: false,
        to_front: true,
    }
    .into())
}

impl StorageCommand for LMove {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let Some(src) = collection::read_for_write(txn, &self.source, CollectionKind::List)? else {
            encode::null(out, proto);
            return Ok(());
        };
        // The destination's type is checked before anything moves (Redis' lmoveGenericCommand).
        let dst = collection::read_for_write(txn, &self.destination, CollectionKind::List)?;
        // A full destination refuses the move before the pop; a rotation adds nothing.
        if let Some(d) = dst
            && d.id != src.id
        {
            txn.ensure_room(Some(d.id), 1)?;
        }
        let Some(value) = txn.lists()?.pop(&self.source, src.id, self.from_front)? else {
            return Err(fail("ERR internal error: a list without elements"));
        };
        // A rotation (same key) pushes onto the list just popped, which may now be empty: it
        // must not be deleted in between, so the source is only deleted after the push.
        let dst = match dst {
            Some(d) => d,
            None => txn.create_collection(&self.destination, CollectionKind::List, None)?,
        };
        txn.lists()?
            .push(&self.destination, dst.id, self.to_front, &value)?;
        let pushed = if self.to_front { "lpush" } else { "rpush" };
        txn.notify(notify::LIST, pushed, &self.destination);
        let popped = if self.from_front { "lpop" } else { "rpop" };
        txn.notify(notify::LIST, popped, &self.source);
        collection::delete_if_empty(txn, &self.source, &src)?;
        encode::bulk(out, &value);
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.source)
    }
}
