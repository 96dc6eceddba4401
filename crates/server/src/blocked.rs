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
//! A waiter a command serves is **served**, off every key's queue, until that command's batch
//! commits: then it is answered ([`Blocked::finish_served`]); if the command is rolled back or
//! the batch fails, its pop is undone with it and the waiter goes back to the head of its
//! queues ([`Blocked::unserve`]). A timeout or CLIENT UNBLOCK ends the wait through the writer
//! too ([`Blocked::unblock`]), sent by the client's own looper behind the blocking command; a
//! closed connection is seen through the waiter's closed flag ([`Waiting::is_closed`]). So a
//! waiter is answered exactly once — by the data, or by the end of its wait, whichever the
//! writer commits first — and no element is popped for a client that has gone.
//!
//! The registry holds its waiters type-erased ([`Waiting`], [`Answer`]): it knows neither the
//! commands nor the reply path, and the server context can own it without depending on them.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use kvs_storage::StorageError;

use kvs_reactor::{ConnId, EventLoop};

use crate::client_conn::ClientConn;
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
    /// Its client has closed the connection: it must not be served.
    fn is_closed(&self) -> bool;
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

/// A waiter ended without data whose reply is to be sent once the ending batch commits.
pub type Ended = (Box<dyn Answer>, Bytes);

enum State {
    /// Waiting; its own batch has not committed yet.
    Pending,
    /// Waiting, with its reply address.
    Parked(Box<dyn Answer>),
    /// Served by a command whose batch has not committed yet (its address, once parked).
    Served(Option<Box<dyn Answer>>, Bytes),
    /// Ended before its own batch committed: the reply to send when it does.
    Answered(Bytes),
}

impl State {
    fn waiting(&self) -> bool {
        matches!(self, State::Pending | State::Parked(_))
    }
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

    /// Puts client `id` back at the head of every key it waits on (its serve was undone).
    fn reattach(&mut self, id: u64) {
        let Some(entry) = self.entries.get(&id) else {
            return;
        };
        for key in entry.keys.iter().rev() {
            let q = self.by_key.entry(key.clone()).or_default();
            if !q.contains(&id) {
                q.push_front(id);
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
    /// Posts an unblock request to a client's looper (`session::unblock_posted`, installed by
    /// the server at start-up): CLIENT UNBLOCK goes through the target's own looper, so the
    /// request reaches the writer behind the blocking command.
    post: OnceLock<PostUnblock>,
}

/// See [`Blocked::set_post`].
pub type PostUnblock = fn(&mut EventLoop, ConnId, UnblockReason);

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

    /// Installs how an unblock request reaches a client's looper. **Thread-safe**, once.
    pub fn set_post(&self, post: PostUnblock) {
        let _ = self.post.set(post);
    }

    /// Asks the looper of the client at `conn` to end its wait for `reason` (CLIENT UNBLOCK).
    /// **Thread-safe.**
    pub fn post_unblock(&self, conn: &ClientConn, reason: UnblockReason) {
        if let Some(&post) = self.post.get() {
            let id = conn.id;
            conn.handle.queue_in_loop(move |el| post(el, id, reason));
        }
    }

    /// Client `client` blocks on `keys` (its command found them all empty); pending until its
    /// batch commits ([`park`](Self::park)). A client already gone is answered at once (to
    /// nobody). **Writer thread.**
    pub fn block(&self, client: u64, keys: Vec<Bytes>, waiting: Box<dyn Waiting>) {
        let mut r = self.lock();
        if let Some(old) = r.entries.get(&client) {
            // One blocked command per client: a stale entry would be a bug; end it cleanly.
            tracing::error!(client, "a client blocked twice; the first wait is dropped");
            if old.state.waiting() {
                self.waiting.fetch_sub(1, Relaxed);
            }
            r.detach(client);
            r.entries.remove(&client);
        }
        if waiting.is_closed() {
            let state = State::Answered(waiting.timed_out());
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
        for key in &keys {
            let q = r.by_key.entry(key.clone()).or_default();
            if !q.contains(&client) {
                q.push_back(client);
            }
        }
        let state = State::Pending;
        r.entries.insert(
            client,
            Entry {
                keys,
                waiting,
                state,
            },
        );
        self.waiting.fetch_add(1, Relaxed);
    }

    /// The blocking command's batch committed: the waiter parks with `answer`, or — ended
    /// meanwhile — is answered now. **Writer thread.**
    pub fn park(&self, client: u64, answer: Box<dyn Answer>) {
        let mut r = self.lock();
        let Some(entry) = r.entries.get_mut(&client) else {
            return;
        };
        match std::mem::replace(&mut entry.state, State::Pending) {
            State::Pending => entry.state = State::Parked(answer),
            State::Served(None, reply) => entry.state = State::Served(Some(answer), reply),
            State::Answered(reply) => {
                r.entries.remove(&client);
                drop(r);
                answer.answer(Ok(reply));
            }
            other => {
                entry.state = other;
                tracing::error!(client, "a waiter was parked twice");
            }
        }
    }

    /// The blocking command's batch failed: the waiter is dropped (its client gets the
    /// batch's error). **Writer thread.**
    pub fn cancel(&self, client: u64) {
        let mut r = self.lock();
        if let Some(entry) = r.entries.get(&client) {
            if entry.state.waiting() {
                self.waiting.fetch_sub(1, Relaxed);
            }
            r.detach(client);
            r.entries.remove(&client);
        }
    }

    /// Serves the clients waiting on the keys `view` made lists (its `ready` keys), each key's
    /// waiters first blocked first, for as long as the key has elements — also the keys their
    /// own commands make lists (BLMOVE's destination). The clients served go to `served`: the
    /// command must [`finish_served`](Self::finish_served) them once its batch commits, or
    /// [`unserve`](Self::unserve) them if it does not. **Writer thread**, right after the
    /// command that made the keys.
    pub fn serve_ready(&self, view: &mut Counted<'_, dyn WriteDb + '_>, served: &mut Vec<u64>) {
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
                    if entry.waiting.is_closed() {
                        // Gone: never served. Its own unblock request removes it.
                        continue;
                    }
                    let Some(reply) = entry.waiting.serve(&key, view) else {
                        break; // nothing left at this key for anyone
                    };
                    let answer = match std::mem::replace(&mut entry.state, State::Pending) {
                        State::Parked(a) => Some(a),
                        _ => None,
                    };
                    entry.state = State::Served(answer, reply);
                    self.waiting.fetch_sub(1, Relaxed);
                    r.detach(id);
                    served.push(id);
                }
            }
        }
    }

    /// The command that served `clients` committed: their replies are posted. **Writer
    /// thread.**
    pub fn finish_served(&self, clients: &[u64]) {
        let mut answers = Vec::new();
        {
            let mut r = self.lock();
            for id in clients {
                let Some(entry) = r.entries.get_mut(id) else {
                    continue;
                };
                match std::mem::replace(&mut entry.state, State::Pending) {
                    State::Served(Some(answer), reply) => {
                        r.entries.remove(id);
                        answers.push((answer, reply));
                    }
                    // Its own batch has not committed: it answers when it does.
                    State::Served(None, reply) => entry.state = State::Answered(reply),
                    other => entry.state = other,
                }
            }
        }
        for (answer, reply) in answers {
            answer.answer(Ok(reply));
        }
    }

    /// The command that served `clients` was rolled back, or its batch failed: their pops are
    /// undone with it, so they wait again, at the head of their queues. **Writer thread.**
    pub fn unserve(&self, clients: &[u64]) {
        let mut r = self.lock();
        for id in clients.iter().rev() {
            let Some(entry) = r.entries.get_mut(id) else {
                continue;
            };
            match std::mem::replace(&mut entry.state, State::Pending) {
                State::Served(Some(answer), _) => entry.state = State::Parked(answer),
                State::Served(None, _) => entry.state = State::Pending,
                other => {
                    entry.state = other;
                    continue;
                }
            }
            self.waiting.fetch_add(1, Relaxed);
            r.reattach(*id);
        }
    }

    /// Ends client `client`'s wait without data (see [`UnblockReason`]); `None` if it is not
    /// waiting (served, ended, or never blocked). A parked waiter's reply is returned, to send
    /// once the unblocking batch commits. **Writer thread.**
    pub fn unblock(&self, client: u64, reason: UnblockReason) -> Option<Ended> {
        let mut r = self.lock();
        let entry = r.entries.get(&client)?;
        if !entry.state.waiting() {
            return None;
        }
        let reply = match reason {
            UnblockReason::Error => entry.waiting.unblocked_with_error(),
            UnblockReason::Timeout | UnblockReason::Disconnected => entry.waiting.timed_out(),
        };
        self.waiting.fetch_sub(1, Relaxed);
        r.detach(client);
        let entry = r.entries.get_mut(&client)?;
        match std::mem::replace(&mut entry.state, State::Answered(reply.clone())) {
            State::Parked(answer) => {
                r.entries.remove(&client);
                Some((answer, reply))
            }
            _ => None, // pending: its own batch answers when it commits
        }
    }
}

/// The waiters a job's commands served (`crate::blocked`), settled when the job commits:
/// answered if it did, waiting again if not — also when the job is dropped unsettled (its
/// command panicked and was rolled back).
pub struct ServedWaiters {
    blocked: std::sync::Arc<Blocked>,
    clients: Vec<u64>,
}

impl ServedWaiters {
    /// The waiters `clients` (none: no guard needed) of `blocked`.
    pub fn of(blocked: &std::sync::Arc<Blocked>, clients: Vec<u64>) -> Option<ServedWaiters> {
        (!clients.is_empty()).then(|| ServedWaiters {
            blocked: blocked.clone(),
            clients,
        })
    }

    /// Answers them (`committed`) or puts them back to wait. **Writer thread.**
    pub fn settle(mut self, committed: bool) {
        let clients = std::mem::take(&mut self.clients);
        if committed {
            self.blocked.finish_served(&clients);
        } else {
            self.blocked.unserve(&clients);
        }
    }
}

impl Drop for ServedWaiters {
    fn drop(&mut self) {
        if !self.clients.is_empty() {
            self.blocked.unserve(&self.clients);
        }
    }
}
