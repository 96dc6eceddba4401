//! Pub/sub: who listens to what, server-wide ([`PubSub`]), and what a PUBLISH sends where
//! ([`Outgoing`]). The cross-looper broadcast itself is the session's (`session/published.rs`).
//!
//! A PUBLISH runs on its client's looper. It looks the channel and the patterns up here under a
//! read lock and gathers, per looper, the subscribers it reaches ([`Outgoing::add`]); once the
//! looper has parsed its input, the session posts **one functor per looper** carrying every
//! message of the batch for that looper's subscribers, and only then writes PUBLISH's reply.
//! Every post of one publisher reaches a looper's FIFO queue in publish order, and any PUBLISH
//! a client issues after reading a reply is posted after what that reply confirms — so each
//! subscriber receives messages in publish order. Only the owning looper touches a subscriber's
//! socket.
//!
//! Subscriptions are kept twice: here (channel → subscribers, for PUBLISH and PUBSUB) and in
//! each connection's `SessionState` (what that client listens to, for UNSUBSCRIBE without
//! arguments, the RESP2 subscribed mode, and dropping a message that arrives after the client
//! unsubscribed).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use bytes::{Bytes, BytesMut};
use kvs_reactor::{ConnId, LoopHandle};

use crate::client_conn::ClientConn;

use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

/// The server-wide subscription registry. **Thread-safe**: PUBLISH and PUBSUB take the read
/// lock, (un)subscribing the write lock; nothing is sent under it.
#[derive(Default)]
pub struct PubSub {
    inner: RwLock<Registry>,
    /// Hands one looper's deliveries to its connections, on that looper (the sessions'
    /// business, given by the server at start-up: `session::deliver_published`).
    deliver: OnceLock<Deliver>,
}

/// Runs on a looper with the deliveries posted to it.
pub type Deliver = fn(&mut kvs_reactor::EventLoop, Vec<Delivery>);

#[derive(Default)]
struct Registry {
    /// Channel → its subscribers, in subscription order.
    channels: HashMap<Bytes, Vec<ClientConn>>,
    /// Pattern → its subscribers (Redis 7.0's `pubsub_patterns`: NUMPAT counts its keys).
    patterns: HashMap<Bytes, Vec<ClientConn>>,
    /// Shard channel → its subscribers (SSUBSCRIBE; a namespace of its own, without patterns).
    shard_channels: HashMap<Bytes, Vec<ClientConn>>,
}

/// What a subscription is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A channel (SUBSCRIBE).
    Channel,
    /// A pattern (PSUBSCRIBE).
    Pattern,
    /// A shard channel (SSUBSCRIBE).
    Shard,
}

impl Kind {
    /// The confirmations' names: (subscribe, unsubscribe).
    pub fn verbs(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Kind::Channel => (b"subscribe", b"unsubscribe"),
            Kind::Pattern => (b"psubscribe", b"punsubscribe"),
            Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
        }
    }
}

impl Registry {
    fn list(&mut self, kind: Kind) -> &mut HashMap<Bytes, Vec<ClientConn>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }
}

impl PubSub {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        // Nothing panics under these locks but an allocation failure; the maps stay whole.
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets how a looper hands messages to its connections (once, at start-up).
    pub fn set_deliver(&self, deliver: Deliver) {
        let _ = self.deliver.set(deliver);
    }

    /// Posts what `out` gathered: one functor per looper. **Thread-safe**: loopers post their
    /// clients' PUBLISHes, the writer its keyspace notifications.
    pub fn post(&self, out: &mut Outgoing) {
        let Some(&deliver) = self.deliver.get() else {
            return; // no server loop yet: nobody can be subscribed
        };
        for (looper, deliveries) in out.take() {
            looper.queue_in_loop(move |el| deliver(el, deliveries));
        }
    }

    /// Adds `who` to the subscribers of a channel, pattern or shard channel. The caller has
    /// checked that it was not subscribed already.
    pub fn subscribe(&self, name: &Bytes, kind: Kind, who: &ClientConn) {
        let mut r = self.write();
        r.list(kind)
            .entry(name.clone())
            .or_default()
            .push(who.clone());
    }

    /// Removes `conn` from the subscribers of each name in `names` (all of one kind).
    pub fn unsubscribe<'a>(
        &self,
        names: impl IntoIterator<Item = &'a Bytes>,
        kind: Kind,
        conn: ConnId,
    ) {
        let mut r = self.write();
        let list = r.list(kind);
        for name in names {
            if let Some(subs) = list.get_mut(name) {
                subs.retain(|s| s.id != conn);
                if subs.is_empty() {
                    list.remove(name);
                }
            }
        }
    }

    /// PUBLISH: gathers the message for every subscriber of `channel` and of each pattern
    /// matching it (a client listening both ways gets both, as in Redis), and returns how
    /// many receive it. SPUBLISH (`shard`): for the shard channel's subscribers only (patterns
    /// do not see shard channels), as `smessage`s. The messages for connection `me` itself (a
    /// RESP3 client may publish to its own channels) go to `mine` instead: its looper is
    /// already running it, so PUBLISH writes them ahead of its own reply, in Redis' order.
    pub fn publish(
        &self,
        channel: &Bytes,
        payload: &Bytes,
        shard: bool,
        out: &mut Outgoing,
        me: Option<ConnId>,
        mine: &mut Vec<Arc<Message>>,
    ) -> usize {
        let r = self.read();
        let mut receivers = 0;
        let direct = if shard {
            &r.shard_channels
        } else {
            &r.channels
        };
        if let Some(subs) = direct.get(channel) {
            let message = Message::new(None, channel.clone(), payload.clone(), shard);
            receivers += fan_out(subs, &message, out, me, mine);
        }
        if shard {
            return receivers;
        }
        for (pattern, subs) in &r.patterns {
            if glob_match(pattern, channel) {
                let pattern = Some(pattern.clone());
                let message = Message::new(pattern, channel.clone(), payload.clone(), false);
                receivers += fan_out(subs, &message, out, me, mine);
            }
        }
        receivers
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS: the channels (shard channels with `shard`) with at
    /// least one subscriber, matching `pattern` if given.
    pub fn channels(&self, pattern: Option<&[u8]>, shard: bool) -> Vec<Bytes> {
        let r = self.read();
        let map = if shard {
            &r.shard_channels
        } else {
            &r.channels
        };
        map.keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB / SHARDNUMSUB: a channel's subscriber count (patterns not included).
    pub fn subscribers(&self, channel: &[u8], shard: bool) -> usize {
        let r = self.read();
        let map = if shard {
            &r.shard_channels
        } else {
            &r.channels
        };
        map.get(channel).map_or(0, Vec::len)
    }

    /// INFO `pubsub_channels`: channels with at least one subscriber.
    pub fn channel_count(&self) -> usize {
        self.read().channels.len()
    }

    /// INFO `pubsubshard_channels`: shard channels with at least one subscriber.
    pub fn shard_channel_count(&self) -> usize {
        self.read().shard_channels.len()
    }

    /// PUBSUB NUMPAT and INFO `pubsub_patterns`: patterns with at least one subscriber.
    pub fn pattern_count(&self) -> usize {
        self.read().patterns.len()
    }
}

/// Gathers `message` for each of `subs` (for connection `me`, into `mine`); how many there are.
fn fan_out(
    subs: &[ClientConn],
    message: &Arc<Message>,
    out: &mut Outgoing,
    me: Option<ConnId>,
    mine: &mut Vec<Arc<Message>>,
) -> usize {
    for s in subs {
        if Some(s.id) == me {
            mine.push(message.clone());
        } else {
            out.add(s, message);
        }
    }
    subs.len()
}

/// One published message, shared by every subscriber it reaches; each protocol's frame is
/// encoded once, by the first subscriber speaking it.
#[derive(Debug)]
pub struct Message {
    /// The pattern it matched (a `pmessage`), or `None` (a `message`).
    pub pattern: Option<Bytes>,
    /// Published with SPUBLISH to a shard channel (an `smessage`).
    pub shard: bool,
    /// The channel published to.
    pub channel: Bytes,
    /// The payload.
    pub payload: Bytes,
    frames: [OnceLock<Bytes>; 2],
}

impl Message {
    fn new(pattern: Option<Bytes>, channel: Bytes, payload: Bytes, shard: bool) -> Arc<Message> {
        Arc::new(Message {
            pattern,
            shard,
            channel,
            payload,
            frames: Default::default(),
        })
    }

    /// The frame as Redis' `addReplyPubsubMessage` / `addReplyPubsubPatMessage` sends it: an
    /// array in RESP2, a push in RESP3.
    pub fn frame(&self, proto: Proto) -> Bytes {
        let slot = &self.frames[usize::from(proto == Proto::Resp3)];
        slot.get_or_init(|| {
            let mut out = BytesMut::new();
            match &self.pattern {
                None => {
                    encode::push_len(&mut out, 3, proto);
                    encode::bulk(
                        &mut out,
                        if self.shard {
                            &b"smessage"[..]
                        } else {
                            b"message"
                        },
                    );
                }
                Some(p) => {
                    encode::push_len(&mut out, 4, proto);
                    encode::bulk(&mut out, b"pmessage");
                    encode::bulk(&mut out, p);
                }
            }
            encode::bulk(&mut out, &self.channel);
            encode::bulk(&mut out, &self.payload);
            out.freeze()
        })
        .clone()
    }
}

/// One message for one connection.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The subscriber.
    pub conn: ConnId,
    /// What it receives.
    pub message: Arc<Message>,
}

/// What the PUBLISHes of one batch send, grouped by looper: one post each.
#[derive(Default, Clone)]
pub struct Outgoing {
    by_looper: Vec<(LoopHandle, Vec<Delivery>)>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: usize = self.by_looper.iter().map(|(_, d)| d.len()).sum();
        write!(
            f,
            "Outgoing({n} deliveries to {} loopers)",
            self.by_looper.len()
        )
    }
}

impl Outgoing {
    /// Adds a message for one subscriber. A server has a handful of loopers, so a linear
    /// search finds its group.
    pub fn add(&mut self, to: &ClientConn, message: &Arc<Message>) {
        let delivery = Delivery {
            conn: to.id,
            message: message.clone(),
        };
        let id = to.handle.id();
        match self.by_looper.iter_mut().find(|(h, _)| h.id() == id) {
            Some((_, group)) => group.push(delivery),
            None => self.by_looper.push((to.handle.clone(), vec![delivery])),
        }
    }

    /// Nothing to send?
    pub fn is_empty(&self) -> bool {
        self.by_looper.is_empty()
    }

    /// Takes every group: (the looper, its deliveries in publish order).
    pub fn take(&mut self) -> Vec<(LoopHandle, Vec<Delivery>)> {
        std::mem::take(&mut self.by_looper)
    }
}
