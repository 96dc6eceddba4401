//! `kvs-server`: the kv server binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kvs_server::{Config, EngineKind, KvServer};
use kvs_storage::{FsyncPolicy, Options};

/// A persistent, Redis-compatible key-value server.
#[derive(Parser, Debug)]
#[command(name = "kvs-server", version, about)]
struct Args {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:4000")]
    addr: SocketAddr,
    /// Storage engine (recorded in the data directory; another engine on the same directory fails).
    #[arg(long, value_enum, default_value_t = EngineKind::Kvs)]
    engine: EngineKind,
    /// Data directory (created if missing).
    #[arg(long, default_value = "kvs-data")]
    dir: PathBuf,
    /// Looper (network) threads [default: one per core, less one for the storage writer; at
    /// least 1].
    #[arg(long)]
    loopers: Option<usize>,
    /// Storage reader threads.
    #[arg(long, default_value_t = 2)]
    readers: usize,
    /// When writes are fsync'd: always (before the reply), everysec, no.
    #[arg(long, default_value = "everysec")]
    fsync: FsyncPolicy,
    /// Password clients must AUTH with.
    #[arg(long)]
    requirepass: Option<String>,
    /// Most clients connected at once.
    #[arg(long, default_value_t = 10_000)]
    maxclients: usize,
    /// Close clients idle for this many seconds (0: never).
    #[arg(long, default_value_t = 0)]
    timeout: u64,
    /// Data file size (MiB) at which the active file is sealed and a new one started.
    #[arg(long, default_value_t = 64)]
    max_file_mb: u64,
    /// Data file size in KiB; overrides --max-file-mb (small files make compaction run often,
    /// which the crash-loop test wants).
    #[arg(long)]
    max_file_kb: Option<u64>,
    /// How often (ms) the compactor looks for files with enough dead bytes; 0 disables automatic
    /// compaction.
    #[arg(long, default_value_t = 10_000)]
    compaction_interval_ms: u64,
    /// Seal the active data file early once this fraction of it is dead (overwritten or
    /// deleted) and --seal-dead-mb are, so compaction can reclaim it; above 1 disables.
    #[arg(long, default_value_t = Options::default().seal_dead_ratio)]
    seal_dead_ratio: f64,
    /// Dead MiB the active data file must hold before it is sealed early (see
    /// --seal-dead-ratio; Redis' auto-aof-rewrite-min-size).
    #[arg(long, default_value_t = Options::default().seal_dead_bytes >> 20)]
    seal_dead_mb: u64,
    /// Largest bulk string a client may send, in bytes (Redis' proto-max-bulk-len).
    #[arg(long, default_value_t = 512 * 1024 * 1024)]
    proto_max_bulk_len: usize,
    /// Pending output (MiB) at which a client that does not read its replies is disconnected
    /// (Redis' client-output-buffer-limit hard limit); 0: no limit.
    #[arg(long, default_value_t = 512)]
    output_limit_mb: usize,
    /// Answer reads on the network threads (lock-free) instead of the storage reader threads.
    #[arg(long)]
    inline_reads: bool,
    /// Send every read to the storage reader threads, even one that cannot block (by default
    /// a network thread answers a read itself when its records are in memory).
    #[arg(long, conflicts_with = "inline_reads")]
    reads_on_readers: bool,
    /// Log level (error, warn, info, debug, trace) or a tracing filter.
    #[arg(long, default_value = "info")]
    log_level: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&args.log_level)
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config {
        addr: args.addr,
        dir: args.dir,
        engine: args.engine,
        loopers: args.loopers.unwrap_or_else(kvs_server::default_loopers),
        readers: args.readers,
        fsync: args.fsync,
        requirepass: args.requirepass,
        maxclients: args.maxclients,
        timeout: args.timeout,
        max_file_size: match args.max_file_kb {
            Some(kb) => kb.max(4) << 10,
            None => args.max_file_mb.max(1) << 20,
        },
        compaction_interval: (args.compaction_interval_ms > 0)
            .then(|| Duration::from_millis(args.compaction_interval_ms)),
        seal_dead_ratio: args.seal_dead_ratio,
        seal_dead_bytes: args.seal_dead_mb << 20,
        proto_max_bulk_len: args.proto_max_bulk_len,
        output_hard_limit: match args.output_limit_mb {
            0 => usize::MAX,
            mb => mb.saturating_mul(1 << 20),
        },
        inline_reads: args.inline_reads,
        reads_on_readers: args.reads_on_readers,
        ..Config::default()
    };
    let server = match KvServer::start(config) {
        Ok(s) => s,
        Err(e) => {
            // Printed once, plainly (no timestamp or log level): this is the message a user
            // starting the server reads, like Redis' "Could not create server TCP listening
            // socket ...". It used to be logged with tracing as well, which showed it twice.
            match e.hint() {
                Some(hint) => eprintln!("kvs-server: {e}; {hint}"),
                None => eprintln!("kvs-server: {e}"),
            }
            return ExitCode::FAILURE;
        }
    };
    // SIGINT / SIGTERM stop the server like SHUTDOWN does.
    match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ]) {
        Ok(mut signals) => {
            let ctx = server.ctx().clone();
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    tracing::info!(signal = sig, "signal received; shutting down");
                    ctx.request_shutdown();
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "could not install signal handlers"),
    }
    server.wait();
    match server.shutdown(Duration::from_secs(2)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kvs-server: shutdown: {e}");
            ExitCode::FAILURE
        }
    }
}
