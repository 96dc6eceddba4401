//! `ServerCtx`: what every connection shares — the store, the configuration, client registry,
//! counters, and the shutdown signal.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use kvs_reactor::{LoopHandle, Metrics};
use kvs_storage::FsyncPolicy;

use crate::encoding::EncodingLimits;
use crate::engine::Engine;

use crate::startup_config::Config;

mod config_params;
pub use config_params::parse_memory;

pub use crate::client_conn::ClientConn;

/// What CLIENT LIST shows about one connection (and how CLIENT KILL reaches it).
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client id.
    pub id: u64,
    /// Peer address.
    pub addr: String,
    /// Local address.
    pub laddr: String,
    /// CLIENT SETNAME.
    pub name: String,
    /// Unix seconds when it connected.
    pub created: u64,
    /// 2 or 3.
    pub resp: u8,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: String,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: String,
    /// The connection's last command, as [`table::command_code`](crate::cmd::table) encodes
    /// it (0: none yet); the connection stores it lock-free as it dispatches each command.
    pub cmd: Arc<AtomicU32>,
    /// The connection, for CLIENT KILL (None before it is attached to one).
    pub conn: Option<ClientConn>,
    /// Channels subscribed to (CLIENT LIST `sub=`).
    pub sub: usize,
    /// Patterns subscribed to (CLIENT LIST `psub=`).
    pub psub: usize,
    /// Shard channels subscribed to (CLIENT LIST `ssub=`).
    pub ssub: usize,
    /// Waiting in a blocking command (CLIENT LIST `flags=b`, CLIENT UNBLOCK); set and cleared
    /// by the connection's session.
    pub blocked: Arc<AtomicBool>,
}

impl ClientInfo {
    /// A client with subscriptions is of type `pubsub` (Redis' `getClientType`), else `normal`.
    pub fn is_pubsub(&self) -> bool {
        self.sub + self.psub + self.ssub > 0
    }
}

/// Settings CONFIG SET may change at run time.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// `requirepass` (None = no password).
    pub requirepass: Option<String>,
    /// `maxclients`.
    pub maxclients: usize,
    /// `timeout` in seconds (0 = never): idle clients are closed.
    pub timeout: u64,
    /// `maxmemory` in bytes: informational (kvs does not evict; the policy is `noeviction`).
    pub maxmemory: u64,
}

/// INFO's `instantaneous_ops_per_sec`, as Redis computes it: a sample every 100 ms of the
/// commands processed since the previous one, averaged over the last 16 samples.
#[derive(Debug)]
struct OpsSampler {
    at: Instant,
    commands: u64,
    samples: [u64; OPS_SAMPLES],
    next: usize,
}

const OPS_SAMPLES: usize = 16;

/// How often [`ServerCtx::sample_ops`] runs (on the first looper).
pub const OPS_SAMPLE_PERIOD: Duration = Duration::from_millis(100);

/// 40 random hex characters (Redis' run id and replication id), different per call.
fn random_hex40() -> String {
    use std::hash::{BuildHasher, Hasher};
    static SALT: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(48);
    while out.len() < 40 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(SALT.fetch_add(1, Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(40);
    out
}

/// Shared server state. All methods are thread-safe.
pub struct ServerCtx {
    /// The storage engine.
    pub engine: Arc<dyn Engine>,
    /// OBJECT ENCODING's thresholds (CONFIG SET hash-max-listpack-entries...).
    pub encodings: EncodingLimits,
    /// Start-up configuration.
    pub config: Config,
    /// When the server started.
    pub started: Instant,
    /// Unix seconds when the server started.
    pub started_unix: u64,
    /// Commands processed.
    pub commands: AtomicU64,
    /// Reads of a key that found it (INFO `keyspace_hits`).
    pub keyspace_hits: AtomicU64,
    /// Reads of a key that did not find it (INFO `keyspace_misses`).
    pub keyspace_misses: AtomicU64,
    /// Error replies sent (INFO `total_error_replies`).
    pub error_replies: AtomicU64,
    /// Who subscribes to what (SUBSCRIBE, PUBLISH, PUBSUB).
    pub pubsub: crate::pubsub::PubSub,
    /// Clients blocked on keys (BLPOP...), the writer's registry (`crate::blocked`).
    pub blocked: Arc<crate::blocked::Blocked>,
    /// `notify-keyspace-events`, as `crate::notify` flags.
    notify_flags: std::sync::atomic::AtomicU32,
    /// The store's `expired_keys` at the last CONFIG RESETSTAT.
    expired_base: AtomicU64,
    /// INFO `run_id`: random, 40 hex characters.
    pub run_id: String,
    /// INFO `master_replid`: random, 40 hex characters.
    pub replid: String,
    ops: Mutex<OpsSampler>,
    runtime: RwLock<Runtime>,
    next_client_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, ClientInfo>>,
    connected: AtomicUsize,
    shutdown: AtomicBool,
    shutdown_hook: OnceLock<Box<dyn Fn() + Send + Sync>>,
    loops: OnceLock<Vec<LoopHandle>>,
    /// Applies the current `timeout` to every connection of the loop it runs on (the sessions'
    /// business: given by the server, so this module needs nothing of theirs).
    apply_timeout: OnceLock<fn(&mut kvs_reactor::EventLoop)>,
    /// The acceptor's connection cap: CONFIG SET maxclients moves it.
    connection_limit: OnceLock<kvs_reactor::ConnectionLimit>,
    port: OnceLock<u16>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ServerCtx {
    /// A context for `store` and `config`.
    pub fn new(engine: Arc<dyn Engine>, config: Config) -> ServerCtx {
        let runtime = Runtime {
            requirepass: config.requirepass.clone(),
            maxclients: config.maxclients,
            timeout: config.timeout,
            maxmemory: 0,
        };
        ServerCtx {
            engine,
            encodings: EncodingLimits::default(),
            started: Instant::now(),
            started_unix: kvs_storage::now_ms() / 1000,
            commands: AtomicU64::new(0),
            keyspace_hits: AtomicU64::new(0),
            keyspace_misses: AtomicU64::new(0),
            error_replies: AtomicU64::new(0),
            pubsub: Default::default(),
            blocked: Default::default(),
            notify_flags: Default::default(),
            expired_base: AtomicU64::new(0),
            run_id: random_hex40(),
            replid: random_hex40(),
            ops: Mutex::new(OpsSampler {
                at: Instant::now(),
                commands: 0,
                samples: [0; OPS_SAMPLES],
                next: 0,
            }),
            runtime: RwLock::new(runtime),
            next_client_id: AtomicU64::new(1),
            clients: Mutex::new(BTreeMap::new()),
            connected: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            shutdown_hook: OnceLock::new(),
            loops: OnceLock::new(),
            apply_timeout: OnceLock::new(),
            connection_limit: OnceLock::new(),
            port: OnceLock::new(),
            config,
        }
    }

    /// Called once the listener is up. Starts the ops/sec sampler on the first looper; it holds
    /// the context weakly, so it stops mattering once the server is gone.
    pub fn set_network(
        self: &Arc<Self>,
        port: u16,
        loops: Vec<LoopHandle>,
        limit: kvs_reactor::ConnectionLimit,
        apply_timeout: fn(&mut kvs_reactor::EventLoop),
    ) {
        let _ = self.port.set(port);
        let _ = self.apply_timeout.set(apply_timeout);
        let _ = self.connection_limit.set(limit);
        if let Some(first) = loops.first() {
            let weak = Arc::downgrade(self);
            first.run_every(OPS_SAMPLE_PERIOD, move |_| {
                if let Some(ctx) = weak.upgrade() {
                    ctx.sample_ops();
                }
            });
        }
        let _ = self.loops.set(loops);
    }

    /// Takes one `instantaneous_ops_per_sec` sample (Redis' trackInstantaneousMetric).
    pub fn sample_ops(&self) {
        let now = Instant::now();
        let commands = self.commands.load(Relaxed);
        let mut o = lock(&self.ops);
        let ms = now.duration_since(o.at).as_millis().max(1) as u64;
        let per_sec = commands.saturating_sub(o.commands) * 1000 / ms;
        let i = o.next;
        o.samples[i] = per_sec;
        o.next = (i + 1) % OPS_SAMPLES;
        o.at = now;
        o.commands = commands;
    }

    /// INFO `instantaneous_ops_per_sec`: the mean of the last 16 samples (1.6 s).
    pub fn ops_per_sec(&self) -> u64 {
        let o = lock(&self.ops);
        o.samples.iter().sum::<u64>() / OPS_SAMPLES as u64
    }

    /// Adds the keyspace hits and misses a batch counted (`crate::db::Counted`).
    pub fn add_lookups(&self, hits: u64, misses: u64) {
        if hits > 0 {
            self.keyspace_hits.fetch_add(hits, Relaxed);
        }
        if misses > 0 {
            self.keyspace_misses.fetch_add(misses, Relaxed);
        }
    }

    /// INFO `expired_keys` (since the last CONFIG RESETSTAT).
    pub fn expired_keys(&self, store_expired: u64) -> u64 {
        store_expired.saturating_sub(self.expired_base.load(Relaxed))
    }

    /// Current `maxmemory` (informational).
    pub fn maxmemory(&self) -> u64 {
        self.runtime().maxmemory
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.port.get().copied().unwrap_or(0)
    }

    /// The reactor's counters, summed over loopers.
    pub fn reactor_metrics(&self) -> Metrics {
        self.loops
            .get()
            .map(|l| {
                l.iter()
                    .map(|h| h.metrics())
                    .fold(Metrics::default(), |a, b| a + b)
            })
            .unwrap_or_default()
    }

    fn runtime(&self) -> Runtime {
        self.runtime
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The configured password, if any.
    pub fn requirepass(&self) -> Option<String> {
        self.runtime().requirepass
    }

    /// Current `maxclients`.
    pub fn maxclients(&self) -> usize {
        self.runtime().maxclients
    }

    /// Current `timeout` in seconds (0 = never).
    pub fn timeout(&self) -> u64 {
        self.runtime
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .timeout
    }

    /// The fsync policy's Redis name.
    pub fn fsync_name(&self) -> &'static str {
        match self.engine.fsync() {
            FsyncPolicy::Always => "always",
            FsyncPolicy::EverySec => "everysec",
            FsyncPolicy::No => "no",
        }
    }

    /// CONFIG RESETSTAT: the INFO stats counters back to 0.
    pub fn reset_stats(&self) {
        self.commands.store(0, Relaxed);
        self.keyspace_hits.store(0, Relaxed);
        self.keyspace_misses.store(0, Relaxed);
        self.error_replies.store(0, Relaxed);
        self.expired_base
            .store(self.engine.stats().expired_keys, Relaxed);
    }

    /// A new client id.
    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Relaxed)
    }

    /// Registers or updates a client's CLIENT LIST entry.
    pub fn client_update(&self, info: ClientInfo) {
        lock(&self.clients).insert(info.id, info);
    }

    /// Counts a connection in.
    pub fn client_connected(&self) {
        self.connected.fetch_add(1, Relaxed);
    }

    /// Whether client `id` is waiting in a blocking command, and its connection; `None` if
    /// there is no such client.
    pub fn client_blocked(&self, id: u64) -> Option<(bool, Option<ClientConn>)> {
        lock(&self.clients)
            .get(&id)
            .map(|c| (c.blocked.load(Relaxed), c.conn.clone()))
    }

    /// Removes a client.
    pub fn client_gone(&self, id: u64) {
        lock(&self.clients).remove(&id);
        self.connected.fetch_sub(1, Relaxed);
    }

    /// Connected clients.
    pub fn connected_clients(&self) -> usize {
        self.connected.load(Relaxed)
    }

    /// CLIENT LIST text: `line` of every client, or of those whose id is in `ids`.
    pub fn client_list(
        &self,
        keep: impl Fn(&ClientInfo) -> bool,
        line: fn(&ClientInfo) -> String,
    ) -> String {
        lock(&self.clients)
            .values()
            .filter(|c| keep(c))
            .map(line)
            .collect()
    }

    /// CLIENT KILL: closes every client `matches` picks except `me` (the caller: its session
    /// closes itself once the reply is written, Redis' CLIENT_CLOSE_AFTER_REPLY). Each victim is
    /// closed on the looper that owns it — posted there, as only that looper may touch it — so it
    /// is gone shortly after the reply, not necessarily before. Returns how many clients matched
    /// (`me` included, as Redis counts the clients it marks) and whether `me` is one of them.
    pub fn kill_clients(&self, me: u64, matches: impl Fn(&ClientInfo) -> bool) -> (usize, bool) {
        let victims: Vec<(u64, Option<ClientConn>)> = lock(&self.clients)
            .values()
            .filter(|c| matches(c))
            .map(|c| (c.id, c.conn.clone()))
            .collect();
        let mut me_too = false;
        for (id, conn) in &victims {
            if *id == me {
                me_too = true;
            } else if let Some(ClientConn {
                id: conn_id,
                handle,
            }) = conn
            {
                let conn_id = *conn_id;
                handle.queue_in_loop(move |el| {
                    if let Some(mut c) = el.connection(conn_id) {
                        c.force_close();
                    }
                });
            }
        }
        (victims.len(), me_too)
    }

    /// `line` of one client (CLIENT INFO).
    pub fn client_line(&self, id: u64, line: fn(&ClientInfo) -> String) -> Option<String> {
        lock(&self.clients).get(&id).map(line)
    }

    /// Installs what SHUTDOWN (or a signal) triggers.
    pub fn on_shutdown(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.shutdown_hook.set(Box::new(hook));
    }

    /// Asks the server to stop (SHUTDOWN command).
    pub fn request_shutdown(&self) {
        if !self.shutdown.swap(true, Relaxed)
            && let Some(h) = self.shutdown_hook.get()
        {
            h();
        }
    }

    /// Has a shutdown been requested?
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.load(Relaxed)
    }
}
