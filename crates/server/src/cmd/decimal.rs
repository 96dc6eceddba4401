//! Exact decimal arithmetic for INCRBYFLOAT.
//!
//! Redis adds in `long double` and prints `%.17Lf` with trailing zeros removed: its extra
//! precision hides the binary noise an `f64` shows (`0.1 + 0.2` prints `0.3` there). Adding the
//! decimal strings exactly, at Redis' 17 decimal places, prints what Redis prints for every value
//! a client can write; values too large for that (beyond ~10^21) fall back to `f64`.

/// Decimal places kept, as `%.17Lf` prints.
const PLACES: u32 = 17;
const SCALE: i128 = 10i128.pow(PLACES);

/// Parses a decimal (`-12.5`, `3`, `1e-3`, `.5`) into units of 10^-17, rounding half away from
/// zero past the 17th place. `None` for anything else or on overflow.
pub fn parse(s: &[u8]) -> Option<i128> {
    let (neg, s) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let (mantissa_part, exp) = match s.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (
            &s[..i],
            std::str::from_utf8(&s[i + 1..]).ok()?.parse::<i32>().ok()?,
        ),
        None => (s, 0),
    };
    let (int, frac) = match mantissa_part.iter().position(|&c| c == b'.') {
        Some(i) => (&mantissa_part[..i], &mantissa_part[i + 1..]),
        None => (mantissa_part, &[][..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut mantissa: i128 = 0;
    for &d in int.iter().chain(frac) {
        if !d.is_ascii_digit() {
            return None;
        }
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(i128::from(d - b'0'))?;
    }
    // value = mantissa * 10^(exp - frac.len()); in units: * 10^(PLACES + exp - frac.len())
    let shift = PLACES as i64 + i64::from(exp) - frac.len() as i64;
    let units = if shift >= 0 {
        mantissa.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?
    } else {
        let div = 10i128
            .checked_pow(u32::try_from(-shift).ok()?)
            .unwrap_or(i128::MAX);
        let (q, r) = (mantissa / div, mantissa % div);
        if r >= div - r { q + 1 } else { q }
    };
    Some(if neg { -units } else { units })
}

/// Formats units of 10^-17 like Redis: no exponent, no trailing zeros, no "-0".
pub fn format(v: i128) -> String {
    let int = (v / SCALE).unsigned_abs();
    let frac = (v % SCALE).unsigned_abs();
    let sign = if v < 0 { "-" } else { "" };
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:017}");
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// `current + increment` printed as Redis would, if both are exact decimals in range.
pub fn add(current: &[u8], increment: &[u8]) -> Option<String> {
    Some(format(parse(current)?.checked_add(parse(increment)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_print_like_redis_long_double() {
        assert_eq!(add(b"10.50", b"0.1").as_deref(), Some("10.6"));
        assert_eq!(add(b"0.1", b"0.2").as_deref(), Some("0.3"));
        assert_eq!(add(b"5.0e3", b"2.0e2").as_deref(), Some("5200"));
        assert_eq!(
            add(b"0", b"9007199254740992").as_deref(),
            Some("9007199254740992")
        );
        assert_eq!(
            add(b"0", b"0.1234567890123456").as_deref(),
            Some("0.1234567890123456")
        );
        assert_eq!(add(b"0", b"1e-20").as_deref(), Some("0"));
        assert_eq!(add(b"1", b"-1.5").as_deref(), Some("-0.5"));
        assert_eq!(add(b"-0.5", b"0.5").as_deref(), Some("0"));
        assert_eq!(add(b"3", b"-5").as_deref(), Some("-2"));
        assert_eq!(add(b"1e30", b"1"), None); // out of range: the caller falls back to f64
        assert_eq!(parse(b"abc"), None);
        assert_eq!(parse(b"."), None);
    }
}
