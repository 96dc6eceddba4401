//! The set commands against the replies redis-server 7.0.15 gives (checked on a real server;
//! t_set.c and db.c's `scanGenericCommand` for the error texts): SADD SREM SMEMBERS SCARD
//! SISMEMBER SMISMEMBER SPOP SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE
//! SDIFF SDIFFSTORE SSCAN, in RESP2 and RESP3, inside MULTI, across restarts, and on a big set.
//! Random commands are checked by their properties (sizes, membership, distinctness), members
//! of unordered replies sorted.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use common::server_proc::start_server;
use common::*;
use kvs_server::resp_client::{Client, Reply};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The sorted members of the set at `key`.
fn members(c: &mut Client, key: &str) -> Vec<String> {
    sorted_strings(cmd(c, &["SMEMBERS", key]))
}

/// A command with many arguments: `head` then `tail`.
fn cmd_many(c: &mut Client, head: &[&str], tail: &[String]) -> Reply {
    let args: Vec<&str> = head
        .iter()
        .copied()
        .chain(tail.iter().map(String::as_str))
        .collect();
    cmd(c, &args)
}

/// A server on `dir`, which an earlier server may have used.
fn start_in(dir: &Path) -> (kvs_server::KvServer, std::net::SocketAddr) {
    let (server, addr, _fresh) = start_with(|c| c.dir = dir.to_path_buf());
    (server, addr)
}

#[test]
fn sadd_srem_and_the_membership_reads() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "b", "c"]), int(3));
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "d", "d"]), int(1));
    assert_eq!(cmd(&mut c, &["SCARD", "s"]), int(4));
    assert_eq!(cmd(&mut c, &["TYPE", "s"]), simple("set"));
    assert_eq!(members(&mut c, "s"), strs(&["a", "b", "c", "d"]));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "s", "a"]), int(1));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "s", "z"]), int(0));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "nokey", "a"]), int(0));
    let smis = cmd(&mut c, &["SMISMEMBER", "s", "a", "z", "b"]);
    assert_eq!(smis, Reply::Array(Some(vec![int(1), int(0), int(1)])));
    let smis = cmd(&mut c, &["SMISMEMBER", "nokey", "a", "b"]);
    assert_eq!(smis, Reply::Array(Some(vec![int(0), int(0)])));
    assert_eq!(cmd(&mut c, &["SCARD", "nokey"]), int(0));
    assert_eq!(
        cmd(&mut c, &["SMEMBERS", "nokey"]),
        Reply::Array(Some(vec![]))
    );
    // SREM counts what was there; the set goes with its last member.
    assert_eq!(cmd(&mut c, &["SREM", "s", "a", "z"]), int(1));
    assert_eq!(cmd(&mut c, &["SREM", "nokey", "a"]), int(0));
    assert_eq!(cmd(&mut c, &["SREM", "s", "b", "c", "d"]), int(3));
    assert_eq!(cmd(&mut c, &["EXISTS", "s"]), int(0));
    assert_eq!(cmd(&mut c, &["TYPE", "s"]), simple("none"));
    // Binary and empty members.
    let bin: &[&[u8]] = &[b"SADD", b"b", b"a\x00b", b"", b"x\r\ny"];
    assert_eq!(cmd_b(&mut c, bin), int(3));
    assert_eq!(cmd_b(&mut c, &[b"SISMEMBER", b"b", b""]), int(1));
    assert_eq!(cmd_b(&mut c, &[b"SREM", b"b", b"a\x00b"]), int(1));
    assert_eq!(members(&mut c, "b"), strs(&["", "x\r\ny"]));
    let arity = err("ERR wrong number of arguments for 'sadd' command");
    assert_eq!(cmd(&mut c, &["SADD", "s"]), arity);
}

#[test]
fn wrongtype_both_ways() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "str", "x"]), ok());
    assert_eq!(cmd(&mut c, &["SADD", "s", "a"]), int(1));
    let wrong = err(WRONGTYPE);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SCARD", "str"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SPOP", "str"],
        &["SPOP", "str", "0"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "-2"],
        &["SMOVE", "str", "s", "a"],
        // The destination's type is checked even when the member is absent...
        &["SMOVE", "s", "str", "zz"],
        // ...and every input's, an absent one before it or not.
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "nokey", "str"],
        &["SUNION", "s", "str"],
        &["SDIFF", "nokey", "str"],
        &["SINTERSTORE", "d", "s", "str"],
        &["SUNIONSTORE", "d", "s", "str"],
        &["SDIFFSTORE", "d", "str"],
        &["SSCAN", "str", "0"],
        // The other way: string commands on a set.
        &["GET", "s"],
        &["INCR", "s"],
        &["APPEND", "s", "x"],
        &["SETRANGE", "s", "0", "x"],
    ] {
        assert_eq!(cmd(&mut c, args), wrong, "{args:?}");
    }
    // An absent source answers 0 before any type check.
    assert_eq!(cmd(&mut c, &["SMOVE", "nokey", "str", "a"]), int(0));
    // Nothing was changed by the failures.
    assert_eq!(cmd(&mut c, &["EXISTS", "d"]), int(0));
    assert_eq!(cmd(&mut c, &["GET", "str"]), bulk("x"));
    assert_eq!(members(&mut c, "s"), strs(&["a"]));
    // A bad argument is reported before the key's type, as Redis parses first.
    let spop_range = err("ERR value is out of range, must be positive");
    assert_eq!(cmd(&mut c, &["SPOP", "str", "-1"]), spop_range);
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(cmd(&mut c, &["SRANDMEMBER", "str", "x"]), not_int);
    assert_eq!(
        cmd(&mut c, &["SSCAN", "str", "x"]),
        err("ERR invalid cursor")
    );
}

#[test]
fn spop_removes_random_members() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let all = strs(&["a", "b", "c", "d", "e"]);
    assert_eq!(cmd_many(&mut c, &["SADD", "s"], &all), int(5));
    let one = text(&cmd(&mut c, &["SPOP", "s"]));
    assert!(all.contains(&one), "{one}");
    assert_eq!(cmd(&mut c, &["SISMEMBER", "s", &one]), int(0));
    let two = sorted_strings(cmd(&mut c, &["SPOP", "s", "2"]));
    assert_eq!(two.len(), 2);
    assert!(two[0] != two[1] && !two.contains(&one));
    assert_eq!(cmd(&mut c, &["SCARD", "s"]), int(2));
    let left = members(&mut c, "s");
    // A count of 0 pops nothing; a count beyond the size pops the rest and deletes the key.
    assert_eq!(cmd(&mut c, &["SPOP", "s", "0"]), Reply::Array(Some(vec![])));
    assert_eq!(sorted_strings(cmd(&mut c, &["SPOP", "s", "100"])), left);
    assert_eq!(cmd(&mut c, &["EXISTS", "s"]), int(0));
    let mut popped: Vec<String> = [one].into_iter().chain(two).chain(left).collect();
    popped.sort();
    assert_eq!(popped, all, "every member popped exactly once");
    // The last member by the one-member form: the key goes too.
    assert_eq!(cmd(&mut c, &["SADD", "t", "x"]), int(1));
    assert_eq!(cmd(&mut c, &["SPOP", "t"]), bulk("x"));
    assert_eq!(cmd(&mut c, &["EXISTS", "t"]), int(0));
    assert_eq!(cmd(&mut c, &["SPOP", "t"]), nil());
    assert_eq!(cmd(&mut c, &["SPOP", "t", "3"]), Reply::Array(Some(vec![])));
    let range = err("ERR value is out of range, must be positive");
    for bad in ["-1", "x", "1.5", "9223372036854775808"] {
        assert_eq!(cmd(&mut c, &["SPOP", "s", bad]), range, "{bad}");
    }
    assert_eq!(
        cmd(&mut c, &["SPOP", "s", "1", "2"]),
        err("ERR syntax error")
    );
}

#[test]
fn srandmember_leaves_the_set_alone() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let all = strs(&["a", "b", "c", "d", "e"]);
    assert_eq!(cmd_many(&mut c, &["SADD", "s"], &all), int(5));
    for _ in 0..20 {
        let m = text(&cmd(&mut c, &["SRANDMEMBER", "s"]));
        assert!(all.contains(&m), "{m}");
        // A positive count: distinct members, at most the set's size.
        let three = sorted_strings(cmd(&mut c, &["SRANDMEMBER", "s", "3"]));
        assert_eq!(three.len(), 3);
        assert_eq!(three.iter().collect::<HashSet<_>>().len(), 3, "{three:?}");
        assert!(three.iter().all(|m| all.contains(m)));
    }
    assert_eq!(sorted_strings(cmd(&mut c, &["SRANDMEMBER", "s", "5"])), all);
    assert_eq!(
        sorted_strings(cmd(&mut c, &["SRANDMEMBER", "s", "99"])),
        all
    );
    // A negative count: exactly that many draws, repeats allowed (50 draws of 5 must repeat).
    let draws: Vec<String> = items(cmd(&mut c, &["SRANDMEMBER", "s", "-50"]))
        .iter()
        .map(text)
        .collect();
    assert_eq!(draws.len(), 50);
    assert!(draws.iter().all(|m| all.contains(m)));
    assert!(draws.iter().collect::<HashSet<_>>().len() < 50);
    assert_eq!(members(&mut c, "s"), all, "the set is unchanged");
    assert_eq!(
        cmd(&mut c, &["SRANDMEMBER", "s", "0"]),
        Reply::Array(Some(vec![]))
    );
    assert_eq!(cmd(&mut c, &["SRANDMEMBER", "nokey"]), nil());
    assert_eq!(
        cmd(&mut c, &["SRANDMEMBER", "nokey", "-3"]),
        Reply::Array(Some(vec![]))
    );
    let over = err(
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
    assert_eq!(
        cmd(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        over
    );
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(cmd(&mut c, &["SRANDMEMBER", "s", "1.0"]), not_int);
    let syntax = err("ERR syntax error");
    assert_eq!(cmd(&mut c, &["SRANDMEMBER", "s", "1", "2"]), syntax);
}

#[test]
fn smove_between_sets() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "src", "a", "b"]), int(2));
    assert_eq!(cmd(&mut c, &["SADD", "dst", "c"]), int(1));
    assert_eq!(cmd(&mut c, &["SMOVE", "src", "dst", "a"]), int(1));
    assert_eq!(members(&mut c, "src"), strs(&["b"]));
    assert_eq!(members(&mut c, "dst"), strs(&["a", "c"]));
    assert_eq!(cmd(&mut c, &["SMOVE", "src", "dst", "zz"]), int(0));
    // A member the destination has already: moved all the same (it leaves the source).
    assert_eq!(cmd(&mut c, &["SADD", "src", "c"]), int(1));
    assert_eq!(cmd(&mut c, &["SMOVE", "src", "dst", "c"]), int(1));
    assert_eq!(members(&mut c, "dst"), strs(&["a", "c"]));
    // The last member: the source goes, an absent destination is created.
    assert_eq!(cmd(&mut c, &["SMOVE", "src", "new", "b"]), int(1));
    assert_eq!(cmd(&mut c, &["EXISTS", "src"]), int(0));
    assert_eq!(members(&mut c, "new"), strs(&["b"]));
    assert_eq!(cmd(&mut c, &["SMOVE", "nokey", "dst", "a"]), int(0));
    // Source and destination the same key: whether the member is there.
    assert_eq!(cmd(&mut c, &["SMOVE", "dst", "dst", "a"]), int(1));
    assert_eq!(cmd(&mut c, &["SMOVE", "dst", "dst", "zz"]), int(0));
    assert_eq!(members(&mut c, "dst"), strs(&["a", "c"]));
}

#[test]
fn sinter_sunion_sdiff_and_sintercard() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "a", "1", "2", "3", "4", "x"]), int(5));
    assert_eq!(cmd(&mut c, &["SADD", "b", "2", "3", "x", "y"]), int(4));
    assert_eq!(cmd(&mut c, &["SADD", "c", "3", "x", "z"]), int(3));
    let sorted = |c: &mut Client, args: &[&str]| sorted_strings(cmd(c, args));
    assert_eq!(
        sorted(&mut c, &["SINTER", "a", "b", "c"]),
        strs(&["3", "x"])
    );
    assert_eq!(
        sorted(&mut c, &["SINTER", "a", "a", "b"]),
        strs(&["2", "3", "x"])
    );
    assert_eq!(sorted(&mut c, &["SINTER", "a", "nokey"]), strs(&[]));
    let union = strs(&["1", "2", "3", "4", "x", "y", "z"]);
    assert_eq!(sorted(&mut c, &["SUNION", "a", "b", "c", "nokey"]), union);
    assert_eq!(sorted(&mut c, &["SUNION", "nokey"]), strs(&[]));
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "b", "c"]), strs(&["1", "4"]));
    assert_eq!(sorted(&mut c, &["SDIFF", "b", "a"]), strs(&["y"]));
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "nokey"]).len(), 5);
    assert_eq!(sorted(&mut c, &["SDIFF", "nokey", "a"]), strs(&[]));
    // The first key named again: nothing is left.
    assert_eq!(sorted(&mut c, &["SDIFF", "a", "b", "a"]), strs(&[]));
    assert_eq!(cmd(&mut c, &["SINTERCARD", "3", "a", "b", "c"]), int(2));
    assert_eq!(cmd(&mut c, &["SINTERCARD", "2", "a", "b"]), int(3));
    assert_eq!(
        cmd(&mut c, &["SINTERCARD", "2", "a", "b", "LIMIT", "2"]),
        int(2)
    );
    assert_eq!(
        cmd(&mut c, &["SINTERCARD", "2", "a", "b", "limit", "0"]),
        int(3)
    );
    let last_limit = ["SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "4"];
    assert_eq!(cmd(&mut c, &last_limit), int(4));
    assert_eq!(cmd(&mut c, &["SINTERCARD", "2", "a", "nokey"]), int(0));
    let numkeys = err("ERR numkeys should be greater than 0");
    for bad in ["0", "-1", "x", "1.0", "9223372036854775808"] {
        assert_eq!(cmd(&mut c, &["SINTERCARD", bad, "a"]), numkeys, "{bad}");
    }
    let too_many = err("ERR Number of keys can't be greater than number of args");
    assert_eq!(cmd(&mut c, &["SINTERCARD", "2", "a"]), too_many);
    let negative = err("ERR LIMIT can't be negative");
    assert_eq!(
        cmd(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "-1"]),
        negative
    );
    assert_eq!(
        cmd(&mut c, &["SINTERCARD", "1", "a", "LIMIT", "x"]),
        negative
    );
    let syntax = err("ERR syntax error");
    assert_eq!(cmd(&mut c, &["SINTERCARD", "1", "a", "LIMIT"]), syntax);
    assert_eq!(cmd(&mut c, &["SINTERCARD", "1", "a", "b"]), syntax);
    // The key positions, as COMMAND GETKEYS gives them (`numkeys` read with atoi).
    let getkeys = [
        "COMMAND",
        "GETKEYS",
        "SINTERCARD",
        "2",
        "a",
        "b",
        "LIMIT",
        "1",
    ];
    assert_eq!(cmd(&mut c, &getkeys), bulks(&["a", "b"]));
    let getkeys = ["COMMAND", "GETKEYS", "SINTERCARD", "3", "a", "b"];
    let invalid = err("ERR Invalid arguments specified for command");
    assert_eq!(cmd(&mut c, &getkeys), invalid);
}

#[test]
fn store_variants_replace_any_type_and_delete_on_empty() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "a", "1", "2", "3", "x"]), int(4));
    assert_eq!(cmd(&mut c, &["SADD", "b", "2", "3", "y"]), int(3));
    assert_eq!(cmd(&mut c, &["SINTERSTORE", "d", "a", "b"]), int(2));
    assert_eq!(members(&mut c, "d"), strs(&["2", "3"]));
    assert_eq!(cmd(&mut c, &["SUNIONSTORE", "d", "a", "b"]), int(5));
    assert_eq!(members(&mut c, "d"), strs(&["1", "2", "3", "x", "y"]));
    assert_eq!(cmd(&mut c, &["SDIFFSTORE", "d", "a", "b"]), int(2));
    assert_eq!(members(&mut c, "d"), strs(&["1", "x"]));
    // An empty result deletes the destination.
    assert_eq!(cmd(&mut c, &["SINTERSTORE", "d", "a", "nokey"]), int(0));
    assert_eq!(cmd(&mut c, &["EXISTS", "d"]), int(0));
    // A string destination, with an expiry: replaced by a set without it.
    assert_eq!(cmd(&mut c, &["SET", "str", "v", "PX", "150"]), ok());
    assert_eq!(cmd(&mut c, &["SUNIONSTORE", "str", "a"]), int(4));
    assert_eq!(cmd(&mut c, &["TYPE", "str"]), simple("set"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(members(&mut c, "str"), strs(&["1", "2", "3", "x"]));
    for store in ["SINTERSTORE", "SDIFFSTORE"] {
        assert_eq!(cmd(&mut c, &["SET", "str", "v"]), ok());
        assert!(int_of(&cmd(&mut c, &[store, "str", "a", "b"])) > 0);
        assert_eq!(cmd(&mut c, &["TYPE", "str"]), simple("set"), "{store}");
        assert_eq!(cmd(&mut c, &["SET", "str", "v"]), ok());
        assert_eq!(cmd(&mut c, &[store, "str", "nokey", "a"]), int(0));
        assert_eq!(cmd(&mut c, &["EXISTS", "str"]), int(0), "{store}");
    }
    // The destination among the inputs: computed before it is replaced.
    assert_eq!(cmd(&mut c, &["SINTERSTORE", "a", "a", "b"]), int(2));
    assert_eq!(members(&mut c, "a"), strs(&["2", "3"]));
    assert_eq!(cmd(&mut c, &["SDIFFSTORE", "b", "b", "a"]), int(1));
    assert_eq!(members(&mut c, "b"), strs(&["y"]));
}

#[test]
fn sscan_returns_the_whole_set_at_once() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "ab", "abc", "b"]), int(4));
    let scan = |c: &mut Client, args: &[&str]| {
        let mut r = items(cmd(c, args)).into_iter();
        let cursor = text(&r.next().expect("cursor"));
        (cursor, sorted_strings(r.next().expect("members")))
    };
    let all = strs(&["a", "ab", "abc", "b"]);
    assert_eq!(
        scan(&mut c, &["SSCAN", "s", "0"]),
        ("0".into(), all.clone())
    );
    let one_each = ["SSCAN", "s", "0", "COUNT", "1"];
    assert_eq!(scan(&mut c, &one_each), ("0".into(), all));
    let a_star = ["SSCAN", "s", "0", "MATCH", "a*"];
    assert_eq!(
        scan(&mut c, &a_star),
        ("0".into(), strs(&["a", "ab", "abc"]))
    );
    // The last MATCH counts; `+0` and an empty cursor are cursor 0 (strtoul).
    let last = ["SSCAN", "s", "+0", "MATCH", "x", "MATCH", "a?"];
    assert_eq!(scan(&mut c, &last), ("0".into(), strs(&["ab"])));
    assert_eq!(
        scan(&mut c, &["SSCAN", "s", "", "MATCH", "b"]).1,
        strs(&["b"])
    );
    assert_eq!(
        scan(&mut c, &["SSCAN", "nokey", "0"]),
        ("0".into(), strs(&[]))
    );
    // Options are only checked on a set: an absent key is an empty scan whatever they are.
    let bad_count = ["SSCAN", "nokey", "0", "COUNT", "0"];
    assert_eq!(scan(&mut c, &bad_count), ("0".into(), strs(&[])));
    let syntax = err("ERR syntax error");
    for opts in [
        &["COUNT", "0"][..],
        &["MATCH"],
        &["TYPE", "set"],
        &["FOO", "bar"],
    ] {
        let args: Vec<&str> = ["SSCAN", "s", "0"].iter().chain(opts).copied().collect();
        assert_eq!(cmd(&mut c, &args), syntax, "{opts:?}");
    }
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(cmd(&mut c, &["SSCAN", "s", "0", "COUNT", "x"]), not_int);
    let invalid = err("ERR invalid cursor");
    for cursor in ["x", "1.5", " 0", "18446744073709551616"] {
        assert_eq!(cmd(&mut c, &["SSCAN", "s", cursor]), invalid, "{cursor:?}");
    }
}

/// RESP3: a set (`~`) where Redis uses addReplySetLen (SMEMBERS, SINTER, SUNION, SDIFF, SPOP
/// with a count), an array where it uses addReplyArrayLen (SRANDMEMBER with a count, SSCAN,
/// SMISMEMBER), the RESP3 null for an absent key's single member.
#[test]
fn resp3_replies_are_redis_bytes() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["HELLO", "3"]);
    raw.send_cmd(&["PING"]);
    raw.read_until(|b| b.ends_with(b"+PONG\r\n"));
    for (args, reply) in [
        (&["SADD", "s", "a"][..], &b":1\r\n"[..]),
        (&["SMEMBERS", "s"], b"~1\r\n$1\r\na\r\n"),
        (&["SMEMBERS", "nokey"], b"~0\r\n"),
        (&["SPOP", "nokey"], b"_\r\n"),
        (&["SPOP", "nokey", "2"], b"~0\r\n"),
        (&["SPOP", "s", "0"], b"~0\r\n"),
        (&["SRANDMEMBER", "nokey"], b"_\r\n"),
        (&["SRANDMEMBER", "nokey", "2"], b"*0\r\n"),
        (&["SRANDMEMBER", "s", "2"], b"*1\r\n$1\r\na\r\n"),
        (&["SRANDMEMBER", "s", "-2"], b"*2\r\n$1\r\na\r\n$1\r\na\r\n"),
        (&["SINTER", "s", "nokey"], b"~0\r\n"),
        (&["SINTER", "s"], b"~1\r\n$1\r\na\r\n"),
        (&["SUNION", "nokey", "s"], b"~1\r\n$1\r\na\r\n"),
        (&["SDIFF", "s"], b"~1\r\n$1\r\na\r\n"),
        (&["SINTERCARD", "1", "s"], b":1\r\n"),
        (&["SMISMEMBER", "s", "a"], b"*1\r\n:1\r\n"),
        (&["SSCAN", "nokey", "0"], b"*2\r\n$1\r\n0\r\n*0\r\n"),
        (&["SSCAN", "s", "0"], b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"),
        (&["SPOP", "s", "5"], b"~1\r\n$1\r\na\r\n"),
        (&["SADD", "s", "b"], b":1\r\n"),
        (&["SPOP", "s"], b"$1\r\nb\r\n"),
    ] {
        raw.send_cmd(args);
        raw.expect(reply);
    }
}

#[test]
fn spop_and_smove_inside_multi_exec() {
    let (_server, addr, _dir) = start();
    let (mut c, mut other) = (connect(addr), connect(addr));
    assert_eq!(cmd(&mut c, &["SADD", "m", "a"]), int(1));
    assert_eq!(cmd(&mut c, &["SADD", "m2", "q"]), int(1));
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    for args in [
        &["SADD", "m", "b"][..],
        &["SREM", "m", "b"],
        &["SPOP", "m"],
        &["EXISTS", "m"],
        &["SMOVE", "m2", "m3", "q"],
        &["SMEMBERS", "m3"],
        &["SPOP", "m3", "5"],
        &["SPOP", "m2", "x"],
    ] {
        assert_eq!(cmd(&mut c, args), simple("QUEUED"), "{args:?}");
    }
    let range = err("ERR value is out of range, must be positive");
    let replies = [
        int(1),
        int(1),
        bulk("a"),
        int(0),
        int(1),
        bulks(&["q"]),
        bulks(&["q"]),
        range,
    ];
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(replies.to_vec())));
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(0));
    // A watched set changed by another client (SPOP) aborts the transaction; an SMOVE of a
    // member the source lacks changes nothing and does not.
    assert_eq!(cmd(&mut c, &["SADD", "w", "a", "b"]), int(2));
    assert_eq!(cmd(&mut c, &["WATCH", "w"]), ok());
    assert_eq!(cmd(&mut other, &["SMOVE", "w", "x", "zz"]), int(0));
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["SCARD", "w"]), simple("QUEUED"));
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(vec![int(2)])));
    assert_eq!(cmd(&mut c, &["WATCH", "w"]), ok());
    assert!(matches!(
        cmd(&mut other, &["SPOP", "w"]),
        Reply::Bulk(Some(_))
    ));
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["SCARD", "w"]), simple("QUEUED"));
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(None));
}

#[test]
fn a_big_set() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let first: Vec<String> = (0..5000).map(|i| format!("m{i}")).collect();
    assert_eq!(cmd_many(&mut c, &["SADD", "big"], &first), int(5000));
    for chunk in (5000..10_000).collect::<Vec<_>>().chunks(1000) {
        let more: Vec<String> = chunk.iter().map(|i| format!("m{i}")).collect();
        assert_eq!(cmd_many(&mut c, &["SADD", "big"], &more), int(1000));
    }
    assert_eq!(cmd(&mut c, &["SCARD", "big"]), int(10_000));
    let mut all: Vec<String> = (0..10_000).map(|i| format!("m{i}")).collect();
    all.sort();
    assert_eq!(members(&mut c, "big"), all);
    assert_eq!(cmd(&mut c, &["SISMEMBER", "big", "m9999"]), int(1));
    let odd: Vec<String> = (1..10_000).step_by(2).map(|i| format!("m{i}")).collect();
    assert_eq!(cmd_many(&mut c, &["SADD", "odd"], &odd), int(5000));
    assert_eq!(cmd(&mut c, &["SINTERCARD", "2", "big", "odd"]), int(5000));
    let limited = ["SINTERCARD", "2", "big", "odd", "LIMIT", "10"];
    assert_eq!(cmd(&mut c, &limited), int(10));
    assert_eq!(
        cmd(&mut c, &["SDIFFSTORE", "even", "big", "odd"]),
        int(5000)
    );
    assert_eq!(cmd(&mut c, &["SISMEMBER", "even", "m2"]), int(1));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "even", "m3"]), int(0));
    let scan = items(cmd(&mut c, &["SSCAN", "big", "0", "MATCH", "m99*"]));
    assert_eq!(scan[0], bulk("0"));
    assert_eq!(items(scan[1].clone()).len(), 111); // m99, m990..m999, m9900..m9999
    // Many draws at once: distinct, or exactly that many with repeats.
    let drawn = sorted_strings(cmd(&mut c, &["SRANDMEMBER", "big", "3000"]));
    assert_eq!(drawn.iter().collect::<HashSet<_>>().len(), 3000);
    let repeats = items(cmd(&mut c, &["SRANDMEMBER", "big", "-20000"]));
    assert_eq!(repeats.len(), 20_000);
    let popped = sorted_strings(cmd(&mut c, &["SPOP", "big", "100"]));
    assert_eq!(popped.iter().collect::<HashSet<_>>().len(), 100);
    assert_eq!(cmd(&mut c, &["SCARD", "big"]), int(9900));
    for m in &popped {
        assert_eq!(cmd(&mut c, &["SISMEMBER", "big", m]), int(0), "{m}");
    }
    assert_eq!(cmd_many(&mut c, &["SREM", "big"], &all), int(9900));
    assert_eq!(cmd(&mut c, &["EXISTS", "big"]), int(0));
}

#[test]
fn sets_survive_a_restart() {
    let (server, addr, dir) = start();
    let mut c = connect(addr);
    let many: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
    assert_eq!(cmd_many(&mut c, &["SADD", "big"], &many), int(2000));
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "b", "c"]), int(3));
    assert_eq!(cmd(&mut c, &["SREM", "s", "b"]), int(1));
    assert_eq!(cmd(&mut c, &["SMOVE", "s", "t", "c"]), int(1));
    assert_eq!(cmd(&mut c, &["SADD", "gone", "x"]), int(1));
    assert_eq!(cmd(&mut c, &["SPOP", "gone"]), bulk("x"));
    assert_eq!(cmd(&mut c, &["SET", "str", "v"]), ok());
    assert_eq!(cmd(&mut c, &["SUNIONSTORE", "str", "s", "t"]), int(2));
    drop(c);
    drop(server);
    let (_server, addr) = start_in(dir.path());
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SCARD", "big"]), int(2000));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "big", "m1999"]), int(1));
    assert_eq!(members(&mut c, "s"), strs(&["a"]));
    assert_eq!(members(&mut c, "t"), strs(&["c"]));
    assert_eq!(members(&mut c, "str"), strs(&["a", "c"]));
    assert_eq!(cmd(&mut c, &["EXISTS", "gone"]), int(0));
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(4));
}

/// The binary under `--fsync always`, killed with SIGKILL after the replies: every
/// acknowledged set write is there after the restart.
#[test]
fn acknowledged_set_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_server(dir.path(), &["--fsync", "always"]);
    let mut c = connect(server.addr);
    let many: Vec<String> = (0..500).map(|i| format!("m{i}")).collect();
    assert_eq!(cmd_many(&mut c, &["SADD", "s"], &many), int(500));
    let popped = sorted_strings(cmd(&mut c, &["SPOP", "s", "100"]));
    assert_eq!(popped.len(), 100);
    let kept = text(&cmd(&mut c, &["SRANDMEMBER", "s"]));
    assert_eq!(cmd(&mut c, &["SMOVE", "s", "t", &kept]), int(1));
    server.sigkill();
    let server = start_server(dir.path(), &["--fsync", "always"]);
    let mut c = connect(server.addr);
    assert_eq!(cmd(&mut c, &["SCARD", "s"]), int(399));
    assert_eq!(members(&mut c, "t"), vec![kept]);
    let none_left = Reply::Array(Some(vec![int(0); 100]));
    assert_eq!(cmd_many(&mut c, &["SMISMEMBER", "s"], &popped), none_left);
}
