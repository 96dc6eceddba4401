//! Opening a store: replaying the MANIFEST, deleting orphans, repairing a torn tail and
//! building the index from hint files and scans (`recovery`), with the rules that make the
//! result independent of the order files are loaded in (`loader`). docs/storage-engine.md §11.5.

pub(crate) mod loader;
pub(crate) mod recovery;
