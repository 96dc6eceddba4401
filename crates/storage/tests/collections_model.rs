//! Model-based test of collections (§4.3): random sequences of element puts and deletes on
//! hashes and sets, whole-collection deletes, overwrites by strings, renames, compactions,
//! reopens and FLUSHALLs, run against a `Store` (4 KiB files: rotation and compaction all the
//! time) and an in-memory model. After every step each key's type, each collection's elements
//! and values, and its count must be as the model says; a deleted collection's elements must
//! never come back (the element index, a reopen, a compaction).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use kvs_storage::{CollectionKind, Options, Store, Stored};
use proptest::prelude::*;
use support::small_opts;

const KEYS: u8 = 6;
const ELEMENTS: u8 = 12;

/// What a key holds in the model.
#[derive(Debug, Clone, PartialEq)]
enum Model {
    Str(Vec<u8>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
}

#[derive(Debug, Clone)]
enum Op {
    /// HSET key field value (creates the hash; WRONGTYPE on another type: skipped).
    HSet(u8, u8, u16),
    /// HDEL key field (deletes the key with its last field).
    HDel(u8, u8),
    /// SADD key member.
    SAdd(u8, u8),
    /// SREM key member.
    SRem(u8, u8),
    /// DEL key.
    Del(u8),
    /// SET key value over whatever is there.
    Set(u8, u16),
    /// RENAME src dst.
    Rename(u8, u8),
    Compact,
    Reopen,
    FlushAll,
}

fn key(k: u8) -> Vec<u8> {
    format!("key-{k}").into_bytes()
}

fn element(e: u8) -> Vec<u8> {
    format!("el-{e}").into_bytes()
}

fn value(step: usize, len: u16) -> Vec<u8> {
    let mut v = format!("{step}:").into_bytes();
    v.resize(v.len() + usize::from(len), b'v');
    v
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..KEYS;
    let e = 0..ELEMENTS;
    prop_oneof![
        12 => (k.clone(), e.clone(), 0u16..300).prop_map(|(k, e, l)| Op::HSet(k, e, l)),
        5 => (k.clone(), e.clone()).prop_map(|(k, e)| Op::HDel(k, e)),
        10 => (k.clone(), e.clone()).prop_map(|(k, e)| Op::SAdd(k, e)),
        5 => (k.clone(), e).prop_map(|(k, e)| Op::SRem(k, e)),
        2 => k.clone().prop_map(Op::Del),
        2 => (k.clone(), 0u16..200).prop_map(|(k, l)| Op::Set(k, l)),
        2 => (k.clone(), k).prop_map(|(a, b)| Op::Rename(a, b)),
        2 => Just(Op::Compact),
        1 => Just(Op::Reopen),
        1 => Just(Op::FlushAll),
    ]
}

fn opts() -> Options {
    small_opts(4096)
}

/// Runs one op on the store and the model.
fn apply(store: &Store, model: &mut BTreeMap<Vec<u8>, Model>, op: &Op, step: usize) {
    match op.clone() {
        Op::HSet(k, e, len) => {
            let (k, e, v) = (key(k), element(e), value(step, len));
            if matches!(model.get(&k), Some(Model::Str(_) | Model::Set(_))) {
                return;
            }
            let (k2, e2, v2) = (k.clone(), e.clone(), v.clone());
            store
                .execute(move |t| {
                    let m = match t.lookup(&k2).unwrap() {
                        Some(Stored::Collection(m)) => m,
                        _ => t.create_collection(&k2, CollectionKind::Hash, None),
                    };
                    t.put_element(&k2, m.id, &e2, &v2).unwrap();
                })
                .unwrap();
            match model
                .entry(k)
                .or_insert_with(|| Model::Hash(BTreeMap::new()))
            {
                Model::Hash(h) => {
                    h.insert(e, v);
                }
                other => panic!("model: {other:?}"),
            }
        }
        Op::SAdd(k, e) => {
            let (k, e) = (key(k), element(e));
            if matches!(model.get(&k), Some(Model::Str(_) | Model::Hash(_))) {
                return;
            }
            let (k2, e2) = (k.clone(), e.clone());
            store
                .execute(move |t| {
                    let m = match t.lookup(&k2).unwrap() {
                        Some(Stored::Collection(m)) => m,
                        _ => t.create_collection(&k2, CollectionKind::Set, None),
                    };
                    if !t.has_element(m.id, &e2) {
                        t.put_element(&k2, m.id, &e2, &[]).unwrap();
                    }
                })
                .unwrap();
            match model
                .entry(k)
                .or_insert_with(|| Model::Set(BTreeSet::new()))
            {
                Model::Set(s) => {
                    s.insert(e);
                }
                other => panic!("model: {other:?}"),
            }
        }
        Op::HDel(k, e) | Op::SRem(k, e) => {
            let (k, e) = (key(k), element(e));
            let hash = matches!(op, Op::HDel(..));
            let emptied = match model.get_mut(&k) {
                Some(Model::Hash(h)) if hash => h.remove(&e).is_some() && h.is_empty(),
                Some(Model::Set(s)) if !hash => s.remove(&e) && s.is_empty(),
                _ => return,
            };
            let (k2, e2) = (k.clone(), e);
            store
                .execute(move |t| {
                    if let Some(Stored::Collection(m)) = t.lookup(&k2).unwrap()
                        && t.delete_element(&k2, m.id, &e2)
                        && t.element_count(m.id) == 0
                    {
                        t.delete(&k2).unwrap();
                    }
                })
                .unwrap();
            if emptied {
                model.remove(&k);
            }
        }
        Op::Del(k) => {
            store.remove(&key(k)).unwrap();
            model.remove(&key(k));
        }
        Op::Set(k, len) => {
            let v = value(step, len);
            store.set(&key(k), &v).unwrap();
            model.insert(key(k), Model::Str(v));
        }
        Op::Rename(a, b) => {
            let (a, b) = (key(a), key(b));
            let (a2, b2) = (a.clone(), b.clone());
            store.execute(move |t| t.rename(&a2, &b2).unwrap()).unwrap();
            if let Some(v) = model.remove(&a) {
                model.insert(b, v);
            }
        }
        Op::Compact => {
            store.compact().unwrap();
        }
        Op::FlushAll => {
            store.flush_all().unwrap();
            model.clear();
        }
        Op::Reopen => unreachable!("handled by the caller"),
    }
}

/// Every key as the store has it now, in the model's terms.
fn observed(store: &Store) -> BTreeMap<Vec<u8>, Model> {
    store
        .execute(|t| {
            let mut out = BTreeMap::new();
            for k in 0..KEYS {
                let k = key(k);
                let m = match t.lookup(&k).unwrap() {
                    None => continue,
                    Some(Stored::String(v)) => Model::Str(v.data),
                    Some(Stored::Collection(m)) => {
                        let elements = t.elements(m.id);
                        assert_eq!(elements.len(), t.element_count(m.id), "count of {k:?}");
                        match m.kind {
                            CollectionKind::Hash => Model::Hash(
                                elements
                                    .into_iter()
                                    .map(|e| {
                                        let v = t.element(m.id, &e).unwrap().expect("listed field");
                                        (e, v)
                                    })
                                    .collect(),
                            ),
                            CollectionKind::Set => Model::Set(elements.into_iter().collect()),
                        }
                    }
                };
                out.insert(k, m);
            }
            out
        })
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn collections_match_the_model(ops in prop::collection::vec(op(), 1..120)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_with(dir.path(), opts()).unwrap();
        let mut model = BTreeMap::new();
        let mut dead_ids = Vec::new();
        for (step, op) in ops.iter().enumerate() {
            // Remember the ids of collections about to die, to check they stay dead.
            let before: BTreeMap<Vec<u8>, u64> = (0..KEYS)
                .filter_map(|k| match store.reader().lookup(&key(k)).unwrap() {
                    Some(Stored::Collection(m)) => Some((key(k), m.id)),
                    _ => None,
                })
                .collect();
            if let Op::Reopen = op {
                drop(store);
                store = Store::open_with(dir.path(), opts()).unwrap();
            } else {
                apply(&store, &mut model, op, step);
            }
            let now = observed(&store);
            prop_assert_eq!(&now, &model, "step {} ({:?})", step, op);
            let live: BTreeSet<u64> = (0..KEYS)
                .filter_map(|k| match store.reader().lookup(&key(k)).unwrap() {
                    Some(Stored::Collection(m)) => Some(m.id),
                    _ => None,
                })
                .collect();
            dead_ids.extend(before.values().filter(|id| !live.contains(id)));
            for &id in &dead_ids {
                for e in 0..ELEMENTS {
                    // Dropped in the background: give the writer a turn, then it must be gone
                    // (a txn runs on the writer after the drop pass of the previous turn).
                    let gone = store.execute(move |t| !t.has_element(id, &element(e))).unwrap();
                    prop_assert!(gone, "step {}: element {} of dead id {} is back", step, e, id);
                }
            }
        }
    }
}
