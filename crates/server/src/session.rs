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
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize};
use std::time::{Duration, Instant};

use crate::engine::{ReadJob, WriteJob};
use bytes::{Bytes, BytesMut};
use kvs_reactor::{Conn, ConnId, Handler, LoopHandle};

use crate::cmd::{self, After, ClientCmd, Cmd, ConnectionCmd, ReplyMode, Route};
use crate::ctx::{ClientConn, ClientInfo, ServerCtx};
use crate::resp::{Limits, Parser, Proto, encode};

/// How long a closing connection waits for the peer's FIN before it is closed anyway.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Most commands a connection may have in flight before its reading is paused.
const MAX_PENDING_COMMANDS: usize = 64 * 1024;

/// The reply of a batch whose execution panicked (or whose completion was dropped unrun), once
/// per command of the batch. The server log has the panic.
const ERR_INTERNAL: &str =
    "ERR internal error: the command failed on the server; see the server log";

/// What a connection owes its client: reply bytes built by the storage threads and not yet
/// handed to the socket, plus its pending output as last seen by the looper. Shared with the
/// threads that build its replies, which charge every reply as they append it and stop building
/// once the total passes the limit (Redis' client-output-buffer-limit hard limit): so a client
/// that pipelines many GETs of big values and never reads costs at most about the limit plus
/// one value per storage thread, not the sum of every reply it asked for.
#[derive(Debug)]
struct ReplyBudget {
    limit: usize,
    used: AtomicUsize,
    over: AtomicBool,
}

impl ReplyBudget {
    /// Counts `n` more bytes; false once the limit is passed (and ever after).
    fn charge(&self, n: usize) -> bool {
        let total = self.used.fetch_add(n, Relaxed).saturating_add(n);
        if total > self.limit {
            self.over.store(true, Relaxed);
        }
        !self.is_over()
    }

    fn release(&self, n: usize) {
        let _ = self
            .used
            .fetch_update(Relaxed, Relaxed, |u| Some(u.saturating_sub(n)));
    }

    /// Moves the charge for something from `from` bytes to `to` bytes.
    fn adjust(&self, from: usize, to: usize) {
        if to > from {
            self.charge(to - from);
        } else {
            self.release(from - to);
        }
    }

    fn is_over(&self) -> bool {
        self.over.load(Relaxed)
    }
}

/// Runs a batch's commands with `exec`, appending to `out` and charging `budget` as it goes
/// (adding what it charged to `charged`); stops early, with `out` emptied, once the budget is
/// spent: the connection is then closed, and the commands not run are dropped with it, as Redis
/// drops what is left of the query buffer of a client closed for its output buffer.
fn run_batch(
    cmds: &[Cmd],
    budget: &ReplyBudget,
    out: &mut BytesMut,
    charged: &mut usize,
    mut exec: impl FnMut(&Cmd, &mut BytesMut),
) {
    for c in cmds {
        if budget.is_over() {
            break;
        }
        let before = out.len();
        exec(c, out);
        let n = out.len() - before;
        *charged += n;
        if !budget.charge(n) {
            break;
        }
    }
    if budget.is_over() {
        // Nobody will read it: free it now rather than carry it to the looper.
        *out = BytesMut::new();
    }
}

type PostFn = Box<dyn Fn(u64, Dest, kvs_storage::Result<Bytes>, usize, usize) + Send>;

/// Delivers one batch's reply to its connection exactly once: by [`finish`](Self::finish), or,
/// if the job is dropped unfinished — its command panicked on a storage thread (the thread
/// catches it and carries on) or its completion was never run — from `drop`, with an error reply
/// for each command. Without it the connection would wait for that slot forever.
struct ReplyGuard {
    post: Option<PostFn>,
    slot: u64,
    dest: Dest,
    commands: usize,
    /// Bytes charged to the budget for this batch so far.
    charged: usize,
}

impl ReplyGuard {
    fn finish(mut self, reply: kvs_storage::Result<Bytes>) {
        if let Some(post) = self.post.take() {
            post(self.slot, self.dest, reply, self.commands, self.charged);
        }
    }
}

impl Drop for ReplyGuard {
    fn drop(&mut self) {
        if let Some(post) = self.post.take() {
            tracing::error!(
                slot = self.slot,
                commands = self.commands,
                "a batch of commands did not complete (panicked or dropped); answering errors"
            );
            let mut out = BytesMut::new();
            for _ in 0..self.commands {
                encode::error(&mut out, ERR_INTERNAL);
            }
            post(
                self.slot,
                self.dest,
                Ok(out.freeze()),
                self.commands,
                self.charged,
            );
        }
    }
}

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
    /// This client's connection and looper, published for CLIENT KILL.
    conn: Option<ClientConn>,
    /// The last command's code (`table::command_code`), shared with the CLIENT LIST registry.
    last_cmd: Arc<AtomicU32>,
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
    /// Its reply is dropped (CLIENT REPLY OFF / SKIP): the commands run, nothing is sent.
    silent: bool,
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
    /// Slots whose reply is dropped when its turn comes (CLIENT REPLY OFF / SKIP); empty
    /// unless a client uses CLIENT REPLY.
    silent_slots: std::collections::BTreeSet<u64>,
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
    /// Reply bytes owed to the client, shared with the threads building them.
    budget: Arc<ReplyBudget>,
    /// The pending output size last added to `budget`.
    output_charged: usize,
    /// Redis' `timeout` as this connection applies it (None: never).
    timeout: Option<Duration>,
    /// When the client last made progress: completed a command, or had its replies drained.
    last_progress: Instant,
    /// Counted in the server's connected clients (undone in `drop`).
    counted: bool,
    /// A flush is deferred to the end of this loop turn (`flush_at_turn_end`).
    flush_pending: bool,
    /// The name of the last command (up to 16 bytes, as sent) and its code, so a run of the
    /// same command is not looked up again for CLIENT LIST's `cmd=`.
    last_name: ([u8; 16], usize),
    last_code: u32,
}

/// Runs a batch on a storage thread (or inline on the looper) with [`run_batch`], then adds its
/// error replies and keyspace hits and misses to the server's counters.
fn run_counted(
    ctx: &ServerCtx,
    cmds: &[Cmd],
    budget: &ReplyBudget,
    out: &mut BytesMut,
    charged: &mut usize,
    mut exec: impl FnMut(&Cmd, &mut BytesMut),
) {
    let mut errors = 0u64;
    run_batch(cmds, budget, out, charged, |c, out| {
        let before = out.len();
        exec(c, out);
        errors += u64::from(out.get(before) == Some(&b'-'));
    });
    if errors > 0 {
        ctx.error_replies.fetch_add(errors, Relaxed);
    }
    ctx.take_lookups();
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
            conn: None,
            last_cmd: Arc::new(AtomicU32::new(0)),
            reply_mode: ReplyMode::On,
        };
        Session {
            st,
            parser: Parser::new(limits),
            conn: None,
            slots: VecDeque::new(),
            silent_slots: Default::default(),
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
            budget: Arc::new(ReplyBudget {
                limit: ctx.config.output_hard_limit,
                used: AtomicUsize::new(0),
                over: AtomicBool::new(false),
            }),
            output_charged: 0,
            timeout: None,
            last_progress: Instant::now(),
            counted: false,
            flush_pending: false,
            last_name: ([0; 16], usize::MAX),
            last_code: 0,
            ctx,
        }
    }

    /// Notes `args` as this connection's last command (CLIENT LIST's `cmd=`): a relaxed store,
    /// and a table lookup only when the command name changes (or has subcommands).
    fn note_command(&mut self, args: &[Bytes]) {
        let name: &[u8] = args.first().map_or(&[], |a| a);
        let (buf, len) = &self.last_name;
        let same = *len == name.len() && buf.get(..*len) == Some(name);
        if same && !cmd::table::code_depends_on_subcommand(self.last_code) {
            return;
        }
        let code = cmd::table::command_code(args);
        if name.len() <= 16 {
            self.last_name.0[..name.len()].copy_from_slice(name);
            self.last_name.1 = name.len();
        } else {
            self.last_name.1 = usize::MAX;
        }
        if code != self.last_code {
            self.last_code = code;
            self.st.last_cmd.store(code, Relaxed);
        }
    }

    /// Applies the server's current `timeout` (CONFIG SET may have changed it) to this
    /// connection: the reactor's idle timer, and the stalled-command check in `on_message`.
    pub fn apply_timeout(&mut self, conn: &mut Conn<'_>) {
        let secs = self.ctx.timeout();
        self.timeout = (secs > 0).then(|| Duration::from_secs(secs));
        conn.set_idle_timeout(self.timeout);
    }

    fn new_slot(&mut self, silent: bool) -> u64 {
        self.slots.push_back(None);
        let slot = self.base + self.slots.len() as u64 - 1;
        if silent {
            self.silent_slots.insert(slot);
        }
        slot
    }

    /// Queues a reply made on the looper, behind everything before it; dropped if `silent`.
    fn ready_reply(&mut self, reply: Bytes, silent: bool) {
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

    fn end_batch(&mut self) {
        if let Some(b) = self.current.take() {
            self.pending_commands += b.len();
            self.held.push_back(b);
        }
    }

    fn handle(&mut self, args: Vec<Bytes>) -> After {
        self.note_command(&args);
        let parsed = if self.st.authed {
            cmd::parse(&args).map(Some)
        } else {
            cmd::parse_unauthenticated(&args)
        };
        // CLIENT REPLY and RESET are never silenced (ON answers OK, RESET turns replies back on
        // before it answers); they only use up a SKIP.
        let silent = if matches!(
            parsed,
            Ok(Some(
                Cmd::Client(ClientCmd::Reply(_)) | Cmd::Connection(ConnectionCmd::Reset)
            ))
        ) {
            self.st.reply_mode.take_silence();
            false
        } else {
            self.st.reply_mode.take_silence()
        };
        let cmd = match parsed {
            Ok(Some(c)) => c,
            Ok(None) => {
                let mut out = BytesMut::new();
                encode::error(&mut out, "NOAUTH Authentication required.");
                self.ready_reply(out.freeze(), silent);
                return After::Continue;
            }
            Err(e) => {
                let mut out = BytesMut::new();
                match cmd::unknown_command_reply(&args) {
                    // Echoes the client's bytes exactly, as Redis does (not UTF-8 checked).
                    Some(raw) => encode::error_bytes(&mut out, &raw),
                    None => encode::error(&mut out, &e),
                }
                self.ready_reply(out.freeze(), silent);
                return After::Continue;
            }
        };
        debug_assert!(self.st.authed || cmd.allowed_before_auth());
        // While the store refuses writes (after an I/O failure) a write is answered here with
        // MISCONF, as Redis denies write commands then, and never joins a storage batch: so the
        // reads around it still run, even in the same pipeline.
        if matches!(cmd.route(), Route::Write | Route::Flush)
            && let Some(e) = self.ctx.engine.writes_refused()
        {
            let mut out = BytesMut::new();
            cmd::storage_error(&e, &mut out);
            self.ready_reply(out.freeze(), silent);
            return After::Continue;
        }
        match cmd.route() {
            Route::Local => {
                let mut out = BytesMut::new();
                let after = cmd::exec_local(cmd, &mut self.st, &self.ctx, &mut out);
                self.ready_reply(out.freeze(), silent);
                after
            }
            route @ (Route::Read | Route::Write) => {
                let proto = self.st.proto;
                if self.current.as_ref().is_some_and(|b| b.silent != silent) {
                    self.end_batch(); // a batch's reply is sent or dropped as a whole
                }
                if self.current.is_none() {
                    let slot = self.new_slot(silent);
                    self.current = Some(Batch {
                        slot,
                        work: Work::Commands {
                            cmds: Vec::new(),
                            write: false,
                            proto,
                        },
                        silent,
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
                let slot = self.new_slot(silent);
                let work = if route == Route::Flush {
                    Work::Flush
                } else {
                    Work::Save
                };
                self.held.push_back(Batch { slot, work, silent });
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
                    let mut charged = 0;
                    let budget = &self.budget;
                    let ctx = &self.ctx;
                    self.ctx.engine.with_reader(&mut |db| {
                        run_counted(ctx, cmds, budget, &mut out, &mut charged, |c, out| {
                            cmd::exec_read(c, db, *proto, out)
                        });
                    });
                    self.pending_commands = self.pending_commands.saturating_sub(cmds.len());
                    self.budget.adjust(charged, out.len());
                    self.fill(b.slot, out.freeze(), Dest::Reader, false);
                }
                continue;
            }
            match dest {
                Dest::Writer => self.inflight_writes += 1,
                Dest::Reader => self.inflight_reads += 1,
            }
            let mut guard = ReplyGuard {
                post: Some(self.poster()),
                slot: b.slot,
                dest,
                commands: b.len(),
                charged: 0,
            };
            let slot = b.slot;
            match b.work {
                Work::Commands { cmds, proto, .. } => {
                    let budget = self.budget.clone();
                    let ctx = self.ctx.clone();
                    match dest {
                        Dest::Writer => self.txns.push(Box::new(move |txn| {
                            let mut out = BytesMut::with_capacity(cmds.len() * 16);
                            let charged = &mut guard.charged;
                            run_counted(&ctx, &cmds, &budget, &mut out, charged, |c, out| {
                                cmd::exec_write(c, txn, proto, out)
                            });
                            Box::new(move |committed| {
                                guard.finish(committed.map(|()| out.freeze()))
                            })
                        })),
                        Dest::Reader => self.reads.push(Box::new(move |db| {
                            let mut out = BytesMut::with_capacity(cmds.len() * 32);
                            let charged = &mut guard.charged;
                            run_counted(&ctx, &cmds, &budget, &mut out, charged, |c, out| {
                                cmd::exec_read(c, db, proto, out)
                            });
                            guard.finish(Ok(out.freeze()));
                        })),
                    }
                }
                Work::Flush | Work::Save => {
                    // Whole-store operations go on the writer's channel after what is queued.
                    self.submit();
                    crate::loop_batch::send_now();
                    let done = move |r: kvs_storage::Result<()>| {
                        let mut out = BytesMut::new();
                        encode::simple(&mut out, "OK");
                        guard.finish(r.map(|()| out.freeze()));
                    };
                    let sent = if matches!(b.work, Work::Flush) {
                        self.ctx.engine.submit_flush_all(Box::new(done))
                    } else {
                        self.ctx.engine.submit_sync(Box::new(done))
                    };
                    if let Err(e) = sent {
                        // `done` was dropped unrun: its guard answers the error.
                        tracing::error!(error = %e, slot, "writer unavailable");
                    }
                }
            }
        }
        self.submit();
    }

    /// Hands this session's jobs to the looper's batch, sent once per loop iteration
    /// (`loop_batch.rs`).
    fn submit(&mut self) {
        crate::loop_batch::gather(
            self.conn.as_ref().map(|(_, h)| h),
            &self.ctx.engine,
            &mut self.txns,
            &mut self.reads,
        );
    }

    /// A closure that posts a batch's reply back to this connection's looper: slot, where it
    /// ran, the reply, its command count, and the bytes its builder charged to the budget.
    fn poster(&self) -> PostFn {
        let conn = self.conn.clone();
        Box::new(move |slot, dest, reply, n, charged| {
            let Some((id, handle)) = &conn else { return };
            let failed = reply.is_err();
            let reply = reply.unwrap_or_else(|e| error_replies(&e, n));
            let id = *id;
            handle.queue_in_loop(move |el| {
                el.with_handler::<Session, _>(id, |s, conn| {
                    if failed {
                        s.ctx.error_replies.fetch_add(n as u64, Relaxed);
                    }
                    s.budget.adjust(charged, reply.len());
                    s.on_reply(conn, slot, reply, dest, n)
                });
            });
        })
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
        self.flush_at_turn_end(conn);
        if !self.held.is_empty() {
            self.dispatch();
        }
        self.apply_backpressure(conn);
    }

    /// Replies come back from the reader and writer threads as separate functors; writing at the
    /// end of the loop turn sends everything that reached this connection during the turn in
    /// one `send` (the design's "one write per connection per loop turn").
    fn flush_at_turn_end(&mut self, conn: &mut Conn<'_>) {
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

    /// Writes every ready reply at the front, in one send.
    fn flush(&mut self, conn: &mut Conn<'_>) {
        let ready = self.slots.iter().take_while(|s| s.is_some()).count();
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
        if ready == 1 {
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
        self.budget.adjust(self.output_charged, output);
        self.output_charged = output;
        if self.budget.is_over() || output > self.ctx.config.output_hard_limit {
            tracing::warn!(
                client = self.st.client_id,
                output,
                owed = self.budget.used.load(Relaxed),
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
        self.st.conn = Some(ClientConn {
            id: conn.id(),
            handle: conn.event_loop().handle(),
        });
        self.st.peer = conn.peer_addr().map(|a| a.to_string()).unwrap_or_default();
        self.st.local = conn.local_addr().map(|a| a.to_string()).unwrap_or_default();
        self.ctx.client_connected();
        self.counted = true;
        self.st.publish(&self.ctx);
        self.apply_timeout(conn);
        self.last_progress = Instant::now();
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
                    self.ready_reply(out.freeze(), self.st.reply_mode == ReplyMode::Off);
                    self.close_when_done = true;
                    break;
                }
            }
        }
        if self.close_when_done {
            input.clear();
        }
        if n > 0 {
            self.last_progress = Instant::now();
        } else if let Some(timeout) = self.timeout
            && !input.is_empty()
            && self.last_progress.elapsed() >= timeout
        {
            // Bytes keep coming but no command completes (a slowloris: one byte now and then
            // of a command that never ends). The reactor's idle timer cannot see this — every
            // byte is activity — so `timeout` also bounds the time since the last command.
            tracing::warn!(
                client = self.st.client_id,
                buffered = input.len(),
                "no complete command within the timeout; closing"
            );
            conn.force_close();
            return;
        }
        self.ctx.commands.fetch_add(n, Relaxed);
        self.end_batch();
        self.dispatch();
        self.flush(conn);
        self.apply_backpressure(conn);
    }

    fn on_write_complete(&mut self, conn: &mut Conn<'_>) {
        self.last_progress = Instant::now();
        if self.paused || self.output_charged > 0 {
            self.apply_backpressure(conn);
        }
    }

    fn on_read_closed(&mut self, conn: &mut Conn<'_>) {
        // Answer what was asked before the FIN, then close.
        self.close_when_done = true;
        self.flush(conn);
    }
}

impl Drop for Session {
    /// The client is uncounted here rather than in `on_close`: a handler whose callback panicked
    /// is dropped by the reactor without `on_close`, and must not stay counted (it would hold a
    /// `maxclients` place and a CLIENT LIST line forever). Commands already handed to the
    /// storage threads still run, writes especially: a client that sends a pipeline and goes away
    /// has them applied, as Redis does with what it had read.
    fn drop(&mut self) {
        if self.counted {
            self.ctx.client_gone(self.st.client_id);
        }
    }
}

/// Applies the current `timeout` to every connection of the loop it runs on (CONFIG SET
/// timeout posts it to each looper).
pub fn apply_timeout_to_all(el: &mut kvs_reactor::EventLoop) {
    for id in el.connection_ids() {
        el.with_handler::<Session, _>(id, |s, conn| s.apply_timeout(conn));
    }
}
