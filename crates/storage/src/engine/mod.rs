//! The engine: the running store on top of the file layer — the public `Store` and its threads
//! (the writer with its batches, transactions and expiry schedule; the readers; the compactor),
//! the index, the published file set and the state they share. docs/storage-engine.md
//! describes it.

pub(crate) mod batch;
pub(crate) mod collection;
pub(crate) mod command;
pub(crate) mod compactor;
pub(crate) mod expiry;
pub(crate) mod fileset;
pub(crate) mod handoff;
pub mod index;
pub(crate) mod kv_store;
pub(crate) mod list_order;
pub(crate) mod list_view;
pub(crate) mod members;
pub(crate) mod options;
pub(crate) mod prefetch;
pub(crate) mod reader;
pub(crate) mod shared;
pub(crate) mod store;
pub(crate) mod txn;
pub(crate) mod txn_collection;
pub(crate) mod txn_list;
pub(crate) mod txn_zset;
pub(crate) mod watch;
pub(crate) mod writer;
pub(crate) mod zset_order;
