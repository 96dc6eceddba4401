//! LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence of
//! two strings, Redis 7's `lcsCommand` (`t_string.c`): the same dynamic-programming table, the
//! same walk back from its corner (so among equally long subsequences the same one is chosen),
//! the same ranges, order and limits. A missing key counts as an empty string.

use bytes::{Bytes, BytesMut};
use kvs_storage::{StorageError, Stored};

use super::append::MAX_STRING;
use super::args::{ArgCursor, NOT_INTEGER, SYNTAX, is, parse_i64};
use super::{Cmd, Db, StorageCommand, fail};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct Lcs {
    a: Bytes,
    b: Bytes,
    len: bool,
    idx: bool,
    min_match_len: u64,
    with_match_len: bool,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut c = ArgCursor::new(args);
    let (a, b) = (c.next_bytes()?, c.next_bytes()?);
    let (mut len, mut idx, mut min_match_len, mut with_match_len) = (false, false, 0, false);
    while let Some(opt) = c.next_opt() {
        if is(opt, "IDX") {
            idx = true;
        } else if is(opt, "LEN") {
            len = true;
        } else if is(opt, "WITHMATCHLEN") {
            with_match_len = true;
        } else if is(opt, "MINMATCHLEN")
            && let Some(n) = c.next_opt()
        {
            // A negative minimum is no minimum.
            min_match_len = parse_i64(n).ok_or_else(|| NOT_INTEGER.to_string())?.max(0) as u64;
        } else {
            return Err(SYNTAX.into());
        }
    }
    if len && idx {
        return Err("ERR If you want both the length and indexes, please just use IDX.".into());
    }
    Ok(Lcs {
        a,
        b,
        len,
        idx,
        min_match_len,
        with_match_len,
    }
    .into())
}

impl StorageCommand for Lcs {
    const WRITES: bool = false;

    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        // Both keys are looked up before either is checked (`lcsCommand`); a hash or a set
        // gets LCS' own text, not WRONGTYPE.
        let a = db.lookup(&self.a)?;
        db.note_lookup(a.is_some());
        let b = db.lookup(&self.b)?;
        db.note_lookup(b.is_some());
        let string = |s: Option<Stored>| match s {
            None => Ok(Vec::new()),
            Some(Stored::String(v)) => Ok(v.data),
            Some(Stored::Collection(_)) => {
                Err(fail("ERR The specified keys must contain string values"))
            }
        };
        let (a, b) = (string(a)?, string(b)?);
        if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
            return Err(fail("ERR String too long for LCS"));
        }
        let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
        if cells * 4 > MAX_STRING as u64 {
            return Err(fail(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
            ));
        }
        let table = Table::build(&a, &b);
        let total = table.at(a.len(), b.len());
        if self.len {
            encode::integer(out, i64::from(total));
            return Ok(());
        }
        let (lcs, ranges) = table.walk_back(&a, &b, self.min_match_len);
        if !self.idx {
            encode::bulk(out, &lcs);
            return Ok(());
        }
        encode::map_len(out, 2, proto);
        encode::bulk(out, b"matches");
        encode::array_len(out, ranges.len());
        for r in &ranges {
            encode::array_len(out, 2 + usize::from(self.with_match_len));
            for (start, end) in [(r.a_start, r.a_end), (r.b_start, r.b_end)] {
                encode::array_len(out, 2);
                encode::integer(out, i64::from(start));
                encode::integer(out, i64::from(end));
            }
            if self.with_match_len {
                encode::integer(out, i64::from(r.a_end - r.a_start + 1));
            }
        }
        encode::bulk(out, b"len");
        encode::integer(out, i64::from(total));
        Ok(())
    }
    // No `looked_up_keys`: the table can be large, so LCS is a reader thread's work, never the
    // looper's.
}

/// One matching range: `a[a_start..=a_end] == b[b_start..=b_end]`.
struct Range {
    a_start: u32,
    a_end: u32,
    b_start: u32,
    b_end: u32,
}

/// `LCS(i, j)`, the length of the LCS of `a[..i]` and `b[..j]`, for every `i`, `j`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Table {
        let width = b.len() + 1;
        let mut cells = vec![0u32; (a.len() + 1) * width];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Table { cells, width }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// The subsequence, and its ranges of at least `min_len` bytes (from the strings' ends
    /// backwards, as Redis emits them), by Redis' walk from `LCS(alen, blen)`.
    fn walk_back(&self, a: &[u8], b: &[u8], min_len: u64) -> (Vec<u8>, Vec<Range>) {
        let mut idx = self.at(a.len(), b.len()) as usize;
        let mut lcs = vec![0u8; idx];
        let mut ranges = Vec::new();
        let none = a.len() as u32; // "no range open", as Redis marks it
        let (mut a_start, mut a_end, mut b_start, mut b_end) = (none, 0u32, 0u32, 0u32);
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                lcs[idx - 1] = a[i - 1];
                if a_start == none {
                    (a_start, a_end, b_start, b_end) = (
                        (i - 1) as u32,
                        (i - 1) as u32,
                        (j - 1) as u32,
                        (j - 1) as u32,
                    );
                } else if a_start as usize == i && b_start as usize == j {
                    a_start -= 1;
                    b_start -= 1;
                } else {
                    emit = true;
                }
                if a_start == 0 || b_start == 0 {
                    emit = true;
                }
                idx -= 1;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                if a_start != none {
                    emit = true;
                }
            }
            // Redis computes the length with unsigned arithmetic even when no range is open;
            // it only matters when one is.
            let match_len = u64::from(a_end.wrapping_sub(a_start).wrapping_add(1));
            if emit {
                if min_len == 0 || match_len >= min_len {
                    ranges.push(Range {
                        a_start,
                        a_end,
                        b_start,
                        b_end,
                    });
                }
                a_start = none;
            }
        }
        (lcs, ranges)
    }
}
