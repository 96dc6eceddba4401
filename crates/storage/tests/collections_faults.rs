//! Collections through the fault-injection seam (`kvs_storage::faults`, as `faults.rs` does for
//! strings): a short write (ENOSPC) or a failed fsync (EIO) in the middle of a run of hash and
//! set writes fails that write, refuses every later one while the fault lasts (reads keep
//! working, collections included), heals once it clears — the failed write never visible — and
//! a reopen gives back exactly the acknowledged writes.

mod support;

use kvs_storage::faults::{Fault, Op as FsOp, inject};
use kvs_storage::{FileKind, FsyncPolicy, Options, StorageError, Store};
use support::collections::{ELEMENTS, KEYS, Keyspace, Op, apply_model, apply_store, observed};

fn opts() -> Options {
    Options {
        fsync: FsyncPolicy::Always,
        max_file_size: 8 << 10,
        compaction_interval: None,
        readers: 1,
        ..Options::default()
    }
}

/// Operation `i`: HSETs and SADDs over every key, with some removals, renames and overwrites.
fn op_at(i: u64) -> Op {
    let (k, e) = (
        (i % u64::from(KEYS)) as u8,
        (i / 3 % u64::from(ELEMENTS)) as u8,
    );
    match i % 11 {
        0..=3 => Op::HSet(k, e, (i % 200) as u16),
        4..=7 => Op::SAdd(k, e),
        8 => Op::HDel(k, e),
        9 => Op::SRem(k, e),
        _ => Op::Rename(k, (k + 1) % KEYS),
    }
}

/// Runs `op` on the store, catching the panic `apply_store`'s unwrap makes of an error.
fn try_apply(store: &Store, op: &Op, step: u64) -> Result<(), String> {
    let s = store.clone();
    let op = op.clone();
    std::thread::spawn(move || apply_store(&s, &op, step))
        .join()
        .map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
}

fn case(fault: Fault, what: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    let mut model = Keyspace::new();
    let mut i = 0;
    for _ in 0..80 {
        if apply_model(&mut model, &op_at(i), i) {
            apply_store(&store, &op_at(i), i);
        }
        i += 1;
    }
    // Healing held back (MANIFEST.tmp cannot be created) while the refusal is checked.
    let hold = inject(
        tmp.path(),
        Fault::enospc(FsOp::Create)
            .kind(FileKind::Manifest)
            .always(),
    );
    let armed = inject(tmp.path(), fault);
    let (failed_at, failed_model) = loop {
        assert!(i < 10_000, "{what}: the fault never fired");
        let mut next = model.clone();
        if !apply_model(&mut next, &op_at(i), i) {
            i += 1;
            continue;
        }
        match try_apply(&store, &op_at(i), i) {
            Ok(()) => model = next,
            Err(e) => {
                // The failed write's completion says why: writes are refused from now on.
                assert!(e.contains("WritesRefused"), "{what}: {e}");
                break (i, next);
            }
        }
        i += 1;
    };
    assert!(armed.fired() >= 1, "{what}: the fault fired");
    // Every later write is refused; reads, collections included, keep working.
    let refused = store.execute(|t| t.put(b"later", b"1", None));
    assert!(
        matches!(refused, Err(StorageError::WritesRefused { .. })),
        "{what}: a write after the failure: {refused:?}"
    );
    let seen = observed(&store);
    assert!(
        seen == model || seen == failed_model,
        "{what}: the store serves neither the acknowledged state nor that plus the failed write"
    );
    // The fault clears: the store heals, without the failed write, and takes writes again.
    drop(armed);
    drop(hold);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while store.writes_refused().is_some() {
        assert!(std::time::Instant::now() < deadline, "{what}: never healed");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        observed(&store) == model,
        "{what}: after healing, not exactly the acknowledged writes (op {failed_at}: {:?})",
        op_at(failed_at)
    );
    let step = failed_at + 1;
    if apply_model(&mut model, &op_at(step), step) {
        apply_store(&store, &op_at(step), step);
    }
    drop(store);
    let store = Store::open_with(tmp.path(), opts()).unwrap();
    let after = observed(&store);
    assert!(
        after == model,
        "{what}: after reopen, not exactly the acknowledged writes (op {failed_at}: {:?})",
        op_at(failed_at)
    );
    // And it writes again.
    apply_store(&store, &Op::SAdd(0, 0), 99_999);
}

#[test]
fn a_short_write_in_a_collection_batch_loses_nothing_acknowledged() {
    case(
        Fault::enospc(FsOp::Write)
            .kind(FileKind::Data)
            .short_write(9),
        "ENOSPC short write",
    );
}

#[test]
fn a_failed_fsync_after_a_collection_batch_loses_nothing_acknowledged() {
    case(Fault::eio(FsOp::Sync).kind(FileKind::Data), "EIO fsync");
}
