//! Pub/sub end to end: SUBSCRIBE / PSUBSCRIBE / PUBLISH across loopers (every subscriber gets
//! every message once, in publish order), RESP2's subscribed mode, RESP3 pushes, PUBSUB
//! introspection, and the registry forgetting closed and unsubscribed clients. Reply bytes are
//! redis-server 7.0.15's.

mod common;

use std::time::Duration;

use common::*;
use kvs_server::resp_client::{Client, Reply};

fn message(channel: &str, payload: &str) -> Reply {
    bulks(&["message", channel, payload])
}

fn pmessage(pattern: &str, channel: &str, payload: &str) -> Reply {
    bulks(&["pmessage", pattern, channel, payload])
}

fn confirmation(kind: &str, name: &str, count: i64) -> Reply {
    Reply::Array(Some(vec![bulk(kind), bulk(name), int(count)]))
}

fn read(c: &mut Client) -> Reply {
    c.read_reply().expect("a message within the I/O timeout")
}

#[test]
fn every_subscriber_on_every_looper_gets_every_message_once_in_publish_order() {
    let (_server, addr, _dir) = start_with(|c| c.loopers = 4);
    // Accepted round-robin: 8 channel subscribers and 2 pattern subscribers spread over the
    // 4 loopers, and the publisher shares a looper with some of them.
    let mut subscribers: Vec<Client> = (0..8).map(|_| connect(addr)).collect();
    for s in &mut subscribers {
        assert_eq!(
            cmd(s, &["SUBSCRIBE", "news"]),
            confirmation("subscribe", "news", 1)
        );
    }
    let mut watchers: Vec<Client> = (0..2).map(|_| connect(addr)).collect();
    for w in &mut watchers {
        assert_eq!(
            cmd(w, &["PSUBSCRIBE", "n*"]),
            confirmation("psubscribe", "n*", 1)
        );
    }
    let mut publisher = connect(addr);
    const N: usize = 300;
    for i in 0..N {
        let payload = format!("m{i}");
        assert_eq!(cmd(&mut publisher, &["PUBLISH", "news", &payload]), int(10));
    }
    // A channel nobody listens to reaches no one, and sends nothing.
    assert_eq!(cmd(&mut publisher, &["PUBLISH", "weather", "x"]), int(0));
    for s in &mut subscribers {
        for i in 0..N {
            assert_eq!(read(s), message("news", &format!("m{i}")));
        }
    }
    for w in &mut watchers {
        for i in 0..N {
            assert_eq!(read(w), pmessage("n*", "news", &format!("m{i}")));
        }
    }
    // Nothing more is queued for anyone: PING answers next, in subscribed mode's form.
    for s in subscribers.iter_mut().chain(&mut watchers) {
        assert_eq!(cmd(s, &["PING"]), bulks(&["pong", ""]));
    }
}

#[test]
fn a_pipelined_burst_of_publishes_keeps_its_order() {
    let (_server, addr, _dir) = start_with(|c| c.loopers = 2);
    let mut subscriber = connect(addr);
    cmd(&mut subscriber, &["SUBSCRIBE", "a", "b"]);
    read(&mut subscriber); // the second confirmation
    let mut publisher = connect(addr);
    let mut pipeline = Vec::new();
    for i in 0..1000 {
        let channel = if i % 2 == 0 { "a" } else { "b" };
        pipeline.extend(kvs_server::resp_client::encode_command(&[
            b"PUBLISH",
            channel.as_bytes(),
            format!("{i}").as_bytes(),
        ]));
    }
    publisher.send_raw(&pipeline).unwrap();
    for _ in 0..1000 {
        assert_eq!(read(&mut publisher), int(1));
    }
    for i in 0..1000 {
        let channel = if i % 2 == 0 { "a" } else { "b" };
        assert_eq!(read(&mut subscriber), message(channel, &i.to_string()));
    }
}

#[test]
fn resp2_subscribed_mode_allows_only_the_pubsub_commands() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut other = connect(addr);
    assert_eq!(
        cmd(&mut c, &["SUBSCRIBE", "x"]),
        confirmation("subscribe", "x", 1)
    );
    assert_eq!(
        cmd(&mut c, &["GET", "k"]),
        err(
            "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )
    );
    assert_eq!(
        cmd(&mut c, &["CLIENT", "LIST"]),
        err(
            "ERR Can't execute 'client|list': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )
    );
    // An unknown command and a wrong arity are answered as anywhere else.
    assert_eq!(
        cmd(&mut c, &["NOSUCH"]),
        err("ERR unknown command 'NOSUCH', with args beginning with: ")
    );
    assert_eq!(cmd(&mut c, &["PING", "hi"]), bulks(&["pong", "hi"]));
    assert_eq!(
        cmd(&mut c, &["PSUBSCRIBE", "y*"]),
        confirmation("psubscribe", "y*", 2)
    );
    assert_eq!(cmd(&mut other, &["PUBLISH", "yes", "1"]), int(1));
    assert_eq!(read(&mut c), pmessage("y*", "yes", "1"));
    // Leaving everything ends subscribed mode.
    assert_eq!(
        cmd(&mut c, &["UNSUBSCRIBE"]),
        confirmation("unsubscribe", "x", 1)
    );
    assert_eq!(
        cmd(&mut c, &["PUNSUBSCRIBE"]),
        confirmation("punsubscribe", "y*", 0)
    );
    assert_eq!(cmd(&mut c, &["GET", "k"]), nil());
    assert_eq!(cmd(&mut c, &["PING"]), simple("PONG"));
    // With nothing to leave, an argument-less UNSUBSCRIBE still answers, with a null.
    assert_eq!(
        cmd(&mut c, &["UNSUBSCRIBE"]),
        Reply::Array(Some(vec![bulk("unsubscribe"), nil(), int(0)]))
    );
    // And no message reaches a client that has unsubscribed.
    assert_eq!(cmd(&mut other, &["PUBLISH", "x", "late"]), int(0));
    assert_eq!(cmd(&mut c, &["PING"]), simple("PONG"));
}

#[test]
fn resp3_confirmations_and_messages_are_pushes_and_other_commands_still_run() {
    let (_server, addr, _dir) = start();
    let mut c = Raw::connect(addr);
    c.send_cmd(&["HELLO", "3"]);
    c.read_until(|b| b.ends_with(b"modules\r\n*0\r\n"));
    c.roundtrip(
        b"*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n",
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
    );
    // RESP3 has no subscribed mode.
    c.roundtrip(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", b"_\r\n");
    let mut publisher = connect(addr);
    assert_eq!(cmd(&mut publisher, &["PUBLISH", "ch", "hi"]), int(1));
    c.expect(b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
    // CLIENT REPLY OFF silences replies, not pushes (Redis' CLIENT_PUSHING).
    c.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    c.send_cmd(&["UNSUBSCRIBE", "ch"]);
    c.expect(b">3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n");
}

#[test]
fn pubsub_introspection_and_the_registry_forgets_closed_clients() {
    let (_server, addr, _dir) = start_with(|c| c.loopers = 2);
    let mut admin = connect(addr);
    let mut a = connect(addr);
    let mut b = connect(addr);
    cmd(&mut a, &["SUBSCRIBE", "c1", "c2"]);
    read(&mut a);
    cmd(&mut b, &["SUBSCRIBE", "c1"]);
    cmd(&mut b, &["PSUBSCRIBE", "p*", "q*"]);
    read(&mut b);
    assert_eq!(
        cmd(&mut admin, &["PUBSUB", "NUMSUB", "c1", "c2", "c3"]),
        Reply::Array(Some(vec![
            bulk("c1"),
            int(2),
            bulk("c2"),
            int(1),
            bulk("c3"),
            int(0)
        ]))
    );
    assert_eq!(cmd(&mut admin, &["PUBSUB", "NUMPAT"]), int(2));
    assert_eq!(
        sorted_strings(cmd(&mut admin, &["PUBSUB", "CHANNELS"])),
        ["c1", "c2"]
    );
    assert_eq!(
        sorted_strings(cmd(&mut admin, &["PUBSUB", "CHANNELS", "*2"])),
        ["c2"]
    );
    assert_eq!(
        cmd(&mut admin, &["PUBSUB", "CHANNELS", "a", "b"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
    assert_eq!(
        cmd(&mut admin, &["PUBSUB", "NUMPAT", "x"]),
        err("ERR wrong number of arguments for 'pubsub|numpat' command")
    );
    assert_eq!(
        cmd(&mut admin, &["PUBSUB", "NOPE"]),
        err("ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.")
    );
    let info = text(&cmd(&mut admin, &["INFO", "stats"]));
    assert!(info.contains("pubsub_channels:2\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:2\r\n"), "{info}");
    let list = text(&cmd(&mut admin, &["CLIENT", "LIST"]));
    assert!(list.contains("flags=P db=0 sub=1 psub=2"), "{list}");
    // Subscribers are of type pubsub, the others normal.
    let listed = |admin: &mut Client, t: &str| {
        text(&cmd(admin, &["CLIENT", "LIST", "TYPE", t]))
            .lines()
            .count()
    };
    assert_eq!(listed(&mut admin, "pubsub"), 2);
    assert_eq!(listed(&mut admin, "normal"), 1);
    assert_eq!(listed(&mut admin, "replica"), 0);
    // A closed subscriber leaves the registry; RESET leaves it too.
    drop(b);
    assert!(eventually(Duration::from_secs(5), || {
        cmd(&mut admin, &["PUBSUB", "NUMPAT"]) == int(0)
    }));
    assert_eq!(cmd(&mut admin, &["PUBLISH", "c1", "x"]), int(1));
    assert_eq!(read(&mut a), message("c1", "x"));
    assert_eq!(cmd(&mut a, &["RESET"]), simple("RESET"));
    assert_eq!(
        cmd(&mut admin, &["PUBSUB", "CHANNELS"]),
        Reply::Array(Some(vec![]))
    );
    assert_eq!(cmd(&mut admin, &["PUBLISH", "c1", "x"]), int(0));
    // CLIENT KILL TYPE pubsub closes the subscribers only.
    cmd(&mut a, &["SUBSCRIBE", "c9"]);
    assert_eq!(
        cmd(&mut admin, &["CLIENT", "KILL", "TYPE", "pubsub"]),
        int(1)
    );
    assert!(eventually(Duration::from_secs(5), || {
        cmd(&mut admin, &["PUBSUB", "NUMSUB", "c9"]) == Reply::Array(Some(vec![bulk("c9"), int(0)]))
    }));
    assert_eq!(cmd(&mut admin, &["PING"]), simple("PONG"));
}

#[test]
fn a_subscriber_that_stops_reading_is_cut_at_the_pubsub_output_limit() {
    let (_server, addr, _dir) = start();
    let mut slow = connect(addr);
    cmd(&mut slow, &["SUBSCRIBE", "flood"]);
    let mut publisher = connect(addr);
    let mut normal = connect(addr);
    // 64 MiB of messages while the subscriber reads nothing: past the 32 MiB hard limit even
    // after the kernel's socket buffers took their share. A normal client is not subject to it.
    let payload = "x".repeat(1 << 20);
    let mut closed = false;
    for _ in 0..64 {
        match cmd(&mut publisher, &["PUBLISH", "flood", &payload]) {
            Reply::Int(1) => {}
            Reply::Int(0) => {
                closed = true;
                break;
            }
            other => panic!("PUBLISH answered {other:?}"),
        }
    }
    assert!(
        closed
            || eventually(Duration::from_secs(5), || {
                cmd(&mut normal, &["PUBSUB", "NUMSUB", "flood"])
                    == Reply::Array(Some(vec![bulk("flood"), int(0)]))
            }),
        "the slow subscriber was not disconnected"
    );
    assert_eq!(cmd(&mut normal, &["PING"]), simple("PONG"));
}

#[test]
fn sharded_channels_are_a_namespace_of_their_own() {
    let (_server, addr, _dir) = start_with(|c| c.loopers = 2);
    let mut s = connect(addr);
    let mut plain = connect(addr);
    let mut publisher = connect(addr);
    assert_eq!(
        cmd(&mut s, &["SSUBSCRIBE", "orders"]),
        confirmation("ssubscribe", "orders", 1)
    );
    assert_eq!(
        cmd(&mut plain, &["SUBSCRIBE", "orders"]),
        confirmation("subscribe", "orders", 1)
    );
    assert_eq!(
        cmd(&mut plain, &["PSUBSCRIBE", "ord*"]),
        confirmation("psubscribe", "ord*", 2)
    );
    // SPUBLISH reaches the shard subscriber only; PUBLISH the channel and pattern ones only.
    assert_eq!(cmd(&mut publisher, &["SPUBLISH", "orders", "1"]), int(1));
    assert_eq!(read(&mut s), bulks(&["smessage", "orders", "1"]));
    assert_eq!(cmd(&mut publisher, &["PUBLISH", "orders", "2"]), int(2));
    assert_eq!(read(&mut plain), message("orders", "2"));
    assert_eq!(read(&mut plain), pmessage("ord*", "orders", "2"));
    assert_eq!(
        cmd(&mut publisher, &["PUBSUB", "SHARDNUMSUB", "orders"]),
        Reply::Array(Some(vec![bulk("orders"), int(1)]))
    );
    assert_eq!(
        cmd(&mut publisher, &["PUBSUB", "SHARDCHANNELS"]),
        bulks(&["orders"])
    );
    // A shard subscription alone puts a RESP2 client in subscribed mode.
    assert!(matches!(cmd(&mut s, &["GET", "k"]), Reply::Error(_)));
    assert_eq!(
        cmd(&mut s, &["SUNSUBSCRIBE"]),
        confirmation("sunsubscribe", "orders", 0)
    );
    assert_eq!(cmd(&mut s, &["GET", "k"]), nil());
    assert_eq!(cmd(&mut publisher, &["SPUBLISH", "orders", "3"]), int(0));
}

#[test]
fn a_message_follows_the_publishers_earlier_writes() {
    // Pipelined `SET k v` + `PUBLISH ch k`: whoever reads k on the message sees v, as in Redis
    // (the SET is on the writer when PUBLISH is parsed; the message waits for its reply).
    let (_server, addr, _dir) = start_with(|c| c.loopers = 2);
    let mut subscriber = connect(addr);
    cmd(&mut subscriber, &["SUBSCRIBE", "inval"]);
    let mut reader = connect(addr);
    let mut publisher = connect(addr);
    for i in 0..300 {
        let (key, value) = (format!("k{i}"), format!("v{i}"));
        let mut pipeline =
            kvs_server::resp_client::encode_command(&[b"SET", key.as_bytes(), value.as_bytes()]);
        pipeline.extend(kvs_server::resp_client::encode_command(&[
            b"PUBLISH",
            b"inval",
            key.as_bytes(),
        ]));
        publisher.send_raw(&pipeline).unwrap();
        assert_eq!(read(&mut subscriber), message("inval", &key));
        assert_eq!(
            cmd(&mut reader, &["GET", &key]),
            bulk(&value),
            "message {i} overtook its SET"
        );
        assert_eq!(read(&mut publisher), ok());
        assert_eq!(read(&mut publisher), int(1));
    }
}

#[test]
fn a_publish_inside_multi_is_sent_only_if_exec_runs() {
    let (_server, addr, _dir) = start();
    let mut subscriber = connect(addr);
    cmd(&mut subscriber, &["SUBSCRIBE", "ch"]);
    let mut c = connect(addr);
    let mut other = connect(addr);
    // A watched key changes: EXEC does not run, nothing is published.
    assert_eq!(cmd(&mut c, &["WATCH", "w"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["PUBLISH", "ch", "aborted"]), simple("QUEUED"));
    assert_eq!(cmd(&mut other, &["SET", "w", "1"]), ok());
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(None));
    // It runs: the message comes (with the count as EXEC's element).
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "x", "1"]), simple("QUEUED"));
    assert_eq!(cmd(&mut c, &["PUBLISH", "ch", "ran"]), simple("QUEUED"));
    assert_eq!(
        cmd(&mut c, &["EXEC"]),
        Reply::Array(Some(vec![ok(), int(1)]))
    );
    assert_eq!(read(&mut subscriber), message("ch", "ran"));
    assert_eq!(cmd(&mut subscriber, &["PING"]), bulks(&["pong", ""]));
}
