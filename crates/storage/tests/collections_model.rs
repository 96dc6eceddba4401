//! Model-based test of collections (§4.3): random sequences of element puts and deletes on
//! hashes and sets, whole-collection deletes, overwrites by strings, renames, compactions,
//! reopens and FLUSHALLs, run against a `Store` (4 KiB files: rotation and compaction all the
//! time) and an in-memory model. After every step each key's type, each collection's elements
//! and values, and its count must be as the model says; a deleted collection's elements must
//! never come back (the element index, a reopen, a compaction).

mod support;

use std::collections::{BTreeMap, BTreeSet};

use kvs_storage::{Options, Store, Stored};
use proptest::prelude::*;
use support::collections::{ELEMENTS, KEYS, Op, apply, element, key, observed};
use support::small_opts;

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
                apply(&store, &mut model, op, step as u64);
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
