//! Start-up configuration of the server (the `kvs-server` flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use kvs_storage::FsyncPolicy;

/// Which storage engine a server runs on. The choice is recorded in the data directory
/// (`ENGINE`), and opening that directory with another engine fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    /// kvs-storage, the Bitcask-style log store of this project.
    #[default]
    Kvs,
    /// sled, for comparison (`crate::engine::sled`).
    Sled,
}

impl EngineKind {
    /// The name used on the command line, in INFO and in the directory's `ENGINE` file.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Kvs => "kvs",
            EngineKind::Sled => "sled",
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a server is started.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address. Default 127.0.0.1:4000.
    pub addr: SocketAddr,
    /// Data directory. Default `./kvs-data`.
    pub dir: PathBuf,
    /// Storage engine. Default [`EngineKind::Kvs`].
    pub engine: EngineKind,
    /// Looper threads. Default [`default_loopers`]: one per core, less one for the writer.
    pub loopers: usize,
    /// Storage reader threads.
    pub readers: usize,
    /// fsync policy.
    pub fsync: FsyncPolicy,
    /// `requirepass`.
    pub requirepass: Option<String>,
    /// `maxclients`.
    pub maxclients: usize,
    /// Idle client timeout in seconds (0 = never), Redis' `timeout`.
    pub timeout: u64,
    /// Largest bulk string accepted (`proto-max-bulk-len`).
    pub proto_max_bulk_len: usize,
    /// Data file size at which the writer rotates.
    pub max_file_size: u64,
    /// Compaction check period.
    pub compaction_interval: Option<Duration>,
    /// The active file is sealed early once this fraction of it is dead (and
    /// `seal_dead_bytes` are): `kvs_storage::Options::seal_dead_ratio`.
    pub seal_dead_ratio: f64,
    /// See `seal_dead_ratio`: `kvs_storage::Options::seal_dead_bytes`.
    pub seal_dead_bytes: u64,
    /// The most elements one hash or set may hold (`kvs_storage::Options::
    /// max_collection_elements`): 2^32 − 1, Redis' limit, by default; lower only in tests.
    pub max_collection_elements: u64,
    /// Pending output above which a client's reading is paused.
    pub output_high_water: usize,
    /// Pending output at which a client is disconnected (Redis' client-output-buffer-limit).
    pub output_hard_limit: usize,
    /// Answer reads on the looper (lock-free, no thread hop) instead of sending them to the
    /// reader threads. Off by default: the design's path is looper -> readers -> looper.
    pub inline_reads: bool,
    /// Send every read to the reader threads, even one that cannot block (by default a looper
    /// answers those itself: see `session::placement`). For comparison runs.
    pub reads_on_readers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 4000)),
            dir: PathBuf::from("kvs-data"),
            engine: EngineKind::Kvs,
            loopers: default_loopers(),
            readers: 2,
            fsync: FsyncPolicy::EverySec,
            requirepass: None,
            maxclients: 10_000,
            timeout: 0,
            proto_max_bulk_len: 512 * 1024 * 1024,
            max_file_size: 64 << 20,
            compaction_interval: Some(Duration::from_secs(10)),
            seal_dead_ratio: kvs_storage::Options::default().seal_dead_ratio,
            seal_dead_bytes: kvs_storage::Options::default().seal_dead_bytes,
            max_collection_elements: kvs_storage::Options::default().max_collection_elements,
            output_high_water: 8 << 20,
            output_hard_limit: 512 << 20,
            inline_reads: false,
            reads_on_readers: false,
        }
    }
}

/// The default number of looper threads: one per core, less one for the storage writer — at
/// least one. Every write goes to the one writer thread, which under write load keeps a core
/// busy; a looper per remaining core serves the sockets. Measured on 2 cores
/// (docs/benchmarks.md, issue 13): 1 looper against 2 at redis-benchmark's defaults, SET P=1
/// 0.73-0.79x Redis against 0.57-0.58x at 13.4 against 19.7 us of server CPU per request, GET
/// P=1 p99 0.86-0.99 ms against 3.2 ms — a second looper only adds context switches there. The
/// price is paid by deep pipelines of writes (SET P=16 1.01-1.35x against 1.27-1.62x), where one
/// looper saturates its core.
pub fn default_loopers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1)
}
