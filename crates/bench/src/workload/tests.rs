//! The templates and `--verify`'s expectations, test by test.

use super::*;
use kvs_server::resp::{Limits, Parser};

fn spec(keyspace: Option<u64>, verify: Option<u64>) -> DataSpec {
    DataSpec {
        data_size: 5,
        keyspace,
        verify,
        pipeline: 4,
        multi: false,
    }
}

fn parse_all(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut parser = Parser::new(Limits::default());
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(cmd) = parser.parse(&mut buf, true).expect("valid RESP") {
        out.push(
            cmd.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
        );
    }
    assert!(buf.is_empty());
    out
}

#[test]
fn fixed_requests_are_redis_benchmark_shaped() {
    let w = Written::new(1);
    let mut set = ConnWorkload::new(TestKind::Set, 0, &spec(None, None), &w);
    let cmds = parse_all(set.requests(0, 3, Wrap::NONE));
    assert_eq!(cmds.len(), 3);
    assert_eq!(cmds[0], ["SET", "key:__rand_int__", "xxxxx"]);
    let mut mset = ConnWorkload::new(TestKind::Mset, 0, &spec(None, None), &w);
    let cmds = parse_all(mset.requests(0, 1, Wrap::NONE));
    assert_eq!(cmds[0].len(), 1 + 2 * MULTI_KEYS);
}

#[test]
fn random_keys_stay_in_keyspace() {
    let w = Written::new(1);
    let mut get = ConnWorkload::new(TestKind::Get, 0, &spec(Some(100), None), &w);
    for seq in 0..50 {
        for cmd in parse_all(get.requests(seq, 4, Wrap::NONE)) {
            let k: u64 = cmd[1].strip_prefix("key:").unwrap().parse().unwrap();
            assert!(k < 100);
            assert_eq!(cmd[1].len(), 4 + 12);
        }
    }
}

#[test]
fn verify_round_trip() {
    let w = Written::new(2);
    let s = spec(Some(3), Some(42));
    let mut set = ConnWorkload::new(TestKind::Set, 1, &s, &w);
    let cmds = parse_all(set.requests(0, 2, Wrap::NONE));
    assert_eq!(cmds[0][1], format!("kvsbench:{:016x}:1:000000000000", 42));
    assert_eq!(cmds[1][1], format!("kvsbench:{:016x}:1:000000000001", 42));
    assert!(set.check(0, b"+OK\r\n").is_ok());
    set.note_written(2, &w);
    let v1 = cmds[1][2].clone();

    let mut get = ConnWorkload::new(TestKind::Get, 1, &s, &w);
    let cmds = parse_all(get.requests(1, 2, Wrap::NONE));
    assert_eq!(cmds[0][1], format!("kvsbench:{:016x}:1:000000000001", 42));
    assert_eq!(cmds[1][1], format!("kvsbench:{:016x}:1:000000000000", 42));
    let reply = format!("${}\r\n{v1}\r\n", v1.len());
    assert!(get.check(1, reply.as_bytes()).is_ok());
    assert!(
        get.check(2, reply.as_bytes()).is_err(),
        "key 0 has another value"
    );
    assert!(get.check(1, b"$-1\r\n").is_err());

    // Client 0 wrote nothing: its GETs expect nil.
    let mut get0 = ConnWorkload::new(TestKind::Get, 0, &s, &w);
    assert!(get0.check(0, b"$-1\r\n").is_ok());

    let mut incr = ConnWorkload::new(TestKind::Incr, 1, &s, &w);
    assert!(incr.check(0, b":1\r\n").is_ok());
    assert!(incr.check(3, b":2\r\n").is_ok());
    assert!(incr.check(4, b":1\r\n").is_err());

    let mut del = ConnWorkload::new(TestKind::Del, 1, &s, &w);
    assert!(del.check(1, b":1\r\n").is_ok());
    assert!(del.check(2, b":0\r\n").is_ok());
}

fn nonce_key(idx: usize, rest: &str) -> String {
    format!("kvsbench:{:016x}:{idx}:{rest}", 42)
}

fn element(k: u64) -> String {
    format!("element:{k:012}")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

#[test]
fn collection_requests_are_redis_benchmark_shaped() {
    let w = Written::new(1);
    let s = DataSpec {
        data_size: 3,
        ..spec(None, None)
    };
    let mut hset = ConnWorkload::new(TestKind::Hset, 0, &s, &w);
    // Byte for byte what `redis-benchmark -t hset` sends, but for the value's letters (its
    // are random, of the same length).
    assert_eq!(
        hset.requests(0, 1, Wrap::NONE),
        b"*4\r\n$4\r\nHSET\r\n$6\r\nmyhash\r\n$20\r\nelement:__rand_int__\r\n$3\r\nxxx\r\n"
    );
    let mut sadd = ConnWorkload::new(TestKind::Sadd, 0, &s, &w);
    assert_eq!(
        sadd.requests(0, 1, Wrap::NONE),
        b"*3\r\n$4\r\nSADD\r\n$5\r\nmyset\r\n$20\r\nelement:__rand_int__\r\n"
    );
    let one = |kind| {
        let mut wl = ConnWorkload::new(kind, 0, &s, &w);
        parse_all(wl.requests(0, 1, Wrap::NONE)).remove(0)
    };
    assert_eq!(
        one(TestKind::Hget),
        ["HGET", "myhash", "element:__rand_int__"]
    );
    assert_eq!(
        one(TestKind::Sismember),
        ["SISMEMBER", "myset", "element:__rand_int__"]
    );
    assert_eq!(one(TestKind::Smembers), ["SMEMBERS", "myset:small"]);
    assert_eq!(one(TestKind::Hgetall), ["HGETALL", "myhash:small"]);
    assert_eq!(ConnWorkload::new(TestKind::Hset, 0, &s, &w).setup().1, 0);
}

#[test]
fn small_collections_are_made_by_the_setup() {
    let w = Written::new(1);
    let s = spec(None, None);
    let smembers = ConnWorkload::new(TestKind::Smembers, 0, &s, &w);
    let (bytes, replies) = smembers.setup();
    let cmds = parse_all(bytes);
    assert_eq!(replies, cmds.len());
    assert_eq!(cmds[0], ["DEL", "myset:small"]);
    let members: Vec<String> = (0..SMALL_ELEMENTS).map(element).collect();
    assert_eq!(cmds[1][..2], ["SADD", "myset:small"]);
    assert_eq!(cmds[1][2..], members[..]);

    let hgetall = ConnWorkload::new(TestKind::Hgetall, 0, &s, &w);
    let (bytes, replies) = hgetall.setup();
    let cmds = parse_all(bytes);
    assert_eq!(replies, 2);
    assert_eq!(cmds[0], ["DEL", "myhash:small"]);
    assert_eq!(cmds[1].len(), 2 + 2 * SMALL_ELEMENTS as usize);
    assert_eq!(cmds[1][2], element(0));
    assert_eq!(cmds[1][3], "xxxxx", "-d bytes");
    assert_eq!(cmds[1][21], "xxxxx");
}

#[test]
fn random_fields_and_members_vary_not_the_key() {
    let w = Written::new(1);
    for kind in [
        TestKind::Hset,
        TestKind::Hget,
        TestKind::Sadd,
        TestKind::Sismember,
    ] {
        let mut wl = ConnWorkload::new(kind, 0, &spec(Some(100), None), &w);
        let mut seen = std::collections::BTreeSet::new();
        for cmd in parse_all(wl.requests(0, 4, Wrap::NONE).to_vec().as_slice())
            .into_iter()
            .chain((1..40).flat_map(|seq| parse_all(wl.requests(seq, 4, Wrap::NONE))))
        {
            assert!(cmd[1] == "myhash" || cmd[1] == "myset", "{cmd:?}");
            let k: u64 = cmd[2].strip_prefix("element:").unwrap().parse().unwrap();
            assert!(k < 100);
            assert_eq!(cmd[2].len(), 8 + 12);
            seen.insert(k);
        }
        assert!(seen.len() > 10, "{kind:?}: random fields, got {seen:?}");
    }
}

#[test]
fn multi_wraps_each_batch() {
    let w = Written::new(1);
    let multi = |keyspace| DataSpec {
        multi: true,
        ..spec(keyspace, None)
    };
    // Prebuilt (nothing varies) and patched (-r) batches alike.
    for keyspace in [None, Some(10)] {
        let mut set = ConnWorkload::new(TestKind::Set, 0, &multi(keyspace), &w);
        let cmds = parse_all(set.requests(0, 4, Wrap::WHOLE));
        let names: Vec<&str> = cmds.iter().map(|c| c[0].as_str()).collect();
        assert_eq!(names, ["MULTI", "SET", "SET", "SET", "SET", "EXEC"]);
        assert_eq!(cmds[0].len(), 1);
        assert_eq!(cmds[5].len(), 1);
        // A shorter batch than the prebuilt one.
        let cmds = parse_all(set.requests(4, 2, Wrap::WHOLE));
        let names: Vec<&str> = cmds.iter().map(|c| c[0].as_str()).collect();
        assert_eq!(names, ["MULTI", "SET", "SET", "EXEC"]);
        // A transaction spread over two sends.
        let first = parse_all(set.requests(
            6,
            2,
            Wrap {
                begin: true,
                end: false,
            },
        ));
        assert_eq!(first.len(), 3);
        assert_eq!(first[0], ["MULTI"]);
        let second = parse_all(set.requests(
            8,
            1,
            Wrap {
                begin: false,
                end: true,
            },
        ));
        assert_eq!(second.len(), 2);
        assert_eq!(second[1], ["EXEC"]);
    }
    // Without --multi the wrap is ignored.
    let mut set = ConnWorkload::new(TestKind::Set, 0, &spec(None, None), &w);
    let cmds = parse_all(set.requests(0, 2, Wrap::WHOLE));
    assert!(cmds.iter().all(|c| c[0] == "SET"), "{cmds:?}");
}

#[test]
fn verify_hash_round_trip() {
    let w = Written::new(2);
    let s = spec(Some(3), Some(42));
    let mut hset = ConnWorkload::new(TestKind::Hset, 1, &s, &w);
    let cmds = parse_all(hset.requests(0, 4, Wrap::NONE));
    assert_eq!(cmds[0][1], nonce_key(1, "hash"));
    assert_eq!(cmds[0][2], element(0));
    assert_eq!(cmds[1][2], element(1));
    assert_eq!(cmds[3][2], element(0), "wraps at -r");
    let v1 = cmds[1][3].clone();
    assert_eq!(v1.len(), 5);
    assert_eq!(cmds[3][3], cmds[0][3], "a field's value is always the same");
    // New fields count 1, overwrites 0.
    assert!(hset.check(0, b":1\r\n").is_ok());
    assert!(hset.check(2, b":1\r\n").is_ok());
    assert!(hset.check(2, b":0\r\n").is_err());
    assert!(hset.check(3, b":0\r\n").is_ok());
    assert!(hset.check(3, b":1\r\n").is_err());
    hset.note_written(2, &w);

    let mut hget = ConnWorkload::new(TestKind::Hget, 1, &s, &w);
    let cmds = parse_all(hget.requests(1, 2, Wrap::NONE));
    assert_eq!(cmds[0], ["HGET", &nonce_key(1, "hash"), &element(1)]);
    assert_eq!(cmds[1][2], element(0), "reads cycle over the 2 written");
    assert!(hget.check(1, bulk(&v1).as_bytes()).is_ok());
    assert!(
        hget.check(2, bulk(&v1).as_bytes()).is_err(),
        "field 0 differs"
    );
    assert!(hget.check(1, b"$-1\r\n").is_err());

    // Strings and hash fields are counted and valued apart.
    let mut get = ConnWorkload::new(TestKind::Get, 1, &s, &w);
    assert!(get.check(1, b"$-1\r\n").is_ok(), "no SET ran");
    let mut set = ConnWorkload::new(TestKind::Set, 1, &s, &w);
    let string_v1 = parse_all(set.requests(1, 1, Wrap::NONE))[0][2].clone();
    assert_ne!(string_v1, v1);
    // Client 0 wrote no field.
    let mut hget0 = ConnWorkload::new(TestKind::Hget, 0, &s, &w);
    assert!(hget0.check(0, b"$-1\r\n").is_ok());
}

#[test]
fn verify_set_round_trip() {
    let w = Written::new(2);
    let s = spec(Some(3), Some(42));
    let mut sadd = ConnWorkload::new(TestKind::Sadd, 1, &s, &w);
    let cmds = parse_all(sadd.requests(0, 2, Wrap::NONE));
    assert_eq!(cmds[1], ["SADD", &nonce_key(1, "set"), &element(1)]);
    assert!(sadd.check(1, b":1\r\n").is_ok());
    assert!(sadd.check(1, b":0\r\n").is_err());
    assert!(sadd.check(4, b":0\r\n").is_ok(), "member 1 again");
    sadd.note_written(2, &w);

    // Members 0 and 1 were added, 2 was not: SISMEMBER alternates them, 0, 2, 1, 2, 0...
    let mut sismember = ConnWorkload::new(TestKind::Sismember, 1, &s, &w);
    let cmds = parse_all(sismember.requests(0, 5, Wrap::NONE));
    let asked: Vec<&str> = cmds.iter().map(|c| c[2].as_str()).collect();
    assert_eq!(
        asked,
        [element(0), element(2), element(1), element(2), element(0)]
    );
    assert!(sismember.check(0, b":1\r\n").is_ok());
    assert!(sismember.check(1, b":0\r\n").is_ok());
    assert!(sismember.check(1, b":1\r\n").is_err());
    assert!(sismember.check(2, b":1\r\n").is_ok());
    assert!(sismember.check(2, b":0\r\n").is_err());
    // A full set (every member of -r added): every request hits.
    let full = ConnWorkload::new(TestKind::Sadd, 0, &s, &w);
    full.note_written(7, &w);
    let mut sismember_full = ConnWorkload::new(TestKind::Sismember, 0, &s, &w);
    for seq in 0..6 {
        assert!(sismember_full.check(seq, b":1\r\n").is_ok(), "{seq}");
    }
    // A client that added nothing: every member is absent.
    let w2 = Written::new(1);
    let mut sismember0 = ConnWorkload::new(TestKind::Sismember, 0, &s, &w2);
    assert_eq!(
        parse_all(sismember0.requests(5, 1, Wrap::NONE))[0][2],
        element(2)
    );
    assert!(sismember0.check(5, b":0\r\n").is_ok());
    assert!(sismember0.check(5, b":1\r\n").is_err());
}

#[test]
fn verify_small_collections_in_any_order() {
    let w = Written::new(1);
    let s = spec(None, Some(42));
    let mut smembers = ConnWorkload::new(TestKind::Smembers, 0, &s, &w);
    let setup = parse_all(smembers.setup().0);
    assert_eq!(setup[0], ["DEL", &nonce_key(0, "set:small")]);
    assert_eq!(
        parse_all(smembers.requests(0, 1, Wrap::NONE))[0],
        ["SMEMBERS", &nonce_key(0, "set:small")]
    );
    let mut members = setup[1][2..].to_vec();
    members.reverse();
    let reply = |items: &[String]| {
        let mut r = format!("*{}\r\n", items.len());
        for m in items {
            r += &bulk(m);
        }
        r
    };
    assert!(smembers.check(0, reply(&members).as_bytes()).is_ok());
    assert!(smembers.check(0, reply(&members[1..]).as_bytes()).is_err());
    // RESP3 answers a set.
    let resp3 = reply(&members).replacen('*', "~", 1);
    assert!(smembers.check(0, resp3.as_bytes()).is_ok());

    let mut hgetall = ConnWorkload::new(TestKind::Hgetall, 0, &s, &w);
    let setup = parse_all(hgetall.setup().0);
    assert_eq!(setup[1][1], nonce_key(0, "hash:small"));
    let pairs: Vec<&[String]> = setup[1][2..].chunks(2).rev().collect();
    let flat: Vec<String> = pairs.concat();
    assert_ne!(setup[1][3], setup[1][5], "values differ per field");
    assert!(hgetall.check(0, reply(&flat).as_bytes()).is_ok());
    let mut swapped = flat.clone();
    swapped.swap(1, 3);
    assert!(hgetall.check(0, reply(&swapped).as_bytes()).is_err());
    assert!(hgetall.check(0, b"*0\r\n").is_err());
}
