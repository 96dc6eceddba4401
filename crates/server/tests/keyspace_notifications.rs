//! Keyspace notifications (`notify-keyspace-events`): the events Redis 7.0 publishes for
//! strings, keys, hashes, sets and expiry, in order, on `__keyspace@0__:<key>` and
//! `__keyevent@0__:<event>`; masked classes publish nothing; CONFIG GET prints the flags as
//! Redis does.

mod common;

use std::time::Duration;

use common::*;
use kvs_server::resp_client::{Client, Reply};

/// A client listening to every keyevent channel.
fn listener(addr: std::net::SocketAddr) -> Client {
    let mut c = connect(addr);
    assert_eq!(
        cmd(&mut c, &["PSUBSCRIBE", "__keyevent@0__:*"]),
        Reply::Array(Some(vec![
            bulk("psubscribe"),
            bulk("__keyevent@0__:*"),
            int(1)
        ]))
    );
    c
}

/// The next keyevent message, as "event key".
fn next_event(c: &mut Client) -> String {
    let r = c.read_reply().expect("an event within the I/O timeout");
    let parts: Vec<String> = items(r).iter().map(text).collect();
    assert_eq!(parts[0], "pmessage", "{parts:?}");
    let event = parts[2]
        .strip_prefix("__keyevent@0__:")
        .expect("a keyevent channel");
    format!("{event} {}", parts[3])
}

#[test]
fn write_commands_publish_redis_events_in_order() {
    let (_server, addr, _dir) = start_with(|c| c.loopers = 2);
    let mut r = connect(addr);
    assert_eq!(
        cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        ok()
    );
    let mut l = listener(addr);
    let steps: &[(&[&str], &[&str])] = &[
        (&["SET", "s", "1"], &["set s"]),
        (&["SET", "s", "1", "EX", "100"], &["set s", "expire s"]),
        (&["INCRBY", "s", "2"], &["incrby s"]),
        (&["APPEND", "s", "x"], &["append s"]),
        (&["PERSIST", "s"], &["persist s"]),
        (&["PERSIST", "s"], &[]),
        (&["MSET", "a", "1", "b", "2"], &["set a", "set b"]),
        (&["RENAME", "a", "c"], &["rename_from a", "rename_to c"]),
        (&["DEL", "b", "c", "nosuch"], &["del b", "del c"]),
        (&["SET", "s", "v", "NX"], &[]), // not set: nothing
        (&["HSET", "h", "f", "1", "g", "2"], &["hset h"]),
        (&["HINCRBY", "h", "f", "5"], &["hincrby h"]),
        (&["HDEL", "h", "f", "g"], &["hdel h", "del h"]),
        (&["SADD", "x", "m", "n"], &["sadd x"]),
        (&["SADD", "x", "m"], &[]), // nothing added
        (&["SMOVE", "x", "y", "m"], &["srem x", "sadd y"]),
        (&["SREM", "x", "n"], &["srem x", "del x"]),
        (&["SUNIONSTORE", "z", "y"], &["sunionstore z"]),
        (&["EXPIRE", "z", "0"], &["del z"]),
        (&["HSET", "y", "f", "v"], &[]), // WRONGTYPE: an error publishes nothing
    ];
    for (command, events) in steps {
        cmd(&mut r, command);
        for e in *events {
            assert_eq!(next_event(&mut l), *e, "after {command:?}");
        }
    }
    // Nothing else was published: a marker event comes next.
    cmd(&mut r, &["SET", "marker", "1"]);
    assert_eq!(next_event(&mut l), "set marker");
}

#[test]
fn masked_classes_publish_nothing_and_flags_print_as_redis_does() {
    let (_server, addr, _dir) = start();
    let mut r = connect(addr);
    assert_eq!(
        cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", "KQ"]),
        err(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        )
    );
    assert_eq!(
        cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", "Eh"]),
        ok()
    );
    assert_eq!(
        cmd(&mut r, &["CONFIG", "GET", "notify-keyspace-events"]),
        bulks(&["notify-keyspace-events", "hE"])
    );
    let mut l = listener(addr);
    cmd(&mut r, &["SET", "s", "1"]); // class $: masked
    cmd(&mut r, &["HSET", "h", "f", "1"]);
    assert_eq!(next_event(&mut l), "hset h");
    cmd(
        &mut r,
        &["CONFIG", "SET", "notify-keyspace-events", "g$lshzxetdKE"],
    );
    assert_eq!(
        cmd(&mut r, &["CONFIG", "GET", "notify-keyspace-events"]),
        bulks(&["notify-keyspace-events", "AKE"])
    );
    // Only the keyspace channel: the keyevent listener hears nothing, a keyspace one does.
    cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", "K$n"]);
    let mut ks = connect(addr);
    cmd(&mut ks, &["SUBSCRIBE", "__keyspace@0__:fresh"]);
    cmd(&mut r, &["SET", "fresh", "1"]);
    assert_eq!(
        ks.read_reply().unwrap(),
        bulks(&["message", "__keyspace@0__:fresh", "new"])
    );
    assert_eq!(
        ks.read_reply().unwrap(),
        bulks(&["message", "__keyspace@0__:fresh", "set"])
    );
    // Off again: nothing at all.
    cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", ""]);
    cmd(&mut r, &["SET", "fresh", "2"]);
    cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    cmd(&mut r, &["SET", "marker", "1"]);
    assert_eq!(next_event(&mut l), "set marker");
}

#[test]
fn expired_keys_are_published_when_the_writer_deletes_them() {
    let (_server, addr, _dir) = start();
    let mut r = connect(addr);
    cmd(&mut r, &["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
    let mut l = listener(addr);
    cmd(&mut r, &["SET", "soon", "1", "PX", "30"]);
    cmd(&mut r, &["HSET", "hsoon", "f", "1"]);
    cmd(&mut r, &["PEXPIRE", "hsoon", "30"]);
    let mut got = vec![next_event(&mut l), next_event(&mut l)];
    got.sort();
    assert_eq!(got, ["expired hsoon", "expired soon"]);
    assert!(eventually(Duration::from_secs(2), || cmd(
        &mut r,
        &["EXISTS", "soon", "hsoon"]
    ) == int(0)));
}
