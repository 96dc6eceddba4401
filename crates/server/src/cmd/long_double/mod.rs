//! A software x87 80-bit `long double`, for INCRBYFLOAT.
//!
//! Redis (x86-64, glibc) runs INCRBYFLOAT as `string2ld` (`strtold`) on the stored value and on
//! the increment, `value += incr` in `long double`, and prints the sum with `%.17Lf` minus the
//! trailing zeros. To give the same bytes, this module does exactly those three steps on the x87
//! extended format: a 64-bit significand with an explicit integer bit, exponents down to
//! subnormals (smallest 2^-16445) and up to 2^16384 (exclusive), round-to-nearest-even:
//!
//! - [`LongDouble::parse`]: `strtold`'s grammar (decimal, hex `0x1.8p3`, `inf`/`infinity`),
//!   correctly rounded, with `string2ld`'s rejections (empty, leading space, trailing garbage,
//!   NaN, overflow to infinity, underflow to zero, 5 KiB length limit);
//! - [`LongDouble::add`]: the exact sum, rounded once;
//! - [`LongDouble::to_human`]: glibc's `%.17Lf` (the exact binary value rounded half-even at the
//!   17th decimal place) with Redis' `LD_STR_HUMAN` trimming.
//!
//! Every value is `±mant * 2^exp`; the exact arithmetic behind the rounding uses `num-bigint`
//! where `u128` is not enough (long digit strings, far-apart exponents, integers up to ~1e4932).

use num_bigint::BigUint;

/// `string2ld` refuses strings of this length or longer (`MAX_LONG_DOUBLE_CHARS`).
const MAX_CHARS: usize = 5 * 1024;
/// Exponent of the least significant significand bit of subnormals (and of the smallest normal).
const MIN_LSB_EXP: i64 = -16445;
/// Largest exponent of the leading significand bit of a finite value.
const MAX_TOP_EXP: i64 = 16383;
/// Decimal places `%.17Lf` prints.
const PLACES: u32 = 17;
const SCALE: u128 = 10u128.pow(PLACES);

/// An x87 extended-precision value; NaN is never held (operations that make one return `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongDouble {
    /// `(-1)^neg * mant * 2^exp`, canonical: zero has `mant == 0`; a normal value has bit 63 of
    /// `mant` set; a subnormal has `exp == -16445` and bit 63 clear.
    Finite { neg: bool, mant: u64, exp: i32 },
    /// ±infinity.
    Infinite { neg: bool },
}

impl LongDouble {
    pub const fn zero(neg: bool) -> Self {
        LongDouble::Finite {
            neg,
            mant: 0,
            exp: 0,
        }
    }

    pub fn is_finite(self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// Parses like Redis' `string2ld`: `None` where it fails.
    pub fn parse(s: &[u8]) -> Option<Self> {
        if s.is_empty() || s.len() >= MAX_CHARS {
            return None;
        }
        let (neg, body) = match s {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble::Infinite { neg });
        }
        // Anything else that is not a number (NaN in all its spellings, spaces, junk) is refused.
        let parsed = match body {
            [b'0', b'x' | b'X', hex @ ..] => parse_hex(neg, hex)?,
            _ => parse_decimal(neg, body)?,
        };
        match parsed {
            // ERANGE with ±HUGE_VAL: a finite number too large.
            LongDouble::Infinite { .. } => None,
            v => Some(v),
        }
    }

    /// `self + other` rounded to nearest-even; `None` for NaN (`inf + -inf`).
    pub fn add(self, other: Self) -> Option<Self> {
        use LongDouble::{Finite, Infinite};
        match (self, other) {
            (Infinite { neg: a }, Infinite { neg: b }) => (a == b).then_some(self),
            (Infinite { .. }, _) => Some(self),
            (_, Infinite { .. }) => Some(other),
            (
                Finite {
                    neg: an,
                    mant: am,
                    exp: ae,
                },
                Finite {
                    neg: bn,
                    mant: bm,
                    exp: be,
                },
            ) => Some(if am == 0 && bm == 0 {
                LongDouble::zero(an && bn)
            } else if am == 0 {
                other
            } else if bm == 0 {
                self
            } else {
                let (hi, lo) = if ae >= be { (ae, be) } else { (be, ae) };
                let d = hi - lo;
                if d >= 67 {
                    // The operand with the larger exponent is normal and the other is below an
                    // eighth of its last place: the sum rounds back to it.
                    return Some(if ae > be { self } else { other });
                }
                if d <= 63 {
                    // Exact in u128: at most 127 bits, plus a carry.
                    let a = u128::from(am) << (ae - lo);
                    let b = u128::from(bm) << (be - lo);
                    let (neg, n) = if an == bn {
                        (an, a + b)
                    } else if a >= b {
                        (an, a - b)
                    } else {
                        (bn, b - a)
                    };
                    if n == 0 {
                        return Some(LongDouble::zero(false));
                    }
                    return Some(round_small(neg, n, 1, i64::from(lo)));
                }
                let e = lo;
                let a = BigUint::from(am) << (ae - e) as u64;
                let b = BigUint::from(bm) << (be - e) as u64;
                if an == bn {
                    round(an, a + b, None, i64::from(e))
                } else if a > b {
                    round(an, a - b, None, i64::from(e))
                } else if b > a {
                    round(bn, b - a, None, i64::from(e))
                } else {
                    LongDouble::zero(false)
                }
            }),
        }
    }

    /// Prints like Redis' `ld2string(.., LD_STR_HUMAN)`: `%.17Lf`, then the trailing zeros after
    /// the point (and a bare point) dropped, and "-0" as "0".
    pub fn to_human(self) -> String {
        let (neg, mant, exp) = match self {
            LongDouble::Infinite { neg } => return if neg { "-inf" } else { "inf" }.to_string(),
            LongDouble::Finite { neg, mant, exp } => (neg, mant, exp),
        };
        let sign = if neg { "-" } else { "" };
        if exp >= 0 {
            // An integer: "%.17Lf" adds ".00000000000000000", which the trimming takes off.
            if mant == 0 {
                return "0".to_string();
            }
            if exp <= 64 {
                return format!("{sign}{}", u128::from(mant) << exp);
            }
            let int = BigUint::from(mant) << exp as u64;
            return format!("{sign}{int}");
        }
        // mant * 2^exp * 10^17, rounded half-even to an integer: fits u128 (< 2^64 * 10^17).
        let scaled = u128::from(mant) * SCALE;
        let shift = exp.unsigned_abs();
        let units = if shift > 127 {
            0 // scaled < 2^121 is below half a unit
        } else {
            let q = scaled >> shift;
            let rem = scaled & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        if units == 0 {
            return "0".to_string();
        }
        let (int, frac) = (units / SCALE, units % SCALE);
        if frac == 0 {
            return format!("{sign}{int}");
        }
        let frac = format!("{frac:017}");
        format!("{sign}{int}.{}", frac.trim_end_matches('0'))
    }
}

/// Rounds `num / den * 2^exp` (`den` 1 when `None`) to the nearest extended value, ties to even;
/// too large gives infinity, too small zero (or a subnormal).
fn round(neg: bool, num: BigUint, den: Option<&BigUint>, exp: i64) -> LongDouble {
    if num.bits() == 0 {
        return LongDouble::zero(neg);
    }
    // A quotient of at least 66 bits: 64 for the significand, a rounding bit, and more.
    let den_bits = den.map_or(1, BigUint::bits) as i64;
    let shift = (66 + den_bits - num.bits() as i64).max(0);
    let scaled = num << shift as u64;
    let (q, inexact) = match den {
        None => (scaled, false),
        Some(d) => {
            let q = &scaled / d;
            let exact = &q * d == scaled;
            (q, !exact)
        }
    };
    // Only the top 128 bits of the quotient matter; the rest is sticky.
    let extra = q.bits().saturating_sub(128);
    let inexact = inexact || q.trailing_zeros().is_some_and(|tz| tz < extra);
    let top = (q >> extra)
        .iter_u64_digits()
        .fold((0u128, 0), |(acc, i), d| {
            (acc | u128::from(d) << (64 * i), i + 1)
        });
    finish(neg, top.0, inexact, exp - shift + extra as i64)
}

/// [`round`] for `num / den * 2^exp` with `num` and `den` (nonzero) small enough that
/// `num * 2^66 * den` fits in `u128` (callers check: `bits(num)` any, `bits(den) <= 61`).
fn round_small(neg: bool, num: u128, den: u128, exp: i64) -> LongDouble {
    if num == 0 {
        return LongDouble::zero(neg);
    }
    let bits = |v: u128| i64::from(128 - v.leading_zeros());
    let shift = (66 + bits(den) - bits(num)).max(0);
    let scaled = num << shift;
    finish(neg, scaled / den, !scaled.is_multiple_of(den), exp - shift)
}

/// Rounds `(q + f) * 2^q_exp` where `q` has at least 66 bits and `f` in `[0, 1)` is nonzero iff
/// `inexact`.
fn finish(neg: bool, q: u128, inexact: bool, q_exp: i64) -> LongDouble {
    let top = i64::from(127 - q.leading_zeros()) + q_exp;
    if top > MAX_TOP_EXP + 1 {
        return LongDouble::Infinite { neg };
    }
    let lsb = (top - 63).max(MIN_LSB_EXP);
    let drop = (lsb - q_exp) as u64; // >= 2: q has >= 66 bits
    let (mut mant, round_bit, sticky) = if drop > 128 {
        (0, false, true) // below a quarter of the smallest subnormal
    } else {
        let below = drop as u32 - 1;
        let mant = q.checked_shr(drop as u32).unwrap_or(0);
        let round_bit = (q >> below) & 1 == 1;
        let sticky = inexact || q & ((1u128 << below) - 1) != 0;
        (mant, round_bit, sticky)
    };
    if round_bit && (sticky || mant & 1 == 1) {
        mant += 1;
    }
    let mut lsb = lsb;
    if mant >> 64 != 0 {
        mant >>= 1;
        lsb += 1;
    }
    if mant == 0 {
        return LongDouble::zero(neg);
    }
    if lsb + 63 > MAX_TOP_EXP {
        return LongDouble::Infinite { neg };
    }
    LongDouble::Finite {
        neg,
        mant: mant as u64,
        exp: lsb as i32,
    }
}

/// Reads an optionally signed decimal exponent: all of `s`, or `None`. Saturates far beyond any
/// exponent that still matters.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0i64, |acc, &d| {
        (acc * 10 + i64::from(d - b'0')).min(1_000_000_000)
    });
    Some(if neg { -v } else { v })
}

/// Splits `digits[.digits][<exp_char><exponent>]` into (integer digits, fraction digits,
/// exponent). At least one digit overall is required.
fn split_number(
    s: &[u8],
    is_digit: fn(&u8) -> bool,
    exp_chars: [u8; 2],
) -> Option<(&[u8], &[u8], i64)> {
    let (mantissa, exponent) = match s.iter().position(|c| exp_chars.contains(c)) {
        Some(i) => (&s[..i], parse_exponent(&s[i + 1..])?),
        None => (s, 0),
    };
    let (int, frac) = match mantissa.iter().position(|&c| c == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &[][..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.iter().all(is_digit) || !frac.iter().all(is_digit) {
        return None;
    }
    Some((int, frac, exponent))
}

fn trim_leading_zeros(s: &[u8]) -> &[u8] {
    let i = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[i..]
}

fn parse_decimal(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let (int, frac, exp10) = split_number(s, u8::is_ascii_digit, [b'e', b'E'])?;
    let mut digits = Vec::with_capacity(int.len() + frac.len());
    digits.extend_from_slice(int);
    digits.extend_from_slice(frac);
    // value = digits * 10^k
    let k = exp10 - frac.len() as i64;
    let digits = trim_leading_zeros(&digits);
    if digits.is_empty() {
        return Some(LongDouble::zero(neg));
    }
    // value lies in [10^(magnitude-1), 10^magnitude)
    let magnitude = digits.len() as i64 + k;
    if magnitude > 4940 {
        return Some(LongDouble::Infinite { neg }); // max is ~1.19e4932
    }
    if magnitude < -4960 {
        return None; // below half the smallest subnormal (~3.6e-4951): underflow to zero
    }
    // Up to 19 digits and small powers of ten: all in u128.
    if digits.len() <= 19 {
        let n = digits
            .iter()
            .fold(0u128, |acc, &d| acc * 10 + u128::from(d - b'0'));
        if (0..=19).contains(&k) {
            return nonzero(round_small(neg, n * 10u128.pow(k as u32), 1, 0));
        }
        if (-18..0).contains(&k) {
            return nonzero(round_small(neg, n, 10u128.pow((-k) as u32), 0));
        }
    }
    let n = BigUint::parse_bytes(digits, 10)?;
    let ten = BigUint::from(10u32);
    let v = if k >= 0 {
        round(neg, n * ten.pow(k as u32), None, 0)
    } else {
        round(neg, n, Some(&ten.pow((-k) as u32)), 0)
    };
    nonzero(v)
}

fn parse_hex(neg: bool, s: &[u8]) -> Option<LongDouble> {
    let (int, frac, exp2) = split_number(s, u8::is_ascii_hexdigit, [b'p', b'P'])?;
    let mut digits = Vec::with_capacity(int.len() + frac.len());
    digits.extend_from_slice(int);
    digits.extend_from_slice(frac);
    let digits = trim_leading_zeros(&digits);
    if digits.is_empty() {
        return Some(LongDouble::zero(neg));
    }
    let n = BigUint::parse_bytes(digits, 16)?;
    // value = n * 2^e
    let e = exp2 - 4 * frac.len() as i64;
    let top = n.bits() as i64 - 1 + e;
    if top > MAX_TOP_EXP + 2 {
        return Some(LongDouble::Infinite { neg });
    }
    if top < MIN_LSB_EXP - 4 {
        return None; // underflow to zero
    }
    nonzero(round(neg, n, None, e))
}

/// A nonzero input that rounded to zero is `strtold`'s ERANGE underflow, which `string2ld`
/// refuses.
fn nonzero(v: LongDouble) -> Option<LongDouble> {
    match v {
        LongDouble::Finite { mant: 0, .. } => None,
        v => Some(v),
    }
}

#[cfg(test)]
mod tests;
