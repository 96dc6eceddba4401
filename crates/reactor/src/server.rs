//! `TcpServer`: one acceptor thread plus N looper threads (Muduo's `TcpServer` with an
//! `EventLoopThreadPool`).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::acceptor::{AcceptorConfig, AcceptorThread, LooperSelector, RejectHook, RoundRobin};
use crate::connection::ConnOptions;
use crate::error::{Error, Result};
use crate::handler::HandlerFactory;
use crate::limit::ConnectionLimit;
use crate::loop_handle::LoopHandle;
use crate::looper::EventLoopThread;
use crate::metrics::Metrics;

/// Entry point for building a server: `TcpServer::builder(addr)...start(factory)`.
///
/// ```
/// use bytes::BytesMut;
/// use kvs_reactor::{Conn, Handler, TcpServer};
/// use std::io::{Read, Write};
///
/// struct Echo;
/// impl Handler for Echo {
///     fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
///         conn.send(&input.split());
///     }
/// }
///
/// let server = TcpServer::builder("127.0.0.1:0").loopers(2).start(|| Echo).unwrap();
/// let mut client = std::net::TcpStream::connect(server.local_addr()).unwrap();
/// client.write_all(b"hello").unwrap();
/// let mut buf = [0u8; 5];
/// client.read_exact(&mut buf).unwrap();
/// assert_eq!(&buf, b"hello");
/// server.shutdown(std::time::Duration::from_secs(1));
/// ```
pub struct TcpServer;

impl TcpServer {
    /// Starts building a server that will listen on `addr` (e.g. `"127.0.0.1:4000"`, `"[::1]:0"`).
    /// **Thread-safe** (touches no loop).
    pub fn builder(addr: impl ToSocketAddrs) -> ServerBuilder {
        let addr = addr.to_socket_addrs().ok().and_then(|mut a| a.next());
        ServerBuilder {
            addr,
            name: "kvs".to_string(),
            loopers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            backlog: 1024,
            reuse_addr: true,
            conn: ConnOptions::default(),
            max_connections: None,
            selector: Box::new(RoundRobin::default()),
            on_reject: None,
        }
    }
}

/// Options for a [`TcpServer`]; every setter is optional. A builder is a plain value: build it
/// on any thread (it is `Send`), and [`start`](Self::start) spawns the server's threads.
pub struct ServerBuilder {
    addr: Option<SocketAddr>,
    name: String,
    loopers: usize,
    backlog: i32,
    reuse_addr: bool,
    conn: ConnOptions,
    max_connections: Option<usize>,
    selector: Box<dyn LooperSelector>,
    on_reject: Option<RejectHook>,
}

impl ServerBuilder {
    /// Thread name prefix (`NAME-acceptor`, `NAME-looper-0`, ...). Default `kvs`.
    /// **Any thread** (a builder is a plain value).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Number of looper threads (at least 1). Default: the number of CPUs.
    /// **Any thread** (a builder is a plain value).
    pub fn loopers(mut self, n: usize) -> Self {
        self.loopers = n;
        self
    }

    /// `listen(2)` backlog. Default 1024. **Any thread** (a builder is a plain value).
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }

    /// `SO_REUSEADDR`, so a restarted server can bind while old connections sit in TIME_WAIT.
    /// Default on. **Any thread** (a builder is a plain value).
    pub fn reuse_addr(mut self, on: bool) -> Self {
        self.reuse_addr = on;
        self
    }

    /// Options applied to every accepted connection. **Any thread** (a builder is a plain value).
    pub fn conn_options(mut self, opts: ConnOptions) -> Self {
        self.conn = opts;
        self
    }

    /// Shorthand for `ConnOptions::idle_timeout`. **Any thread** (a builder is a plain value).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.conn.idle_timeout = timeout;
        self
    }

    /// Shorthand for `ConnOptions::high_water_mark`. **Any thread** (a builder is a plain value).
    pub fn high_water_mark(mut self, bytes: usize) -> Self {
        self.conn.high_water_mark = bytes;
        self
    }

    /// Shorthand for `ConnOptions::nodelay`. **Any thread** (a builder is a plain value).
    pub fn nodelay(mut self, on: bool) -> Self {
        self.conn.nodelay = on;
        self
    }

    /// Most connections open at once. Further connections are accepted and closed at once (after
    /// the reject hook, if any, wrote to them), so the backlog never fills and nothing spins.
    /// Changeable later through [`Server::connection_limit`].
    /// **Any thread** (a builder is a plain value).
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// What to write to a connection refused by `max_connections` before closing it.
    /// **Any thread** (a builder is a plain value).
    pub fn on_reject(
        mut self,
        hook: impl Fn(&mut dyn std::io::Write) + Send + Sync + 'static,
    ) -> Self {
        self.on_reject = Some(Arc::new(hook));
        self
    }

    /// How accepted connections are spread over loopers. Default [`RoundRobin`].
    /// **Any thread** (a builder is a plain value).
    pub fn selector(mut self, selector: impl LooperSelector) -> Self {
        self.selector = Box::new(selector);
        self
    }

    /// Binds, listens, starts the looper threads and the acceptor thread: [`bind`](Self::bind)
    /// then [`Listening::start`]. **Any thread** (a builder is a plain value).
    pub fn start(self, factory: impl HandlerFactory) -> Result<Server> {
        self.bind()?.start(factory)
    }

    /// Binds and listens, and starts nothing: the address is taken (connections queue in the
    /// backlog) but no thread runs yet. A program that must prepare before it serves — open a
    /// store, say — binds first, so that an address in use fails at once and before it touches
    /// anything else, as Muduo's `Acceptor` and Redis do. **Any thread.**
    pub fn bind(self) -> Result<Listening> {
        let addr = self
            .addr
            .ok_or_else(|| Error::InvalidConfig("listen address did not resolve".into()))?;
        if self.loopers == 0 {
            return Err(Error::InvalidConfig("at least one looper is needed".into()));
        }
        let listen_err = |op| move |source| Error::Listen { addr, op, source };
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(listen_err("socket"))?;
        socket
            .set_reuse_address(self.reuse_addr)
            .map_err(listen_err("setsockopt"))?;
        socket
            .set_nonblocking(true)
            .map_err(listen_err("setsockopt"))?;
        socket.bind(&addr.into()).map_err(listen_err("bind"))?;
        socket.listen(self.backlog).map_err(listen_err("listen"))?;
        let listener: std::net::TcpListener = socket.into();
        let local_addr = listener.local_addr().map_err(listen_err("getsockname"))?;
        Ok(Listening {
            builder: self,
            listener,
            local_addr,
        })
    }
}

/// A bound, listening socket with the server's options, not started yet
/// ([`ServerBuilder::bind`]). Dropping it closes the socket.
pub struct Listening {
    builder: ServerBuilder,
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
}

impl Listening {
    /// The bound address (with the actual port when port 0 was asked for). **Any thread.**
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Starts the looper threads and the acceptor thread. **Any thread.**
    pub fn start(self, factory: impl HandlerFactory) -> Result<Server> {
        let Listening {
            builder: this,
            listener,
            local_addr,
        } = self;
        let listener = mio::net::TcpListener::from_std(listener);
        let mut loopers = Vec::with_capacity(this.loopers);
        for i in 0..this.loopers {
            loopers.push(EventLoopThread::spawn(format!("{}-looper-{i}", this.name))?);
        }
        let active = Arc::new(AtomicUsize::new(0));
        let rejected = Arc::new(AtomicU64::new(0));
        let limit = ConnectionLimit::new(this.max_connections);
        let cfg = AcceptorConfig {
            listener,
            loopers: loopers.iter().map(|l| l.handle().clone()).collect(),
            selector: this.selector,
            factory: Arc::new(factory),
            conn_opts: Arc::new(this.conn),
            max_connections: limit.clone(),
            on_reject: this.on_reject,
            active: active.clone(),
            rejected: rejected.clone(),
        };
        let acceptor = AcceptorThread::spawn(cfg, format!("{}-acceptor", this.name))?;
        tracing::info!(addr = %local_addr, loopers = loopers.len(), "server listening");
        Ok(Server {
            local_addr,
            loopers,
            acceptor: Some(acceptor),
            active,
            rejected,
            limit,
        })
    }
}

/// A running server. Dropping it shuts it down with a one-second grace period.
pub struct Server {
    local_addr: SocketAddr,
    loopers: Vec<EventLoopThread>,
    acceptor: Option<AcceptorThread>,
    active: Arc<AtomicUsize>,
    rejected: Arc<AtomicU64>,
    limit: ConnectionLimit,
}

impl Server {
    /// The connection cap set with [`ServerBuilder::max_connections`], as a handle that changes
    /// it while the server runs (say, from a `CONFIG SET maxclients`). **Thread-safe.**
    pub fn connection_limit(&self) -> ConnectionLimit {
        self.limit.clone()
    }

    /// The address actually bound (useful with port 0). **Thread-safe.**
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Handles to the looper threads' loops, e.g. for posting work or timers to them.
    /// **Thread-safe.**
    pub fn loop_handles(&self) -> Vec<LoopHandle> {
        self.loopers.iter().map(|l| l.handle().clone()).collect()
    }

    /// Connections open right now, as the acceptor counts them for `max_connections`.
    /// **Thread-safe.**
    pub fn active_connections(&self) -> usize {
        self.active.load(Ordering::Acquire)
    }

    /// Counters summed over all loopers, plus the acceptor's rejections. **Thread-safe.**
    pub fn metrics(&self) -> Metrics {
        let mut m = self
            .loopers
            .iter()
            .map(|l| l.handle().metrics())
            .fold(Metrics::default(), |a, b| a + b);
        m.rejected = self.rejected.load(Ordering::Relaxed);
        m
    }

    /// Stops accepting, shuts every connection down gracefully (pending output flushed, FIN
    /// sent), force-closes what is still open after `grace`, and joins every thread.
    ///
    /// **Thread-safe**, and may be called from one of the server's own looper threads (say, a
    /// handler serving a SHUTDOWN command): that looper is not joined — it cannot wait for
    /// itself — but finishes its shutdown as soon as the current callback returns, and its
    /// thread then exits. Every other thread is joined before this returns.
    pub fn shutdown(mut self, grace: Duration) {
        self.shutdown_inner(grace);
    }

    fn shutdown_inner(&mut self, grace: Duration) {
        if let Some(mut acceptor) = self.acceptor.take() {
            acceptor.stop();
        }
        let deadline = Instant::now() + grace;
        for l in &self.loopers {
            l.handle()
                .queue_in_loop(move |el| el.close_all_and_quit(deadline));
        }
        for l in self.loopers.drain(..) {
            l.join();
        }
        tracing::info!(addr = %self.local_addr, "server stopped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if !self.loopers.is_empty() {
            self.shutdown_inner(Duration::from_secs(1));
        }
    }
}
