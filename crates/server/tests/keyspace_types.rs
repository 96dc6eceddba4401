//! The keyspace commands on every type (strings, hashes, sets), against the replies Redis 7.0
//! gives: TYPE, WRONGTYPE from string commands on a collection, the expiry family, RENAME,
//! COPY, SCAN TYPE, OBJECT, and a collection surviving a restart with its TTL.

mod common;

use std::thread::sleep;
use std::time::Duration;

use common::*;
use kvs_server::resp_client::Reply;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

#[test]
fn type_and_wrongtype_across_strings_hashes_and_sets() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "str", "12"]), ok());
    assert_eq!(cmd(&mut c, &["HSET", "h", "f", "v"]), int(1));
    assert_eq!(cmd(&mut c, &["SADD", "s", "m"]), int(1));
    for (key, t) in [
        ("str", "string"),
        ("h", "hash"),
        ("s", "set"),
        ("no", "none"),
    ] {
        assert_eq!(cmd(&mut c, &["TYPE", key]), simple(t), "{key}");
    }
    // Every string command that reads a collection answers WRONGTYPE and changes nothing.
    for args in [
        &["GET", "h"][..],
        &["APPEND", "h", "x"],
        &["INCR", "s"],
        &["INCRBYFLOAT", "h", "1"],
        &["STRLEN", "h"],
        &["GETRANGE", "s", "0", "1"],
        &["SETRANGE", "h", "0", "x"],
        &["GETSET", "h", "x"],
        &["GETDEL", "s"],
        &["GETEX", "h"],
        &["SETBIT", "h", "0", "1"],
        &["GETBIT", "s", "0"],
        &["SET", "h", "x", "GET"],
    ] {
        assert_eq!(cmd(&mut c, args), err(WRONGTYPE), "{args:?}");
    }
    // LCS has its own text (Redis' `lcsCommand`).
    assert_eq!(
        cmd(&mut c, &["LCS", "h", "str"]),
        err("ERR The specified keys must contain string values")
    );
    // And the collection commands on the wrong type.
    assert_eq!(cmd(&mut c, &["HGET", "str", "f"]), err(WRONGTYPE));
    assert_eq!(cmd(&mut c, &["HSET", "s", "f", "v"]), err(WRONGTYPE));
    assert_eq!(cmd(&mut c, &["SADD", "h", "m"]), err(WRONGTYPE));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "str", "m"]), err(WRONGTYPE));
    assert_eq!(cmd(&mut c, &["HGET", "h", "f"]), bulk("v"), "untouched");
    // MGET answers nil for a key that holds no string.
    assert_eq!(
        cmd(&mut c, &["MGET", "str", "h", "s", "no"]),
        Reply::Array(Some(vec![bulk("12"), nil(), nil(), nil()]))
    );
    // SET replaces a collection; SETNX and MSETNX see it as existing.
    assert_eq!(cmd(&mut c, &["SETNX", "h", "x"]), int(0));
    assert_eq!(cmd(&mut c, &["MSETNX", "s", "x", "new", "y"]), int(0));
    assert_eq!(cmd(&mut c, &["SET", "h", "now a string"]), ok());
    assert_eq!(cmd(&mut c, &["TYPE", "h"]), simple("string"));
    assert_eq!(cmd(&mut c, &["HGET", "h", "f"]), err(WRONGTYPE));
    // DEL, EXISTS, UNLINK, DBSIZE, KEYS, RANDOMKEY count collections as keys.
    assert_eq!(cmd(&mut c, &["HSET", "h2", "a", "1"]), int(1));
    assert_eq!(cmd(&mut c, &["EXISTS", "h2", "s", "no"]), int(2));
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(4));
    assert_eq!(
        sorted_strings(cmd(&mut c, &["KEYS", "*"])),
        vec!["h", "h2", "s", "str"]
    );
    assert!(matches!(cmd(&mut c, &["RANDOMKEY"]), Reply::Bulk(Some(_))));
    assert_eq!(cmd(&mut c, &["DEL", "h2", "s"]), int(2));
    assert_eq!(cmd(&mut c, &["UNLINK", "h2"]), int(0));
    assert_eq!(cmd(&mut c, &["SMEMBERS", "s"]), Reply::Array(Some(vec![])));
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(2));
}

#[test]
fn expiry_rename_and_copy_work_on_collections() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(cmd(&mut c, &["TTL", "h"]), int(-1));
    assert_eq!(cmd(&mut c, &["EXPIRE", "h", "100"]), int(1));
    assert_eq!(cmd(&mut c, &["TTL", "h"]), int(100));
    assert_eq!(cmd(&mut c, &["EXPIRE", "h", "50", "GT"]), int(0));
    assert_eq!(cmd(&mut c, &["PERSIST", "h"]), int(1));
    assert_eq!(cmd(&mut c, &["PERSIST", "h"]), int(0));
    assert_eq!(
        cmd(&mut c, &["HLEN", "h"]),
        int(2),
        "an expiry change keeps the fields"
    );
    // RENAME moves the whole hash, with its TTL; the source is gone.
    assert_eq!(cmd(&mut c, &["PEXPIRE", "h", "100000"]), int(1));
    assert_eq!(cmd(&mut c, &["RENAME", "h", "h2"]), ok());
    assert_eq!(cmd(&mut c, &["EXISTS", "h"]), int(0));
    assert_eq!(
        sorted_strings(cmd(&mut c, &["HGETALL", "h2"])),
        vec!["1", "2", "a", "b"]
    );
    assert!(int_of(&cmd(&mut c, &["PTTL", "h2"])) > 90_000);
    assert_eq!(cmd(&mut c, &["SADD", "s", "x"]), int(1));
    assert_eq!(cmd(&mut c, &["RENAMENX", "h2", "s"]), int(0));
    // RENAME over a key of another type replaces it.
    assert_eq!(cmd(&mut c, &["RENAME", "h2", "s"]), ok());
    assert_eq!(cmd(&mut c, &["TYPE", "s"]), simple("hash"));
    // COPY makes an independent copy.
    assert_eq!(cmd(&mut c, &["COPY", "s", "c"]), int(1));
    assert_eq!(cmd(&mut c, &["HSET", "c", "a", "changed"]), int(0));
    assert_eq!(cmd(&mut c, &["HGET", "s", "a"]), bulk("1"));
    assert_eq!(cmd(&mut c, &["HGET", "c", "a"]), bulk("changed"));
    assert!(
        int_of(&cmd(&mut c, &["PTTL", "c"])) > 90_000,
        "COPY keeps the TTL"
    );
    assert_eq!(cmd(&mut c, &["SADD", "set", "1", "2"]), int(2));
    assert_eq!(cmd(&mut c, &["COPY", "set", "c"]), int(0));
    assert_eq!(cmd(&mut c, &["COPY", "set", "c", "REPLACE"]), int(1));
    assert_eq!(
        sorted_strings(cmd(&mut c, &["SMEMBERS", "c"])),
        vec!["1", "2"]
    );
    // A hash that expires is gone with its fields.
    assert_eq!(cmd(&mut c, &["HSET", "t", "f", "v"]), int(1));
    assert_eq!(cmd(&mut c, &["PEXPIRE", "t", "50"]), int(1));
    sleep(Duration::from_millis(120));
    assert_eq!(cmd(&mut c, &["HGET", "t", "f"]), nil());
    assert_eq!(cmd(&mut c, &["EXISTS", "t"]), int(0));
    assert_eq!(cmd(&mut c, &["HSET", "t", "g", "w"]), int(1));
    assert_eq!(
        cmd(&mut c, &["HGETALL", "t"]),
        Reply::Array(Some(vec![bulk("g"), bulk("w")]))
    );
    // An expiry in the past deletes at once.
    assert_eq!(cmd(&mut c, &["EXPIREAT", "t", "1"]), int(1));
    assert_eq!(cmd(&mut c, &["TYPE", "t"]), simple("none"));
}

#[test]
fn scan_type_and_object_encoding() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SET", "str", "x"]), ok());
    assert_eq!(cmd(&mut c, &["SET", "int", "123"]), ok());
    assert_eq!(cmd(&mut c, &["HSET", "h", "f", "v"]), int(1));
    assert_eq!(cmd(&mut c, &["SADD", "ints", "1", "2"]), int(2));
    assert_eq!(cmd(&mut c, &["SADD", "words", "a"]), int(1));
    let scan_type = |c: &mut _, t: &str| {
        let r = items(cmd(c, &["SCAN", "0", "COUNT", "1000", "TYPE", t]));
        let mut keys = sorted_strings(r[1].clone());
        keys.sort();
        keys
    };
    assert_eq!(scan_type(&mut c, "string"), vec!["int", "str"]);
    assert_eq!(scan_type(&mut c, "HASH"), vec!["h"]);
    assert_eq!(scan_type(&mut c, "set"), vec!["ints", "words"]);
    assert!(scan_type(&mut c, "zset").is_empty());
    for (key, enc) in [
        ("int", "int"),
        ("str", "embstr"),
        ("h", "listpack"),
        ("ints", "intset"),
        ("words", "hashtable"),
    ] {
        assert_eq!(
            cmd(&mut c, &["OBJECT", "ENCODING", key]),
            bulk(enc),
            "{key}"
        );
    }
    let long = "x".repeat(65);
    assert_eq!(cmd(&mut c, &["HSET", "h", "long", &long]), int(1));
    assert_eq!(cmd(&mut c, &["OBJECT", "ENCODING", "h"]), bulk("hashtable"));
    assert_eq!(cmd(&mut c, &["HDEL", "h", "long"]), int(1));
    assert_eq!(
        cmd(&mut c, &["CONFIG", "SET", "hash-max-listpack-entries", "0"]),
        ok()
    );
    assert_eq!(cmd(&mut c, &["OBJECT", "ENCODING", "h"]), bulk("hashtable"));
    assert_eq!(
        cmd(&mut c, &["CONFIG", "GET", "hash-max-ziplist-entries"]),
        Reply::Array(Some(vec![bulk("hash-max-ziplist-entries"), bulk("0")]))
    );
    assert_eq!(cmd(&mut c, &["OBJECT", "ENCODING", "missing"]), nil());
    assert_eq!(cmd(&mut c, &["OBJECT", "REFCOUNT", "int"]), int(2147483647));
    assert_eq!(cmd(&mut c, &["OBJECT", "REFCOUNT", "h"]), int(1));
    assert_eq!(cmd(&mut c, &["OBJECT", "IDLETIME", "h"]), int(0));
    assert!(
        matches!(cmd(&mut c, &["OBJECT", "FREQ", "h"]), Reply::Error(e) if e.starts_with("ERR An LFU"))
    );
    assert_eq!(
        cmd(&mut c, &["OBJECT", "FOO", "h"]),
        err("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    );
    assert_eq!(
        cmd(&mut c, &["OBJECT", "ENCODING"]),
        err("ERR wrong number of arguments for 'object|encoding' command")
    );
    assert_eq!(items(cmd(&mut c, &["OBJECT", "HELP"])).len(), 15);
}

#[test]
fn collections_survive_a_restart_with_their_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let config = |d: &std::path::Path| kvs_server::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: d.to_path_buf(),
        compaction_interval: None,
        ..kvs_server::Config::default()
    };
    {
        let server = kvs_server::KvServer::start(config(dir.path())).unwrap();
        let mut c = connect(server.local_addr());
        let mut args = vec!["HSET".to_string(), "big".to_string()];
        for i in 0..2000 {
            args.push(format!("f{i}"));
            args.push(format!("v{i}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(cmd(&mut c, &args), int(2000));
        assert_eq!(cmd(&mut c, &["HDEL", "big", "f0", "f1"]), int(2));
        assert_eq!(cmd(&mut c, &["SADD", "s", "a", "b", "c"]), int(3));
        assert_eq!(cmd(&mut c, &["SREM", "s", "b"]), int(1));
        assert_eq!(cmd(&mut c, &["EXPIRE", "s", "1000"]), int(1));
        assert_eq!(cmd(&mut c, &["HSET", "gone", "f", "v"]), int(1));
        assert_eq!(cmd(&mut c, &["DEL", "gone"]), int(1));
        assert_eq!(
            cmd(&mut c, &["BGREWRITEAOF"]),
            simple("Background append only file rewriting started")
        );
    }
    let server = kvs_server::KvServer::start(config(dir.path())).unwrap();
    let mut c = connect(server.local_addr());
    assert_eq!(cmd(&mut c, &["HLEN", "big"]), int(1998));
    assert_eq!(cmd(&mut c, &["HGET", "big", "f1999"]), bulk("v1999"));
    assert_eq!(cmd(&mut c, &["HEXISTS", "big", "f1"]), int(0));
    assert_eq!(
        sorted_strings(cmd(&mut c, &["SMEMBERS", "s"])),
        vec!["a", "c"]
    );
    assert!((990..=1000).contains(&int_of(&cmd(&mut c, &["TTL", "s"]))));
    assert_eq!(cmd(&mut c, &["EXISTS", "gone"]), int(0));
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(2));
}
