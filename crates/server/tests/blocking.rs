//! Blocking pops end to end (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP): a client blocked on one
//! looper is served by a push from a client on another, first blocked first served; timeouts,
//! CLIENT UNBLOCK, WRONGTYPE while blocked, MULTI (never blocks), a pipeline held behind the
//! blocking command, a client that disconnects while blocked (nothing is lost), and 8 workers
//! draining a queue of thousands of jobs, each delivered exactly once.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use kvs_server::resp_client::{Client, Reply, encode_command};

/// Starts a server with 4 loopers, so that connections land on different ones.
fn start4() -> (kvs_server::KvServer, SocketAddr, tempfile::TempDir) {
    start_with(|c| c.loopers = 4)
}

fn blocked_clients(c: &mut Client) -> i64 {
    let info = text(&cmd(c, &["INFO", "clients"]));
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("blocked_clients in INFO")
}

/// Waits until the server counts `n` blocked clients.
fn wait_blocked(c: &mut Client, n: i64) {
    assert!(
        eventually(Duration::from_secs(5), || blocked_clients(c) == n),
        "blocked_clients never reached {n}"
    );
}

fn send(c: &mut Client, args: &[&str]) {
    let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    c.send_raw(&encode_command(&args)).unwrap();
}

#[test]
fn a_push_on_another_looper_serves_the_blocked_clients_first_blocked_first() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut waiters: Vec<Client> = (0..3).map(|_| connect(addr)).collect();
    for (i, w) in waiters.iter_mut().enumerate() {
        send(w, &["BLPOP", "q", "other", "0"]);
        wait_blocked(&mut admin, i as i64 + 1);
    }
    let list = text(&cmd(&mut admin, &["CLIENT", "LIST"]));
    assert_eq!(list.matches("flags=b").count(), 3, "{list}");
    // One push of three elements serves all three, in the order they blocked.
    assert_eq!(cmd(&mut admin, &["RPUSH", "q", "a", "b", "c"]), int(3));
    for (w, want) in waiters.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(w.read_reply().unwrap(), bulks(&["q", want]));
    }
    assert_eq!(cmd(&mut admin, &["EXISTS", "q"]), int(0));
    wait_blocked(&mut admin, 0);
    // A data-less key first in the list of keys: the one with data is served.
    assert_eq!(cmd(&mut admin, &["RPUSH", "second", "x"]), int(1));
    assert_eq!(
        cmd(&mut waiters[0], &["BRPOP", "first", "second", "0"]),
        bulks(&["second", "x"])
    );
}

#[test]
fn timeouts_multi_and_client_unblock_end_a_wait_as_redis_does() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut w = connect(addr);
    // A sub-second timeout: a null array, not before the time.
    let t = Instant::now();
    assert_eq!(cmd(&mut w, &["BLPOP", "q", "0.2"]), Reply::Array(None));
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        cmd(&mut w, &["BLMOVE", "q", "d", "LEFT", "LEFT", "0.01"]),
        Reply::Array(None)
    );
    // Inside MULTI a blocking pop never blocks: BLPOP a null array, BLMOVE a null.
    assert_eq!(cmd(&mut w, &["MULTI"]), ok());
    cmd(&mut w, &["BLPOP", "q", "0"]);
    cmd(&mut w, &["BRPOPLPUSH", "q", "d", "0"]);
    assert_eq!(
        items(cmd(&mut w, &["EXEC"])),
        vec![Reply::Array(None), nil()]
    );
    // CLIENT UNBLOCK: a client that is not blocked, then TIMEOUT, then ERROR.
    let id = int_of(&cmd(&mut w, &["CLIENT", "ID"])).to_string();
    assert_eq!(cmd(&mut admin, &["CLIENT", "UNBLOCK", &id]), int(0));
    send(&mut w, &["BLPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(
        cmd(&mut admin, &["CLIENT", "UNBLOCK", &id, "TIMEOUT"]),
        int(1)
    );
    assert_eq!(w.read_reply().unwrap(), Reply::Array(None));
    send(&mut w, &["BRPOP", "q", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(
        cmd(&mut admin, &["CLIENT", "UNBLOCK", &id, "ERROR"]),
        int(1)
    );
    assert_eq!(
        w.read_reply().unwrap(),
        err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    );
    assert_eq!(
        cmd(&mut admin, &["CLIENT", "UNBLOCK", &id, "LATER"]),
        err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    assert_eq!(
        cmd(&mut w, &["BLPOP", "q", "-1"]),
        err("ERR timeout is negative")
    );
    assert_eq!(
        cmd(&mut w, &["BLPOP", "q", "soon"]),
        err("ERR timeout is not a float or out of range")
    );
    wait_blocked(&mut admin, 0);
}

#[test]
fn wrong_types_are_refused_before_and_while_blocked() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut w = connect(addr);
    cmd(&mut admin, &["SET", "s", "v"]);
    let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_eq!(cmd(&mut w, &["BLPOP", "s", "0"]), wrongtype);
    // BLMOVE waits on its source; when the source gets an element the destination is a
    // string: the waiter gets WRONGTYPE and the element stays where it was.
    send(&mut w, &["BLMOVE", "src", "s", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(cmd(&mut admin, &["LPUSH", "src", "job"]), int(1));
    assert_eq!(w.read_reply().unwrap(), wrongtype);
    assert_eq!(
        cmd(&mut admin, &["LRANGE", "src", "0", "-1"]),
        bulks(&["job"])
    );
    // A list made and deleted inside one transaction wakes nobody.
    send(&mut w, &["BLPOP", "t", "0"]);
    wait_blocked(&mut admin, 1);
    cmd(&mut admin, &["MULTI"]);
    cmd(&mut admin, &["LPUSH", "t", "gone"]);
    cmd(&mut admin, &["DEL", "t"]);
    cmd(&mut admin, &["EXEC"]);
    assert_eq!(cmd(&mut admin, &["LPUSH", "t", "kept"]), int(1));
    assert_eq!(w.read_reply().unwrap(), bulks(&["t", "kept"]));
}

#[test]
fn a_pipeline_waits_behind_the_blocking_command_and_moves_go_through() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut w = connect(addr);
    // BLMOVE then PING and GET in one write: nothing after the blocking command runs first.
    let mut pipeline = Vec::new();
    pipeline.extend(encode_command(&[
        b"BLMOVE", b"jobs", b"doing", b"LEFT", b"RIGHT", b"0",
    ]));
    pipeline.extend(encode_command(&[b"PING"]));
    pipeline.extend(encode_command(&[b"LLEN", b"doing"]));
    w.send_raw(&pipeline).unwrap();
    wait_blocked(&mut admin, 1);
    assert_eq!(cmd(&mut admin, &["RPUSH", "jobs", "j1", "j2"]), int(2));
    assert_eq!(w.read_reply().unwrap(), bulk("j1"));
    assert_eq!(w.read_reply().unwrap(), simple("PONG"));
    assert_eq!(w.read_reply().unwrap(), int(1));
    // BLMPOP with a count, BRPOPLPUSH served at once when there is data.
    assert_eq!(
        cmd(
            &mut w,
            &["BLMPOP", "0", "2", "none", "jobs", "LEFT", "COUNT", "5"]
        ),
        Reply::Array(Some(vec![bulk("jobs"), bulks(&["j2"])]))
    );
    assert_eq!(
        cmd(&mut w, &["BRPOPLPUSH", "doing", "done", "0"]),
        bulk("j1")
    );
    assert_eq!(cmd(&mut w, &["LRANGE", "done", "0", "-1"]), bulks(&["j1"]));
}

#[test]
fn a_client_that_disconnects_while_blocked_takes_nothing() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    {
        let mut w = connect(addr);
        send(&mut w, &["BRPOP", "q", "0"]);
        wait_blocked(&mut admin, 1);
    }
    wait_blocked(&mut admin, 0);
    assert_eq!(cmd(&mut admin, &["LPUSH", "q", "job"]), int(1));
    assert_eq!(cmd(&mut admin, &["LLEN", "q"]), int(1));
}

/// 8 workers spread over 4 loopers block in BRPOP while a producer pushes 4000 jobs in
/// pipelined batches: every job is delivered exactly once.
#[test]
fn eight_workers_drain_a_queue_exactly_once() {
    const JOBS: usize = 4000;
    let (_server, addr, _dir) = start4();
    let mut workers = Vec::new();
    for _ in 0..8 {
        workers.push(std::thread::spawn(move || {
            let mut c = connect(addr);
            let mut got = Vec::new();
            loop {
                match cmd(&mut c, &["BRPOP", "jobs", "done", "5"]) {
                    Reply::Array(Some(kv)) => {
                        let (key, job) = (text(&kv[0]), text(&kv[1]));
                        if key == "done" {
                            break;
                        }
                        got.push(job);
                    }
                    Reply::Array(None) => panic!("a worker timed out with jobs left"),
                    other => panic!("unexpected {other:?}"),
                }
            }
            got
        }));
    }
    let mut admin = connect(addr);
    wait_blocked(&mut admin, 8);
    let mut producer = connect(addr);
    for batch in 0..(JOBS / 100) {
        let mut pipeline = Vec::new();
        for i in 0..100 {
            let job = format!("job-{}", batch * 100 + i);
            pipeline.extend(encode_command(&[b"LPUSH", b"jobs", job.as_bytes()]));
        }
        producer.send_raw(&pipeline).unwrap();
        for _ in 0..100 {
            producer.read_reply().unwrap();
        }
    }
    // Wait until the queue is drained, then tell every worker to stop.
    assert!(eventually(Duration::from_secs(10), || cmd(
        &mut admin,
        &["LLEN", "jobs"]
    ) == int(0)));
    let stops: Vec<String> = (0..8).map(|i| format!("stop-{i}")).collect();
    let mut args = vec!["RPUSH", "done"];
    args.extend(stops.iter().map(String::as_str));
    cmd(&mut admin, &args);
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.join().unwrap());
    }
    assert_eq!(all.len(), JOBS, "every job once");
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!(distinct.len(), JOBS, "no job twice");
}

/// A list COPYed and then pushed to in one transaction keeps every element; a waiter on the
/// copy's key is served the first of them.
#[test]
fn a_copied_list_takes_pushes_and_serves_waiters() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut w = connect(addr);
    assert_eq!(cmd(&mut admin, &["RPUSH", "s", "a", "b", "c"]), int(3));
    cmd(&mut admin, &["MULTI"]);
    cmd(&mut admin, &["COPY", "s", "d"]);
    cmd(&mut admin, &["RPUSH", "d", "x"]);
    cmd(&mut admin, &["LRANGE", "d", "0", "-1"]);
    let replies = items(cmd(&mut admin, &["EXEC"]));
    assert_eq!(replies, vec![int(1), int(4), bulks(&["a", "b", "c", "x"])]);
    send(&mut w, &["BLPOP", "k", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(cmd(&mut admin, &["COPY", "s", "k"]), int(1));
    assert_eq!(w.read_reply().unwrap(), bulks(&["k", "a"]));
    assert_eq!(
        cmd(&mut admin, &["LRANGE", "k", "0", "-1"]),
        bulks(&["b", "c"])
    );
}

/// A push that is refused after it ran (its key is over the size limit, so the writer rolls
/// the command back) takes its serve of the waiter back: the waiter keeps waiting and never
/// sees an element that was not stored.
#[test]
fn a_rolled_back_push_leaves_its_waiter_waiting() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut w = connect(addr);
    let id = int_of(&cmd(&mut w, &["CLIENT", "ID"])).to_string();
    let big = "k".repeat((1 << 20) + 10);
    send(&mut w, &["BLPOP", &big, "0"]);
    wait_blocked(&mut admin, 1);
    let refused = cmd(&mut admin, &["RPUSH", &big, "v"]);
    assert_eq!(
        refused,
        err("ERR key exceeds the maximum allowed size (1048576 bytes)")
    );
    assert_eq!(blocked_clients(&mut admin), 1);
    assert_eq!(cmd(&mut admin, &["EXISTS", &big]), int(0));
    assert_eq!(cmd(&mut admin, &["CLIENT", "UNBLOCK", &id]), int(1));
    assert_eq!(w.read_reply().unwrap(), Reply::Array(None));
}

/// The timeout and CLIENT UNBLOCK of a blocking command still waiting behind a slow read of
/// the same pipeline (KEYS over many keys, on a reader) end it once it has reached the writer.
#[test]
fn unblocking_a_command_held_behind_reads_still_ends_it() {
    let (_server, addr, _dir) = start_with(|c| {
        c.loopers = 2;
        c.readers = 1;
    });
    let mut admin = connect(addr);
    let mut load = Vec::new();
    for i in 0..20_000 {
        let k = format!("key:{i}");
        load.extend(encode_command(&[b"SET", k.as_bytes(), b"v"]));
    }
    admin.send_raw(&load).unwrap();
    for _ in 0..20_000 {
        admin.read_reply().unwrap();
    }
    let mut w = connect(addr);
    let mut p = Vec::new();
    p.extend(encode_command(&[b"KEYS", b"nomatch*"]));
    p.extend(encode_command(&[b"BLPOP", b"empty", b"0.001"]));
    w.send_raw(&p).unwrap();
    assert_eq!(w.read_reply().unwrap(), Reply::Array(Some(Vec::new())));
    assert_eq!(w.read_reply().unwrap(), Reply::Array(None));
    let id = int_of(&cmd(&mut w, &["CLIENT", "ID"])).to_string();
    let mut p = Vec::new();
    p.extend(encode_command(&[b"KEYS", b"nomatch*"]));
    p.extend(encode_command(&[b"BLPOP", b"empty", b"0"]));
    w.send_raw(&p).unwrap();
    // Ask until it counts as blocked (once its command has left for the writer).
    assert!(eventually(Duration::from_secs(5), || {
        cmd(&mut admin, &["CLIENT", "UNBLOCK", &id]) == int(1)
    }));
    assert_eq!(w.read_reply().unwrap(), Reply::Array(Some(Vec::new())));
    assert_eq!(w.read_reply().unwrap(), Reply::Array(None));
    wait_blocked(&mut admin, 0);
}

/// A RESP3 client subscribed to a channel and blocked in BLPOP gets the channel's messages at
/// once, before the BLPOP reply, as Redis writes them.
#[test]
fn pushes_reach_a_blocked_resp3_client_before_its_reply() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut w = connect(addr);
    cmd(&mut w, &["HELLO", "3"]);
    send(&mut w, &["SUBSCRIBE", "ch"]);
    let confirmation = items(w.read_reply().unwrap());
    assert_eq!(text(&confirmation[0]), "subscribe");
    send(&mut w, &["BLPOP", "k", "0"]);
    wait_blocked(&mut admin, 1);
    assert_eq!(cmd(&mut admin, &["PUBLISH", "ch", "hi"]), int(1));
    let message = items(w.read_reply().unwrap());
    assert_eq!(
        (text(&message[0]), text(&message[2])),
        ("message".into(), "hi".into())
    );
    assert_eq!(cmd(&mut admin, &["RPUSH", "k", "v"]), int(1));
    assert_eq!(w.read_reply().unwrap(), bulks(&["k", "v"]));
}

#[test]
fn sorted_set_waiters_are_served_by_writes_on_other_loopers_in_order() {
    let (_server, addr, _dir) = start4();
    let mut admin = connect(addr);
    let mut min = connect(addr);
    let mut max = connect(addr);
    let mut many = connect(addr);
    send(&mut min, &["BZPOPMIN", "z", "0"]);
    wait_blocked(&mut admin, 1);
    send(&mut max, &["BZPOPMAX", "other", "z", "0"]);
    wait_blocked(&mut admin, 2);
    send(&mut many, &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "10"]);
    wait_blocked(&mut admin, 3);
    // A list at the key serves none of them: they wait for a sorted set.
    assert_eq!(cmd(&mut admin, &["RPUSH", "z", "x"]), int(1));
    assert_eq!(cmd(&mut admin, &["DEL", "z"]), int(1));
    wait_blocked(&mut admin, 3);
    // One ZADD serves all three, first blocked first: the lowest, the highest, the rest.
    assert_eq!(
        cmd(
            &mut admin,
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"]
        ),
        int(4)
    );
    assert_eq!(min.read_reply().unwrap(), bulks(&["z", "a", "1"]));
    assert_eq!(max.read_reply().unwrap(), bulks(&["z", "d", "4"]));
    let pair = |m: &str, s: &str| Reply::Array(Some(vec![bulk(m), bulk(s)]));
    assert_eq!(
        many.read_reply().unwrap(),
        Reply::Array(Some(vec![
            bulk("z"),
            Reply::Array(Some(vec![pair("b", "2"), pair("c", "3")]))
        ]))
    );
    assert_eq!(cmd(&mut admin, &["EXISTS", "z"]), int(0));
    wait_blocked(&mut admin, 0);
    // A store that creates the key serves a waiter too; a timeout is a null array.
    send(&mut min, &["BZPOPMIN", "dest", "0"]);
    wait_blocked(&mut admin, 1);
    cmd(&mut admin, &["ZADD", "src", "5", "e", "6", "f"]);
    assert_eq!(
        cmd(
            &mut admin,
            &["ZUNIONSTORE", "dest", "1", "src", "WEIGHTS", "2"]
        ),
        int(2)
    );
    assert_eq!(min.read_reply().unwrap(), bulks(&["dest", "e", "10"]));
    assert_eq!(
        cmd(&mut max, &["BZPOPMAX", "nope", "0.05"]),
        Reply::Array(None)
    );
    assert_eq!(
        cmd(&mut max, &["BZMPOP", "0.05", "1", "nope", "MAX"]),
        Reply::Array(None)
    );
    // Inside MULTI it never blocks; WRONGTYPE before blocking.
    assert_eq!(cmd(&mut max, &["MULTI"]), ok());
    cmd(&mut max, &["BZPOPMIN", "nope", "0"]);
    assert_eq!(items(cmd(&mut max, &["EXEC"])), vec![Reply::Array(None)]);
    cmd(&mut admin, &["SET", "s", "v"]);
    assert_eq!(
        cmd(&mut max, &["BZPOPMIN", "s", "0"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}
