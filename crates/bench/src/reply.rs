//! Counting RESP replies in a client's input buffer, without allocating.
//!
//! [`scan`] walks one complete reply at the front of a buffer, however nested (arrays, maps,
//! RESP3 types), keeping only a counter of the elements still to come: no stack, no allocation,
//! no copy. A bulk payload is skipped by its declared length, so a large value arriving in many
//! reads costs one header parse per read. [`decode`] builds a tree of one complete reply, for
//! `--verify` only.

use memchr::memchr;

/// What [`scan`] found at the front of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A complete reply occupies `..end`; `error` if it is an error reply (`-ERR ...`, or a
    /// RESP3 blob error `!`).
    Complete {
        /// Length of the reply in bytes.
        end: usize,
        /// The reply is an error.
        error: bool,
    },
    /// The buffer ends inside a reply: wait for more bytes.
    Incomplete,
    /// Not a RESP reply: the stream cannot be resynchronised.
    Invalid(&'static str),
}

/// Measures the reply at the front of `buf`.
pub fn scan(buf: &[u8]) -> Scan {
    let Some(&first) = buf.first() else {
        return Scan::Incomplete;
    };
    let error = first == b'-' || first == b'!';
    let mut pos = 0usize;
    // Elements still to read, counting the reply itself: an aggregate adds its length.
    let mut need: u64 = 1;
    while need > 0 {
        let (t, line, next) = match header(buf, pos) {
            Ok(h) => h,
            Err(s) => return s,
        };
        pos = next;
        need -= 1;
        match t {
            b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => {}
            b'$' | b'!' | b'=' => match parse_len(line) {
                Some(-1) if t == b'$' => {}
                Some(n) if n >= 0 => {
                    let Some(end) = usize::try_from(n).ok().and_then(|n| pos.checked_add(n + 2))
                    else {
                        return Scan::Invalid("bulk length out of range");
                    };
                    if buf.len() < end {
                        return Scan::Incomplete;
                    }
                    if buf.get(end - 2..end) != Some(b"\r\n") {
                        return Scan::Invalid("bulk payload not followed by CRLF");
                    }
                    pos = end;
                }
                _ => return Scan::Invalid("invalid bulk length"),
            },
            b'*' | b'~' | b'>' | b'%' | b'|' => match parse_len(line) {
                Some(-1) if t == b'*' => {}
                Some(n) if n >= 0 => {
                    let n = n as u64;
                    need = need.saturating_add(match t {
                        b'%' => n.saturating_mul(2),
                        // An attribute map comes before the reply it annotates.
                        b'|' => n.saturating_mul(2).saturating_add(1),
                        _ => n,
                    });
                }
                _ => return Scan::Invalid("invalid aggregate length"),
            },
            _ => return Scan::Invalid("unknown reply type byte"),
        }
    }
    Scan::Complete { end: pos, error }
}

/// The header line at `pos`: its type byte, its text (without CRLF) and where the next element
/// starts.
fn header(buf: &[u8], pos: usize) -> Result<(u8, &[u8], usize), Scan> {
    let Some(&t) = buf.get(pos) else {
        return Err(Scan::Incomplete);
    };
    let rest = buf.get(pos + 1..).unwrap_or_default();
    let Some(nl) = memchr(b'\n', rest) else {
        return Err(Scan::Incomplete);
    };
    if nl == 0 || rest.get(nl - 1) != Some(&b'\r') {
        return Err(Scan::Invalid("line not terminated by CRLF"));
    }
    Ok((t, rest.get(..nl - 1).unwrap_or_default(), pos + 1 + nl + 1))
}

/// A decimal length or integer: optional `-`, 1 to 19 digits.
fn parse_len(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if neg { -v } else { v })
}

/// The elements of an array reply, each a complete reply of its own, with whether it is an
/// error: how EXEC's reply to a `--multi` transaction is split into its requests' replies.
#[derive(Debug, Clone)]
pub struct Items<'a> {
    buf: &'a [u8],
    pos: usize,
    left: usize,
}

/// The elements of `reply`, a complete reply as [`scan`] delimits it; `None` if it is not an
/// array (`*<n>` with `n >= 0`).
pub fn array_items(reply: &[u8]) -> Option<Items<'_>> {
    let (t, line, pos) = header(reply, 0).ok()?;
    if t != b'*' {
        return None;
    }
    let left = usize::try_from(parse_len(line)?).ok()?;
    Some(Items {
        buf: reply,
        pos,
        left,
    })
}

impl Items<'_> {
    /// Elements not yet returned.
    pub fn len(&self) -> usize {
        self.left
    }

    /// No element left.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = (&'a [u8], bool);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let rest = self.buf.get(self.pos..)?;
        match scan(rest) {
            Scan::Complete { end, error } => {
                self.pos += end;
                self.left -= 1;
                Some((rest.get(..end)?, error))
            }
            // Not a complete array after all: stop.
            Scan::Incomplete | Scan::Invalid(_) => {
                self.left = 0;
                None
            }
        }
    }
}

/// One decoded reply (for `--verify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// `+text`
    Simple(&'a [u8]),
    /// `-text` (or a RESP3 blob error)
    Error(&'a [u8]),
    /// `:n`
    Int(i64),
    /// `$len payload`
    Bulk(&'a [u8]),
    /// `$-1`, `*-1`, `_`
    Nil,
    /// `*n` and the RESP3 aggregates, flattened (a map as key, value, key, value...).
    Array(Vec<Value<'a>>),
    /// Any other RESP3 scalar, by its text.
    Other(&'a [u8]),
}

/// Decodes the reply at the front of `buf`; `None` if it is incomplete or invalid, or nests
/// deeper than 32 levels.
pub fn decode(buf: &[u8]) -> Option<Value<'_>> {
    decode_at(buf, 0, 0).map(|(v, _)| v)
}

fn decode_at(buf: &[u8], pos: usize, depth: usize) -> Option<(Value<'_>, usize)> {
    if depth > 32 {
        return None;
    }
    let (t, line, mut pos) = header(buf, pos).ok()?;
    let v = match t {
        b'+' => Value::Simple(line),
        b'-' => Value::Error(line),
        b':' => Value::Int(parse_len(line)?),
        b'_' => Value::Nil,
        b',' | b'#' | b'(' => Value::Other(line),
        b'$' | b'!' | b'=' => {
            let n = parse_len(line)?;
            if n == -1 && t == b'$' {
                Value::Nil
            } else {
                let n = usize::try_from(n).ok()?;
                let payload = buf.get(pos..pos.checked_add(n)?)?;
                pos += n + 2;
                if buf.len() < pos {
                    return None;
                }
                match t {
                    b'$' => Value::Bulk(payload),
                    b'!' => Value::Error(payload),
                    _ => Value::Other(payload),
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = parse_len(line)?;
            if n == -1 && t == b'*' {
                Value::Nil
            } else {
                let n = usize::try_from(n).ok()?;
                let n = if t == b'%' { n.checked_mul(2)? } else { n };
                let mut items = Vec::with_capacity(n.min(1024));
                for _ in 0..n {
                    let (item, next) = decode_at(buf, pos, depth + 1)?;
                    items.push(item);
                    pos = next;
                }
                Value::Array(items)
            }
        }
        _ => return None,
    };
    Some((v, pos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(buf: &[u8]) -> (usize, bool) {
        match scan(buf) {
            Scan::Complete { end, error } => (end, error),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(buf)),
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(complete(b"+OK\r\n"), (5, false));
        assert_eq!(complete(b"-ERR no\r\n+OK\r\n"), (9, true));
        assert_eq!(complete(b":12\r\n"), (5, false));
        assert_eq!(complete(b"$3\r\nfoo\r\n"), (9, false));
        assert_eq!(complete(b"$-1\r\n"), (5, false));
        assert_eq!(complete(b"$0\r\n\r\n"), (6, false));
        assert_eq!(complete(b"_\r\n"), (3, false));
        assert_eq!(complete(b"!3\r\nerr\r\n"), (9, true));
    }

    #[test]
    fn aggregates() {
        let mget = b"*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n";
        assert_eq!(complete(mget), (mget.len(), false));
        let nested = b"*2\r\n*2\r\n:1\r\n:2\r\n%1\r\n+k\r\n+v\r\n";
        assert_eq!(complete(nested), (nested.len(), false));
        assert_eq!(complete(b"*0\r\n"), (4, false));
        assert_eq!(complete(b"*-1\r\n"), (5, false));
        let attr = b"|1\r\n+a\r\n+b\r\n:7\r\n";
        assert_eq!(complete(attr), (attr.len(), false));
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let all = b"*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n";
        for cut in 0..all.len() {
            assert_eq!(scan(&all[..cut]), Scan::Incomplete, "cut at {cut}");
        }
    }

    #[test]
    fn garbage_is_invalid() {
        assert!(matches!(scan(b"hello\r\n"), Scan::Invalid(_)));
        assert!(matches!(scan(b"+OK\n"), Scan::Invalid(_)));
        assert!(matches!(scan(b"$x\r\n"), Scan::Invalid(_)));
        assert!(matches!(scan(b"$3\r\nfooXY"), Scan::Invalid(_)));
        assert!(matches!(scan(b"*-5\r\n"), Scan::Invalid(_)));
    }

    #[test]
    fn array_items_split_an_exec_reply() {
        let exec = b"*3\r\n+OK\r\n-WRONGTYPE no\r\n*2\r\n$1\r\na\r\n$-1\r\n";
        let items = array_items(exec).expect("an array");
        assert_eq!(items.len(), 3);
        let got: Vec<(&[u8], bool)> = items.collect();
        assert_eq!(
            got,
            [
                (&b"+OK\r\n"[..], false),
                (&b"-WRONGTYPE no\r\n"[..], true),
                (&b"*2\r\n$1\r\na\r\n$-1\r\n"[..], false),
            ]
        );
        assert!(array_items(b"*0\r\n").expect("empty array").is_empty());
        assert!(array_items(b"*-1\r\n").is_none(), "nil: EXEC aborted");
        assert!(array_items(b"-EXECABORT Transaction discarded\r\n").is_none());
        assert!(array_items(b"+OK\r\n").is_none());
        // A truncated array stops early instead of inventing elements.
        assert_eq!(array_items(b"*2\r\n:1\r\n").expect("header").count(), 1);
    }

    #[test]
    fn decodes() {
        assert_eq!(decode(b"+PONG\r\n"), Some(Value::Simple(b"PONG")));
        assert_eq!(decode(b":-3\r\n"), Some(Value::Int(-3)));
        assert_eq!(
            decode(b"*2\r\n$1\r\na\r\n$-1\r\n"),
            Some(Value::Array(vec![Value::Bulk(b"a"), Value::Nil]))
        );
        assert_eq!(decode(b"*2\r\n$1\r\na\r\n"), None);
    }
}
