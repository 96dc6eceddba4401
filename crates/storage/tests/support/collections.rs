//! The collections model shared by the model test (`collections_model.rs`, proptest) and the
//! crash test (`collections_crash.rs`, SIGKILL): the operations, what each does to an
//! in-memory model, the same operation on a `Store`, and the store's state in the model's terms.

use std::collections::{BTreeMap, BTreeSet};

use kvs_storage::{CollectionKind, Store, Stored};

/// Keys `key-0` .. `key-5`.
pub const KEYS: u8 = 6;
/// Elements `el-0` .. `el-11`.
pub const ELEMENTS: u8 = 12;

/// What a key holds in the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    Str(Vec<u8>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
    Set(BTreeSet<Vec<u8>>),
}

/// The whole keyspace of the model.
pub type Keyspace = BTreeMap<Vec<u8>, Model>;

#[derive(Debug, Clone)]
pub enum Op {
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
    /// Close and open the store (the model test's caller does it).
    Reopen,
    FlushAll,
}

pub fn key(k: u8) -> Vec<u8> {
    format!("key-{k}").into_bytes()
}

pub fn element(e: u8) -> Vec<u8> {
    format!("el-{e}").into_bytes()
}

/// The value step `step` writes: its step number, padded to `len` more bytes.
pub fn value(step: u64, len: u16) -> Vec<u8> {
    let mut v = format!("{step}:").into_bytes();
    v.resize(v.len() + usize::from(len), b'v');
    v
}

/// Applies `op` (step `step`) to the model; whether the store must run it too (a write to a
/// key of another type is skipped, as the server answers it WRONGTYPE without writing).
pub fn apply_model(model: &mut Keyspace, op: &Op, step: u64) -> bool {
    match *op {
        Op::HSet(k, e, len) => {
            match model
                .entry(key(k))
                .or_insert_with(|| Model::Hash(BTreeMap::new()))
            {
                Model::Hash(h) => {
                    h.insert(element(e), value(step, len));
                    true
                }
                _ => false,
            }
        }
        Op::SAdd(k, e) => match model
            .entry(key(k))
            .or_insert_with(|| Model::Set(BTreeSet::new()))
        {
            Model::Set(s) => {
                s.insert(element(e));
                true
            }
            _ => false,
        },
        Op::HDel(k, e) | Op::SRem(k, e) => {
            let (k, e) = (key(k), element(e));
            let hash = matches!(op, Op::HDel(..));
            let emptied = match model.get_mut(&k) {
                Some(Model::Hash(h)) if hash => h.remove(&e).is_some() && h.is_empty(),
                Some(Model::Set(s)) if !hash => s.remove(&e) && s.is_empty(),
                _ => return false,
            };
            if emptied {
                model.remove(&k);
            }
            true
        }
        Op::Del(k) => {
            model.remove(&key(k));
            true
        }
        Op::Set(k, len) => {
            model.insert(key(k), Model::Str(value(step, len)));
            true
        }
        Op::Rename(a, b) => {
            if let Some(v) = model.remove(&key(a)) {
                model.insert(key(b), v);
            }
            true
        }
        Op::Compact => true,
        Op::FlushAll => {
            model.clear();
            true
        }
        Op::Reopen => unreachable!("handled by the caller"),
    }
}

/// Runs `op` (step `step`) on the store, one atomic write, as the server's command would.
pub fn apply_store(store: &Store, op: &Op, step: u64) {
    match *op {
        Op::HSet(k, e, len) => put(store, CollectionKind::Hash, k, e, value(step, len)),
        Op::SAdd(k, e) => put(store, CollectionKind::Set, k, e, Vec::new()),
        Op::HDel(k, e) | Op::SRem(k, e) => {
            let (k, e) = (key(k), element(e));
            store
                .execute(move |t| {
                    if let Some(Stored::Collection(m)) = t.lookup(&k).unwrap()
                        && t.delete_element(&k, m.id, &e)
                        && t.element_count(m.id) == 0
                    {
                        t.delete(&k).unwrap();
                    }
                })
                .unwrap();
        }
        Op::Del(k) => {
            store.remove(&key(k)).unwrap();
        }
        Op::Set(k, len) => store.set(&key(k), &value(step, len)).unwrap(),
        Op::Rename(a, b) => {
            let (a, b) = (key(a), key(b));
            store.execute(move |t| t.rename(&a, &b).unwrap()).unwrap();
        }
        Op::Compact => {
            store.compact().unwrap();
        }
        Op::FlushAll => store.flush_all().unwrap(),
        Op::Reopen => unreachable!("handled by the caller"),
    }
}

/// HSET or SADD: creates the collection if the key has none, then sets the element.
fn put(store: &Store, kind: CollectionKind, k: u8, e: u8, v: Vec<u8>) {
    let (k, e) = (key(k), element(e));
    store
        .execute(move |t| {
            let m = match t.lookup(&k).unwrap() {
                Some(Stored::Collection(m)) => m,
                _ => t.create_collection(&k, kind, None),
            };
            if kind == CollectionKind::Hash || !t.has_element(m.id, &e) {
                t.put_element(&k, m.id, &e, &v).unwrap();
            }
        })
        .unwrap();
}

/// Runs one op on the model and, unless the model skips it, on the store.
pub fn apply(store: &Store, model: &mut Keyspace, op: &Op, step: u64) {
    if apply_model(model, op, step) {
        apply_store(store, op, step);
    }
}

/// Every key as the store has it now, in the model's terms (and each collection's count
/// checked against its listing).
pub fn observed(store: &Store) -> Keyspace {
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
                            CollectionKind::List | CollectionKind::SortedSet => {
                                unreachable!("the model makes no lists or sorted sets")
                            }
                        }
                    }
                };
                out.insert(k, m);
            }
            out
        })
        .unwrap()
}
