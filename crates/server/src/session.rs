//! `Session`: one client connection on its looper — the reactor [`Handler`] that parses
//! commands, sends them to the storage threads in batches, and writes the replies back in
//! request order.
//!
//! Ordering, the rules from the design brief:
//! - Every batch of commands owns a *slot* in arrival order; replies fill slots as they come back
//!   from any thread, and only the ready prefix is written — so replies leave in request order.
//! - A read must not run before an earlier write of the same connection has committed, nor after a
//!   later one: while writes are in flight, reads go to the writer too (it runs them in order);
//!   while reads are in flight on reader threads, a write waits here until they are answered.
//! - One channel message per destination per read event; one reply post per batch.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::engine::{ReadJob, WriteJob};
use bytes::{Bytes, BytesMut};
use kvs_reactor::{CloseReason, Conn, ConnId, Handler, LoopHandle};

use crate::cmd::{self, After, Cmd, Route};
use crate::ctx::{ClientInfo, ServerCtx};
use crate::resp::{Limits, Parser, Proto, encode};

/// How long a closing connection waits for the peer's FIN before it is closed anyway.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Most commands a connection may have in flight before its reading is paused.
const MAX_PENDING_COMMANDS: usize = 64 * 1024;

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
    peer: String,
    local: String,
    created: u64,
}

impl SessionState {
    /// RESET: back to a fresh connection's state (RESP2, no name, unauthenticated).
    pub fn reset(&mut self, ctx: &ServerCtx) {
        self.proto = Proto::Resp2;
        self.name = None;
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
        });
    }
}

/// Where a batch runs.
enum Work {
    /// Storage commands; `write` if any of them writes.
    Commands {
        cmds: Vec<Cmd>,
        write: bool,
        proto: Proto,
    },
    Flush,
    Save,
}

struct Batch {
    slot: u64,
    work: Work,
}

impl Batch {
    fn is_write(&self) -> bool {
        !matches!(self.work, Work::Commands { write: false, .. })
    }
    fn len(&self) -> usize {
        match &self.work {
            Work::Commands { cmds, .. } => cmds.len(),
            _ => 1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    Reader,
    Writer,
}

/// The handler of one client connection.
pub struct Session {
    ctx: Arc<ServerCtx>,
    st: SessionState,
    parser: Parser,
    conn: Option<(ConnId, LoopHandle)>,
    /// Replies by slot, oldest first; `None` until its batch is answered.
    slots: VecDeque<Option<Bytes>>,
    /// Slot number of `slots[0]`.
    base: u64,
    inflight_reads: usize,
    inflight_writes: usize,
    pending_commands: usize,
    /// Batches that may not be dispatched yet (a write behind in-flight reads), in order.
    held: VecDeque<Batch>,
    /// The batch being filled while parsing one read event.
    current: Option<Batch>,
    txns: Vec<WriteJob>,
    reads: Vec<ReadJob>,
    /// QUIT, a protocol error, or the peer's FIN: close once every reply is written.
    close_when_done: bool,
    /// The FIN has been sent (see `finish_if_done`).
    finishing: bool,
    paused: bool,
}

impl Session {
    /// A session for a new connection.
    pub fn new(ctx: Arc<ServerCtx>) -> Session {
        let limits = Limits {
            max_bulk_len: ctx.config.proto_max_bulk_len,
            ..Limits::default()
        };
        let st = SessionState {
            proto: Proto::Resp2,
            authed: ctx.requirepass().is_none(),
            client_id: ctx.next_client_id(),
            name: None,
            lib_name: None,
            lib_ver: None,
            peer: String::new(),
            local: String::new(),
            created: kvs_storage::now_ms() / 1000,
        };
        Session {
            ctx,
            st,
            parser: Parser::new(limits),
            conn: None,
            slots: VecDeque::new(),
            base: 0,
            inflight_reads: 0,
            inflight_writes: 0,
            pending_commands: 0,
            held: VecDeque::new(),
            current: None,
            txns: Vec::new(),
            reads: Vec::new(),
            close_when_done: false,
            finishing: false,
            paused: false,
        }
    }

    fn new_slot(&mut self) -> u64 {
        self.slots.push_back(None);
        self.base + self.slots.len() as u64 - 1
    }

    fn ready_reply(&mut self, reply: Bytes) {
        self.end_batch();
        self.slots.push_back(Some(reply));
    }

    fn end_batch(&mut self) {
        if let Some(b) = self.current.take() {
            self.pending_commands += b.len();
            self.held.push_back(b);
        }
    }

    fn handle(&mut self, args: Vec<Bytes>) -> After {
        let cmd = match cmd::parse(&args) {
            Ok(c) => c,
            Err(e) => {
                let mut out = BytesMut::new();
                encode::error(&mut out, &e);
                self.ready_reply(out.freeze());
                return After::Continue;
            }
        };
        if !self.st.authed && !cmd.allowed_before_auth() {
            let mut out = BytesMut::new();
            encode::error(&mut out, "NOAUTH Authentication required.");
            self.ready_reply(out.freeze());
            return After::Continue;
        }
        match cmd.route() {
            Route::Local => {
                let mut out = BytesMut::new();
                let after = cmd::exec_local(cmd, &mut self.st, &self.ctx, &mut out);
                self.ready_reply(out.freeze());
                after
            }
            route @ (Route::Read | Route::Write) => {
                let proto = self.st.proto;
                if self.current.is_none() {
                    let slot = self.new_slot();
                    self.current = Some(Batch {
                        slot,
                        work: Work::Commands {
                            cmds: Vec::new(),
                            write: false,
                            proto,
                        },
                    });
                }
                if let Some(Batch {
                    work: Work::Commands { cmds, write, .. },
                    ..
                }) = &mut self.current
                {
                    cmds.push(cmd);
                    *write |= route == Route::Write;
                }
                After::Continue
            }
            route @ (Route::Flush | Route::Save) => {
                self.end_batch();
                let slot = self.new_slot();
                let work = if route == Route::Flush {
                    Work::Flush
                } else {
                    Work::Save
                };
                self.held.push_back(Batch { slot, work });
                self.pending_commands += 1;
                After::Continue
            }
        }
    }

    /// Sends every batch that may go now, in order, then submits the collected channel messages.
    fn dispatch(&mut self) {
        while let Some(b) = self.held.pop_front() {
            let to_writer = b.is_write() || self.inflight_writes > 0;
            if to_writer && self.inflight_reads > 0 {
                self.held.push_front(b); // a write may not overtake reads still running
                break;
            }
            let dest = if to_writer {
                Dest::Writer
            } else {
                Dest::Reader
            };
            if dest == Dest::Reader && self.ctx.config.inline_reads {
                // --inline-reads: answer here, lock-free, without a thread hop.
                if let Work::Commands { cmds, proto, .. } = &b.work {
                    let mut out = BytesMut::with_capacity(cmds.len() * 32);
                    self.ctx.engine.with_reader(&mut |db| {
                        for c in cmds {
                            cmd::exec_read(c, db, *proto, &mut out);
                        }
                    });
                    self.pending_commands = self.pending_commands.saturating_sub(cmds.len());
                    self.fill(b.slot, out.freeze(), Dest::Reader, false);
                }
                continue;
            }
            match dest {
                Dest::Writer => self.inflight_writes += 1,
                Dest::Reader => self.inflight_reads += 1,
            }
            let (slot, post) = (b.slot, self.poster());
            match b.work {
                Work::Commands { cmds, proto, .. } => match dest {
                    Dest::Writer => self.txns.push(Box::new(move |txn| {
                        let mut out = BytesMut::with_capacity(cmds.len() * 16);
                        for c in &cmds {
                            cmd::exec_write(c, txn, proto, &mut out);
                        }
                        let n = cmds.len();
                        Box::new(move |committed| {
                            post(slot, Dest::Writer, committed.map(|()| out.freeze()), n)
                        })
                    })),
                    Dest::Reader => self.reads.push(Box::new(move |db| {
                        let mut out = BytesMut::with_capacity(cmds.len() * 32);
                        for c in &cmds {
                            cmd::exec_read(c, db, proto, &mut out);
                        }
                        post(slot, Dest::Reader, Ok(out.freeze()), cmds.len());
                    })),
                },
                Work::Flush | Work::Save => {
                    // Whole-store operations go on the writer's channel after what is queued.
                    self.submit();
                    let done = move |r: kvs_storage::Result<()>| {
                        let mut out = BytesMut::new();
                        encode::simple(&mut out, "OK");
                        post(slot, Dest::Writer, r.map(|()| out.freeze()), 1);
                    };
                    let sent = if matches!(b.work, Work::Flush) {
                        self.ctx.engine.submit_flush_all(Box::new(done))
                    } else {
                        self.ctx.engine.submit_sync(Box::new(done))
                    };
                    if let Err(e) = sent {
                        self.inflight_writes -= 1;
                        self.fill(slot, error_replies(&e, 1), Dest::Writer, false);
                        self.pending_commands = self.pending_commands.saturating_sub(1);
                    }
                }
            }
        }
        self.submit();
    }

    fn submit(&mut self) {
        if !self.txns.is_empty() {
            let txns = std::mem::take(&mut self.txns);
            if let Err(e) = self.ctx.engine.submit_writes(txns) {
                tracing::error!(error = %e, "writer unavailable");
            }
        }
        if !self.reads.is_empty() {
            let reads = std::mem::take(&mut self.reads);
            if let Err(e) = self.ctx.engine.submit_reads(reads) {
                tracing::error!(error = %e, "readers unavailable");
            }
        }
    }

    /// A closure that posts a batch's reply back to this connection's looper.
    fn poster(&self) -> impl Fn(u64, Dest, kvs_storage::Result<Bytes>, usize) + Send + 'static {
        let conn = self.conn.clone();
        move |slot, dest, reply, n| {
            let Some((id, handle)) = &conn else { return };
            let reply = reply.unwrap_or_else(|e| error_replies(&e, n));
            let id = *id;
            handle.queue_in_loop(move |el| {
                el.with_handler::<Session, _>(id, |s, conn| s.on_reply(conn, slot, reply, dest, n));
            });
        }
    }

    fn fill(&mut self, slot: u64, reply: Bytes, dest: Dest, count: bool) {
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

    fn on_reply(
        &mut self,
        conn: &mut Conn<'_>,
        slot: u64,
        reply: Bytes,
        dest: Dest,
        commands: usize,
    ) {
        self.fill(slot, reply, dest, true);
        self.pending_commands = self.pending_commands.saturating_sub(commands);
        self.flush(conn);
        if !self.held.is_empty() {
            self.dispatch();
        }
        self.apply_backpressure(conn);
    }

    /// Writes every ready reply at the front, in one send.
    fn flush(&mut self, conn: &mut Conn<'_>) {
        let ready = self.slots.iter().take_while(|s| s.is_some()).count();
        if ready == 1 {
            if let Some(Some(r)) = self.slots.pop_front() {
                conn.send(&r);
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
        }
        self.base += ready as u64;
        self.finish_if_done(conn);
    }

    /// Once a closing connection has every reply written: FIN, then close when the peer closes
    /// too (input meanwhile is discarded), or after a grace period if it never does. Reading
    /// stays on, so the peer's FIN is seen and the connection's slot freed.
    fn finish_if_done(&mut self, conn: &mut Conn<'_>) {
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
        let id = conn.id();
        conn.event_loop().run_after(CLOSE_GRACE, move |el| {
            if let Some(mut c) = el.connection(id) {
                c.force_close();
            }
        });
    }

    fn apply_backpressure(&mut self, conn: &mut Conn<'_>) {
        let output = conn.output_len();
        if output > self.ctx.config.output_hard_limit {
            tracing::warn!(
                client = self.st.client_id,
                output,
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
        } else if !busy && self.paused && !self.close_when_done {
            self.paused = false;
            conn.resume_read();
        }
    }
}

fn error_replies(e: &kvs_storage::StorageError, n: usize) -> Bytes {
    let mut out = BytesMut::new();
    for _ in 0..n {
        cmd::storage_error(e, &mut out);
    }
    out.freeze()
}

impl Handler for Session {
    fn on_connect(&mut self, conn: &mut Conn<'_>) {
        self.conn = Some((conn.id(), conn.event_loop().handle()));
        self.st.peer = conn.peer_addr().map(|a| a.to_string()).unwrap_or_default();
        self.st.local = conn.local_addr().map(|a| a.to_string()).unwrap_or_default();
        self.ctx.client_connected();
        self.st.publish(&self.ctx);
        // CONFIG SET maxclients may have lowered the limit below what the acceptor enforces.
        if self.ctx.connected_clients() > self.ctx.maxclients() {
            conn.send(b"-ERR max number of clients reached\r\n");
            self.close_when_done = true;
            self.finish_if_done(conn);
        }
    }

    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        if self.close_when_done {
            input.clear();
            return;
        }
        let mut n = 0u64;
        loop {
            match self.parser.parse(input, self.st.authed) {
                Ok(Some(args)) => {
                    n += 1;
                    if self.handle(args) == After::Close {
                        self.close_when_done = true;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) if e.is_silent() => {
                    // Over the query buffer limit: Redis closes without a word.
                    tracing::warn!(client = self.st.client_id, "{e}");
                    conn.force_close();
                    return;
                }
                Err(e) => {
                    // Redis answers a protocol error, then closes the connection.
                    let mut out = BytesMut::new();
                    encode::error(&mut out, &e.0);
                    self.ready_reply(out.freeze());
                    self.close_when_done = true;
                    break;
                }
            }
        }
        if self.close_when_done {
            input.clear();
        }
        self.ctx.commands.fetch_add(n, Relaxed);
        self.end_batch();
        self.dispatch();
        self.flush(conn);
        self.apply_backpressure(conn);
    }

    fn on_write_complete(&mut self, conn: &mut Conn<'_>) {
        if self.paused {
            self.apply_backpressure(conn);
        }
    }

    fn on_read_closed(&mut self, conn: &mut Conn<'_>) {
        // Answer what was asked before the FIN, then close.
        self.close_when_done = true;
        self.flush(conn);
    }

    fn on_close(&mut self, _conn: &mut Conn<'_>, _reason: &CloseReason) {
        self.ctx.client_gone(self.st.client_id);
    }
}
