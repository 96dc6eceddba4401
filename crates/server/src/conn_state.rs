//! `SessionState`: the per-connection protocol state commands read and change, and CLIENT
//! REPLY's `ReplyMode`. A module of its own so that commands (`cmd`) and the connection that
//! runs them (`session`) both use it without depending on each other.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;

use bytes::Bytes;

use crate::ctx::{ClientConn, ClientInfo, ServerCtx};
use crate::pubsub::{Kind, Outgoing};
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
    pub(crate) peer: String,
    pub(crate) local: String,
    pub(crate) created: u64,
    /// This client's connection and looper, published for CLIENT KILL.
    pub(crate) conn: Option<ClientConn>,
    /// The last command's code (`table::command_code`), shared with the CLIENT LIST registry.
    pub(crate) last_cmd: Arc<AtomicU32>,
    /// Waiting in a blocking command (BLPOP...), shared with its CLIENT LIST entry.
    pub(crate) blocked: Arc<std::sync::atomic::AtomicBool>,
    /// The connection has closed (or its peer has): a blocking command's waiter in the
    /// writer's registry reads it, so nothing is popped for a client that has gone.
    pub(crate) closed: Arc<std::sync::atomic::AtomicBool>,
    /// CLIENT REPLY ON|OFF|SKIP.
    pub(crate) reply_mode: ReplyMode,
    /// The channels this client SUBSCRIBEd to.
    pub(crate) channels: HashSet<Bytes>,
    /// The patterns it PSUBSCRIBEd to, in subscription order (Redis keeps them in a list, and
    /// PUNSUBSCRIBE without arguments answers in that order).
    pub(crate) patterns: Vec<Bytes>,
    /// The shard channels it SSUBSCRIBEd to.
    pub(crate) shard_channels: HashSet<Bytes>,
    /// What this client's PUBLISHes send to other connections, posted to the loopers once the
    /// client's earlier commands have run (`session/published.rs`).
    pub(crate) outgoing: Outgoing,
    /// Messages this client's own PUBLISHes send to itself (a RESP3 client may listen to the
    /// channels it publishes to): written ahead of PUBLISH's reply, whatever CLIENT REPLY
    /// says, as Redis writes pushes.
    pub(crate) pushes: bytes::BytesMut,
}

impl SessionState {
    /// RESET: back to a fresh connection's state (RESP2, no name, unauthenticated, no
    /// subscriptions).
    pub fn reset(&mut self, ctx: &ServerCtx) {
        self.unsubscribe_all(ctx);
        self.proto = Proto::Resp2;
        self.name = None;
        self.reply_mode = ReplyMode::On;
        self.authed = ctx.requirepass().is_none();
        self.publish(ctx);
    }

    /// Channels plus patterns subscribed to (Redis' `clientSubscriptionsCount`, which
    /// SUBSCRIBE's and UNSUBSCRIBE's replies carry).
    pub fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Every subscription, shard channels included (Redis'
    /// `clientTotalPubSubSubscriptionCount`): a client with any is of type pubsub.
    pub fn total_subscriptions(&self) -> usize {
        self.subscriptions() + self.shard_channels.len()
    }

    /// In RESP2's subscribed mode, where only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and
    /// RESET may run (RESP3 mixes pushes with replies, so it has no such mode).
    pub fn in_subscribed_mode(&self) -> bool {
        self.proto == Proto::Resp2 && self.total_subscriptions() > 0
    }

    /// Is this client subscribed to `name` (a channel, pattern or shard channel)?
    pub fn is_subscribed(&self, kind: Kind, name: &Bytes) -> bool {
        match kind {
            Kind::Channel => self.channels.contains(name),
            Kind::Pattern => self.patterns.contains(name),
            Kind::Shard => self.shard_channels.contains(name),
        }
    }

    /// Records a subscription the client did not have.
    pub(crate) fn add_subscription(&mut self, kind: Kind, name: Bytes) {
        match kind {
            Kind::Channel => {
                self.channels.insert(name);
            }
            Kind::Pattern => self.patterns.push(name),
            Kind::Shard => {
                self.shard_channels.insert(name);
            }
        }
    }

    /// Forgets a subscription; whether the client had it.
    pub(crate) fn remove_subscription(&mut self, kind: Kind, name: &Bytes) -> bool {
        match kind {
            Kind::Channel => self.channels.remove(name),
            Kind::Pattern => match self.patterns.iter().position(|p| p == name) {
                Some(i) => {
                    self.patterns.remove(i);
                    true
                }
                None => false,
            },
            Kind::Shard => self.shard_channels.remove(name),
        }
    }

    /// Every subscription of `kind` (patterns in subscription order, the others in no set
    /// order, as Redis' dicts): what an argument-less (P|S)UNSUBSCRIBE leaves.
    pub(crate) fn subscribed_to(&self, kind: Kind) -> Vec<Bytes> {
        match kind {
            Kind::Channel => self.channels.iter().cloned().collect(),
            Kind::Pattern => self.patterns.clone(),
            Kind::Shard => self.shard_channels.iter().cloned().collect(),
        }
    }

    /// The count a (un)subscription confirmation of `kind` carries: channels plus patterns, or
    /// shard channels alone (Redis' `clientSubscriptionsCount` and
    /// `clientShardSubscriptionsCount`).
    pub(crate) fn confirmation_count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Channel | Kind::Pattern => self.subscriptions(),
            Kind::Shard => self.shard_channels.len(),
        }
    }

    /// Leaves every channel and pattern (RESET, and a closing connection).
    pub fn unsubscribe_all(&mut self, ctx: &ServerCtx) {
        if self.total_subscriptions() == 0 {
            return;
        }
        if let Some(c) = &self.conn {
            ctx.pubsub.unsubscribe(&self.channels, Kind::Channel, c.id);
            ctx.pubsub.unsubscribe(&self.patterns, Kind::Pattern, c.id);
            ctx.pubsub
                .unsubscribe(&self.shard_channels, Kind::Shard, c.id);
        }
        self.channels.clear();
        self.patterns.clear();
        self.shard_channels.clear();
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
            sub: self.channels.len(),
            psub: self.patterns.len(),
            ssub: self.shard_channels.len(),
            blocked: self.blocked.clone(),
        });
    }
}

/// Whether this connection's replies are sent (CLIENT REPLY). With `Off` or `SkipNext` the
/// commands still run; only their replies — errors included — are dropped, as Redis does for
/// fire-and-forget writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplyMode {
    /// Every reply is sent.
    #[default]
    On,
    /// No reply is sent until CLIENT REPLY ON.
    Off,
    /// The next command's reply is not sent (set by CLIENT REPLY SKIP).
    SkipNext,
}

impl ReplyMode {
    /// Is the reply of the command about to run dropped? Consumes a SKIP. (Redis' resetClient
    /// turns SKIP_NEXT into SKIP for the next command, whatever it is, rejected ones included.)
    pub fn take_silence(&mut self) -> bool {
        match *self {
            ReplyMode::On => false,
            ReplyMode::Off => true,
            ReplyMode::SkipNext => {
                *self = ReplyMode::On;
                true
            }
        }
    }
}
