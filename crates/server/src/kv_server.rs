//! `KvServer`: the storage engine plus the reactor, wired together.

use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use kvs_reactor::TcpServer;
use kvs_storage::{CompletionScope, ExpiredSink, Options, Store};

use crate::engine::Engine;
use crate::engine::kvs::KvsEngine;
use crate::engine::sled::SledEngine;

use crate::ctx::ServerCtx;
use crate::session::Session;
use crate::startup_config::{Config, EngineKind};

/// The file in the data directory that records which engine wrote it.
pub const ENGINE_FILE: &str = "ENGINE";

pub use crate::error::ServerError;

/// A running kv server.
pub struct KvServer {
    ctx: Arc<ServerCtx>,
    server: Option<kvs_reactor::Server>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    /// Returns freed heap memory to the OS every few seconds (glibc; see `trim.rs`).
    _trimmer: crate::trim::HeapTrimmer,
}

/// Checks (or records) which engine owns `dir`, before the store is opened (after binding).
fn claim_engine(dir: &Path, engine: EngineKind) -> Result<(), ServerError> {
    let engine = engine.as_str();
    prepare_dir(dir)?;
    let path = dir.join(ENGINE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(found) if found.trim() == engine => Ok(()),
        Ok(found) => Err(ServerError::EngineMismatch {
            dir: dir.to_path_buf(),
            found: found.trim().to_string(),
            wanted: engine.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let write = || -> Result<(), (&'static str, std::io::Error)> {
                let mut f = std::fs::File::create(&path).map_err(|e| ("create", e))?;
                f.write_all(format!("{engine}\n").as_bytes())
                    .map_err(|e| ("write", e))?;
                f.sync_all().map_err(|e| ("fsync", e))
            };
            write().map_err(|(op, e)| ServerError::dir_io(dir, op, &path, e, true))
        }
        Err(e) => Err(ServerError::dir_io(dir, "read", &path, e, false)),
    }
}

/// Creates `dir` if it is missing and makes sure it is a directory.
///
/// `create_dir_all` alone reports a regular file at `dir` as EEXIST and one above it as
/// ENOTDIR, naming neither path; checking first lets the error say which path is in the way.
fn prepare_dir(dir: &Path) -> Result<(), ServerError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(m) => {
            return Err(ServerError::NotADirectory {
                dir: dir.to_path_buf(),
                kind: crate::error::file_kind(&m),
            });
        }
        // Missing, or a file above it (found again below, when mkdir fails).
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {}
        Err(e) => return Err(ServerError::dir_io(dir, "stat", dir, e, false)),
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        // The deepest existing ancestor that is not a directory is what blocks the mkdir.
        let blocker = dir
            .ancestors()
            .skip(1)
            .find_map(|p| match std::fs::metadata(p) {
                Ok(m) if !m.is_dir() => Some(Some((p, m))),
                Ok(_) => Some(None),
                Err(_) => None,
            });
        match blocker.flatten() {
            Some((parent, m)) => ServerError::ParentNotADirectory {
                dir: dir.to_path_buf(),
                parent: parent.to_path_buf(),
                kind: crate::error::file_kind(&m),
            },
            None => ServerError::CreateDir {
                dir: dir.to_path_buf(),
                source: e,
            },
        }
    })
}

impl KvServer {
    /// Opens the store and starts listening.
    pub fn start(config: Config) -> Result<KvServer, ServerError> {
        // Bind first, as Redis does: an address in use fails before the data directory is
        // created, claimed or opened (and before a store is loaded only to be closed again).
        let listening = TcpServer::builder(config.addr)
            .name("kvs")
            .loopers(config.loopers.max(1))
            .max_connections(Some(config.maxclients))
            .on_reject(|w| {
                let _ = w.write_all(b"-ERR max number of clients reached\r\n");
            })
            .idle_timeout((config.timeout > 0).then(|| Duration::from_secs(config.timeout)))
            .high_water_mark(config.output_high_water)
            .bind()?;
        claim_engine(&config.dir, config.engine)?;
        let fds = kvs_reactor::raise_open_files_limit(config.maxclients as u64 + 64);
        if fds < config.maxclients as u64 + 32 {
            tracing::warn!(
                fds,
                maxclients = config.maxclients,
                "open-file limit is below maxclients"
            );
        }
        // The store reports expired keys before the server context exists; the sink finds
        // it once it does (keyspace notifications, `notify.rs`).
        let ctx_cell: Arc<std::sync::OnceLock<std::sync::Weak<ServerCtx>>> = Default::default();
        let sink_ctx = ctx_cell.clone();
        let opts = Options {
            fsync: config.fsync,
            readers: config.readers,
            max_file_size: config.max_file_size,
            compaction_interval: config.compaction_interval,
            seal_dead_ratio: config.seal_dead_ratio,
            seal_dead_bytes: config.seal_dead_bytes,
            max_collection_elements: config.max_collection_elements,
            // Replies of one write batch reach each looper together, with one wake-up.
            completion_scope: Some(CompletionScope::new(|f| kvs_reactor::coalesce_posts(f))),
            on_expired: Some(ExpiredSink::new(move |keys| {
                if let Some(ctx) = sink_ctx.get().and_then(std::sync::Weak::upgrade) {
                    crate::notify::publish_expired(&ctx.pubsub, ctx.notify_flags(), keys);
                }
            })),
            ..Options::default()
        };
        let open_err = |e| ServerError::open(&config.dir, e);
        // Before the store opens: its recovery threads then free into pinned thresholds, and
        // what they held (8 B per record while loading) goes back to the system right after.
        let trimmer = crate::trim::HeapTrimmer::start(crate::trim::TRIM_INTERVAL);
        let engine: Arc<dyn Engine> = match config.engine {
            EngineKind::Sled => Arc::new(
                SledEngine::open(&config.dir, config.fsync, config.readers).map_err(open_err)?,
            ),
            EngineKind::Kvs => Arc::new(KvsEngine::new(
                Store::open_with(&config.dir, opts).map_err(open_err)?,
            )),
        };
        trimmer.trim_now();
        let ctx = Arc::new(ServerCtx::new(engine, config.clone()));
        let _ = ctx_cell.set(Arc::downgrade(&ctx));
        ctx.pubsub.set_deliver(crate::session::deliver_published);
        ctx.blocked.set_post(crate::session::unblock_posted);
        let factory_ctx = ctx.clone();
        let server = listening.start(move || Session::new(factory_ctx.clone()))?;
        ctx.set_network(
            server.local_addr().port(),
            server.loop_handles(),
            server.connection_limit(),
            crate::session::apply_timeout_to_all,
        );
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s2 = stop.clone();
        ctx.on_shutdown(move || {
            *s2.0.lock().unwrap_or_else(PoisonError::into_inner) = true;
            s2.1.notify_all();
        });
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            engine = %config.engine,
            addr = %server.local_addr(),
            dir = %config.dir.display(),
            fsync = ctx.fsync_name(),
            "kvs-server ready"
        );
        Ok(KvServer {
            ctx,
            server: Some(server),
            stop,
            _trimmer: trimmer,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server
            .as_ref()
            .map_or_else(|| self.ctx.config.addr, |s| s.local_addr())
    }

    /// The shared context (store, counters).
    pub fn ctx(&self) -> &Arc<ServerCtx> {
        &self.ctx
    }

    /// Asks the server to stop (like the SHUTDOWN command). Thread-safe.
    pub fn request_shutdown(&self) {
        self.ctx.request_shutdown();
    }

    /// Blocks until SHUTDOWN or [`request_shutdown`](Self::request_shutdown).
    pub fn wait(&self) {
        let (lock, cv) = &*self.stop;
        let mut stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !*stopped {
            stopped = cv.wait(stopped).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Stops accepting, lets connections flush (up to `grace`), closes them, fsyncs the store.
    pub fn shutdown(mut self, grace: Duration) -> Result<(), ServerError> {
        if let Some(server) = self.server.take() {
            server.shutdown(grace);
        }
        self.ctx.engine.sync()?;
        tracing::info!("kvs-server stopped; data synced");
        Ok(())
    }
}

impl Drop for KvServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown(Duration::from_secs(1));
        }
        let _ = self.ctx.engine.sync();
    }
}
