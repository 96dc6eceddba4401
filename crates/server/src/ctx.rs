//! `ServerCtx`: what every connection shares — the store, the configuration, client registry,
//! counters, and the shutdown signal.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};
use std::time::Instant;

use kvs_reactor::{LoopHandle, Metrics};
use kvs_storage::FsyncPolicy;

use crate::engine::Engine;

use crate::config::Config;

/// What CLIENT LIST shows about one connection.
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
}

/// Shared server state. All methods are thread-safe.
pub struct ServerCtx {
    /// The storage engine.
    pub engine: Arc<dyn Engine>,
    /// Start-up configuration.
    pub config: Config,
    /// When the server started.
    pub started: Instant,
    /// Unix seconds when the server started.
    pub started_unix: u64,
    /// Commands processed.
    pub commands: AtomicU64,
    runtime: RwLock<Runtime>,
    next_client_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, ClientInfo>>,
    connected: AtomicUsize,
    shutdown: AtomicBool,
    shutdown_hook: OnceLock<Box<dyn Fn() + Send + Sync>>,
    loops: OnceLock<Vec<LoopHandle>>,
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
        };
        ServerCtx {
            engine,
            started: Instant::now(),
            started_unix: kvs_storage::now_ms() / 1000,
            commands: AtomicU64::new(0),
            runtime: RwLock::new(runtime),
            next_client_id: AtomicU64::new(1),
            clients: Mutex::new(BTreeMap::new()),
            connected: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            shutdown_hook: OnceLock::new(),
            loops: OnceLock::new(),
            port: OnceLock::new(),
            config,
        }
    }

    /// Called once the listener is up.
    pub fn set_network(&self, port: u16, loops: Vec<LoopHandle>) {
        let _ = self.port.set(port);
        let _ = self.loops.set(loops);
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

    /// Every CONFIG parameter and its value.
    pub fn config_params(&self) -> Vec<(String, String)> {
        let rt = self.runtime();
        let c = &self.config;
        vec![
            ("bind".into(), c.addr.ip().to_string()),
            ("port".into(), self.port().to_string()),
            ("dir".into(), c.dir.display().to_string()),
            ("requirepass".into(), rt.requirepass.unwrap_or_default()),
            ("maxclients".into(), rt.maxclients.to_string()),
            ("timeout".into(), rt.timeout.to_string()),
            ("appendonly".into(), "yes".into()),
            ("appendfsync".into(), self.fsync_name().into()),
            ("save".into(), String::new()),
            ("databases".into(), "1".into()),
            (
                "proto-max-bulk-len".into(),
                c.proto_max_bulk_len.to_string(),
            ),
            ("client-query-buffer-limit".into(), (1u64 << 30).to_string()),
            ("io-threads".into(), c.loopers.to_string()),
            ("maxmemory".into(), "0".into()),
            ("maxmemory-policy".into(), "noeviction".into()),
        ]
    }

    /// Validates one CONFIG SET pair.
    pub fn config_check(&self, name: &str, value: &str) -> Result<(), String> {
        let bad = |reason: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        };
        match name {
            "requirepass" => Ok(()),
            "maxclients" | "timeout" => value
                .parse::<u64>()
                .map(|_| ())
                .map_err(|_| bad("argument couldn't be parsed into an integer")),
            // Accepted for compatibility (redis-benchmark and test suites set them); the engine's
            // persistence is fixed at start-up.
            "save" | "appendonly" => Ok(()),
            "appendfsync" if value == self.fsync_name() => Ok(()),
            "appendfsync" => Err(bad(
                "kvs sets the fsync policy at start-up (--fsync); restart to change it",
            )),
            _ => Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )),
        }
    }

    /// Applies a checked CONFIG SET pair.
    pub fn config_set(&self, name: &str, value: &str) -> Result<(), String> {
        self.config_check(name, value)?;
        let mut rt = self.runtime.write().unwrap_or_else(PoisonError::into_inner);
        match name {
            "requirepass" => {
                rt.requirepass = if value.is_empty() {
                    None
                } else {
                    Some(value.to_string())
                }
            }
            "maxclients" => rt.maxclients = value.parse().unwrap_or(rt.maxclients),
            "timeout" => rt.timeout = value.parse().unwrap_or(rt.timeout),
            _ => {}
        }
        drop(rt);
        if name == "timeout" {
            // Redis applies a new timeout to every client, not only to later ones.
            for l in self.loops.get().into_iter().flatten() {
                l.queue_in_loop(crate::session::apply_timeout_to_all);
            }
        }
        Ok(())
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&self) {
        self.commands.store(0, Relaxed);
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

    /// Removes a client.
    pub fn client_gone(&self, id: u64) {
        lock(&self.clients).remove(&id);
        self.connected.fetch_sub(1, Relaxed);
    }

    /// Connected clients.
    pub fn connected_clients(&self) -> usize {
        self.connected.load(Relaxed)
    }

    fn line(c: &ClientInfo) -> String {
        let age = (kvs_storage::now_ms() / 1000).saturating_sub(c.created);
        format!(
            "id={} addr={} laddr={} fd=-1 name={} age={age} idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=client|list user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
            c.id, c.addr, c.laddr, c.name, c.resp, c.lib_name, c.lib_ver
        )
    }

    /// CLIENT LIST text.
    pub fn client_list(&self) -> String {
        lock(&self.clients).values().map(Self::line).collect()
    }

    /// CLIENT INFO text for one client.
    pub fn client_line(&self, id: u64) -> Option<String> {
        lock(&self.clients).get(&id).map(Self::line)
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
