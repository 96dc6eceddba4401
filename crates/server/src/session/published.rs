//! The cross-looper broadcast of PUBLISH: the example of how work crosses loopers in kvs.
//!
//! 1. PUBLISH runs on the publisher's looper and gathers, per looper, the subscribers the
//!    message reaches (`crate::pubsub::PubSub::publish` into `SessionState::outgoing`).
//! 2. The deliveries wait with the PUBLISH's reply slot ([`HeldPublish`]) until every earlier
//!    reply of the connection is in — so its earlier writes are committed, as a Redis client
//!    that pipelines `SET k v` and `PUBLISH ch k` expects of whoever reads `k` on the message.
//!    Then [`Session::post_ready_publishes`] posts **one functor per looper** with everything
//!    due there (`PubSub::post` → `LoopHandle::queue_in_loop`: a push on the looper's queue,
//!    and a wake-up only if it sleeps), just before PUBLISH's reply is written. Usually that is
//!    at once, in the flush at the end of the read event.
//! 3. On each subscriber's looper, [`deliver_published`] hands each message to its
//!    connection's [`Session`] (`EventLoop::with_handler`), which appends it behind the replies
//!    it owes and writes at the end of the loop turn. Only that looper touches the socket.
//!
//! A looper's queue is FIFO, so one subscriber receives one publisher's messages in publish
//! order, and with one functor per looper per batch a PUBLISH to 100 subscribers on 4 loopers
//! costs 4 posts, not 100. A PUBLISH inside MULTI waits for EXEC's reply and is dropped if the
//! transaction did not run (a watched key changed, or the commit failed).

use std::time::{Duration, Instant};

use kvs_reactor::{Conn, EventLoop};

use bytes::Bytes;

use super::Session;
use crate::pubsub::{Delivery, Kind, Message, Outgoing};

/// Redis' `client-output-buffer-limit pubsub 32mb 8mb 60`: a subscriber owed more than the hard
/// limit is disconnected at once, and one owed more than the soft limit for 60 s in a row too.
const PUBSUB_HARD_LIMIT: usize = 32 << 20;
const PUBSUB_SOFT_LIMIT: usize = 8 << 20;
const PUBSUB_SOFT_SECONDS: Duration = Duration::from_secs(60);

impl Session {
    /// Moves what the command just run gathered (`SessionState::outgoing`) behind the slots
    /// allocated so far; with `exec`, behind EXEC's slot, and only if EXEC runs. **Loop
    /// thread only.**
    pub(super) fn hold_publishes(&mut self, exec: Option<u64>) {
        if self.st.outgoing.is_empty() {
            return;
        }
        self.held_publishes.push_back(HeldPublish {
            after: self.base + self.slots.len() as u64,
            exec,
            deliveries: std::mem::take(&mut self.st.outgoing),
        });
    }

    /// Posts the held deliveries whose earlier replies are all ready (`ready` slots from the
    /// front are), before those replies are written. **Loop thread only.**
    pub(super) fn post_ready_publishes(&mut self, ready: usize) {
        let ready_upto = self.base + ready as u64;
        while let Some(h) = self.held_publishes.front() {
            if h.after > ready_upto {
                break;
            }
            let Some(mut h) = self.held_publishes.pop_front() else {
                break;
            };
            let ran = h.exec.is_none_or(|slot| {
                let reply = slot
                    .checked_sub(self.base)
                    .and_then(|i| self.slots.get(i as usize))
                    .and_then(Option::as_ref);
                reply.is_none_or(exec_ran)
            });
            if ran {
                self.ctx.pubsub.post(&mut h.deliveries);
            }
        }
    }

    /// The connection is gone: what still waited for earlier replies is posted anyway (those
    /// commands still run), but not a transaction's, whose EXEC reply is unknown.
    pub(super) fn post_held_publishes_at_close(&mut self) {
        for mut h in std::mem::take(&mut self.held_publishes) {
            if h.exec.is_none() {
                self.ctx.pubsub.post(&mut h.deliveries);
            }
        }
    }

    /// Queues what this client's own PUBLISHes sent to itself, ahead of the reply, whatever
    /// CLIENT REPLY says. **Loop thread only.**
    pub(super) fn send_own_pushes(&mut self) {
        if !self.st.pushes.is_empty() {
            let pushes = std::mem::take(&mut self.st.pushes).freeze();
            self.ready_reply(pushes, false);
        }
    }

    /// A message for this connection arrived on its looper: queue it behind the replies owed,
    /// unless the client unsubscribed meanwhile (Redis would not have sent it then).
    fn on_published(&mut self, conn: &mut Conn<'_>, message: &Message) {
        let listening = match (&message.pattern, message.shard) {
            (_, true) => self.st.is_subscribed(Kind::Shard, &message.channel),
            (None, false) => self.st.is_subscribed(Kind::Channel, &message.channel),
            (Some(p), false) => self.st.is_subscribed(Kind::Pattern, p),
        };
        // Nothing follows QUIT's reply or a protocol error, as Redis' close-after-reply.
        if !listening || self.close_when_done {
            return;
        }
        // Sent whatever CLIENT REPLY says: Redis 7.0 writes messages with CLIENT_PUSHING,
        // which `prepareClientToWrite` lets through, in RESP2 as in RESP3.
        match self.blocked_slot() {
            Some(slot) => self.push_ahead_of(slot, message.frame(self.st.proto)),
            None => self.ready_reply(message.frame(self.st.proto), false),
        }
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

/// PUBLISH deliveries held until the replies before them are in.
pub(super) struct HeldPublish {
    /// Posted once every slot before this one is ready.
    after: u64,
    /// EXEC's slot, for a PUBLISH inside MULTI: posted only if its reply says EXEC ran.
    exec: Option<u64>,
    deliveries: Outgoing,
}

/// Whether EXEC's reply says the transaction ran: not the null array of an aborted WATCH
/// (`*-1` in RESP2, `_` in RESP3) nor an EXECABORT error.
fn exec_ran(reply: &Bytes) -> bool {
    !(reply.starts_with(b"*-1\r\n") || reply.starts_with(b"_\r\n") || reply.starts_with(b"-"))
}

/// Runs on a subscriber's looper: each delivery to its connection, in publish order (the
/// `crate::pubsub::Deliver` the server installs).
pub fn deliver_published(el: &mut EventLoop, deliveries: Vec<Delivery>) {
    for d in deliveries {
        el.with_handler::<Session, _>(d.conn, |s, conn| s.on_published(conn, &d.message));
    }
}
