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
    let config = || kvs_server::startup_config::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    {
        let server = kvs_server::kv_server::KvServer::start(config()).unwrap();
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
    let server = kvs_server::kv_server::KvServer::start(config()).unwrap();
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
