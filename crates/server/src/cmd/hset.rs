//! HSET key field value [field value ...], HMSET (the same, answering OK), HSETNX key field
//! value (only a field that is not there).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, wrong_arity};
use super::{Cmd, ElementReads, StorageCommand, WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

/// Which of the three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// HSET: replies the number of new fields.
    Hset,
    /// HMSET: replies OK.
    Hmset,
    /// HSETNX: sets one field only if it is new; replies 1 or 0.
    Hsetnx,
}

#[derive(Debug)]
pub struct HSet {
    key: Bytes,
    /// Field, value, field, value...
    pairs: Vec<Bytes>,
    mode: Mode,
}

fn parse_mode(args: &[Bytes], mode: Mode, name: &str) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let pairs = a.rest();
    // An odd count is an arity error Redis reports when the command runs (`hsetCommand`).
    if pairs.is_empty() || pairs.len() % 2 == 1 {
        return Err(wrong_arity(name));
    }
    Ok(HSet { key, pairs, mode }.into())
}

pub fn parse_hset(args: &[Bytes]) -> Result<Cmd, String> {
    parse_mode(args, Mode::Hset, "hset")
}

pub fn parse_hmset(args: &[Bytes]) -> Result<Cmd, String> {
    parse_mode(args, Mode::Hmset, "hmset")
}

pub fn parse_hsetnx(args: &[Bytes]) -> Result<Cmd, String> {
    parse_mode(args, Mode::Hsetnx, "hsetnx")
}

impl StorageCommand for HSet {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let h = collection::read_or_create(
            txn,
            &self.key,
            CollectionKind::Hash,
            self.pairs.iter().step_by(2).map(|f| &f[..]),
        )?;
        let (mut created, mut set_any) = (0, false);
        for pair in self.pairs.chunks_exact(2) {
            let (field, value) = (&pair[0], &pair[1]);
            if self.mode == Mode::Hsetnx && txn.has_element(h.id, field)? {
                continue;
            }
            created += i64::from(txn.put_element(&self.key, h.id, field, value)?);
            set_any = true;
        }
        // Redis: HSET and HMSET always notify; HSETNX only when it set the field.
        if set_any {
            txn.notify(notify::HASH, "hset", &self.key);
        }
        match self.mode {
            Mode::Hmset => encode::simple(out, "OK"),
            Mode::Hset | Mode::Hsetnx => encode::integer(out, created),
        }
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }

    fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        Some(ElementReads {
            key: &self.key,
            args: &self.pairs,
            step: 2,
            values: false,
        })
    }
}
