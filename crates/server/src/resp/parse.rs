//! The request parser: bytes from a client in, one command (`Vec<Bytes>`) at a time out.
//!
//! It follows Redis' `processInputBuffer` / `processMultibulkBuffer` / `processInlineBuffer`
//! (`src/networking.c`, 7.x) rule for rule, so a client sees the same replies and the same
//! protocol errors as from Redis:
//!
//! * The first byte of a request decides its shape: `*` starts a multibulk, anything else an
//!   inline command.
//! * A multibulk header line is found by searching for `\r` and is only acted on once one more
//!   byte (the `\n`, which Redis does not check) has arrived. Counts and lengths are parsed like
//!   Redis' `string2ll`: an optional `-`, no `+`, no leading zeros, no spaces, at most 20 chars.
//! * `*0` and negative counts (`*-1`) are accepted and skipped, as are empty or blank inline
//!   lines: Redis resets the client and moves on to the next request without replying.
//! * A bulk's payload is taken by length; the two bytes after it are skipped unchecked, as
//!   Redis does.
//! * An inline line ends at `\n`; a `\r` right before it is dropped, so `PING\n` works.
//!
//! Deliberate deviations, all on inputs no real client sends:
//!
//! * Redis scans its query buffer with C string functions (`strchr`, `sdssplitargs`), which stop
//!   at a NUL byte: an inline line or a header with a NUL before its terminator is never
//!   completed and the client waits until the 64 KiB limit error. Here NUL is an ordinary byte.
//! * In `expected '$', got '<c>'` a byte ≥ 0x80 is shown as U+FFFD (Redis writes the raw byte,
//!   which a Rust `String` cannot hold).
//! * The query-buffer limit is enforced per pending command and as soon as the declared bulk
//!   lengths show the command cannot fit, instead of after the bytes have been read (Redis
//!   closes the connection either way, without a reply).

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr;

/// Redis' `PROTO_INLINE_MAX_SIZE`: the longest inline request, and the longest a `*<n>` or
/// `$<len>` header may grow without its `\r`.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis' default `proto-max-bulk-len`: the largest single argument.
pub const PROTO_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// The largest multibulk count (Redis up to 6.2 hard-coded `1024*1024`; 7.x allows `INT_MAX`).
pub const PROTO_MAX_MULTIBULK_LEN: usize = 1024 * 1024;
/// Redis' default `client-query-buffer-limit`.
pub const CLIENT_MAX_QUERYBUF_LEN: usize = 1024 * 1024 * 1024;
/// The most arguments a client that still has to `AUTH` may send in a multibulk.
pub const UNAUTH_MAX_MULTIBULK_LEN: usize = 10;
/// The longest bulk a client that still has to `AUTH` may send.
pub const UNAUTH_MAX_BULK_LEN: usize = 16384;

/// `*<n>` line without `\r` for more than [`Limits::max_inline_len`] bytes.
pub const ERR_TOO_BIG_MBULK_COUNT: &str = "ERR Protocol error: too big mbulk count string";
/// `*<n>` with `n` not a number or above [`Limits::max_multibulk_len`].
pub const ERR_INVALID_MULTIBULK_LEN: &str = "ERR Protocol error: invalid multibulk length";
/// `*<n>` with `n` > 10 before `AUTH`.
pub const ERR_UNAUTH_MULTIBULK_LEN: &str = "ERR Protocol error: unauthenticated multibulk length";
/// `$<len>` line without `\r` for more than [`Limits::max_inline_len`] bytes.
pub const ERR_TOO_BIG_BULK_COUNT: &str = "ERR Protocol error: too big bulk count string";
/// `$<len>` with `len` not a number, negative, or above [`Limits::max_bulk_len`].
pub const ERR_INVALID_BULK_LEN: &str = "ERR Protocol error: invalid bulk length";
/// `$<len>` with `len` > 16384 before `AUTH`.
pub const ERR_UNAUTH_BULK_LEN: &str = "ERR Protocol error: unauthenticated bulk length";
/// An inline request without `\n` for more than [`Limits::max_inline_len`] bytes.
pub const ERR_TOO_BIG_INLINE: &str = "ERR Protocol error: too big inline request";
/// An inline request whose quotes do not close, or a closing quote followed by a non-space.
pub const ERR_UNBALANCED_QUOTES: &str = "ERR Protocol error: unbalanced quotes in request";
/// The pending command outgrew [`Limits::max_query_buffer`]. Redis only logs this (with these
/// words) and closes the connection without a reply: see [`ProtocolError::is_silent`].
pub const QUERY_BUFFER_LIMIT: &str = "Closing client that reached max query buffer length";

/// The sizes a client may not exceed. The defaults are Redis' defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest bulk argument (`proto-max-bulk-len`, 512 MiB).
    pub max_bulk_len: usize,
    /// The longest inline request or header line (`PROTO_INLINE_MAX_SIZE`, 64 KiB).
    pub max_inline_len: usize,
    /// The largest multibulk count (1024 * 1024).
    pub max_multibulk_len: usize,
    /// The most bytes one pending command may occupy (`client-query-buffer-limit`, 1 GiB).
    pub max_query_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: PROTO_MAX_BULK_LEN,
            max_inline_len: PROTO_INLINE_MAX_SIZE,
            max_multibulk_len: PROTO_MAX_MULTIBULK_LEN,
            max_query_buffer: CLIENT_MAX_QUERYBUF_LEN,
        }
    }
}

/// A request that breaks the protocol. The text is Redis' reply without the leading `-` and the
/// trailing CRLF, e.g. `ERR Protocol error: invalid multibulk length`: write it with
/// [`encode::error`](super::encode::error), then close the connection once it is flushed (Redis
/// sets `CLIENT_CLOSE_AFTER_REPLY`). The one exception is [`is_silent`](Self::is_silent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

impl ProtocolError {
    pub(super) fn new(text: &str) -> Self {
        ProtocolError(text.to_owned())
    }

    /// The error for a bulk header that does not start with `$`: Redis formats the offending
    /// byte with `%c`, and `addReplyErrorFormat` turns `\r` and `\n` into spaces so the reply
    /// stays one line.
    fn expected_dollar(got: u8) -> Self {
        let c = match got {
            b'\r' | b'\n' => ' ',
            0..=0x7f => char::from(got),
            _ => char::REPLACEMENT_CHARACTER,
        };
        ProtocolError(format!("ERR Protocol error: expected '$', got '{c}'"))
    }

    /// True for the query-buffer limit ([`QUERY_BUFFER_LIMIT`]): Redis closes such a client
    /// without replying, so the caller should log the text and close at once.
    pub fn is_silent(&self) -> bool {
        self.0 == QUERY_BUFFER_LIMIT
    }
}

/// Where the parser is within the command at the front of the buffer.
///
/// All offsets are from the front of the caller's buffer, which is also the start of the
/// command: complete commands are split off the front, and the caller only appends between
/// calls. Remembering them is what makes parsing O(n) overall: a 512 MiB bulk arriving in 16 KiB
/// reads is length-checked once per read, not rescanned, and a header line trickling in a byte
/// at a time is searched once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between commands. `scanned` bytes from the front are known not to contain the
    /// terminator of the first line (`\r` after a `*`, `\n` for an inline request).
    Start { scanned: usize },
    /// Inside a multibulk whose `*<n>` line has been read.
    Multibulk {
        /// Bulks still to read.
        remaining: usize,
        /// Offset of the current bulk's `$` header, or of its payload once `bulk` is known.
        cursor: usize,
        /// The current bulk's length, once its header has been read.
        bulk: Option<usize>,
        /// Bytes before this offset hold no `\r` for the current header.
        scanned: usize,
    },
}

/// What one step of parsing produced.
enum Step {
    /// A command.
    Done(Vec<Bytes>),
    /// Progress was made (a header read, an empty command skipped): keep going.
    Again,
    /// The buffer ends inside a command.
    More,
}

/// The incremental RESP request parser of one connection.
///
/// ```
/// use bytes::BytesMut;
/// use kvs_server::resp::{Limits, Parser};
///
/// let mut parser = Parser::new(Limits::default());
/// let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r"[..]);
/// assert_eq!(parser.parse(&mut buf, true), Ok(None));
/// buf.extend_from_slice(b"\nk\r\nPING\r\n");
/// assert_eq!(parser.parse(&mut buf, true).unwrap().unwrap(), ["GET", "k"]);
/// assert_eq!(parser.parse(&mut buf, true).unwrap().unwrap(), ["PING"]);
/// assert_eq!(parser.parse(&mut buf, true), Ok(None));
/// assert!(buf.is_empty());
/// ```
#[derive(Debug)]
pub struct Parser {
    limits: Limits,
    state: State,
    /// `(offset, len)` of the bulks of the multibulk in progress. Offsets rather than `Bytes`
    /// because the command is split off the buffer (one `split_to`, no copy) only once it is
    /// complete. Kept between commands so its allocation is reused.
    args: Vec<(usize, usize)>,
}

impl Parser {
    /// A parser at the start of a connection.
    pub fn new(limits: Limits) -> Self {
        Parser {
            limits,
            state: State::Start { scanned: 0 },
            args: Vec::new(),
        }
    }

    /// Takes one complete command off the front of `buf`: a multibulk (`*N\r\n$len\r\narg\r\n...`)
    /// or an inline line. Returns `Ok(None)` if the buffer ends inside a command: the command's
    /// bytes stay in `buf`, and the progress made is remembered, so the caller appends what it
    /// reads next and calls again. Empty requests (`*0`, `*-1`, blank inline lines) are consumed
    /// and skipped, as in Redis.
    ///
    /// The arguments are slices of `buf`'s memory ([`Bytes`], no copy). They keep that
    /// allocation alive, so whatever is kept long-term (a stored value) should be copied.
    ///
    /// `authenticated` is false for a client that still has to `AUTH` (a password is set and
    /// it has not given it); Redis then allows at most 10 arguments of at most 16384 bytes.
    /// Pass `true` when no password is configured. It is checked as each header is read, so a
    /// command parsed ahead of an `AUTH` that has not run yet is judged unauthenticated.
    ///
    /// Between calls, `buf` may only be appended to. After an error the connection is to be
    /// closed; the parser is reset, but the rest of `buf` is garbage.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        authenticated: bool,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            let step = match self.state {
                State::Start { scanned } => self.start(buf, scanned, authenticated),
                State::Multibulk { .. } => self.bulks(buf, authenticated),
            };
            match step {
                Ok(Step::Done(args)) => return Ok(Some(args)),
                Ok(Step::Again) => continue,
                Ok(Step::More) => {
                    // Everything in `buf` now belongs to the one unfinished command.
                    if buf.len() > self.limits.max_query_buffer {
                        self.reset();
                        return Err(ProtocolError::new(QUERY_BUFFER_LIMIT));
                    }
                    return Ok(None);
                }
                Err(e) => {
                    self.reset();
                    return Err(e);
                }
            }
        }
    }

    /// The most input this parser lets a client buffer (`client-query-buffer-limit`).
    pub fn max_buffered(&self) -> usize {
        self.limits.max_query_buffer
    }

    /// How many more bytes must arrive before the command in progress can complete, when that
    /// is known (the payload of a bulk whose header has been read), else 0. A reader can use it
    /// to size the next read of a big value, like Redis does for bulks of 32 KiB and more; it
    /// is what the client declared, not what it sent, so cap any up-front allocation.
    pub fn bytes_wanted(&self, buf: &BytesMut) -> usize {
        match self.state {
            State::Multibulk {
                cursor,
                bulk: Some(len),
                ..
            } => cursor
                .saturating_add(len)
                .saturating_add(2)
                .saturating_sub(buf.len()),
            _ => 0,
        }
    }

    /// The capacity of the argument table, for tests of what a declared count allocates.
    #[cfg(test)]
    pub(super) fn args_capacity(&self) -> usize {
        self.args.capacity()
    }

    fn reset(&mut self) {
        self.state = State::Start { scanned: 0 };
        self.args.clear();
    }

    /// At a command boundary: dispatch on the first byte, as `processInputBuffer` does.
    fn start(
        &mut self,
        buf: &mut BytesMut,
        scanned: usize,
        authenticated: bool,
    ) -> Result<Step, ProtocolError> {
        match buf.first() {
            None => {
                self.state = State::Start { scanned: 0 };
                Ok(Step::More)
            }
            Some(b'*') => self.multibulk_header(buf, scanned, authenticated),
            Some(_) => self.inline(buf, scanned),
        }
    }

    /// `*<n>\r\n`: the count line of a multibulk.
    fn multibulk_header(
        &mut self,
        buf: &mut BytesMut,
        scanned: usize,
        authenticated: bool,
    ) -> Result<Step, ProtocolError> {
        let cr = match find(buf, scanned, b'\r') {
            None => {
                if buf.len() > self.limits.max_inline_len {
                    return Err(ProtocolError::new(ERR_TOO_BIG_MBULK_COUNT));
                }
                self.state = State::Start { scanned: buf.len() };
                return Ok(Step::More);
            }
            Some(cr) => cr,
        };
        // Redis acts on the line only once the byte after '\r' is there too ("Buffer should
        // also contain \n"), and then skips that byte without looking at it.
        let line_end = cr + 2;
        if line_end > buf.len() {
            self.state = State::Start { scanned: cr };
            return Ok(Step::More);
        }
        let count = buf
            .get(1..cr)
            .and_then(string2ll)
            .filter(|&n| n <= to_i64(self.limits.max_multibulk_len))
            .ok_or_else(|| ProtocolError::new(ERR_INVALID_MULTIBULK_LEN))?;
        if count > to_i64(UNAUTH_MAX_MULTIBULK_LEN) && !authenticated {
            return Err(ProtocolError::new(ERR_UNAUTH_MULTIBULK_LEN));
        }
        let Ok(count) = usize::try_from(count) else {
            // Negative: an empty command, skipped like `*0`.
            buf.advance(line_end);
            self.state = State::Start { scanned: 0 };
            return Ok(Step::Again);
        };
        if count == 0 {
            buf.advance(line_end);
            self.state = State::Start { scanned: 0 };
            return Ok(Step::Again);
        }
        // Like Redis' argv, start small: the count is only what the client claims.
        self.args.clear();
        self.args.reserve(count.min(1024));
        self.state = State::Multibulk {
            remaining: count,
            cursor: line_end,
            bulk: None,
            scanned: line_end,
        };
        Ok(Step::Again)
    }

    /// The bulks of a multibulk, from wherever the last call stopped.
    fn bulks(&mut self, buf: &mut BytesMut, authenticated: bool) -> Result<Step, ProtocolError> {
        let Parser {
            limits,
            state,
            args,
        } = self;
        let State::Multibulk {
            remaining,
            cursor,
            bulk,
            scanned,
        } = state
        else {
            return Ok(Step::Again);
        };
        if *cursor > buf.len() {
            // The buffer shrank behind our back (a caller bug): start over at its front rather
            // than index out of bounds.
            *state = State::Start { scanned: 0 };
            args.clear();
            return Ok(Step::Again);
        }
        while *remaining > 0 {
            let len = match *bulk {
                Some(len) => len,
                None => {
                    let Some(cr) = find(buf, (*scanned).max(*cursor), b'\r') else {
                        if buf.len() - *cursor > limits.max_inline_len {
                            return Err(ProtocolError::new(ERR_TOO_BIG_BULK_COUNT));
                        }
                        *scanned = buf.len();
                        return Ok(Step::More);
                    };
                    let line_end = cr + 2;
                    if line_end > buf.len() {
                        *scanned = cr;
                        return Ok(Step::More);
                    }
                    match buf.get(*cursor) {
                        Some(b'$') => {}
                        Some(&other) => return Err(ProtocolError::expected_dollar(other)),
                        None => return Ok(Step::More),
                    }
                    let len = buf
                        .get(*cursor + 1..cr)
                        .and_then(string2ll)
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n <= limits.max_bulk_len)
                        .ok_or_else(|| ProtocolError::new(ERR_INVALID_BULK_LEN))?;
                    if len > UNAUTH_MAX_BULK_LEN && !authenticated {
                        return Err(ProtocolError::new(ERR_UNAUTH_BULK_LEN));
                    }
                    // The whole command has to sit in the buffer before it completes: if this
                    // bulk alone takes it past the limit, refuse now instead of buffering up to
                    // a gigabyte first.
                    match bulk_end(line_end, len) {
                        Some(end) if end <= limits.max_query_buffer => {}
                        _ => return Err(ProtocolError::new(QUERY_BUFFER_LIMIT)),
                    }
                    *cursor = line_end;
                    *bulk = Some(len);
                    len
                }
            };
            // The payload and the two bytes after it, which Redis skips without checking.
            let Some(end) = bulk_end(*cursor, len) else {
                return Err(ProtocolError::new(QUERY_BUFFER_LIMIT));
            };
            if end > buf.len() {
                return Ok(Step::More);
            }
            args.push((*cursor, len));
            *cursor = end;
            *scanned = end;
            *bulk = None;
            *remaining -= 1;
        }
        // Complete: one split, and every argument is a view of it.
        let frame = buf.split_to(*cursor).freeze();
        let out = args
            .iter()
            .map(|&(at, len)| frame.slice(at..at + len))
            .collect();
        *state = State::Start { scanned: 0 };
        args.clear();
        if args.capacity() > 1024 {
            // Don't keep a huge argv around after one huge command (Redis does the same).
            args.shrink_to(1024);
        }
        Ok(Step::Done(out))
    }

    /// An inline request: one line, split like `sdssplitargs`.
    fn inline(&mut self, buf: &mut BytesMut, scanned: usize) -> Result<Step, ProtocolError> {
        let Some(newline) = find(buf, scanned, b'\n') else {
            if buf.len() > self.limits.max_inline_len {
                return Err(ProtocolError::new(ERR_TOO_BIG_INLINE));
            }
            self.state = State::Start { scanned: buf.len() };
            return Ok(Step::More);
        };
        // "\r\n" or a bare "\n" (what `nc` and some telnets send).
        let end = match newline.checked_sub(1) {
            Some(before) if buf.get(before) == Some(&b'\r') => before,
            _ => newline,
        };
        let line = buf.split_to(newline + 1).freeze();
        self.state = State::Start { scanned: 0 };
        let args = super::inline::split_args(&line, end)?;
        if args.is_empty() {
            // An empty or blank line: Redis ignores it (replicas use it as a keepalive).
            Ok(Step::Again)
        } else {
            Ok(Step::Done(args))
        }
    }
}

/// The first `byte` in `buf` at or after `from`.
fn find(buf: &[u8], from: usize, byte: u8) -> Option<usize> {
    let from = from.min(buf.len());
    memchr(byte, buf.get(from..)?).map(|i| from + i)
}

/// Where a bulk of `len` bytes starting at `at` ends, trailing CRLF included.
fn bulk_end(at: usize, len: usize) -> Option<usize> {
    at.checked_add(len)?.checked_add(2)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Redis' `string2ll` (`src/util.c`): strict decimal. No `+`, no leading zeros (`0` itself
/// aside, so `-0` is refused), no spaces, fewer than 21 bytes, and it must fit in an `i64`.
/// Written out rather than `str::parse`, which takes `+` and leading zeros: the accepted set
/// must be Redis' byte for byte.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        // -(2^63) is the one negative value whose magnitude is not an i64.
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some(0i64.wrapping_sub_unsigned(v))
        }
    } else {
        i64::try_from(v).ok()
    }
}
