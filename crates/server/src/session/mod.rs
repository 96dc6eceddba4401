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
//! - One channel message per destination per read event; one reply post per batch; one write
//!   per connection per loop turn.
//!
//! Here: the session, parsing and routing (`handle`, `dispatch`) and the reactor callbacks;
//! `replies.rs`: slots, flushing, closing, backpressure; `placement.rs`: whether the looper
//! answers a read batch itself. A batch leaves as a [`CommandJob`] and comes back as a
//! [`BatchReply`](crate::job::BatchReply).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use kvs_reactor::{Conn, ConnId, EventLoop, Handler, LoopHandle};

use crate::cmd::{self, After, ClientCmd, Cmd, ConnectionCmd, MultiState, ReplyMode, Route};
use crate::control_jobs::UnwatchJob;
use crate::ctx::{ClientConn, ServerCtx};
use crate::engine::Job;
use crate::job::{CommandJob, Dest, ReplyBudget, WatchStep, run_reads};
use crate::resp::{Limits, Parser, Proto, encode};

/// How long a closing connection waits for the peer's FIN before it is closed anyway.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Most commands a connection may have in flight before its reading is paused.
const MAX_PENDING_COMMANDS: usize = 64 * 1024;

mod blocking;
mod last_command;
mod placement;
mod published;
mod replies;
mod transaction;

pub use crate::conn_state::SessionState;
pub use blocking::unblock_posted;
pub use published::deliver_published;

/// Where a batch runs.
enum Work {
    /// Storage commands; `write` if any of them writes.
    Commands {
        cmds: Vec<Cmd>,
        write: bool,
        proto: Proto,
        /// EXEC's queued commands: one reply, the array of theirs (`cmd::multi`).
        transaction: bool,
        /// What the writer does with the connection's watched keys first (`transaction.rs`).
        watch: WatchStep,
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
            // A WATCH step without commands answers as one.
            Work::Commands { cmds, watch, .. } => {
                cmds.len()
                    + usize::from(matches!(watch, WatchStep::Watch(_) | WatchStep::Unwatch(_)))
            }
            _ => 1,
        }
    }
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
    /// Jobs built by `dispatch`, for the loop's outbox (`crate::outbox`).
    writes: Vec<Box<dyn Job>>,
    reads: Vec<Box<dyn Job>>,
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
    /// Inside MULTI: the commands queued so far (`cmd::multi`).
    multi: Option<MultiState>,
    /// The writer holds keys this client WATCHes (`transaction.rs`).
    watching: bool,
    /// The name of the last command (up to 16 bytes, as sent) and its code, so a run of the
    /// same command is not looked up again for CLIENT LIST's `cmd=`.
    last_name: ([u8; 16], usize),
    last_code: u32,
    /// Since when a subscriber has been owed more than the pub/sub soft output limit.
    soft_limit_since: Option<Instant>,
    /// PUBLISH deliveries waiting for this connection's earlier replies (`published.rs`).
    held_publishes: VecDeque<published::HeldPublish>,
    /// Waiting in a blocking command (`blocking.rs`): no input is parsed meanwhile.
    blocked: Option<blocking::BlockedWait>,
    /// Push messages that came while blocked, to go before slot `ahead_before`'s reply.
    ahead: BytesMut,
    ahead_before: u64,
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
            blocked: Default::default(),
            closed: Default::default(),
            reply_mode: ReplyMode::On,
            channels: Default::default(),
            patterns: Vec::new(),
            shard_channels: Default::default(),
            outgoing: Default::default(),
            pushes: BytesMut::new(),
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
            writes: Vec::new(),
            reads: Vec::new(),
            close_when_done: false,
            finishing: false,
            paused: false,
            budget: Arc::new(ReplyBudget::new(ctx.config.output_hard_limit)),
            output_charged: 0,
            timeout: None,
            last_progress: Instant::now(),
            counted: false,
            flush_pending: false,
            multi: None,
            watching: false,
            last_name: ([0; 16], usize::MAX),
            last_code: 0,
            soft_limit_since: None,
            held_publishes: VecDeque::new(),
            blocked: None,
            ahead: BytesMut::new(),
            ahead_before: 0,
            ctx,
        }
    }

    /// Applies the server's current `timeout` (CONFIG SET may have changed it) to this
    /// connection: the reactor's idle timer, and the stalled-command check in `on_message`.
    /// A client with subscriptions is exempt, as in Redis (`clientsCronHandleTimeout`): it
    /// may rightly wait for messages for ever.
    pub fn apply_timeout(&mut self, conn: &mut Conn<'_>) {
        let secs = self.ctx.timeout();
        let subscribed = self.st.total_subscriptions() > 0;
        let exempt = subscribed || self.is_blocked();
        self.timeout = (secs > 0 && !exempt).then(|| Duration::from_secs(secs));
        conn.set_idle_timeout(self.timeout);
    }

    fn handle(&mut self, args: Vec<Bytes>) -> After {
        self.note_command(&args);
        if self.st.in_subscribed_mode()
            && let Some(error) = cmd::refused_in_subscribed_mode(&args)
        {
            let silent = self.st.reply_mode.take_silence();
            self.reject(&args, error.as_bytes(), silent);
            return After::Continue;
        }
        if self.multi.is_some()
            && self.st.authed
            && !cmd::runs_inside_multi(args.first().map_or(&[][..], |a| &a[..]))
        {
            return self.queue_in_multi(&args);
        }
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
                self.reject(&args, b"NOAUTH Authentication required.", silent);
                return After::Continue;
            }
            Err(e) => {
                self.reject(&args, &cmd::rejection_text(&args, e), silent);
                return After::Continue;
            }
        };
        debug_assert!(self.st.authed || cmd.allowed_before_auth());
        // A (un)subscription's confirmation goes out whatever CLIENT REPLY says (Redis 7.0
        // sends it with CLIENT_PUSHING, in RESP2 as in RESP3).
        let silent = silent && !cmd.confirms_with_push();
        let cmd = match cmd {
            Cmd::Tx(t) => {
                self.handle_tx(t, silent);
                return After::Continue;
            }
            c => c,
        };
        let reset = matches!(cmd, Cmd::Connection(ConnectionCmd::Reset));
        if reset {
            self.multi = None; // RESET leaves MULTI, as Redis' resetCommand does
        }
        // While the store refuses writes (after an I/O failure) a write is answered here with
        // MISCONF, as Redis denies write commands then, and never joins a storage batch: so the
        // reads around it still run, even in the same pipeline.
        if cmd.modifies()
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
                self.send_own_pushes();
                if reset {
                    self.end_watching(out.freeze(), silent); // and UNWATCH
                } else {
                    self.ready_reply(out.freeze(), silent);
                }
                self.hold_publishes(None);
                after
            }
            Route::Write if cmd.as_blocking().is_some() => {
                self.start_blocking(cmd, silent);
                After::Continue
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
                            transaction: false,
                            watch: WatchStep::None,
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

    /// Sends every batch that may go now, in order, then hands the jobs built to the loop's
    /// outbox. **Loop thread only** (`el` is the session's loop).
    fn dispatch(&mut self, el: &mut EventLoop) {
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
            if dest == Dest::Reader && placement::answer_on_looper(&self.ctx, &b) {
                // Lock-free, without a thread hop: a read that cannot block (or any read,
                // under --inline-reads).
                if let Work::Commands { cmds, proto, .. } = &b.work {
                    let (mut out, mut charged) = (BytesMut::new(), 0);
                    let (ctx, budget) = (&self.ctx, &self.budget);
                    ctx.engine.with_reader(&mut |db| {
                        (out, charged) = run_reads(ctx, cmds, *proto, b.silent, budget, db);
                    });
                    self.pending_commands = self.pending_commands.saturating_sub(cmds.len());
                    self.budget.adjust(charged, out.len());
                    self.fill(b.slot, out.freeze(), Dest::Reader, false);
                }
                continue;
            }
            let transaction = matches!(
                b.work,
                Work::Commands {
                    transaction: true,
                    ..
                }
            );
            let Some(reply) = self.reply_to(b.slot, dest, b.len(), transaction) else {
                tracing::error!("a batch was dispatched before its connection was set up");
                continue;
            };
            match dest {
                Dest::Writer => self.inflight_writes += 1,
                Dest::Reader => self.inflight_reads += 1,
            }
            match b.work {
                Work::Commands {
                    cmds, proto, watch, ..
                } => {
                    let mut job = CommandJob::new(cmds, proto, b.silent, reply)
                        .with_watch(self.st.client_id, watch);
                    let blocking = self.is_blocking_slot(b.slot);
                    if blocking {
                        job = job.with_closed_flag(self.st.closed.clone());
                    }
                    let job = Box::new(job);
                    match dest {
                        Dest::Writer => self.writes.push(job),
                        Dest::Reader => self.reads.push(job),
                    }
                    if blocking {
                        self.blocking_dispatched();
                    }
                }
                Work::Flush | Work::Save => {
                    // Whole-store operations go on the writer's channel after what is queued.
                    self.submit(el);
                    crate::outbox::send_now(el);
                    let done = move |r: kvs_storage::Result<()>| {
                        let mut out = BytesMut::new();
                        encode::simple(&mut out, "OK");
                        reply.send(r.map(|()| out.freeze()));
                    };
                    let sent = if matches!(b.work, Work::Flush) {
                        self.ctx.engine.submit_flush_all(Box::new(done))
                    } else {
                        self.ctx.engine.submit_sync(Box::new(done))
                    };
                    if let Err(e) = sent {
                        // `done` was dropped unrun: its `ReplyTo` answers the error.
                        tracing::error!(error = %e, slot = b.slot, "writer unavailable");
                    }
                }
            }
        }
        self.submit(el);
    }

    /// Hands this session's jobs to the loop's outbox, sent once per loop iteration
    /// (`crate::outbox`).
    fn submit(&mut self, el: &mut EventLoop) {
        crate::outbox::post(el, &self.ctx.engine, &mut self.writes, &mut self.reads);
    }
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
        if self.is_blocked() {
            self.hold_input_while_blocked(conn, input);
            return;
        }
        let mut n = 0u64;
        let subscribed = self.st.total_subscriptions() > 0;
        loop {
            match self.parser.parse(input, self.st.authed) {
                Ok(Some(args)) => {
                    n += 1;
                    if self.handle(args) == After::Close {
                        self.close_when_done = true;
                        break;
                    }
                    if self.is_blocked() {
                        break; // the rest waits for the blocking command's reply
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
        if subscribed != (self.st.total_subscriptions() > 0) {
            self.apply_timeout(conn);
        }
        self.end_batch();
        self.dispatch(conn.event_loop());
        self.arm_block_timer(conn);
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
        self.unblock_at_close();
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
        self.unblock_at_close();
        self.post_held_publishes_at_close();
        self.st.unsubscribe_all(&self.ctx);
        if self.counted {
            self.ctx.client_gone(self.st.client_id);
        }
        if self.watching {
            // The writer forgets this client's watched keys. Sent straight to the writer: its
            // WATCH jobs left through the loop's outbox before any callback could close it.
            let job: Box<dyn Job> = Box::new(UnwatchJob {
                client: self.st.client_id,
            });
            if let Err(e) = self.ctx.engine.submit_writes(vec![job]) {
                tracing::debug!(error = %e, "could not unwatch a closed client's keys");
            }
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
