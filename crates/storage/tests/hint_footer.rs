//! The hint-file footer (docs/storage-format.md §5.1): a hint file is trusted only for the
//! exact data file it was written for. Two stores with the same history except for the keys'
//! names (same lengths, so every record sits at the same offset) get the same fids; a data file
//! of one restored next to the other's hint file must be scanned, not read through the stale
//! hint — which would serve the other store's keys with this one's values.

use std::path::Path;

use kvs_storage::{FileKind, Options, Store, file_path};

fn opts() -> Options {
    Options {
        max_file_size: 4096,
        compaction_interval: None,
        readers: 1,
        ..Options::default()
    }
}

/// Writes 60 keys `{tag}-NN` (overwritten once), compacts, and returns the live data fids.
fn build(dir: &Path, tag: &str) -> Vec<u64> {
    let store = Store::open_with(dir, opts()).unwrap();
    for round in 0..2 {
        for i in 0..60 {
            let v = format!("{tag}:{round}:{i:02}:{}", "x".repeat(40));
            store
                .set(format!("{tag}-{i:02}").as_bytes(), v.as_bytes())
                .unwrap();
        }
    }
    store.compact().unwrap();
    drop(store);
    let mut fids: Vec<u64> = kvs_storage::list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| *k == FileKind::Hint)
        .map(|(_, fid)| fid)
        .collect();
    fids.sort_unstable();
    fids
}

#[test]
fn a_data_file_restored_from_another_store_is_scanned_not_read_through_a_stale_hint() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let hinted_a = build(a.path(), "aaa");
    let hinted_b = build(b.path(), "bbb");
    assert_eq!(hinted_a, hinted_b, "same history, same fids");
    let fid = *hinted_a.first().expect("compaction wrote hint files");
    let (data_a, data_b) = (
        file_path(a.path(), FileKind::Data, fid),
        file_path(b.path(), FileKind::Data, fid),
    );
    assert_eq!(
        std::fs::metadata(&data_a).unwrap().len(),
        std::fs::metadata(&data_b).unwrap().len(),
        "the same length: only the footer's CRC tells the files apart"
    );
    // Store a's hint file, store b's data file.
    std::fs::copy(&data_b, &data_a).unwrap();
    let store = Store::open_with(a.path(), opts()).unwrap();
    let report = store.recovery_report();
    assert!(
        report.from_hints < hinted_a.len(),
        "the mismatched hint file was not used: {report:?}"
    );
    // What the data file holds is served under its own keys, and nothing under the hint's.
    let served_b = (0..60)
        .filter(|i| {
            store
                .get(format!("bbb-{i:02}").as_bytes())
                .unwrap()
                .is_some()
        })
        .count();
    assert!(served_b > 0, "the restored file's keys are served");
    for i in 0..60 {
        let key = format!("aaa-{i:02}");
        if let Some(v) = store.get(key.as_bytes()).unwrap() {
            assert!(
                v.starts_with(b"aaa:"),
                "{key} served another store's value {:?}",
                String::from_utf8_lossy(&v)
            );
        }
    }
}

#[test]
fn hint_files_written_by_this_build_are_used_and_carry_a_footer() {
    let dir = tempfile::tempdir().unwrap();
    let hinted = build(dir.path(), "k");
    for &fid in &hinted {
        let hint = std::fs::read(file_path(dir.path(), FileKind::Hint, fid)).unwrap();
        let data = std::fs::read(file_path(dir.path(), FileKind::Data, fid)).unwrap();
        let footer = kvs_storage::HintFooter::decode(
            &hint[hint.len() - kvs_storage::format::HINT_FOOTER_LEN..],
        )
        .expect("a footer");
        assert!(footer.matches(&data), "fid {fid}");
    }
    let store = Store::open_with(dir.path(), opts()).unwrap();
    assert_eq!(store.recovery_report().from_hints, hinted.len());
    for i in 0..60 {
        assert!(store.get(format!("k-{i:02}").as_bytes()).unwrap().is_some());
    }
}
