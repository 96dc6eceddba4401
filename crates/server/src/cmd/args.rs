//! Argument parsing shared by the commands, with Redis' exact error texts.

use bytes::Bytes;

/// `ERR syntax error`.
pub const SYNTAX: &str = "ERR syntax error";
/// What Redis says for a bad integer argument.
pub const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// What Redis says for a bad float argument.
pub const NOT_FLOAT: &str = "ERR value is not a valid float";

/// `ERR wrong number of arguments for 'NAME' command`.
pub fn wrong_arity(name: &str) -> String {
    format!("ERR wrong number of arguments for '{name}' command")
}

/// Parses a signed 64-bit integer the way Redis' `string2ll` does (one implementation for the
/// protocol's lengths and the commands' arguments: [`crate::resp::parse::string2ll`]).
pub use crate::resp::parse::string2ll as parse_i64;

/// [`parse_i64`] with Redis' error text.
pub fn int(b: &[u8]) -> Result<i64, String> {
    parse_i64(b).ok_or_else(|| NOT_INTEGER.to_string())
}

/// A command's arguments, read front to back (mini-redis' `Parse`): each read is checked, so a
/// command never indexes past what its table row's arity promised. Running out is reported as
/// Redis reports a wrong argument count (the table's arity check normally catches it first).
pub struct ArgCursor<'a> {
    name: &'a [u8],
    rest: std::slice::Iter<'a, Bytes>,
}

impl<'a> ArgCursor<'a> {
    /// The arguments after the command name `args[0]`.
    pub fn new(args: &'a [Bytes]) -> ArgCursor<'a> {
        let (name, rest) = match args.split_first() {
            Some((name, rest)) => (&name[..], rest),
            None => (&b""[..], args),
        };
        ArgCursor {
            name,
            rest: rest.iter(),
        }
    }

    /// The next argument (a key, a value...).
    pub fn next_bytes(&mut self) -> Result<Bytes, String> {
        match self.rest.next() {
            Some(a) => Ok(a.clone()),
            None => Err(wrong_arity(
                &String::from_utf8_lossy(self.name).to_lowercase(),
            )),
        }
    }

    /// The next argument as an integer ([`int`]'s rules and error).
    pub fn next_int(&mut self) -> Result<i64, String> {
        int(&self.next_bytes()?)
    }

    /// The next argument, or `None` at the end (for optional trailing arguments). Borrowed:
    /// an option's name needs no copy.
    pub fn next_opt(&mut self) -> Option<&'a Bytes> {
        self.rest.next()
    }

    /// The next argument without consuming it (an option's value, if any).
    pub fn peek(&self) -> Option<&'a Bytes> {
        self.rest.as_slice().first()
    }

    /// Every argument not read yet, borrowed (MSET's pairs, EXPIRE's options).
    pub fn remaining(self) -> &'a [Bytes] {
        self.rest.as_slice()
    }

    /// Every argument not read yet, owned (DEL's keys, MGET's...).
    pub fn rest(self) -> Vec<Bytes> {
        self.remaining().to_vec()
    }
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &Bytes, name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// A SCAN, HSCAN or SSCAN cursor as Redis reads one (`parseScanCursorOrReply`): `strtoul(arg, &end, 10)` over the argument up to its first
/// NUL byte, valid if it does not start with white space, `end` is the end and it did not
/// overflow. So an empty argument is cursor 0, a sign is allowed and `-n` wraps around as
/// `strtoul` does.
pub fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    let s = &arg[..memchr::memchr(0, arg).unwrap_or(arg.len())];
    let Some(&first) = s.first() else {
        return Some(0);
    };
    if matches!(first, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        return None;
    }
    let (negative, digits) = match first {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { n.wrapping_neg() } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_reads_in_order_and_reports_running_out_as_redis_does() {
        let args: Vec<Bytes> = ["GETRANGE", "k", "-1", "x"].map(Bytes::from).into();
        let mut a = ArgCursor::new(&args);
        assert_eq!(a.next_bytes().unwrap(), "k");
        assert_eq!(a.next_int(), Ok(-1));
        assert_eq!(a.next_int(), Err(NOT_INTEGER.to_string()));
        assert_eq!(
            a.next_bytes(),
            Err("ERR wrong number of arguments for 'getrange' command".to_string())
        );
        let args: Vec<Bytes> = ["DEL", "a", "b"].map(Bytes::from).into();
        let mut a = ArgCursor::new(&args);
        assert_eq!(a.next_bytes().unwrap(), "a");
        assert_eq!(a.rest(), vec![Bytes::from_static(b"b")]);
    }

    #[test]
    fn integers_parse_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"9223372036854775808",
            b"1.5",
            b"abc",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
