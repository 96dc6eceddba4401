//! Storage failures as a client sees them: an injected fsync or write failure in the storage
//! engine (through the `kvs_storage::faults` seam, cargo feature `fault-injection`, enabled for
//! this crate's tests only) turns every later write command into Redis' MISCONF error, with the
//! failure in the text, while reads keep working — until the disk works again: then the store
//! heals by itself (storage-format §9.3) and writes are accepted, without a restart.

mod common;

use common::*;
use kvs_server::resp_client::Reply;
use kvs_storage::faults::{Fault, Op, inject};
use kvs_storage::{FileKind, FsyncPolicy};

/// The exact reply for a store refusing writes after `reason`.
fn misconf(reason: &str) -> Reply {
    err(&format!(
        "MISCONF Errors writing to the data files: {reason}. Commands that may modify the data set are disabled."
    ))
}

/// Every write command is refused with `expected`; every read still answers.
fn check_refused_but_readable(addr: std::net::SocketAddr, expected: &Reply) {
    let mut c = connect(addr);
    for args in [
        &["SET", "c", "3"][..],
        &["DEL", "a"],
        &["INCR", "n"],
        &["MSET", "x", "1", "y", "2"],
        &["APPEND", "a", "more"],
        &["EXPIRE", "a", "100"],
        &["GETDEL", "a"],
        &["RENAME", "a", "z"],
        &["SAVE"],
    ] {
        assert_eq!(&cmd(&mut c, args), expected, "{args:?}");
    }
    assert_eq!(cmd(&mut c, &["GET", "a"]), bulk("1"));
    assert_eq!(
        cmd(&mut c, &["MGET", "a", "b", "c"]),
        Reply::Array(Some(vec![bulk("1"), nil(), nil()]))
    );
    assert_eq!(cmd(&mut c, &["EXISTS", "a"]), int(1));
    assert_eq!(cmd(&mut c, &["STRLEN", "a"]), int(1));
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(1));
    let info = text(&cmd(&mut c, &["INFO", "persistence"]));
    assert!(info.contains("aof_last_write_status:err"), "{info}");
    // Reads pipelined between refused writes are answered, in order: a refused write never
    // joins a storage batch, so it cannot take the reads of its batch down with it.
    let Reply::Error(text) = expected else {
        panic!("{expected:?}")
    };
    let refused = format!("-{text}\r\n");
    let mut raw = Raw::connect(addr);
    let mut pipeline = Vec::new();
    for args in [
        &["SET", "c", "3"][..],
        &["GET", "a"],
        &["INCR", "n"],
        &["MGET", "a", "c"],
        &["FLUSHALL"],
        &["EXISTS", "a"],
    ] {
        pipeline.extend(kvs_server::resp_client::encode_command(
            &args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(),
        ));
    }
    raw.send(&pipeline);
    raw.expect(
        format!("{refused}$1\r\n1\r\n{refused}*2\r\n$1\r\n1\r\n$-1\r\n{refused}:1\r\n").as_bytes(),
    );
}

#[test]
fn fsync_failure_is_misconf_and_reads_still_work() {
    let (_server, addr, dir) = start_with(|c| c.fsync = FsyncPolicy::Always);
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "a", "1"]), ok());
    // A fresh store's first data file is 000001.data; the store works on the canonical path.
    let data = dir.path().canonicalize().unwrap().join("000001.data");
    let fault = inject(
        dir.path(),
        Fault::eio(Op::Sync).kind(FileKind::Data).always(),
    );
    let expected = misconf(&format!(
        "fdatasync {}: Input/output error (os error 5)",
        data.display()
    ));
    // The write whose fsync failed is not acknowledged...
    assert_eq!(cmd(&mut c, &["SET", "b", "2"]), expected);
    assert!(fault.fired() >= 1);
    // ... and while the disk keeps failing, every write on every connection is refused with
    // the first failure's text.
    check_refused_but_readable(addr, &expected);
    assert_eq!(cmd(&mut c, &["GET", "b"]), nil());
    assert_eq!(cmd(&mut c, &["PING"]), simple("PONG"));
    drop(fault);
    writes_resume(addr, "Input/output error");
}

/// Once the fault is gone: writes are accepted again within a few retries, INFO persistence
/// says so and still names the failure, and the refused write never appears.
fn writes_resume(addr: std::net::SocketAddr, error: &str) {
    let mut c = connect(addr);
    assert!(
        eventually(std::time::Duration::from_secs(5), || cmd(
            &mut c,
            &["SET", "c", "3"]
        ) == ok()),
        "writes never resumed"
    );
    let info = text(&cmd(&mut c, &["INFO", "persistence"]));
    for want in [
        "aof_last_write_status:ok",
        "kvs_writes_refused:0",
        "kvs_heals:1",
    ] {
        assert!(info.contains(want), "{want}: {info}");
    }
    let last = info
        .lines()
        .find_map(|l| l.strip_prefix("kvs_last_write_error:"))
        .unwrap_or_default();
    assert!(last.contains(error), "{info}");
    assert_eq!(cmd(&mut c, &["GET", "b"]), nil());
    assert_eq!(cmd(&mut c, &["GET", "c"]), bulk("3"));
    assert_eq!(cmd(&mut c, &["GET", "a"]), bulk("1"));
}

#[test]
fn enospc_on_write_is_misconf() {
    let (_server, addr, dir) = start_with(|c| c.fsync = FsyncPolicy::EverySec);
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "a", "1"]), ok());
    let data = dir.path().canonicalize().unwrap().join("000001.data");
    let fault = inject(
        dir.path(),
        Fault::enospc(Op::Write)
            .kind(FileKind::Data)
            .short_write(7)
            .always(),
    );
    let expected = misconf(&format!(
        "write {}: No space left on device (os error 28)",
        data.display()
    ));
    assert_eq!(cmd(&mut c, &["SET", "b", "2"]), expected);
    check_refused_but_readable(addr, &expected);
    // Space is freed.
    drop(fault);
    writes_resume(addr, "No space left on device");
}
