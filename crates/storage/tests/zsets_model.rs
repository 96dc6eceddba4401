//! Model-based test of sorted sets (storage-format §4.3.2): seeded random score sets, removals
//! and walks (by rank, by score range, ranks), several commands per writer batch (walks must see
//! the batch's earlier changes), some commands rolled back by a panic, with compactions and
//! reopens in between — against a model sorted by (score, member).

mod support;

use std::ops::Bound;
use std::sync::mpsc;

use kvs_storage::{CollectionKind, Completion, Store, Stored, Txn, TxnFn};
use support::{Rng, small_opts};

const KEY: &[u8] = b"z";

type Model = Vec<(Vec<u8>, f64)>;

fn sorted(m: &Model) -> Model {
    let mut v = m.clone();
    v.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap().then_with(|| a.0.cmp(&b.0)));
    v
}

fn zset_id(t: &mut Txn<'_>) -> u64 {
    match t.lookup(KEY).unwrap() {
        Some(Stored::Collection(m)) => m.id,
        _ => t.create_collection(KEY, CollectionKind::SortedSet, None).id,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set(Vec<u8>, f64),
    Remove(Vec<u8>),
}

fn apply_store(t: &mut Txn<'_>, op: &Op) {
    let id = zset_id(t);
    match op {
        Op::Set(m, s) => drop(t.zset_set(KEY, id, m, *s).unwrap()),
        Op::Remove(m) => drop(t.zset_remove(KEY, id, m)),
    }
    if t.element_count(id) == 0 {
        t.delete(KEY).unwrap();
    }
}

fn apply_model(model: &mut Model, op: &Op) {
    match op {
        Op::Set(m, s) => match model.iter_mut().find(|(x, _)| x == m) {
            Some(e) => e.1 = *s,
            None => model.push((m.clone(), *s)),
        },
        Op::Remove(m) => model.retain(|(x, _)| x != m),
    }
}

/// What a walk sees inside the batch, checked there against the model at that point.
fn check_walks(t: &mut Txn<'_>, model: &Model) {
    let want = sorted(model);
    let Some(Stored::Collection(m)) = t.lookup(KEY).unwrap() else {
        assert!(want.is_empty());
        return;
    };
    let id = m.id;
    assert_eq!(t.zset_range_by_rank(id, 0, usize::MAX, false), want);
    let mut rev = want.clone();
    rev.reverse();
    assert_eq!(
        t.zset_range_by_rank(id, 1, 4, true),
        rev.iter().skip(1).take(3).cloned().collect::<Vec<_>>()
    );
    let (lo, hi) = (-3.0, 4.0);
    let in_range: Model = want
        .iter()
        .filter(|(_, s)| *s > lo && *s <= hi)
        .cloned()
        .collect();
    assert_eq!(
        t.zset_range_by_score(
            id,
            Bound::Excluded(lo),
            Bound::Included(hi),
            false,
            1,
            Some(5)
        ),
        in_range.iter().skip(1).take(5).cloned().collect::<Vec<_>>()
    );
    if let Some((m, s)) = want.get(want.len() / 2) {
        assert_eq!(t.zset_rank(id, m, false), Some((want.len() / 2, *s)));
        assert_eq!(t.zset_score(id, m), Some(*s));
    }
}

#[test]
fn random_sorted_set_histories_match_a_model() {
    let (mut rng, seed) = Rng::from_time();
    eprintln!("seed {seed}");
    let dir = tempfile::tempdir().unwrap();
    let opts = small_opts(8 << 10);
    let mut store = Some(Store::open_with(dir.path(), opts.clone()).unwrap());
    let mut model: Model = Vec::new();
    for round in 0..120 {
        let s = store.as_ref().unwrap();
        let (tx, rx) = mpsc::channel();
        let mut fs: Vec<TxnFn> = Vec::new();
        for c in 0..rng.range(1, 8) {
            let ops: Vec<Op> = (0..rng.range(1, 5))
                .map(|_| {
                    let m = format!("m{}", rng.range(0, 40)).into_bytes();
                    if rng.range(0, 4) == 0 {
                        Op::Remove(m)
                    } else {
                        // Few distinct scores: many ties, ordered by member.
                        Op::Set(m, rng.range(0, 13) as f64 - 6.0)
                    }
                })
                .collect();
            let panics = rng.range(0, 10) == 0;
            let mut after = model.clone();
            if !panics {
                for op in &ops {
                    apply_model(&mut model, op);
                }
                after = model.clone();
            }
            let tx = tx.clone();
            fs.push(Box::new(move |t: &mut Txn<'_>| -> Completion {
                for op in &ops {
                    apply_store(t, op);
                }
                if panics {
                    panic!("a command that is rolled back after writing");
                }
                check_walks(t, &after);
                Box::new(move |r: kvs_storage::Result<()>| {
                    r.unwrap();
                    tx.send(c).unwrap();
                })
            }));
        }
        drop(tx);
        s.submit_writes(fs).unwrap();
        let _: Vec<u64> = rx.iter().collect();
        let m2 = model.clone();
        s.execute(move |t| check_walks(t, &m2)).unwrap();
        if round % 30 == 29 {
            s.compact().unwrap();
        }
        if round % 40 == 39 {
            drop(store.take());
            store = Some(Store::open_with(dir.path(), opts.clone()).unwrap());
            let m2 = model.clone();
            store
                .as_ref()
                .unwrap()
                .execute(move |t| check_walks(t, &m2))
                .unwrap();
        }
    }
    eprintln!("seed {seed}: final size {}", model.len());
}
