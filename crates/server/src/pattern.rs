//! Redis glob-style pattern matching (`*`, `?`, `[abc]`, `[^a-z]`, `\x`), for KEYS, SCAN MATCH
//! and CONFIG GET — the semantics of Redis' `stringmatchlen`.

/// Does `s` match `pattern`? Iterative, with backtracking to the last `*` only: O(len(p) *
/// len(s)) in the worst case, so no pattern can make a KEYS or SCAN call explode.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, string index it covers to).
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if p.get(pi) == Some(&b'*') {
            while p.get(pi) == Some(&b'*') {
                pi += 1;
            }
            star = Some((pi, si));
            continue;
        }
        if let Some((true, next)) = match_one(p, pi, s[si]) {
            pi = next;
            si += 1;
            continue;
        }
        match star {
            Some((after, covered)) => {
                // Let the last `*` swallow one more byte and retry from there.
                pi = after;
                si = covered + 1;
                star = Some((after, covered + 1));
            }
            None => return false,
        }
    }
    while p.get(pi) == Some(&b'*') {
        pi += 1;
    }
    pi == p.len()
}

/// Matches one pattern element at `pi` (`?`, a `[...]` class, `\x`, or a literal) against `c`.
/// Returns whether it matched and where the next element starts; `None` at the pattern's end.
fn match_one(p: &[u8], pi: usize, c: u8) -> Option<(bool, usize)> {
    match *p.get(pi)? {
        b'?' => Some((true, pi + 1)),
        b'\\' if pi + 1 < p.len() => Some((p[pi + 1] == c, pi + 2)),
        b'[' => {
            let mut i = pi + 1;
            let negate = p.get(i) == Some(&b'^');
            if negate {
                i += 1;
            }
            let mut matched = false;
            // An unterminated class runs to the end of the pattern, as in Redis.
            while i < p.len() && p[i] != b']' {
                if p[i] == b'\\' && i + 1 < p.len() {
                    i += 1;
                    matched |= p[i] == c;
                } else if i + 2 < p.len() && p[i + 1] == b'-' {
                    let (lo, hi) = (p[i].min(p[i + 2]), p[i].max(p[i + 2]));
                    matched |= (lo..=hi).contains(&c);
                    i += 2;
                } else {
                    matched |= p[i] == c;
                }
                i += 1;
            }
            Some((matched != negate, (i + 1).min(p.len())))
        }
        lit => Some((lit == c, pi + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match as m;

    #[test]
    fn globs_match_like_redis() {
        assert!(m(b"*", b"anything"));
        assert!(m(b"h?llo", b"hello"));
        assert!(m(b"h*llo", b"heeeello"));
        assert!(m(b"h[ae]llo", b"hallo"));
        assert!(!m(b"h[ae]llo", b"hillo"));
        assert!(m(b"h[^e]llo", b"hallo"));
        assert!(!m(b"h[^e]llo", b"hello"));
        assert!(m(b"h[a-b]llo", b"hbllo"));
        assert!(m(b"key:\\*", b"key:*"));
        assert!(!m(b"key:\\*", b"key:x"));
        assert!(!m(b"a*b", b"acd"));
        assert!(m(b"", b""));
        assert!(!m(b"", b"a"));
        // Many stars against a long near-miss: fast, not exponential.
        assert!(!m(
            &[b"*a".repeat(50), b"b".to_vec()].concat(),
            &b"a".repeat(5000)
        ));
        assert!(m(b"*a*b*c", b"xxaxxbxxc"));
        assert!(m(b"a*", b"a"));
        assert!(!m(b"a?", b"a"));
    }
}
