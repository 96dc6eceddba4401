//! `ConnHandle`: a connection reachable from any thread.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;

use crate::conn_id::ConnId;
use crate::handler::CloseReason;
use crate::loop_handle::LoopHandle;

/// A cheap, cloneable, **thread-safe** handle to a connection. Every method posts to the owning
/// loop (with [`LoopHandle::run_in_loop`]), so only the loop thread ever touches the socket.
///
/// A handle names exactly one connection: after it closes, the handle is dead forever, even if a
/// new connection reuses the slot ([`ConnId`] carries a serial number).
#[derive(Clone)]
pub struct ConnHandle {
    loop_handle: LoopHandle,
    id: ConnId,
    open: Arc<AtomicBool>,
}

impl ConnHandle {
    pub(crate) fn new(loop_handle: LoopHandle, id: ConnId, open: Option<Arc<AtomicBool>>) -> Self {
        let open = open.unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
        ConnHandle {
            loop_handle,
            id,
            open,
        }
    }

    /// The connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The owning loop.
    pub fn loop_handle(&self) -> &LoopHandle {
        &self.loop_handle
    }

    /// Is the connection (as far as this thread can tell) still open? A `true` can be stale by
    /// the time the caller acts on it; a `false` is final.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Sends `data` on the loop thread. Returns false, doing nothing, if the connection is known
    /// to be closed; bytes posted just before a close are dropped with the connection.
    pub fn send(&self, data: impl Into<Bytes>) -> bool {
        if !self.is_open() {
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
    pub fn shutdown(&self) {
        if self.is_open() {
            let id = self.id;
            self.loop_handle.run_in_loop(move |el| el.shutdown_on(id));
        }
    }

    /// Closes now, discarding pending output.
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
