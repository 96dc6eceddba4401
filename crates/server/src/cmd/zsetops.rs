//! The sorted-set algebra (t_zset.c `zunionInterDiffGenericCommand`): ZUNION, ZINTER and ZDIFF
//! numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] (ZDIFF takes
//! WITHSCORES only), ZINTERCARD numkeys key [key ...] [LIMIT limit], and ZUNIONSTORE,
//! ZINTERSTORE and ZDIFFSTORE destination numkeys key [key ...] [options].
//!
//! A plain set is an input too, each member scored 1; an absent key is empty; any other type
//! is WRONGTYPE. Redis checks `numkeys` first, then looks every key up, and only then parses
//! the options, so an option's error is kept from parsing and answered after the lookups.
//! Scores are weighted and aggregated as Redis does it, in the same order (inputs by size, for
//! the union and intersection): a sum of +inf and -inf is 0, and so is a NaN product. All run
//! on the writer, which alone keeps the sorted sets' orders, and sees every input at once.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionKind, StorageError, Stored};

use super::args::{NOT_INTEGER, SYNTAX, is, parse_i64};
use super::zrange::store;
use super::zset::{encode_scored, parse_score};
use super::{Cmd, StorageCommand, WriteDb, fail};
use crate::resp::{Proto, encode};
use crate::zset_ops::Scored;

/// Which operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    /// The first input less every other.
    Diff,
}

/// How the weighted scores of a member in several inputs combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis' `zunionInterAggregate`.
    fn apply(self, target: &mut f64, value: f64) {
        match self {
            Aggregate::Sum => {
                *target += value;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if value < *target {
                    *target = value;
                }
            }
            Aggregate::Max => {
                if value > *target {
                    *target = value;
                }
            }
        }
    }
}

/// The options after the keys.
#[derive(Debug)]
struct Options {
    /// One per key (all 1 by default).
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD: stop counting here (0: no limit).
    limit: usize,
}

/// ZUNION, ZINTER, ZDIFF, ZINTERCARD (`card`): a read.
#[derive(Debug)]
pub struct ZSetOp {
    op: Op,
    card: bool,
    keys: Vec<Bytes>,
    options: Result<Options, String>,
}

/// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: a write.
#[derive(Debug)]
pub struct ZSetOpStore {
    op: Op,
    dest: Bytes,
    keys: Vec<Bytes>,
    options: Result<Options, String>,
}

/// `numkeys key [key ...] [options]` from `args` (which start at `numkeys`), for the command
/// `name`: the keys, and the options or the error to answer after the lookups.
fn parse_keys_options(
    args: &[Bytes],
    name: &str,
    op: Op,
    store: bool,
    card: bool,
) -> Result<(Vec<Bytes>, Result<Options, String>), String> {
    let numkeys = parse_i64(args.first().ok_or(SYNTAX)?).ok_or(NOT_INTEGER)?;
    if numkeys < 1 {
        return Err(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let rest = &args[1..];
    if numkeys > rest.len() as i64 {
        return Err(SYNTAX.into());
    }
    let (keys, opts) = rest.split_at(numkeys as usize);
    Ok((
        keys.to_vec(),
        parse_options(opts, keys.len(), op, store, card),
    ))
}

/// The options loop of `zunionInterDiffGenericCommand`, option by option in its order.
fn parse_options(
    mut opts: &[Bytes],
    setnum: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<Options, String> {
    let mut o = Options {
        weights: vec![1.0; setnum],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && !card;
    while let [opt, tail @ ..] = opts {
        if algebra && tail.len() >= setnum && is(opt, "WEIGHTS") {
            for (w, arg) in o.weights.iter_mut().zip(tail) {
                *w = parse_score(arg).ok_or("ERR weight value is not a float")?;
            }
            opts = &tail[setnum..];
        } else if algebra && !tail.is_empty() && is(opt, "AGGREGATE") {
            let a = &tail[0];
            o.aggregate = if is(a, "SUM") {
                Aggregate::Sum
            } else if is(a, "MIN") {
                Aggregate::Min
            } else if is(a, "MAX") {
                Aggregate::Max
            } else {
                return Err(SYNTAX.into());
            };
            opts = &tail[1..];
        } else if !store && !card && is(opt, "WITHSCORES") {
            o.withscores = true;
            opts = tail;
        } else if card && !tail.is_empty() && is(opt, "LIMIT") {
            let limit = parse_i64(&tail[0])
                .filter(|&n| n >= 0)
                .ok_or("ERR LIMIT can't be negative")?;
            o.limit = usize::try_from(limit).unwrap_or(usize::MAX);
            opts = &tail[1..];
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(o)
}

fn parse_read(args: &[Bytes], op: Op, name: &str, card: bool) -> Result<Cmd, String> {
    let (keys, options) = parse_keys_options(&args[1..], name, op, false, card)?;
    Ok(ZSetOp {
        op,
        card,
        keys,
        options,
    }
    .into())
}

pub fn parse_zunion(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Union, "zunion", false)
}

pub fn parse_zinter(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Inter, "zinter", false)
}

pub fn parse_zdiff(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Diff, "zdiff", false)
}

pub fn parse_zintercard(args: &[Bytes]) -> Result<Cmd, String> {
    parse_read(args, Op::Inter, "zintercard", true)
}

fn parse_store(args: &[Bytes], op: Op, name: &str) -> Result<Cmd, String> {
    let dest = args.get(1).cloned().ok_or(SYNTAX)?;
    let (keys, options) = parse_keys_options(&args[2..], name, op, true, false)?;
    Ok(ZSetOpStore {
        op,
        dest,
        keys,
        options,
    }
    .into())
}

pub fn parse_zunionstore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_store(args, Op::Union, "zunionstore")
}

pub fn parse_zinterstore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_store(args, Op::Inter, "zinterstore")
}

pub fn parse_zdiffstore(args: &[Bytes]) -> Result<Cmd, String> {
    parse_store(args, Op::Diff, "zdiffstore")
}

impl StorageCommand for ZSetOp {
    const WRITES: bool = false;
    const ON_WRITER: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let inputs = look_up(txn, &self.keys)?;
        let options = self.options.as_ref().map_err(|e| fail(e))?;
        if self.card {
            let n = intersection(txn, &inputs, options, options.limit)?.len();
            encode::integer(out, n as i64);
        } else {
            let items = compute(txn, self.op, &inputs, options)?;
            encode_scored(out, &items, options.withscores, proto);
        }
        Ok(())
    }
}

impl StorageCommand for ZSetOpStore {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let inputs = look_up(txn, &self.keys)?;
        let options = self.options.as_ref().map_err(|e| fail(e))?;
        // Computed in full before the destination is touched: it may be one of the inputs.
        let items = compute(txn, self.op, &inputs, options)?;
        let event = match self.op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        store(txn, &self.dest, &items, event)?;
        encode::integer(out, items.len() as i64);
        Ok(())
    }
}

/// One input: which collection (none for an absent key), its weight's position, and its size.
#[derive(Debug, Clone, Copy)]
struct Input {
    /// `(id, is a sorted set)`.
    found: Option<(u64, bool)>,
    index: usize,
    len: usize,
}

/// Every key, in order, as Redis' `lookupKeyRead` (a hit or a miss each): a sorted set, a set,
/// or absent; WRONGTYPE for anything else.
fn look_up(txn: &mut dyn WriteDb, keys: &[Bytes]) -> Result<Vec<Input>, StorageError> {
    let mut inputs = Vec::with_capacity(keys.len());
    for (index, key) in keys.iter().enumerate() {
        let found = match txn.lookup(key)? {
            None => None,
            Some(Stored::Collection(m)) if m.kind == CollectionKind::SortedSet => {
                Some((m.id, true))
            }
            Some(Stored::Collection(m)) if m.kind == CollectionKind::Set => Some((m.id, false)),
            Some(_) => return Err(StorageError::WrongType),
        };
        txn.note_lookup(found.is_some());
        let len = found.map_or(0, |(id, _)| txn.element_count(id));
        inputs.push(Input { found, index, len });
    }
    Ok(inputs)
}

/// An input's members and scores (a set's scored 1), in its order.
fn members(txn: &mut dyn WriteDb, input: &Input) -> Result<Vec<Scored>, StorageError> {
    Ok(match input.found {
        None => Vec::new(),
        Some((id, true)) => txn.zsets()?.by_rank(id, 0, input.len, false),
        Some((id, false)) => txn.elements(id).into_iter().map(|m| (m, 1.0)).collect(),
    })
}

/// `member`'s score in an input (1 in a set), if there (Redis' `zuiFind`).
fn find(txn: &mut dyn WriteDb, input: &Input, member: &[u8]) -> Result<Option<f64>, StorageError> {
    Ok(match input.found {
        None => None,
        Some((id, true)) => txn.zsets()?.score(id, member),
        Some((id, false)) => txn.has_element(id, member)?.then_some(1.0),
    })
}

/// The result of `op`, in sorted-set order (score, then member).
fn compute(
    txn: &mut dyn WriteDb,
    op: Op,
    inputs: &[Input],
    options: &Options,
) -> Result<Vec<Scored>, StorageError> {
    let mut items = match op {
        Op::Inter => intersection(txn, inputs, options, 0)?,
        Op::Union => union(txn, inputs, options)?,
        Op::Diff => difference(txn, inputs)?,
    };
    // Not `total_cmp`, which puts -0 before 0: a sorted set holds them as one score.
    items.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(items)
}

/// The inputs smallest first, as Redis sorts them for the union and the intersection (the
/// order in which scores are summed).
fn by_size(inputs: &[Input]) -> Vec<Input> {
    let mut sorted = inputs.to_vec();
    sorted.sort_by_key(|i| i.len);
    sorted
}

/// The weighted score of a member of input `i` (a NaN product is 0).
fn weighted(options: &Options, input: &Input, score: f64) -> f64 {
    let w = score * options.weights[input.index];
    if w.is_nan() { 0.0 } else { w }
}

/// Members of every input, walking the smallest; stops after `limit` (0: none).
fn intersection(
    txn: &mut dyn WriteDb,
    inputs: &[Input],
    options: &Options,
    limit: usize,
) -> Result<Vec<Scored>, StorageError> {
    let sorted = by_size(inputs);
    let Some((first, others)) = sorted.split_first() else {
        return Ok(Vec::new());
    };
    if first.len == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    'members: for (member, raw) in members(txn, first)? {
        let mut score = weighted(options, first, raw);
        for other in others {
            // The same collection named twice: its score is the walked one.
            let value = if other.found == first.found {
                raw
            } else {
                match find(txn, other, &member)? {
                    Some(v) => v,
                    None => continue 'members,
                }
            };
            options
                .aggregate
                .apply(&mut score, value * options.weights[other.index]);
        }
        out.push((member, score));
        if limit > 0 && out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// Every member of any input, its weighted scores aggregated.
fn union(
    txn: &mut dyn WriteDb,
    inputs: &[Input],
    options: &Options,
) -> Result<Vec<Scored>, StorageError> {
    let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
    for input in by_size(inputs) {
        for (member, raw) in members(txn, &input)? {
            let score = weighted(options, &input, raw);
            match acc.get_mut(&member) {
                Some(total) => options.aggregate.apply(total, score),
                None => {
                    acc.insert(member, score);
                }
            }
        }
    }
    Ok(acc.into_iter().collect())
}

/// Members of the first input in no other, with their scores there (no weights).
fn difference(txn: &mut dyn WriteDb, inputs: &[Input]) -> Result<Vec<Scored>, StorageError> {
    let Some((first, others)) = inputs.split_first() else {
        return Ok(Vec::new());
    };
    if first.len == 0 || others.iter().any(|o| o.found == first.found) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    'members: for (member, score) in members(txn, first)? {
        for other in others {
            if find(txn, other, &member)?.is_some() {
                continue 'members;
            }
        }
        out.push((member, score));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<Bytes> {
        s.iter().map(|a| Bytes::from(a.to_string())).collect()
    }

    #[test]
    fn options_parse_in_redis_order() {
        let o = parse_options(
            &args(&["weights", "2", "3", "aggregate", "max"]),
            2,
            Op::Union,
            false,
            false,
        )
        .unwrap();
        assert_eq!(o.weights, vec![2.0, 3.0]);
        assert_eq!(o.aggregate, Aggregate::Max);
        // Too few weights: WEIGHTS is not recognised, a syntax error.
        assert_eq!(
            parse_options(&args(&["weights", "2"]), 2, Op::Union, false, false).unwrap_err(),
            SYNTAX
        );
        assert_eq!(
            parse_options(&args(&["weights", "x"]), 1, Op::Inter, false, false).unwrap_err(),
            "ERR weight value is not a float"
        );
        // ZDIFF takes no WEIGHTS; a STORE takes no WITHSCORES.
        assert!(parse_options(&args(&["weights", "1"]), 1, Op::Diff, false, false).is_err());
        assert!(parse_options(&args(&["withscores"]), 1, Op::Union, true, false).is_err());
        assert_eq!(
            parse_options(&args(&["limit", "-1"]), 1, Op::Inter, false, true).unwrap_err(),
            "ERR LIMIT can't be negative"
        );
    }

    #[test]
    fn sums_of_opposite_infinities_are_zero() {
        let mut t = f64::INFINITY;
        Aggregate::Sum.apply(&mut t, f64::NEG_INFINITY);
        assert_eq!(t, 0.0);
        let mut m = 1.0;
        Aggregate::Min.apply(&mut m, -2.0);
        Aggregate::Max.apply(&mut m, -3.0);
        assert_eq!(m, -2.0);
    }
}
