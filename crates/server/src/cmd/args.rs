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

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &Bytes, name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

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
