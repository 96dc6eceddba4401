//! HRANDFIELD and HSCAN end to end, against the replies and error texts of Redis 7.0 (each
//! checked against a real redis-server): what they pick or list, their argument checks and the
//! order Redis makes them in, and a hash written earlier in the same transaction.

mod common;

use std::collections::BTreeSet;

use common::hashes::*;
use common::*;
use kvs_server::resp_client::Reply;

#[test]
fn hrandfield_picks_distinct_fields_or_draws_with_repeats() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(hset_range(&mut c, "h", 0, 5), int(5));
    let fields: BTreeSet<String> = (0..5).map(|i| format!("f{i}")).collect();
    let mut seen = BTreeSet::new();
    for _ in 0..100 {
        let f = text(&cmd(&mut c, &["HRANDFIELD", "h"]));
        assert!(fields.contains(&f), "{f}");
        seen.insert(f);
    }
    assert_eq!(seen, fields, "100 draws reach every one of 5 fields");
    for count in ["1", "3", "4"] {
        let got = sorted_strings(cmd(&mut c, &["HRANDFIELD", "h", count]));
        let distinct: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(got.len(), count.parse::<usize>().unwrap());
        assert_eq!(distinct.len(), got.len(), "distinct: {got:?}");
        assert!(distinct.is_subset(&fields));
    }
    for count in ["5", "6", "1000"] {
        let got: BTreeSet<String> = sorted_strings(cmd(&mut c, &["HRANDFIELD", "h", count]))
            .into_iter()
            .collect();
        assert_eq!(got, fields, "the whole hash for {count}");
    }
    let drawn = sorted_strings(cmd(&mut c, &["HRANDFIELD", "h", "-20"]));
    assert_eq!(drawn.len(), 20);
    assert!(drawn.iter().all(|f| fields.contains(f)));
    // WITHVALUES: each field followed by its own value.
    for (count, n) in [("3", 3), ("9", 5), ("-7", 7)] {
        let got = pairs(cmd(&mut c, &["HRANDFIELD", "h", count, "withvalues"]));
        assert_eq!(got.len(), n, "{count}");
        assert!(
            got.iter()
                .all(|(f, v)| f[1..] == v[1..] && fields.contains(f))
        );
    }
    assert_eq!(cmd(&mut c, &["HRANDFIELD", "h", "0"]), bulks(&[]));
    assert_eq!(
        cmd(&mut c, &["HRANDFIELD", "h", "0", "WITHVALUES"]),
        bulks(&[])
    );
    assert_eq!(cmd(&mut c, &["HRANDFIELD", "nokey"]), nil());
    assert_eq!(cmd(&mut c, &["HRANDFIELD", "nokey", "5"]), bulks(&[]));
    assert_eq!(
        cmd(&mut c, &["HRANDFIELD", "nokey", "-5", "WITHVALUES"]),
        bulks(&[])
    );
    // Errors come before the key is looked up, in hrandfieldCommand's order.
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(cmd(&mut c, &["HRANDFIELD", "nokey", "x"]), not_int);
    assert_eq!(
        cmd(&mut c, &["HRANDFIELD", "h", "9223372036854775808"]),
        not_int
    );
    let range = "ERR value is out of range, value must between -9223372036854775807 and \
                 9223372036854775807";
    assert_eq!(
        cmd(&mut c, &["HRANDFIELD", "h", "-9223372036854775808"]),
        err(range)
    );
    let syntax = err("ERR syntax error");
    assert_eq!(cmd(&mut c, &["HRANDFIELD", "h", "1", "x"]), syntax);
    assert_eq!(
        cmd(&mut c, &["HRANDFIELD", "nokey", "1", "WITHVALUES", "x"]),
        syntax
    );
    let out_of_range = err("ERR value is out of range");
    for count in [
        "4611686018427387904",
        "-4611686018427387904",
        "-9223372036854775807",
    ] {
        let r = cmd(&mut c, &["HRANDFIELD", "h", count, "WITHVALUES"]);
        assert_eq!(r, out_of_range, "{count}");
    }
    // A negative count whose reply can only pass 1 GiB is refused before anything is built: a
    // deliberate difference (Redis builds that reply until it runs out of memory).
    let too_large = err("ERR HRANDFIELD reply exceeds 1073741824 bytes; ask for fewer fields");
    for count in ["-9223372036854775807", "-200000000"] {
        assert_eq!(
            cmd(&mut c, &["HRANDFIELD", "h", count]),
            too_large,
            "{count}"
        );
    }
    let r = cmd(
        &mut c,
        &["HRANDFIELD", "h", "-4611686018427387903", "WITHVALUES"],
    );
    assert_eq!(r, too_large);
    let edge = pairs(cmd(
        &mut c,
        &["HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"],
    ));
    assert_eq!(edge.len(), 5);
}

#[test]
fn hrandfield_on_a_hash_written_in_the_same_transaction() {
    // A batch that wrote the hash reads its field list through the batch: both ways of reading
    // it (one field at a time for a few picks, the whole list for many) must agree.
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(hset_range(&mut c, "h", 0, 100), int(100));
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    for args in [
        &["HDEL", "h", "f0", "f1"][..],
        &["HSET", "h", "fnew", "vnew"],
        &["HRANDFIELD", "h", "10"],
        &["HRANDFIELD", "h", "80", "WITHVALUES"],
        &["HRANDFIELD", "h", "-300"],
        &["HRANDFIELD", "h", "500"],
    ] {
        assert_eq!(cmd(&mut c, args), simple("QUEUED"));
    }
    let mut exec = items(cmd(&mut c, &["EXEC"])).into_iter().skip(2);
    let mut fields: BTreeSet<String> = (2..100).map(|i| format!("f{i}")).collect();
    fields.insert("fnew".into());
    let few = sorted_strings(exec.next().unwrap());
    assert_eq!(few.iter().collect::<BTreeSet<_>>().len(), 10);
    assert!(few.iter().all(|f| fields.contains(f)), "{few:?}");
    let many = pairs(exec.next().unwrap());
    assert_eq!(many.iter().map(|p| &p.0).collect::<BTreeSet<_>>().len(), 80);
    assert!(
        many.iter()
            .all(|(f, v)| fields.contains(f) && v[1..] == f[1..])
    );
    let drawn = sorted_strings(exec.next().unwrap());
    assert_eq!(drawn.len(), 300);
    assert!(drawn.iter().all(|f| fields.contains(f)));
    let all: BTreeSet<String> = sorted_strings(exec.next().unwrap()).into_iter().collect();
    assert_eq!(all, fields);
}

#[test]
fn hscan_returns_the_whole_hash_with_cursor_0() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut args = vec!["HSET", "h", "a1", "1", "a2", "2", "a3", "3", "b1", "4"];
    assert_eq!(cmd(&mut c, &args), int(4));
    // (cursor, sorted pairs)
    let mut scan = |args: &[&str]| {
        let mut r = items(cmd(&mut c, args)).into_iter();
        let cursor = text(&r.next().unwrap());
        (cursor, pairs(r.next().unwrap()))
    };
    let all = owned(&[("a1", "1"), ("a2", "2"), ("a3", "3"), ("b1", "4")]);
    assert_eq!(scan(&["HSCAN", "h", "0"]), ("0".into(), all.clone()));
    // COUNT bounds nothing here: one call returns everything (as Redis does for small hashes).
    assert_eq!(
        scan(&["HSCAN", "h", "0", "COUNT", "1"]),
        ("0".into(), all.clone())
    );
    assert_eq!(
        scan(&["HSCAN", "h", "0", "MATCH", "*"]),
        ("0".into(), all.clone())
    );
    let a = all[..3].to_vec();
    assert_eq!(scan(&["HSCAN", "h", "0", "match", "a*"]), ("0".into(), a));
    let b = all[3..].to_vec();
    let last_match_wins = [
        "HSCAN", "h", "0", "MATCH", "a*", "COUNT", "5", "MATCH", "?1",
    ];
    let ones = owned(&[("a1", "1"), ("b1", "4")]);
    assert_eq!(scan(&last_match_wins), ("0".into(), ones));
    assert_eq!(
        scan(&["HSCAN", "h", "0", "MATCH", "b[0-9]"]),
        ("0".into(), b)
    );
    assert_eq!(
        scan(&["HSCAN", "h", "0", "MATCH", "zz*"]),
        ("0".into(), vec![])
    );
    // Any cursor strtoul reads: a sign, leading zeros, the empty string, 2^64 - 1.
    for cursor in ["7", "+5", "-1", "", "007", "18446744073709551615"] {
        assert_eq!(
            scan(&["HSCAN", "h", cursor]),
            ("0".into(), all.clone()),
            "{cursor:?}"
        );
    }
    let empty = Reply::Array(Some(vec![bulk("0"), bulks(&[])]));
    assert_eq!(cmd(&mut c, &["HSCAN", "nokey", "0"]), empty);
    // A missing key answers before the options are read.
    assert_eq!(cmd(&mut c, &["HSCAN", "nokey", "0", "COUNT", "0"]), empty);
    let invalid = err("ERR invalid cursor");
    for cursor in ["abc", " 0", "0 ", "1.5", "0x1", "+", "18446744073709551616"] {
        assert_eq!(cmd(&mut c, &["HSCAN", "h", cursor]), invalid, "{cursor:?}");
    }
    assert_eq!(
        cmd(&mut c, &["HSCAN", "nokey", "x"]),
        invalid,
        "checked first"
    );
    let syntax = err("ERR syntax error");
    for opts in [
        &["COUNT", "0"][..],
        &["COUNT", "-1"],
        &["COUNT"],
        &["MATCH"],
        &["TYPE", "hash"],
        &["NOVALUES"],
        &["foo", "bar"],
        &["COUNT", "10", "MATCH"],
    ] {
        args = vec!["HSCAN", "h", "0"];
        args.extend(opts);
        assert_eq!(cmd(&mut c, &args), syntax, "{opts:?}");
    }
    let not_int = err("ERR value is not an integer or out of range");
    assert_eq!(cmd(&mut c, &["HSCAN", "h", "0", "COUNT", "x"]), not_int);
}
