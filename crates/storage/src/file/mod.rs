//! The file layer: what is on disk and how to read and write it, with no threads and no index —
//! the format's codecs (`format/`), a data/hint/MANIFEST file (`dbfile`), its read-only map
//! (`mapped`), record scans and damage reports (`record_scan`), the MANIFEST (`manifest`), file names
//! (`dir`), the directory lock (`lock`) and the test-only fault seam (`faults`).
//! docs/storage-format.md is its specification.

pub mod dbfile;
pub mod dir;
#[cfg(feature = "fault-injection")]
pub mod faults;
#[cfg(not(feature = "fault-injection"))]
pub(crate) mod faults;
pub mod format;
pub(crate) mod hint_file;
pub(crate) mod lock;
pub mod manifest;
pub mod mapped;
pub mod record_scan;
