//! `kvs-reactor`: a Muduo-style multi-threaded reactor, hand-built on [mio].
//!
//! One **acceptor thread** accepts connections and hands each to one of **N looper threads**.
//! Each looper runs an [`EventLoop`]: its own epoll instance, a wake-up queue of functors posted
//! from any thread (woken through mio's `Waker`, once per batch), a timer queue, and the
//! connections it owns. Only the owning loop thread ever touches a socket; other threads use
//! [`LoopHandle`] and [`ConnHandle`], which post work to it.
//!
//! Applications implement [`Handler`] (per-connection callbacks: connect, message, write
//! complete, high-water mark, read-closed, close) and pass a factory to [`TcpServer`] or
//! [`TcpClient`].
//!
//! ```
//! use bytes::BytesMut;
//! use kvs_reactor::{Conn, Handler, TcpServer};
//!
//! struct Echo;
//! impl Handler for Echo {
//!     fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
//!         conn.send(&input.split()); // consume everything, send it back
//!     }
//! }
//! let server = TcpServer::builder("127.0.0.1:0").loopers(2).start(|| Echo).unwrap();
//! println!("echo on {}", server.local_addr());
//! server.shutdown(std::time::Duration::from_secs(1));
//! ```
//!
//! Threading rules, stated on every public method: *thread-safe* methods may be called from any
//! thread; *loop-thread-only* methods need `&mut EventLoop` or a [`Conn`], which only the loop
//! thread can hold.
//!
//! [mio]: https://docs.rs/mio
//!
//! # How the modules depend on each other
//!
//! The loop and what it drives are one unit, and their modules name each other on purpose
//! (`scripts/module-cycles.py` lists it as one cycle of 7): `event_loop` runs the functors
//! (`loop_handle`, `post_batch`) and timers (`timer`) that receive `&mut EventLoop`; connection
//! work (`conn/`) is `impl EventLoop` and hands the `handler` a `Conn` that borrows the loop; a
//! `client`'s connecting socket is a connection in its `Connecting` phase. Splitting them would
//! mean callbacks that cannot see the loop, or a loop that cannot see its connections — the
//! indirection Muduo avoids too. Everything else (`acceptor`, `server`, `looper`, `limit`,
//! `metrics`, `error`) sits outside that cycle.
#![deny(missing_docs)]

mod acceptor;
mod client;
mod conn;
mod error;
mod event_loop;
mod handler;
mod limit;
mod loop_handle;
mod looper;
mod metrics;
mod post_batch;
mod server;
mod timer;

// A connection's pieces live together in `conn/`; the crate names them by these flat paths.
pub(crate) use conn::{conn_handle, conn_id, connection};

pub use acceptor::{LooperSelector, RejectHook, RoundRobin};
pub use client::{ClientOptions, ClientState, TcpClient};
pub use conn::Conn;
pub use conn_handle::ConnHandle;
pub use conn_id::ConnId;
pub use connection::ConnOptions;
pub use error::{Error, Result};
pub use event_loop::EventLoop;
pub use handler::{CloseReason, Handler, HandlerFactory};
pub use limit::{ConnectionLimit, raise_open_files_limit};
pub use loop_handle::LoopHandle;
pub use looper::EventLoopThread;
pub use metrics::Metrics;
pub use post_batch::{coalesce_posts, post_immediately};
pub use server::{Listening, Server, ServerBuilder, TcpServer};
pub use timer::TimerId;

/// Re-exported so applications name the same `bytes` and `mio` types the reactor uses.
pub use bytes;
pub use mio;
