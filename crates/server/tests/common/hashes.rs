//! Helpers of the hash tests (`tests/hashes.rs`, `tests/hash_random_scan.rs`).

use kvs_server::resp_client::{Client, Reply};

use super::{cmd, err, items, text};

/// Redis' WRONGTYPE text.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// `-WRONGTYPE ...`
pub fn wrongtype() -> Reply {
    err(WRONGTYPE)
}

/// An array reply of field, value, field, value... as sorted pairs.
pub fn pairs(r: Reply) -> Vec<(String, String)> {
    let flat: Vec<String> = items(r).iter().map(text).collect();
    assert_eq!(flat.len() % 2, 0, "odd field/value list {flat:?}");
    let mut v: Vec<(String, String)> = flat
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    v.sort();
    v
}

/// `(field, value)` pairs, owned.
pub fn owned(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect()
}

/// HSET `key` with `n` fields `f<i>` = `v<i>` for `i` in `from..from + n`, in one command.
pub fn hset_range(c: &mut Client, key: &str, from: usize, n: usize) -> Reply {
    let mut args = vec!["HSET".to_string(), key.to_string()];
    for i in from..from + n {
        args.push(format!("f{i}"));
        args.push(format!("v{i}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cmd(c, &args)
}
