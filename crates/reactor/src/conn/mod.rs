//! `Conn`: the loop-thread view of one connection that callbacks receive.

// The connection's parts: its id and token (`conn_id`), the loop-owned state and options
// (`connection`), the thread-safe handle (`conn_handle`), and the loop's work on it: adopting
// an accepted or connected socket (`adopt`) and its I/O, half-close and close (`conn_io`). `Conn`,
// the callback's view, is below.
mod adopt;
pub(crate) mod conn_handle;
pub(crate) mod conn_id;
mod conn_io;
pub(crate) mod connection;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::conn_handle::ConnHandle;
use crate::conn_id::ConnId;
use crate::event_loop::EventLoop;

/// A connection as seen from its loop thread: what a [`Handler`](crate::Handler) callback, a
/// functor or a timer uses to send, shut down, pause reading, or reach the loop.
///
/// It borrows the [`EventLoop`], so it only exists on the loop thread and every method is
/// **loop-thread-only**. From other threads use a [`ConnHandle`] (see [`Conn::handle`]).
pub struct Conn<'a> {
    pub(crate) el: &'a mut EventLoop,
    pub(crate) id: ConnId,
}

impl Conn<'_> {
    /// The connection's id. **Loop thread only.**
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Sends `data`: written to the socket at once if no output is pending, the rest buffered and
    /// written when the socket becomes writable. Returns false (and sends nothing) if the
    /// connection is closed, closing, or already shut down for writing. **Loop thread only.**
    pub fn send(&mut self, data: &[u8]) -> bool {
        self.el.send_on(self.id, data)
    }

    /// Half-closes: once pending output is written, sends FIN. Reading continues until the peer
    /// closes too, then the connection closes (Muduo's `shutdown`). Further sends return false.
    /// **Loop thread only.**
    pub fn shutdown(&mut self) {
        self.el.shutdown_on(self.id);
    }

    /// Closes now, discarding pending output. `on_close` runs after the current callback returns.
    /// **Loop thread only.**
    pub fn force_close(&mut self) {
        self.el.close(self.id, crate::CloseReason::Forced);
    }

    /// Stops reading from the socket (backpressure): the kernel buffer fills and TCP flow control
    /// slows the peer. No `on_message` is called until [`resume_read`](Self::resume_read).
    /// **Loop thread only.**
    pub fn pause_read(&mut self) {
        self.el.pause_read_on(self.id);
    }

    /// Resumes reading after [`pause_read`](Self::pause_read); input already buffered is offered
    /// to `on_message` again. **Loop thread only.**
    pub fn resume_read(&mut self) {
        self.el.resume_read_on(self.id);
    }

    /// Offers the input already buffered to `on_message` again, later in this loop turn, as
    /// [`resume_read`](Self::resume_read) does: for a handler that stopped consuming its input
    /// part-way (a server whose client waits in a blocking command leaves the rest of the
    /// pipeline unparsed) and can go on now. Nothing happens if no input is buffered or reading
    /// is paused. **Loop thread only.**
    pub fn offer_input_again(&mut self) {
        self.el.offer_input_again_on(self.id);
    }

    /// Is reading paused? **Loop thread only.**
    pub fn is_read_paused(&mut self) -> bool {
        self.el.slot(self.id).is_some_and(|c| c.read_paused)
    }

    /// Bytes queued for writing and not yet accepted by the kernel. **Loop thread only.**
    pub fn output_len(&mut self) -> usize {
        self.el.slot(self.id).map_or(0, |c| c.output.len())
    }

    /// Changes this connection's high-water mark (see [`ConnOptions`](crate::ConnOptions)).
    /// **Loop thread only.**
    pub fn set_high_water_mark(&mut self, bytes: usize) {
        if let Some(c) = self.el.slot(self.id) {
            let mut opts = (*c.opts).clone();
            opts.high_water_mark = bytes;
            c.opts = Arc::new(opts);
        }
    }

    /// Changes this connection's idle timeout (see [`ConnOptions`](crate::ConnOptions)): `None`
    /// disarms it; a new timeout counts from now at the earliest (time spent idle before the
    /// timeout was enabled is not known, so it is not counted), e.g. to apply a setting changed
    /// at run time to connections already open. **Loop thread only.**
    pub fn set_idle_timeout(&mut self, timeout: Option<std::time::Duration>) {
        self.el.set_idle_timeout_on(self.id, timeout);
    }

    /// Is the connection established and not yet closing? **Loop thread only.**
    pub fn is_connected(&mut self) -> bool {
        self.el.slot(self.id).is_some_and(|c| c.is_connected())
    }

    /// The peer's address (`None` once the connection is gone). **Loop thread only.**
    pub fn peer_addr(&mut self) -> Option<SocketAddr> {
        self.el.slot(self.id).and_then(|c| c.peer)
    }

    /// The local address of the socket. **Loop thread only.**
    pub fn local_addr(&mut self) -> io::Result<SocketAddr> {
        match self.el.slot(self.id) {
            Some(c) => c.stream.local_addr(),
            None => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// A thread-safe handle to this connection, for sending from other threads.
    pub fn handle(&mut self) -> ConnHandle {
        let loop_handle = self.el.handle();
        let open = self.el.slot(self.id).map(|c| c.open.clone());
        ConnHandle::new(loop_handle, self.id, open)
    }

    /// The loop that owns this connection: timers, other connections, `quit`. **Loop thread only.**
    pub fn event_loop(&mut self) -> &mut EventLoop {
        self.el
    }
}
