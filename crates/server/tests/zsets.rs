//! Sorted sets end to end: Redis 7.0's replies for a pipelined history of ZADD (with its
//! options), ZINCRBY, ZREM and ZPOPMIN against a model, ranges by rank, score and member, and
//! the set surviving a restart of the server.

mod common;

use std::collections::BTreeMap;

use common::*;
use kvs_server::resp_client::{Reply, encode_command};

/// The model's order: by score, then member.
fn ordered(m: &BTreeMap<String, f64>) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = m.iter().map(|(k, s)| (k.clone(), *s)).collect();
    v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    v
}

fn withscores(v: &[(String, f64)]) -> Reply {
    let mut flat = Vec::new();
    for (m, s) in v {
        flat.push(bulk(m));
        flat.push(bulk(&kvs_server::resp::encode::format_g17(*s)));
    }
    Reply::Array(Some(flat))
}

#[test]
fn a_pipelined_history_follows_a_model_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path());
    let mut c = connect(server.local_addr());
    let mut model: BTreeMap<String, f64> = BTreeMap::new();
    let mut seed = 0x9e37_79b9_u64;
    let mut rand = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut pipeline = Vec::new();
    let mut expected = Vec::new();
    for _ in 0..1500 {
        let m = format!("m{}", rand(60));
        let score = (rand(41) as f64 - 20.0) / 4.0;
        let s = kvs_server::resp::encode::format_g17(score);
        let args: Vec<String> = match rand(6) {
            0 => {
                let new = !model.contains_key(&m);
                model.insert(m.clone(), score);
                expected.push(int(i64::from(new)));
                vec!["ZADD".into(), "z".into(), s, m]
            }
            1 => {
                let cur = model.get(&m).copied();
                let added = match cur {
                    Some(c) if score > c => {
                        model.insert(m.clone(), score);
                        1
                    }
                    Some(_) => 0,
                    None => {
                        model.insert(m.clone(), score);
                        1
                    }
                };
                expected.push(int(added));
                vec!["ZADD".into(), "z".into(), "GT".into(), "CH".into(), s, m]
            }
            2 => {
                let v = model.get(&m).copied().unwrap_or(0.0) + score;
                model.insert(m.clone(), v);
                expected.push(bulk(&kvs_server::resp::encode::format_g17(v)));
                vec!["ZINCRBY".into(), "z".into(), s, m]
            }
            3 => {
                expected.push(int(i64::from(model.remove(&m).is_some())));
                vec!["ZREM".into(), "z".into(), m]
            }
            4 => {
                let all = ordered(&model);
                let n = 1 + rand(2) as usize;
                let first: Vec<(String, f64)> = all.into_iter().take(n).collect();
                for (k, _) in &first {
                    model.remove(k);
                }
                expected.push(withscores(&first));
                vec!["ZPOPMIN".into(), "z".into(), n.to_string()]
            }
            _ => {
                let all = ordered(&model);
                let want: Vec<(String, f64)> = all
                    .into_iter()
                    .filter(|(_, s)| *s > -1.0 && *s <= 2.5)
                    .skip(1)
                    .take(4)
                    .collect();
                expected.push(withscores(&want));
                vec![
                    "ZRANGE".into(),
                    "z".into(),
                    "(-1".into(),
                    "2.5".into(),
                    "BYSCORE".into(),
                    "LIMIT".into(),
                    "1".into(),
                    "4".into(),
                    "WITHSCORES".into(),
                ]
            }
        };
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        pipeline.extend(encode_command(&args));
    }
    c.send_raw(&pipeline).unwrap();
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(&c.read_reply().unwrap(), want, "reply {i}");
    }
    let check = |c: &mut kvs_server::resp_client::Client| {
        let all = ordered(&model);
        assert_eq!(
            cmd(c, &["ZRANGE", "z", "0", "-1", "WITHSCORES"]),
            withscores(&all)
        );
        assert_eq!(cmd(c, &["ZCARD", "z"]), int(all.len() as i64));
        if let Some((m, _)) = all.get(all.len() / 2) {
            assert_eq!(cmd(c, &["ZRANK", "z", m]), int((all.len() / 2) as i64));
        }
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

#[test]
fn sorted_set_writes_publish_redis_keyspace_events() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    cmd(&mut c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    let mut l = connect(addr);
    cmd(&mut l, &["PSUBSCRIBE", "__keyevent@0__:*"]);
    cmd(&mut c, &["ZADD", "z", "1", "a", "2", "b"]);
    cmd(&mut c, &["ZINCRBY", "z", "1", "a"]);
    cmd(&mut c, &["ZREM", "z", "a"]);
    cmd(&mut c, &["ZPOPMAX", "z"]);
    for want in ["zadd", "zincr", "zrem", "zpopmax", "del"] {
        let r = items(l.read_reply().unwrap());
        assert_eq!(text(&r[2]), format!("__keyevent@0__:{want}"));
        assert_eq!(text(&r[3]), "z");
    }
}
