//! The cross-looper broadcast of PUBLISH: the example of how work crosses loopers in kvs.
//!
//! 1. PUBLISH runs on the publisher's looper and gathers, per looper, the subscribers the
//!    message reaches (`crate::pubsub::PubSub::publish` into `SessionState::outgoing`).
//! 2. When the publisher's input is parsed, [`Session::post_published`] posts **one functor
//!    per looper** with everything the batch sends there (`PubSub::post` →
//!    `LoopHandle::queue_in_loop`: a
//!    push on the looper's queue, and a wake-up only if it sleeps) — before PUBLISH's reply is
//!    written, so a client that saw the reply and publishes again is queued behind it.
//! 3. On each subscriber's looper, [`deliver_published`] hands each message to its connection's
//!    [`Session`] (`EventLoop::with_handler`), which appends it behind the replies it owes and
//!    writes at the end of the loop turn. Only that looper touches the socket.
//!
//! A looper's queue is FIFO, so one subscriber receives one publisher's messages in publish
//! order, and with one functor per looper per batch a PUBLISH to 100 subscribers on 4 loopers
//! costs 4 posts, not 100.

use std::time::{Duration, Instant};

use kvs_reactor::{Conn, EventLoop};

use super::Session;
use crate::pubsub::{Delivery, Message};

/// Redis' `client-output-buffer-limit pubsub 32mb 8mb 60`: a subscriber owed more than the hard
/// limit is disconnected at once, and one owed more than the soft limit for 60 s in a row too.
const PUBSUB_HARD_LIMIT: usize = 32 << 20;
const PUBSUB_SOFT_LIMIT: usize = 8 << 20;
const PUBSUB_SOFT_SECONDS: Duration = Duration::from_secs(60);

impl Session {
    /// Posts what this connection's PUBLISHes gathered: one functor per looper. **Loop thread
    /// only**; called once the input is parsed, before the replies are flushed.
    pub(super) fn post_published(&mut self) {
        self.ctx.pubsub.post(&mut self.st.outgoing);
    }

    /// A message for this connection arrived on its looper: queue it behind the replies owed,
    /// unless the client unsubscribed meanwhile (Redis would not have sent it then).
    fn on_published(&mut self, conn: &mut Conn<'_>, message: &Message) {
        let listening = match (&message.pattern, message.shard) {
            (_, true) => self.st.shard_channels.contains(&message.channel),
            (None, false) => self.st.channels.contains(&message.channel),
            (Some(p), false) => self.st.patterns.contains(p),
        };
        if !listening {
            return;
        }
        // Sent whatever CLIENT REPLY says: Redis 7.0 writes messages with CLIENT_PUSHING,
        // which `prepareClientToWrite` lets through, in RESP2 as in RESP3.
        self.ready_reply(message.frame(self.st.proto), false);
        self.flush_at_turn_end(conn);
    }

    /// The pub/sub class of Redis' output buffer limits, for a client with subscriptions:
    /// returns whether it must be disconnected now, given its pending output.
    pub(super) fn over_pubsub_limit(&mut self, owed: usize) -> bool {
        if self.st.total_subscriptions() == 0 || owed <= PUBSUB_SOFT_LIMIT {
            self.soft_limit_since = None;
            return false;
        }
        if owed > PUBSUB_HARD_LIMIT {
            return true;
        }
        let since = *self.soft_limit_since.get_or_insert_with(Instant::now);
        since.elapsed() >= PUBSUB_SOFT_SECONDS
    }
}

/// Runs on a subscriber's looper: each delivery to its connection, in publish order (the
/// `crate::pubsub::Deliver` the server installs).
pub fn deliver_published(el: &mut EventLoop, deliveries: Vec<Delivery>) {
    for d in deliveries {
        el.with_handler::<Session, _>(d.conn, |s, conn| s.on_published(conn, &d.message));
    }
}
