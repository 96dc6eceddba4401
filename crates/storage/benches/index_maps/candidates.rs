//! The candidate maps, behind one trait.

use super::*;

pub(crate) trait Map: Send + Sync + 'static {
    fn new() -> Self;
    fn put(&self, key: &[u8], e: IndexEntry);
    fn get(&self, key: &[u8]) -> Option<IndexEntry>;
    fn len(&self) -> usize;
}

pub(crate) struct Dash<K, V>(pub(crate) dashmap::DashMap<K, V>);
impl<K: Key, V: Val> Map for Dash<K, V> {
    fn new() -> Self {
        Dash(dashmap::DashMap::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.insert(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.get(key).map(|v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

pub(crate) struct Papaya<K, V>(pub(crate) papaya::HashMap<K, V>);
impl<K: Key, V: Val> Map for Papaya<K, V> {
    fn new() -> Self {
        Papaya(papaya::HashMap::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.pin().insert(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.pin().get(key).map(|v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

pub(crate) struct SccMap<K, V>(pub(crate) scc::HashMap<K, V>);
impl<K: Key, V: Val> Map for SccMap<K, V> {
    fn new() -> Self {
        SccMap(scc::HashMap::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.upsert_sync(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.read_sync(key, |_, v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

pub(crate) struct SccIndex<K, V>(pub(crate) scc::HashIndex<K, V>);
impl<K: Key, V: Val> Map for SccIndex<K, V> {
    fn new() -> Self {
        SccIndex(scc::HashIndex::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        match self.0.entry_sync(K::from_slice(key)) {
            scc::hash_index::Entry::Occupied(mut o) => o.update(V::pack(e)),
            scc::hash_index::Entry::Vacant(v) => {
                v.insert_entry(V::pack(e));
            }
        }
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.peek_with(key, |_, v| v.unpack())
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// papaya split into 2^BITS shards (as the index is), without the index's packing: what the
/// sharding alone costs, for a few shard counts, with blocking or incremental resizes.
pub(crate) struct PapayaSharded<const BITS: u32, const BLOCKING: bool, K, V> {
    pub(crate) shards: Vec<papaya::HashMap<K, V>>,
    pub(crate) seed: u64,
}
impl<const BITS: u32, const BLOCKING: bool, K: Key, V: Val> PapayaSharded<BITS, BLOCKING, K, V> {
    pub(crate) fn shard(&self, key: &[u8]) -> &papaya::HashMap<K, V> {
        // Same kind of cheap seeded hash as index.rs uses.
        let mut h = self.seed ^ key.len() as u64;
        for w in key.chunks(8) {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            h = (h ^ u64::from_le_bytes(b))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(29);
        }
        h ^= h >> 31;
        h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
        &self.shards[(h >> (64 - BITS)) as usize]
    }
}
impl<const BITS: u32, const BLOCKING: bool, K: Key, V: Val> Map
    for PapayaSharded<BITS, BLOCKING, K, V>
{
    fn new() -> Self {
        let collector = Arc::new(seize::Collector::new());
        let shards = (0..1usize << BITS)
            .map(|_| {
                papaya::HashMap::builder()
                    .shared_collector(Arc::clone(&collector))
                    .resize_mode(if BLOCKING {
                        papaya::ResizeMode::Blocking
                    } else {
                        papaya::ResizeMode::Incremental(64)
                    })
                    .build()
            })
            .collect();
        PapayaSharded {
            shards,
            seed: 0x1234_5678_9abc_def1,
        }
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.shard(key).pin().insert(K::from_slice(key), V::pack(e));
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.shard(key).pin().get(key).map(|v| v.unpack())
    }
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.len()).sum()
    }
}

/// The index as implemented, for the record.
pub(crate) struct Kvs(pub(crate) Index);
impl Map for Kvs {
    fn new() -> Self {
        Kvs(Index::new())
    }
    fn put(&self, key: &[u8], e: IndexEntry) {
        self.0.insert(key, e);
    }
    fn get(&self, key: &[u8]) -> Option<IndexEntry> {
        self.0.get(key)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Every variant: name, runner.
/// Runs one measurement of a variant: (N, memory only?) → the sample, in COLUMNS order.
pub(crate) type Runner = fn(u64, bool) -> Vec<f64>;

pub(crate) fn variants() -> Vec<(&'static str, Runner)> {
    vec![
        (
            "dashmap  Box<[u8]>  entry48",
            run::<Dash<Box<[u8]>, IndexEntry>>,
        ),
        (
            "dashmap  inline24   entry28",
            run::<Dash<InlineKey, Compact>>,
        ),
        (
            "papaya   Box<[u8]>  entry48",
            run::<Papaya<Box<[u8]>, IndexEntry>>,
        ),
        (
            "papaya   inline24   entry28",
            run::<Papaya<InlineKey, Compact>>,
        ),
        (
            "papaya   inline24   noseq20",
            run::<Papaya<InlineKey, NoSeq>>,
        ),
        (
            "papaya/64 shards   inline24 entry28",
            run::<PapayaSharded<6, true, InlineKey, Compact>>,
        ),
        (
            "papaya/256 shards  inline24 entry28",
            run::<PapayaSharded<8, true, InlineKey, Compact>>,
        ),
        (
            "papaya/1024 shards inline24 entry28",
            run::<PapayaSharded<10, true, InlineKey, Compact>>,
        ),
        (
            "papaya/1024 shards incremental",
            run::<PapayaSharded<10, false, InlineKey, Compact>>,
        ),
        (
            "scc::HashMap   Box<[u8]> entry48",
            run::<SccMap<Box<[u8]>, IndexEntry>>,
        ),
        (
            "scc::HashMap   inline24  entry28",
            run::<SccMap<InlineKey, Compact>>,
        ),
        (
            "scc::HashMap   inline24  noseq20",
            run::<SccMap<InlineKey, NoSeq>>,
        ),
        (
            "scc::HashIndex inline24  entry28",
            run::<SccIndex<InlineKey, Compact>>,
        ),
        ("kvs Index (as implemented)", run::<Kvs>),
    ]
}
