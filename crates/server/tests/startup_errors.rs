//! Start-up failures as a new user meets them: a bad `--addr` or `--dir` makes `kvs-server` exit
//! non-zero, promptly, with one message that names the address or path, says what is wrong with
//! it and what to do (docs/operations.md, "Start-up errors").

mod common;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::server_proc::{StartFailure, run_failing, start_server};

/// A server that cannot start must say so well within this (it fails before serving anything).
const EXIT_WITHIN: Duration = Duration::from_secs(20);

/// The unprivileged user the permission cases run the server as when the tests run as root
/// (root ignores permission bits and may bind any port).
const NOBODY: u32 = 65534;

/// Runs the server with `--addr ADDR --dir DIR` and expects it to fail.
fn run(addr: &str, dir: &Path, tweak: impl FnOnce(&mut Command)) -> StartFailure {
    let dir = dir.to_str().expect("utf-8 temp path");
    run_failing(&["--addr", addr, "--dir", dir], EXIT_WITHIN, tweak)
}

/// Asserts the server failed (non-zero exit), that `problem` is reported exactly once in its
/// stderr (case-insensitively, so a log line repeating the OS text counts too), and that the
/// line reporting it also holds every one of `names` (the address or path, the flag to change).
#[track_caller]
fn assert_reported_once(f: &StartFailure, problem: &str, names: &[&str]) {
    assert!(
        !f.status.success(),
        "kvs-server exited with {:?}; stderr:\n{}",
        f.status,
        f.stderr
    );
    let lower = f.stderr.to_lowercase();
    let count = lower.matches(&problem.to_lowercase()).count();
    assert_eq!(
        count, 1,
        "{problem:?} should be printed exactly once; stderr:\n{}",
        f.stderr
    );
    let line = f
        .stderr
        .lines()
        .find(|l| l.to_lowercase().contains(&problem.to_lowercase()))
        .expect("the line with the problem");
    for name in names {
        assert!(
            line.contains(name),
            "{name:?} missing from the error line {line:?}"
        );
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Makes the command run as an unprivileged user when the tests run as root, so permission
/// checks apply to it.
fn unprivileged(cmd: &mut Command) {
    if is_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
}

/// True if [`unprivileged`] children can run the binary at all (as root, every directory on its
/// path must be open to others); prints why the case is skipped when not.
fn unprivileged_can_run() -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvs-server"));
    cmd.arg("--version");
    unprivileged(&mut cmd);
    let ok = cmd.output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipped: uid {NOBODY} cannot run the kvs-server binary here");
    }
    ok
}

/// A temporary directory other users can traverse (tempfile makes them 0700).
fn shared_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn port_in_use_names_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let f = run(&addr, &dir, |_| {});
    assert_reported_once(
        &f,
        "address already in use",
        &[&format!("cannot listen on {addr}"), "--addr"],
    );
    // The server binds first, as Redis does: the data directory was never created, claimed
    // or opened.
    assert!(
        !dir.exists(),
        "the data directory was created: {}",
        f.stderr
    );
    assert!(
        !f.stderr.contains("store opened"),
        "the store was opened before the bind failed: {}",
        f.stderr
    );
}

#[test]
fn a_low_port_without_privileges_says_why() {
    let start: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1024);
    if start <= 1 {
        eprintln!("note: skipped: every port is unprivileged here (ip_unprivileged_port_start=0)");
        return;
    }
    if !unprivileged_can_run() {
        return;
    }
    let parent = shared_tempdir();
    let dir = parent.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    if is_root() {
        std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let f = run("127.0.0.1:1", &dir, unprivileged);
    assert_reported_once(
        &f,
        "permission denied",
        &["cannot listen on 127.0.0.1:1", "below 1024", "--addr"],
    );
}

#[test]
fn dir_that_is_a_regular_file() {
    let parent = tempfile::tempdir().unwrap();
    let file = parent.path().join("file");
    std::fs::write(&file, b"not a directory").unwrap();
    let f = run("127.0.0.1:0", &file, |_| {});
    assert_reported_once(
        &f,
        "is not a directory (it is a regular file)",
        &[&format!("data directory {}", file.display()), "--dir"],
    );
}

#[test]
fn dir_under_a_regular_file() {
    let parent = tempfile::tempdir().unwrap();
    let file = parent.path().join("file");
    std::fs::write(&file, b"not a directory").unwrap();
    let dir = file.join("sub");
    let f = run("127.0.0.1:0", &dir, |_| {});
    assert_reported_once(
        &f,
        &format!(
            "{} is not a directory (it is a regular file)",
            file.display()
        ),
        &[
            &format!("cannot create data directory {}", dir.display()),
            "--dir",
        ],
    );
}

#[test]
fn dir_that_is_not_writable() {
    if !unprivileged_can_run() {
        return;
    }
    let parent = shared_tempdir();
    let dir = parent.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let f = run("127.0.0.1:0", &dir, unprivileged);
    assert_reported_once(
        &f,
        "is not writable",
        &[
            &format!("data directory {}", dir.display()),
            "permission denied",
            "--dir",
        ],
    );
}

#[test]
fn dir_that_cannot_be_created() {
    if !unprivileged_can_run() {
        return;
    }
    let parent = shared_tempdir();
    let ro = parent.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let dir = ro.join("data");
    let f = run("127.0.0.1:0", &dir, unprivileged);
    assert_reported_once(
        &f,
        "permission denied",
        &[
            &format!("cannot create data directory {}", dir.display()),
            "--dir",
        ],
    );
}

#[test]
fn dir_locked_by_another_server() {
    let dir = tempfile::tempdir().unwrap();
    let _first = start_server(dir.path(), &[]);
    let f = run("127.0.0.1:0", dir.path(), |_| {});
    assert_reported_once(
        &f,
        "is in use by another process",
        &[
            &format!("data directory {}", dir.path().display()),
            "LOCK",
            "--dir",
        ],
    );
}

#[test]
fn dir_of_another_engine() {
    let dir = tempfile::tempdir().unwrap();
    // How kvs-server records the engine that owns a directory (docs/operations.md).
    std::fs::write(dir.path().join("ENGINE"), "sled\n").unwrap();
    let f = run("127.0.0.1:0", dir.path(), |_| {});
    assert_reported_once(
        &f,
        "was created by engine 'sled', not 'kvs'",
        &[
            &format!("data directory {}", dir.path().display()),
            "--engine sled",
        ],
    );
}

#[test]
fn unknown_engine_is_refused_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().expect("utf-8 temp path");
    let f = run_failing(
        &["--addr", "127.0.0.1:0", "--dir", d, "--engine", "rocks"],
        EXIT_WITHIN,
        |_| {},
    );
    assert_reported_once(&f, "invalid value 'rocks' for '--engine", &[]);
    assert!(
        f.stderr.contains("[possible values: kvs, sled]"),
        "the choices are listed; stderr:\n{}",
        f.stderr
    );
    // Refused before anything touched the directory.
    assert!(!dir.path().join("ENGINE").exists());
}

#[test]
fn dir_with_a_damaged_manifest() {
    let dir = tempfile::tempdir().unwrap();
    drop(start_server(dir.path(), &[])); // a real store, then killed
    std::fs::write(
        dir.path().join("MANIFEST"),
        b"this is not a MANIFEST, just garbage bytes",
    )
    .unwrap();
    let f = run("127.0.0.1:0", dir.path(), |_| {});
    assert_reported_once(
        &f,
        "is damaged",
        &[
            &format!("data directory {}", dir.path().display()),
            "MANIFEST",
            "kvs-check",
        ],
    );
}
