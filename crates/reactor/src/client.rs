//! `TcpClient`: Muduo's `TcpClient` + `Connector` — a non-blocking connect on a loop, retried
//! with exponential backoff, giving the same connection type and callbacks as the server side.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use crate::conn_handle::ConnHandle;
use crate::conn_id::{ConnId, MAX_CONNECTIONS_PER_LOOP};
use crate::connection::{ConnOptions, Connection, Phase};
use crate::event_loop::EventLoop;
use crate::handler::{CloseReason, HandlerFactory};
use crate::loop_handle::LoopHandle;
use crate::metrics::LoopMetrics;
use crate::timer::TimerId;

/// How a [`TcpClient`] connects and reconnects.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Options for the connection once established.
    pub conn: ConnOptions,
    /// Retry a failed connect attempt after a backoff. Default: true.
    pub retry: bool,
    /// Connect again after an established connection closes. Default: false.
    pub reconnect: bool,
    /// First retry delay; doubled after each failure up to `max_backoff`. Default 100 ms.
    pub initial_backoff: Duration,
    /// Ceiling for the retry delay. Default 10 s.
    pub max_backoff: Duration,
    /// Give up after this many failed attempts in a row. Default: never.
    pub max_attempts: Option<u32>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            conn: ConnOptions::default(),
            retry: true,
            reconnect: false,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            max_attempts: None,
        }
    }
}

/// Where a [`TcpClient`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// A connect is in progress or a retry is scheduled.
    Connecting,
    /// Connected; [`TcpClient::connection`] returns the handle.
    Connected,
    /// Not connected and not trying any more (attempts exhausted, or closed without reconnect).
    Disconnected,
    /// [`TcpClient::stop`] was called.
    Stopped,
}

struct Inner {
    state: ClientState,
    conn: Option<ConnHandle>,
    backoff: Duration,
    failures: u32,
    last_error: Option<String>,
    retry_timer: Option<TimerId>,
}

pub(crate) struct ClientShared {
    addr: SocketAddr,
    factory: Box<dyn HandlerFactory>,
    opts: ClientOptions,
    conn_opts: Arc<ConnOptions>,
    loop_handle: LoopHandle,
    inner: Mutex<Inner>,
    changed: Condvar,
}

/// A client connection driven by an event loop. **Thread-safe**: create it from any thread; the
/// connect, the callbacks and the retries run on the given loop.
///
/// ```no_run
/// use bytes::BytesMut;
/// use kvs_reactor::{ClientOptions, Conn, EventLoopThread, Handler, TcpClient};
/// use std::time::Duration;
///
/// struct Printer;
/// impl Handler for Printer {
///     fn on_message(&mut self, _conn: &mut Conn<'_>, input: &mut BytesMut) {
///         let _line = input.split();
///     }
/// }
/// let looper = EventLoopThread::spawn("client").unwrap();
/// let client = TcpClient::connect(looper.handle(), "127.0.0.1:4000".parse().unwrap(), ClientOptions::default(), || Printer);
/// if let Some(conn) = client.wait_connected(Duration::from_secs(1)) {
///     conn.send(&b"PING\r\n"[..]);
/// }
/// ```
pub struct TcpClient {
    shared: Arc<ClientShared>,
}

impl TcpClient {
    /// Starts connecting to `addr` on `loop_handle`'s loop; `factory` makes the handler for each
    /// established connection. **Thread-safe.**
    pub fn connect(
        loop_handle: &LoopHandle,
        addr: SocketAddr,
        opts: ClientOptions,
        factory: impl HandlerFactory,
    ) -> TcpClient {
        let shared = Arc::new(ClientShared {
            addr,
            factory: Box::new(factory),
            conn_opts: Arc::new(opts.conn.clone()),
            inner: Mutex::new(Inner {
                state: ClientState::Connecting,
                conn: None,
                backoff: opts.initial_backoff,
                failures: 0,
                last_error: None,
                retry_timer: None,
            }),
            opts,
            loop_handle: loop_handle.clone(),
            changed: Condvar::new(),
        });
        let s = shared.clone();
        loop_handle.run_in_loop(move |el| s.start(el));
        TcpClient { shared }
    }

    /// The server address. **Thread-safe.**
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Current state. **Thread-safe.**
    pub fn state(&self) -> ClientState {
        self.shared.lock().state
    }

    /// The established connection, if connected. **Thread-safe.**
    pub fn connection(&self) -> Option<ConnHandle> {
        self.shared.lock().conn.clone()
    }

    /// The last connect or I/O error, as text. **Thread-safe.**
    pub fn last_error(&self) -> Option<String> {
        self.shared.lock().last_error.clone()
    }

    /// Blocks until connected, given up, or `timeout` passes. **Thread-safe, but not on the
    /// client's loop thread**, which must run for the connection to happen.
    pub fn wait_connected(&self, timeout: Duration) -> Option<ConnHandle> {
        let deadline = Instant::now() + timeout;
        let mut inner = self.shared.lock();
        loop {
            match inner.state {
                ClientState::Connected => return inner.conn.clone(),
                ClientState::Disconnected | ClientState::Stopped => return None,
                ClientState::Connecting => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            inner = self
                .shared
                .changed
                .wait_timeout(inner, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Stops retrying and reconnecting, and half-closes the connection if there is one (pending
    /// output is flushed first). **Thread-safe.**
    pub fn disconnect(&self) {
        self.halt(false);
    }

    /// Stops retrying and reconnecting, and closes the connection now. **Thread-safe.**
    pub fn stop(&self) {
        self.halt(true);
    }

    fn halt(&self, force: bool) {
        let (conn, timer) = {
            let mut inner = self.shared.lock();
            inner.state = ClientState::Stopped;
            (inner.conn.take(), inner.retry_timer.take())
        };
        self.shared.changed.notify_all();
        if let Some(t) = timer {
            self.shared.loop_handle.cancel(t);
        }
        if let Some(c) = conn {
            if force { c.force_close() } else { c.shutdown() }
        }
    }
}

/// Dropping the client stops it like [`disconnect`](TcpClient::disconnect): no more retries or
/// reconnects, and an established connection is half-closed once its pending output is flushed
/// (Muduo's `~TcpClient` also closes its connection). Keep the `TcpClient` for as long as the
/// connection should live.
impl Drop for TcpClient {
    fn drop(&mut self) {
        if !self.shared.stopped() {
            self.halt(false);
        }
    }
}

impl ClientShared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves to `state` unless the client was stopped meanwhile; returns whether it did (checked
    /// and set under one lock, so a `stop` racing a completing connect is never missed).
    fn set_state(&self, state: ClientState, conn: Option<ConnHandle>) -> bool {
        let mut inner = self.lock();
        let applied = inner.state != ClientState::Stopped;
        if applied {
            inner.state = state;
            inner.conn = conn;
        }
        drop(inner);
        self.changed.notify_all();
        applied
    }

    fn stopped(&self) -> bool {
        self.lock().state == ClientState::Stopped
    }

    /// One connect attempt (loop thread).
    fn start(self: &Arc<Self>, el: &mut EventLoop) {
        self.lock().retry_timer = None;
        if self.stopped() {
            return;
        }
        self.set_state(ClientState::Connecting, None);
        let index = el.conns.vacant_key();
        if index >= MAX_CONNECTIONS_PER_LOOP {
            self.connect_failed(
                el,
                std::io::Error::other("too many connections on one loop"),
            );
            return;
        }
        let stream = match TcpStream::connect(self.addr) {
            Ok(s) => s,
            Err(e) => return self.connect_failed(el, e),
        };
        let id = el.next_conn_id(index);
        let mut c = Connection::new(
            id,
            stream,
            Phase::Connecting(self.clone()),
            self.conn_opts.clone(),
        );
        // Once established, its close is the client's cue to reconnect.
        let client = self.clone();
        c.on_close = Some(Box::new(move |el| client.on_closed(el)));
        c.update_interest(el.registry());
        if c.registered.is_none() {
            self.connect_failed(
                el,
                std::io::Error::other("could not register the connecting socket"),
            );
            return;
        }
        el.conns.insert(c);
        tracing::debug!(conn = %id, addr = %self.addr, "connecting");
    }

    fn connect_failed(self: &Arc<Self>, el: &mut EventLoop, e: std::io::Error) {
        tracing::debug!(addr = %self.addr, error = %e, "connect failed");
        let mut inner = self.lock();
        inner.last_error = Some(e.to_string());
        inner.failures += 1;
        let give_up =
            !self.opts.retry || self.opts.max_attempts.is_some_and(|m| inner.failures >= m);
        if inner.state == ClientState::Stopped {
            return;
        }
        if give_up {
            inner.state = ClientState::Disconnected;
            drop(inner);
            self.changed.notify_all();
            return;
        }
        let delay = inner.backoff;
        inner.backoff = (inner.backoff * 2).min(self.opts.max_backoff);
        drop(inner);
        self.schedule(el, delay);
    }

    fn schedule(self: &Arc<Self>, el: &mut EventLoop, delay: Duration) {
        let s = self.clone();
        let timer = el.run_after(delay, move |el| s.start(el));
        self.lock().retry_timer = Some(timer);
    }

    /// An established connection closed (loop thread).
    pub(crate) fn on_closed(self: &Arc<Self>, el: &mut EventLoop) {
        if self.stopped() {
            return;
        }
        if self.opts.reconnect {
            let delay = {
                let mut inner = self.lock();
                inner.backoff = self.opts.initial_backoff;
                inner.failures = 0;
                inner.backoff
            };
            self.set_state(ClientState::Connecting, None);
            self.schedule(el, delay);
        } else {
            self.set_state(ClientState::Disconnected, None);
        }
    }
}

impl EventLoop {
    /// The connecting socket became writable (or failed): finish or fail the connect.
    pub(crate) fn finish_connect(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        let mut error = match c.stream.take_error() {
            Ok(e) => e,
            Err(e) => Some(e),
        };
        if error.is_none() {
            match c.stream.peer_addr() {
                Ok(addr) => c.peer = Some(addr),
                Err(e) if e.kind() == std::io::ErrorKind::NotConnected => return, // not yet
                Err(e) => error = Some(e),
            }
        }
        if let Some(e) = error {
            let mut c = self.conns.remove(id.index as usize);
            let _ = self.registry().deregister(&mut c.stream);
            if let Phase::Connecting(client) = std::mem::replace(&mut c.phase, Phase::Closing) {
                client.connect_failed(self, e);
            }
            return;
        }
        let Phase::Connecting(client) = &c.phase else {
            return;
        };
        let client = client.clone();
        if client.stopped() {
            let mut c = self.conns.remove(id.index as usize);
            let _ = self.registry().deregister(&mut c.stream);
            return;
        }
        let Some(c) = self.slot(id) else { return };
        c.phase = Phase::Connected;
        if c.opts.nodelay
            && let Err(e) = c.stream.set_nodelay(true)
        {
            tracing::debug!(conn = %id, error = %e, "TCP_NODELAY failed");
        }
        c.handler = Some(client.factory.create());
        let idle = c.opts.idle_timeout;
        self.update_interest(id);
        LoopMetrics::add(&self.shared().metrics.accepted, 1);
        {
            let mut inner = client.lock();
            inner.failures = 0;
            inner.backoff = client.opts.initial_backoff;
        }
        let handle = self.connection(id).map(|mut c| c.handle());
        if !client.set_state(ClientState::Connected, handle) {
            // Stopped (or dropped) while the connect completed: nobody holds this connection.
            // Its handler never saw on_connect, so it gets no on_close either.
            if let Some(c) = self.slot(id) {
                c.handler = None;
            }
            self.close(id, CloseReason::Forced);
            return;
        }
        tracing::debug!(conn = %id, addr = %client.addr, "connected");
        if let Some(t) = idle {
            self.arm_idle_timer(id, t);
        }
        self.call_handler(id, |h, conn| h.on_connect(conn));
    }
}
