//! WATCH / UNWATCH with MULTI / EXEC, against the replies Redis 7.0 gives (its tests/unit/
//! multi.tcl cases, and the null array of a failed EXEC in RESP2 and RESP3).

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;
use kvs_server::resp_client::{Client, Reply, encode_command};

fn queued() -> Reply {
    simple("QUEUED")
}

/// MULTI, PING, EXEC: `PONG` in an array if the transaction ran, the null array if not.
fn exec_ping(c: &mut Client) -> Reply {
    assert_eq!(cmd(c, &["MULTI"]), ok());
    assert_eq!(cmd(c, &["PING"]), queued());
    cmd(c, &["EXEC"])
}

fn ran() -> Reply {
    Reply::Array(Some(vec![simple("PONG")]))
}

fn aborted() -> Reply {
    Reply::Array(None)
}

#[test]
fn exec_fails_when_a_watched_key_is_modified_by_anyone() {
    let (_server, addr, _dir) = start();
    let (mut c, mut other) = (connect(addr), connect(addr));
    // Not modified: the transaction runs.
    assert_eq!(cmd(&mut c, &["WATCH", "x", "y", "z"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "k"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    // Modified by another client (1 key of 5 watched).
    assert_eq!(cmd(&mut c, &["SET", "x", "30"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "a", "b", "x", "k", "z"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "40"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "x", "50"]), queued());
    assert_eq!(cmd(&mut c, &["EXEC"]), aborted());
    assert_eq!(cmd(&mut c, &["GET", "x"]), bulk("40"), "nothing of it ran");
    // Modified by the watching client itself.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "x", "41"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    // A key that did not exist, created meanwhile.
    assert_eq!(cmd(&mut c, &["WATCH", "new"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "new", "1"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    // Deleted meanwhile; and a touch by EXPIRE.
    assert_eq!(cmd(&mut c, &["WATCH", "new"]), ok());
    assert_eq!(cmd(&mut other, &["DEL", "new"]), int(1));
    assert_eq!(exec_ping(&mut c), aborted());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["EXPIRE", "x", "100"]), int(1));
    assert_eq!(exec_ping(&mut c), aborted());
    // A command that changes nothing touches nothing (DEL of a missing key, a failed INCR).
    assert_eq!(cmd(&mut c, &["SET", "s", "abc"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "missing", "s"]), ok());
    assert_eq!(cmd(&mut other, &["DEL", "missing"]), int(0));
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(cmd(&mut other, &["INCR", "s"]), not_int);
    assert_eq!(exec_ping(&mut c), ran());
}

#[test]
fn exec_discard_unwatch_and_reset_end_the_watching() {
    let (_server, addr, _dir) = start();
    let (mut c, mut other) = (connect(addr), connect(addr));
    assert_eq!(cmd(&mut c, &["SET", "x", "30"]), ok());
    // After a successful EXEC the key is no longer watched.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    assert_eq!(cmd(&mut other, &["SET", "x", "40"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    // Nor after a failed one.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "40"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    assert_eq!(cmd(&mut other, &["SET", "x", "40"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    // UNWATCH, with and without watched keys.
    assert_eq!(cmd(&mut c, &["UNWATCH"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "40"]), ok());
    assert_eq!(cmd(&mut c, &["UNWATCH"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    // DISCARD clears the dirty flag and unwatches (Redis' "DISCARD should clear the WATCH
    // dirty flag on the client" and "DISCARD should UNWATCH all the keys").
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "x", "10"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["DISCARD"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["INCR", "x"]), queued());
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(vec![int(11)])));
    // RESET unwatches.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "1"]), ok());
    assert_eq!(cmd(&mut c, &["RESET"]), simple("RESET"));
    assert_eq!(exec_ping(&mut c), ran());
    // An EXEC aborted for a queueing error unwatches too.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    let arity = err("ERR wrong number of arguments for 'get' command");
    assert_eq!(cmd(&mut c, &["GET"]), arity);
    let abort = err("EXECABORT Transaction discarded because of previous errors.");
    assert_eq!(cmd(&mut c, &["EXEC"]), abort);
    assert_eq!(cmd(&mut other, &["SET", "x", "2"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    // UNWATCH queued inside MULTI answers OK in EXEC's array.
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["UNWATCH"]), queued());
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(vec![ok()])));
}

#[test]
fn watch_errors_and_empty_transactions() {
    let (_server, addr, _dir) = start();
    let (mut c, mut other) = (connect(addr), connect(addr));
    assert_eq!(
        cmd(&mut c, &["WATCH"]),
        err("ERR wrong number of arguments for 'watch' command")
    );
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(
        cmd(&mut c, &["WATCH", "x"]),
        err("ERR WATCH inside MULTI is not allowed")
    );
    // The refused WATCH does not fail the transaction.
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(vec![])));
    // An empty transaction of a client whose watched key changed: the null array.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "1"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["EXEC"]), aborted());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(vec![])));
    // EXEC without MULTI keeps the watch (Redis returns before unwatching).
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut c, &["EXEC"]), err("ERR EXEC without MULTI"));
    assert_eq!(cmd(&mut other, &["SET", "x", "2"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    // RESP3: a failed EXEC is the null `_`.
    assert!(matches!(cmd(&mut c, &["HELLO", "3"]), Reply::Array(_)));
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "3"]), ok());
    assert_eq!(exec_ping(&mut c), Reply::Null);
}

#[test]
fn flushall_touches_watched_keys_that_exist() {
    let (_server, addr, _dir) = start();
    let (mut c, mut other) = (connect(addr), connect(addr));
    assert_eq!(cmd(&mut c, &["SET", "x", "30"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["FLUSHALL"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    // FLUSHALL does not touch a watched key that does not exist.
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["FLUSHALL"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
}

#[test]
fn expiry_and_watch() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    // A key that expires between WATCH and EXEC fails it, whether or not the expiry pass has
    // deleted it yet (Redis' "EXEC fail on lazy expired WATCHed key" and "WATCH will consider
    // touched expired keys").
    for wait in [Duration::from_millis(0), Duration::from_millis(300)] {
        assert_eq!(cmd(&mut c, &["SET", "x", "1", "PX", "100"]), ok());
        assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
        sleep(Duration::from_millis(150) + wait);
        assert_eq!(exec_ping(&mut c), aborted(), "after {wait:?}");
    }
    // A key already expired when watched (stale): its deletion is no change ("WATCH stale keys
    // should not fail EXEC", "Delete WATCHed stale keys should not fail EXEC").
    assert_eq!(cmd(&mut c, &["SET", "y", "1", "PX", "1"]), ok());
    sleep(Duration::from_millis(5));
    assert_eq!(cmd(&mut c, &["WATCH", "y"]), ok());
    assert_eq!(cmd(&mut c, &["EXISTS", "y"]), int(0));
    sleep(Duration::from_millis(200));
    assert_eq!(exec_ping(&mut c), ran());
    // ... but writing it is.
    assert_eq!(cmd(&mut c, &["SET", "y", "1", "PX", "1"]), ok());
    sleep(Duration::from_millis(5));
    assert_eq!(cmd(&mut c, &["WATCH", "y"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "y", "2"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
}

#[test]
fn a_pipelined_watch_sees_the_writes_sent_before_it() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    // One pipeline: SET, WATCH, MULTI, INCR, EXEC. WATCH must not be overtaken by the SET
    // still in flight on the writer (that would make the SET look like a later change).
    let mut bytes = Vec::new();
    for args in [
        &["SET", "n", "10"][..],
        &["WATCH", "n"],
        &["MULTI"],
        &["INCR", "n"],
        &["EXEC"],
    ] {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        bytes.extend(encode_command(&args));
    }
    c.send_raw(&bytes).expect("send");
    let replies: Vec<Reply> = (0..5).map(|_| c.read_reply().expect("reply")).collect();
    assert_eq!(
        replies,
        vec![
            ok(),
            ok(),
            ok(),
            queued(),
            Reply::Array(Some(vec![int(11)]))
        ]
    );
}

#[test]
fn a_closed_client_stops_watching_and_others_go_on() {
    let (_server, addr, _dir) = start();
    let mut other = connect(addr);
    for _ in 0..50 {
        let mut gone = connect(addr);
        assert_eq!(cmd(&mut gone, &["WATCH", "x", "y"]), ok());
        drop(gone);
    }
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "y", "1"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    assert!(
        eventually(Duration::from_secs(5), || {
            let info = text(&cmd(&mut other, &["INFO", "clients"]));
            info.contains("total_watched_keys:0\r\n") && info.contains("watching_clients:0\r\n")
        }),
        "the writer forgot the closed clients' keys"
    );
}

#[test]
fn the_sled_engine_keeps_the_same_watch_rules() {
    let (_server, addr, _dir) = start_with(|c| c.engine = kvs_server::EngineKind::Sled);
    let (mut c, mut other) = (connect(addr), connect(addr));
    assert_eq!(cmd(&mut c, &["SET", "x", "1"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(exec_ping(&mut c), ran());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["SET", "x", "2"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    assert_eq!(cmd(&mut c, &["WATCH", "x"]), ok());
    assert_eq!(cmd(&mut other, &["FLUSHALL"]), ok());
    assert_eq!(exec_ping(&mut c), aborted());
    assert_eq!(cmd(&mut c, &["SET", "t", "1", "PX", "50"]), ok());
    assert_eq!(cmd(&mut c, &["WATCH", "t"]), ok());
    sleep(Duration::from_millis(100));
    assert_eq!(exec_ping(&mut c), aborted(), "expired since WATCH");
    assert_eq!(cmd(&mut c, &["WATCH", "t"]), ok());
    assert_eq!(exec_ping(&mut c), ran(), "already expired at WATCH");
    let info = text(&cmd(&mut c, &["INFO", "clients"]));
    assert!(info.contains("total_watched_keys:0\r\n"), "{info}");
}
