//! A hint file as a whole (`docs/storage-format.md` §5): its entries, then — from format
//! version 5 — the footer that ties it to its data file (§5.1). Everything that writes a hint
//! file (compaction, the hint written after a rotation, `kvs-check --repair`) writes it with
//! [`write_body`], and everything that reads one splits it with [`layout`] first.

use crate::dbfile::DBFile;
use crate::error::Result;
use crate::format::hint_footer::{HINT_FOOTER_LEN, HintFooter};
use crate::format::{HEADER_LEN, HintCodec, HintEntry};

/// Appends `entries` and then `footer` to a new hint file (not synced).
pub(crate) fn write_body(
    hint: &mut DBFile,
    entries: &[HintEntry<'_>],
    footer: HintFooter,
) -> Result<()> {
    hint.write_records::<HintCodec>(entries)?;
    hint.append_raw(&footer.encode())
}

/// The footer for hint `entries` of the data file `data`, just written through this handle:
/// its last record (the last entry's) and that record's CRC, read back with `pread` (§5.1).
pub(crate) fn footer_of(data: &DBFile, entries: &[HintEntry<'_>]) -> Result<HintFooter> {
    let Some(last) = entries.last() else {
        return Ok(HintFooter { last: None });
    };
    let mut crc = [0u8; 4];
    data.read_exact_at(&mut crc, last.pos.offset)?;
    Ok(HintFooter {
        last: Some((last.pos, u32::from_le_bytes(crc))),
    })
}

/// Where a hint file's entries end, and what its footer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The entries are `bytes[HEADER_LEN..entries_end]`.
    pub entries_end: usize,
    /// The footer: `Required(None)` if a version-5 file lacks a valid one (torn, or damaged).
    pub footer: Footer,
}

/// A hint file's footer, by format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Footer {
    /// Versions 1 to 4 have none: only the entries' bounds are checked against the data file.
    Absent,
    /// Version 5 and later: the footer, or `None` if it is missing or damaged.
    Required(Option<HintFooter>),
}

impl Layout {
    /// Whether the hint file may describe the data file `data` (its whole bytes): an older
    /// hint file always may (its entries are bounds-checked one by one); a version-5 one only
    /// if its footer matches.
    pub fn fits(&self, data: &[u8]) -> bool {
        match self.footer {
            Footer::Absent => true,
            Footer::Required(f) => f.is_some_and(|f| f.matches(data)),
        }
    }
}

/// Splits a hint file's bytes (header included; the header already checked).
pub(crate) fn layout(bytes: &[u8]) -> Layout {
    let version = bytes
        .get(8..10)
        .and_then(|v| <[u8; 2]>::try_from(v).ok())
        .map_or(0, u16::from_le_bytes);
    if version < 5 {
        return Layout {
            entries_end: bytes.len(),
            footer: Footer::Absent,
        };
    }
    match bytes.len().checked_sub(HINT_FOOTER_LEN) {
        Some(end) if end >= HEADER_LEN => Layout {
            entries_end: end,
            footer: Footer::Required(bytes.get(end..).and_then(HintFooter::decode)),
        },
        _ => Layout {
            entries_end: bytes.len(),
            footer: Footer::Required(None),
        },
    }
}
