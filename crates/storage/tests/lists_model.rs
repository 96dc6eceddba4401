//! Model-based test of lists (storage-format §4.3.1): seeded random pushes, pops, drops,
//! insertions (many at one place, so gaps run out and windows are respaced), removals and sets,
//! several commands per writer batch (the batch's list views), some commands rolled back by a
//! panic after they wrote, with compactions and reopens in between — against a `VecDeque`.

mod support;

use std::collections::VecDeque;
use std::sync::mpsc;

use kvs_storage::{CollectionKind, Completion, Store, Stored, Txn, TxnFn};
use support::{Rng, small_opts};

const KEY: &[u8] = b"list";

#[derive(Debug, Clone)]
enum Op {
    Push(bool, Vec<u8>),
    Pop(bool),
    Drop(bool),
    /// Insert at this index (taken modulo length + 1).
    Insert(u64, Vec<u8>),
    /// Remove the elements at these indexes (modulo length).
    Remove(Vec<u64>),
    Set(u64, Vec<u8>),
}

fn list_id(t: &mut Txn<'_>) -> u64 {
    match t.lookup(KEY).unwrap() {
        Some(Stored::Collection(m)) => m.id,
        _ => t.create_collection(KEY, CollectionKind::List, None).id,
    }
}

/// Applies `op` to the store's list; what a pop returned.
fn apply_store(t: &mut Txn<'_>, op: &Op) -> Option<Vec<u8>> {
    let id = list_id(t);
    let len = t.element_count(id);
    let mut popped = None;
    match op {
        Op::Push(front, v) => t.list_push(KEY, id, *front, v).unwrap(),
        Op::Pop(front) => popped = t.list_pop(KEY, id, *front).unwrap(),
        Op::Drop(front) => {
            t.list_drop(KEY, id, *front);
        }
        Op::Insert(i, v) => t
            .list_insert(KEY, id, (*i % (len as u64 + 1)) as usize, v)
            .unwrap(),
        Op::Remove(is) if len > 0 => {
            let mut is: Vec<usize> = is.iter().map(|i| (*i % len as u64) as usize).collect();
            is.sort_unstable();
            is.dedup();
            t.list_remove(KEY, id, &is);
        }
        Op::Set(i, v) if len > 0 => {
            assert!(t.list_set(KEY, id, (*i % len as u64) as usize, v).unwrap());
        }
        Op::Remove(_) | Op::Set(..) => {}
    }
    if t.element_count(id) == 0 {
        t.delete(KEY).unwrap();
    }
    popped
}

fn apply_model(m: &mut VecDeque<Vec<u8>>, op: &Op) -> Option<Vec<u8>> {
    let len = m.len() as u64;
    match op {
        Op::Push(true, v) => m.push_front(v.clone()),
        Op::Push(false, v) => m.push_back(v.clone()),
        Op::Pop(front) | Op::Drop(front) => {
            let v = if *front { m.pop_front() } else { m.pop_back() };
            return if matches!(op, Op::Pop(_)) { v } else { None };
        }
        Op::Insert(i, v) => m.insert((*i % (len + 1)) as usize, v.clone()),
        Op::Remove(is) if len > 0 => {
            let mut is: Vec<usize> = is.iter().map(|i| (*i % len) as usize).collect();
            is.sort_unstable();
            is.dedup();
            for i in is.into_iter().rev() {
                m.remove(i);
            }
        }
        Op::Set(i, v) if len > 0 => m[(*i % len) as usize] = v.clone(),
        Op::Remove(_) | Op::Set(..) => {}
    }
    None
}

fn random_op(rng: &mut Rng, step: u64) -> Op {
    let v = format!("v{step}-{}", rng.range(0, 1000)).into_bytes();
    match rng.range(0, 20) {
        0..=4 => Op::Push(rng.range(0, 2) == 0, v),
        5..=7 => Op::Pop(rng.range(0, 2) == 0),
        8 => Op::Drop(rng.range(0, 2) == 0),
        // Most insertions go right after the head: the same gap is halved until respaced.
        9..=12 => Op::Insert(1, v),
        13..=14 => Op::Insert(rng.next_u64(), v),
        15 => Op::Remove((0..rng.range(1, 4)).map(|_| rng.next_u64()).collect()),
        _ => Op::Set(rng.next_u64(), v),
    }
}

fn contents(store: &Store) -> Vec<Vec<u8>> {
    store
        .execute(|t| match t.lookup(KEY).unwrap() {
            Some(Stored::Collection(m)) => {
                let n = t.element_count(m.id);
                t.list_range(m.id, 0, n).unwrap()
            }
            _ => Vec::new(),
        })
        .unwrap()
}

#[test]
fn random_list_histories_match_a_deque() {
    let (mut rng, seed) = Rng::from_time();
    eprintln!("seed {seed}");
    let dir = tempfile::tempdir().unwrap();
    let opts = small_opts(16 << 10);
    let mut store = Some(Store::open_with(dir.path(), opts.clone()).unwrap());
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    // Start with a list long enough for pops and windows to matter.
    for step in 0..200u64 {
        let op = Op::Push(step % 2 == 0, format!("seed-{step}").into_bytes());
        let s = store.as_ref().unwrap();
        s.execute(move |t| apply_store(t, &op)).unwrap();
        apply_model(
            &mut model,
            &Op::Push(step % 2 == 0, format!("seed-{step}").into_bytes()),
        );
    }
    // 60 insertions in a row after the head, in one batch and then one per batch: the gap
    // (2^20) is used up after 20 and windows are respaced, within a batch and across them.
    let burst: Vec<Op> = (0..60)
        .map(|i| Op::Insert(1, format!("burst-{i}").into_bytes()))
        .collect();
    for op in &burst {
        apply_model(&mut model, op);
    }
    let s = store.as_ref().unwrap();
    s.execute(move |t| burst.iter().for_each(|op| drop(apply_store(t, op))))
        .unwrap();
    assert_eq!(contents(s), Vec::from(model.clone()), "burst (seed {seed})");
    for i in 0..60 {
        let op = Op::Insert(2, format!("one-{i}").into_bytes());
        apply_model(&mut model, &op);
        s.execute(move |t| drop(apply_store(t, &op))).unwrap();
    }
    assert_eq!(
        contents(s),
        Vec::from(model.clone()),
        "one per batch (seed {seed})"
    );
    let mut step = 0u64;
    for round in 0..150 {
        let s = store.as_ref().unwrap();
        // One writer batch of several commands; some panic after writing and leave no trace.
        let n = rng.range(1, 12) as usize;
        let (tx, rx) = mpsc::channel();
        let mut fs: Vec<TxnFn> = Vec::new();
        let mut expected = Vec::new();
        for c in 0..n {
            let ops: Vec<Op> = (0..rng.range(1, 4))
                .map(|_| {
                    step += 1;
                    random_op(&mut rng, step)
                })
                .collect();
            let panics = rng.range(0, 12) == 0;
            if !panics {
                let mut got = Vec::new();
                for op in &ops {
                    got.push(apply_model(&mut model, op));
                }
                expected.push((c, got));
            }
            let tx = tx.clone();
            fs.push(Box::new(move |t: &mut Txn<'_>| -> Completion {
                let got: Vec<_> = ops.iter().map(|op| apply_store(t, op)).collect();
                if panics {
                    panic!("a command that is rolled back after writing");
                }
                Box::new(move |r: kvs_storage::Result<()>| {
                    r.unwrap();
                    tx.send((c, got)).unwrap();
                })
            }));
        }
        drop(tx);
        s.submit_writes(fs).unwrap();
        let mut replies: Vec<_> = rx.iter().collect();
        replies.sort_by_key(|r| r.0);
        assert_eq!(replies, expected, "round {round} (seed {seed})");
        assert_eq!(
            contents(s),
            Vec::from(model.clone()),
            "round {round} (seed {seed})"
        );
        if round % 25 == 24 {
            s.compact().unwrap();
        }
        if round % 40 == 39 {
            drop(store.take());
            store = Some(Store::open_with(dir.path(), opts.clone()).unwrap());
            let s = store.as_ref().unwrap();
            assert_eq!(
                contents(s),
                Vec::from(model.clone()),
                "reopened (seed {seed})"
            );
        }
    }
}
