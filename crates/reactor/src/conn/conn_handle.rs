//! `ConnHandle`: a connection reachable from any thread.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use bytes::Bytes;

use crate::conn_id::ConnId;
use crate::handler::CloseReason;
use crate::loop_handle::LoopHandle;

/// What a connection's handles can know without asking its loop: open and still sending, open
/// but shut down for sending (output is being flushed, then FIN), or closed. Only the loop thread
/// moves it forward (except [`ConnHandle::shutdown`], which marks it at once); it never goes back.
#[derive(Debug)]
pub(crate) struct HandleState(AtomicU8);

const CLOSED: u8 = 0;
const SHUT_DOWN: u8 = 1;
const SENDING: u8 = 2;

impl HandleState {
    pub(crate) fn new_open() -> Self {
        HandleState(AtomicU8::new(SENDING))
    }

    fn new_closed() -> Self {
        HandleState(AtomicU8::new(CLOSED))
    }

    /// No more sends: a shutdown was requested.
    pub(crate) fn set_shut_down(&self) {
        // Only SENDING moves to SHUT_DOWN; a closed connection stays closed.
        let _ = self
            .0
            .compare_exchange(SENDING, SHUT_DOWN, Ordering::AcqRel, Ordering::Acquire);
    }

    pub(crate) fn set_closed(&self) {
        self.0.store(CLOSED, Ordering::Release);
    }

    fn is_open(&self) -> bool {
        self.0.load(Ordering::Acquire) != CLOSED
    }

    fn can_send(&self) -> bool {
        self.0.load(Ordering::Acquire) == SENDING
    }
}

/// A cheap, cloneable, **thread-safe** handle to a connection. Every method posts to the owning
/// loop (with [`LoopHandle::run_in_loop`]), so only the loop thread ever touches the socket.
///
/// A handle names exactly one connection: after it closes, the handle is dead forever, even if a
/// new connection reuses the slot ([`ConnId`] carries a serial number).
#[derive(Clone)]
pub struct ConnHandle {
    loop_handle: LoopHandle,
    id: ConnId,
    state: Arc<HandleState>,
}

impl ConnHandle {
    pub(crate) fn new(
        loop_handle: LoopHandle,
        id: ConnId,
        state: Option<Arc<HandleState>>,
    ) -> Self {
        let state = state.unwrap_or_else(|| Arc::new(HandleState::new_closed()));
        ConnHandle {
            loop_handle,
            id,
            state,
        }
    }

    /// The connection's id. **Thread-safe.**
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The owning loop. **Thread-safe.**
    pub fn loop_handle(&self) -> &LoopHandle {
        &self.loop_handle
    }

    /// Is the connection (as far as this thread can tell) still open? A `true` can be stale by
    /// the time the caller acts on it; a `false` is final. A connection that was shut down stays
    /// open until its pending output is flushed and the peer closes too. **Thread-safe.**
    pub fn is_open(&self) -> bool {
        self.state.is_open()
    }

    /// Sends `data` on the loop thread. **Thread-safe.**
    ///
    /// Returns false, doing nothing, if the connection is known to be closed or shut down for
    /// sending. A `true` means the bytes were posted: they go out in order after everything sent
    /// before them, unless the connection closes (or is shut down) before the loop gets to them,
    /// in which case they are dropped with it.
    ///
    /// Called on the loop thread itself (inside a callback), the send is deferred until the
    /// callback returns, so a later [`Conn::send`](crate::Conn::send) in the same callback goes
    /// out first; inside callbacks use `Conn::send`.
    pub fn send(&self, data: impl Into<Bytes>) -> bool {
        if !self.state.can_send() {
            return false;
        }
        let data = data.into();
        let id = self.id;
        self.loop_handle.run_in_loop(move |el| {
            el.send_on(id, &data);
        });
        true
    }

    /// Half-closes after pending output is flushed (see [`Conn::shutdown`](crate::Conn::shutdown)).
    /// From this call on, [`send`](Self::send) on any handle of the connection returns false.
    /// **Thread-safe.**
    pub fn shutdown(&self) {
        if self.is_open() {
            self.state.set_shut_down();
            let id = self.id;
            self.loop_handle.run_in_loop(move |el| el.shutdown_on(id));
        }
    }

    /// Closes now, discarding pending output. **Thread-safe.**
    pub fn force_close(&self) {
        if self.is_open() {
            let id = self.id;
            self.loop_handle
                .run_in_loop(move |el| el.close(id, CloseReason::Forced));
        }
    }
}

impl fmt::Debug for ConnHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnHandle")
            .field("id", &self.id)
            .field("open", &self.is_open())
            .finish()
    }
}
