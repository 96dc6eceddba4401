//! C's `printf("%.17g", d)` without an allocation: how Redis 7.0 prints a sorted-set score
//! (`addReplyDouble`), with `inf`, `-inf` and `nan` spelled as Redis sends them.
//!
//! `%.17g` gives 17 significant digits, in fixed notation when the decimal exponent is from -4
//! to 16 and as `d.ddde±XX` (at least two exponent digits) otherwise, with trailing zeros and a
//! trailing point removed. The digits come from Rust's `{:.16e}`, which rounds exactly as
//! glibc's printf does; the fixed form is laid out from those same digits. An integral score
//! below 10^17 — the common case: ranks, counts, timestamps — is printed directly.

use std::fmt::Write;

/// Longest output: `-1.2345678901234567e-308` (24 bytes) or a fixed form of 17 digits with a
/// sign, a point and up to 4 leading zeros (`-0.00012345678901234567`, 23 bytes).
pub const MAX_LEN: usize = 32;

/// A stack buffer `core::fmt` can write into.
struct Stack {
    buf: [u8; MAX_LEN],
    len: usize,
}

impl Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Writes `d` as `%.17g` into `out`; the length written.
pub fn format(d: f64, out: &mut [u8; MAX_LEN]) -> usize {
    let put = |out: &mut [u8; MAX_LEN], s: &[u8]| {
        out[..s.len()].copy_from_slice(s);
        s.len()
    };
    if d.is_nan() {
        return put(out, b"nan");
    }
    if d.is_infinite() {
        return put(out, if d > 0.0 { b"inf" } else { b"-inf" });
    }
    if d == 0.0 {
        return put(out, if d.is_sign_negative() { b"-0" } else { b"0" });
    }
    if d.fract() == 0.0 && d.abs() < 1e17 {
        // At most 17 digits: the integer itself is its 17-digit form.
        let mut digits = itoa::Buffer::new();
        return put(out, digits.format(d as i64).as_bytes());
    }
    let mut sci = Stack {
        buf: [0; MAX_LEN],
        len: 0,
    };
    // `-d.dddddddddddddddde-X`: cannot overflow the buffer, so the write cannot fail.
    let _ = write!(sci, "{d:.16e}");
    let text = &sci.buf[..sci.len];
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e_at = text.iter().position(|&b| b == b'e').unwrap_or(text.len());
    let mut digits = [0u8; 17];
    let mut n = 0;
    for &b in &text[..e_at] {
        if b.is_ascii_digit() && n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    let exp_text = text.get(e_at + 1..).unwrap_or_default();
    let exp = std::str::from_utf8(exp_text)
        .ok()
        .and_then(|e| e.parse::<i32>().ok())
        .unwrap_or(0);
    // Significant digits without the trailing zeros.
    let sig = digits[..n]
        .iter()
        .rposition(|&b| b != b'0')
        .map_or(1, |i| i + 1);
    let mut len = 0;
    let mut push = |out: &mut [u8; MAX_LEN], b: u8| {
        out[len] = b;
        len += 1;
    };
    if negative {
        push(out, b'-');
    }
    if (-4..17).contains(&exp) {
        if exp < 0 {
            push(out, b'0');
            push(out, b'.');
            for _ in 0..(-exp - 1) {
                push(out, b'0');
            }
            for &b in &digits[..sig] {
                push(out, b);
            }
        } else {
            let int_digits = exp as usize + 1;
            for &b in &digits[..int_digits] {
                push(out, b);
            }
            if sig > int_digits {
                push(out, b'.');
                for &b in &digits[int_digits..sig] {
                    push(out, b);
                }
            }
        }
    } else {
        push(out, digits[0]);
        if sig > 1 {
            push(out, b'.');
            for &b in &digits[1..sig] {
                push(out, b);
            }
        }
        push(out, b'e');
        push(out, if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e >= 100 {
            push(out, b'0' + (e / 100) as u8);
        }
        push(out, b'0' + (e / 10 % 10) as u8);
        push(out, b'0' + (e % 10) as u8);
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward `String` formatting this replaces, as the oracle.
    fn oracle(d: f64) -> String {
        if d.is_nan() {
            return "nan".into();
        }
        if d.is_infinite() {
            return if d > 0.0 { "inf".into() } else { "-inf".into() };
        }
        if d == 0.0 {
            return if d.is_sign_negative() { "-0" } else { "0" }.into();
        }
        let sci = format!("{d:.16e}");
        let (mantissa, exp) = sci.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let strip = |s: String| -> String {
            if s.contains('.') {
                s.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                s
            }
        };
        if (-4..17).contains(&exp) {
            let decimals = usize::try_from(16 - exp).unwrap_or(0);
            strip(format!("{d:.decimals$}"))
        } else {
            let m = strip(mantissa.to_string());
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", exp.unsigned_abs())
        }
    }

    fn ours(d: f64) -> String {
        let mut buf = [0; MAX_LEN];
        let n = format(d, &mut buf);
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn prints_as_c_printf_g17() {
        for (d, want) in [
            (0.1, "0.10000000000000001"),
            (1.5, "1.5"),
            (1e20, "1e+20"),
            (-2.5e-7, "-2.4999999999999999e-07"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e16, "10000000000000000"),
            (0.0001, "0.0001"),
            (1e-5, "1.0000000000000001e-05"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (-0.0, "-0"),
            (3.0, "3"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(ours(d), want, "{d:e}");
            assert_eq!(oracle(d), want, "{d:e}");
        }
    }

    #[test]
    fn agrees_with_the_oracle_on_random_doubles() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let d = match i % 4 {
                0 => f64::from_bits(x),
                1 => (x % 2_000_000) as f64 / 1000.0 - 1000.0,
                2 => (x >> 11) as f64 * 2f64.powi((x % 120) as i32 - 60),
                _ => (x % 100_000) as f64 * 10f64.powi((x % 40) as i32 - 20),
            };
            assert_eq!(ours(d), oracle(d), "{d:e} ({:#x})", d.to_bits());
        }
    }
}
