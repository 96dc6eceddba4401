//! `ConnectionLimit`: the server's connection cap, changeable while it runs.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A handle to a [`Server`](crate::Server)'s `max_connections`, which the acceptor reads for
/// every accepted connection: changing it takes effect with the next accept. Lowering it closes
/// nothing that is open; connections over the new limit are refused until enough have closed.
/// Cheap to clone; every method is **thread-safe**.
#[derive(Clone)]
pub struct ConnectionLimit(Arc<AtomicUsize>);

const UNLIMITED: usize = usize::MAX;

impl ConnectionLimit {
    pub(crate) fn new(max: Option<usize>) -> Self {
        ConnectionLimit(Arc::new(AtomicUsize::new(max.unwrap_or(UNLIMITED))))
    }

    /// The current limit (`None`: unlimited). **Thread-safe.**
    pub fn get(&self) -> Option<usize> {
        let max = self.0.load(Ordering::Acquire);
        (max != UNLIMITED).then_some(max)
    }

    /// Sets the limit (`None`: unlimited). **Thread-safe.**
    pub fn set(&self, max: Option<usize>) {
        self.0.store(max.unwrap_or(UNLIMITED), Ordering::Release);
    }
}

impl fmt::Debug for ConnectionLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConnectionLimit").field(&self.get()).finish()
    }
}
