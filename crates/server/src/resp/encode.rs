//! The reply encoder: free functions that append one RESP value (or an aggregate's header) to an
//! output buffer.
//!
//! Aggregates are written header first, then their elements by further calls, as Redis'
//! `addReply*Len` functions do, so a reply never has to be built as a tree:
//!
//! ```
//! use bytes::BytesMut;
//! use kvs_server::resp::{Proto, encode};
//!
//! let mut out = BytesMut::new();
//! encode::map_len(&mut out, 1, Proto::Resp3);
//! encode::bulk(&mut out, b"proto");
//! encode::integer(&mut out, 3);
//! assert_eq!(&out[..], b"%1\r\n$5\r\nproto\r\n:3\r\n");
//! ```
//!
//! Functions whose encoding depends on the protocol take a [`Proto`]; in RESP2 they fall back
//! exactly as Redis does (`src/networking.c`): null → `$-1`, null array → `*-1`, map → flat array
//! of twice the length, set → array, double → bulk string, boolean → integer `1`/`0`,
//! verbatim string and big number → bulk string.
//!
//! Integers are formatted with `itoa` (no `fmt` machinery, no allocation): these run once or
//! more per reply.

use bytes::{BufMut, BytesMut};

/// The protocol version a connection speaks: RESP2 until `HELLO 3`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Proto {
    /// RESP2, the default for every new connection.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

/// A simple string: `+OK\r\n`. CR and LF in `s` are replaced by spaces, since they would end the
/// line early and desynchronize the client.
pub fn simple(out: &mut BytesMut, s: &str) {
    line(out, b'+', s.as_bytes());
}

/// An error: `-ERR message\r\n`. `msg` starts with the error code: `"ERR syntax error"`,
/// `"WRONGTYPE Operation against a key holding the wrong kind of value"`, `"NOAUTH ..."`. A
/// leading `-` in `msg` is tolerated (Redis' `addReplyError` convention for "code given"). CR
/// and LF are replaced by spaces, as `addReplyErrorFormat` does.
pub fn error(out: &mut BytesMut, msg: &str) {
    let msg = msg.strip_prefix('-').unwrap_or(msg);
    line(out, b'-', msg.as_bytes());
}

/// An error line from raw bytes (a message that echoes client bytes, not always UTF-8); the
/// caller keeps CR and LF out of it.
pub fn error_bytes(out: &mut BytesMut, msg: &[u8]) {
    line(out, b'-', msg);
}

/// An integer: `:42\r\n`.
pub fn integer(out: &mut BytesMut, n: i64) {
    header(out, b':', n);
}

/// A bulk string: `$5\r\nhello\r\n`.
pub fn bulk(out: &mut BytesMut, b: &[u8]) {
    let mut digits = itoa::Buffer::new();
    let len = digits.format(b.len()).as_bytes();
    out.reserve(1 + len.len() + 2 + b.len() + 2);
    out.put_u8(b'$');
    out.put_slice(len);
    out.put_slice(b"\r\n");
    out.put_slice(b);
    out.put_slice(b"\r\n");
}

/// The null of a missing value (`GET` of a missing key): `$-1\r\n` in RESP2, `_\r\n` in RESP3.
pub fn null(out: &mut BytesMut, p: Proto) {
    out.put_slice(match p {
        Proto::Resp2 => b"$-1\r\n",
        Proto::Resp3 => b"_\r\n",
    });
}

/// The null of a missing aggregate (e.g. a timed-out `BLPOP`, an aborted `EXEC`): `*-1\r\n` in
/// RESP2, `_\r\n` in RESP3.
pub fn null_array(out: &mut BytesMut, p: Proto) {
    out.put_slice(match p {
        Proto::Resp2 => b"*-1\r\n",
        Proto::Resp3 => b"_\r\n",
    });
}

/// The header of an array of `n` elements: `*n\r\n`. The elements follow.
pub fn array_len(out: &mut BytesMut, n: usize) {
    header(out, b'*', n);
}

/// The header of a map of `n` key-value pairs: `%n\r\n` in RESP3, `*2n\r\n` (a flat array of
/// keys and values) in RESP2. The `2n` elements follow, key, value, key, value...
pub fn map_len(out: &mut BytesMut, n: usize, p: Proto) {
    match p {
        Proto::Resp2 => header(out, b'*', n.saturating_mul(2)),
        Proto::Resp3 => header(out, b'%', n),
    }
}

/// The header of a set of `n` elements: `~n\r\n` in RESP3, `*n\r\n` in RESP2.
pub fn set_len(out: &mut BytesMut, n: usize, p: Proto) {
    match p {
        Proto::Resp2 => header(out, b'*', n),
        Proto::Resp3 => header(out, b'~', n),
    }
}

/// The header of an out-of-band push message of `n` elements (pub/sub, client tracking):
/// `>n\r\n` in RESP3, `*n\r\n` in RESP2.
pub fn push_len(out: &mut BytesMut, n: usize, p: Proto) {
    match p {
        Proto::Resp2 => header(out, b'*', n),
        Proto::Resp3 => header(out, b'>', n),
    }
}

/// A double: `,1.5\r\n` in RESP3, the bulk string `$3\r\n1.5\r\n` in RESP2 (what `INCRBYFLOAT`,
/// `ZSCORE` return). Formatted like Redis' `d2string`: see [`format_double`].
pub fn double(out: &mut BytesMut, d: f64, p: Proto) {
    let mut buf = DoubleBuf::new();
    let s = format_double(d, &mut buf);
    match p {
        Proto::Resp2 => bulk(out, s),
        Proto::Resp3 => {
            out.reserve(s.len() + 3);
            out.put_u8(b',');
            out.put_slice(s);
            out.put_slice(b"\r\n");
        }
    }
}

/// A double as Redis 7.0's `addReplyDouble` sends it (sorted-set scores: ZSCORE, ZINCRBY,
/// WITHSCORES): `inf` / `-inf`, else C's `%.17g` — a bulk string in RESP2, `,...` in RESP3.
/// (Redis 7.2 switched to the shortest round-trip digits, [`double`]; the installed 7.0 is the
/// reference for sorted sets.)
pub fn double_g17(out: &mut BytesMut, d: f64, p: Proto) {
    let mut buf = [0; super::g17::MAX_LEN];
    let n = super::g17::format(d, &mut buf);
    let text = &buf[..n];
    match p {
        Proto::Resp2 => bulk(out, text),
        Proto::Resp3 => {
            out.reserve(text.len() + 3);
            out.put_u8(b',');
            out.put_slice(text);
            out.put_slice(b"\r\n");
        }
    }
}

/// `d` as C's `printf("%.17g")` prints it (`inf`, `-inf`, `nan` spelled as Redis sends them);
/// see [`double_g17`], which writes it without allocating.
pub fn format_g17(d: f64) -> String {
    let mut buf = [0; super::g17::MAX_LEN];
    let n = super::g17::format(d, &mut buf);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A boolean: `#t\r\n` / `#f\r\n` in RESP3, `:1\r\n` / `:0\r\n` in RESP2.
pub fn boolean(out: &mut BytesMut, b: bool, p: Proto) {
    out.put_slice(match (p, b) {
        (Proto::Resp2, true) => b":1\r\n",
        (Proto::Resp2, false) => b":0\r\n",
        (Proto::Resp3, true) => b"#t\r\n",
        (Proto::Resp3, false) => b"#f\r\n",
    });
}

/// A verbatim string (`INFO`, `CLIENT INFO`, `LOLWUT` in RESP3): `=len\r\ntxt:...\r\n`, where
/// `len` counts the 4 bytes of `fmt` and `:`; in RESP2 a plain bulk string of `s`. Like Redis'
/// `addReplyVerbatim`, only the first three bytes of `fmt` are used, padded with spaces.
pub fn verbatim(out: &mut BytesMut, fmt: &str, s: &[u8], p: Proto) {
    match p {
        Proto::Resp2 => bulk(out, s),
        Proto::Resp3 => {
            let mut ext = [b' '; 3];
            for (slot, &b) in ext.iter_mut().zip(fmt.as_bytes()) {
                *slot = b;
            }
            header(out, b'=', s.len().saturating_add(4));
            out.reserve(4 + s.len() + 2);
            out.put_slice(&ext);
            out.put_u8(b':');
            out.put_slice(s);
            out.put_slice(b"\r\n");
        }
    }
}

/// A big number, given as its decimal digits: `(12345678901234567890\r\n` in RESP3, a bulk
/// string in RESP2 (Redis' `addReplyBigNum`). The digits are not validated.
pub fn big_number(out: &mut BytesMut, digits: &str, p: Proto) {
    match p {
        Proto::Resp2 => bulk(out, digits.as_bytes()),
        Proto::Resp3 => line(out, b'(', digits.as_bytes()),
    }
}

/// A whole command as a multibulk of bulk strings, `*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`: what a
/// client sends (for `kvs-client` and tests; `kvs-bench` has its own, `request.rs`).
pub fn command<A: AsRef<[u8]>>(out: &mut BytesMut, args: &[A]) {
    array_len(out, args.len());
    for arg in args {
        bulk(out, arg.as_ref());
    }
}

/// `<prefix><n>\r\n`, the shape of integers and of every length header.
fn header<N: itoa::Integer>(out: &mut BytesMut, prefix: u8, n: N) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n).as_bytes();
    out.reserve(1 + digits.len() + 2);
    out.put_u8(prefix);
    out.put_slice(digits);
    out.put_slice(b"\r\n");
}

/// `<prefix><text>\r\n` with CR/LF in `text` turned into spaces.
fn line(out: &mut BytesMut, prefix: u8, text: &[u8]) {
    out.reserve(1 + text.len() + 2);
    out.put_u8(prefix);
    if memchr::memchr2(b'\r', b'\n', text).is_none() {
        out.put_slice(text);
    } else {
        out.extend(text.iter().map(|&b| match b {
            b'\r' | b'\n' => b' ',
            other => other,
        }));
    }
    out.put_slice(b"\r\n");
}

/// A stack buffer for [`format_double`]; the longest output is 24 bytes
/// (`-2.2250738585072014e-308`).
#[derive(Debug)]
pub struct DoubleBuf {
    bytes: [u8; 32],
    len: usize,
}

impl DoubleBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        DoubleBuf {
            bytes: [0; 32],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl Default for DoubleBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Write for DoubleBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.extend(s.as_bytes());
        Ok(())
    }
}

/// Formats `d` the way Redis 7's `d2string` (`src/util.c`) does, into `buf`, and returns the
/// text:
///
/// * `nan`, `inf`, `-inf`; `0` and `-0`;
/// * integral values with magnitude up to 2^62 as integers (`3`, not `3.0`);
/// * anything else with the shortest digits that round-trip (Redis uses grisu2 from
///   `deps/fpconv`, which is shortest in all but rare cases), laid out by fpconv's
///   `emit_digits` rules: `0.1`, `123.456`, `1e-7`, `1.5e+300`, `12345678901234567000`.
pub fn format_double(d: f64, buf: &mut DoubleBuf) -> &[u8] {
    use std::fmt::Write as _;

    buf.len = 0;
    if d.is_nan() {
        buf.extend(b"nan");
        return buf.as_bytes();
    }
    if d.is_infinite() {
        buf.extend(if d < 0.0 { b"-inf" } else { b"inf" });
        return buf.as_bytes();
    }
    if d == 0.0 {
        buf.extend(if d.is_sign_negative() { b"-0" } else { b"0" });
        return buf.as_bytes();
    }
    // `double2ll`: within ±LLONG_MAX/2 and integral, print as an integer.
    const HALF: f64 = (i64::MAX / 2) as f64;
    if (-HALF..=HALF).contains(&d) && d.fract() == 0.0 {
        let mut digits = itoa::Buffer::new();
        // In range and integral, so the cast is exact.
        buf.extend(digits.format(d as i64).as_bytes());
        return buf.as_bytes();
    }

    // Rust's `{:e}` gives the shortest round-trip digits as `d.ddde±x`; take them apart and
    // lay them out as fpconv does.
    let mut sci = DoubleBuf::new();
    if write!(sci, "{:e}", d.abs()).is_err() {
        return buf.as_bytes();
    }
    let sci = sci.as_bytes();
    let (mantissa, exp) = match memchr::memchr(b'e', sci) {
        Some(at) => (sci.get(..at).unwrap_or_default(), sci.get(at + 1..)),
        None => (sci, None),
    };
    let exp: i32 = exp
        .and_then(|e| std::str::from_utf8(e).ok())
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; 20];
    let mut n = 0usize;
    for &c in mantissa.iter().filter(|c| c.is_ascii_digit()) {
        if let Some(slot) = digits.get_mut(n) {
            *slot = c;
            n += 1;
        }
    }
    let digits = digits.get(..n).unwrap_or_default();
    let ndigits = i32::try_from(n).unwrap_or(i32::MAX);
    // fpconv's K: the value is `digits * 10^k`.
    let k = exp - (ndigits - 1);
    let abs_exp = exp.unsigned_abs();

    if d < 0.0 {
        buf.push(b'-');
    }
    if k >= 0 && (exp.abs() < ndigits + 7) {
        // A plain integer (only reached above 2^62).
        buf.extend(digits);
        for _ in 0..k {
            buf.push(b'0');
        }
    } else if k < 0 && (k > -7 || exp.abs() < 4) {
        // A plain decimal.
        let offset = ndigits + k;
        if offset <= 0 {
            buf.extend(b"0.");
            for _ in 0..-offset {
                buf.push(b'0');
            }
            buf.extend(digits);
        } else {
            let offset = usize::try_from(offset).unwrap_or(0);
            let (int, frac) = digits.split_at(offset.min(digits.len()));
            buf.extend(int);
            buf.push(b'.');
            buf.extend(frac);
        }
    } else {
        // Scientific: `d.ddde±x`, the exponent without padding.
        let (first, rest) = digits.split_at(1.min(digits.len()));
        buf.extend(first);
        if !rest.is_empty() {
            buf.push(b'.');
            buf.extend(rest);
        }
        buf.push(b'e');
        buf.push(if exp < 0 { b'-' } else { b'+' });
        let mut e = itoa::Buffer::new();
        buf.extend(e.format(abs_exp).as_bytes());
    }
    buf.as_bytes()
}
