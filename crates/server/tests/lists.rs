//! Lists end to end (LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LRANGE): Redis 7.0's replies,
//! a pipeline of pushes and pops against a model, keyspace events, and the list surviving a
//! restart of the server.

mod common;

use std::collections::VecDeque;

use common::*;
use kvs_server::resp_client::{Reply, encode_command};

#[test]
fn a_pipeline_of_pushes_and_pops_follows_a_deque() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut model: VecDeque<String> = VecDeque::new();
    let mut pipeline = Vec::new();
    let mut expected = Vec::new();
    for i in 0..500 {
        let v = format!("v{i}");
        match i % 7 {
            0 | 3 => {
                pipeline.extend(encode_command(&[b"LPUSH", b"q", v.as_bytes()]));
                model.push_front(v);
                expected.push(int(model.len() as i64));
            }
            1 | 4 | 5 => {
                pipeline.extend(encode_command(&[b"RPUSH", b"q", v.as_bytes()]));
                model.push_back(v);
                expected.push(int(model.len() as i64));
            }
            2 => {
                pipeline.extend(encode_command(&[b"LPOP", b"q"]));
                expected.push(model.pop_front().map_or(nil(), |v| bulk(&v)));
            }
            _ => {
                pipeline.extend(encode_command(&[b"RPOP", b"q"]));
                expected.push(model.pop_back().map_or(nil(), |v| bulk(&v)));
            }
        }
    }
    c.send_raw(&pipeline).unwrap();
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&c.read_reply().unwrap(), want, "reply {i}");
    }
    let all: Vec<&str> = model.iter().map(String::as_str).collect();
    assert_eq!(cmd(&mut c, &["LRANGE", "q", "0", "-1"]), bulks(&all));
    assert_eq!(cmd(&mut c, &["LLEN", "q"]), int(model.len() as i64));
    assert_eq!(
        cmd(&mut c, &["LINDEX", "q", "-1"]),
        bulk(model.back().unwrap())
    );
}

#[test]
fn pops_that_empty_a_list_delete_it_and_publish_redis_events() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    cmd(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut l = connect(addr);
    cmd(&mut l, &["PSUBSCRIBE", "__keyevent@0__:*"]);
    assert_eq!(cmd(&mut c, &["RPUSH", "k", "a", "b"]), int(2));
    assert_eq!(cmd(&mut c, &["LPOP", "k", "5"]), bulks(&["a", "b"]));
    assert_eq!(cmd(&mut c, &["EXISTS", "k"]), int(0));
    assert_eq!(cmd(&mut c, &["LPOP", "k", "5"]), Reply::Array(None));
    for want in ["rpush", "lpop", "del"] {
        let r = items(l.read_reply().unwrap());
        assert_eq!(text(&r[2]), format!("__keyevent@0__:{want}"));
        assert_eq!(text(&r[3]), "k");
    }
}

#[test]
fn a_list_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let server = start_in(dir.path());
        let mut c = connect(server.local_addr());
        for i in 0..100 {
            let v = i.to_string();
            let side = if i % 2 == 0 { "LPUSH" } else { "RPUSH" };
            cmd(&mut c, &[side, "l", &v]);
        }
        cmd(&mut c, &["LPOP", "l"]);
        cmd(&mut c, &["RPOP", "l"]);
        drop(c);
        server.shutdown(std::time::Duration::from_secs(5)).unwrap();
    }
    let server = start_in(dir.path());
    let mut c = connect(server.local_addr());
    let mut model: VecDeque<String> = VecDeque::new();
    for i in 0..100 {
        if i % 2 == 0 {
            model.push_front(i.to_string());
        } else {
            model.push_back(i.to_string());
        }
    }
    model.pop_front();
    model.pop_back();
    let all: Vec<&str> = model.iter().map(String::as_str).collect();
    assert_eq!(cmd(&mut c, &["LRANGE", "l", "0", "-1"]), bulks(&all));
    drop(c);
    server.shutdown(std::time::Duration::from_secs(5)).unwrap();
}

/// A pipelined history of LINSERT (many at one place: gaps run out and are respaced), LREM,
/// LSET, LTRIM, LMOVE and RPOPLPUSH against a model, then a restart: the replies, the order and
/// the values all agree.
#[test]
fn middle_edits_follow_a_model_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut a: Vec<String> = (0..20).map(|i| format!("x{}", i % 5)).collect();
    let mut b: Vec<String> = Vec::new();
    let server = start_in(dir.path());
    let mut c = connect(server.local_addr());
    let mut setup: Vec<&str> = vec!["RPUSH", "a"];
    setup.extend(a.iter().map(String::as_str));
    assert_eq!(cmd(&mut c, &setup), int(20));
    let mut seed = 0x2545_f491_u64;
    let mut rand = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut pipeline = Vec::new();
    let mut expected = Vec::new();
    let mut send = |args: &[&str]| {
        let args: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        pipeline.extend(encode_command(&args));
    };
    for step in 0..800 {
        let v = format!("v{step}");
        match rand(11) {
            // LINSERT BEFORE the element at index 1: the same gap, again and again.
            0..=3 if a.len() >= 2 => {
                let pivot = a[1].clone();
                send(&["LINSERT", "a", "BEFORE", &pivot, &v]);
                let at = a.iter().position(|x| *x == pivot).unwrap();
                a.insert(at, v);
                expected.push(int(a.len() as i64));
            }
            4 => {
                let pivot = format!("x{}", rand(5));
                send(&["LINSERT", "a", "AFTER", &pivot, &v]);
                match a.iter().position(|x| *x == pivot) {
                    Some(at) => {
                        a.insert(at + 1, v);
                        expected.push(int(a.len() as i64));
                    }
                    None => expected.push(int(if a.is_empty() { 0 } else { -1 })),
                }
            }
            5 => {
                let target = format!("x{}", rand(5));
                let count = rand(5) as i64 - 2;
                send(&["LREM", "a", &count.to_string(), &target]);
                let limit = count.unsigned_abs() as usize;
                let order: Vec<usize> = if count < 0 {
                    (0..a.len()).rev().collect()
                } else {
                    (0..a.len()).collect()
                };
                let mut gone: Vec<usize> = order
                    .into_iter()
                    .filter(|&i| a[i] == target)
                    .take(if limit == 0 { usize::MAX } else { limit })
                    .collect();
                expected.push(int(gone.len() as i64));
                gone.sort_unstable();
                for i in gone.into_iter().rev() {
                    a.remove(i);
                }
            }
            6 if !a.is_empty() => {
                let i = rand(a.len());
                send(&["LSET", "a", &i.to_string(), &v]);
                a[i] = v;
                expected.push(ok());
            }
            7 => {
                send(&["LMOVE", "a", "b", "LEFT", "RIGHT"]);
                if a.is_empty() {
                    expected.push(nil());
                } else {
                    let e = a.remove(0);
                    expected.push(bulk(&e));
                    b.push(e);
                }
            }
            8 => {
                send(&["RPOPLPUSH", "a", "a"]);
                match a.pop() {
                    Some(e) => {
                        expected.push(bulk(&e));
                        a.insert(0, e);
                    }
                    None => expected.push(nil()),
                }
            }
            9 if a.len() > 40 => {
                send(&["LTRIM", "a", "2", "-9"]);
                a.truncate(a.len() - 8);
                a.drain(..2);
                expected.push(ok());
            }
            _ => {
                let x = format!("x{}", rand(5));
                send(&["RPUSH", "a", &x]);
                a.push(x);
                expected.push(int(a.len() as i64));
            }
        }
    }
    c.send_raw(&pipeline).unwrap();
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&c.read_reply().unwrap(), want, "reply {i}");
    }
    let check = |c: &mut kvs_server::resp_client::Client| {
        let all: Vec<&str> = a.iter().map(String::as_str).collect();
        assert_eq!(cmd(c, &["LRANGE", "a", "0", "-1"]), bulks(&all));
        let all: Vec<&str> = b.iter().map(String::as_str).collect();
        assert_eq!(cmd(c, &["LRANGE", "b", "0", "-1"]), bulks(&all));
    };
    check(&mut c);
    drop(c);
    server.shutdown(std::time::Duration::from_secs(5)).unwrap();
    let server = start_in(dir.path());
    let mut c = connect(server.local_addr());
    check(&mut c);
    drop(c);
    server.shutdown(std::time::Duration::from_secs(5)).unwrap();
}
