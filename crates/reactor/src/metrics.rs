//! Counters a loop keeps about itself, readable from any thread.

use std::ops::Add;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Live counters of one event loop. Each loop owns its own set, so the loop thread's increments
/// never contend with another loop's; readers sum snapshots.
#[derive(Debug, Default)]
pub(crate) struct LoopMetrics {
    pub(crate) accepted: AtomicU64,
    pub(crate) closed: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) wakeups: AtomicU64,
    pub(crate) iterations: AtomicU64,
}

impl LoopMetrics {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        // Only the loop thread writes, so a load + store would do; fetch_add keeps it obviously right
        // and is uncontended.
        counter.fetch_add(n, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Metrics {
        let accepted = self.accepted.load(Relaxed);
        let closed = self.closed.load(Relaxed);
        Metrics {
            accepted,
            closed,
            active: accepted.saturating_sub(closed),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            wakeups: self.wakeups.load(Relaxed),
            iterations: self.iterations.load(Relaxed),
            rejected: 0,
        }
    }
}

/// A snapshot of reactor counters: of one loop ([`LoopHandle::metrics`](crate::LoopHandle::metrics))
/// or summed over a server ([`Server::metrics`](crate::Server::metrics)).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Metrics {
    /// Connections established on the loop(s): accepted by a server or connected by a client.
    pub accepted: u64,
    /// Connections that are open now (`accepted - closed`).
    pub active: u64,
    /// Connections closed, for any reason.
    pub closed: u64,
    /// Connections the acceptor turned away because `max_connections` was reached.
    pub rejected: u64,
    /// Bytes read from sockets.
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
    /// Times the loop was woken from `epoll_wait` by its waker (cross-thread work arrived).
    pub wakeups: u64,
    /// Loop iterations (`epoll_wait` returns).
    pub iterations: u64,
}

impl Add for Metrics {
    type Output = Metrics;

    fn add(self, o: Metrics) -> Metrics {
        Metrics {
            accepted: self.accepted + o.accepted,
            active: self.active + o.active,
            closed: self.closed + o.closed,
            rejected: self.rejected + o.rejected,
            bytes_in: self.bytes_in + o.bytes_in,
            bytes_out: self.bytes_out + o.bytes_out,
            wakeups: self.wakeups + o.wakeups,
            iterations: self.iterations + o.iterations,
        }
    }
}
