//! End to end with a real client library (redis-rs): pipelines, MSET/MGET, TTL, and INCR from
//! 50 concurrent clients with an exact final count.

use std::time::Duration;

use kvs_server::{Config, KvServer};
use kvs_storage::FsyncPolicy;
use redis::Commands;

fn start() -> (KvServer, tempfile::TempDir, String) {
    start_with(false)
}

fn start_with(inline_reads: bool) -> (KvServer, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        dir: dir.path().to_path_buf(),
        fsync: FsyncPolicy::No,
        inline_reads,
        ..Config::default()
    };
    let server = KvServer::start(config).unwrap();
    let url = format!("redis://{}/", server.local_addr());
    (server, dir, url)
}

fn conn(url: &str) -> redis::Connection {
    let c = redis::Client::open(url)
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(10))
        .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c
}

#[test]
fn pipelines_mset_mget_and_ttl() {
    let (server, _dir, url) = start();
    let mut c = conn(&url);
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.set(format!("k{i}"), i).ignore();
    }
    pipe.get("k999").incr("k0", 5).get("k0");
    let (last, incr, k0): (i64, i64, i64) = pipe.query(&mut c).unwrap();
    assert_eq!((last, incr, k0), (999, 5, 5));

    let _: () = c.mset(&[("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
    let got: Vec<Option<String>> = c.mget(&["a", "b", "missing", "c"]).unwrap();
    assert_eq!(
        got,
        vec![Some("1".into()), Some("2".into()), None, Some("3".into())]
    );

    let _: () = c.set_ex("temp", "v", 100).unwrap();
    let ttl: i64 = c.ttl("temp").unwrap();
    assert!((99..=100).contains(&ttl), "{ttl}");
    let _: () = redis::cmd("SET")
        .arg("short")
        .arg("v")
        .arg("PX")
        .arg(50)
        .query(&mut c)
        .unwrap();
    std::thread::sleep(Duration::from_millis(120));
    let gone: Option<String> = c.get("short").unwrap();
    assert_eq!(gone, None);
    let n: i64 = c.exists("short").unwrap();
    assert_eq!(n, 0);
    drop(server);
}

#[test]
fn incr_from_50_concurrent_clients_is_exact() {
    let (server, _dir, url) = start();
    const CLIENTS: usize = 50;
    const EACH: usize = 200;
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut c = conn(&url);
                for _ in 0..EACH {
                    let _: i64 = c.incr("counter", 1).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut c = conn(&url);
    let total: i64 = c.get("counter").unwrap();
    assert_eq!(total, (CLIENTS * EACH) as i64);
    drop(server);
}

#[test]
fn a_write_acknowledged_to_one_client_is_seen_by_every_other() {
    let (server, _dir, url) = start();
    let mut writer = conn(&url);
    let mut readers: Vec<_> = (0..4).map(|_| conn(&url)).collect();
    for i in 0..300 {
        let _: () = writer.set("shared", i).unwrap();
        for r in &mut readers {
            let v: i64 = r.get("shared").unwrap();
            assert_eq!(
                v, i,
                "a reader saw a stale value after the write was acknowledged"
            );
        }
    }
    drop(server);
}

#[test]
fn inline_reads_keep_request_order_and_read_your_writes() {
    let (server, _dir, url) = start_with(true);
    let mut c = conn(&url);
    let mut pipe = redis::pipe();
    for _ in 0..500 {
        pipe.incr("n", 1).get("n");
    }
    let replies: Vec<i64> = pipe.query(&mut c).unwrap();
    for (i, pair) in replies.chunks(2).enumerate() {
        assert_eq!(
            pair,
            [i as i64 + 1, i as i64 + 1],
            "GET after INCR {i} in one pipeline"
        );
    }
    let _: () = c.mset(&[("a", "1"), ("b", "2")]).unwrap();
    let got: Vec<Option<String>> = c.mget(&["a", "b", "c"]).unwrap();
    assert_eq!(got, vec![Some("1".into()), Some("2".into()), None]);
    drop(server);
}

/// MULTI/EXEC through redis-rs' atomic pipeline, and its isolation: every transaction moves one
/// unit between two counters while other clients do the same, so a reader inside a transaction
/// must always see the two sum to zero (no other client's command runs between a
/// transaction's commands).
#[test]
fn atomic_pipelines_are_isolated_transactions() {
    let (_server, _dir, url) = start();
    let mut c = conn(&url);
    let (n, v): (i64, String) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("t")
        .arg("1")
        .ignore()
        .cmd("INCR")
        .arg("t")
        .cmd("GET")
        .arg("t")
        .query(&mut c)
        .expect("MULTI/EXEC");
    assert_eq!((n, v.as_str()), (2, "2"));

    let movers: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut c = conn(&url);
                for _ in 0..200 {
                    let (a, b): (i64, i64) = redis::pipe()
                        .atomic()
                        .cmd("INCR")
                        .arg("left")
                        .cmd("DECR")
                        .arg("right")
                        .query(&mut c)
                        .expect("transaction");
                    assert_eq!(a, -b);
                }
            })
        })
        .collect();
    let mut reader = conn(&url);
    for _ in 0..200 {
        let (l, r): (Option<i64>, Option<i64>) = redis::pipe()
            .atomic()
            .cmd("GET")
            .arg("left")
            .cmd("GET")
            .arg("right")
            .query(&mut reader)
            .expect("read transaction");
        assert_eq!(
            l.unwrap_or(0) + r.unwrap_or(0),
            0,
            "a transaction seen half done"
        );
    }
    for m in movers {
        m.join().expect("mover");
    }
    let total: (i64, i64) = (c.get("left").unwrap(), c.get("right").unwrap());
    assert_eq!(total, (800, -800));
}
