//! How a store is configured.

use std::sync::Arc;
use std::time::Duration;

/// When the writer makes appended records durable (Redis' `appendfsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// `fdatasync` after every write batch, before any of its writes is acknowledged
    /// (group commit: one fsync per batch, however many writes it holds).
    Always,
    /// `fdatasync` about once a second; a crash loses at most the last second or so. The default,
    /// as in Redis.
    #[default]
    EverySec,
    /// Never fsync explicitly; the OS writes back when it likes.
    No,
}

impl std::str::FromStr for FsyncPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Ok(FsyncPolicy::Always),
            "everysec" => Ok(FsyncPolicy::EverySec),
            "no" => Ok(FsyncPolicy::No),
            other => Err(format!(
                "unknown fsync policy '{other}' (always, everysec, no)"
            )),
        }
    }
}

/// Store options. `Options::default()` is what `KvStore::open` uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// Durability of writes. Default [`FsyncPolicy::EverySec`].
    pub fsync: FsyncPolicy,
    /// The active data file is sealed and a new one started once it reaches this size.
    /// Default 64 MiB; must stay below 4 GiB (index offsets are 32-bit).
    pub max_file_size: u64,
    /// Reader threads serving [`Store::submit_read`](crate::Store::submit_read). Default 2.
    pub readers: usize,
    /// Most write commands the writer takes into one batch (one write, at most one fsync).
    /// Default 1024.
    pub max_batch: usize,
    /// A sealed file is compacted once this fraction of its bytes is dead. Default 0.5.
    pub compaction_threshold: f64,
    /// The active file is sealed early — before [`max_file_size`](Self::max_file_size) — once
    /// at least this fraction of its own bytes is dead *and* at least
    /// [`seal_dead_bytes`](Self::seal_dead_bytes) are (storage-format §10.1). A small working
    /// set overwritten in place otherwise keeps all its garbage in a file the compactor never
    /// takes. Default 0.5 (like Redis' `auto-aof-rewrite-percentage 100`: half the file is
    /// garbage); values above 1 disable the rule.
    pub seal_dead_ratio: f64,
    /// The dead bytes the active file must hold before it is sealed early (Redis'
    /// `auto-aof-rewrite-min-size`, Bitcask's `dead_bytes_merge_trigger`). Default 8 MiB.
    pub seal_dead_bytes: u64,
    /// The most elements one hash or set may hold: [`MAX_ELEMENTS`](crate::MAX_ELEMENTS)
    /// (2^32 − 1, Redis' documented limit), which is also the most this build can hold (the
    /// writer's element positions are 32-bit); larger values are taken as that. Lower it to bound
    /// what one collection can cost the writer's memory, or to test the limit.
    pub max_collection_elements: u64,
    /// The MANIFEST is rewritten as one snapshot edit once it passes this many bytes
    /// (storage-format §6.5). Default [`DEFAULT_REWRITE_AT`](crate::manifest::DEFAULT_REWRITE_AT)
    /// (64 KiB).
    pub manifest_rewrite_at: u64,
    /// How often the compactor looks for files past the threshold (it also runs on request).
    /// `None` disables automatic compaction. Default 10 s.
    pub compaction_interval: Option<Duration>,
    /// Runs each write batch's completions, if set: see [`CompletionScope`]. Default `None`
    /// (completions are called directly).
    pub completion_scope: Option<CompletionScope>,
    /// Told, on the writer thread, the keys deleted because their TTL had passed: once per
    /// commit that deleted some, after it is published (see [`ExpiredSink`]). Default `None`.
    pub on_expired: Option<ExpiredSink>,
}

/// A caller-supplied sink for the keys the writer deletes because their TTL passed (due in its
/// schedule, found expired under a write, or already dropped by a compaction): the kv server
/// turns them into Redis' `expired` keyspace notifications. Called on the writer thread with
/// one commit's keys, in the order they expired; it must not block.
#[derive(Clone)]
pub struct ExpiredSink(Arc<dyn Fn(Vec<Vec<u8>>) + Send + Sync>);

impl ExpiredSink {
    /// Wraps `sink`.
    pub fn new(sink: impl Fn(Vec<Vec<u8>>) + Send + Sync + 'static) -> Self {
        ExpiredSink(Arc::new(sink))
    }

    /// Hands `keys` to the sink.
    pub(crate) fn send(&self, keys: Vec<Vec<u8>>) {
        (self.0)(keys)
    }
}

impl std::fmt::Debug for ExpiredSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExpiredSink(..)")
    }
}

/// A caller-supplied scope the writer runs one batch's completions in: called once per batch
/// with a function that calls them all.
///
/// The store never learns where replies go; a caller that posts each completion's reply to an
/// event loop can so hand a whole batch to each loop at once (the kv server wraps them in
/// `kvs_reactor::coalesce_posts`: one wake-up per looper per batch instead of one every few
/// replies). The scope must call the function it is given exactly once, on the calling thread.
#[derive(Clone)]
pub struct CompletionScope(Arc<ScopeFn>);

/// What a [`CompletionScope`] wraps: called with the function that runs a batch's completions.
type ScopeFn = dyn Fn(&mut dyn FnMut()) + Send + Sync;

impl CompletionScope {
    /// Wraps `scope`, which must call the function it receives exactly once.
    pub fn new(scope: impl Fn(&mut dyn FnMut()) + Send + Sync + 'static) -> Self {
        CompletionScope(Arc::new(scope))
    }

    /// Runs `f` inside the scope, or directly if there is none.
    pub(crate) fn run(scope: Option<&CompletionScope>, mut f: impl FnMut()) {
        match scope {
            Some(s) => (s.0)(&mut f),
            None => f(),
        }
    }
}

impl std::fmt::Debug for CompletionScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompletionScope(..)")
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            fsync: FsyncPolicy::EverySec,
            max_file_size: 64 << 20,
            readers: 2,
            max_batch: 1024,
            compaction_threshold: 0.5,
            seal_dead_ratio: 0.5,
            seal_dead_bytes: 8 << 20,
            max_collection_elements: crate::collection::MAX_ELEMENTS as u64,
            manifest_rewrite_at: crate::manifest::DEFAULT_REWRITE_AT,
            compaction_interval: Some(Duration::from_secs(10)),
            completion_scope: None,
            on_expired: None,
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every expiry time.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
