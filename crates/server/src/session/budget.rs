//! What a connection owes its client (the reply budget shared with the storage threads), how
//! a batch's commands run against it, and how its reply gets back to the looper exactly once.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use bytes::{Bytes, BytesMut};

use super::Dest;
use crate::cmd::{self, Cmd};
use crate::ctx::ServerCtx;
use crate::resp::encode;

/// The reply of a batch whose execution panicked (or whose completion was dropped unrun), once
/// per command of the batch. The server log has the panic.
pub(super) const ERR_INTERNAL: &str =
    "ERR internal error: the command failed on the server; see the server log";

/// What a connection owes its client: reply bytes built by the storage threads and not yet
/// handed to the socket, plus its pending output as last seen by the looper. Shared with the
/// threads that build its replies, which charge every reply as they append it and stop building
/// once the total passes the limit (Redis' client-output-buffer-limit hard limit): so a client
/// that pipelines many GETs of big values and never reads costs at most about the limit plus
/// one value per storage thread, not the sum of every reply it asked for.
#[derive(Debug)]
pub(super) struct ReplyBudget {
    pub(super) limit: usize,
    pub(super) used: AtomicUsize,
    pub(super) over: AtomicBool,
}

impl ReplyBudget {
    /// Counts `n` more bytes; false once the limit is passed (and ever after).
    pub(super) fn charge(&self, n: usize) -> bool {
        let total = self.used.fetch_add(n, Relaxed).saturating_add(n);
        if total > self.limit {
            self.over.store(true, Relaxed);
        }
        !self.is_over()
    }

    pub(super) fn release(&self, n: usize) {
        let _ = self
            .used
            .fetch_update(Relaxed, Relaxed, |u| Some(u.saturating_sub(n)));
    }

    /// Moves the charge for something from `from` bytes to `to` bytes.
    pub(super) fn adjust(&self, from: usize, to: usize) {
        if to > from {
            self.charge(to - from);
        } else {
            self.release(from - to);
        }
    }

    pub(super) fn is_over(&self) -> bool {
        self.over.load(Relaxed)
    }
}

/// Runs a batch's commands with `exec`, appending to `out` and charging `budget` as it goes
/// (adding what it charged to `charged`); stops early, with `out` emptied, once the budget is
/// spent: the connection is then closed, and the commands not run are dropped with it, as Redis
/// drops what is left of the query buffer of a client closed for its output buffer.
pub(super) fn run_batch(
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

pub(super) type PostFn = Box<dyn Fn(u64, Dest, kvs_storage::Result<Bytes>, usize, usize) + Send>;

/// Delivers one batch's reply to its connection exactly once: by [`finish`](Self::finish), or,
/// if the job is dropped unfinished — its command panicked on a storage thread (the thread
/// catches it and carries on) or its completion was never run — from `drop`, with an error reply
/// for each command. Without it the connection would wait for that slot forever.
pub(super) struct ReplyGuard {
    pub(super) post: Option<PostFn>,
    pub(super) slot: u64,
    pub(super) dest: Dest,
    pub(super) commands: usize,
    /// Bytes charged to the budget for this batch so far.
    pub(super) charged: usize,
}

impl ReplyGuard {
    pub(super) fn finish(mut self, reply: kvs_storage::Result<Bytes>) {
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

/// Runs a batch on a storage thread (or inline on the looper) with [`run_batch`], then adds its
/// error replies and keyspace hits and misses to the server's counters. The replies of a
/// `silent` batch (CLIENT REPLY OFF / SKIP) are dropped as each command ends, so they are never
/// kept, carried back or charged to the client's output budget.
pub(super) fn run_counted(
    ctx: &ServerCtx,
    cmds: &[Cmd],
    silent: bool,
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
        if silent {
            out.truncate(before);
        }
    });
    if errors > 0 {
        ctx.error_replies.fetch_add(errors, Relaxed);
    }
    ctx.take_lookups();
}

pub(super) fn error_replies(e: &kvs_storage::StorageError, n: usize) -> Bytes {
    let mut out = BytesMut::new();
    for _ in 0..n {
        cmd::storage_error(e, &mut out);
    }
    out.freeze()
}
