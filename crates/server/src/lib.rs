//! `kvs-server`: a Redis-compatible (RESP2/RESP3) key-value server on `kvs-reactor` and
//! `kvs-storage`.
//!
//! The data path: a looper reads and parses every complete command in its input
//! ([`resp::Parser`]), batches them per destination and sends them over channels to the storage
//! reader threads (reads) and the writer thread (writes and read-modify-writes); the storage
//! threads encode the replies and post them back to the owning looper, which writes them in
//! request order ([`session`]). Storage threads never touch a socket.
#![deny(missing_docs)]

pub mod blocked;
pub mod client_conn;
pub mod cmd;
pub mod conn_state;
pub mod control_jobs;
pub mod ctx;
pub mod db;
pub mod encoding;
pub mod engine;
pub mod error;
pub mod job;
pub mod kv_server;
pub mod list_ops;
pub mod notify;
mod outbox;
pub mod pattern;
pub mod pubsub;
pub mod reply_budget;
pub mod resp;
pub mod resp_client;
pub mod session;
pub mod startup_config;
mod trim;
pub mod zset_ops;

pub use kv_server::{KvServer, ServerError};
pub use startup_config::{Config, EngineKind, default_loopers};

/// The Redis version kvs reports (`INFO server`, `HELLO`): the command set and error texts it
/// follows.
pub const REDIS_COMPAT_VERSION: &str = "7.2.0";
