//! The hash commands end to end: HSET HSETNX HMSET HGET HMGET HEXISTS HSTRLEN HGETALL HKEYS
//! HVALS HLEN HDEL HINCRBY HINCRBYFLOAT, WRONGTYPE both ways, RESP3, MULTI/EXEC, ten thousand
//! fields, a restart and a crash, with the replies and error texts of Redis 7.0 (each checked
//! against a real redis-server). HRANDFIELD and HSCAN: `tests/hash_random_scan.rs`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::hashes::*;
use common::server_proc::start_server;
use common::*;
use kvs_server::resp_client::{Client, Reply};

#[test]
fn hset_and_the_one_field_reads() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(
        cmd(&mut c, &["HSET", "h", "a", "10", "c", "3"]),
        int(1),
        "one new"
    );
    assert_eq!(cmd(&mut c, &["HGET", "h", "a"]), bulk("10"));
    assert_eq!(cmd(&mut c, &["HGET", "h", "zz"]), nil());
    assert_eq!(cmd(&mut c, &["HGET", "nokey", "a"]), nil());
    let mget = Reply::Array(Some(vec![bulk("10"), nil(), bulk("3")]));
    assert_eq!(cmd(&mut c, &["HMGET", "h", "a", "zz", "c"]), mget);
    let nils = Reply::Array(Some(vec![nil(), nil()]));
    assert_eq!(cmd(&mut c, &["HMGET", "nokey", "a", "b"]), nils);
    assert_eq!(cmd(&mut c, &["HEXISTS", "h", "b"]), int(1));
    assert_eq!(cmd(&mut c, &["HEXISTS", "h", "zz"]), int(0));
    assert_eq!(cmd(&mut c, &["HEXISTS", "nokey", "a"]), int(0));
    assert_eq!(cmd(&mut c, &["HSTRLEN", "h", "a"]), int(2));
    assert_eq!(cmd(&mut c, &["HSTRLEN", "h", "zz"]), int(0));
    assert_eq!(cmd(&mut c, &["HSTRLEN", "nokey", "a"]), int(0));
    assert_eq!(cmd(&mut c, &["HSETNX", "h", "a", "x"]), int(0));
    assert_eq!(
        cmd(&mut c, &["HGET", "h", "a"]),
        bulk("10"),
        "HSETNX kept it"
    );
    assert_eq!(cmd(&mut c, &["HSETNX", "h", "d", "4"]), int(1));
    assert_eq!(
        cmd(&mut c, &["HSETNX", "new", "f", "v"]),
        int(1),
        "creates the hash"
    );
    assert_eq!(cmd(&mut c, &["HMSET", "h", "e", "5", "a", "11"]), ok());
    assert_eq!(cmd(&mut c, &["HGET", "h", "a"]), bulk("11"));
    assert_eq!(cmd(&mut c, &["TYPE", "h"]), simple("hash"));
    // Empty fields and values, and binary ones, are ordinary.
    assert_eq!(cmd(&mut c, &["HSET", "h", "", ""]), int(1));
    assert_eq!(cmd(&mut c, &["HSTRLEN", "h", ""]), int(0));
    assert_eq!(cmd(&mut c, &["HEXISTS", "h", ""]), int(1));
    let bin: &[&[u8]] = &[b"HSET", b"h", b"f\0\r\n", b"\xff\0v"];
    assert_eq!(cmd_b(&mut c, bin), int(1));
    assert_eq!(
        cmd_b(&mut c, &[b"HGET", b"h", b"f\0\r\n"]),
        bulk_b(b"\xff\0v")
    );
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(7));
    // Arity, as Redis counts it (an odd field/value list is HSET's own arity error).
    for (args, name) in [
        (&["HSET", "h"][..], "hset"),
        (&["HSET", "h", "a"], "hset"),
        (&["HSET", "h", "a", "1", "b"], "hset"),
        (&["HMSET", "h", "a", "1", "b"], "hmset"),
        (&["HSETNX", "h", "a", "1", "b"], "hsetnx"),
        (&["HGET", "h"], "hget"),
        (&["HMGET", "h"], "hmget"),
        (&["HEXISTS", "h"], "hexists"),
        (&["HSTRLEN", "h", "a", "b"], "hstrlen"),
        (&["HDEL", "h"], "hdel"),
        (&["HLEN", "h", "x"], "hlen"),
        (&["HINCRBY", "h", "a"], "hincrby"),
        (&["HRANDFIELD"], "hrandfield"),
        (&["HSCAN", "h"], "hscan"),
    ] {
        let e = format!("ERR wrong number of arguments for '{name}' command");
        assert_eq!(cmd(&mut c, args), err(&e), "{args:?}");
    }
    assert_eq!(
        cmd(&mut c, &["HLEN", "h"]),
        int(7),
        "no failed command wrote"
    );
}

#[test]
fn the_whole_hash_reads() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(
        cmd(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]),
        int(3)
    );
    let all = owned(&[("a", "1"), ("b", "2"), ("c", "3")]);
    assert_eq!(pairs(cmd(&mut c, &["HGETALL", "h"])), all);
    assert_eq!(
        sorted_strings(cmd(&mut c, &["HKEYS", "h"])),
        ["a", "b", "c"]
    );
    assert_eq!(
        sorted_strings(cmd(&mut c, &["HVALS", "h"])),
        ["1", "2", "3"]
    );
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(3));
    for read in ["HGETALL", "HKEYS", "HVALS"] {
        assert_eq!(cmd(&mut c, &[read, "nokey"]), bulks(&[]), "{read}");
    }
    assert_eq!(cmd(&mut c, &["HLEN", "nokey"]), int(0));
}

#[test]
fn hdel_counts_what_it_removed_and_the_last_field_takes_the_hash() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(
        cmd(&mut c, &["HSET", "h", "a", "1", "b", "2", "c", "3"]),
        int(3)
    );
    assert_eq!(cmd(&mut c, &["HDEL", "h", "a", "zz", "a"]), int(1));
    assert_eq!(cmd(&mut c, &["HDEL", "h", "zz"]), int(0));
    assert_eq!(cmd(&mut c, &["HDEL", "nokey", "a"]), int(0));
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(2));
    // More fields named than the hash has: it goes empty midway, and is deleted.
    assert_eq!(cmd(&mut c, &["HDEL", "h", "b", "c", "d"]), int(2));
    assert_eq!(cmd(&mut c, &["EXISTS", "h"]), int(0));
    assert_eq!(cmd(&mut c, &["TYPE", "h"]), simple("none"));
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(0));
    assert_eq!(cmd(&mut c, &["HGETALL", "h"]), bulks(&[]));
    // The key is free for anything; a new hash there has none of the old fields.
    assert_eq!(cmd(&mut c, &["SET", "h", "s"]), ok());
    assert_eq!(cmd(&mut c, &["DEL", "h"]), int(1));
    assert_eq!(cmd(&mut c, &["HSET", "h", "x", "9"]), int(1));
    assert_eq!(pairs(cmd(&mut c, &["HGETALL", "h"])), owned(&[("x", "9")]));
    assert_eq!(cmd(&mut c, &["HGET", "h", "b"]), nil());
    // DEL of a hash counts it.
    assert_eq!(cmd(&mut c, &["DEL", "h"]), int(1));
    assert_eq!(cmd(&mut c, &["HGET", "h", "x"]), nil());
}

#[test]
fn wrongtype_both_ways() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "s", "str"]), ok());
    let on_string: &[&[&str]] = &[
        &["HSET", "s", "a", "b"],
        &["HMSET", "s", "a", "b"],
        &["HSETNX", "s", "a", "b"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HSTRLEN", "s", "a"],
        &["HGETALL", "s"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HLEN", "s"],
        &["HDEL", "s", "a"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "0"],
        &["HRANDFIELD", "s", "-1", "WITHVALUES"],
        &["HSCAN", "s", "0"],
        // HSCAN looks the key up before it reads its options.
        &["HSCAN", "s", "0", "COUNT", "0"],
    ];
    for args in on_string {
        assert_eq!(cmd(&mut c, args), wrongtype(), "{args:?}");
    }
    assert_eq!(cmd(&mut c, &["GET", "s"]), bulk("str"), "untouched");

    assert_eq!(cmd(&mut c, &["HSET", "h", "f", "v"]), int(1));
    let on_hash: &[&[&str]] = &[
        &["GET", "h"],
        &["GETSET", "h", "x"],
        &["GETDEL", "h"],
        &["GETEX", "h"],
        &["APPEND", "h", "x"],
        &["STRLEN", "h"],
        &["GETRANGE", "h", "0", "1"],
        &["SETRANGE", "h", "0", "x"],
        &["INCR", "h"],
        &["INCRBY", "h", "2"],
        &["DECR", "h"],
        &["INCRBYFLOAT", "h", "1"],
        &["SETBIT", "h", "0", "1"],
        &["GETBIT", "h", "0"],
        &["SET", "h", "x", "GET"],
        &["SET", "h", "x", "NX", "GET"],
    ];
    for args in on_hash {
        assert_eq!(cmd(&mut c, args), wrongtype(), "{args:?}");
    }
    // Not WRONGTYPE in Redis: MGET reads nil, the NX forms only ask whether the key exists,
    // LCS has its own text.
    assert_eq!(
        cmd(&mut c, &["MGET", "h", "s"]),
        Reply::Array(Some(vec![nil(), bulk("str")]))
    );
    assert_eq!(cmd(&mut c, &["SETNX", "h", "x"]), int(0));
    assert_eq!(cmd(&mut c, &["SET", "h", "x", "NX"]), nil());
    assert_eq!(cmd(&mut c, &["MSETNX", "h", "x", "k", "y"]), int(0));
    let lcs = err("ERR The specified keys must contain string values");
    assert_eq!(cmd(&mut c, &["LCS", "s", "h"]), lcs);
    assert_eq!(cmd(&mut c, &["LCS", "nokey", "h", "LEN"]), lcs);
    assert_eq!(cmd(&mut c, &["HGET", "h", "f"]), bulk("v"), "untouched");
    // A plain SET (and SET XX) replaces the hash with a string.
    assert_eq!(cmd(&mut c, &["SET", "h", "x", "XX"]), ok());
    assert_eq!(cmd(&mut c, &["TYPE", "h"]), simple("string"));
    assert_eq!(cmd(&mut c, &["HGET", "h", "f"]), wrongtype());
    assert_eq!(cmd(&mut c, &["GET", "h"]), bulk("x"));
}

#[test]
fn hincrby_and_hincrbyfloat() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(
        cmd(&mut c, &["HINCRBY", "c", "x", "5"]),
        int(5),
        "creates hash and field"
    );
    assert_eq!(cmd(&mut c, &["HINCRBY", "c", "x", "-7"]), int(-2));
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "c", "y", "10.50"]),
        bulk("10.5")
    );
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "c", "y", "1.5e1"]),
        bulk("25.5")
    );
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "c", "z", "5.0e3"]),
        bulk("5000")
    );
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "c", "x", "0.5"]),
        bulk("-1.5")
    );
    let all = owned(&[("x", "-1.5"), ("y", "25.5"), ("z", "5000")]);
    assert_eq!(pairs(cmd(&mut c, &["HGETALL", "c"])), all);

    let max = "9223372036854775807";
    let min = "-9223372036854775808";
    let fields = [
        "i", max, "m", min, "f", "1.5", "sp", " 1", "t", "abc", "inf", "inf",
    ];
    let mut args = vec!["HSET", "n"];
    args.extend(fields);
    assert_eq!(cmd(&mut c, &args), int(6));
    let overflow = err("ERR increment or decrement would overflow");
    assert_eq!(cmd(&mut c, &["HINCRBY", "n", "i", "1"]), overflow);
    assert_eq!(cmd(&mut c, &["HINCRBY", "n", "m", "-1"]), overflow);
    assert_eq!(cmd(&mut c, &["HGET", "n", "i"]), bulk(max), "unchanged");
    assert_eq!(cmd(&mut c, &["HINCRBY", "n", "i", "-1"]), int(i64::MAX - 1));
    let not_int = err("ERR hash value is not an integer");
    for field in ["f", "sp", "t", "inf"] {
        assert_eq!(
            cmd(&mut c, &["HINCRBY", "n", field, "1"]),
            not_int,
            "{field}"
        );
    }
    let not_float = err("ERR hash value is not a float");
    for field in ["sp", "t"] {
        assert_eq!(cmd(&mut c, &["HINCRBYFLOAT", "n", field, "1"]), not_float);
    }
    let nul: &[&[u8]] = &[b"HSET", b"n", b"nul", b"1\x002"];
    assert_eq!(cmd_b(&mut c, nul), int(1));
    assert_eq!(cmd(&mut c, &["HINCRBYFLOAT", "n", "nul", "1"]), not_float);
    // Long double arithmetic: 1e308 doubles without overflowing; 1e4932 does not.
    assert_eq!(cmd(&mut c, &["HINCRBYFLOAT", "n", "f", "0.1"]), bulk("1.6"));
    let nan_inf = err("ERR increment would produce NaN or Infinity");
    assert_eq!(cmd(&mut c, &["HINCRBYFLOAT", "n", "inf", "1"]), nan_inf);
    let huge = text(&cmd(&mut c, &["HINCRBYFLOAT", "n", "big", "1e4932"]));
    assert_eq!(huge.len(), 4933);
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "n", "big", "1e4932"]),
        nan_inf
    );
    assert_eq!(cmd(&mut c, &["HGET", "n", "big"]), bulk(&huge), "unchanged");
    // Increments that are not numbers, checked before the key.
    let bad_int = err("ERR value is not an integer or out of range");
    for by in ["x", "1.5", "9223372036854775808", ""] {
        assert_eq!(cmd(&mut c, &["HINCRBY", "s", "a", by]), bad_int, "{by:?}");
    }
    let bad_float = err("ERR value is not a valid float");
    for by in ["abc", "nan", ""] {
        assert_eq!(
            cmd(&mut c, &["HINCRBYFLOAT", "s", "a", by]),
            bad_float,
            "{by:?}"
        );
    }
    let infinite = err("ERR value is NaN or Infinity");
    for by in ["inf", "-inf", "+inf"] {
        assert_eq!(
            cmd(&mut c, &["HINCRBYFLOAT", "s", "a", by]),
            infinite,
            "{by}"
        );
    }
    assert_eq!(
        cmd(&mut c, &["EXISTS", "s"]),
        int(0),
        "no failed increment created it"
    );
}

#[test]
fn resp3_replies_byte_for_byte() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["HELLO", "3"]);
    raw.read_until(|b| b.ends_with(b"modules\r\n*0\r\n"));
    let mut check = |args: &[&str], expected: &[u8]| {
        raw.send_cmd(args);
        raw.expect(expected);
    };
    check(&["HSET", "h", "f", "v"], b":1\r\n");
    check(&["HGETALL", "h"], b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    check(&["HGETALL", "nokey"], b"%0\r\n");
    check(&["HKEYS", "h"], b"*1\r\n$1\r\nf\r\n");
    check(&["HVALS", "nokey"], b"*0\r\n");
    check(&["HGET", "h", "zz"], b"_\r\n");
    check(&["HMGET", "h", "f", "zz"], b"*2\r\n$1\r\nv\r\n_\r\n");
    check(&["HRANDFIELD", "nokey"], b"_\r\n");
    check(&["HRANDFIELD", "nokey", "2", "WITHVALUES"], b"*0\r\n");
    check(&["HRANDFIELD", "h", "0"], b"*0\r\n");
    check(&["HRANDFIELD", "h", "1"], b"*1\r\n$1\r\nf\r\n");
    // WITHVALUES: one [field, value] array per field in RESP3.
    check(
        &["HRANDFIELD", "h", "3", "WITHVALUES"],
        b"*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    check(
        &["HRANDFIELD", "h", "-2", "WITHVALUES"],
        b"*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    check(
        &["HSCAN", "h", "0"],
        b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    check(&["HSCAN", "nokey", "0"], b"*2\r\n$1\r\n0\r\n*0\r\n");
    check(&["HINCRBYFLOAT", "h", "n", "1.5"], b"$3\r\n1.5\r\n");
    check(&["HINCRBY", "h", "i", "2"], b":2\r\n");
    // The RESP2 forms of the same replies.
    raw.send_cmd(&["HELLO", "2"]);
    raw.read_until(|b| b.ends_with(b"modules\r\n*0\r\n"));
    let mut check = |args: &[&str], expected: &[u8]| {
        raw.send_cmd(args);
        raw.expect(expected);
    };
    check(&["HDEL", "h", "n", "i"], b":2\r\n");
    check(&["HGETALL", "h"], b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
    check(
        &["HRANDFIELD", "h", "-2", "WITHVALUES"],
        b"*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
    check(&["HRANDFIELD", "nokey"], b"$-1\r\n");
}

#[test]
fn many_fields_and_thousands_of_pairs_in_one_hset() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    // 5 000 pairs in one command; then 5 000 more of which half are new.
    assert_eq!(hset_range(&mut c, "h", 0, 5000), int(5000));
    assert_eq!(hset_range(&mut c, "h", 2500, 5000), int(2500));
    assert_eq!(hset_range(&mut c, "h", 7500, 2500), int(2500));
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(10_000));
    for i in [0, 4999, 5000, 9999] {
        let v = format!("v{i}");
        assert_eq!(cmd(&mut c, &["HGET", "h", &format!("f{i}")]), bulk(&v));
    }
    let expected: Vec<(String, String)> = {
        let mut v: Vec<_> = (0..10_000)
            .map(|i| (format!("f{i}"), format!("v{i}")))
            .collect();
        v.sort();
        v
    };
    assert_eq!(pairs(cmd(&mut c, &["HGETALL", "h"])), expected);
    assert_eq!(sorted_strings(cmd(&mut c, &["HKEYS", "h"])).len(), 10_000);
    let mut r = items(cmd(&mut c, &["HSCAN", "h", "0", "COUNT", "10"])).into_iter();
    assert_eq!(r.next(), Some(bulk("0")));
    assert_eq!(pairs(r.next().unwrap()), expected);
    let mut r = items(cmd(&mut c, &["HSCAN", "h", "0", "MATCH", "f99*"])).into_iter();
    let nines = pairs(r.nth(1).unwrap());
    assert_eq!(nines.len(), 111, "f99, f990-f999, f9900-f9999");
    let picked = sorted_strings(cmd(&mut c, &["HRANDFIELD", "h", "1000"]));
    assert_eq!(picked.iter().collect::<BTreeSet<_>>().len(), 1000);
    // Remove every even field in one HDEL.
    let mut args = vec!["HDEL".to_string(), "h".to_string()];
    args.extend((0..10_000).step_by(2).map(|i| format!("f{i}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(cmd(&mut c, &args), int(5000));
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(5000));
    let odd: Vec<(String, String)> = expected
        .iter()
        .filter(|(f, _)| f[1..].parse::<u32>().unwrap() % 2 == 1)
        .cloned()
        .collect();
    assert_eq!(pairs(cmd(&mut c, &["HGETALL", "h"])), odd);
    assert_eq!(cmd(&mut c, &["HEXISTS", "h", "f10"]), int(0));
    assert_eq!(cmd(&mut c, &["HEXISTS", "h", "f11"]), int(1));
}

#[test]
fn hashes_inside_multi_exec() {
    let (_server, addr, _dir) = start();
    let (mut c, mut other) = (connect(addr), connect(addr));
    assert_eq!(cmd(&mut c, &["SET", "s", "str"]), ok());
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    for args in [
        &["HSET", "h", "a", "1", "b", "2"][..],
        &["HINCRBY", "h", "a", "10"],
        &["HGET", "h", "a"],
        &["HSET", "s", "x", "y"],
        &["HDEL", "h", "a", "b"],
        &["EXISTS", "h"],
        &["HSCAN", "h", "0"],
        &["HSET", "h", "c", "3"],
        &["HRANDFIELD", "h", "-2", "WITHVALUES"],
        &["HSCAN", "h", "x"],
        &["HRANDFIELD", "h", "1", "foo"],
    ] {
        assert_eq!(cmd(&mut c, args), simple("QUEUED"), "{args:?}");
    }
    let empty_scan = Reply::Array(Some(vec![bulk("0"), bulks(&[])]));
    let expected = vec![
        int(2),
        int(11),
        bulk("11"),
        wrongtype(),
        int(2),
        int(0),
        empty_scan,
        int(1),
        bulks(&["c", "3", "c", "3"]),
        err("ERR invalid cursor"),
        err("ERR syntax error"),
    ];
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(expected)));
    // A queueing error discards the whole transaction.
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    let arity = err("ERR wrong number of arguments for 'hset' command");
    assert_eq!(cmd(&mut c, &["HSET", "h", "d"]), arity);
    assert_eq!(cmd(&mut c, &["HSET", "h", "e", "5"]), simple("QUEUED"));
    let abort = err("EXECABORT Transaction discarded because of previous errors.");
    assert_eq!(cmd(&mut c, &["EXEC"]), abort);
    assert_eq!(cmd(&mut c, &["HEXISTS", "h", "e"]), int(0));
    // WATCH: another client's HSET of the hash aborts; an HDEL that removes nothing does not.
    assert_eq!(cmd(&mut c, &["WATCH", "h"]), ok());
    assert_eq!(cmd(&mut other, &["HSET", "h", "c", "4"]), int(0));
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["HGET", "h", "c"]), simple("QUEUED"));
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(None));
    assert_eq!(cmd(&mut c, &["WATCH", "h"]), ok());
    assert_eq!(cmd(&mut other, &["HDEL", "h", "nope"]), int(0));
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["HGET", "h", "c"]), simple("QUEUED"));
    assert_eq!(cmd(&mut c, &["EXEC"]), Reply::Array(Some(vec![bulk("4")])));
}

/// The hashes [`write_hashes`] leaves, as HGETALL sees them.
fn check_hashes(c: &mut Client) {
    assert_eq!(cmd(c, &["HLEN", "big"]), int(3000));
    let big = pairs(cmd(c, &["HGETALL", "big"]));
    assert!(big.iter().all(|(f, v)| f[1..] == v[1..] && f != "f7"));
    let counters = owned(&[("float", "3.75"), ("n", "42")]);
    assert_eq!(pairs(cmd(c, &["HGETALL", "counters"])), counters);
    assert_eq!(cmd(c, &["EXISTS", "emptied"]), int(0));
    assert_eq!(
        pairs(cmd(c, &["HGETALL", "reborn"])),
        owned(&[("new", "1")])
    );
    assert_eq!(cmd(c, &["TYPE", "replaced"]), simple("string"));
    assert_eq!(cmd(c, &["HGET", "replaced", "f"]), wrongtype());
}

fn write_hashes(c: &mut Client) {
    assert_eq!(hset_range(c, "big", 0, 3001), int(3001));
    assert_eq!(cmd(c, &["HDEL", "big", "f7"]), int(1));
    assert_eq!(cmd(c, &["HINCRBY", "counters", "n", "40"]), int(40));
    assert_eq!(cmd(c, &["HINCRBY", "counters", "n", "2"]), int(42));
    assert_eq!(
        cmd(c, &["HINCRBYFLOAT", "counters", "float", "3.75"]),
        bulk("3.75")
    );
    assert_eq!(cmd(c, &["HSET", "emptied", "a", "1", "b", "2"]), int(2));
    assert_eq!(cmd(c, &["HDEL", "emptied", "a", "b"]), int(2));
    assert_eq!(cmd(c, &["HSET", "reborn", "old", "1"]), int(1));
    assert_eq!(cmd(c, &["DEL", "reborn"]), int(1));
    assert_eq!(cmd(c, &["HSET", "reborn", "new", "1"]), int(1));
    assert_eq!(cmd(c, &["HSET", "replaced", "f", "v"]), int(1));
    assert_eq!(cmd(c, &["SET", "replaced", "s"]), ok());
    check_hashes(c);
}

#[test]
fn hashes_survive_a_restart() {
    let (server, addr, dir) = start();
    write_hashes(&mut connect(addr));
    server
        .shutdown(Duration::from_secs(5))
        .expect("clean shutdown");
    let (_server, addr, _dir2) = start_with(|cfg| cfg.dir = dir.path().to_path_buf());
    let mut c = connect(addr);
    check_hashes(&mut c);
    // And the reopened hash takes writes.
    assert_eq!(cmd(&mut c, &["HSET", "big", "f7", "v7"]), int(1));
    assert_eq!(cmd(&mut c, &["HLEN", "big"]), int(3001));
}

#[test]
fn hashes_survive_sigkill_with_fsync_always() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_server(dir.path(), &["--fsync", "always"]);
    write_hashes(&mut connect(server.addr));
    server.sigkill();
    let server = start_server(dir.path(), &["--fsync", "always"]);
    check_hashes(&mut connect(server.addr));
}
