//! An acknowledged write survives a SIGKILL of the server, on every engine, under every fsync
//! policy (issue 12): `everysec` and `no` only give up writes a crash of the *machine* may lose,
//! never what a crash of the process loses, as with Redis' `appendfsync everysec`.
//!
//! Each round starts the real binary on the same directory, checks what the previous rounds
//! were told is there, sends a `SET` of a new key and a `DEL` of the previous round's key, waits
//! for both replies, and SIGKILLs the server at once — well inside any background flush
//! interval, so a write that only sat in the process' memory is lost and the next round sees it.
//! Nothing here is timed: the kill comes right after the replies, whatever the box's load.

mod common;

use std::path::Path;

use common::server_proc::{ServerProc, start_server};
use common::{bulk, cmd, connect, int, nil, ok};

/// Rounds per engine: enough that a background flush landing by chance between a reply and the
/// kill cannot hide a loss in every round, few enough for ~1 min on a busy 2-core box.
const ROUNDS: usize = 20;

/// The policy of round `i`: mostly the default `everysec`, every fourth round `no`.
fn policy(i: usize) -> &'static str {
    if i % 4 == 3 { "no" } else { "everysec" }
}

fn key(i: usize) -> String {
    format!("k{i}")
}

fn value(i: usize) -> String {
    format!("value of round {i}")
}

fn start(dir: &Path, engine: &str, fsync: &str) -> ServerProc {
    start_server(dir, &["--engine", engine, "--fsync", fsync])
}

/// The state after rounds `0..done`: only the last round's key, with its value (every earlier
/// key was set, then deleted by the round after it).
fn check_after(server: &ServerProc, engine: &str, done: usize) {
    let mut c = connect(server.addr);
    let expected = usize::from(done > 0) as i64;
    if done > 0 {
        let last = done - 1;
        assert_eq!(
            cmd(&mut c, &["GET", &key(last)]),
            bulk(&value(last)),
            "{engine}: the acknowledged SET of round {last} ({}) was lost by its SIGKILL",
            policy(last)
        );
    }
    if done > 1 {
        let prev = done - 2;
        assert_eq!(
            cmd(&mut c, &["GET", &key(prev)]),
            nil(),
            "{engine}: the acknowledged DEL of round {} ({}) was undone by its SIGKILL",
            done - 1,
            policy(done - 1)
        );
    }
    assert_eq!(
        cmd(&mut c, &["DBSIZE"]),
        int(expected),
        "{engine}: keys after {done} killed rounds (an earlier DEL undone)"
    );
}

fn rounds(engine: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..ROUNDS {
        let server = start(dir.path(), engine, policy(i));
        check_after(&server, engine, i);
        let mut c = connect(server.addr);
        assert_eq!(cmd(&mut c, &["SET", &key(i), &value(i)]), ok());
        if i > 0 {
            assert_eq!(cmd(&mut c, &["DEL", &key(i - 1)]), int(1));
        }
        // Both replies are in: the writes are acknowledged. Kill before any timer can help.
        server.sigkill();
    }
    let server = start(dir.path(), engine, "everysec");
    check_after(&server, engine, ROUNDS);
}

#[test]
fn kvs_keeps_acknowledged_writes_across_sigkill() {
    rounds("kvs");
}

#[test]
fn sled_keeps_acknowledged_writes_across_sigkill() {
    rounds("sled");
}

/// Hashes and sets under `--fsync always`: each round changes fields and members (adds, a
/// removal, a transaction that creates and deletes a hash) and is SIGKILLed once its replies are
/// in; the next round finds exactly what the model says.
#[test]
fn kvs_keeps_acknowledged_collection_writes_across_sigkill() {
    use std::collections::BTreeSet;
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut fields, mut members, mut u) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for i in 0..=ROUNDS {
        let server = start(dir.path(), "kvs", "always");
        let mut c = connect(server.addr);
        let got = |c: &mut _, args: &[&str]| {
            let mut v = common::sorted_strings(cmd(c, args));
            v.sort();
            v.into_iter().collect::<BTreeSet<String>>()
        };
        assert_eq!(
            got(&mut c, &["HKEYS", "h"]),
            fields,
            "round {i}: hash fields"
        );
        assert_eq!(
            got(&mut c, &["SMEMBERS", "s"]),
            members,
            "round {i}: set members"
        );
        assert_eq!(
            got(&mut c, &["SMEMBERS", "u"]),
            u,
            "round {i}: transaction's set"
        );
        assert_eq!(
            cmd(&mut c, &["EXISTS", "t"]),
            int(0),
            "round {i}: deleted in its EXEC"
        );
        if i == ROUNDS {
            break;
        }
        assert_eq!(
            cmd(&mut c, &["HSET", "h", &format!("f{i}"), &value(i)]),
            int(1)
        );
        fields.insert(format!("f{i}"));
        assert_eq!(cmd(&mut c, &["SADD", "s", &format!("m{i}")]), int(1));
        members.insert(format!("m{i}"));
        if i % 3 == 2 {
            assert_eq!(cmd(&mut c, &["HDEL", "h", &format!("f{}", i - 1)]), int(1));
            fields.remove(&format!("f{}", i - 1));
            assert_eq!(cmd(&mut c, &["SREM", "s", &format!("m{}", i - 1)]), int(1));
            members.remove(&format!("m{}", i - 1));
        }
        if i % 5 == 4 {
            assert_eq!(cmd(&mut c, &["MULTI"]), ok());
            for args in [
                &["HSET", "t", "a", "1"][..],
                &["SADD", "u", &format!("b{i}")],
                &["DEL", "t"],
            ] {
                assert_eq!(cmd(&mut c, args), common::simple("QUEUED"));
            }
            let exec = cmd(&mut c, &["EXEC"]);
            assert_eq!(
                exec,
                kvs_server::resp_client::Reply::Array(Some(vec![int(1), int(1), int(1)]))
            );
            u.insert(format!("b{i}"));
        }
        server.sigkill();
    }
}

/// Lists and sorted sets under the default `everysec`: each round pushes at both ends, pops,
/// inserts in the middle, adds and rescores sorted-set members, removes a range, and is
/// SIGKILLed once its replies are in; the next round finds exactly what the model says (order
/// of the list, scores and order of the sorted set).
#[test]
fn kvs_keeps_acknowledged_list_and_sorted_set_writes_across_sigkill() {
    use std::collections::{BTreeMap, VecDeque};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut list: VecDeque<String> = VecDeque::new();
    let mut zset: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..=ROUNDS {
        let server = start(dir.path(), "kvs", policy(i));
        let mut c = connect(server.addr);
        let want_list: Vec<&str> = list.iter().map(String::as_str).collect();
        assert_eq!(
            cmd(&mut c, &["LRANGE", "l", "0", "-1"]),
            common::bulks(&want_list),
            "round {i}: the list"
        );
        let mut ordered: Vec<(&String, &i64)> = zset.iter().collect();
        ordered.sort_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)));
        let flat: Vec<String> = ordered
            .iter()
            .flat_map(|(m, s)| [m.to_string(), s.to_string()])
            .collect();
        let flat: Vec<&str> = flat.iter().map(String::as_str).collect();
        assert_eq!(
            cmd(&mut c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            common::bulks(&flat),
            "round {i}: the sorted set"
        );
        if i == ROUNDS {
            break;
        }
        let (head, tail) = (format!("h{i}"), format!("t{i}"));
        cmd(&mut c, &["LPUSH", "l", &head]);
        cmd(&mut c, &["RPUSH", "l", &tail]);
        list.push_front(head);
        list.push_back(tail.clone());
        if i % 3 == 2 {
            assert_eq!(cmd(&mut c, &["RPOP", "l"]), bulk(&tail));
            list.pop_back();
            let mid = list.len() / 2;
            let pivot = list[mid].clone();
            let new = format!("m{i}");
            cmd(&mut c, &["LINSERT", "l", "BEFORE", &pivot, &new]);
            list.insert(mid, new);
        }
        let member = format!("z{}", i % 7);
        let score = (i as i64 * 37) % 11 - 5;
        cmd(&mut c, &["ZADD", "z", &score.to_string(), &member]);
        zset.insert(member, score);
        if i % 4 == 3 {
            let removed = zset.values().filter(|s| (-2..=1).contains(*s)).count();
            assert_eq!(
                cmd(&mut c, &["ZREMRANGEBYSCORE", "z", "-2", "1"]),
                int(removed as i64)
            );
            zset.retain(|_, s| !(-2..=1).contains(s));
        }
        server.sigkill();
    }
}
