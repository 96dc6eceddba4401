//! `KvStore`: the embedded, synchronous API in the shape of talent-plan's `KvsEngine`.

use std::path::Path;

use crate::error::{Result, StorageError};
use crate::options::Options;
use crate::store::Store;

/// A key-value storage engine: the talent-plan project-4 `KvsEngine` trait.
pub trait KvsEngine: Clone + Send + 'static {
    /// Sets `key` to `value`, overwriting any previous value. Durable per the fsync policy once
    /// it returns.
    fn set(&self, key: String, value: String) -> Result<()>;
    /// The value of `key`, or `None`.
    fn get(&self, key: String) -> Result<Option<String>>;
    /// Removes `key`; [`StorageError::KeyNotFound`] if it does not exist.
    fn remove(&self, key: String) -> Result<()>;
}

/// A thread-safe handle to an embedded store: `Clone + Send + Sync`, all clones share one store,
/// and dropping the last one stops its threads, fsyncs, and releases the directory.
///
/// ```
/// use kvs_storage::{KvStore, KvsEngine};
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = KvStore::open(dir.path()).unwrap();
/// store.set("k".to_owned(), "v".to_owned()).unwrap();
/// assert_eq!(store.get("k".to_owned()).unwrap(), Some("v".to_owned()));
/// store.remove("k".to_owned()).unwrap();
/// assert!(store.remove("k".to_owned()).is_err()); // KeyNotFound
/// drop(store);
/// let again = KvStore::open(dir.path()).unwrap(); // the directory is free again
/// assert_eq!(again.get("k".to_owned()).unwrap(), None);
/// ```
#[derive(Clone)]
pub struct KvStore {
    store: Store,
}

impl KvStore {
    /// Opens (or creates) the store in `dir` with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<KvStore> {
        Ok(KvStore {
            store: Store::open(dir)?,
        })
    }

    /// Opens (or creates) the store in `dir` with `opts`.
    pub fn open_with(dir: impl AsRef<Path>, opts: Options) -> Result<KvStore> {
        Ok(KvStore {
            store: Store::open_with(dir, opts)?,
        })
    }

    /// The engine underneath, for the asynchronous API.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Byte-slice [`KvsEngine::set`].
    pub fn set_bytes(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.store.set(key, value)
    }

    /// Byte-slice [`KvsEngine::get`].
    pub fn get_bytes(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.store.get(key)
    }

    /// Byte-slice [`KvsEngine::remove`].
    pub fn remove_bytes(&self, key: &[u8]) -> Result<()> {
        if self.store.remove(key)? {
            Ok(())
        } else {
            Err(StorageError::KeyNotFound)
        }
    }
}

impl KvsEngine for KvStore {
    fn set(&self, key: String, value: String) -> Result<()> {
        self.set_bytes(key.as_bytes(), value.as_bytes())
    }

    fn get(&self, key: String) -> Result<Option<String>> {
        match self.get_bytes(key.as_bytes())? {
            None => Ok(None),
            Some(v) => String::from_utf8(v)
                .map(Some)
                .map_err(|_| StorageError::InvalidOperation("value is not valid UTF-8".into())),
        }
    }

    fn remove(&self, key: String) -> Result<()> {
        self.remove_bytes(key.as_bytes())
    }
}
