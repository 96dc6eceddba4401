//! `SessionState`: the per-connection protocol state commands read and change.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use bytes::Bytes;

use crate::cmd::ReplyMode;
use crate::ctx::{ClientConn, ClientInfo, ServerCtx};
use crate::resp::Proto;

/// Per-connection protocol state that commands read and change.
#[derive(Debug, Clone)]
pub struct SessionState {
    /// RESP version (HELLO).
    pub proto: Proto,
    /// AUTH done (or no password needed).
    pub authed: bool,
    /// CLIENT ID.
    pub client_id: u64,
    /// CLIENT SETNAME.
    pub name: Option<Bytes>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Bytes>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Bytes>,
    pub(super) peer: String,
    pub(super) local: String,
    pub(super) created: u64,
    /// This client's connection and looper, published for CLIENT KILL.
    pub(super) conn: Option<ClientConn>,
    /// The last command's code (`table::command_code`), shared with the CLIENT LIST registry.
    pub(super) last_cmd: Arc<AtomicU32>,
    /// CLIENT REPLY ON|OFF|SKIP.
    pub(crate) reply_mode: ReplyMode,
}

impl SessionState {
    /// RESET: back to a fresh connection's state (RESP2, no name, unauthenticated).
    pub fn reset(&mut self, ctx: &ServerCtx) {
        self.proto = Proto::Resp2;
        self.name = None;
        self.reply_mode = ReplyMode::On;
        self.authed = ctx.requirepass().is_none();
        self.publish(ctx);
    }

    /// Updates this client's CLIENT LIST entry.
    pub fn publish(&self, ctx: &ServerCtx) {
        let text = |b: &Option<Bytes>| {
            b.as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default()
        };
        ctx.client_update(ClientInfo {
            id: self.client_id,
            addr: self.peer.clone(),
            laddr: self.local.clone(),
            name: text(&self.name),
            created: self.created,
            resp: if self.proto == Proto::Resp3 { 3 } else { 2 },
            lib_name: text(&self.lib_name),
            lib_ver: text(&self.lib_ver),
            cmd: self.last_cmd.clone(),
            conn: self.conn.clone(),
        });
    }
}
