//! The binaries as a user runs them: kvs-server's flags, logging, signals and durability, and
//! kvs-client's command-line contract.

mod common;

use common::server_proc::{start_server, wait_exit};
use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::Duration;

fn client(addr: SocketAddr, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvs-client"));
    cmd.args(args);
    if !args.is_empty() {
        cmd.args(["--addr", &addr.to_string()]);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_client_follows_the_kvs_cli_contract() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), &[]);
    let log = server.log.join("\n");
    for field in ["version=", "engine=kvs", "addr=", "dir="] {
        assert!(log.contains(field), "start-up log lacks {field}: {log}");
    }
    let a = server.addr;
    let get = client(a, &["get", "missing"]);
    assert!(get.status.success());
    assert_eq!(stdout(&get).trim(), "Key not found");
    let rm = client(a, &["rm", "missing"]);
    assert!(!rm.status.success());
    assert_eq!(String::from_utf8_lossy(&rm.stderr).trim(), "Key not found");
    assert!(client(a, &["set", "key1", "value1"]).status.success());
    assert_eq!(stdout(&client(a, &["get", "key1"])).trim(), "value1");
    assert!(client(a, &["rm", "key1"]).status.success());
    assert_eq!(stdout(&client(a, &["get", "key1"])).trim(), "Key not found");
    // Wrong or missing arguments: usage and a non-zero exit.
    for bad in [
        &[][..],
        &["get"],
        &["set", "k"],
        &["frobnicate", "k"],
        &["get", "a", "b"],
    ] {
        let out = client(a, bad);
        assert!(!out.status.success(), "{bad:?} should fail");
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .to_lowercase()
                .contains("usage"),
            "{bad:?}"
        );
    }
    assert!(client(a, &["-V"]).status.success());
}

#[test]
fn data_survives_a_graceful_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(dir.path(), &[]);
    for i in 0..50 {
        assert!(
            client(server.addr, &["set", &format!("k{i}"), &format!("v{i}")])
                .status
                .success()
        );
    }
    // SIGTERM: stop accepting, flush, fsync, exit 0.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    let status =
        wait_exit(&mut server.child, Duration::from_secs(15)).expect("server exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    let server = start_server(dir.path(), &[]);
    for i in [0, 17, 49] {
        assert_eq!(
            stdout(&client(server.addr, &["get", &format!("k{i}")])).trim(),
            format!("v{i}")
        );
    }
}

#[test]
fn sigkill_after_an_acknowledged_write_with_fsync_always_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(dir.path(), &["--fsync", "always"]);
    for i in 0..100 {
        assert!(
            client(
                server.addr,
                &["set", &format!("durable{i}"), &format!("{i}")]
            )
            .status
            .success()
        );
    }
    server.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.child.wait().unwrap();
    let server = start_server(dir.path(), &["--fsync", "always"]);
    for i in 0..100 {
        assert_eq!(
            stdout(&client(server.addr, &["get", &format!("durable{i}")])).trim(),
            format!("{i}"),
            "lost durable{i}"
        );
    }
}

#[test]
fn another_engine_on_the_same_directory_is_refused_before_binding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ENGINE"), "sled\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kvs-server"))
        .args(["--addr", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("engine 'sled'"), "{err}");
}

#[test]
fn shutdown_command_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(dir.path(), &[]);
    let mut c =
        kvs_server::resp_client::Client::connect(server.addr, Duration::from_secs(5)).unwrap();
    c.cmd(&[b"SET", b"x", b"1"]).unwrap();
    c.send_raw(&kvs_server::resp_client::encode_command(&[b"SHUTDOWN"]))
        .unwrap();
    let status =
        wait_exit(&mut server.child, Duration::from_secs(15)).expect("server exits after SHUTDOWN");
    assert!(status.success());
    let server = start_server(dir.path(), &[]);
    assert_eq!(stdout(&client(server.addr, &["get", "x"])).trim(), "1");
}

#[test]
fn the_sled_engine_serves_the_same_commands_and_persists() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start_server(dir.path(), &["--engine", "sled", "--fsync", "always"]);
    let mut c =
        kvs_server::resp_client::Client::connect(server.addr, Duration::from_secs(5)).unwrap();
    use kvs_server::resp_client::Reply;
    assert_eq!(
        c.cmd(&[b"MSET", b"a", b"1", b"b", b"2"]).unwrap(),
        Reply::Simple("OK".into())
    );
    assert_eq!(c.cmd(&[b"INCRBY", b"a", b"41"]).unwrap(), Reply::Int(42));
    assert_eq!(c.cmd(&[b"DEL", b"b"]).unwrap(), Reply::Int(1));
    let info = c.cmd(&[b"INFO", b"server"]).unwrap();
    assert!(
        String::from_utf8_lossy(info.as_bytes().unwrap_or_default()).contains("kvs_engine:sled")
    );
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    assert!(
        wait_exit(&mut server.child, Duration::from_secs(15))
            .expect("exits")
            .success()
    );
    let server = start_server(dir.path(), &["--engine", "sled"]);
    assert_eq!(stdout(&client(server.addr, &["get", "a"])).trim(), "42");
    assert_eq!(
        stdout(&client(server.addr, &["get", "b"])).trim(),
        "Key not found"
    );
}
