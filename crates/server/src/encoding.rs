//! The encoding names OBJECT ENCODING reports, from the thresholds Redis 7.0 uses to pick them
//! (`hash-max-listpack-entries`, `hash-max-listpack-value`, `set-max-intset-entries`, settable
//! with CONFIG SET; `list-max-listpack-size` and `list-compress-depth` are kept for CONFIG only,
//! as Redis 7.0 encodes every list as a quicklist). **Informational**: kvs stores every collection the same way (a record per
//! element, `docs/storage-format.md` §4.3); the name says what Redis would use for the same
//! contents, so tools and tests that look at it see what they expect.

use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering::Relaxed;

/// The thresholds, changeable at run time (CONFIG SET). Thread-safe.
#[derive(Debug)]
pub struct EncodingLimits {
    hash_max_listpack_entries: AtomicI64,
    hash_max_listpack_value: AtomicI64,
    set_max_intset_entries: AtomicI64,
    list_max_listpack_size: AtomicI64,
    list_compress_depth: AtomicI64,
    zset_max_listpack_entries: AtomicI64,
    zset_max_listpack_value: AtomicI64,
}

impl Default for EncodingLimits {
    /// Redis 7.0's defaults.
    fn default() -> Self {
        EncodingLimits {
            hash_max_listpack_entries: AtomicI64::new(512),
            hash_max_listpack_value: AtomicI64::new(64),
            set_max_intset_entries: AtomicI64::new(512),
            list_max_listpack_size: AtomicI64::new(-2),
            list_compress_depth: AtomicI64::new(0),
            zset_max_listpack_entries: AtomicI64::new(128),
            zset_max_listpack_value: AtomicI64::new(64),
        }
    }
}

/// The CONFIG parameters, with Redis' pre-7.0 aliases (`*-ziplist-*`).
pub const PARAMS: [&str; 12] = [
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hash-max-ziplist-entries",
    "hash-max-ziplist-value",
    "set-max-intset-entries",
    "list-max-listpack-size",
    "list-max-ziplist-size",
    "list-compress-depth",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    "zset-max-ziplist-entries",
    "zset-max-ziplist-value",
];

impl EncodingLimits {
    fn slot(&self, name: &str) -> Option<&AtomicI64> {
        match name {
            "hash-max-listpack-entries" | "hash-max-ziplist-entries" => {
                Some(&self.hash_max_listpack_entries)
            }
            "hash-max-listpack-value" | "hash-max-ziplist-value" => {
                Some(&self.hash_max_listpack_value)
            }
            "set-max-intset-entries" => Some(&self.set_max_intset_entries),
            "list-max-listpack-size" | "list-max-ziplist-size" => {
                Some(&self.list_max_listpack_size)
            }
            "list-compress-depth" => Some(&self.list_compress_depth),
            "zset-max-listpack-entries" | "zset-max-ziplist-entries" => {
                Some(&self.zset_max_listpack_entries)
            }
            "zset-max-listpack-value" | "zset-max-ziplist-value" => {
                Some(&self.zset_max_listpack_value)
            }
            _ => None,
        }
    }

    /// The bounds CONFIG SET enforces on parameter `name`, inclusive (Redis 7.0's `config.c`:
    /// the hash and set thresholds are `size_t`/`long` configs, the list ones `int`s).
    pub fn bounds(name: &str) -> (i64, i64) {
        let int = i64::from(i32::MAX);
        match name {
            "list-max-listpack-size" | "list-max-ziplist-size" => (i64::from(i32::MIN), int),
            "list-compress-depth" => (0, int),
            _ => (0, i64::MAX),
        }
    }

    /// The value of parameter `name` (one of [`PARAMS`]).
    pub fn get(&self, name: &str) -> Option<i64> {
        self.slot(name).map(|s| s.load(Relaxed))
    }

    /// Sets parameter `name` (one of [`PARAMS`]); false if it is not one.
    pub fn set(&self, name: &str, value: i64) -> bool {
        self.slot(name).map(|s| s.store(value, Relaxed)).is_some()
    }

    /// A hash of `count` fields whose longest field or value is `longest` bytes.
    pub fn hash(&self, count: usize, longest: usize) -> &'static str {
        if count as i64 <= self.hash_max_listpack_entries.load(Relaxed)
            && longest as i64 <= self.hash_max_listpack_value.load(Relaxed)
        {
            "listpack"
        } else {
            "hashtable"
        }
    }

    /// A sorted set of `count` members whose longest is `longest` bytes.
    pub fn zset(&self, count: usize, longest: usize) -> &'static str {
        if count as i64 <= self.zset_max_listpack_entries.load(Relaxed)
            && longest as i64 <= self.zset_max_listpack_value.load(Relaxed)
        {
            "listpack"
        } else {
            "skiplist"
        }
    }

    /// A set of `count` members, all integers (`all_integers`) or not.
    pub fn set_of(&self, count: usize, all_integers: bool) -> &'static str {
        if all_integers && count as i64 <= self.set_max_intset_entries.load(Relaxed) {
            "intset"
        } else {
            "hashtable"
        }
    }

    /// A string value (Redis' `tryObjectEncoding`: an integer that fits a long, else up to 44
    /// bytes in one allocation with its header, else a separate buffer).
    pub fn string(value: &[u8]) -> &'static str {
        if value.len() <= 20 && crate::resp::parse::string2ll(value).is_some() {
            "int"
        } else if value.len() <= 44 {
            "embstr"
        } else {
            "raw"
        }
    }
}
