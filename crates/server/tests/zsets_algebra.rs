//! The rest of the sorted-set commands end to end: ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE
//! (weights, aggregates, plain sets as inputs) against a model over seeded random inputs, the
//! read forms agreeing with what the store forms wrote, ZRANGESTORE and the ZREMRANGEBY*
//! family against the same model, and what the stores wrote surviving a restart.

mod common;

use std::collections::BTreeMap;

use common::*;
use kvs_server::resp::encode::format_g17;
use kvs_server::resp_client::{Client, Reply};

type Model = BTreeMap<String, f64>;

fn ordered(m: &Model) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = m.iter().map(|(k, s)| (k.clone(), *s)).collect();
    v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    v
}

fn withscores(m: &Model) -> Reply {
    let mut flat = Vec::new();
    for (k, s) in ordered(m) {
        flat.push(bulk(&k));
        flat.push(bulk(&format_g17(s)));
    }
    Reply::Array(Some(flat))
}

struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Redis' `zunionInterAggregate`.
fn aggregate(how: &str, target: f64, value: f64) -> f64 {
    match how {
        "SUM" => {
            let s = target + value;
            if s.is_nan() { 0.0 } else { s }
        }
        "MIN" => target.min(value),
        _ => target.max(value),
    }
}

fn weighted(score: f64, w: f64) -> f64 {
    let v = score * w;
    if v.is_nan() { 0.0 } else { v }
}

fn all(c: &mut Client, key: &str) -> Reply {
    cmd(c, &["ZRANGE", key, "0", "-1", "WITHSCORES"])
}

#[test]
fn store_forms_follow_a_model_and_the_read_forms_agree() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_in(dir.path());
    let mut c = connect(server.local_addr());
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..40 {
        // Three sorted sets and one plain set (scored 1), small integral scores so that sums
        // are exact whatever the order, none 0 and no weight 0 so that no -0 arises (which of
        // 0 and -0 MIN or MAX keeps depends on the order Redis walks inputs of equal size).
        let mut inputs: Vec<(String, Model)> = Vec::new();
        for i in 0..3 {
            let key = format!("z{round}_{i}");
            let mut m = Model::new();
            for _ in 0..rng.next(12) {
                let member = format!("m{}", rng.next(15));
                let score = [-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0][rng.next(8) as usize];
                m.insert(member.clone(), score);
                cmd(&mut c, &["ZADD", &key, &format_g17(score), &member]);
            }
            inputs.push((key, m));
        }
        let skey = format!("s{round}");
        let mut sm = Model::new();
        for _ in 0..rng.next(8) {
            let member = format!("m{}", rng.next(15));
            sm.insert(member.clone(), 1.0);
            cmd(&mut c, &["SADD", &skey, &member]);
        }
        inputs.push((skey, sm));
        let weights: Vec<f64> = inputs
            .iter()
            .map(|_| [-2.0, -1.0, 1.0, 2.0][rng.next(4) as usize])
            .collect();
        let how = ["SUM", "MIN", "MAX"][rng.next(3) as usize];
        let keys: Vec<&str> = inputs.iter().map(|(k, _)| k.as_str()).collect();
        let ws: Vec<String> = weights.iter().map(|w| format_g17(*w)).collect();

        let mut union = Model::new();
        for ((_, m), w) in inputs.iter().zip(&weights) {
            for (k, s) in m {
                let v = weighted(*s, *w);
                let e = union.entry(k.clone()).or_insert(f64::NAN);
                *e = if e.is_nan() { v } else { aggregate(how, *e, v) };
            }
        }
        let mut inter = Model::new();
        for k in inputs[0].1.keys() {
            if inputs.iter().all(|(_, m)| m.contains_key(k)) {
                let mut acc = f64::NAN;
                for ((_, m), w) in inputs.iter().zip(&weights) {
                    let v = weighted(m[k], *w);
                    acc = if acc.is_nan() {
                        v
                    } else {
                        aggregate(how, acc, v)
                    };
                }
                inter.insert(k.clone(), acc);
            }
        }
        let diff: Model = inputs[0]
            .1
            .iter()
            .filter(|(k, _)| inputs[1..].iter().all(|(_, m)| !m.contains_key(*k)))
            .map(|(k, s)| (k.clone(), *s))
            .collect();

        let n = keys.len().to_string();
        for (op, store_op, model) in [
            ("ZUNION", "ZUNIONSTORE", &union),
            ("ZINTER", "ZINTERSTORE", &inter),
        ] {
            let dest = format!("{op}{round}");
            let mut operands = vec![n.as_str()];
            operands.extend(&keys);
            operands.push("WEIGHTS");
            operands.extend(ws.iter().map(String::as_str));
            operands.extend(["AGGREGATE", how]);
            let mut store = vec![store_op, &dest];
            store.extend(&operands);
            assert_eq!(cmd(&mut c, &store), int(model.len() as i64), "{store:?}");
            // A stored -0 reads back as 0 (as from Redis' listpack); the read form keeps -0.
            let stored: Model = model.iter().map(|(k, s)| (k.clone(), s + 0.0)).collect();
            assert_eq!(all(&mut c, &dest), withscores(&stored), "{store:?}");
            assert_eq!(
                cmd(&mut c, &["EXISTS", &dest]),
                int(i64::from(!model.is_empty()))
            );
            let mut read = vec![op];
            read.extend(&operands);
            read.push("WITHSCORES");
            assert_eq!(cmd(&mut c, &read), withscores(model), "{read:?}");
        }
        let dest = format!("ZDIFF{round}");
        let mut args = vec!["ZDIFFSTORE", &dest, &n];
        args.extend(&keys);
        assert_eq!(cmd(&mut c, &args), int(diff.len() as i64));
        assert_eq!(all(&mut c, &dest), withscores(&diff));
        let mut card = vec!["ZINTERCARD", &n];
        card.extend(&keys);
        assert_eq!(cmd(&mut c, &card), int(inter.len() as i64));
    }
    // What the stores wrote is there after a restart.
    let before = all(&mut c, "ZUNION7");
    drop(c);
    server.shutdown(std::time::Duration::from_secs(5)).unwrap();
    let server = start_in(dir.path());
    let mut c = connect(server.local_addr());
    assert_eq!(all(&mut c, "ZUNION7"), before);
    drop(c);
    server.shutdown(std::time::Duration::from_secs(5)).unwrap();
}

#[test]
fn zrangestore_and_zremrangeby_follow_a_model() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut model = Model::new();
    for step in 0..300 {
        let member = format!("m{:02}", rng.next(40));
        let score = rng.next(21) as f64 / 2.0 - 5.0;
        model.insert(member.clone(), score);
        cmd(&mut c, &["ZADD", "z", &format_g17(score), &member]);
        let lo = rng.next(21) as f64 / 2.0 - 5.0;
        let hi = lo + rng.next(6) as f64;
        let (slo, shi) = (format!("({}", format_g17(lo)), format_g17(hi));
        match step % 4 {
            0 => {
                // ZRANGESTORE by score with a LIMIT, then by rank.
                let want: Model = ordered(&model)
                    .into_iter()
                    .filter(|(_, s)| *s > lo && *s <= hi)
                    .skip(1)
                    .take(3)
                    .collect();
                let r = cmd(
                    &mut c,
                    &[
                        "ZRANGESTORE",
                        "d",
                        "z",
                        &slo,
                        &shi,
                        "BYSCORE",
                        "LIMIT",
                        "1",
                        "3",
                    ],
                );
                assert_eq!(r, int(want.len() as i64));
                assert_eq!(all(&mut c, "d"), withscores(&want));
                let want: Model = ordered(&model).into_iter().rev().take(5).collect();
                assert_eq!(
                    cmd(&mut c, &["ZRANGESTORE", "d", "z", "0", "4", "REV"]),
                    int(5.min(model.len() as i64))
                );
                assert_eq!(all(&mut c, "d"), withscores(&want));
            }
            1 if step % 20 == 1 => {
                let doomed: Vec<String> = model
                    .iter()
                    .filter(|(_, s)| **s > lo && **s <= hi)
                    .map(|(k, _)| k.clone())
                    .collect();
                let r = cmd(&mut c, &["ZREMRANGEBYSCORE", "z", &slo, &shi]);
                assert_eq!(r, int(doomed.len() as i64));
                for k in doomed {
                    model.remove(&k);
                }
            }
            2 if step % 20 == 2 => {
                let doomed: Vec<String> = ordered(&model)
                    .into_iter()
                    .skip(2)
                    .take(3)
                    .map(|(k, _)| k)
                    .collect();
                let r = cmd(&mut c, &["ZREMRANGEBYRANK", "z", "2", "4"]);
                assert_eq!(r, int(doomed.len() as i64));
                for k in doomed {
                    model.remove(&k);
                }
            }
            3 if step % 20 == 3 => {
                // By member: meaningful when every score is equal, as Redis requires; here
                // the range is taken in score order, which ZREMRANGEBYLEX walks.
                let (a, b) = (
                    format!("m{:02}", rng.next(40)),
                    format!("m{:02}", rng.next(40)),
                );
                let doomed: Vec<String> = ordered(&model)
                    .into_iter()
                    .map(|(k, _)| k)
                    .filter(|k| *k >= a && *k < b)
                    .collect();
                let r = cmd(
                    &mut c,
                    &["ZREMRANGEBYLEX", "z", &format!("[{a}"), &format!("({b}")],
                );
                assert_eq!(r, int(doomed.len() as i64));
                for k in doomed {
                    model.remove(&k);
                }
            }
            _ => {}
        }
        assert_eq!(cmd(&mut c, &["ZCARD", "z"]), int(model.len() as i64));
    }
    assert_eq!(all(&mut c, "z"), withscores(&model));
}
