//! Inline requests (`SET k v` typed into telnet): the line is split into arguments exactly as
//! Redis' `sdssplitargs` (`src/sds.c`) does — quotes, escapes, and the "unbalanced quotes" error
//! byte for byte. Written by hand on purpose: no shell-words crate splits the same way (Redis
//! takes `\xHH`, requires a blank after a closing quote, keeps `a"b c"` as one word), and what
//! a client sees must be what Redis gives it.

use bytes::Bytes;

use super::parse::{ERR_UNBALANCED_QUOTES, ProtocolError};

/// `isspace` in the C locale, which `sdssplitargs` uses to skip blanks between words and to
/// check what follows a closing quote.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_digit(c: Option<&u8>) -> Option<u8> {
    let d = char::from(*c?).to_digit(16)?;
    u8::try_from(d).ok()
}

/// One word of an inline request. It stays a range of the line, so the word becomes a
/// zero-copy slice, until quotes or escapes make its bytes non-contiguous.
enum Word {
    Slice { start: usize, end: usize },
    Owned(Vec<u8>),
}

impl Word {
    /// Appends `byte`, found at `at` in the line.
    fn push_at(&mut self, line: &[u8], at: usize, byte: u8) {
        match self {
            Word::Slice { start, end } if *start == *end => {
                *start = at;
                *end = at + 1;
            }
            Word::Slice { end, .. } if *end == at => *end += 1,
            _ => self.push(line, byte),
        }
    }

    /// Appends a byte that is not simply the next one of the line (an escape's result).
    fn push(&mut self, line: &[u8], byte: u8) {
        if let Word::Slice { start, end } = *self {
            let mut owned = Vec::with_capacity(end - start + 16);
            owned.extend_from_slice(line.get(start..end).unwrap_or_default());
            *self = Word::Owned(owned);
        }
        if let Word::Owned(v) = self {
            v.push(byte);
        }
    }

    fn finish(self, line: &Bytes) -> Bytes {
        match self {
            Word::Slice { start, end } => line.slice(start..end),
            Word::Owned(v) => Bytes::from(v),
        }
    }
}

enum Quote {
    None,
    Double,
    Single,
}

/// Splits `line[..end]` into words exactly like Redis' `sdssplitargs` (`src/sds.c`):
///
/// * words are separated by blanks; outside quotes a word ends at space, tab, `\r` or `\n`;
/// * `"..."` understands `\xHH` and `\n` `\r` `\t` `\b` `\a`, and `\<any>` means `<any>`;
/// * `'...'` is literal except for `\'`;
/// * a closing quote must be followed by a blank or the end of the line, and an unclosed
///   quote is an error: both are "unbalanced quotes";
/// * quotes may start mid-word (`a"b c"` is `ab c`), and `""` is an empty argument.
pub(super) fn split_args(line: &Bytes, end: usize) -> Result<Vec<Bytes>, ProtocolError> {
    let s = line.get(..end).unwrap_or_default();
    let unbalanced = || ProtocolError::new(ERR_UNBALANCED_QUOTES);
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while s.get(i).is_some_and(|&c| is_space(c)) {
            i += 1;
        }
        if i >= s.len() {
            return Ok(words);
        }
        let mut word = Word::Slice { start: i, end: i };
        let mut quote = Quote::None;
        loop {
            let c = s.get(i).copied();
            match quote {
                Quote::Double => match c {
                    None => return Err(unbalanced()),
                    Some(b'\\') => {
                        let escaped = s.get(i + 1).copied();
                        let hex = (hex_digit(s.get(i + 2)), hex_digit(s.get(i + 3)));
                        match (escaped, hex) {
                            (Some(b'x'), (Some(hi), Some(lo))) => {
                                word.push(s, hi * 16 + lo);
                                i += 4;
                            }
                            (Some(e), _) => {
                                word.push(s, unescape(e));
                                i += 2;
                            }
                            // A backslash ending the line is literal; the quote is then
                            // unclosed.
                            (None, _) => {
                                word.push_at(s, i, b'\\');
                                i += 1;
                            }
                        }
                    }
                    Some(b'"') => {
                        if s.get(i + 1).is_some_and(|&n| !is_space(n)) {
                            return Err(unbalanced());
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        word.push_at(s, i, other);
                        i += 1;
                    }
                },
                Quote::Single => match c {
                    None => return Err(unbalanced()),
                    Some(b'\\') if s.get(i + 1) == Some(&b'\'') => {
                        word.push(s, b'\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        if s.get(i + 1).is_some_and(|&n| !is_space(n)) {
                            return Err(unbalanced());
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => {
                        word.push_at(s, i, other);
                        i += 1;
                    }
                },
                Quote::None => match c {
                    None => break,
                    Some(b' ' | b'\n' | b'\r' | b'\t') => {
                        i += 1;
                        break;
                    }
                    Some(b'"') => {
                        quote = Quote::Double;
                        i += 1;
                    }
                    Some(b'\'') => {
                        quote = Quote::Single;
                        i += 1;
                    }
                    Some(other) => {
                        word.push_at(s, i, other);
                        i += 1;
                    }
                },
            }
        }
        words.push(word.finish(line));
    }
}

/// The byte a `\<c>` escape inside double quotes stands for.
fn unescape(c: u8) -> u8 {
    match c {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    }
}
