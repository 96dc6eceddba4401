//! Bringing established sockets into a loop: accepted streams, and the per-connection idle timer.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mio::net::TcpStream;

use crate::conn_id::{ConnId, MAX_CONNECTIONS_PER_LOOP};
use crate::connection::{CloseHook, ConnOptions, Connection, Phase};
use crate::event_loop::EventLoop;
use crate::handler::{CloseReason, Handler};
use crate::metrics::LoopMetrics;

impl EventLoop {
    /// Registers an already-connected, non-blocking stream with this loop, driven by `handler`.
    /// `on_connect` runs before this returns. **Loop thread only.**
    ///
    /// This is what [`TcpServer`](crate::TcpServer) does with every accepted stream; call it
    /// yourself to hand a socket you obtained elsewhere to a loop.
    pub fn adopt_stream(
        &mut self,
        stream: TcpStream,
        handler: Box<dyn Handler>,
        opts: Arc<ConnOptions>,
    ) -> io::Result<ConnId> {
        self.adopt(stream, None, handler, opts, None)
    }

    pub(crate) fn adopt(
        &mut self,
        stream: TcpStream,
        peer: Option<SocketAddr>,
        handler: Box<dyn Handler>,
        opts: Arc<ConnOptions>,
        on_close: Option<CloseHook>,
    ) -> io::Result<ConnId> {
        let index = self.conns.vacant_key();
        if index >= MAX_CONNECTIONS_PER_LOOP {
            return Err(io::Error::other("too many connections on one loop"));
        }
        if opts.nodelay {
            stream.set_nodelay(true)?;
        }
        let id = self.next_conn_id(index);
        let mut c = Connection::new(id, stream, Phase::Connected, opts);
        c.peer = peer.or_else(|| c.stream.peer_addr().ok());
        c.handler = Some(handler);
        c.on_close = on_close;
        self.registry()
            .register(&mut c.stream, id.token(), mio::Interest::READABLE)?;
        c.registered = Some(mio::Interest::READABLE);
        let idle = c.opts.idle_timeout;
        self.conns.insert(c);
        LoopMetrics::add(&self.shared().metrics.accepted, 1);
        tracing::debug!(conn = %id, peer = ?peer, "connection established");
        if let Some(timeout) = idle {
            self.arm_idle_timer(id, timeout);
        }
        self.call_handler(id, |h, conn| h.on_connect(conn));
        Ok(id)
    }

    pub(crate) fn arm_idle_timer(&mut self, id: ConnId, after: Duration) {
        let timer = self.run_after(after, move |el| el.check_idle(id));
        if let Some(c) = self.slot(id) {
            c.idle_timer = Some(timer);
        }
    }

    pub(crate) fn set_idle_timeout_on(&mut self, id: ConnId, timeout: Option<Duration>) {
        let Some(c) = self.slot(id) else { return };
        if c.opts.idle_timeout == timeout || c.is_closing() {
            return;
        }
        if c.opts.idle_timeout.is_none() {
            // `last_active` is only kept up to date while a timeout is set.
            c.last_active = std::time::Instant::now();
        }
        let mut opts = (*c.opts).clone();
        opts.idle_timeout = timeout;
        c.opts = Arc::new(opts);
        let idle = c.last_active.elapsed();
        if let Some(t) = c.idle_timer.take() {
            self.timers.cancel(t.0);
        }
        if let Some(timeout) = timeout {
            self.arm_idle_timer(id, timeout.saturating_sub(idle));
        }
    }

    /// Idle check with one timer per connection, re-armed lazily: activity only stamps
    /// `last_active`; when the timer fires it either closes or re-arms for the time remaining.
    fn check_idle(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        c.idle_timer = None;
        let Some(timeout) = c.opts.idle_timeout else {
            return;
        };
        let idle = c.last_active.elapsed();
        if idle >= timeout {
            tracing::debug!(conn = %id, ?idle, "closing idle connection");
            self.close(id, CloseReason::IdleTimeout);
        } else {
            self.arm_idle_timer(id, timeout - idle);
        }
    }
}
