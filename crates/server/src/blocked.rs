//! Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP): the writer's registry of
//! who waits for which key, in the order they blocked.
//!
//! Where each piece lives:
//! - The **blocked client** lives on its looper: its session holds the command's reply slot,
//!   stops parsing its input, runs the timeout timer and, when the reply comes, picks up its
//!   pipeline again (`session`).
//! - The **registry** (this module) is the arbiter, used only on the writer thread: the writer
//!   alone knows when a list comes into being, so it alone can serve the first waiter first
//!   (Redis' fairness) across every looper and never hand one element to two clients. A write
//!   that creates a list at a waited key serves the waiters right after that command, in the
//!   same batch (`CommandJob::run_write`, with the view's `ready` keys), and each reply goes
//!   to its client's looper through that looper's queue once the batch is committed — a
//!   client blocked on one looper is served by a push from a client on another, and no socket
//!   is touched off its looper.
//!
//! A waiter is registered **pending** while its own batch runs (a later command of the same
//! batch may already serve it), then **parked** with its reply address once that batch commits.
//! A timeout, CLIENT UNBLOCK or a closed connection ends the wait through the writer too
//! ([`Blocked::unblock`]), so a waiter is answered exactly once: by the data, or by the end of
//! its wait, whichever the writer sees first.
//!
//! The registry holds its waiters type-erased ([`Waiting`], [`Answer`]): it knows neither the
//! commands nor the reply path, and the server context can own it without depending on them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use kvs_storage::StorageError;

use crate::db::{Counted, WriteDb};

/// A parked blocking command, as the registry sees it.
pub trait Waiting: Send {
    /// Tries to serve the command from `key`, just made a list, in the writer's `view`: its
    /// reply (an error reply included), or `None` if `key` has nothing for it now.
    fn serve(&mut self, key: &Bytes, view: &mut Counted<'_, dyn WriteDb + '_>) -> Option<Bytes>;
    /// Its reply when the wait ends without data (the timeout, CLIENT UNBLOCK ... TIMEOUT).
    fn timed_out(&self) -> Bytes;
    /// Its reply for CLIENT UNBLOCK ... ERROR.
    fn unblocked_with_error(&self) -> Bytes;
}

/// Where a parked command's reply goes (its batch's reply slot on its looper).
pub trait Answer: Send {
    /// Posts the reply, or the error of the batch that served it. **Thread-safe.**
    fn answer(self: Box<Self>, reply: Result<Bytes, StorageError>);
}

/// Why a wait ends without data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnblockReason {
    /// The command's timeout passed, or `CLIENT UNBLOCK id [TIMEOUT]`.
    Timeout,
    /// CLIENT UNBLOCK id ERROR.
    Error,
    /// The client closed its connection: answered like a timeout, to nobody.
    Disconnected,
}

/// A served or unblocked waiter whose reply is to be sent once the batch commits.
pub type Served = (Box<dyn Answer>, Bytes);

enum State {
    /// Its own batch has not committed yet.
    Pending,
    /// Waiting, with its reply address.
    Parked(Box<dyn Answer>),
    /// Answered before its own batch committed: the reply to send when it does.
    Answered(Bytes),
}

struct Entry {
    keys: Vec<Bytes>,
    waiting: Box<dyn Waiting>,
    state: State,
}

#[derive(Default)]
struct Registry {
    /// Per key, the clients waiting on it, first blocked first.
    by_key: HashMap<Bytes, VecDeque<u64>>,
    /// Per client, its blocked command (a client blocks on one command at a time).
    entries: HashMap<u64, Entry>,
    /// Clients whose connection closed before the writer saw their blocking command: it must
    /// not wait when it comes (a closing connection cannot order its requests behind it).
    gone: std::collections::HashSet<u64>,
}

impl Registry {
    /// Takes client `id` off every key it waits on.
    fn detach(&mut self, id: u64) {
        let Some(entry) = self.entries.get(&id) else {
            return;
        };
        for key in &entry.keys {
            if let Some(q) = self.by_key.get_mut(key) {
                q.retain(|&c| c != id);
                if q.is_empty() {
                    self.by_key.remove(key);
                }
            }
        }
    }

    /// Ends client `id`'s wait with `reply`: a parked waiter is removed and returned with its
    /// address; a pending one keeps the reply for its own batch to send.
    fn finish(&mut self, id: u64, reply: Bytes) -> Option<Served> {
        self.detach(id);
        let entry = self.entries.get_mut(&id)?;
        match std::mem::replace(&mut entry.state, State::Pending) {
            State::Parked(answer) => {
                self.entries.remove(&id);
                Some((answer, reply))
            }
            State::Pending => {
                entry.state = State::Answered(reply);
                None
            }
            done @ State::Answered(_) => {
                entry.state = done;
                None
            }
        }
    }
}

/// See the module docs. Used on the writer thread; the count is readable anywhere.
#[derive(Default)]
pub struct Blocked {
    registry: Mutex<Registry>,
    /// Clients waiting (INFO `blocked_clients`), and whether any write must look for them.
    waiting: AtomicUsize,
}

impl Blocked {
    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Clients blocked now. **Thread-safe.**
    pub fn count(&self) -> usize {
        self.waiting.load(Relaxed)
    }

    /// Whether a write must tell which lists it creates. **Thread-safe.**
    pub fn any(&self) -> bool {
        self.count() > 0
    }

    /// Client `client` blocks on `keys` (its command found them all empty); pending until its
    /// batch commits ([`park`](Self::park)). **Writer thread.**
    pub fn block(&self, client: u64, keys: Vec<Bytes>, waiting: Box<dyn Waiting>) {
        let mut r = self.lock();
        if r.gone.remove(&client) {
            // Its connection closed already: answered at once, to nobody.
            let reply = waiting.timed_out();
            let state = State::Answered(reply);
            r.entries.insert(
                client,
                Entry {
                    keys: Vec::new(),
                    waiting,
                    state,
                },
            );
            return;
        }
        if let Some(old) = r.entries.contains_key(&client).then_some(client) {
            // One blocked command per client: a stale entry would be a bug; end it cleanly.
            tracing::error!(
                client = old,
                "a client blocked twice; the first wait is dropped"
            );
            r.detach(old);
            r.entries.remove(&old);
            self.waiting.fetch_sub(1, Relaxed);
        }
        for key in &keys {
            let q = r.by_key.entry(key.clone()).or_default();
            if !q.contains(&client) {
                q.push_back(client);
            }
        }
        r.entries.insert(
            client,
            Entry {
                keys,
                waiting,
                state: State::Pending,
            },
        );
        self.waiting.fetch_add(1, Relaxed);
    }

    /// The blocking command's batch committed: the waiter parks with `answer`, or — served or
    /// unblocked meanwhile — is answered now. **Writer thread.**
    pub fn park(&self, client: u64, answer: Box<dyn Answer>) {
        let mut r = self.lock();
        let Some(entry) = r.entries.get_mut(&client) else {
            return;
        };
        match std::mem::replace(&mut entry.state, State::Pending) {
            State::Pending => entry.state = State::Parked(answer),
            State::Answered(reply) => {
                r.entries.remove(&client);
                drop(r);
                answer.answer(Ok(reply));
            }
            parked @ State::Parked(_) => {
                entry.state = parked;
                tracing::error!(client, "a waiter was parked twice");
            }
        }
    }

    /// The blocking command's batch failed: the waiter is dropped (its client gets the
    /// batch's error). **Writer thread.**
    pub fn cancel(&self, client: u64) {
        let mut r = self.lock();
        if let Some(entry) = r.entries.get(&client) {
            if !matches!(entry.state, State::Answered(_)) {
                self.waiting.fetch_sub(1, Relaxed);
            }
            r.detach(client);
            r.entries.remove(&client);
        }
    }

    /// Serves the clients waiting on the keys `view` made lists (its `ready` keys), each key's
    /// waiters first blocked first, for as long as the key has elements — also the keys their
    /// own commands make lists (BLMOVE's destination). Their replies, to send once the batch
    /// commits, go to `served`. **Writer thread**, right after the command that made the keys.
    pub fn serve_ready(&self, view: &mut Counted<'_, dyn WriteDb + '_>, served: &mut Vec<Served>) {
        let mut r = self.lock();
        while !view.ready.is_empty() {
            for key in std::mem::take(&mut view.ready) {
                let Some(queue) = r.by_key.get(&key) else {
                    continue;
                };
                let waiters: Vec<u64> = queue.iter().copied().collect();
                for id in waiters {
                    let Some(entry) = r.entries.get_mut(&id) else {
                        continue;
                    };
                    let Some(reply) = entry.waiting.serve(&key, view) else {
                        break; // nothing left at this key for anyone
                    };
                    self.waiting.fetch_sub(1, Relaxed);
                    served.extend(r.finish(id, reply));
                }
            }
        }
    }

    /// Ends client `client`'s wait without data (see [`UnblockReason`]); `None` if it is not
    /// waiting (already served, or never blocked). A parked waiter's reply is returned, to
    /// send once the unblocking batch commits. **Writer thread.**
    pub fn unblock(&self, client: u64, reason: UnblockReason) -> Option<Served> {
        /// Bounds the memory of closed clients whose blocking command was answered before the
        /// close was seen (their mark is never used).
        const MAX_GONE: usize = 4096;
        let mut r = self.lock();
        let Some(entry) = r.entries.get(&client) else {
            if reason == UnblockReason::Disconnected {
                if r.gone.len() >= MAX_GONE {
                    r.gone.clear();
                }
                r.gone.insert(client);
            }
            return None;
        };
        if matches!(entry.state, State::Answered(_)) {
            return None;
        }
        let reply = match reason {
            UnblockReason::Error => entry.waiting.unblocked_with_error(),
            UnblockReason::Timeout | UnblockReason::Disconnected => entry.waiting.timed_out(),
        };
        self.waiting.fetch_sub(1, Relaxed);
        r.finish(client, reply)
    }
}
