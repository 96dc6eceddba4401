//! The reactor's error type.

use std::io;
use std::net::SocketAddr;

/// Errors returned by the reactor's constructors and builders.
///
/// Runtime I/O failures on a connection are not returned to anyone: they close that connection
/// and are reported through [`Handler::on_close`](crate::Handler::on_close) and `tracing`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Creating the listening socket failed. Separate from [`Error::Io`] so the error names the
    /// address and the step (`bind`, `listen`, ...): "Address already in use" alone does not
    /// tell a user *which* address, and the caller only learns it from here.
    #[error("cannot listen on {addr}: {op}: {source}")]
    Listen {
        /// The address that was being bound.
        addr: SocketAddr,
        /// The failing step: "socket", "setsockopt", "bind", "listen".
        op: &'static str,
        /// The operating-system error (`AddrInUse`, `AddrNotAvailable`, `PermissionDenied`...).
        #[source]
        source: io::Error,
    },
    /// An operating-system call failed (epoll, eventfd, thread spawn...).
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// `EventLoop::new` was called on a thread that already runs an event loop.
    ///
    /// One loop per thread is what makes "am I on the loop thread?" a cheap, exact question
    /// (Muduo enforces the same rule).
    #[error("this thread already owns an EventLoop")]
    LoopExists,
    /// A builder was given a value it cannot use.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// `Result` with the reactor's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
