//! `kvs-server`: the RESP2/RESP3 key-value server built on `kvs-reactor` and `kvs-storage`.
//!
//! What will live here (see issue 5): the RESP frame parser and encoder, one module per command,
//! the looper-side connection state that orders replies coming back from the storage threads, and
//! the `kvs-server`, `kvs-client` and `kvs-bench` binaries.
#![deny(missing_docs)]
