//! The per-connection callbacks an application implements.

use std::any::Any;
use std::io;

use bytes::BytesMut;

use crate::conn::Conn;

/// Why a connection was closed, as told to [`Handler::on_close`].
#[derive(Debug)]
pub enum CloseReason {
    /// Both directions were shut down in an orderly way (peer FIN and our `shutdown()`).
    Graceful,
    /// [`Conn::force_close`] or [`ConnHandle::force_close`](crate::ConnHandle::force_close) was
    /// called, or the owning server is shutting down past its deadline.
    Forced,
    /// The connection was idle for longer than the configured idle timeout.
    IdleTimeout,
    /// A read or write failed (reset by peer, broken pipe, ...).
    Error(io::Error),
    /// A callback of this connection's handler panicked; the handler has been dropped.
    HandlerPanicked,
}

/// Callbacks for one connection, Muduo's `ConnectionCallback`/`MessageCallback`/... gathered in
/// one trait so per-connection state lives in `self`.
///
/// A handler is created by the application's factory **on the loop thread** that owns the
/// connection, and every callback runs on that thread: a handler need not be `Send`, and may keep
/// `Rc`s or other loop-local state. Each callback gets a [`Conn`], a loop-thread view of the
/// connection through which it can send, shut down, pause reading, or reach the
/// [`EventLoop`](crate::EventLoop) (timers, other connections).
///
/// Only [`on_message`](Handler::on_message) is required.
pub trait Handler: Any {
    /// The connection is established (accepted or connected) and registered with its loop.
    fn on_connect(&mut self, conn: &mut Conn<'_>) {
        let _ = conn;
    }

    /// New bytes arrived. `input` holds everything received and not yet consumed; consume what
    /// forms complete messages (e.g. `input.split_to(n)`) and leave partial frames: they stay for
    /// the next call, with the new bytes appended.
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut);

    /// The output buffer has drained to the socket (Muduo's write-complete callback). Fires after
    /// a `send` that was written in full directly, and when pending output finishes draining.
    fn on_write_complete(&mut self, conn: &mut Conn<'_>) {
        let _ = conn;
    }

    /// Pending output crossed the connection's high-water mark upwards; `pending` is its size now.
    /// A typical reaction is [`Conn::pause_read`] until [`on_write_complete`](Handler::on_write_complete).
    fn on_high_water_mark(&mut self, conn: &mut Conn<'_>, pending: usize) {
        let _ = (conn, pending);
    }

    /// The peer shut down its sending side (read returned EOF). All bytes it sent before have
    /// been passed to `on_message`. The default flushes pending output and closes
    /// ([`Conn::shutdown`]); override it to keep answering first, e.g. while replies are still
    /// being computed on other threads, and call `shutdown` once they are sent.
    fn on_read_closed(&mut self, conn: &mut Conn<'_>) {
        conn.shutdown();
    }

    /// The connection is closed; this is the last callback, called exactly once. Sends through
    /// `conn` are no-ops now. (The one exception: a handler whose callback panicked is dropped
    /// at once, without `on_close`; see [`CloseReason::HandlerPanicked`].)
    fn on_close(&mut self, conn: &mut Conn<'_>, reason: &CloseReason) {
        let _ = (conn, reason);
    }
}

/// Makes one [`Handler`] per connection. Called on the loop thread that will own the connection.
///
/// Implemented for every `Fn() -> H + Send + Sync + 'static` closure, so `|| Echo` is a factory.
pub trait HandlerFactory: Send + Sync + 'static {
    /// Creates the handler for a new connection.
    fn create(&self) -> Box<dyn Handler>;
}

impl<F, H> HandlerFactory for F
where
    F: Fn() -> H + Send + Sync + 'static,
    H: Handler,
{
    fn create(&self) -> Box<dyn Handler> {
        Box::new(self())
    }
}
