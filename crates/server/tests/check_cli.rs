//! `kvs-check` as an operator runs it: exit code 0 on a clean store, 1 on a damaged one, 2 after
//! a repair (and 0 on the next run), 3 for usage errors, I/O errors and a store that is in use.

use std::path::Path;
use std::process::{Command, Output};

use kvs_storage::{FileKind, KvStore, KvsEngine, Options, Store, list_files};

fn kvs_check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvs-check"))
        .args(args)
        .output()
        .unwrap()
}

fn check_dir(dir: &Path, repair: bool) -> Output {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["--dir", dir];
    if repair {
        args.push("--repair");
    }
    kvs_check(&args)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A store with 100 keys over several small data files.
fn build(dir: &Path) {
    let opts = Options {
        max_file_size: 1024,
        compaction_interval: None,
        ..Options::default()
    };
    let store = KvStore::open_with(dir, opts).unwrap();
    for i in 0..100 {
        store
            .set(format!("key-{i:03}"), format!("value {i}"))
            .unwrap();
    }
}

fn newest_data_file(dir: &Path) -> std::path::PathBuf {
    let fid = list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| *k == FileKind::Data)
        .map(|(_, f)| f)
        .max()
        .unwrap();
    kvs_storage::file_path(dir, FileKind::Data, fid)
}

#[test]
fn clean_damaged_repaired_clean() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());

    let out = check_dir(tmp.path(), false);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).ends_with("result: clean\n"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("000001.data"));

    // Tear the last write.
    let path = newest_data_file(tmp.path());
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 2)
        .unwrap();
    let out = check_dir(tmp.path(), false);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("torn tail at offset"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("result: damaged"), "{}", stdout(&out));
    // A check never changes anything.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len - 2);
    assert_eq!(code(&check_dir(tmp.path(), false)), 1);

    let out = check_dir(tmp.path(), true);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("result: repaired"), "{text}");
    assert!(text.contains("truncated at offset"), "{text}");
    let backups: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("repair-backup-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(text.contains(&backups[0]), "the backup is named: {text}");

    let out = check_dir(tmp.path(), false);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = check_dir(tmp.path(), true);
    assert_eq!(code(&out), 0, "nothing left to repair: {}", stdout(&out));

    // Every key but the torn one is served.
    let store = KvStore::open(tmp.path()).unwrap();
    for i in 0..99 {
        assert_eq!(
            store.get(format!("key-{i:03}")).unwrap(),
            Some(format!("value {i}"))
        );
    }
    assert_eq!(store.get("key-099".into()).unwrap(), None);
}

#[test]
fn unrepairable_damage_exits_1_even_with_repair() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());
    // Bit rot in the first MANIFEST edit, with valid edits after it.
    let path = tmp.path().join("MANIFEST");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[24 + 20] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = check_dir(tmp.path(), true);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("not repaired"), "{}", stdout(&out));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_running_store_is_refused_with_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    build(tmp.path());
    let store = Store::open(tmp.path()).unwrap();
    for repair in [false, true] {
        let out = check_dir(tmp.path(), repair);
        assert_eq!(code(&out), 3, "{}", stdout(&out));
        assert!(
            stderr(&out).contains("in use by a running process"),
            "{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty());
    }
    drop(store);
    assert_eq!(code(&check_dir(tmp.path(), false)), 0);
}

#[test]
fn usage_and_io_errors_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    // No --dir, an unknown flag: clap's usage errors, which would be 2 by default.
    assert_eq!(code(&kvs_check(&[])), 3);
    assert_eq!(code(&kvs_check(&["--dir", "x", "--frobnicate"])), 3);
    // Not a directory, not a store.
    let missing = tmp.path().join("missing");
    let out = check_dir(&missing, false);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).starts_with("kvs-check: "), "{}", stderr(&out));
    let out = check_dir(tmp.path(), false);
    assert_eq!(code(&out), 3);
    assert!(stderr(&out).contains("not a kvs store"), "{}", stderr(&out));
    // --help documents the exit codes and exits 0.
    let out = kvs_check(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("Exit codes"), "{}", stdout(&out));
}
