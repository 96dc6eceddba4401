//! The reply side of a session: slots filled in any order, written in request order, once per
//! loop turn; closing after the last reply; backpressure.

use bytes::{Bytes, BytesMut};
use kvs_reactor::Conn;
use std::sync::atomic::Ordering::Relaxed;

use super::{CLOSE_GRACE, MAX_PENDING_COMMANDS, Session};
use crate::job::{BatchReply, Dest, ReplyAddress, ReplyTo};
use kvs_reactor::{ConnId, EventLoop};

impl Session {
    pub(super) fn new_slot(&mut self, silent: bool) -> u64 {
        self.slots.push_back(None);
        let slot = self.base + self.slots.len() as u64 - 1;
        if silent {
            self.silent_slots.insert(slot);
        }
        slot
    }

    /// Queues a reply made on the looper, behind everything before it; dropped if `silent`.
    pub(super) fn ready_reply(&mut self, reply: Bytes, silent: bool) {
        if reply.first() == Some(&b'-') {
            self.ctx.error_replies.fetch_add(1, Relaxed);
        }
        if silent {
            return; // nothing to send, so nothing to order
        }
        self.end_batch();
        self.budget.charge(reply.len());
        self.slots.push_back(Some(reply));
    }

    pub(super) fn end_batch(&mut self) {
        if let Some(b) = self.current.take() {
            self.pending_commands += b.len();
            self.held.push_back(b);
        }
    }

    pub(super) fn fill(&mut self, slot: u64, reply: Bytes, dest: Dest, count: bool) {
        if let Some(s) = slot
            .checked_sub(self.base)
            .and_then(|i| self.slots.get_mut(i as usize))
        {
            *s = Some(reply);
        }
        if count {
            match dest {
                Dest::Writer => self.inflight_writes = self.inflight_writes.saturating_sub(1),
                Dest::Reader => self.inflight_reads = self.inflight_reads.saturating_sub(1),
            }
        }
    }

    /// A batch's reply is back from a storage thread: fills its slot, and sends what may go
    /// now (held batches, then, at the end of the loop turn, the ready replies).
    pub(super) fn on_reply(&mut self, conn: &mut Conn<'_>, reply: BatchReply) {
        if reply.errors > 0 {
            self.ctx
                .error_replies
                .fetch_add(reply.errors as u64, Relaxed);
        }
        self.budget.adjust(reply.charged, reply.bytes.len());
        let slot = reply.slot;
        self.fill(slot, reply.bytes, reply.dest, true);
        self.end_blocking_if(conn, slot);
        self.pending_commands = self.pending_commands.saturating_sub(reply.commands);
        self.flush_at_turn_end(conn);
        if !self.held.is_empty() {
            self.dispatch(conn.event_loop());
            self.arm_block_timer(conn); // a blocking command held behind reads may have left
        }
        self.apply_backpressure(conn);
    }

    /// Queues a push message (pub/sub) that arrived while the client waits in a blocking
    /// command: it goes out before that command's reply, as Redis writes it at once.
    pub(super) fn push_ahead_of(&mut self, slot: u64, message: Bytes) {
        self.budget.charge(message.len());
        self.ahead.extend_from_slice(&message);
        self.ahead_before = slot;
    }

    /// `flush` with messages waiting to go before slot `ahead_before`: the ready replies before
    /// it, the messages, then the ready replies from it on.
    fn flush_with_ahead(&mut self, conn: &mut Conn<'_>, ready: usize) {
        let at = self.ahead_before.saturating_sub(self.base) as usize;
        let mut out = BytesMut::new();
        for (i, r) in self.slots.drain(..ready).enumerate() {
            if i == at {
                out.extend_from_slice(&self.ahead);
            }
            if let Some(r) = r {
                self.budget.release(r.len());
                out.extend_from_slice(&r);
            }
        }
        if at >= ready {
            out.extend_from_slice(&self.ahead);
        }
        if at <= ready {
            self.budget.release(self.ahead.len());
            self.ahead.clear();
        } else {
            // Replies before the blocking command are still out: the messages wait for them.
            out.truncate(out.len() - self.ahead.len());
        }
        if !out.is_empty() {
            conn.send(&out);
        }
    }

    /// Replies come back from the reader and writer threads as separate functors; writing at the
    /// end of the loop turn sends everything that reached this connection during the turn in
    /// one `send` (the design's "one write per connection per loop turn").
    pub(super) fn flush_at_turn_end(&mut self, conn: &mut Conn<'_>) {
        if self.flush_pending {
            return;
        }
        self.flush_pending = true;
        let id = conn.id();
        conn.event_loop().defer_to_turn_end(move |el| {
            el.with_handler::<Session, _>(id, |s, conn| {
                s.flush_pending = false;
                s.flush(conn);
                s.apply_backpressure(conn);
            });
        });
    }

    /// Writes every ready reply at the front, in one send — after posting the PUBLISH
    /// deliveries that waited for them (`published.rs`).
    pub(super) fn flush(&mut self, conn: &mut Conn<'_>) {
        let ready = self.slots.iter().take_while(|s| s.is_some()).count();
        if !self.held_publishes.is_empty() {
            self.post_ready_publishes(ready);
        }
        if !self.silent_slots.is_empty() {
            // CLIENT REPLY OFF / SKIP: empty the dropped replies in place (releasing what they
            // were charged), so the sends below skip them.
            for i in 0..ready {
                if self.silent_slots.remove(&(self.base + i as u64))
                    && let Some(Some(r)) = self.slots.get_mut(i)
                {
                    self.budget.release(r.len());
                    *r = Bytes::new();
                }
            }
        }
        if !self.ahead.is_empty() {
            self.flush_with_ahead(conn, ready);
        } else if ready == 1 {
            if let Some(Some(r)) = self.slots.pop_front() {
                conn.send(&r);
                self.budget.release(r.len());
            }
        } else if ready > 1 {
            let total = self
                .slots
                .iter()
                .take(ready)
                .flatten()
                .map(Bytes::len)
                .sum();
            let mut out = BytesMut::with_capacity(total);
            for r in self.slots.drain(..ready).flatten() {
                out.extend_from_slice(&r);
            }
            conn.send(&out);
            self.budget.release(total);
        }
        self.base += ready as u64;
        self.finish_if_done(conn);
    }

    /// Once a closing connection has every reply written: FIN, then close when the peer closes
    /// too (input meanwhile is discarded), or after a grace period if it never does. Reading
    /// stays on, so the peer's FIN is seen and the connection's slot freed.
    pub(super) fn finish_if_done(&mut self, conn: &mut Conn<'_>) {
        if !self.close_when_done
            || self.finishing
            || !self.slots.is_empty()
            || !self.held.is_empty()
            || self.current.is_some()
        {
            return;
        }
        self.finishing = true;
        conn.shutdown();
        arm_close_grace(conn);
    }

    pub(super) fn apply_backpressure(&mut self, conn: &mut Conn<'_>) {
        let output = conn.output_len();
        self.budget.adjust(self.output_charged, output);
        self.output_charged = output;
        let over_pubsub = self.over_pubsub_limit(output.max(self.budget.used()));
        if self.budget.is_over() || output > self.ctx.config.output_hard_limit || over_pubsub {
            tracing::warn!(
                client = self.st.client_id,
                output,
                owed = self.budget.used(),
                limit = self.ctx.config.output_hard_limit,
                "client output buffer over the hard limit; closing"
            );
            conn.force_close();
            return;
        }
        let busy = self.pending_commands > MAX_PENDING_COMMANDS
            || output > self.ctx.config.output_high_water;
        if busy && !self.paused {
            self.paused = true;
            conn.pause_read();
        } else if self.paused && (!busy || self.close_when_done) {
            // A closing connection reads on whatever its output: its input is discarded, and
            // reading is how the peer's FIN is seen and the connection freed.
            self.paused = false;
            conn.resume_read();
        }
    }
}

/// After the FIN of a closing connection: close it if the peer has not closed its side within
/// the grace period, unless its output is still draining. A client reading a long pipeline's
/// answers slowly keeps its connection as long as each period sees some of the output go (Redis
/// also keeps a closing client until its replies are written); one that stops reading is closed
/// a period later.
fn arm_close_grace(conn: &mut Conn<'_>) {
    let (id, pending) = (conn.id(), conn.output_len());
    conn.event_loop().run_after(CLOSE_GRACE, move |el| {
        if let Some(mut c) = el.connection(id) {
            let now = c.output_len();
            if now > 0 && now < pending {
                arm_close_grace(&mut c);
            } else {
                c.force_close();
            }
        }
    });
}

impl Session {
    /// Where the reply of batch `slot` goes: this connection on its looper, through
    /// [`Session::deliver`].
    pub(super) fn reply_to(
        &self,
        slot: u64,
        dest: Dest,
        commands: usize,
        transaction: bool,
    ) -> Option<ReplyTo> {
        let (conn, handle) = self.conn.clone()?;
        let address = ReplyAddress {
            handle,
            conn,
            deliver: Session::deliver,
        };
        let (budget, ctx) = (self.budget.clone(), self.ctx.clone());
        Some(ReplyTo::new(
            address,
            slot,
            dest,
            commands,
            transaction,
            budget,
            ctx,
        ))
    }

    /// Hands a batch's reply, posted by a storage thread, to its session (if the connection is
    /// still open). Runs on the connection's loop.
    fn deliver(el: &mut EventLoop, id: ConnId, reply: BatchReply) {
        el.with_handler::<Session, _>(id, |s, conn| s.on_reply(conn, reply));
    }
}
