//! Shared by the targets (each includes it with `#[path = "common.rs"] mod common;`).
#![allow(dead_code)]

use kvs_storage::format::{HEADER_LEN, crc32, decode_frame};
use kvs_storage::{DecodeError, Fid, FileHeader, FileKind, RecordCodec};

/// A valid header for a file of `kind` (fid 0 for the MANIFEST, else `fid`, at least 1).
pub fn header(kind: FileKind, fid: Fid) -> [u8; HEADER_LEN] {
    let fid = match kind {
        FileKind::Manifest => 0,
        _ => fid.max(1),
    };
    FileHeader { kind, fid }.encode()
}

/// Rewrites the CRC of each record in `buf` from `start` on, one after the other, for as long
/// as the fixed prefixes give plausible lengths that fit: what random mutations cannot do
/// (a mutated record almost never passes its CRC), so the fuzzer reaches the checks after it.
/// Returns where it stopped.
pub fn fix_crcs<C: RecordCodec>(buf: &mut [u8], start: usize) -> usize {
    let mut pos = start;
    while let Some(prefix) = buf.get(pos..).and_then(|r| r.get(..C::PREFIX_LEN)) {
        let Ok(len) = C::record_len(prefix) else {
            break;
        };
        let Some(record) = buf.get_mut(pos..).and_then(|r| r.get_mut(..len)) else {
            break;
        };
        let crc = crc32(&record[4..]);
        record[..4].copy_from_slice(&crc.to_le_bytes());
        pos += len;
    }
    pos
}

/// Checks what `decode_frame` promises about the record at the start of `buf`, whatever it
/// holds, and returns its length if it decoded:
///
/// * a `Truncated` error names a need beyond what was available, and `available` is the length;
/// * a decoded record fits in `buf`, and every proper prefix of it is `Truncated` — never
///   `Corrupt`, never another record: the length is a function of the fixed prefix (§9), which
///   is what lets a scan tell a torn tail from damage.
pub fn check_frame<C: RecordCodec>(buf: &[u8]) -> Option<usize> {
    match decode_frame::<C>(buf) {
        Ok((_, len)) => {
            assert!(len <= buf.len(), "decoded {len} bytes out of {}", buf.len());
            assert!(len >= C::PREFIX_LEN, "a record shorter than its prefix");
            let cuts = [0, 1, C::PREFIX_LEN - 1, C::PREFIX_LEN, len / 2, len - 1];
            for cut in cuts.into_iter().filter(|&c| c < len) {
                match decode_frame::<C>(&buf[..cut]) {
                    Err(DecodeError::Truncated { needed, available }) => {
                        assert_eq!(available, cut as u64);
                        assert!(needed > available, "cut at {cut}: needed {needed}");
                    }
                    other => panic!(
                        "record of {len} bytes cut at {cut}: {:?}",
                        other.map(|(_, n)| n)
                    ),
                }
            }
            Some(len)
        }
        Err(DecodeError::Truncated { needed, available }) => {
            assert_eq!(available, buf.len() as u64);
            assert!(needed > available, "needed {needed}, available {available}");
            None
        }
        Err(DecodeError::Corrupt(_)) => None,
    }
}

/// Without libFuzzer: runs `check` on the files and directories named on the command line
/// (or on stdin), so a corpus or a crash can be replayed on a stable toolchain.
#[cfg(not(fuzzing))]
pub fn replay(check: fn(&[u8])) -> std::io::Result<()> {
    use std::io::Read;
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        let mut data = Vec::new();
        std::io::stdin().read_to_end(&mut data)?;
        check(&data);
        return Ok(());
    }
    let mut n = 0u64;
    for path in paths {
        let files: Vec<std::path::PathBuf> = if std::fs::metadata(&path)?.is_dir() {
            let mut v: Vec<_> = std::fs::read_dir(&path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            v.sort();
            v
        } else {
            vec![path.into()]
        };
        for file in files {
            check(&std::fs::read(&file)?);
            n += 1;
        }
    }
    eprintln!("{n} inputs replayed, all checks passed");
    Ok(())
}
