//! The loop-owned state of one TCP connection, and the options that shape it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use mio::net::TcpStream;
use mio::{Interest, Registry};

use crate::client::ClientShared;
use crate::conn_handle::HandleState;
use crate::conn_id::ConnId;
use crate::event_loop::EventLoop;
use crate::handler::Handler;
use crate::timer::TimerId;

/// Per-connection options, shared by every connection a server or client makes.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    /// Pending output size at which [`Handler::on_high_water_mark`] fires (crossing upwards).
    /// Default 64 MiB, as Muduo.
    pub high_water_mark: usize,
    /// Bytes read from one connection per readiness event before the loop moves on to the other
    /// ready connections (it comes back to this one in the next iteration without blocking), so
    /// one busy peer cannot starve the rest. Default 256 KiB.
    pub read_budget: usize,
    /// Close a connection after this long without reading or writing a byte. Default: none.
    pub idle_timeout: Option<Duration>,
    /// Set `TCP_NODELAY` (disable Nagle). Default: on, as request/response protocols want.
    pub nodelay: bool,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            high_water_mark: 64 * 1024 * 1024,
            read_budget: 256 * 1024,
            idle_timeout: None,
            nodelay: true,
        }
    }
}

/// Where a connection is in its life, and what only that stage needs. It only moves forward:
/// `Connecting` (client sockets only) → `Connected` → `Closing`; an accepted socket starts at
/// `Connected`. Within `Connected`, [`ReadHalf`] and [`WriteHalf`] track the two directions'
/// shutdown.
pub(crate) enum Phase {
    /// A client socket whose non-blocking `connect` has not completed, with the client that
    /// made it (told whether the connect succeeded).
    Connecting(Arc<ClientShared>),
    /// Established: reads, writes and callbacks run.
    Connected,
    /// `close` has started (or is deferred until the running callback returns): nothing more
    /// is read or sent, and the slot is freed once `on_close` and the close hook have run.
    Closing,
}

/// Run once when a connection closes, after the handler's `on_close`, with the loop at hand:
/// what the connection's creator must undo — the server's count of open connections, a
/// client's reconnect. Not run for a connection dropped before it was ever established.
pub(crate) type CloseHook = Box<dyn FnOnce(&mut EventLoop) + Send>;

/// The peer's sending side, as this end has seen it close. It only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadHalf {
    /// The peer may still send.
    Open,
    /// epoll reported RDHUP: the FIN is on its way, so a short read no longer proves the
    /// socket drained — read on until the EOF.
    HangupSeen,
    /// The EOF was read.
    Eof,
}

/// Our sending side, as the application closed it (Muduo's `shutdown`). It only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteHalf {
    /// The application may queue bytes.
    Open,
    /// `shutdown` was asked: no more bytes may be queued; the write side is shut once the
    /// pending output is flushed.
    ShutdownPending,
    /// `shutdown(Write)` done: the FIN is sent.
    Shut,
}

pub(crate) struct Connection {
    pub(crate) id: ConnId,
    pub(crate) stream: TcpStream,
    pub(crate) phase: Phase,
    pub(crate) peer: Option<SocketAddr>,
    /// `None` while one of its callbacks runs (it is taken out so the callback can borrow the
    /// loop), and after a callback panicked.
    pub(crate) handler: Option<Box<dyn Handler>>,
    /// True while a callback of this connection runs: closing is then deferred until it returns.
    pub(crate) in_callback: bool,
    pub(crate) input: BytesMut,
    pub(crate) output: BytesMut,
    pub(crate) registered: Option<Interest>,
    /// The application paused reading (`Conn::pause_read`); independent of [`ReadHalf`].
    pub(crate) read_paused: bool,
    /// How far the peer's sending side has got to closing.
    pub(crate) read_half: ReadHalf,
    /// How far our sending side has got to closing.
    pub(crate) write_half: WriteHalf,
    /// A write-complete callback is already queued for this connection.
    pub(crate) write_complete_queued: bool,
    /// Cleared on close; [`ConnHandle`](crate::ConnHandle)s read it to answer "is it still open?".
    pub(crate) open: Arc<HandleState>,
    pub(crate) opts: Arc<ConnOptions>,
    pub(crate) last_active: Instant,
    pub(crate) idle_timer: Option<TimerId>,
    /// What its creator wants done when it closes (see [`CloseHook`]).
    pub(crate) on_close: Option<CloseHook>,
}

impl Connection {
    pub(crate) fn new(id: ConnId, stream: TcpStream, phase: Phase, opts: Arc<ConnOptions>) -> Self {
        Connection {
            id,
            stream,
            phase,
            peer: None,
            handler: None,
            in_callback: false,
            input: BytesMut::new(),
            output: BytesMut::new(),
            registered: None,
            read_paused: false,
            read_half: ReadHalf::Open,
            write_half: WriteHalf::Open,
            write_complete_queued: false,
            open: Arc::new(HandleState::new_open()),
            opts,
            last_active: Instant::now(),
            idle_timer: None,
            on_close: None,
        }
    }

    /// Established and not closing: the phase in which reads, writes and callbacks run.
    pub(crate) fn is_connected(&self) -> bool {
        matches!(self.phase, Phase::Connected)
    }

    /// Is a client's non-blocking connect still in progress?
    pub(crate) fn is_connecting(&self) -> bool {
        matches!(self.phase, Phase::Connecting(_))
    }

    /// Has `close` started (possibly deferred until the running callback returns)?
    pub(crate) fn is_closing(&self) -> bool {
        matches!(self.phase, Phase::Closing)
    }

    /// Can the application still queue bytes on this connection?
    pub(crate) fn can_send(&self) -> bool {
        self.is_connected() && self.write_half == WriteHalf::Open
    }

    /// Registers exactly the interest this connection needs now: READABLE while the peer may still
    /// send, WRITABLE only while output is pending (or a connect is in progress). Reading paused
    /// by the application keeps READABLE registered: resuming re-reads until `WouldBlock`, so no
    /// edge is lost, and pausing costs no `epoll_ctl`.
    pub(crate) fn update_interest(&mut self, registry: &Registry) {
        // A closing connection keeps what it had until its slot is freed (its events are
        // ignored meanwhile); a connecting one waits for WRITABLE only.
        let readable = self.read_half != ReadHalf::Eof && !self.is_connecting();
        let writable = !self.output.is_empty() || self.is_connecting();
        let wanted = match (readable, writable) {
            (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
            (true, false) => Some(Interest::READABLE),
            (false, true) => Some(Interest::WRITABLE),
            (false, false) => None,
        };
        if wanted == self.registered {
            return;
        }
        let token = self.id.token();
        let result = match (self.registered, wanted) {
            (None, Some(i)) => registry.register(&mut self.stream, token, i),
            (Some(_), Some(i)) => registry.reregister(&mut self.stream, token, i),
            (Some(_), None) => registry.deregister(&mut self.stream),
            (None, None) => Ok(()),
        };
        match result {
            Ok(()) => self.registered = wanted,
            Err(e) => tracing::warn!(conn = %self.id, error = %e, "epoll_ctl failed"),
        }
    }
}
