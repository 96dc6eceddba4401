//! The three engines behind one trait, and how each is preloaded.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dur {
    No,
    EverySec,
    Always,
}

pub(crate) trait Engine: Sync {
    fn put(&self, k: &[u8], v: &[u8]);
    /// Reads `k` into an owned value; returns whether it was found.
    fn get(&self, k: &[u8]) -> bool;
    /// Writes `keys` with one durable commit.
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]);
}

pub(crate) struct Kvs {
    pub(crate) store: Store,
}

impl Kvs {
    pub(crate) fn open(dir: &Path, d: Dur) -> Kvs {
        let fsync = match d {
            Dur::No => FsyncPolicy::No,
            Dur::EverySec => FsyncPolicy::EverySec,
            Dur::Always => FsyncPolicy::Always,
        };
        Kvs {
            store: Store::open_with(
                dir,
                Options {
                    fsync,
                    ..Options::default()
                },
            )
            .expect("kvs open"),
        }
    }
}

impl Engine for Kvs {
    fn put(&self, k: &[u8], v: &[u8]) {
        self.store.set(k, v).expect("kvs set");
    }
    fn get(&self, k: &[u8]) -> bool {
        let v = self.store.reader().get(k).expect("kvs get");
        let found = v.is_some();
        black_box(v);
        found
    }
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]) {
        let owned: Vec<([u8; 16], Vec<u8>)> = kvs.iter().map(|(k, v)| (*k, v.to_vec())).collect();
        self.store
            .execute(move |t| {
                for (k, v) in &owned {
                    t.put(k, v, None);
                }
            })
            .expect("kvs execute");
    }
}

pub(crate) struct Sled {
    pub(crate) db: sled::Db,
    pub(crate) flush_each: bool,
}

impl Sled {
    pub(crate) fn open(dir: &Path, d: Dur) -> Sled {
        let every = if d == Dur::EverySec { Some(500) } else { None };
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(every)
            .open()
            .expect("sled open");
        Sled {
            db,
            flush_each: d == Dur::Always,
        }
    }
}

impl Engine for Sled {
    fn put(&self, k: &[u8], v: &[u8]) {
        self.db.insert(k, v).expect("sled insert");
        if self.flush_each {
            self.db.flush().expect("sled flush");
        }
    }
    fn get(&self, k: &[u8]) -> bool {
        let v = self.db.get(k).expect("sled get");
        let found = v.is_some();
        black_box(v);
        found
    }
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]) {
        let mut b = sled::Batch::default();
        for (k, v) in kvs {
            b.insert(&k[..], *v);
        }
        self.db.apply_batch(b).expect("sled batch");
        self.db.flush().expect("sled flush");
    }
}

pub(crate) struct Redb {
    pub(crate) db: redb::Database,
    pub(crate) d: Dur,
    pub(crate) last_durable: Mutex<Instant>,
}

impl Redb {
    pub(crate) fn open(dir: &Path, d: Dur) -> Redb {
        std::fs::create_dir_all(dir).expect("mkdir");
        let db = redb::Database::create(dir.join("db.redb")).expect("redb create");
        let tx = db.begin_write().expect("redb begin");
        tx.open_table(TABLE).expect("redb table");
        tx.commit().expect("redb commit");
        Redb {
            db,
            d,
            last_durable: Mutex::new(Instant::now()),
        }
    }
    pub(crate) fn durability(&self) -> redb::Durability {
        match self.d {
            Dur::No => redb::Durability::None,
            Dur::Always => redb::Durability::Immediate,
            Dur::EverySec => {
                let mut last = self.last_durable.lock().expect("lock");
                if last.elapsed() >= Duration::from_secs(1) {
                    *last = Instant::now();
                    redb::Durability::Immediate
                } else {
                    redb::Durability::None
                }
            }
        }
    }
}

impl Engine for Redb {
    fn put(&self, k: &[u8], v: &[u8]) {
        let mut tx = self.db.begin_write().expect("redb begin");
        tx.set_durability(self.durability())
            .expect("redb durability");
        {
            let mut t = tx.open_table(TABLE).expect("redb table");
            t.insert(k, v).expect("redb insert");
        }
        tx.commit().expect("redb commit");
    }
    fn get(&self, k: &[u8]) -> bool {
        let tx = self.db.begin_read().expect("redb read");
        let t = tx.open_table(TABLE).expect("redb table");
        let v = t.get(k).expect("redb get").map(|g| g.value().to_vec());
        let found = v.is_some();
        black_box(v);
        found
    }
    fn put_batch(&self, kvs: &[([u8; 16], &[u8])]) {
        let mut tx = self.db.begin_write().expect("redb begin");
        tx.set_durability(redb::Durability::Immediate)
            .expect("redb durability");
        {
            let mut t = tx.open_table(TABLE).expect("redb table");
            for (k, v) in kvs {
                t.insert(&k[..], *v).expect("redb insert");
            }
        }
        tx.commit().expect("redb commit");
    }
}

/// Loads keys `range` into kvs with pipelined `submit_writes` (1000 single-put commands per
/// message), waiting for the writer every 100 messages.
pub(crate) fn kvs_load(store: &Store, range: std::ops::Range<u64>, vals: &Arc<Vals>) {
    let failed = Arc::new(AtomicBool::new(false));
    let mut chunk = 0u64;
    let mut i = range.start;
    while i < range.end {
        let end = (i + 1000).min(range.end);
        let fs: Vec<TxnFn> = (i..end)
            .map(|j| {
                let (vals, failed) = (vals.clone(), failed.clone());
                Box::new(move |t: &mut kvs_storage::Txn<'_>| {
                    t.put(&key(j), vals.get(j), None);
                    Box::new(move |r: kvs_storage::Result<()>| {
                        if r.is_err() {
                            failed.store(true, Relaxed);
                        }
                    }) as kvs_storage::Completion
                }) as TxnFn
            })
            .collect();
        store.submit_writes(fs).expect("kvs submit");
        i = end;
        chunk += 1;
        if chunk.is_multiple_of(100) {
            store.execute(|_| ()).expect("kvs barrier");
        }
    }
    store.execute(|_| ()).expect("kvs barrier");
    assert!(!failed.load(Relaxed), "a kvs write failed during the load");
}

pub(crate) fn sled_load(db: &sled::Db, range: std::ops::Range<u64>, vals: &Vals) {
    for j in range {
        db.insert(key(j), vals.get(j)).expect("sled insert");
    }
    db.flush().expect("sled flush");
}

pub(crate) fn redb_load(db: &redb::Database, range: std::ops::Range<u64>, vals: &Vals) {
    let mut i = range.start;
    while i < range.end {
        let end = (i + 10_000).min(range.end);
        let mut tx = db.begin_write().expect("redb begin");
        let d = if end == range.end {
            redb::Durability::Immediate
        } else {
            redb::Durability::None
        };
        tx.set_durability(d).expect("redb durability");
        {
            let mut t = tx.open_table(TABLE).expect("redb table");
            for j in i..end {
                t.insert(&key(j)[..], vals.get(j)).expect("redb insert");
            }
        }
        tx.commit().expect("redb commit");
        i = end;
    }
}
