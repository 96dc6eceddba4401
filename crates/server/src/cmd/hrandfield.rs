//! HRANDFIELD key [count [WITHVALUES]]: random fields of a hash (t_hash.c, `hrandfieldCommand`
//! and `hrandfieldWithCountCommand`), on the writer, which alone keeps each hash's field list.
//!
//! Without a count: one field, or null. With a count `n`: `n >= 0` picks `min(n, size)`
//! distinct fields (the whole hash when `n >= size`), `n < 0` draws `|n|` fields with repeats.
//! WITHVALUES follows each field with its value: a flat array in RESP2, an array of
//! `[field, value]` pairs in RESP3 (Redis answers `addReplyArrayLen(c, 2)` per pair there).

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, CollectionMeta, StorageError};
use rand::Rng;
use rand::seq::index;

use super::args::{ArgCursor, SYNTAX, int, is};
use super::draw::{self, MAX_REPLY_BYTES, MIN_PICK_BYTES};
use super::{Cmd, StorageCommand, WriteDb, collection, fail};
use crate::resp::{Proto, encode};

/// Redis' `getRangeLongFromObjectOrReply(c, argv[2], -LONG_MAX, LONG_MAX, ...)` text for
/// `LONG_MIN`, the one integer outside that range.
const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// Up to this many picks read their fields one at a time (`WriteDb::element_at`); more read the
/// field list once. `element_at` is O(1) on a hash the current batch has not written, but walks
/// the whole list when it has, so many single reads could cost O(size) each.
const SINGLE_READS: usize = 64;

/// A parsed HRANDFIELD.
#[derive(Debug)]
pub struct HRandField {
    key: Bytes,
    /// `None`: the form without a count (one bulk field, or null).
    count: Option<i64>,
    with_values: bool,
}

/// Checks in `hrandfieldCommand`'s order, all before the key is looked up: the count's range,
/// then the syntax, then WITHVALUES' tighter range (which keeps `2 * |count|` from overflowing).
pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let Some(count) = a.next_opt() else {
        return Ok(HRandField {
            key,
            count: None,
            with_values: false,
        }
        .into());
    };
    let count = int(count)?;
    if count == i64::MIN {
        return Err(COUNT_RANGE.into());
    }
    let with_values = match a.remaining() {
        [] => false,
        [w] if is(w, "WITHVALUES") => true,
        _ => return Err(SYNTAX.into()),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err("ERR value is out of range".into());
    }
    Ok(HRandField {
        key,
        count: Some(count),
        with_values,
    }
    .into())
}

impl StorageCommand for HRandField {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let h = collection::read(txn, &self.key, CollectionKind::Hash)?;
        let Some(count) = self.count else {
            // The form without a count: one field, or the null of a missing key.
            let field = match h {
                Some(h) => {
                    let size = txn.element_count(h.id);
                    let i = rand::rng().random_range(0..size.max(1));
                    txn.element_at(h.id, i)
                }
                None => None,
            };
            match field {
                Some(f) => encode::bulk(out, &f),
                None => encode::null(out, proto),
            }
            return Ok(());
        };
        // A missing key and a count of 0 both answer the empty array, in RESP3 too.
        let Some(h) = h.filter(|_| count != 0) else {
            encode::array_len(out, 0);
            return Ok(());
        };
        let size = txn.element_count(h.id);
        let picks = Picks::choose(count, size);
        // Only draws with repeats are capped: distinct picks are at most the hash, as HGETALL.
        let capped = matches!(picks, Picks::Repeats { .. });
        if capped && picks.len().saturating_mul(MIN_PICK_BYTES) > MAX_REPLY_BYTES {
            return Err(draw::too_large("HRANDFIELD", "fields"));
        }
        let mut fields = Fields::new(txn, &h, picks.len());
        let pairs = self.with_values && proto == Proto::Resp3;
        let start = out.len();
        encode::array_len(
            out,
            picks.len() * if self.with_values && !pairs { 2 } else { 1 },
        );
        // The header is out: a failure part way drops the partial reply for the error alone.
        let result = picks.indices().try_for_each(|i| {
            if pairs {
                encode::array_len(out, 2);
            }
            fields.reply(txn, i, self.with_values, out)?;
            if capped && out.len() - start > MAX_REPLY_BYTES {
                return Err(draw::too_large("HRANDFIELD", "fields"));
            }
            Ok(())
        });
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

/// Which positions of the field list to reply, in reply order.
enum Picks {
    /// All of them, in list order (`count >= size`: Redis' CASE 2, the whole hash).
    All(usize),
    /// Distinct positions, in random order (Redis' CASE 3 and 4).
    Distinct(Vec<usize>),
    /// `n` independent draws among `size` positions, repeats allowed (a negative count:
    /// Redis' CASE 1).
    Repeats { n: usize, size: usize },
}

impl Picks {
    fn choose(count: i64, size: usize) -> Picks {
        if count < 0 {
            let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            return Picks::Repeats { n, size };
        }
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        if n >= size {
            Picks::All(size)
        } else {
            Picks::Distinct(index::sample(&mut rand::rng(), size, n).into_vec())
        }
    }

    fn len(&self) -> usize {
        match self {
            Picks::All(n) | Picks::Repeats { n, .. } => *n,
            Picks::Distinct(v) => v.len(),
        }
    }

    fn indices(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match self {
            Picks::All(n) => Box::new(0..*n),
            Picks::Distinct(v) => Box::new(v.iter().copied()),
            Picks::Repeats { n, size } => {
                let mut rng = rand::rng();
                let size = (*size).max(1);
                Box::new((0..*n).map(move |_| rng.random_range(0..size)))
            }
        }
    }
}

/// The fields (and values) at the picked positions: read one at a time for a few picks, else
/// from one copy of the field list, with each value read once however often it is drawn.
struct Fields {
    id: u64,
    /// The field list, when copied.
    list: Option<Vec<Vec<u8>>>,
    /// Values read so far, by position (with `list` only).
    values: Vec<Option<Vec<u8>>>,
}

impl Fields {
    fn new(txn: &mut dyn WriteDb, h: &CollectionMeta, picks: usize) -> Fields {
        let list = (picks > SINGLE_READS).then(|| txn.elements(h.id));
        let values = list.as_ref().map_or(0, Vec::len);
        Fields {
            id: h.id,
            list,
            values: vec![None; values],
        }
    }

    /// Appends the field at position `i`, and its value if `with_values`. A field listed is
    /// there, and its value is read from its record (empty if it vanished, which the writer's
    /// single thread rules out, as it rules out a position past the list).
    fn reply(
        &mut self,
        txn: &mut dyn WriteDb,
        i: usize,
        with_values: bool,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let moved = || fail("ERR internal error: a hash's field list changed mid-read");
        let Fields { id, list, values } = self;
        let Some(list) = list else {
            let field = txn.element_at(*id, i).ok_or_else(moved)?;
            encode::bulk(out, &field);
            if with_values {
                encode::bulk(out, &txn.element(*id, &field)?.unwrap_or_default());
            }
            return Ok(());
        };
        let field = list.get(i).ok_or_else(moved)?;
        encode::bulk(out, field);
        if with_values {
            let slot = values.get_mut(i).ok_or_else(moved)?;
            if slot.is_none() {
                *slot = Some(txn.element(*id, field)?.unwrap_or_default());
            }
            encode::bulk(out, slot.as_deref().unwrap_or_default());
        }
        Ok(())
    }
}
