//! The three places a read can run — on the looper when it cannot block (the default), always
//! on the looper (`--inline-reads`), always on a reader thread (`--reads-on-readers`) — give
//! the same replies, in request order, with every read seeing the writes pipelined before it.

mod common;

use common::*;
use kvs_server::Config;

/// The same session under one read path: raw RESP in, raw RESP out.
fn session(tweak: impl FnOnce(&mut Config)) -> Vec<u8> {
    let (_server, addr, _dir) = start_with(tweak);
    let mut raw = Raw::connect(addr);
    let big = "b".repeat(20 * 1024); // over the looper's 16 KiB limit: a reader's job
    let mut script: Vec<Vec<String>> = vec![
        vec!["SET".into(), "k1".into(), "v1".into()],
        vec!["SET".into(), "big".into(), big.clone()],
        vec![
            "SET".into(),
            "ttl".into(),
            "x".into(),
            "EX".into(),
            "100".into(),
        ],
    ];
    // Reads right behind writes in one pipeline must see them, whichever thread answers.
    for i in 0..50 {
        script.push(vec!["SET".into(), "k1".into(), format!("v{i}")]);
        script.push(vec!["GET".into(), "k1".into()]);
        script.push(vec![
            "MGET".into(),
            "k1".into(),
            "big".into(),
            "nope".into(),
        ]);
        script.push(vec![
            "EXISTS".into(),
            "k1".into(),
            "nope".into(),
            "big".into(),
        ]);
        script.push(vec!["STRLEN".into(), "big".into()]);
        script.push(vec![
            "GETRANGE".into(),
            "big".into(),
            "0".into(),
            "3".into(),
        ]);
        script.push(vec!["TYPE".into(), "k1".into()]);
        script.push(vec!["TTL".into(), "ttl".into()]);
        // Reads of a hash's fields and a set's members by name run where GETs do (on the
        // looper when no record can block: a 20 KiB field sends HMGET to a reader).
        let (f, m) = (format!("v{i}"), format!("m{i}"));
        script.push(vec![
            "HSET".into(),
            "h".into(),
            "f".into(),
            f.clone(),
            "bigf".into(),
            big.clone(),
        ]);
        script.push(vec!["HGET".into(), "h".into(), "f".into()]);
        script.push(vec![
            "HMGET".into(),
            "h".into(),
            "f".into(),
            "nope".into(),
            "bigf".into(),
        ]);
        script.push(vec!["HEXISTS".into(), "h".into(), "f".into()]);
        script.push(vec!["HSTRLEN".into(), "h".into(), "bigf".into()]);
        script.push(vec!["SADD".into(), "s".into(), m.clone()]);
        script.push(vec!["SISMEMBER".into(), "s".into(), m.clone()]);
        script.push(vec![
            "SMISMEMBER".into(),
            "s".into(),
            m.clone(),
            "nope".into(),
        ]);
        script.push(vec!["HGET".into(), "k1".into(), "f".into()]);
        script.push(vec!["DEL".into(), "h".into(), "s".into()]);
        script.push(vec!["HGET".into(), "h".into(), "f".into()]);
        script.push(vec!["SISMEMBER".into(), "s".into(), m]);
        script.push(vec!["DEL".into(), "k1".into()]);
        script.push(vec!["GET".into(), "k1".into()]);
        script.push(vec!["DBSIZE".into()]);
        // A keyspace walk right behind writes of the same pipeline sees them too.
        script.push(vec!["SET".into(), format!("new{i}"), "x".into()]);
        script.push(vec!["DEL".into(), "ttl".into()]);
        script.push(vec!["KEYS".into(), "*".into()]);
        script.push(vec![
            "SET".into(),
            "ttl".into(),
            "x".into(),
            "EX".into(),
            "100".into(),
        ]);
        script.push(vec!["DEL".into(), format!("new{i}")]);
        script.push(vec!["DBSIZE".into()]);
    }
    let mut bytes = Vec::new();
    for c in &script {
        bytes.extend_from_slice(format!("*{}\r\n", c.len()).as_bytes());
        for a in c {
            bytes.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
    }
    raw.send(&bytes);
    // The last reply of the script is DBSIZE's `:2` (big and ttl); count replies to know
    // when the whole pipeline has been answered.
    let replies = script.len();
    raw.read_until(|got| count_replies(got) >= replies)
}

/// Top-level RESP2 replies in `buf` (simple, error, integer, bulk; arrays of bulks and
/// integers).
fn count_replies(buf: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    let line = |i: usize| -> Option<(usize, &[u8])> {
        let end = buf.get(i..)?.windows(2).position(|w| w == b"\r\n")? + i;
        Some((end + 2, &buf[i..end]))
    };
    let bulk = |i: usize| -> Option<usize> {
        let (next, head) = line(i)?;
        let len: i64 = std::str::from_utf8(head.get(1..)?).ok()?.parse().ok()?;
        if len < 0 {
            return Some(next);
        }
        let end = next + len as usize + 2;
        (end <= buf.len()).then_some(end)
    };
    while i < buf.len() {
        let next = match buf[i] {
            b'$' => bulk(i),
            b'*' => line(i).and_then(|(mut j, head)| {
                let k: i64 = std::str::from_utf8(&head[1..]).ok()?.parse().ok()?;
                for _ in 0..k.max(0) {
                    // Bulks, or integers (SMISMEMBER).
                    j = match buf.get(j)? {
                        b'$' => bulk(j)?,
                        _ => line(j)?.0,
                    };
                }
                Some(j)
            }),
            _ => line(i).map(|(j, _)| j),
        };
        match next {
            Some(j) => {
                i = j;
                n += 1;
            }
            None => break,
        }
    }
    n
}

#[test]
fn every_read_path_gives_the_same_replies_in_order() {
    let default = session(|_| {});
    let on_readers = session(|c| c.reads_on_readers = true);
    let inline = session(|c| c.inline_reads = true);
    let tail = String::from_utf8_lossy(&default[default.len().saturating_sub(200)..]).into_owned();
    assert!(
        default.ends_with(b":2\r\n"),
        "the pipeline ran to its end: {tail:?}"
    );
    let s = String::from_utf8_lossy(&default);
    assert!(s.contains("$2\r\nv7\r\n"), "a GET saw the SET before it");
    // HMGET h f nope bigf right behind `HSET h f v7 bigf <20 KiB>`.
    assert!(
        s.contains("*3\r\n$2\r\nv7\r\n$-1\r\n$20480\r\n"),
        "an HMGET saw the HSET before it"
    );
    assert!(s.contains("*2\r\n:1\r\n:0\r\n"), "SMISMEMBER saw the SADD");
    assert!(s.contains("WRONGTYPE"), "HGET of a string");
    // KEYS right behind `SET new7` and `DEL ttl` (it runs on the writer, in their batch).
    assert!(
        s.contains("*2\r\n$3\r\nbig\r\n$4\r\nnew7\r\n"),
        "KEYS saw the SET and the DEL before it"
    );
    assert_eq!(default, on_readers, "default vs --reads-on-readers");
    assert_eq!(default, inline, "default vs --inline-reads");
}
