//! Unit tests of the long double emulation (known Redis outputs, rounding, the string2ld grammar).

use super::*;

fn p(s: &str) -> LongDouble {
    LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s:?} should parse"))
}

/// Adds the increments in order from zero, as repeated INCRBYFLOATs on a missing key do.
fn sum(incrs: &[&str]) -> String {
    let mut v = LongDouble::zero(false);
    for s in incrs {
        v = v.add(p(s)).unwrap();
        assert!(v.is_finite(), "{incrs:?}");
        v = p(&v.to_human()); // the stored text is parsed again on the next call
    }
    v.to_human()
}

#[test]
fn matches_redis_long_double_sums() {
    // Values checked against redis-server 7.0.15 on x86-64.
    assert_eq!(sum(&["19.99"; 7]), "139.93000000000000001");
    assert_eq!(sum(&["1234.5678"]), "1234.56779999999999997");
    assert_eq!(sum(&["10.5", "0.1"]), "10.6");
    assert_eq!(sum(&["0.1", "0.2"]), "0.3");
    assert_eq!(sum(&["1.1", "2.2"]), "3.3");
    assert_eq!(sum(&["5.0e3", "2.0e2"]), "5200");
    assert_eq!(sum(&["1", "-1.5"]), "-0.5");
    assert_eq!(sum(&["-0.5", "0.5"]), "0");
    assert_eq!(sum(&["1e-20"]), "0");
    assert_eq!(sum(&["-1e-20"]), "0");
    assert_eq!(sum(&["-0"]), "0");
    assert_eq!(
        sum(&["123456789012345678901234567890"]),
        "123456789012345678899921813504"
    );
    assert_eq!(sum(&["0x10", "0x1p3", "0x.8"]), "24.5");
    assert_eq!(sum(&["9223372036854775807"]), "9223372036854775807");
    assert_eq!(sum(&["18446744073709551617"]), "18446744073709551616");
}

#[test]
fn dbl_max_is_printed_in_full() {
    // Not "inf": the long double nearest 1.7976931348623157e308 is an integer of 309 digits.
    let v = p("1.7976931348623157e308");
    let text = v.to_human();
    assert_eq!(
        text,
        "179769313486231569995921046774104434048386446944329178485314420765176628523124396354\
         701868608387085564428793419425520689308708363451136055357897278026477617073498977686\
         288394835618163294045594434929537447290627480669417384648879122776218333598953852832\
         103282504751611691208117720159985926376802466863339536384"
    );
    assert_eq!(text.len(), 309);
    assert_eq!(p(&text), v);
}

#[test]
fn overflow_and_nan() {
    // The largest finite value parses; doubling it is infinite.
    let max = p("1.18973149535723176502e4932");
    assert_eq!(
        max,
        LongDouble::Finite {
            neg: false,
            mant: u64::MAX,
            exp: 16320
        }
    );
    assert!(!max.add(max).unwrap().is_finite());
    assert_eq!(LongDouble::parse(b"1.2e4932"), None); // ERANGE overflow
    assert_eq!(LongDouble::parse(b"1e99999999999999999999"), None);
    let inf = p("inf");
    assert!(!inf.is_finite());
    assert_eq!(inf.add(p("-Infinity")), None); // NaN
    assert_eq!(inf.add(p("1")), Some(inf));
}

#[test]
fn subnormals_and_underflow() {
    let min = p("0x1p-16445");
    assert_eq!(
        min,
        LongDouble::Finite {
            neg: false,
            mant: 1,
            exp: -16445
        }
    );
    assert_eq!(p("3.6e-4951"), min);
    assert_eq!(LongDouble::parse(b"1e-4951"), None); // rounds to zero: ERANGE
    assert_eq!(LongDouble::parse(b"0x1p-16446"), None); // exact tie with zero: even = zero
    assert_eq!(p("0x1.0000001p-16446"), min);
    assert_eq!(p("0e-99999"), LongDouble::zero(false));
    assert_eq!(min.to_human(), "0");
    // Subnormal + subnormal carries into the normal range.
    let big_sub = p("0x0.fffffffffffffffep-16382");
    let sum = big_sub.add(min).unwrap();
    assert_eq!(
        sum,
        LongDouble::Finite {
            neg: false,
            mant: 1 << 63,
            exp: -16445
        }
    );
}

#[test]
fn rounding_ties_to_even() {
    // 2^64 + 1 is halfway between 2^64 and 2^64 + 2: ties to the even significand.
    assert_eq!(p("18446744073709551617").to_human(), "18446744073709551616");
    assert_eq!(p("18446744073709551619").to_human(), "18446744073709551620");
    // Adding: 2^63 + 0.5 is a tie too.
    let v = p("9223372036854775808").add(p("0.5")).unwrap();
    assert_eq!(v.to_human(), "9223372036854775808");
    let v = p("9223372036854775809").add(p("0.5")).unwrap();
    assert_eq!(v.to_human(), "9223372036854775810");
    // %.17Lf ties: 2^-18 = 0.000003814697265625 has 18 decimals; the 17th (2) stays.
    assert_eq!(p("0x1p-18").to_human(), "0.00000381469726562");
    // 3 * 2^-18 = 0.000011444091796875: the 17th decimal (7) rounds up to even.
    assert_eq!(p("0x3p-18").to_human(), "0.00001144409179688");
}

#[test]
fn parse_follows_string2ld() {
    for good in [
        "1",
        "+1",
        "-1",
        ".5",
        "5.",
        "1e5",
        "1E+5",
        "1.e-5",
        "0x10",
        "0X1P3",
        "0x.8",
        "0x1.p1",
        "inf",
        "-INF",
        "+Infinity",
        "007",
        "0",
        "-0",
        "1e0005",
    ] {
        assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good:?}");
    }
    for bad in [
        "",
        " 1",
        "1 ",
        "1e",
        "1e+",
        ".",
        "-",
        "+",
        "e5",
        "nan",
        "NaN",
        "-nan",
        "nan(1)",
        "0x",
        "0x.",
        "0x1p",
        "0xg",
        "infin",
        "infinityx",
        "1.2.3",
        "1e5.5",
        "abc",
        "++1",
        "1_0",
        "1\u{0}",
    ] {
        assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
    }
    assert_eq!(p("0x1e").to_human(), "30"); // 'e' is a hex digit there
    let long = "1".repeat(MAX_CHARS - 1);
    assert!(LongDouble::parse(long.as_bytes()).is_none()); // ~1e5118 overflows
    let long = format!("0.{}", "0".repeat(MAX_CHARS - 3));
    assert_eq!(
        LongDouble::parse(long.as_bytes()),
        Some(LongDouble::zero(false))
    );
    let too_long = format!("0.{}", "0".repeat(MAX_CHARS - 2));
    assert_eq!(LongDouble::parse(too_long.as_bytes()), None);
}

#[test]
fn u128_fast_paths_agree_with_bignum() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..20_000 {
        let n = u128::from(next() >> (next() % 64));
        let k = (next() % 38) as i64 - 18;
        let neg = i % 2 == 1;
        let ten = BigUint::from(10u32);
        let (fast, slow) = if k >= 0 {
            let num = n * 10u128.pow(k as u32);
            (
                round_small(neg, num, 1, 0),
                round(neg, BigUint::from(num), None, 0),
            )
        } else {
            let den = 10u128.pow((-k) as u32);
            (
                round_small(neg, n, den, 0),
                round(neg, BigUint::from(n), Some(&ten.pow((-k) as u32)), 0),
            )
        };
        assert_eq!(fast, slow, "{n} e{k}");
        // Sums: the u128 path (exponents within 63) against the exact bignum sum.
        let (a, b) = (fast, round_small(next() % 3 == 0, u128::from(next()), 1, k));
        if let (
            LongDouble::Finite {
                neg: an,
                mant: am,
                exp: ae,
            },
            LongDouble::Finite {
                neg: bn,
                mant: bm,
                exp: be,
            },
        ) = (a, b)
        {
            if am == 0 || bm == 0 {
                continue;
            }
            let e = ae.min(be);
            let x = BigUint::from(am) << (ae - e) as u64;
            let y = BigUint::from(bm) << (be - e) as u64;
            let exact = if an == bn {
                round(an, x + y, None, i64::from(e))
            } else if x > y {
                round(an, x - y, None, i64::from(e))
            } else if y > x {
                round(bn, y - x, None, i64::from(e))
            } else {
                LongDouble::zero(false)
            };
            assert_eq!(a.add(b), Some(exact), "{a:?} + {b:?}");
        }
    }
}
