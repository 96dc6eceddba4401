//! Fuzzes the RESP request parser (and, on the side, the double formatter).
//!
//! Beyond "never panics", every input is checked for:
//!
//! * **chunking invariance**: fed whole, byte by byte, or cut into pieces whose sizes come from
//!   the input's first bytes, it yields the same commands and the same error (Redis' limits
//!   depend on how bytes arrive only past 64 KiB, more than libFuzzer's inputs);
//! * **exact consumption**: the bytes a command took off the buffer (empty requests skipped
//!   before it included), fed alone to a fresh parser, give back exactly the commands up to it
//!   and leave nothing behind (the split, byte-by-byte and whole feeds agree on these offsets);
//! * **`bytes_wanted` is a lower bound**: once the parser says it needs `w` more bytes, no
//!   command completes before `w` more bytes have arrived;
//! * **round trip**: every parsed command, re-encoded as a multibulk and parsed again, comes
//!   back the same;
//! * **no leftovers on error**: after an error the parser is reset and parses a clean command.
//!
//! Built with `cargo fuzz` (`--cfg fuzzing`) this is a libFuzzer target. Without it, it is a
//! plain program that replays the files named on its command line (or stdin), so the checks
//! also run on a stable toolchain.
#![cfg_attr(fuzzing, no_main)]

use bytes::{Bytes, BytesMut};
use kvs_server::resp::{Limits, Parser, ProtocolError, encode};

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    cmds: Vec<Vec<Bytes>>,
    /// Input offset just past each command: how far into `input` the parser had consumed
    /// once it returned that command.
    ends: Vec<usize>,
    err: Option<ProtocolError>,
    left: usize,
}

/// Feeds `input` in pieces of `chunks` sizes (then pieces of `tail_chunk`, or the rest at once
/// if it is 0), draining after each piece. Checks `bytes_wanted` on the way.
fn feed(
    parser: &mut Parser,
    input: &[u8],
    chunks: &[usize],
    tail_chunk: usize,
    auth: bool,
) -> Outcome {
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    let mut ends = Vec::new();
    let mut fed = 0usize;
    let mut sizes = chunks.iter();
    // The input offset no command may complete before (from `bytes_wanted`).
    let mut not_before = 0usize;
    loop {
        let rest = &input[fed..];
        let default = if tail_chunk == 0 {
            rest.len()
        } else {
            tail_chunk
        };
        let n = sizes.next().copied().unwrap_or(default).min(rest.len());
        buf.extend_from_slice(&rest[..n]);
        fed += n;
        loop {
            match parser.parse(&mut buf, auth) {
                Ok(Some(args)) => {
                    assert!(
                        fed >= not_before,
                        "a command completed at {fed}, bytes_wanted promised not before {not_before}"
                    );
                    not_before = 0;
                    cmds.push(args);
                    ends.push(fed - buf.len());
                }
                Ok(None) => {
                    not_before = fed + parser.bytes_wanted(&buf);
                    break;
                }
                Err(e) => {
                    return Outcome {
                        cmds,
                        ends,
                        err: Some(e),
                        left: buf.len(),
                    };
                }
            }
        }
        if fed == input.len() {
            return Outcome {
                cmds,
                ends,
                err: None,
                left: buf.len(),
            };
        }
    }
}

fn check(data: &[u8]) {
    // First byte: flags; next up to 16 bytes: chunk sizes (0 is allowed: an empty read).
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let auth = flags & 1 == 0;
    let n_chunks = usize::from(flags >> 4).min(rest.len());
    let (chunk_bytes, input) = rest.split_at(n_chunks);
    let chunks: Vec<usize> = chunk_bytes.iter().map(|&b| usize::from(b % 32)).collect();

    let whole = feed(&mut Parser::new(Limits::default()), input, &[], 0, auth);
    let mut parser = Parser::new(Limits::default());
    let split = feed(&mut parser, input, &chunks, 0, auth);
    if input.len() <= 64 * 1024 {
        assert_eq!(
            split.cmds, whole.cmds,
            "commands differ with chunks {chunks:?}"
        );
        assert_eq!(split.err, whole.err, "errors differ with chunks {chunks:?}");
        if whole.err.is_none() {
            assert_eq!(split.left, whole.left);
            assert_eq!(split.ends, whole.ends);
        }
        // One byte at a time: the slowest client there is (the parser is O(n) overall, so
        // this costs no more than the whole feed).
        let bytewise = feed(&mut Parser::new(Limits::default()), input, &[], 1, auth);
        assert_eq!(
            bytewise.cmds, whole.cmds,
            "commands differ fed byte by byte"
        );
        assert_eq!(bytewise.err, whole.err, "errors differ fed byte by byte");
        if whole.err.is_none() {
            assert_eq!(bytewise.left, whole.left);
            assert_eq!(bytewise.ends, whole.ends);
        }
    }

    // Exact consumption: the offsets are increasing, and the bytes taken for the first i
    // commands, alone, are exactly those i commands with nothing left over.
    assert!(
        whole.ends.windows(2).all(|w| w[0] < w[1]),
        "{:?}",
        whole.ends
    );
    if whole.err.is_none() {
        let consumed = whole.ends.last().copied().unwrap_or(0);
        assert!(consumed + whole.left <= input.len());
    }
    for (i, &end) in whole.ends.iter().enumerate() {
        // Every prefix up to 8 commands, then only the last one (keeps it linear-ish).
        if i >= 8 && i + 1 != whole.ends.len() {
            continue;
        }
        let alone = feed(
            &mut Parser::new(Limits::default()),
            &input[..end],
            &[],
            0,
            auth,
        );
        assert_eq!(alone.err, None, "prefix of {end} bytes failed");
        assert_eq!(alone.cmds[..], whole.cmds[..=i], "prefix of {end} bytes");
        assert_eq!(alone.left, 0, "prefix of {end} bytes left bytes behind");
    }

    // Every command re-encodes to a multibulk that parses back to itself, entirely.
    for cmd in &whole.cmds {
        assert!(!cmd.is_empty(), "an empty command was returned");
        let mut buf = BytesMut::new();
        encode::command(&mut buf, cmd);
        let mut p = Parser::new(Limits::default());
        let again = p.parse(&mut buf, true);
        assert_eq!(again.as_ref().ok().and_then(|c| c.as_ref()), Some(cmd));
        assert!(buf.is_empty());
    }

    // After an error the parser starts clean.
    if split.err.is_some() {
        let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]);
        let cmd = parser.parse(&mut buf, auth);
        assert_eq!(cmd, Ok(Some(vec![Bytes::from_static(b"PING")])));
    }

    // The double formatter round-trips any 8 bytes.
    if let Some(bits) = data.get(..8) {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(bits);
        let d = f64::from_le_bytes(raw);
        let mut text = encode::DoubleBuf::new();
        let s = std::str::from_utf8(encode::format_double(d, &mut text)).expect("ascii");
        let back: f64 = match s {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => other.parse().expect("a float"),
        };
        assert!(back == d || (d.is_nan() && back.is_nan()), "{d:e} -> {s}");
        // "-0" must stay negative (== cannot tell).
        assert!(d.is_nan() || back.is_sign_negative() == d.is_sign_negative());
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

/// Without libFuzzer: replay the given files (or stdin) through the same checks.
#[cfg(not(fuzzing))]
fn main() -> std::io::Result<()> {
    use std::io::Read;
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        let mut data = Vec::new();
        std::io::stdin().read_to_end(&mut data)?;
        check(&data);
        return Ok(());
    }
    for path in paths {
        let meta = std::fs::metadata(&path)?;
        let files: Vec<std::path::PathBuf> = if meta.is_dir() {
            std::fs::read_dir(&path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect()
        } else {
            vec![path.into()]
        };
        for file in files {
            check(&std::fs::read(&file)?);
        }
    }
    Ok(())
}
