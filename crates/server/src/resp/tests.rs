//! Tests of the RESP parser and encoder: every protocol error text byte for byte, the limits,
//! inline splitting, pipelining and split reads, and property tests (round trip in random
//! chunks; arbitrary bytes never panic and parse the same however they are chunked).

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::encode::{self, Proto};
use super::parse::{self, Limits, Parser, ProtocolError};

type Cmd = Vec<Vec<u8>>;

/// What parsing all of `input` gives: the commands, then the error or `None` if the input ended
/// (inside a command or not), and the bytes left in the buffer.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    cmds: Vec<Cmd>,
    err: Option<String>,
    left: usize,
}

fn to_vecs(args: Vec<Bytes>) -> Cmd {
    args.into_iter().map(|a| a.to_vec()).collect()
}

/// Feeds `input` in pieces of the given sizes (the rest in one piece), draining commands after
/// each piece, as a connection's read loop does.
fn run_chunked(parser: &mut Parser, input: &[u8], chunks: &[usize], auth: bool) -> Outcome {
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    let mut rest = input;
    let mut sizes = chunks.iter();
    loop {
        let n = sizes.next().copied().unwrap_or(rest.len()).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        buf.extend_from_slice(piece);
        rest = tail;
        loop {
            match parser.parse(&mut buf, auth) {
                Ok(Some(args)) => cmds.push(to_vecs(args)),
                Ok(None) => break,
                Err(ProtocolError(e)) => {
                    return Outcome {
                        cmds,
                        err: Some(e),
                        left: buf.len(),
                    };
                }
            }
        }
        if rest.is_empty() {
            return Outcome {
                cmds,
                err: None,
                left: buf.len(),
            };
        }
    }
}

fn run(input: &[u8], auth: bool) -> Outcome {
    run_chunked(&mut Parser::new(Limits::default()), input, &[], auth)
}

fn run_limits(input: &[u8], limits: Limits) -> Outcome {
    run_chunked(&mut Parser::new(limits), input, &[], true)
}

fn cmd(words: &[&[u8]]) -> Cmd {
    words.iter().map(|w| w.to_vec()).collect()
}

/// The error `input` ends in, parsed as an authenticated client.
fn err(input: &[u8]) -> String {
    err_auth(input, true)
}

fn err_auth(input: &[u8], auth: bool) -> String {
    match run(input, auth).err {
        Some(e) => e,
        None => panic!("no error for {:?}", String::from_utf8_lossy(input)),
    }
}

fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode::command(&mut out, args);
    out.to_vec()
}

// ---------------------------------------------------------------------------------------------
// Protocol errors: exact texts

#[test]
fn error_texts_are_redis_texts() {
    // The strings of src/networking.c, with the "ERR " that addReplyError prepends.
    assert_eq!(
        parse::ERR_TOO_BIG_MBULK_COUNT,
        "ERR Protocol error: too big mbulk count string"
    );
    assert_eq!(
        parse::ERR_INVALID_MULTIBULK_LEN,
        "ERR Protocol error: invalid multibulk length"
    );
    assert_eq!(
        parse::ERR_UNAUTH_MULTIBULK_LEN,
        "ERR Protocol error: unauthenticated multibulk length"
    );
    assert_eq!(
        parse::ERR_TOO_BIG_BULK_COUNT,
        "ERR Protocol error: too big bulk count string"
    );
    assert_eq!(
        parse::ERR_INVALID_BULK_LEN,
        "ERR Protocol error: invalid bulk length"
    );
    assert_eq!(
        parse::ERR_UNAUTH_BULK_LEN,
        "ERR Protocol error: unauthenticated bulk length"
    );
    assert_eq!(
        parse::ERR_TOO_BIG_INLINE,
        "ERR Protocol error: too big inline request"
    );
    assert_eq!(
        parse::ERR_UNBALANCED_QUOTES,
        "ERR Protocol error: unbalanced quotes in request"
    );
}

#[test]
fn error_display_and_reply_bytes() {
    let e = ProtocolError(parse::ERR_INVALID_BULK_LEN.to_owned());
    assert_eq!(e.to_string(), "ERR Protocol error: invalid bulk length");
    assert!(!e.is_silent());
    let mut out = BytesMut::new();
    encode::error(&mut out, &e.0);
    assert_eq!(&out[..], b"-ERR Protocol error: invalid bulk length\r\n");
}

#[test]
fn invalid_multibulk_length() {
    for bad in [
        &b"*abc\r\n"[..],
        b"*\r\n",
        b"* 1\r\n",
        b"*1 \r\n",
        b"*+1\r\n",
        b"*01\r\n",
        b"*-0\r\n",
        b"*-\r\n",
        b"*1.5\r\n",
        b"*1048577\r\n",
        b"*9223372036854775808\r\n",
        b"*99999999999999999999\r\n",
        b"*100000000000000000000\r\n",
        // The header line is whatever precedes the first '\r'.
        b"*1\n$1\r\n",
    ] {
        assert_eq!(
            err(bad),
            "ERR Protocol error: invalid multibulk length",
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // The largest count allowed is accepted (and waits for its bulks).
    assert_eq!(run(b"*1048576\r\n", true).err, None);
}

#[test]
fn too_big_mbulk_count_string() {
    let mut input = b"*".to_vec();
    input.extend(std::iter::repeat_n(b'1', 64 * 1024));
    // 65537 bytes without '\r': over PROTO_INLINE_MAX_SIZE.
    assert_eq!(
        err(&input),
        "ERR Protocol error: too big mbulk count string"
    );
    // Exactly 64 KiB is still waited on.
    input.pop();
    assert_eq!(run(&input, true).err, None);
}

#[test]
fn unauthenticated_multibulk_length() {
    assert_eq!(
        err_auth(b"*11\r\n", false),
        "ERR Protocol error: unauthenticated multibulk length"
    );
    assert_eq!(run(b"*10\r\n", false).err, None);
    assert_eq!(run(b"*11\r\n", true).err, None);
    // An invalid count is reported as invalid even before AUTH (that check comes first).
    assert_eq!(
        err_auth(b"*1048577\r\n", false),
        "ERR Protocol error: invalid multibulk length"
    );
}

#[test]
fn expected_dollar() {
    assert_eq!(
        err(b"*1\r\nx\r\n"),
        "ERR Protocol error: expected '$', got 'x'"
    );
    assert_eq!(
        err(b"*2\r\n$3\r\nGET\r\n:1\r\n"),
        "ERR Protocol error: expected '$', got ':'"
    );
    // Only once the header line is complete.
    assert_eq!(run(b"*1\r\nx", true).err, None);
    assert_eq!(run(b"*1\r\nx\r", true).err, None);
    // '\r' and '\n' are printed as spaces (addReplyErrorFormat keeps replies on one line).
    assert_eq!(
        err(b"*1\r\n\r\n"),
        "ERR Protocol error: expected '$', got ' '"
    );
    assert_eq!(
        err(b"*1\r\n\n\r\n"),
        "ERR Protocol error: expected '$', got ' '"
    );
    assert_eq!(
        err(b"*1\r\n\xff\r\n"),
        "ERR Protocol error: expected '$', got '\u{fffd}'"
    );
}

#[test]
fn invalid_bulk_length() {
    for bad in [
        &b"*1\r\n$-1\r\n"[..],
        b"*1\r\n$abc\r\n",
        b"*1\r\n$\r\n",
        b"*1\r\n$01\r\n",
        b"*1\r\n$+1\r\n",
        b"*1\r\n$-0\r\n",
        b"*1\r\n$ 1\r\n",
        b"*1\r\n$536870913\r\n",
        b"*1\r\n$99999999999999999999\r\n",
    ] {
        assert_eq!(
            err(bad),
            "ERR Protocol error: invalid bulk length",
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // 512 MiB exactly is allowed (and waited on).
    assert_eq!(run(b"*1\r\n$536870912\r\n", true).err, None);
}

#[test]
fn too_big_bulk_count_string() {
    let mut input = b"*1\r\n$".to_vec();
    input.extend(std::iter::repeat_n(b'1', 64 * 1024));
    assert_eq!(err(&input), "ERR Protocol error: too big bulk count string");
    input.pop();
    assert_eq!(run(&input, true).err, None);
}

#[test]
fn unauthenticated_bulk_length() {
    assert_eq!(
        err_auth(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", false),
        "ERR Protocol error: unauthenticated bulk length"
    );
    let ok = multibulk(&[b"AUTH", &[b'p'; 16384]]);
    assert_eq!(run(&ok, false).cmds.len(), 1);
    let big = multibulk(&[b"SET", b"k", &[b'v'; 16385]]);
    assert_eq!(run(&big, true).cmds.len(), 1);
    assert_eq!(
        run(&big, false).err.as_deref(),
        Some("ERR Protocol error: unauthenticated bulk length")
    );
}

#[test]
fn too_big_inline_request() {
    let mut input = vec![b'a'; 64 * 1024 + 1];
    assert_eq!(err(&input), "ERR Protocol error: too big inline request");
    input.pop();
    assert_eq!(run(&input, true).err, None);
    // A longer line that arrives whole is accepted, as in Redis (the limit is on waiting).
    let mut line = vec![b'a'; 100 * 1024];
    line.extend_from_slice(b"\r\n");
    assert_eq!(run(&line, true).cmds.len(), 1);
}

#[test]
fn unbalanced_quotes() {
    for bad in [
        &b"SET \"a b\r\n"[..],
        b"SET 'a b\r\n",
        b"SET \"a\"b\r\n",
        b"SET 'a'b\r\n",
        b"SET a\"b\r\n",
        b"SET \"ab\\\"\r\n",
        b"SET \"ab\\\r\n",
        b"\"\r\n",
    ] {
        assert_eq!(
            err(bad),
            "ERR Protocol error: unbalanced quotes in request",
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn query_buffer_limit_is_silent() {
    let limits = Limits {
        max_query_buffer: 100,
        ..Limits::default()
    };
    // Refused as soon as the declared lengths show the command cannot fit: nothing is buffered.
    let out = run_limits(b"*2\r\n$3\r\nSET\r\n$200\r\n", limits);
    assert_eq!(out.err.as_deref(), Some(parse::QUERY_BUFFER_LIMIT));
    assert!(ProtocolError(out.err.unwrap_or_default()).is_silent());
    // Anything that fits is fine.
    let fits = multibulk(&[b"SET", b"k", &[b'v'; 60]]);
    assert_eq!(run_limits(&fits, limits).cmds.len(), 1);
    // A pending partial command bigger than the limit (here an inline line, limited first by
    // the query buffer because it is smaller than max_inline_len).
    let out = run_limits(&[b'a'; 101], limits);
    assert_eq!(out.err.as_deref(), Some(parse::QUERY_BUFFER_LIMIT));
}

// ---------------------------------------------------------------------------------------------
// Limits without allocation

#[test]
fn declared_huge_bulk_is_rejected_without_allocating() {
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&b"*1\r\n$1073741824\r\n"[..]);
    let capacity = buf.capacity();
    assert_eq!(
        parser.parse(&mut buf, true),
        Err(ProtocolError(parse::ERR_INVALID_BULK_LEN.to_owned()))
    );
    assert_eq!(buf.capacity(), capacity);
    assert!(capacity < 1024);

    // With the bulk limit lifted, the query-buffer limit catches it, still before any byte of
    // the payload is buffered.
    let mut parser = Parser::new(Limits {
        max_bulk_len: usize::MAX,
        ..Limits::default()
    });
    let mut buf = BytesMut::from(&b"*1\r\n$1073741824\r\n"[..]);
    let err = parser.parse(&mut buf, true).unwrap_err();
    assert!(err.is_silent());
    assert!(buf.capacity() < 1024);
    // Even a length that overflows usize arithmetic.
    let mut buf = BytesMut::from(&b"*1\r\n$9223372036854775807\r\n"[..]);
    assert!(parser.parse(&mut buf, true).unwrap_err().is_silent());
}

#[test]
fn declared_big_bulk_and_count_allocate_nothing_up_front() {
    // A 512 MiB bulk (the maximum) is waited on without reserving it; bytes_wanted tells the
    // reader how much is still to come.
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&b"*1\r\n$536870912\r\nabc"[..]);
    let capacity = buf.capacity();
    assert_eq!(parser.parse(&mut buf, true), Ok(None));
    assert_eq!(buf.capacity(), capacity);
    assert_eq!(parser.bytes_wanted(&buf), 536_870_912 + 2 - 3);

    // The largest multibulk count is not turned into a 1M-entry argv either.
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&b"*1048576\r\n"[..]);
    assert_eq!(parser.parse(&mut buf, true), Ok(None));
    assert!(parser.args_capacity() <= 1024);
}

// ---------------------------------------------------------------------------------------------
// Inline requests

#[test]
fn inline_basic() {
    assert_eq!(run(b"PING\r\n", true).cmds, [cmd(&[b"PING"])]);
    // A bare '\n' terminates a line too.
    assert_eq!(run(b"PING\n", true).cmds, [cmd(&[b"PING"])]);
    assert_eq!(
        run(b"  SET   key\tvalue  \r\n", true).cmds,
        [cmd(&[b"SET", b"key", b"value"])]
    );
    // A '\r' not before the '\n' separates words.
    assert_eq!(run(b"a\rb\n", true).cmds, [cmd(&[b"a", b"b"])]);
    // Vertical tab and form feed are skipped as blanks but do not end a word.
    assert_eq!(
        run(b"\x0ba\x0bb \x0cc\x0c\n", true).cmds,
        [cmd(&[b"a\x0bb", b"c\x0c"])]
    );
    // Not terminated yet.
    assert_eq!(
        run(b"PING", true),
        Outcome {
            cmds: vec![],
            err: None,
            left: 4
        }
    );
    // NUL is an ordinary byte here.
    assert_eq!(run(b"a\0b\r\n", true).cmds, [cmd(&[b"a\0b"])]);
}

#[test]
fn inline_quotes_and_escapes() {
    assert_eq!(
        run(b"SET \"a b\" 'c d'\r\n", true).cmds,
        [cmd(&[b"SET", b"a b", b"c d"])]
    );
    assert_eq!(
        run(
            b"SET k \"\\x41\\x4a\\x4B\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n",
            true
        )
        .cmds,
        [cmd(&[b"SET", b"k", b"AJK\n\r\t\x08\x07\\\"q"])]
    );
    // \x needs two hex digits, else it is just 'x'.
    assert_eq!(
        run(b"\"\\xZZ\" \"\\x4\"\r\n", true).cmds,
        [cmd(&[b"xZZ", b"x4"])]
    );
    // \x outside quotes is literal.
    assert_eq!(run(b"\\x41\r\n", true).cmds, [cmd(&[b"\\x41"])]);
    // Single quotes: only \' is an escape.
    assert_eq!(
        run(b"'it\\'s' '\\n\\x41'\r\n", true).cmds,
        [cmd(&[b"it's", b"\\n\\x41"])]
    );
    // Empty quoted arguments are kept (Redis 7).
    assert_eq!(
        run(b"SET k \"\" ''\r\n", true).cmds,
        [cmd(&[b"SET", b"k", b"", b""])]
    );
    // Quotes may open mid-word; a closing quote may be followed by any blank.
    assert_eq!(
        run(b"a\"b c\" x'y z'\x0bq\r\n", true).cmds,
        [cmd(&[b"ab c", b"xy z", b"q"])]
    );
    // Escaped bytes can be anything, including CR/LF and NUL.
    assert_eq!(
        run(b"\"\\x00\\x0d\\x0a\\xff\"\r\n", true).cmds,
        [cmd(&[b"\x00\r\n\xff"])]
    );
}

#[test]
fn inline_args_are_zero_copy_when_contiguous() {
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&b"SET \"quoted key\" plain \"es\\x41\"\r\n"[..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let args = parser.parse(&mut buf, true).unwrap().unwrap();
    assert_eq!(args, ["SET", "quoted key", "plain", "esA"]);
    for arg in &args[..3] {
        assert!(
            range.contains(&(arg.as_ptr() as usize)),
            "{arg:?} was copied"
        );
    }
    assert!(!range.contains(&(args[3].as_ptr() as usize)));
}

#[test]
fn empty_lines_and_empty_multibulks_are_skipped() {
    let input =
        b"\r\n\n   \r\n\t\n*0\r\n*-1\r\n*-5\r\nPING\r\n\r\n*0\r\n*1\r\n$4\r\nPING\r\n*0\r\n";
    assert_eq!(
        run(input, true),
        Outcome {
            cmds: vec![cmd(&[b"PING"]), cmd(&[b"PING"])],
            err: None,
            left: 0
        }
    );
    // Only empties: consumed, nothing returned.
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&b"\r\n*0\r\n*-1\r\n"[..]);
    assert_eq!(parser.parse(&mut buf, true), Ok(None));
    assert!(buf.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Multibulk

#[test]
fn multibulk_basic() {
    assert_eq!(
        run(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", true).cmds,
        [cmd(&[b"SET", b"k", b""])]
    );
    // Binary-safe payloads: CRLF and NUL inside a bulk are data.
    let args: [&[u8]; 2] = [b"SET", b"a\r\nb\0\r\n*1\r\n"];
    assert_eq!(run(&multibulk(&args), true).cmds, [cmd(&args)]);
    // Redis skips the two bytes after a payload and the one after a header's '\r' unchecked.
    assert_eq!(run(b"*1\rX$4\r\nPINGxy", true).cmds, [cmd(&[b"PING"])]);
}

#[test]
fn multibulk_args_are_zero_copy() {
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&multibulk(&[b"SET", b"key", b"value"])[..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let args = parser.parse(&mut buf, true).unwrap().unwrap();
    assert_eq!(args, ["SET", "key", "value"]);
    for arg in &args {
        assert!(range.contains(&(arg.as_ptr() as usize)));
    }
}

#[test]
fn pipelining() {
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..1000 {
        let key = format!("key:{i}");
        let value = vec![b'x'; i % 37];
        if i % 3 == 0 {
            input.extend_from_slice(format!("GET {key}\r\n").as_bytes());
            expected.push(cmd(&[b"GET", key.as_bytes()]));
        } else {
            input.extend(multibulk(&[b"SET", key.as_bytes(), &value]));
            expected.push(cmd(&[b"SET", key.as_bytes(), &value]));
        }
    }
    let out = run(&input, true);
    assert_eq!(out.err, None);
    assert_eq!(out.left, 0);
    assert_eq!(out.cmds, expected);
}

#[test]
fn split_at_every_offset() {
    let mut input = Vec::new();
    input.extend(multibulk(&[b"SET", b"key", b"a\r\nvalue"]));
    input.extend_from_slice(b"\r\nPING\r\n");
    input.extend_from_slice(b"SET \"a b\" '\\'x'\n");
    input.extend_from_slice(b"*0\r\n");
    input.extend(multibulk(&[b"MGET", b"", b"k2"]));
    let whole = run(&input, true);
    assert_eq!(whole.cmds.len(), 4);
    for at in 0..=input.len() {
        let mut parser = Parser::new(Limits::default());
        assert_eq!(
            run_chunked(&mut parser, &input, &[at], true),
            whole,
            "split at {at}"
        );
    }
    // And a byte at a time.
    let mut parser = Parser::new(Limits::default());
    assert_eq!(
        run_chunked(&mut parser, &input, &vec![1; input.len()], true),
        whole
    );
}

#[test]
fn errors_are_the_same_at_every_split() {
    for input in [
        &b"*2\r\n$3\r\nGET\r\nx\r\n"[..],
        b"*1\r\n$-3\r\n",
        b"PING\r\nSET \"a\r\n",
        b"*2\r\n$1\r\na\r\n$536870913\r\n",
    ] {
        let whole = run(input, true);
        assert!(whole.err.is_some());
        for at in 0..=input.len() {
            let mut parser = Parser::new(Limits::default());
            let split = run_chunked(&mut parser, input, &[at], true);
            assert_eq!((&split.cmds, &split.err), (&whole.cmds, &whole.err));
        }
    }
}

#[test]
fn progress_is_remembered() {
    // A big bulk arriving in small reads is completed without rescanning: after its header the
    // parser only compares lengths, which this checks through bytes_wanted.
    let value = vec![b'v'; 1 << 20];
    let input = multibulk(&[b"SET", b"k", &value]);
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::new();
    let mut got = None;
    for piece in input.chunks(4096) {
        buf.extend_from_slice(piece);
        if let Some(args) = parser.parse(&mut buf, true).unwrap() {
            got = Some(args);
        } else if buf.len() > 64 {
            assert_eq!(parser.bytes_wanted(&buf), input.len() - buf.len());
        }
    }
    let args = got.unwrap();
    assert_eq!(args[2].len(), value.len());
    assert!(buf.is_empty());
    assert_eq!(parser.bytes_wanted(&buf), 0);
}

#[test]
fn a_shrunk_buffer_does_not_panic() {
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n"[..]);
    assert_eq!(parser.parse(&mut buf, true), Ok(None));
    buf.clear();
    buf.extend_from_slice(b"PING\r\n");
    assert_eq!(parser.parse(&mut buf, true).unwrap().unwrap(), ["PING"]);
}

#[test]
fn string2ll_matches_redis() {
    let ok: &[(&[u8], i64)] = &[
        (b"0", 0),
        (b"1", 1),
        (b"-1", -1),
        (b"9223372036854775807", i64::MAX),
        (b"-9223372036854775808", i64::MIN),
    ];
    for &(s, n) in ok {
        let input = [b"*", s, b"\r\n"].concat();
        // Negative and zero counts are skipped; others wait for their bulks.
        let out = run(&input, true);
        if n > 1024 * 1024 {
            assert_eq!(out.err.as_deref(), Some(parse::ERR_INVALID_MULTIBULK_LEN));
        } else {
            assert_eq!(out.err, None, "{n}");
        }
    }
    for bad in [&b"-9223372036854775809"[..], b"00", b"-01", b"1-", b"--1"] {
        let input = [b"*", bad, b"\r\n"].concat();
        assert_eq!(
            run(&input, true).err.as_deref(),
            Some(parse::ERR_INVALID_MULTIBULK_LEN)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Encoder

fn enc(f: impl FnOnce(&mut BytesMut)) -> Vec<u8> {
    let mut out = BytesMut::new();
    f(&mut out);
    out.to_vec()
}

#[test]
fn encode_scalars() {
    assert_eq!(enc(|o| encode::simple(o, "OK")), b"+OK\r\n");
    assert_eq!(enc(|o| encode::simple(o, "a\r\nb")), b"+a  b\r\n");
    assert_eq!(
        enc(|o| encode::error(o, "ERR syntax error")),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        enc(|o| encode::error(o, "-WRONGTYPE Operation")),
        b"-WRONGTYPE Operation\r\n"
    );
    assert_eq!(
        enc(|o| encode::error(o, "ERR bad\nthing")),
        b"-ERR bad thing\r\n"
    );
    assert_eq!(enc(|o| encode::integer(o, 0)), b":0\r\n");
    assert_eq!(enc(|o| encode::integer(o, -42)), b":-42\r\n");
    assert_eq!(
        enc(|o| encode::integer(o, i64::MIN)),
        b":-9223372036854775808\r\n"
    );
    assert_eq!(enc(|o| encode::bulk(o, b"hello")), b"$5\r\nhello\r\n");
    assert_eq!(enc(|o| encode::bulk(o, b"")), b"$0\r\n\r\n");
    assert_eq!(enc(|o| encode::bulk(o, b"a\r\nb")), b"$4\r\na\r\nb\r\n");
}

#[test]
fn encode_resp2_and_resp3() {
    use Proto::{Resp2, Resp3};
    assert_eq!(Proto::default(), Resp2);
    assert_eq!(enc(|o| encode::null(o, Resp2)), b"$-1\r\n");
    assert_eq!(enc(|o| encode::null(o, Resp3)), b"_\r\n");
    assert_eq!(enc(|o| encode::null_array(o, Resp2)), b"*-1\r\n");
    assert_eq!(enc(|o| encode::null_array(o, Resp3)), b"_\r\n");
    assert_eq!(enc(|o| encode::array_len(o, 3)), b"*3\r\n");
    assert_eq!(enc(|o| encode::array_len(o, 0)), b"*0\r\n");
    assert_eq!(enc(|o| encode::map_len(o, 3, Resp2)), b"*6\r\n");
    assert_eq!(enc(|o| encode::map_len(o, 3, Resp3)), b"%3\r\n");
    assert_eq!(enc(|o| encode::set_len(o, 2, Resp2)), b"*2\r\n");
    assert_eq!(enc(|o| encode::set_len(o, 2, Resp3)), b"~2\r\n");
    assert_eq!(enc(|o| encode::push_len(o, 3, Resp2)), b"*3\r\n");
    assert_eq!(enc(|o| encode::push_len(o, 3, Resp3)), b">3\r\n");
    assert_eq!(enc(|o| encode::boolean(o, true, Resp2)), b":1\r\n");
    assert_eq!(enc(|o| encode::boolean(o, false, Resp2)), b":0\r\n");
    assert_eq!(enc(|o| encode::boolean(o, true, Resp3)), b"#t\r\n");
    assert_eq!(enc(|o| encode::boolean(o, false, Resp3)), b"#f\r\n");
    assert_eq!(enc(|o| encode::double(o, 1.5, Resp2)), b"$3\r\n1.5\r\n");
    assert_eq!(enc(|o| encode::double(o, 1.5, Resp3)), b",1.5\r\n");
    assert_eq!(
        enc(|o| encode::double(o, f64::INFINITY, Resp3)),
        b",inf\r\n"
    );
    assert_eq!(
        enc(|o| encode::double(o, f64::NEG_INFINITY, Resp2)),
        b"$4\r\n-inf\r\n"
    );
    assert_eq!(enc(|o| encode::double(o, f64::NAN, Resp3)), b",nan\r\n");
    assert_eq!(
        enc(|o| encode::verbatim(o, "txt", b"Some string", Resp3)),
        b"=15\r\ntxt:Some string\r\n"
    );
    assert_eq!(
        enc(|o| encode::verbatim(o, "md", b"x", Resp3)),
        b"=5\r\nmd :x\r\n"
    );
    assert_eq!(
        enc(|o| encode::verbatim(o, "markdown", b"", Resp3)),
        b"=4\r\nmar:\r\n"
    );
    assert_eq!(
        enc(|o| encode::verbatim(o, "txt", b"Some string", Resp2)),
        b"$11\r\nSome string\r\n"
    );
    assert_eq!(
        enc(|o| encode::big_number(o, "3492890328409238509324850943850943825024385", Resp3)),
        b"(3492890328409238509324850943850943825024385\r\n"
    );
    assert_eq!(enc(|o| encode::big_number(o, "12", Resp2)), b"$2\r\n12\r\n");
}

#[test]
fn double_formatting_matches_redis_d2string() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (-3.0, "-3"),
        (1.5, "1.5"),
        (-1.5, "-1.5"),
        (0.1, "0.1"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123.456, "123.456"),
        (1.0 / 3.0, "0.3333333333333333"),
        (3.25, "3.25"),
        (1234.5678, "1234.5678"),
        (1e-6, "0.000001"),
        (1.5e-6, "1.5e-6"),
        (2.5e-5, "0.000025"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.0012345678, "0.0012345678"),
        (1.2345678e-5, "1.2345678e-5"),
        (1e15, "1000000000000000"),
        (4611686018427387904.0, "4611686018427387904"),
        (1e19, "1e+19"),
        (12345678901234567e3, "12345678901234567000"),
        (1.5e300, "1.5e+300"),
        (-2.5e-300, "-2.5e-300"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
    ];
    for &(d, want) in cases {
        let mut buf = encode::DoubleBuf::new();
        let got = encode::format_double(d, &mut buf);
        assert_eq!(std::str::from_utf8(got), Ok(want), "{d:e}");
    }
}

#[test]
fn encode_command_round_trips() {
    let args: [&[u8]; 3] = [b"SET", b"k", b"v\r\n"];
    let bytes = enc(|o| encode::command(o, &args));
    assert_eq!(bytes, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n");
    assert_eq!(run(&bytes, true).cmds, [cmd(&args)]);
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any commands, encoded as multibulks and fed in random pieces, come back unchanged.
    #[test]
    fn round_trip_in_random_chunks(
        cmds in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..8),
            1..10,
        ),
        chunks in prop::collection::vec(0usize..64, 0..64),
    ) {
        let mut input = BytesMut::new();
        for c in &cmds {
            encode::command(&mut input, c);
        }
        let mut parser = Parser::new(Limits::default());
        let out = run_chunked(&mut parser, &input, &chunks, true);
        prop_assert_eq!(out, Outcome { cmds, err: None, left: 0 });
    }

    /// Decimal round trip of the double formatter.
    #[test]
    fn doubles_round_trip(d in any::<f64>()) {
        let mut buf = encode::DoubleBuf::new();
        let text = std::str::from_utf8(encode::format_double(d, &mut buf)).unwrap_or("?");
        let back: f64 = match text {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or(f64::NAN),
        };
        prop_assert!(back == d || (d.is_nan() && back.is_nan()), "{} -> {}", d, text);
    }

    /// Arbitrary bytes never panic, and give the same commands and error however they are cut.
    #[test]
    fn arbitrary_bytes_parse_the_same_in_any_chunks(
        input in prop::collection::vec(
            prop_oneof![
                any::<u8>(),
                Just(b'*'), Just(b'$'), Just(b'\r'), Just(b'\n'), Just(b'"'), Just(b'\''),
                Just(b'\\'), Just(b' '), Just(b'1'), Just(b'2'), Just(b'-'),
            ],
            0..300,
        ),
        chunks in prop::collection::vec(0usize..16, 0..64),
        auth in any::<bool>(),
    ) {
        let whole = run(&input, auth);
        let mut parser = Parser::new(Limits::default());
        let split = run_chunked(&mut parser, &input, &chunks, auth);
        prop_assert_eq!(&split.cmds, &whole.cmds);
        prop_assert_eq!(&split.err, &whole.err);
        if whole.err.is_none() {
            prop_assert_eq!(split.left, whole.left);
        }
    }

    /// Structured-looking garbage: valid commands with one byte flipped.
    #[test]
    fn mutated_commands_never_panic(
        args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 1..5),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut input = BytesMut::new();
        encode::command(&mut input, &args);
        let i = at.index(input.len());
        input[i] = byte;
        let _ = run(&input, true);
        let _ = run(&input, false);
    }
}

#[test]
fn g17_formatting_matches_printf() {
    // What glibc's printf("%.17g") prints (checked with python's "%.17g", the same C code).
    let cases: &[(f64, &str)] = &[
        (1.0, "1"),
        (-3.0, "-3"),
        (1.5, "1.5"),
        (0.1, "0.10000000000000001"),
        (1.1, "1.1000000000000001"),
        (100.0, "100"),
        (1e16, "10000000000000000"),
        (1e17, "1e+17"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (1e-4, "0.0001"),
        (1.5e-5, "1.5e-05"),
        (1e-5, "1.0000000000000001e-05"),
        (-0.0, "-0"),
        (0.0, "0"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::MAX, "1.7976931348623157e+308"),
        (5e-324, "4.9406564584124654e-324"),
        (2.5, "2.5"),
        (3.0e2, "300"),
    ];
    for &(d, want) in cases {
        assert_eq!(encode::format_g17(d), want, "{d:e}");
    }
}
