//! What the sorted-set commands share (storage-format §4.3.2): Redis' number and range syntax —
//! a score (`string2d`), a score range (`zslParseRange`: `(` for open, `-inf`/`+inf`), a member
//! range (`zslParseLexRange`: `[a`, `(a`, `-`, `+`) — the reply of scored members, and the
//! removal of members with its events.

use std::ops::Bound;

use bytes::{Bytes, BytesMut};
use kvs_storage::{CollectionMeta, StorageError};

use super::{WriteDb, collection};
use crate::notify;
use crate::resp::{Proto, encode};

/// Redis' texts.
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
pub const RANGE_NOT_FLOAT: &str = "ERR min or max is not a float";
pub const RANGE_NOT_STRING: &str = "ERR min or max not valid string range item";
pub const NAN_RESULT: &str = "ERR resulting score is not a number (NaN)";

/// `s` as C's `strtod` reads it, all of it (`None` if it stops early): decimal and
/// `inf`/`infinity`, optional sign, no NaN. Hexadecimal floats, which `strtod` also takes, are
/// refused (no client sends a score that way).
fn strtod_whole(s: &[u8]) -> Option<(f64, bool)> {
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let body = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if body.starts_with("0x") {
        return None;
    }
    let literal_inf = body == "inf" || body == "infinity";
    // Out of range: strtod's ERANGE, which Redis refuses (overflow; underflow to zero).
    let mantissa = body.split(['e']).next().unwrap_or("");
    let underflow = v == 0.0 && mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let overflow = v.is_infinite() && !literal_inf;
    Some((v, overflow || underflow))
}

/// A score argument (Redis' `getDoubleFromObject` / `string2d`): no leading space, nothing
/// after the number, not NaN, not out of range.
pub fn parse_score(arg: &[u8]) -> Option<f64> {
    if arg.first().is_none_or(u8::is_ascii_whitespace) {
        return None;
    }
    match strtod_whole(arg)? {
        (v, false) => Some(v),
        (_, true) => None,
    }
}

/// One end of a score range: `(x` open, `x` closed (Redis' `zslParseRange`, which lets
/// `strtod` skip leading space and takes an empty string as 0).
fn score_bound(arg: &[u8]) -> Option<Bound<f64>> {
    let (open, rest) = match arg.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, arg),
    };
    let trimmed = rest.trim_ascii_start();
    let v = if trimmed.is_empty() {
        0.0
    } else {
        strtod_whole(trimmed)?.0
    };
    Some(if open {
        Bound::Excluded(v)
    } else {
        Bound::Included(v)
    })
}

/// A score range `min max`, or [`RANGE_NOT_FLOAT`].
pub fn parse_score_range(min: &[u8], max: &[u8]) -> Result<(Bound<f64>, Bound<f64>), String> {
    match (score_bound(min), score_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(RANGE_NOT_FLOAT.into()),
    }
}

/// One end of a member range.
#[derive(Debug, Clone)]
pub enum LexBound {
    /// `-`: before every member.
    Min,
    /// `+`: after every member.
    Max,
    /// `[m` (closed) or `(m` (open).
    At(Bytes, bool),
}

fn lex_bound(arg: &Bytes) -> Option<LexBound> {
    match arg.first()? {
        b'+' if arg.len() == 1 => Some(LexBound::Max),
        b'-' if arg.len() == 1 => Some(LexBound::Min),
        b'[' => Some(LexBound::At(arg.slice(1..), false)),
        b'(' => Some(LexBound::At(arg.slice(1..), true)),
        _ => None,
    }
}

/// A member range `min max`, or [`RANGE_NOT_STRING`].
pub fn parse_lex_range(min: &Bytes, max: &Bytes) -> Result<(LexBound, LexBound), String> {
    match (lex_bound(min), lex_bound(max)) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(RANGE_NOT_STRING.into()),
    }
}

/// Whether `member` lies within the member range (Redis' `zslLexValueGteMin`/`LteMax`).
pub fn in_lex_range(member: &[u8], range: &(LexBound, LexBound)) -> bool {
    let above = match &range.0 {
        LexBound::Min => true,
        LexBound::Max => false,
        LexBound::At(m, open) => {
            if *open {
                member > &m[..]
            } else {
                member >= &m[..]
            }
        }
    };
    let below = match &range.1 {
        LexBound::Min => false,
        LexBound::Max => true,
        LexBound::At(m, open) => {
            if *open {
                member < &m[..]
            } else {
                member <= &m[..]
            }
        }
    };
    above && below
}

/// Whether the score range can hold anything (Redis answers an empty range early).
pub fn score_range_is_empty(range: &(Bound<f64>, Bound<f64>)) -> bool {
    let (lo, lo_open) = match range.0 {
        Bound::Included(v) => (v, false),
        Bound::Excluded(v) => (v, true),
        Bound::Unbounded => return false,
    };
    let (hi, hi_open) = match range.1 {
        Bound::Included(v) => (v, false),
        Bound::Excluded(v) => (v, true),
        Bound::Unbounded => return false,
    };
    lo > hi || (lo == hi && (lo_open || hi_open))
}

/// Removes `members` from sorted set `z` at `key`; if any was there, announces `event` and
/// deletes the key when none is left (announcing `del`) — what ZREM, ZREMRANGEBY* and the pops
/// share. How many were removed.
pub fn remove_members<'m>(
    txn: &mut dyn WriteDb,
    key: &[u8],
    z: &CollectionMeta,
    members: impl IntoIterator<Item = &'m [u8]>,
    event: &'static str,
) -> Result<usize, StorageError> {
    let zsets = txn.zsets()?;
    let removed = members
        .into_iter()
        .filter(|m| zsets.remove(key, z.id, m))
        .count();
    if removed > 0 {
        txn.notify(notify::ZSET, event, key);
        collection::delete_if_empty(txn, key, z)?;
    }
    Ok(removed)
}

/// A score, or the null of an absent member (ZSCORE, ZMSCORE, ZADD INCR).
pub fn encode_score(out: &mut BytesMut, score: Option<f64>, p: Proto) {
    match score {
        Some(s) => encode::double_g17(out, s, p),
        None => encode::null(out, p),
    }
}

/// Members with or without their scores, as ZRANGE and its family answer: an array of members;
/// with scores, RESP2 interleaves member and score, RESP3 nests `[member, score]` pairs.
pub fn encode_scored(out: &mut BytesMut, items: &[(Vec<u8>, f64)], withscores: bool, p: Proto) {
    if !withscores {
        encode::array_len(out, items.len());
        for (m, _) in items {
            encode::bulk(out, m);
        }
        return;
    }
    match p {
        Proto::Resp2 => {
            encode::array_len(out, items.len() * 2);
            for (m, s) in items {
                encode::bulk(out, m);
                encode::double_g17(out, *s, p);
            }
        }
        Proto::Resp3 => {
            encode::array_len(out, items.len());
            for (m, s) in items {
                encode::array_len(out, 2);
                encode::bulk(out, m);
                encode::double_g17(out, *s, p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_as_redis_string2d_does() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"1e3"), Some(1000.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"abc",
            b"1e400",
            b"1e-400",
            b"0x10",
        ] {
            assert_eq!(parse_score(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_score(b"1e-310").map(|v| v > 0.0), Some(true));
    }

    #[test]
    fn ranges_parse_as_redis_does() {
        use Bound::*;
        assert_eq!(
            parse_score_range(b"(1", b"+inf"),
            Ok((Excluded(1.0), Included(f64::INFINITY)))
        );
        assert_eq!(
            parse_score_range(b"", b" 2"),
            Ok((Included(0.0), Included(2.0)))
        );
        assert!(parse_score_range(b"x", b"1").is_err());
        assert!(score_range_is_empty(&(Excluded(1.0), Included(1.0))));
        let r = parse_lex_range(&Bytes::from_static(b"[b"), &Bytes::from_static(b"(d")).unwrap();
        assert!(in_lex_range(b"b", &r) && in_lex_range(b"c", &r) && !in_lex_range(b"d", &r));
        assert!(parse_lex_range(&Bytes::from_static(b"b"), &Bytes::from_static(b"+")).is_err());
    }
}
