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

/// Raises this process's soft limit on open files (`RLIMIT_NOFILE`) toward `wanted`, never past
/// the hard limit, and returns the soft limit now in force (`u64::MAX`: unlimited). Every
/// connection is a descriptor: a server or a load generator with thousands of connections calls
/// this before it opens them. Never lowers the limit. **Thread-safe** (the limit is the
/// process's).
///
/// ```
/// let now = kvs_reactor::raise_open_files_limit(256);
/// assert!(now >= 256 || now == kvs_reactor::raise_open_files_limit(u64::MAX));
/// ```
pub fn raise_open_files_limit(wanted: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let current = lim.current.unwrap_or(u64::MAX);
    if current >= wanted {
        return current;
    }
    let target = lim.maximum.map_or(wanted, |max| wanted.min(max));
    let raised = Rlimit {
        current: Some(target),
        maximum: lim.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => target,
        Err(_) => current,
    }
}
