//! Model-based test: random sequences of sets, deletes, multi-key transactions, expired writes,
//! compactions, reopens and FLUSHALLs run against a `Store` and a `BTreeMap`, with files small
//! enough (4 KiB) that rotation and compaction happen all the time. After every step every key
//! of the key space must read back as the model says; at the end the scan must return exactly the
//! model's keys.

mod support;

use std::collections::BTreeMap;

use kvs_storage::{Options, Store};
use proptest::prelude::*;
use support::{all_keys, small_opts};

const KEYS: u8 = 24;

#[derive(Debug, Clone)]
enum Op {
    /// SET key (value of `len` bytes of `fill`).
    Set(u8, u16, u8),
    /// SET key with an expiry far in the future: like a plain SET.
    SetWithTtl(u8, u16),
    /// SET key with an expiry already in the past: the key becomes invisible.
    SetExpired(u8),
    /// DEL key.
    Remove(u8),
    /// One transaction of puts (`Some`) and deletes (`None`), applied in order.
    Multi(Vec<(u8, Option<(u16, u8)>)>),
    Compact,
    Reopen,
    FlushAll,
}

/// Key 0 is the empty key.
fn key(k: u8) -> Vec<u8> {
    if k == 0 {
        Vec::new()
    } else {
        format!("key-{k}").into_bytes()
    }
}

/// A value unique to the step that wrote it (so a stale read can never match), except for the
/// empty value.
fn value(step: usize, len: u16, fill: u8) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    let mut v = format!("{step}:").into_bytes();
    v.resize(v.len() + usize::from(len), fill);
    v
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS;
    prop_oneof![
        10 => (k.clone(), 0u16..700, any::<u8>()).prop_map(|(k, l, f)| Op::Set(k, l, f)),
        2 => (k.clone(), 1u16..200).prop_map(|(k, l)| Op::SetWithTtl(k, l)),
        1 => k.clone().prop_map(Op::SetExpired),
        4 => k.clone().prop_map(Op::Remove),
        3 => prop::collection::vec((k, prop::option::weighted(0.8, (0u16..400, any::<u8>()))), 2..8).prop_map(Op::Multi),
        2 => Just(Op::Compact),
        1 => Just(Op::Reopen),
        1 => Just(Op::FlushAll),
    ]
}

fn opts() -> Options {
    small_opts(4096)
}

fn check_all(
    store: &Store,
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    step: usize,
    op: &Op,
) -> Result<(), TestCaseError> {
    for k in 0..KEYS {
        let k = key(k);
        let got = store
            .get(&k)
            .map_err(|e| TestCaseError::fail(format!("step {step} {op:?}: get: {e}")))?;
        prop_assert_eq!(
            got.as_ref(),
            model.get(&k),
            "step {} ({:?}): key {:?}",
            step,
            op,
            String::from_utf8_lossy(&k)
        );
        prop_assert_eq!(store.reader().exists(&k), model.contains_key(&k));
    }
    Ok(())
}

/// What a run exercised: the most data files seen at once, and compactions that rewrote files.
#[derive(Debug, Default)]
struct Coverage {
    max_files: usize,
    compactions: usize,
}

fn run(ops: Vec<Op>) -> Result<Coverage, TestCaseError> {
    let mut cov = Coverage::default();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut store = Store::open_with(dir, opts()).unwrap();
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let far = kvs_storage::now_ms() + 3_600_000;
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Set(k, len, fill) => {
                let v = value(step, *len, *fill);
                store.set(&key(*k), &v).unwrap();
                model.insert(key(*k), v);
            }
            Op::SetWithTtl(k, len) => {
                let (kk, v) = (key(*k), value(step, *len, b't'));
                let (k2, v2) = (kk.clone(), v.clone());
                store.execute(move |t| t.put(&k2, &v2, Some(far))).unwrap();
                model.insert(kk, v);
            }
            Op::SetExpired(k) => {
                let k2 = key(*k);
                store
                    .execute(move |t| t.put(&k2, b"already expired", Some(1)))
                    .unwrap();
                model.remove(&key(*k));
            }
            Op::Remove(k) => {
                let existed = store.remove(&key(*k)).unwrap();
                prop_assert_eq!(
                    existed,
                    model.remove(&key(*k)).is_some(),
                    "step {}: remove's result",
                    step
                );
            }
            Op::Multi(writes) => {
                let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = writes
                    .iter()
                    .enumerate()
                    .map(|(i, (k, w))| {
                        (
                            key(*k),
                            w.map(|(len, fill)| value(step * 100 + i, len, fill)),
                        )
                    })
                    .collect();
                for (k, v) in &writes {
                    match v {
                        Some(v) => model.insert(k.clone(), v.clone()),
                        None => model.remove(k),
                    };
                }
                store
                    .execute(move |t| {
                        for (k, v) in &writes {
                            match v {
                                Some(v) => t.put(k, v, None),
                                None => {
                                    t.delete(k).unwrap();
                                }
                            }
                        }
                    })
                    .unwrap();
            }
            Op::Compact => {
                if !store.compact().unwrap().inputs.is_empty() {
                    cov.compactions += 1;
                }
            }
            Op::Reopen => {
                drop(store);
                store = Store::open_with(dir, opts()).unwrap();
                let rep = store.recovery_report();
                prop_assert!(
                    rep.torn_tails.is_empty() && rep.damaged.is_empty(),
                    "clean reopen reported damage: {:?}",
                    rep
                );
            }
            Op::FlushAll => {
                store.flush_all().unwrap();
                model.clear();
            }
        }
        check_all(&store, &model, step, op)?;
        cov.max_files = cov.max_files.max(store.stats().files.len());
    }
    let keys = all_keys(&store);
    let expected: Vec<Vec<u8>> = model.keys().cloned().collect();
    prop_assert_eq!(keys, expected, "scan");
    // And once more from disk.
    drop(store);
    let store = Store::open_with(dir, opts()).unwrap();
    check_all(&store, &model, ops.len(), &Op::Reopen)?;
    prop_assert_eq!(all_keys(&store).len(), model.len());
    Ok(cov)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_btreemap_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops).map(drop)?;
    }
}

/// A fixed sequence that certainly rotates (values near the file size), compacts with both live
/// and dead records, and reopens from hint files — in case the random cases miss it.
#[test]
fn fixed_sequence_rotates_compacts_and_reopens() {
    let mut ops = Vec::new();
    for round in 0..6u8 {
        for k in 0..KEYS {
            ops.push(Op::Set(k, 300 + u16::from(round) * 10, round));
        }
        ops.push(Op::Remove(round));
        ops.push(Op::Multi(vec![
            (1, Some((50, 1))),
            (2, None),
            (3, Some((0, 0))),
        ]));
        ops.push(Op::Compact);
        if round % 2 == 1 {
            ops.push(Op::Reopen);
        }
    }
    ops.push(Op::FlushAll);
    ops.push(Op::Set(5, 10, 5));
    ops.push(Op::Reopen);
    let cov = run(ops).unwrap();
    assert!(cov.max_files >= 4, "{cov:?}: the files never rotated");
    assert!(
        cov.compactions >= 4,
        "{cov:?}: compaction never rewrote anything"
    );
}
