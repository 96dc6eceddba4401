//! `ClientConn`: where a client's connection lives. A leaf, so that the client registry
//! (`ctx`) and the pub/sub registry (`pubsub`) address connections with the same type.

use kvs_reactor::{ConnId, LoopHandle};

/// Where a client's connection lives: the looper that owns it and the connection's id there.
/// Only that looper may touch the connection, so CLIENT KILL posts the close to it and
/// PUBLISH its messages.
#[derive(Clone)]
pub struct ClientConn {
    /// The connection on its looper.
    pub id: ConnId,
    /// The owning looper.
    pub handle: LoopHandle,
}

impl std::fmt::Debug for ClientConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} on loop {}", self.id, self.handle.id())
    }
}
