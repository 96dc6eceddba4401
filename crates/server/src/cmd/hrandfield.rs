//! HRANDFIELD key [count [WITHVALUES]]: random fields of a hash (t_hash.c, `hrandfieldCommand`
//! and `hrandfieldWithCountCommand`), on the writer, which alone keeps each hash's field list;
//! and ZRANDMEMBER key [count [WITHSCORES]] (t_zset.c `zrandmemberCommand`, the same checks and
//! cases), for a sorted set's members and scores.
//!
//! Without a count: one field, or null. With a count `n`: `n >= 0` picks `min(n, size)`
//! distinct fields (the whole hash when `n >= size`), `n < 0` draws `|n|` fields with repeats.
//! WITHVALUES follows each field with its value: a flat array in RESP2, an array of
//! `[field, value]` pairs in RESP3 (Redis answers `addReplyArrayLen(c, 2)` per pair there).
//! A score is a double (RESP3 `,`).

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

/// A parsed HRANDFIELD or ZRANDMEMBER.
#[derive(Debug)]
pub struct HRandField {
    /// A hash, or a sorted set (ZRANDMEMBER).
    kind: CollectionKind,
    key: Bytes,
    /// `None`: the form without a count (one bulk field, or null).
    count: Option<i64>,
    with_values: bool,
}

/// HRANDFIELD.
pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    parse_random(args, CollectionKind::Hash, "WITHVALUES")
}

/// ZRANDMEMBER.
pub fn parse_zrandmember(args: &[Bytes]) -> Result<Cmd, String> {
    parse_random(args, CollectionKind::SortedSet, "WITHSCORES")
}

/// Checks in `hrandfieldCommand`'s order, all before the key is looked up: the count's range,
/// then the syntax, then WITHVALUES' tighter range (which keeps `2 * |count|` from overflowing).
fn parse_random(args: &[Bytes], kind: CollectionKind, with_word: &str) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let Some(count) = a.next_opt() else {
        return Ok(HRandField {
            kind,
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
        [w] if is(w, with_word) => true,
        _ => return Err(SYNTAX.into()),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err("ERR value is out of range".into());
    }
    Ok(HRandField {
        kind,
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
        let h = collection::read(txn, &self.key, self.kind)?;
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
        let too_large = || match self.kind {
            CollectionKind::SortedSet => draw::too_large("ZRANDMEMBER", "members"),
            _ => draw::too_large("HRANDFIELD", "fields"),
        };
        if capped && picks.len().saturating_mul(MIN_PICK_BYTES) > MAX_REPLY_BYTES {
            return Err(too_large());
        }
        let mut fields = Fields::new(txn, &h, picks.len(), proto);
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
                return Err(too_large());
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
    kind: CollectionKind,
    proto: Proto,
    /// The field list, when copied.
    list: Option<Vec<Vec<u8>>>,
    /// Values read so far, encoded, by position (with `list` only).
    values: Vec<Option<Vec<u8>>>,
}

impl Fields {
    fn new(txn: &mut dyn WriteDb, h: &CollectionMeta, picks: usize, proto: Proto) -> Fields {
        let list = (picks > SINGLE_READS).then(|| txn.elements(h.id));
        let values = list.as_ref().map_or(0, Vec::len);
        Fields {
            id: h.id,
            kind: h.kind,
            proto,
            list,
            values: vec![None; values],
        }
    }

    /// Appends the reply of `field`'s value: a hash's value from its record (empty if it
    /// vanished, which the writer's single thread rules out), a sorted-set member's score.
    fn encode_value(
        &self,
        txn: &mut dyn WriteDb,
        field: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        let mut buf = BytesMut::new();
        if self.kind == CollectionKind::SortedSet {
            let score = txn.zsets()?.score(self.id, field).unwrap_or_default();
            encode::double_g17(&mut buf, score, self.proto);
        } else {
            encode::bulk(&mut buf, &txn.element(self.id, field)?.unwrap_or_default());
        }
        out.extend_from_slice(&buf);
        Ok(())
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
        let moved = || fail("ERR internal error: a collection's element list changed mid-read");
        let Some(list) = &self.list else {
            let field = txn.element_at(self.id, i).ok_or_else(moved)?;
            encode::bulk(out, &field);
            if with_values {
                let mut value = Vec::new();
                self.encode_value(txn, &field, &mut value)?;
                out.extend_from_slice(&value);
            }
            return Ok(());
        };
        let field = list.get(i).ok_or_else(moved)?;
        encode::bulk(out, field);
        if with_values {
            let cached = self.values.get(i).ok_or_else(moved)?;
            let value = match cached {
                Some(v) => v.clone(),
                None => {
                    let mut v = Vec::new();
                    self.encode_value(txn, field, &mut v)?;
                    v
                }
            };
            out.extend_from_slice(&value);
            self.values[i] = Some(value);
        }
        Ok(())
    }
}
