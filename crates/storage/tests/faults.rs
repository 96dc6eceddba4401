//! Fault injection: EIO, ENOSPC and short writes on every file operation the store depends on
//! (create, write, fsync of files and of the directory, rename, truncate), through the
//! `kvs_storage::faults` seam (cargo feature `fault-injection`, on for this crate's tests).
//!
//! What every case checks:
//!
//! * the write (or compaction, or open) that hit the fault fails — nothing is acknowledged that
//!   may not be on disk;
//! * after a failed fsync anywhere (data file, hint file, MANIFEST, directory), a failed append
//!   or a failed MANIFEST edit, the store refuses writes with `WritesRefused` until it is
//!   reopened, and reads keep working;
//! * a failure that leaves the disk in a known state (a file that cannot be created or written
//!   during compaction or hint writing) only fails that operation; its files are deleted again;
//! * reopening gives every acknowledged write back, nothing half-applied (an atomic batch is all
//!   or nothing; a torn tail is truncated), and a store that writes and compacts again.
//!
//! `cargo test -p kvs-storage --test faults -- --nocapture --test-threads 1` also prints the
//! fault matrix (`docs/reliability.md`, "Fault injection (part 2)").

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kvs_storage::faults::{Fault, Injected, Op, inject};
use kvs_storage::{
    Access, DBFile, Fid, FileKind, FsyncPolicy, Manifest, ManifestEdit, Options, RecordRef,
    StorageError, Store, list_files,
};
use support::dump;

const EIO: i32 = 5;
const ENOSPC: i32 = 28;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn opts(fsync: FsyncPolicy, max_file_size: u64) -> Options {
    Options {
        fsync,
        max_file_size,
        readers: 1,
        compaction_interval: None,
        ..Options::default()
    }
}

fn value(tag: &str, i: usize) -> Vec<u8> {
    let mut v = format!("{tag}:{i}:").into_bytes();
    v.resize(80, b'a' + (i % 26) as u8);
    v
}

fn key(tag: &str, i: usize) -> Vec<u8> {
    format!("{tag}-{i:04}").into_bytes()
}

fn is_refused<T: std::fmt::Debug>(r: &Result<T, StorageError>) -> bool {
    matches!(r, Err(StorageError::WritesRefused { .. }))
}

/// The live fids and the next fid, from the MANIFEST on disk (read-only: works while the store
/// is open).
fn manifest_state(dir: &Path) -> (Vec<Fid>, Fid) {
    let (state, _) = Manifest::replay(dir).unwrap();
    (state.live().iter().copied().collect(), state.next_fid())
}

/// Waits until every live data file but the active one has its hint file (they are written in
/// the background after each rotation), so that a fault armed next is not hit by them.
fn settle_hints(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (live, _) = manifest_state(dir);
        let active = live.iter().max().copied();
        let missing = live
            .iter()
            .filter(|&&f| Some(f) != active)
            .any(|&f| !kvs_storage::file_path(dir, FileKind::Hint, f).exists());
        if !missing && !dir.join("hint.tmp").exists() {
            return;
        }
        assert!(Instant::now() < deadline, "hint files not written in time");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Polls until `f` is true (or panics after 10 s).
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Keeps the writer from healing while the guard lives (`writer/heal.rs`): its first step,
/// rewriting the MANIFEST, cannot create `MANIFEST.tmp`, as on a disk that stays full. Armed
/// before a fault fires, so that what the store does while refusing writes can be checked;
/// dropped to let the store heal (or only after the store is closed).
fn hold_healing(dir: &Path) -> Injected {
    inject(
        dir,
        Fault::enospc(Op::Create).kind(FileKind::Manifest).always(),
    )
}

/// Releases `hold` once the fault that made the store refuse writes is gone (the space is
/// freed), waits for the writer to heal, and checks that writes go through again and that the
/// failed writes stay invisible.
#[track_caller]
fn heal(store: &Store, hold: Injected, model: &mut Model, failed: &Model) {
    assert!(store.stats().refused.is_some(), "refusing before the heal");
    drop(hold);
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.stats().refused.is_some() {
        assert!(
            Instant::now() < deadline,
            "never healed: {:?}",
            store.stats()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let stats = store.stats();
    assert!(stats.heals >= 1, "{stats:?}");
    assert!(
        stats.last_write_error.is_some(),
        "the failure is still reported"
    );
    for i in 0..3 {
        let (k, v) = (key("healed", i), value("healed", i));
        store.set(&k, &v).expect("a write after healing");
        model.insert(k, v);
    }
    check_contents(store, model, &Model::new());
    for k in failed.keys() {
        assert_eq!(
            store.get(k).unwrap(),
            None,
            "failed write {} visible after healing",
            String::from_utf8_lossy(k)
        );
    }
}

/// Data and hint files in `dir` that the MANIFEST does not list (leftovers).
fn orphans(dir: &Path) -> Vec<(FileKind, Fid)> {
    let (live, _) = manifest_state(dir);
    list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|(k, f)| *k != FileKind::Manifest && !live.contains(f))
        .collect()
}

/// Every key of `model` has its value; `failed` keys (writes that got an error) hold either
/// nothing or the value that was being written — never anything else — and no other key exists.
#[track_caller]
fn check_contents(store: &Store, model: &Model, failed: &Model) {
    let got = dump(store);
    for (k, v) in model {
        assert_eq!(
            got.get(k),
            Some(v),
            "acknowledged key {} lost or changed",
            String::from_utf8_lossy(k)
        );
    }
    for (k, v) in &got {
        if model.contains_key(k) {
            continue;
        }
        assert_eq!(
            failed.get(k),
            Some(v),
            "unexpected key {} (neither acknowledged nor a failed write)",
            String::from_utf8_lossy(k)
        );
    }
}

/// Reopens `dir`, checks the contents, writes and compacts once more, reopens and checks again.
fn reopen_and_verify(dir: &Path, model: &mut Model, failed: &Model) -> String {
    let (store, torn) = {
        let store = Store::open_with(dir, opts(FsyncPolicy::No, 4096)).expect("reopen");
        let torn = store.recovery_report().torn_tails.len();
        (store, torn)
    };
    check_contents(&store, model, failed);
    assert!(
        store.stats().refused.is_none(),
        "a reopened store accepts writes"
    );
    for i in 0..5 {
        let (k, v) = (key("after", i), value("after", i));
        store.set(&k, &v).expect("write after reopen");
        model.insert(k, v);
    }
    store.compact().expect("compaction after reopen");
    check_contents(&store, model, failed);
    drop(store);
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 4096)).expect("second reopen");
    check_contents(&store, model, failed);
    // What the failed write left: nothing, or the whole record (never part of one).
    let all = dump(&store);
    let present = failed.keys().filter(|k| all.contains_key(*k)).count();
    let mut note = String::from("acked intact");
    match (failed.len(), present) {
        (0, _) => {}
        (_, 0) => note.push_str("; failed write absent"),
        _ => note.push_str("; failed write present, whole"),
    }
    if torn > 0 {
        note.push_str("; torn tail cut");
    }
    note
}

/// One row of the printed fault matrix.
struct Row {
    site: &'static str,
    fault: String,
    error: String,
    /// What the store does next: "refused", "accepted", or for opens, what a retry does.
    then: String,
    after_reopen: String,
}

/// "refused" or "accepted".
fn then(refused: bool) -> String {
    if refused { "refused" } else { "accepted" }.to_string()
}

/// What a write-path row's store did: refused writes, then healed once the fault cleared.
fn healed(refused: bool) -> String {
    if refused {
        "refused; healed once the fault cleared".into()
    } else {
        then(false)
    }
}

fn describe(op: Op, errno: i32, short: Option<usize>, target: &str) -> String {
    let e = match errno {
        EIO => "EIO",
        ENOSPC => "ENOSPC",
        _ => "?",
    };
    match short {
        Some(k) => format!("{op:?} {target} {e}, short ({k} B)"),
        None => format!("{op:?} {target} {e}"),
    }
}

fn print_matrix(title: &str, rows: &[Row]) {
    let mut out = format!("\n{title}\n");
    out.push_str("| site | fault | the failing call got | then writes | after reopen |\n");
    out.push_str("|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            r.site, r.fault, r.error, r.then, r.after_reopen
        ));
    }
    println!("{out}");
}

/// The failed operation named at the start of an error text ("fdatasync /path: ...").
fn op_of(reason: &str) -> &'static str {
    [
        "fdatasync",
        "fsync directory",
        "fsync",
        "write header",
        "write",
        "create",
        "rename",
    ]
    .into_iter()
    .find(|op| reason.starts_with(&format!("{op} ")))
    .unwrap_or("?")
}

/// Shortens an error for the matrix: the variant, and the operation for I/O errors.
fn short_error(e: &StorageError) -> String {
    match e {
        StorageError::WritesRefused { reason } => format!("WritesRefused ({})", op_of(reason)),
        StorageError::Io { op, .. } => format!("Io ({op})"),
        other => format!("{other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The file layer alone.

/// A short write poisons the file: no append, sync or truncation after it, so nothing is ever
/// written behind the torn bytes; a scan sees them as a torn tail.
#[test]
fn dbfile_short_write_poisons_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut f = DBFile::create(dir, FileKind::Data, 1).unwrap();
    f.append_record(&RecordRef::put(1, b"a", b"1")).unwrap();
    let good = f.len();
    let rec = RecordRef::put(2, b"b", b"22222222");
    let fault = inject(
        dir,
        Fault::enospc(Op::Write).kind(FileKind::Data).short_write(7),
    );
    let err = f.append_record(&rec).unwrap_err();
    assert_eq!(fault.fired(), 1);
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert!(f.is_poisoned());
    let on_disk = std::fs::metadata(f.path()).unwrap().len();
    assert_eq!(
        on_disk,
        good + 7,
        "the 7 bytes of the short write are there"
    );
    drop(fault);
    assert!(matches!(
        f.append_record(&RecordRef::put(3, b"c", b"3")),
        Err(StorageError::Poisoned { .. })
    ));
    assert!(matches!(f.sync(), Err(StorageError::Poisoned { .. })));
    assert!(matches!(
        f.truncate_to(good),
        Err(StorageError::Poisoned { .. })
    ));
    assert_eq!(
        std::fs::metadata(f.path()).unwrap().len(),
        on_disk,
        "nothing appended"
    );
    drop(f);
    let f = DBFile::open(dir, FileKind::Data, 1, Access::ReadOnly).unwrap();
    let view = f.view().unwrap();
    let mut it = view.records::<kvs_storage::DataCodec>().unwrap();
    assert_eq!(it.by_ref().filter(|(_, r)| r.is_ok()).count(), 1);
    assert_eq!(it.report().torn_tail_at(), Some(good));
}

/// A failed fsync poisons the file too (the pages may be gone; fsyncgate).
#[test]
fn dbfile_failed_fsync_poisons_the_file() {
    for errno in [EIO, ENOSPC] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut f = DBFile::create(dir, FileKind::Data, 1).unwrap();
        f.append_record(&RecordRef::put(1, b"a", b"1")).unwrap();
        let fault = inject(dir, Fault::new(Op::Sync, errno).kind(FileKind::Data));
        assert!(f.sync().is_err());
        assert_eq!(fault.fired(), 1);
        drop(fault);
        assert!(matches!(f.sync(), Err(StorageError::Poisoned { .. })));
        assert!(matches!(
            f.append_record(&RecordRef::put(2, b"b", b"2")),
            Err(StorageError::Poisoned { .. })
        ));
    }
}

/// A failed header write or fsync in `create` removes the half-created file.
#[test]
fn dbfile_create_failures_leave_no_file() {
    for fault in [
        Fault::eio(Op::Create),
        Fault::enospc(Op::Write).short_write(10),
        Fault::eio(Op::Sync),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let f = inject(dir, fault.clone());
        assert!(DBFile::create(dir, FileKind::Data, 1).is_err(), "{fault:?}");
        assert_eq!(f.fired(), 1);
        drop(f);
        assert!(list_files(dir).unwrap().is_empty(), "{fault:?}");
        DBFile::create(dir, FileKind::Data, 1).unwrap();
    }
}

/// A failed MANIFEST edit leaves the in-memory state unchanged and the handle poisoned; the
/// next open replays the edit if it reached the file whole, and drops it if it is torn.
#[test]
fn manifest_failed_edit() {
    // (fault, the edit is there after reopen, a torn edit was dropped)
    let cases = [
        (Fault::eio(Op::Write).kind(FileKind::Manifest), false, false),
        (
            Fault::enospc(Op::Write)
                .kind(FileKind::Manifest)
                .short_write(12),
            false,
            true,
        ),
        // The fsync failed, but the bytes are in the page cache: a same-machine reopen sees them.
        (Fault::eio(Op::Sync).kind(FileKind::Manifest), true, false),
    ];
    for (fault, applied, torn) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut m = Manifest::create(dir).unwrap();
        let fid = m.allocate_fid().unwrap();
        let before = m.state().clone();
        let f = inject(dir, fault.clone());
        let edit = ManifestEdit {
            add: vec![fid],
            remove: vec![],
            next_fid: before.next_fid(),
            next_seq: before.next_seq(),
        };
        assert!(m.log_edit(&edit).is_err(), "{fault:?}");
        assert_eq!(f.fired(), 1);
        drop(f);
        assert_eq!(m.state(), &before, "{fault:?}: state unchanged");
        assert!(
            matches!(m.allocate_fid(), Err(StorageError::Poisoned { .. })),
            "{fault:?}: the handle is poisoned"
        );
        drop(m);
        let m = Manifest::open(dir).unwrap();
        assert_eq!(m.state().is_live(fid), applied, "{fault:?}");
        assert_eq!(m.recovered_tail().is_some(), torn, "{fault:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The write path: the active data file.

/// What a write-path case found.
struct WriteOutcome {
    error: String,
    refused: bool,
    after_reopen: String,
}

/// Opens a store, acknowledges some writes, arms `fault` (given the directory, the active fid
/// and the next fid), writes until a write fails, and checks the rules of the module docs.
fn write_case(
    policy: FsyncPolicy,
    max_file_size: u64,
    fault: impl FnOnce(&Path, Fid, Fid) -> Fault,
) -> WriteOutcome {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut model = Model::new();
    let mut failed = Model::new();
    let store = Store::open_with(dir, opts(policy, max_file_size)).unwrap();
    for i in 0..30 {
        let (k, v) = (key("k", i), value("k", i));
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    settle_hints(dir);
    let (live, next) = manifest_state(dir);
    let active = live.iter().copied().max().unwrap();
    let hold = hold_healing(dir);
    let armed = inject(dir, fault(dir, active, next));
    // Write until one fails (everysec: the failing fsync runs in the background).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut i = 0;
    let err = loop {
        let (k, v) = (key("x", i), value("x", i));
        i += 1;
        match store.set(&k, &v) {
            Ok(()) => {
                model.insert(k, v);
            }
            Err(e) => {
                failed.insert(k, v);
                break e;
            }
        }
        assert!(Instant::now() < deadline, "the fault never fired");
        if policy == FsyncPolicy::EverySec {
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    assert!(armed.fired() >= 1, "the fault fired");
    assert!(
        matches!(err, StorageError::WritesRefused { .. }),
        "the failed write's completion: {err}"
    );
    let error = short_error(&err);
    // Every later write is refused, whatever it is, and nothing is written for it.
    let refused = [
        store.set(b"later", b"1"),
        store.remove(b"k-0000").map(|_| ()),
        store.execute(|t| t.put(b"later2", b"2", None)),
        store.sync(),
        store.compact().map(|_| ()),
    ]
    .iter()
    .all(is_refused);
    assert!(refused, "writes are refused after the failure");
    assert!(store.stats().refused.is_some());
    // Reads keep working, on the caller's thread and through the writer.
    check_contents(&store, &model, &Model::new());
    let through_writer = store.execute(|t| t.get(b"k-0001").map(|v| v.map(|v| v.data)));
    assert_eq!(
        through_writer
            .expect("a read-only command on the writer still runs")
            .unwrap(),
        Some(value("k", 1))
    );
    // The fault clears: the store heals and takes writes; what failed stays invisible.
    drop(armed);
    heal(&store, hold, &mut model, &failed);
    drop(store);
    let after_reopen = reopen_and_verify(dir, &mut model, &failed);
    WriteOutcome {
        error,
        refused,
        after_reopen,
    }
}

#[test]
fn matrix_write_path() {
    let mut rows = Vec::new();
    let policies = [FsyncPolicy::Always, FsyncPolicy::EverySec, FsyncPolicy::No];
    for policy in policies {
        for errno in [EIO, ENOSPC] {
            // The append of a batch fails.
            let o = write_case(policy, 1 << 20, |_, active, _| {
                Fault::new(Op::Write, errno).file(FileKind::Data, active)
            });
            rows.push(Row {
                site: "writer: append (pwrite)",
                fault: format!(
                    "{} [{policy:?}]",
                    describe(Op::Write, errno, None, "active data file")
                ),
                error: o.error,
                then: healed(o.refused),
                after_reopen: o.after_reopen,
            });
            // The append writes part of the batch, then fails.
            let o = write_case(policy, 1 << 20, |_, active, _| {
                Fault::new(Op::Write, errno)
                    .file(FileKind::Data, active)
                    .short_write(50)
            });
            rows.push(Row {
                site: "writer: append (pwrite)",
                fault: format!(
                    "{} [{policy:?}]",
                    describe(Op::Write, errno, Some(50), "active data file")
                ),
                error: o.error,
                then: healed(o.refused),
                after_reopen: o.after_reopen,
            });
        }
    }
    // The fsync of the active file: per write (always), in the background (everysec).
    for policy in [FsyncPolicy::Always, FsyncPolicy::EverySec] {
        for errno in [EIO, ENOSPC] {
            let o = write_case(policy, 1 << 20, |_, active, _| {
                Fault::new(Op::Sync, errno).file(FileKind::Data, active)
            });
            rows.push(Row {
                site: "writer: fdatasync",
                fault: format!(
                    "{} [{policy:?}]",
                    describe(Op::Sync, errno, None, "active data file")
                ),
                error: o.error,
                then: healed(o.refused),
                after_reopen: o.after_reopen,
            });
        }
    }
    // SAVE (fsync no): the explicit fdatasync.
    for errno in [EIO, ENOSPC] {
        rows.push(save_case(errno));
    }
    for r in &rows {
        assert_eq!(r.then, healed(true), "{}: {}", r.site, r.fault);
    }
    print_matrix("write path", &rows);
}

/// SAVE with fsync `no`: its fdatasync fails; the store refuses writes from then on.
fn save_case(errno: i32) -> Row {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut model = Model::new();
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
    for i in 0..10 {
        let (k, v) = (key("s", i), value("s", i));
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    assert!(store.writes_refused().is_none());
    let hold = hold_healing(dir);
    let armed = inject(dir, Fault::new(Op::Sync, errno).kind(FileKind::Data));
    let err = store.sync().expect_err("SAVE fails");
    assert_eq!(armed.fired(), 1);
    assert!(
        matches!(
            store.writes_refused(),
            Some(StorageError::WritesRefused { .. })
        ),
        "the refusal is visible before the next write"
    );
    assert!(is_refused(&store.set(b"later", b"1")));
    assert!(is_refused(&store.sync()));
    check_contents(&store, &model, &Model::new());
    drop(armed);
    heal(&store, hold, &mut model, &Model::new());
    drop(store);
    Row {
        site: "SAVE (`Store::sync`)",
        fault: format!(
            "{} [No]",
            describe(Op::Sync, errno, None, "active data file")
        ),
        error: short_error(&err),
        then: healed(true),
        after_reopen: reopen_and_verify(dir, &mut model, &Model::new()),
    }
}

#[test]
fn matrix_rotation() {
    // Rotation (§10): fdatasync the old file, allocate a fid (MANIFEST edit), create the new
    // file (header write + fsync), fsync the directory, add it (MANIFEST edit), seal the old.
    type MakeFault = Box<dyn Fn(Fid, Fid) -> (Fault, String)>;
    let cases: Vec<MakeFault> = vec![
        Box::new(|_, next| {
            (
                Fault::eio(Op::Create).file(FileKind::Data, next),
                describe(Op::Create, EIO, None, "new data file"),
            )
        }),
        Box::new(|_, next| {
            (
                Fault::enospc(Op::Create).file(FileKind::Data, next),
                describe(Op::Create, ENOSPC, None, "new data file"),
            )
        }),
        Box::new(|_, next| {
            (
                Fault::enospc(Op::Write)
                    .file(FileKind::Data, next)
                    .short_write(5),
                describe(Op::Write, ENOSPC, Some(5), "new file's header"),
            )
        }),
        Box::new(|_, next| {
            (
                Fault::eio(Op::Sync).file(FileKind::Data, next),
                describe(Op::Sync, EIO, None, "new file's header"),
            )
        }),
        Box::new(|active, _| {
            (
                Fault::eio(Op::Sync).file(FileKind::Data, active),
                describe(Op::Sync, EIO, None, "old active file"),
            )
        }),
        Box::new(|_, _| {
            (
                Fault::eio(Op::SyncDir),
                describe(Op::SyncDir, EIO, None, "store directory"),
            )
        }),
        Box::new(|_, _| {
            (
                Fault::eio(Op::Write).kind(FileKind::Manifest),
                describe(Op::Write, EIO, None, "MANIFEST (fid allocation)"),
            )
        }),
        Box::new(|_, _| {
            (
                Fault::enospc(Op::Write)
                    .kind(FileKind::Manifest)
                    .short_write(9),
                describe(Op::Write, ENOSPC, Some(9), "MANIFEST (fid allocation)"),
            )
        }),
        Box::new(|_, _| {
            (
                Fault::eio(Op::Sync).kind(FileKind::Manifest),
                describe(Op::Sync, EIO, None, "MANIFEST (fid allocation)"),
            )
        }),
        Box::new(|_, _| {
            (
                Fault::eio(Op::Write).kind(FileKind::Manifest).nth(2),
                describe(Op::Write, EIO, None, "MANIFEST (add edit)"),
            )
        }),
        Box::new(|_, _| {
            (
                Fault::eio(Op::Sync).kind(FileKind::Manifest).nth(2),
                describe(Op::Sync, EIO, None, "MANIFEST (add edit)"),
            )
        }),
    ];
    let mut rows = Vec::new();
    for make in cases {
        let mut name = String::new();
        let o = write_case(FsyncPolicy::No, 4096, |_, active, next| {
            let (f, n) = make(active, next);
            name = n;
            f
        });
        rows.push(Row {
            site: "rotation",
            fault: name,
            error: o.error,
            then: healed(o.refused),
            after_reopen: o.after_reopen,
        });
    }
    print_matrix("rotation", &rows);
}

/// A short write of a batch: the bytes before the cut that form whole records may come back
/// (they were never acknowledged, like writes in flight at a crash); the cut record is a torn
/// tail that open truncates; an atomic batch comes back whole or not at all.
#[test]
fn short_writes_of_an_atomic_batch_never_half_apply() {
    let keys: Vec<Vec<u8>> = (0..4).map(|i| key("m", i)).collect();
    let vals: Vec<Vec<u8>> = (0..4).map(|i| value("m", i)).collect();
    let rec_len = RecordRef::put(1, &keys[0], &vals[0]).encoded_len();
    let total = 4 * rec_len;
    for cut in [
        0,
        1,
        rec_len - 1,
        rec_len,
        rec_len + 1,
        2 * rec_len,
        3 * rec_len,
        total - 1,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let store = Store::open_with(dir, opts(FsyncPolicy::Always, 1 << 20)).unwrap();
        let mut model = Model::new();
        for i in 0..10 {
            let (k, v) = (key("k", i), value("k", i));
            store.set(&k, &v).unwrap();
            model.insert(k, v);
        }
        let (live, _) = manifest_state(dir);
        let active = live.iter().copied().max().unwrap();
        let path = kvs_storage::file_path(dir, FileKind::Data, active);
        let before = std::fs::metadata(&path).unwrap().len();
        let hold = hold_healing(dir);
        let f = inject(
            dir,
            Fault::enospc(Op::Write)
                .file(FileKind::Data, active)
                .short_write(cut)
                .always(),
        );
        let (ks, vs) = (keys.clone(), vals.clone());
        let r = store.execute(move |t| {
            for (k, v) in ks.iter().zip(&vs) {
                t.put(k, v, None);
            }
        });
        assert!(is_refused(&r), "cut {cut}: {r:?}");
        assert_eq!(f.fired(), 1);
        // Nothing is appended after the torn bytes, however often the store is asked.
        for i in 0..3 {
            assert!(is_refused(&store.set(&key("y", i), b"v")));
        }
        assert!(is_refused(&store.sync()));
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            before + cut as u64,
            "cut {cut}: nothing written after the short write"
        );
        assert_eq!(f.fired(), 1, "no write reached the file after the failure");
        check_contents(&store, &model, &Model::new());
        drop(store);
        drop(f);
        drop(hold);
        let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
        let torn = &store.recovery_report().torn_tails;
        if cut == 0 {
            assert!(torn.is_empty(), "cut {cut}: {torn:?}");
        } else {
            assert_eq!(
                torn.as_slice(),
                &[(active, before, cut as u64)],
                "cut {cut}: the whole cut-off batch is truncated"
            );
        }
        let got = dump(&store);
        for k in &keys {
            assert!(!got.contains_key(k), "cut {cut}: half a batch applied");
        }
        check_contents(&store, &model, &Model::new());
    }
}

/// Separate commands in one writer batch are not atomic together: a short write may keep the
/// first ones (never acknowledged) and cuts the rest; what comes back is whole records only.
#[test]
fn short_write_of_separate_commands_keeps_only_whole_records() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
    let mut model = Model::new();
    for i in 0..10 {
        let (k, v) = (key("k", i), value("k", i));
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    let (live, _) = manifest_state(dir);
    let active = live.iter().copied().max().unwrap();
    let rec_len = RecordRef::put(1, &key("z", 0), &value("z", 0)).encoded_len();
    let hold = hold_healing(dir);
    let f = inject(
        dir,
        Fault::eio(Op::Write)
            .file(FileKind::Data, active)
            .short_write(rec_len + 3),
    );
    // Three commands in one channel message: one writer batch, one pwrite.
    let (tx, rx) = std::sync::mpsc::channel();
    let txns: Vec<kvs_storage::TxnFn> = (0..3)
        .map(|i| {
            let tx = tx.clone();
            Box::new(move |t: &mut kvs_storage::Txn<'_>| {
                t.put(&key("z", i), &value("z", i), None);
                Box::new(move |r: kvs_storage::Result<()>| {
                    let _ = tx.send(r);
                }) as kvs_storage::Completion
            }) as kvs_storage::TxnFn
        })
        .collect();
    store.submit_writes(txns).unwrap();
    for _ in 0..3 {
        assert!(is_refused(&rx.recv().unwrap()));
    }
    assert_eq!(f.fired(), 1);
    drop(store);
    drop(f);
    drop(hold);
    let failed: Model = (0..3).map(|i| (key("z", i), value("z", i))).collect();
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
    let got = dump(&store);
    assert_eq!(
        got.get(&key("z", 0)),
        Some(&value("z", 0)),
        "the whole first record"
    );
    assert!(!got.contains_key(&key("z", 1)) && !got.contains_key(&key("z", 2)));
    check_contents(&store, &model, &failed);
}

/// After the everysec fsync fails, the store refuses writes and keeps saying why: the reason is
/// the first failure, not a later "file refuses further writes".
/// EIO, then recovered: the background fsync of `everysec` fails after `b` was acknowledged.
/// While the disk keeps failing the store refuses writes with the first reason, and retries on
/// a backoff without spinning; once the fault clears it heals, and `b` — acknowledged but never
/// synced in the failed file — is copied out of the page cache, so it survives a reopen.
#[test]
fn everysec_fsync_failure_heals_and_keeps_the_unsynced_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with(dir, opts(FsyncPolicy::EverySec, 1 << 20)).unwrap();
    store.set(b"a", b"1").unwrap();
    let (live, _) = manifest_state(dir);
    let active = live.iter().copied().max().unwrap();
    let hold = hold_healing(dir);
    let f = inject(
        dir,
        Fault::eio(Op::Sync).file(FileKind::Data, active).always(),
    );
    store.set(b"b", b"2").unwrap(); // acknowledged: everysec syncs within a second
    wait_for("the background fsync", || f.fired() >= 1);
    wait_for("the store to refuse writes", || {
        store.stats().refused.is_some()
    });
    // A poisoned file, a disk that keeps failing, 1.5 s: retries back off (50 ms doubling to
    // 500 ms: a handful, not a spin) and the reason stays the first failure's.
    std::thread::sleep(Duration::from_millis(1500));
    let stats = store.stats();
    let reason = stats.refused.clone().unwrap();
    assert!(
        reason.starts_with("fdatasync ") && reason.contains("Input/output error"),
        "{reason}"
    );
    assert!(
        (2..=10).contains(&stats.heal_attempts),
        "attempts in 1.5 s: {}",
        stats.heal_attempts
    );
    assert!(stats.last_heal_error.is_some(), "{stats:?}");
    match store.set(b"c", b"3") {
        Err(StorageError::WritesRefused { reason: r }) => assert_eq!(r, reason),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.get(b"b").unwrap(), Some(b"2".to_vec()));
    // The disk recovers.
    drop(f);
    let mut model: Model = [
        (b"a".to_vec(), b"1".to_vec()),
        (b"b".to_vec(), b"2".to_vec()),
    ]
    .into_iter()
    .collect();
    let failed: Model = [(b"c".to_vec(), b"3".to_vec())].into_iter().collect();
    heal(&store, hold, &mut model, &failed);
    let stats = store.stats();
    assert!(stats.last_heal_error.is_none());
    // `a` and `b` (seqs 1 and 2, never synced: everysec had not run yet) were copied into the
    // new file: the failed file's copies are not trusted.
    let (_, newest) = stats.files.iter().max_by_key(|(fid, _)| *fid).unwrap();
    assert_eq!(newest.min_seq, 1, "{stats:?}");
    drop(store);
    reopen_and_verify(dir, &mut model, &failed);
}

/// ENOSPC, then space freed: every write to the store's files fails (a full disk) until the
/// fault is dropped; writes are refused meanwhile and resume without a reopen once it is,
/// within the retry interval. A pipeline of writes around the failure keeps exactly the
/// acknowledged ones, also after a reopen.
#[test]
fn a_full_disk_refuses_writes_until_space_is_freed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with(dir, opts(FsyncPolicy::EverySec, 64 << 10)).unwrap();
    let mut model = Model::new();
    let mut failed = Model::new();
    for i in 0..200 {
        let (k, v) = (key("pre", i), value("pre", i));
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    let full = inject(dir, Fault::enospc(Op::Write).always());
    let full_create = inject(dir, Fault::enospc(Op::Create).always());
    for i in 0..50 {
        let (k, v) = (key("during", i), value("during", i));
        match store.set(&k, &v) {
            Ok(()) => {
                model.insert(k, v);
            }
            Err(e) => {
                assert!(matches!(e, StorageError::WritesRefused { .. }), "{e}");
                failed.insert(k, v);
            }
        }
    }
    assert!(!failed.is_empty(), "the full disk refused writes");
    std::thread::sleep(Duration::from_millis(300));
    assert!(store.stats().refused.is_some(), "still full: still refused");
    check_contents(&store, &model, &Model::new());
    // Space is freed: writes resume by themselves.
    let freed = Instant::now();
    drop(full);
    drop(full_create);
    wait_for("writes to resume", || store.stats().refused.is_none());
    let took = freed.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    for i in 0..200 {
        let (k, v) = (key("post", i), value("post", i));
        store.set(&k, &v).unwrap();
        model.insert(k, v);
    }
    check_contents(&store, &model, &Model::new());
    for k in failed.keys() {
        assert_eq!(store.get(k).unwrap(), None);
    }
    store.compact().unwrap();
    drop(store);
    reopen_and_verify(dir, &mut model, &failed);
}

/// A read-only command sent to the writer (as the server does for a read queued behind a write
/// of the same connection) still runs while writes are refused; a command that writes is
/// refused without its writes becoming visible to the commands after it.
#[test]
fn read_only_commands_on_the_writer_run_while_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with(dir, opts(FsyncPolicy::Always, 1 << 20)).unwrap();
    store.set(b"a", b"1").unwrap();
    let _hold = hold_healing(dir);
    let f = inject(dir, Fault::eio(Op::Sync).kind(FileKind::Data));
    assert!(is_refused(&store.set(b"b", b"2")));
    drop(f);
    let (tx, rx) = std::sync::mpsc::channel::<(u8, kvs_storage::Result<Option<Vec<u8>>>)>();
    let mut txns: Vec<kvs_storage::TxnFn> = Vec::new();
    // A write, then a read of its key, then a read of a committed key: one batch.
    let t0 = tx.clone();
    txns.push(Box::new(move |t| {
        t.put(b"c", b"3", None);
        Box::new(move |r| {
            let _ = t0.send((0, r.map(|()| None)));
        })
    }));
    for (n, k) in [(1u8, b"c"), (2u8, b"a")] {
        let tn = tx.clone();
        txns.push(Box::new(move |t| {
            let v = t.get(k).map(|v| v.map(|v| v.data));
            Box::new(move |r| {
                let _ = tn.send((n, r.and(v)));
            })
        }));
    }
    store.submit_writes(txns).unwrap();
    let mut got: Vec<_> = (0..3).map(|_| rx.recv().unwrap()).collect();
    got.sort_by_key(|(n, _)| *n);
    assert!(
        matches!(got[0].1, Err(StorageError::WritesRefused { .. })),
        "{got:?}"
    );
    assert_eq!(
        got[1].1.as_ref().unwrap(),
        &None,
        "the refused write is invisible"
    );
    assert_eq!(got[2].1.as_ref().unwrap(), &Some(b"1".to_vec()));
}

// ---------------------------------------------------------------------------------------------
// Compaction.

/// A store with several sealed files full of overwritten records, and a live set that fits one
/// output file: compaction allocates one fid (`next`), writes `next.data` and `next.hint`.
fn compaction_store(dir: &Path) -> (Store, Model) {
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 4096)).unwrap();
    let mut model = Model::new();
    for round in 0..12 {
        for i in 0..20 {
            let (k, v) = (key("c", i), value(&format!("r{round}"), i));
            store.set(&k, &v).unwrap();
            model.insert(k, v);
        }
    }
    for i in 0..3 {
        store.remove(&key("c", i)).unwrap();
        model.remove(&key("c", i));
    }
    settle_hints(dir);
    (store, model)
}

fn compaction_case(fault: impl FnOnce(Fid) -> Fault, expect_refused: bool) -> Row {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (store, mut model) = compaction_store(dir);
    let (live_before, next) = manifest_state(dir);
    let f = fault(next);
    let fault_text = format!("{f:?}");
    let hold = hold_healing(dir);
    let armed = inject(dir, f);
    let err = store.compact().expect_err("the compaction fails");
    assert!(armed.fired() >= 1, "{fault_text}: the fault fired");
    drop(armed);
    let error = short_error(&err);
    check_contents(&store, &model, &Model::new());
    let refused = is_refused(&store.set(b"probe", b"1"));
    assert_eq!(refused, expect_refused, "{fault_text}: {err}");
    if refused {
        assert!(is_refused(&store.compact()));
        heal(&store, hold, &mut model, &Model::new());
        store.compact().expect("a compaction after healing");
        check_contents(&store, &model, &Model::new());
    } else {
        drop(hold);
        model.insert(b"probe".to_vec(), b"1".to_vec());
        // The inputs are still live and nothing was left behind.
        let (live, _) = manifest_state(dir);
        for f in &live_before {
            assert!(live.contains(f), "{fault_text}: input {f} still live");
        }
        assert!(orphans(dir).is_empty(), "{fault_text}: {:?}", orphans(dir));
        assert!(!dir.join("hint.tmp").exists());
        // Retried at once, it works.
        let report = store.compact().expect("retried compaction");
        assert!(!report.inputs.is_empty());
        check_contents(&store, &model, &Model::new());
    }
    drop(store);
    let after_reopen = reopen_and_verify(dir, &mut model, &Model::new());
    Row {
        site: "compaction",
        fault: String::new(),
        error,
        then: if refused {
            "refused; healed once the fault cleared".into()
        } else {
            "accepted; retry compacts".into()
        },
        after_reopen,
    }
}

#[test]
fn matrix_compaction() {
    // (fault for output fid `next`, description, refuses writes)
    type MakeFault = fn(Fid) -> Fault;
    let cases: Vec<(MakeFault, String, bool)> = vec![
        (
            |n| Fault::eio(Op::Create).file(FileKind::Data, n),
            describe(Op::Create, EIO, None, "output data file"),
            false,
        ),
        (
            |n| Fault::enospc(Op::Create).file(FileKind::Data, n),
            describe(Op::Create, ENOSPC, None, "output data file"),
            false,
        ),
        (
            |n| Fault::enospc(Op::Write).file(FileKind::Data, n),
            describe(Op::Write, ENOSPC, None, "output header"),
            false,
        ),
        (
            |n| Fault::eio(Op::Write).file(FileKind::Data, n).nth(2),
            describe(Op::Write, EIO, None, "output records"),
            false,
        ),
        (
            |n| {
                Fault::enospc(Op::Write)
                    .file(FileKind::Data, n)
                    .nth(2)
                    .short_write(100)
            },
            describe(Op::Write, ENOSPC, Some(100), "output records"),
            false,
        ),
        (
            |n| Fault::eio(Op::Create).file(FileKind::Hint, n),
            describe(Op::Create, EIO, None, "output hint file"),
            false,
        ),
        (
            |n| Fault::enospc(Op::Write).file(FileKind::Hint, n).nth(2),
            describe(Op::Write, ENOSPC, None, "output hint entries"),
            false,
        ),
        (
            |n| Fault::eio(Op::Sync).file(FileKind::Data, n),
            describe(Op::Sync, EIO, None, "output header"),
            true,
        ),
        (
            |n| Fault::eio(Op::Sync).file(FileKind::Data, n).nth(2),
            describe(Op::Sync, EIO, None, "output data file"),
            true,
        ),
        (
            |n| Fault::enospc(Op::Sync).file(FileKind::Data, n).nth(2),
            describe(Op::Sync, ENOSPC, None, "output data file"),
            true,
        ),
        (
            |n| Fault::eio(Op::Sync).file(FileKind::Hint, n).nth(2),
            describe(Op::Sync, EIO, None, "output hint file"),
            true,
        ),
        (
            |_| Fault::eio(Op::SyncDir),
            describe(Op::SyncDir, EIO, None, "directory, before the edit"),
            true,
        ),
        (
            // The fsync barrier on the writer (the active file is dirty: fsync no).
            |n| Fault::eio(Op::Sync).file(FileKind::Data, n - 1),
            describe(Op::Sync, EIO, None, "active file (barrier)"),
            true,
        ),
        (
            |_| Fault::eio(Op::Write).kind(FileKind::Manifest),
            describe(Op::Write, EIO, None, "MANIFEST (fid allocation)"),
            true,
        ),
        (
            |_| Fault::eio(Op::Sync).kind(FileKind::Manifest),
            describe(Op::Sync, EIO, None, "MANIFEST (fid allocation)"),
            true,
        ),
        (
            |_| Fault::eio(Op::Write).kind(FileKind::Manifest).nth(2),
            describe(Op::Write, EIO, None, "MANIFEST (commit edit)"),
            true,
        ),
        (
            |_| {
                Fault::enospc(Op::Write)
                    .kind(FileKind::Manifest)
                    .nth(2)
                    .short_write(20)
            },
            describe(Op::Write, ENOSPC, Some(20), "MANIFEST (commit edit)"),
            true,
        ),
        (
            |_| Fault::eio(Op::Sync).kind(FileKind::Manifest).nth(2),
            describe(Op::Sync, EIO, None, "MANIFEST (commit edit)"),
            true,
        ),
        (
            |_| Fault::eio(Op::SyncDir).nth(2),
            describe(Op::SyncDir, EIO, None, "directory, after deleting inputs"),
            true,
        ),
    ];
    let mut rows = Vec::new();
    for (make, name, refuses) in cases {
        let mut row = compaction_case(make, refuses);
        row.fault = name;
        rows.push(row);
    }
    print_matrix("compaction", &rows);
}

/// A failed fsync of the MANIFEST's commit edit: the edit may be on disk all the same. The
/// outputs are kept (they may be live after a restart) and the inputs too; here the page cache
/// kept the edit, so the reopened store runs on the outputs and deletes the inputs.
#[test]
fn compaction_commit_fsync_failure_keeps_both_file_sets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (store, model) = compaction_store(dir);
    let (inputs, next) = manifest_state(dir);
    let hold = hold_healing(dir);
    let f = inject(dir, Fault::eio(Op::Sync).kind(FileKind::Manifest).nth(2));
    assert!(store.compact().is_err());
    drop(f);
    assert!(kvs_storage::file_path(dir, FileKind::Data, next).exists());
    for fid in &inputs {
        assert!(kvs_storage::file_path(dir, FileKind::Data, *fid).exists());
    }
    drop(store);
    drop(hold);
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 4096)).unwrap();
    let (live, _) = manifest_state(dir);
    assert!(live.contains(&next), "the edit reached the file");
    check_contents(&store, &model, &Model::new());
    assert!(orphans(dir).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Hint files written after rotation, in the background.

fn hint_case(fault: Fault, expect_refused: bool) -> Row {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = Store::open_with(dir, opts(FsyncPolicy::No, 4096)).unwrap();
    let mut model = Model::new();
    let fault_text = format!("{fault:?}");
    let hold = hold_healing(dir);
    let armed = inject(dir, fault);
    // Write until the first rotation: its hint file is then written in the background.
    let mut i = 0;
    while manifest_state(dir).0.len() < 2 {
        let (k, v) = (key("h", i), value("h", i));
        store.set(&k, &v).unwrap();
        model.insert(k, v);
        i += 1;
    }
    let sealed = manifest_state(dir).0.into_iter().min().unwrap();
    wait_for("the fault", || armed.fired() >= 1);
    wait_for("the hint writer to finish", || {
        !dir.join("hint.tmp").exists()
    });
    let refused = if expect_refused {
        wait_for("refusal", || store.stats().refused.is_some());
        true
    } else {
        std::thread::sleep(Duration::from_millis(50));
        store.stats().refused.is_some()
    };
    assert_eq!(refused, expect_refused, "{fault_text}");
    let error = store.stats().refused.unwrap_or_else(|| "(logged)".into());
    let hint = kvs_storage::file_path(dir, FileKind::Hint, sealed);
    if !fault_text.contains("SyncDir") {
        assert!(!hint.exists(), "{fault_text}: no hint file");
    }
    check_contents(&store, &model, &Model::new());
    drop(armed);
    if refused {
        heal(&store, hold, &mut model, &Model::new());
    } else {
        drop(hold);
    }
    drop(store);
    let after_reopen = reopen_and_verify(dir, &mut model, &Model::new());
    Row {
        site: "hint file after rotation",
        fault: String::new(),
        error: if refused {
            format!("WritesRefused ({})", op_of(&error))
        } else {
            error
        },
        then: then(refused),
        after_reopen,
    }
}

#[test]
fn matrix_hint_files() {
    let cases = [
        (
            Fault::eio(Op::Create).kind(FileKind::Hint),
            describe(Op::Create, EIO, None, "hint.tmp/NNNNNN.hint"),
            false,
        ),
        (
            Fault::enospc(Op::Write).kind(FileKind::Hint).nth(2),
            describe(Op::Write, ENOSPC, None, "hint entries"),
            false,
        ),
        (
            Fault::eio(Op::Rename).kind(FileKind::Hint),
            describe(Op::Rename, EIO, None, "hint.tmp/ → NNNNNN.hint"),
            false,
        ),
        (
            Fault::eio(Op::Sync).kind(FileKind::Hint).nth(2),
            describe(Op::Sync, EIO, None, "hint file"),
            true,
        ),
        (
            // 1: the rotation's, 2: after the hint file's rename.
            Fault::eio(Op::SyncDir).nth(2),
            describe(Op::SyncDir, EIO, None, "directory, after the rename"),
            true,
        ),
    ];
    let mut rows = Vec::new();
    for (fault, name, refuses) in cases {
        let mut row = hint_case(fault, refuses);
        row.fault = name;
        rows.push(row);
    }
    print_matrix("hint files", &rows);
}

// ---------------------------------------------------------------------------------------------
// Opening: creating a store, starting the new active file, repairing a torn tail.

fn open_case(existing: bool, fault: impl FnOnce(&Path) -> Fault) -> Row {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("store");
    let mut model = Model::new();
    if existing {
        let store = Store::open_with(&dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
        for i in 0..10 {
            let (k, v) = (key("o", i), value("o", i));
            store.set(&k, &v).unwrap();
            model.insert(k, v);
        }
    } else {
        std::fs::create_dir(&dir).unwrap();
    }
    let f = fault(&dir);
    let fault_text = format!("{f:?}");
    let armed = inject(&dir, f);
    let err = match Store::open_with(&dir, opts(FsyncPolicy::No, 1 << 20)) {
        Ok(_) => panic!("{fault_text}: the open succeeded"),
        Err(e) => e,
    };
    assert!(armed.fired() >= 1, "{fault_text}");
    drop(armed);
    let error = short_error(&err);
    let after_reopen = reopen_and_verify(&dir, &mut model, &Model::new());
    assert!(!dir.join("MANIFEST.tmp").exists());
    Row {
        site: if existing {
            "open (existing store)"
        } else {
            "open (new store)"
        },
        fault: String::new(),
        error,
        then: "open fails; the next open works".into(),
        after_reopen,
    }
}

#[test]
fn matrix_open() {
    type MakeFault = Box<dyn FnOnce(&Path) -> Fault>;
    let mut rows = Vec::new();
    let new_store: Vec<(MakeFault, String)> = vec![
        (
            Box::new(|_| Fault::eio(Op::Create).kind(FileKind::Manifest)),
            describe(Op::Create, EIO, None, "MANIFEST.tmp"),
        ),
        (
            Box::new(|_| {
                Fault::enospc(Op::Write)
                    .kind(FileKind::Manifest)
                    .nth(2)
                    .short_write(3)
            }),
            describe(Op::Write, ENOSPC, Some(3), "MANIFEST.tmp (snapshot edit)"),
        ),
        (
            Box::new(|_| Fault::eio(Op::Sync).kind(FileKind::Manifest).nth(2)),
            describe(Op::Sync, EIO, None, "MANIFEST.tmp"),
        ),
        (
            Box::new(|_| Fault::eio(Op::Rename).kind(FileKind::Manifest)),
            describe(Op::Rename, EIO, None, "MANIFEST.tmp → MANIFEST"),
        ),
        (
            Box::new(|_| Fault::eio(Op::SyncDir)),
            describe(Op::SyncDir, EIO, None, "directory, after the rename"),
        ),
        (
            Box::new(|_| Fault::enospc(Op::Create).file(FileKind::Data, 1)),
            describe(Op::Create, ENOSPC, None, "first data file"),
        ),
    ];
    for (make, name) in new_store {
        let mut row = open_case(false, make);
        row.fault = name;
        rows.push(row);
    }
    let existing: Vec<(MakeFault, String)> = vec![
        (
            Box::new(|d| Fault::eio(Op::Create).file(FileKind::Data, manifest_state(d).1)),
            describe(Op::Create, EIO, None, "new active data file"),
        ),
        (
            Box::new(|_| Fault::eio(Op::Write).kind(FileKind::Manifest)),
            describe(Op::Write, EIO, None, "MANIFEST (fid allocation)"),
        ),
        (
            Box::new(|_| Fault::eio(Op::Sync).kind(FileKind::Manifest)),
            describe(Op::Sync, EIO, None, "MANIFEST (fid allocation)"),
        ),
        (
            Box::new(|_| Fault::eio(Op::SyncDir)),
            describe(Op::SyncDir, EIO, None, "directory (new active file)"),
        ),
    ];
    for (make, name) in existing {
        let mut row = open_case(true, make);
        row.fault = name;
        rows.push(row);
    }
    print_matrix("open", &rows);
}

/// Open repairs a torn tail with ftruncate + fsync; if that fails, the open fails and changes
/// nothing, and the next open repairs it.
#[test]
fn torn_tail_repair_failure_fails_the_open() {
    // (fault, torn tails the next open still finds: after a failed fsync the cut is made)
    for (fault, torn) in [
        (Fault::eio(Op::Truncate).kind(FileKind::Data), 1),
        (Fault::eio(Op::Sync).kind(FileKind::Data), 0),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut model = Model::new();
        let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
        for i in 0..10 {
            let (k, v) = (key("t", i), value("t", i));
            store.set(&k, &v).unwrap();
            model.insert(k, v);
        }
        let short = inject(
            dir,
            Fault::eio(Op::Write).kind(FileKind::Data).short_write(40),
        );
        assert!(store.set(b"torn", &[b'x'; 200]).is_err());
        drop(short);
        drop(store);
        let armed = inject(dir, fault.clone());
        assert!(
            Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).is_err(),
            "{fault:?}"
        );
        assert_eq!(armed.fired(), 1);
        drop(armed);
        let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
        assert_eq!(store.recovery_report().torn_tails.len(), torn, "{fault:?}");
        check_contents(&store, &model, &Model::new());
    }
}

/// Faults are per directory: one armed for another directory never fires here.
#[test]
fn faults_are_scoped_to_their_directory() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let armed: Injected = inject(a.path(), Fault::eio(Op::Write).always());
    let store = Store::open_with(b.path(), opts(FsyncPolicy::Always, 1 << 20)).unwrap();
    store.set(b"k", b"v").unwrap();
    assert_eq!(armed.seen(), 0);
}

/// FLUSHALL is one MANIFEST edit replacing every file by a new empty one: a failure before the
/// edit keeps every key; a failed fsync of the edit may or may not have dropped them all (here
/// the page cache kept the edit) — all or nothing, and writes are refused either way.
#[test]
fn flush_all_failures_are_all_or_nothing() {
    // (fault, the keys are gone after reopen)
    let cases = [
        (Fault::enospc(Op::Create).kind(FileKind::Data), false),
        (Fault::eio(Op::SyncDir), false),
        (Fault::eio(Op::Write).kind(FileKind::Manifest).nth(3), false),
        (Fault::eio(Op::Sync).kind(FileKind::Manifest).nth(3), true),
    ];
    for (fault, gone) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
        let mut model = Model::new();
        for i in 0..10 {
            let (k, v) = (key("f", i), value("f", i));
            store.set(&k, &v).unwrap();
            model.insert(k, v);
        }
        // MANIFEST edits of a FLUSHALL: raise the seq floor, allocate a fid, the swap.
        let hold = hold_healing(dir);
        let armed = inject(dir, fault.clone());
        // The FLUSHALL is refused like any failed write (its reason names the I/O error), and
        // so is everything after it.
        let err = store.flush_all().expect_err("FLUSHALL fails");
        assert!(is_refused(&Err::<(), _>(err)), "{fault:?}");
        assert_eq!(armed.fired(), 1, "{fault:?}");
        drop(armed);
        assert!(is_refused(&store.set(b"x", b"1")));
        check_contents(&store, &model, &Model::new());
        drop(store);
        drop(hold);
        let store = Store::open_with(dir, opts(FsyncPolicy::No, 1 << 20)).unwrap();
        if gone {
            assert!(dump(&store).is_empty(), "{fault:?}");
        } else {
            check_contents(&store, &model, &Model::new());
        }
        store.set(b"x", b"1").unwrap();
    }
}
