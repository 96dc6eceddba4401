//! Which reads cannot block (storage-engine §11.3): `MappedFile::is_resident` and
//! `Reader::reads_without_blocking`, which a network loop uses to answer a read on its own
//! thread instead of handing it to a reader thread.

use kvs_storage::{DataCodec, FileKind, FsyncPolicy, MappedFile, Options, Store, list_files};

fn opts() -> Options {
    Options {
        max_file_size: 64 * 1024,
        compaction_interval: None,
        fsync: FsyncPolicy::No,
        ..Options::default()
    }
}

#[test]
fn a_mapped_file_just_written_and_read_is_resident_and_ranges_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_with(dir.path(), opts()).unwrap();
        for k in 0..2000 {
            store
                .set(format!("key{k}").as_bytes(), &[b'v'; 100])
                .unwrap();
        }
    }
    // A sealed data file of the closed store: map it and read every byte through the map.
    let fid = list_files(dir.path())
        .unwrap()
        .into_iter()
        .find(|(kind, _)| *kind == FileKind::Data)
        .map(|(_, fid)| fid)
        .unwrap();
    let mf = MappedFile::open(dir.path(), FileKind::Data, fid).unwrap();
    let sum: u64 = mf.bytes().iter().map(|&b| u64::from(b)).sum();
    assert!(sum > 0);
    let len = mf.len();
    let (offset, rec_len) = {
        let mut iter = mf.records::<DataCodec>().unwrap();
        let (offset, rec) = iter.next().unwrap();
        (offset, rec.unwrap().encoded_len())
    };
    assert!(mf.is_resident(offset, rec_len), "a record just read");
    assert!(mf.is_resident(0, 1));
    assert!(mf.is_resident(len - 1, 1), "the last byte");
    // Outside the file, empty, or too large a span to check: not known resident.
    assert!(!mf.is_resident(len, 1));
    assert!(!mf.is_resident(len - 1, 2));
    assert!(!mf.is_resident(0, 0));
    assert!(!mf.is_resident(u64::MAX, 1));
    assert!(!mf.is_resident(0, 65 * 4096 + 1), "over 64 pages");
}

#[test]
fn reads_without_blocking_by_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(dir.path(), opts()).unwrap();
    let reader = store.reader();
    // No entry: answering nil needs no I/O.
    assert!(reader.reads_without_blocking(b"missing", 1024));
    // In the active file: the tail just written.
    store.set(b"small", b"value").unwrap();
    assert!(reader.reads_without_blocking(b"small", 1024));
    // Bigger than the caller's limit: not for the caller's thread, wherever it is.
    store.set(b"big", &[b'x'; 4000]).unwrap();
    assert!(!reader.reads_without_blocking(b"big", 1024));
    assert!(reader.reads_without_blocking(b"big", 8192));
    // Sealed by rotation (64 KiB files): mapped, and resident once read.
    for k in 0..2000 {
        store
            .set(format!("fill{k}").as_bytes(), &[b'f'; 100])
            .unwrap();
    }
    assert!(store.stats().files.len() > 1, "rotation happened");
    assert_eq!(reader.get(b"small").unwrap(), Some(b"value".to_vec()));
    assert!(reader.reads_without_blocking(b"small", 1024));
}
