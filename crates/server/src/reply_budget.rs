//! [`ReplyBudget`]: what a connection owes its client, shared by its looper and the storage
//! threads that build its replies (Redis' client-output-buffer-limit, hard limit).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};

/// What a connection owes its client: reply bytes built by the storage threads and not yet
/// handed to the socket, plus its pending output as last seen by the looper. Shared with the
/// threads that build its replies, which charge every reply as they append it and stop building
/// once the total passes the limit (Redis' client-output-buffer-limit hard limit): so a client
/// that pipelines many GETs of big values and never reads costs at most about the limit plus
/// one value per storage thread, not the sum of every reply it asked for.
#[derive(Debug)]
pub struct ReplyBudget {
    limit: usize,
    used: AtomicUsize,
    over: AtomicBool,
}

impl ReplyBudget {
    /// A budget of `limit` bytes, none used.
    pub fn new(limit: usize) -> ReplyBudget {
        ReplyBudget {
            limit,
            used: AtomicUsize::new(0),
            over: AtomicBool::new(false),
        }
    }

    /// Counts `n` more bytes; false once the limit is passed (and ever after).
    pub fn charge(&self, n: usize) -> bool {
        let total = self.used.fetch_add(n, Relaxed).saturating_add(n);
        if total > self.limit {
            self.over.store(true, Relaxed);
        }
        !self.is_over()
    }

    /// Uncounts `n` bytes (handed to the socket, or dropped).
    pub fn release(&self, n: usize) {
        let _ = self
            .used
            .fetch_update(Relaxed, Relaxed, |u| Some(u.saturating_sub(n)));
    }

    /// Moves the charge for something from `from` bytes to `to` bytes.
    pub fn adjust(&self, from: usize, to: usize) {
        if to > from {
            self.charge(to - from);
        } else {
            self.release(from - to);
        }
    }

    /// Whether the limit was passed.
    pub fn is_over(&self) -> bool {
        self.over.load(Relaxed)
    }

    /// Bytes counted now.
    pub fn used(&self) -> usize {
        self.used.load(Relaxed)
    }
}
