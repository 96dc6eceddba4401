//! The two named types of the request path (docs/architecture.md §3): a [`CommandJob`] — a
//! batch of one connection's storage commands on its way to a storage thread, carrying where
//! its reply goes ([`ReplyTo`]) — and the [`BatchReply`] that comes back to the connection's
//! looper. Also the reply budget a connection shares with the threads building its replies.
//!
//! The path of a job: the session builds it on the looper (`session::dispatch`), the looper's
//! `Outbox` (`outbox.rs`) sends it at the end of the loop iteration, the engine runs it on
//! its writer ([`run_write`](CommandJob::run_write), then [`committed`](CommandJob::committed)
//! once the batch is durable) or on a reader ([`run_read`](CommandJob::run_read)), and
//! [`ReplyTo::send`] posts the reply to the owning looper with `queue_in_loop`; the looper
//! hands it to the session (`Session::on_reply`), which alone writes the socket.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use bytes::{Bytes, BytesMut};
use kvs_reactor::{ConnId, EventLoop, LoopHandle};
use kvs_storage::{ReadCommand, Reader, StorageError, Txn, WriteCommand};

use crate::blocked::{Answer, ServedWaiters};
use crate::cmd::{self, Cmd};
use crate::ctx::ServerCtx;
use crate::db::{Counted, Db, WriteDb};
use crate::engine::Job;
pub use crate::reply_budget::ReplyBudget;
use crate::resp::{Proto, encode};

/// The reply of a batch whose execution panicked (or whose job was dropped unrun), once per
/// command of the batch. The server log has the panic.
pub const ERR_INTERNAL: &str =
    "ERR internal error: the command failed on the server; see the server log";

/// Which storage thread a batch went to: the session counts what it has in flight on each
/// (a write may not overtake reads still running; see `session`'s ordering rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    /// A reader thread.
    Reader,
    /// The writer thread.
    Writer,
}

/// What a writer job does with its connection's watched keys (WATCH; `cmd::multi`) before its
/// commands. The writer keeps the watched keys (`kvs_storage::Watches`); the session sends
/// these steps in its connection's order with its other writes.
#[derive(Debug, Default)]
pub enum WatchStep {
    /// Nothing: every batch but those below.
    #[default]
    None,
    /// WATCH key...: the job has no commands; its reply is `+OK`.
    Watch(Vec<Bytes>),
    /// UNWATCH, DISCARD, an aborted EXEC, RESET: the client stops watching; the job has no
    /// commands and answers the reply its looper made.
    Unwatch(Bytes),
    /// EXEC of a client that watches keys: the commands run only if none of the keys changed
    /// (or expired) since WATCH; otherwise the reply is a null array.
    Exec,
}

/// A batch of one connection's storage commands, run together on one storage thread.
pub struct CommandJob {
    cmds: Vec<Cmd>,
    /// Its connection's watched keys (writer jobs only), and the client they belong to.
    watch: WatchStep,
    client: u64,
    proto: Proto,
    /// CLIENT REPLY OFF / SKIP: run, but reply nothing.
    silent: bool,
    /// The replies of a write batch, built by `run_write`, sent by `committed`.
    out: BytesMut,
    /// Its keyspace events, published by `committed` (`crate::notify`).
    events: Vec<crate::notify::KeyEvent>,
    /// Its blocking command found nothing and waits in the writer's registry
    /// (`crate::blocked`): `committed` parks its reply address there instead of answering.
    parked: bool,
    /// Clients blocked on keys its commands made lists, served in its batch: answered once it
    /// commits, waiting again if it does not (`crate::blocked`).
    served: Option<ServedWaiters>,
    /// The client's closed flag, for a blocking command's waiter.
    closed: Option<Arc<AtomicBool>>,
    reply: ReplyTo,
}

impl CommandJob {
    /// A job for `cmds`, answered to `reply` — for EXEC's commands (a `reply` made with
    /// `transaction`), with one reply: the array of theirs.
    pub fn new(cmds: Vec<Cmd>, proto: Proto, silent: bool, reply: ReplyTo) -> CommandJob {
        CommandJob {
            cmds,
            watch: WatchStep::None,
            client: 0,
            proto,
            silent,
            out: BytesMut::new(),
            events: Vec::new(),
            parked: false,
            served: None,
            closed: None,
            reply,
        }
    }

    /// A blocking command's job learns when its client's connection closes.
    pub fn with_closed_flag(mut self, closed: Arc<AtomicBool>) -> CommandJob {
        self.closed = Some(closed);
        self
    }

    /// The job also takes `step` with client `client`'s watched keys (writer jobs).
    pub fn with_watch(mut self, client: u64, step: WatchStep) -> CommandJob {
        self.client = client;
        self.watch = step;
        self
    }

    /// Runs the batch's reads on `db` and sends the reply. A reader thread's call.
    pub fn run_read(mut self, db: &mut dyn Db) {
        let reply = &mut self.reply;
        let (out, charged) = run_reads(
            &reply.ctx,
            &self.cmds,
            self.proto,
            self.silent,
            &reply.budget,
            db,
        );
        reply.charged += charged;
        self.reply.send(Ok(out.freeze()));
    }

    /// Runs the batch's commands in the writer's transaction; the reply waits for
    /// [`committed`](Self::committed). The writer thread's call.
    pub fn run_write(&mut self, txn: &mut dyn WriteDb) {
        let client = self.client;
        match std::mem::take(&mut self.watch) {
            WatchStep::None => {}
            WatchStep::Watch(keys) => {
                for key in &keys {
                    txn.watch(client, key);
                }
                return self.answer(b"+OK\r\n");
            }
            WatchStep::Unwatch(reply) => {
                txn.unwatch(client);
                return self.answer(&reply);
            }
            WatchStep::Exec if !txn.check_watched(client) => {
                // A watched key changed: nothing runs (Redis answers a null array).
                let mut out = BytesMut::new();
                encode::null_array(&mut out, self.proto);
                return self.answer(&out);
            }
            WatchStep::Exec => {}
        }
        if !self.reply.transaction && self.cmds.len() == 1 && self.cmds[0].as_blocking().is_some() {
            return self.run_blocking(txn);
        }
        cmd::prefetch_writes(&self.cmds, txn);
        let mut out = BytesMut::with_capacity(self.cmds.len() * 16 + 16);
        let (proto, reply) = (self.proto, &mut self.reply);
        if reply.transaction && !self.silent {
            encode::array_len(&mut out, self.cmds.len());
            reply.charged += out.len();
            reply.budget.charge(out.len());
        }
        let blocked = &reply.ctx.blocked;
        let mut view = write_view(&reply.ctx, txn);
        let mut served = Vec::new();
        // Redis serves the clients blocked on a key right after the command that made it a
        // list (`handleClientsBlockedOnKeys`), before the next one — after EXEC as a whole for
        // a transaction, so a list made and deleted inside it wakes nobody.
        let transaction = reply.transaction;
        run_counted(
            &reply.ctx,
            &self.cmds,
            self.silent,
            &reply.budget,
            &mut out,
            &mut reply.charged,
            |c, out| {
                cmd::exec_write(c, &mut view, proto, out);
                if !transaction && !view.ready.is_empty() {
                    blocked.serve_ready(&mut view, &mut served);
                }
            },
        );
        if !view.ready.is_empty() {
            blocked.serve_ready(&mut view, &mut served);
        }
        self.served = ServedWaiters::of(&reply.ctx.blocked, served);
        let lookups = view.lookups;
        reply.ctx.add_lookups(lookups.hits, lookups.misses);
        self.events = view.events;
        self.out = out;
    }

    /// A blocking command sent alone (BLPOP...; `Session` sends it so): served at once if one
    /// of its keys holds a list, else registered as a waiter (`crate::blocked`) and answered
    /// later — by a write that makes one of its keys a list, or by the end of its wait.
    fn run_blocking(&mut self, txn: &mut dyn WriteDb) {
        let (proto, silent, client) = (self.proto, self.silent, self.client);
        let reply = &mut self.reply;
        let blocked = &reply.ctx.blocked;
        let mut view = write_view(&reply.ctx, txn);
        let mut out = BytesMut::new();
        let Some(bpop) = self.cmds.first().and_then(Cmd::as_blocking) else {
            return;
        };
        match bpop.try_serve(&mut view, proto, &mut out) {
            // BLMOVE may have made its destination a list someone waits on.
            Ok(true) => {
                let mut served = Vec::new();
                blocked.serve_ready(&mut view, &mut served);
                self.served = ServedWaiters::of(&reply.ctx.blocked, served);
            }
            Ok(false) => {
                let keys = bpop.keys().to_vec();
                let cmd = self.cmds.remove(0);
                let closed = self.closed.clone();
                let waiter = cmd::Blocker {
                    cmd,
                    proto,
                    silent,
                    closed,
                };
                blocked.block(client, keys, Box::new(waiter));
                self.parked = true;
            }
            Err(e) => {
                out.clear();
                cmd::storage_error(&e, &mut out);
                reply.ctx.error_replies.fetch_add(1, Relaxed);
            }
        }
        self.events = std::mem::take(&mut view.events);
        if silent {
            out.clear();
        }
        reply.charged += out.len();
        reply.budget.charge(out.len());
        self.out = out;
    }

    /// Makes `bytes` the job's whole reply (a WATCH step's), charged to the budget.
    fn answer(&mut self, bytes: &[u8]) {
        if self.silent {
            return;
        }
        self.reply.charged += bytes.len();
        self.reply.budget.charge(bytes.len());
        self.out = BytesMut::from(bytes);
    }

    /// The batch's writes are committed (or failed): sends the reply built by `run_write`, or
    /// the error ([`ReplyTo::send`]). The writer thread's call.
    pub fn committed(self, result: kvs_storage::Result<()>) {
        if self.parked {
            let ctx = self.reply.ctx.clone();
            match result {
                Ok(()) => ctx.blocked.park(self.client, Box::new(self.reply)),
                Err(e) => {
                    ctx.blocked.cancel(self.client);
                    self.reply.send(Err(e));
                }
            }
            return;
        }
        if result.is_ok() && !self.events.is_empty() {
            // Posted before the reply, and outside the writer's coalescing scope (which would
            // deliver them after replies it held for other loopers): whoever sees the reply has
            // had them posted first.
            let ctx = &self.reply.ctx;
            kvs_reactor::post_immediately(|| {
                crate::notify::publish(&ctx.pubsub, ctx.notify_flags(), &self.events)
            });
        }
        // Served waiters share the command's fate: their pops were in its batch.
        if let Some(served) = self.served {
            served.settle(result.is_ok());
        }
        let out = self.out;
        self.reply.send(result.map(|()| out.freeze()));
    }
}

impl Job for CommandJob {
    fn run_read_on(self: Box<Self>, db: &mut dyn Db) {
        self.run_read(db);
    }
    fn run_write_on(&mut self, txn: &mut dyn WriteDb) {
        self.run_write(txn);
    }
}

/// The kvs engine's writer runs a job as a storage command, with no wrapper.
impl WriteCommand for CommandJob {
    fn run(&mut self, txn: &mut Txn<'_>) {
        self.run_write(txn);
    }
    fn committed(self: Box<Self>, result: kvs_storage::Result<()>) {
        CommandJob::committed(*self, result);
    }
}

/// The kvs engine's readers run a job as a storage read command, on a view of their own.
impl ReadCommand for CommandJob {
    fn run(self: Box<Self>, reader: &Reader<'_>) {
        let mut view = reader.clone_view();
        self.run_read(&mut view);
    }
}

/// A parked reply's address is its batch's [`ReplyTo`]: the reply is charged to the
/// connection's budget and posted to its looper.
impl Answer for ReplyTo {
    fn answer(mut self: Box<Self>, reply: Result<Bytes, StorageError>) {
        if let Ok(bytes) = &reply {
            self.charged += bytes.len();
            self.budget.charge(bytes.len());
        }
        match reply {
            Ok(bytes) => {
                let errors = usize::from(bytes.first() == Some(&b'-'));
                self.post(bytes, errors);
            }
            Err(e) => self.send(Err(e)),
        }
    }
}

/// The view a write batch runs its commands through: hits and misses counted, OBJECT
/// ENCODING's thresholds, the keyspace events CONFIG enables, and the keys that become lists
/// while clients wait on keys (`crate::blocked`).
fn write_view<'t>(ctx: &'t ServerCtx, txn: &'t mut dyn WriteDb) -> Counted<'t, dyn WriteDb + 't> {
    Counted::new(txn)
        .with_limits(&ctx.encodings)
        .with_notify(ctx.notify_flags())
        .with_ready_tracking(ctx.blocked.any())
}

/// Runs a batch of reads on `db` — on a reader thread ([`CommandJob::run_read`]) or on the
/// looper itself (its inline reads): returns the replies and the bytes charged to `budget` for
/// them.
pub fn run_reads(
    ctx: &ServerCtx,
    cmds: &[Cmd],
    proto: Proto,
    silent: bool,
    budget: &ReplyBudget,
    db: &mut dyn Db,
) -> (BytesMut, usize) {
    cmd::prefetch_reads(cmds, db);
    let mut out = BytesMut::with_capacity(cmds.len() * 32);
    let mut charged = 0;
    let mut view = Counted::new(db).with_limits(&ctx.encodings);
    run_counted(
        ctx,
        cmds,
        silent,
        budget,
        &mut out,
        &mut charged,
        |c, out| cmd::exec_read(c, &mut view, proto, out),
    );
    ctx.add_lookups(view.lookups.hits, view.lookups.misses);
    (out, charged)
}

/// The looper-side function a reply is handed to, with the event loop it runs on and the
/// connection it is for (the session's `on_reply`, found through the loop's handler table).
pub type Deliver = fn(&mut EventLoop, ConnId, BatchReply);

/// A batch's reply, as its connection's looper receives it.
#[derive(Debug)]
pub struct BatchReply {
    /// The batch's place in its connection's reply order.
    pub slot: u64,
    /// Where the batch ran.
    pub dest: Dest,
    /// The replies of its commands, concatenated.
    pub bytes: Bytes,
    /// How many commands it held.
    pub commands: usize,
    /// The bytes its builder charged to the connection's budget (moved to `bytes.len()`).
    pub charged: usize,
    /// The error replies of a batch that failed as a whole (its storage error), for the
    /// server's counter; 0 otherwise.
    pub errors: usize,
}

/// Where a connection's replies go: its looper, its id there, and the function the looper
/// hands a reply to. Made once per connection (`Session::on_connect`).
#[derive(Clone)]
pub struct ReplyAddress {
    /// The connection's looper.
    pub handle: LoopHandle,
    /// The connection.
    pub conn: ConnId,
    /// Called on the looper with each reply.
    pub deliver: Deliver,
}

/// Where one batch's reply goes, and the promise to send it exactly once: by
/// [`send`](Self::send), or — if the job is dropped unanswered, because its command panicked on
/// a storage thread (which catches it and carries on) or the job never ran — from `drop`, with
/// [`ERR_INTERNAL`] for each command. Without that the connection would wait for the slot
/// forever.
pub struct ReplyTo {
    address: Option<ReplyAddress>,
    slot: u64,
    dest: Dest,
    commands: usize,
    /// EXEC's commands: the client awaits one reply, the array of theirs, so an error is
    /// answered once for the whole transaction, not once per command.
    transaction: bool,
    /// Bytes charged to the budget for this batch so far.
    charged: usize,
    budget: Arc<ReplyBudget>,
    ctx: Arc<ServerCtx>,
}

impl ReplyTo {
    /// The reply target of batch `slot` (`commands` commands, run on `dest`, EXEC's if
    /// `transaction`) of the connection at `address`, whose replies are charged to `budget`.
    pub fn new(
        address: ReplyAddress,
        slot: u64,
        dest: Dest,
        commands: usize,
        transaction: bool,
        budget: Arc<ReplyBudget>,
        ctx: Arc<ServerCtx>,
    ) -> ReplyTo {
        ReplyTo {
            address: Some(address),
            slot,
            dest,
            commands,
            transaction,
            charged: 0,
            budget,
            ctx,
        }
    }

    /// How many replies the client awaits for this batch: one per command, or EXEC's one.
    fn frames(&self) -> usize {
        if self.transaction { 1 } else { self.commands }
    }

    /// Posts the batch's reply to the connection's looper; on a storage error, that error for
    /// each command — or, for EXEC, one `EXECABORT ... because of: <error>` (all or nothing, as
    /// Redis' execCommandAbort words it). **Thread-safe.**
    pub fn send(mut self, reply: kvs_storage::Result<Bytes>) {
        match reply {
            Ok(bytes) => self.post(bytes, 0),
            Err(e) if self.transaction => {
                let mut out = BytesMut::new();
                let reason = cmd::storage_error_text(&e);
                encode::error_bytes(&mut out, &cmd::exec_abort(reason.as_bytes()));
                self.post(out.freeze(), 1);
            }
            Err(e) => {
                let n = self.commands;
                self.post(error_replies(&e, n), n);
            }
        }
    }

    fn post(&mut self, bytes: Bytes, errors: usize) {
        let Some(ReplyAddress {
            handle,
            conn,
            deliver,
        }) = self.address.take()
        else {
            return;
        };
        let reply = BatchReply {
            slot: self.slot,
            dest: self.dest,
            bytes,
            commands: self.commands,
            charged: self.charged,
            errors,
        };
        handle.queue_in_loop(move |el| deliver(el, conn, reply));
    }
}

impl Drop for ReplyTo {
    fn drop(&mut self) {
        if self.address.is_some() {
            tracing::error!(
                slot = self.slot,
                commands = self.commands,
                "a batch of commands did not complete (panicked or dropped); answering errors"
            );
            let mut out = BytesMut::new();
            for _ in 0..self.frames() {
                encode::error(&mut out, ERR_INTERNAL);
            }
            self.post(out.freeze(), 0);
        }
    }
}

/// Runs a batch's commands with `exec`, appending to `out` and charging `budget` as it goes
/// (adding what it charged to `charged`); stops early, with `out` emptied, once the budget is
/// spent: the connection is then closed, and the commands not run are dropped with it, as Redis
/// drops what is left of the query buffer of a client closed for its output buffer. Error
/// replies are added to the server's counter. The replies of a `silent` batch (CLIENT REPLY OFF
/// / SKIP) are dropped as each command ends, so they are never kept, carried back or charged.
fn run_counted(
    ctx: &ServerCtx,
    cmds: &[Cmd],
    silent: bool,
    budget: &ReplyBudget,
    out: &mut BytesMut,
    charged: &mut usize,
    mut exec: impl FnMut(&Cmd, &mut BytesMut),
) {
    let mut errors = 0u64;
    for c in cmds {
        if budget.is_over() {
            break;
        }
        let before = out.len();
        exec(c, out);
        errors += u64::from(out.get(before) == Some(&b'-'));
        if silent {
            out.truncate(before);
        }
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
    if errors > 0 {
        ctx.error_replies.fetch_add(errors, Relaxed);
    }
}

/// `e` as the reply of each of `n` commands.
pub fn error_replies(e: &StorageError, n: usize) -> Bytes {
    let mut out = BytesMut::new();
    for _ in 0..n {
        cmd::storage_error(e, &mut out);
    }
    out.freeze()
}
