//! SRANDMEMBER key [count]: random members, the set unchanged (t_set.c `srandmemberCommand`,
//! `srandmemberWithCountCommand`). Without a count: one member, nil if the key is absent. With
//! a count ≥ 0: an array of `min(count, size)` distinct members; with a negative count: an array
//! of exactly `-count` independent draws (repeats allowed). Arrays in RESP3 too, as Redis sends
//! them. On the writer: a draw by position needs its member list.

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError};

use super::args::{ArgCursor, NOT_INTEGER, SYNTAX, parse_i64};
use super::{Cmd, StorageCommand, WriteDb, collection, draw};
use crate::resp::{Proto, encode};

/// Redis' text for `LONG_MIN` (`getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`): its
/// negation, the number of draws, would not fit.
const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

#[derive(Debug)]
pub struct SRandMember {
    key: Bytes,
    /// `None`: the one-member form.
    count: Option<i64>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let count = match a.next_opt() {
        None => None,
        Some(c) => {
            if a.next_opt().is_some() {
                return Err(SYNTAX.into());
            }
            // Checked before the key is looked up, as Redis does.
            let n = parse_i64(c).ok_or(NOT_INTEGER)?;
            if n == i64::MIN {
                return Err(COUNT_RANGE.into());
            }
            Some(n)
        }
    };
    Ok(SRandMember { key, count }.into())
}

impl StorageCommand for SRandMember {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let s = collection::read(txn, &self.key, CollectionKind::Set)?;
        let Some(count) = self.count else {
            let member = s.and_then(|s| {
                let size = txn.element_count(s.id);
                draw::distinct(txn, s.id, size, 1).pop()
            });
            match member {
                Some(m) => encode::bulk(out, &m),
                None => encode::null(out, proto),
            }
            return Ok(());
        };
        let Some(s) = s else {
            encode::array_len(out, 0);
            return Ok(());
        };
        let size = txn.element_count(s.id);
        if count >= 0 {
            let members = draw::distinct(txn, s.id, size, count as usize);
            encode::array_len(out, members.len());
            for m in &members {
                encode::bulk(out, m);
            }
        } else {
            // The length goes first, so the draws are encoded aside and counted; a reply that
            // would pass the cap is refused (as HRANDFIELD's), before or while it is built.
            let draws = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            if draws.saturating_mul(draw::MIN_PICK_BYTES) > draw::MAX_REPLY_BYTES {
                return Err(draw::too_large("SRANDMEMBER", "members"));
            }
            let mut body = BytesMut::new();
            let mut n = 0;
            draw::with_repeats(txn, s.id, size, draws, |m| {
                encode::bulk(&mut body, m);
                n += 1;
                body.len() <= draw::MAX_REPLY_BYTES
            });
            if body.len() > draw::MAX_REPLY_BYTES {
                return Err(draw::too_large("SRANDMEMBER", "members"));
            }
            encode::array_len(out, n);
            out.extend_from_slice(&body);
        }
        Ok(())
    }
}
