//! The limits of a hash or set, and arguments at their edges: a collection refuses new
//! elements past its limit (2^32 − 1; lowered here to a handful through `Config`) with one
//! error and nothing of the command written; existing elements still change; a reply that
//! would pass 1 GiB is refused before it is built; integer and float edges of HINCRBY and
//! HINCRBYFLOAT answer Redis' errors and leave the field as it was.

mod common;

use common::*;

const FULL: &str = "ERR a hash, set or list may hold at most 3 elements";

#[test]
fn a_full_collection_refuses_new_elements_whole_and_keeps_serving() {
    let (_server, addr, _dir) = start_with(|c| c.max_collection_elements = 3);
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "b", "c"]), int(3));
    // Members already there, or named twice, add nothing: allowed at the limit.
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "b", "a"]), int(0));
    // One new member too many: the whole command is refused, even its members already there.
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "d"]), err(FULL));
    assert_eq!(
        sorted_strings(cmd(&mut c, &["SMEMBERS", "s"])),
        ["a", "b", "c"]
    );
    // A new set over the limit in one command is not created at all.
    assert_eq!(cmd(&mut c, &["SADD", "t", "1", "2", "3", "4"]), err(FULL));
    assert_eq!(cmd(&mut c, &["EXISTS", "t"]), int(0));
    // SMOVE into a full set fails before the source loses the member.
    assert_eq!(cmd(&mut c, &["SADD", "src", "d"]), int(1));
    assert_eq!(cmd(&mut c, &["SMOVE", "src", "s", "d"]), err(FULL));
    assert_eq!(cmd(&mut c, &["SISMEMBER", "src", "d"]), int(1));
    // SUNIONSTORE with a result past the limit leaves the destination as it was.
    assert_eq!(cmd(&mut c, &["SET", "dest", "kept"]), ok());
    assert_eq!(cmd(&mut c, &["SUNIONSTORE", "dest", "s", "src"]), err(FULL));
    assert_eq!(cmd(&mut c, &["GET", "dest"]), bulk("kept"));

    assert_eq!(
        cmd(&mut c, &["HSET", "h", "f1", "1", "f2", "2", "f3", "3"]),
        int(3)
    );
    assert_eq!(cmd(&mut c, &["HSET", "h", "f1", "x", "f4", "4"]), err(FULL));
    assert_eq!(cmd(&mut c, &["HGET", "h", "f1"]), bulk("1"));
    // Changing existing fields is no new element.
    assert_eq!(cmd(&mut c, &["HSET", "h", "f1", "x"]), int(0));
    assert_eq!(cmd(&mut c, &["HINCRBY", "h", "f2", "5"]), int(7));
    assert_eq!(cmd(&mut c, &["HINCRBY", "h", "f9", "5"]), err(FULL));
    assert_eq!(cmd(&mut c, &["HSETNX", "h", "f9", "5"]), err(FULL));
    assert_eq!(cmd(&mut c, &["HSETNX", "h", "f1", "5"]), int(0));
    assert_eq!(cmd(&mut c, &["HLEN", "h"]), int(3));
    // After a removal there is room again.
    assert_eq!(cmd(&mut c, &["HDEL", "h", "f3"]), int(1));
    assert_eq!(cmd(&mut c, &["HSET", "h", "f4", "4"]), int(1));
    // Inside MULTI the error is that command's reply; the others run.
    assert_eq!(cmd(&mut c, &["MULTI"]), ok());
    assert_eq!(cmd(&mut c, &["SADD", "s", "zz"]), simple("QUEUED"));
    assert_eq!(cmd(&mut c, &["SREM", "s", "a"]), simple("QUEUED"));
    assert_eq!(items(cmd(&mut c, &["EXEC"])), vec![err(FULL), int(1)]);
    assert_eq!(cmd(&mut c, &["SCARD", "s"]), int(2));

    // Lists: a push past the limit is refused whole, as are LINSERT and LMOVE into a full list.
    assert_eq!(cmd(&mut c, &["RPUSH", "l", "a", "b"]), int(2));
    assert_eq!(cmd(&mut c, &["RPUSH", "l", "c", "d"]), err(FULL));
    assert_eq!(cmd(&mut c, &["LRANGE", "l", "0", "-1"]), bulks(&["a", "b"]));
    assert_eq!(cmd(&mut c, &["LINSERT", "l", "BEFORE", "b", "x"]), int(3));
    assert_eq!(
        cmd(&mut c, &["LINSERT", "l", "BEFORE", "b", "y"]),
        err(FULL)
    );
    assert_eq!(cmd(&mut c, &["RPUSH", "m", "z"]), int(1));
    assert_eq!(cmd(&mut c, &["LMOVE", "m", "l", "LEFT", "LEFT"]), err(FULL));
    assert_eq!(cmd(&mut c, &["LRANGE", "m", "0", "-1"]), bulks(&["z"]));
    assert_eq!(
        cmd(&mut c, &["LRANGE", "l", "0", "-1"]),
        bulks(&["a", "x", "b"])
    );
    // A rotation of a full list adds nothing.
    assert_eq!(cmd(&mut c, &["RPOPLPUSH", "l", "l"]), bulk("b"));
}

#[test]
fn random_draws_with_repeats_are_capped_by_reply_size() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["SADD", "s", "a", "b"]), int(2));
    assert_eq!(cmd(&mut c, &["HSET", "h", "f", "v"]), int(1));
    // Each draw adds at least 6 bytes: this many could not fit in 1 GiB, refused at once.
    assert_eq!(
        cmd(&mut c, &["SRANDMEMBER", "s", "-1000000000000"]),
        err("ERR SRANDMEMBER reply exceeds 1073741824 bytes; ask for fewer members")
    );
    assert_eq!(
        cmd(&mut c, &["HRANDFIELD", "h", "-1000000000000"]),
        err("ERR HRANDFIELD reply exceeds 1073741824 bytes; ask for fewer fields")
    );
    // Redis' range error for LONG_MIN; the largest positive count is the whole set.
    assert_eq!(
        cmd(&mut c, &["SRANDMEMBER", "s", "-9223372036854775808"]),
        err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    );
    assert_eq!(
        sorted_strings(cmd(&mut c, &["SRANDMEMBER", "s", "9223372036854775807"])),
        ["a", "b"]
    );
    assert_eq!(
        sorted_strings(cmd(&mut c, &["SPOP", "s", "9223372036854775807"])),
        ["a", "b"]
    );
    assert_eq!(cmd(&mut c, &["EXISTS", "s"]), int(0));
    assert_eq!(cmd(&mut c, &["PING"]), simple("PONG"));
}

#[test]
fn increments_at_the_edges_answer_redis_errors_and_change_nothing() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    assert_eq!(
        cmd(
            &mut c,
            &["HSET", "h", "n", "9223372036854775806", "f", "1.5"]
        ),
        int(2)
    );
    assert_eq!(cmd(&mut c, &["HINCRBY", "h", "n", "1"]), int(i64::MAX));
    let overflow = err("ERR increment or decrement would overflow");
    assert_eq!(cmd(&mut c, &["HINCRBY", "h", "n", "1"]), overflow);
    assert_eq!(
        cmd(&mut c, &["HSET", "h", "m", "-9223372036854775808"]),
        int(1)
    );
    assert_eq!(cmd(&mut c, &["HINCRBY", "h", "m", "-1"]), overflow);
    assert_eq!(
        cmd(&mut c, &["HINCRBY", "h", "n", "9223372036854775808"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        cmd(&mut c, &["HGET", "h", "n"]),
        bulk("9223372036854775807")
    );
    assert_eq!(
        cmd(&mut c, &["HGET", "h", "m"]),
        bulk("-9223372036854775808")
    );
    for bad in ["nan", "NaN", "inf", "-inf", "+inf", "1e5000x", ""] {
        let r = cmd(&mut c, &["HINCRBYFLOAT", "h", "f", bad]);
        assert!(
            matches!(&r, kvs_server::resp_client::Reply::Error(_)),
            "HINCRBYFLOAT {bad:?} gave {r:?}"
        );
    }
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "h", "f", "nan"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "h", "f", "inf"]),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(cmd(&mut c, &["HGET", "h", "f"]), bulk("1.5"));
    // A field holding text is not a number; the field is left as it was.
    assert_eq!(cmd(&mut c, &["HSET", "h", "t", "abc"]), int(1));
    assert_eq!(
        cmd(&mut c, &["HINCRBYFLOAT", "h", "t", "1"]),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        cmd(&mut c, &["HINCRBY", "h", "t", "1"]),
        err("ERR hash value is not an integer")
    );
    assert_eq!(cmd(&mut c, &["HGET", "h", "t"]), bulk("abc"));
}
