//! `kvs`: a Muduo-style event-loop network library and the persistent key-value server built on it.
//!
//! This crate re-exports the workspace's libraries so an application can depend on one crate:
//!
//! - [`reactor`]: the multi-threaded reactor (one acceptor thread, N event-loop threads) on mio.
//! - [`storage`]: the Bitcask-style log-structured store.
//! - [`server`]: the RESP2/RESP3 server built on both.
#![deny(missing_docs)]

pub use kvs_reactor as reactor;
pub use kvs_server as server;
pub use kvs_storage as storage;
