//! RESP, the Redis serialization protocol: the request parser and the reply encoder.
//!
//! Requests come in two shapes, exactly as Redis accepts them (`src/networking.c`,
//! `processInputBuffer`):
//!
//! * **multibulk**: `*<n>\r\n` followed by `n` bulk strings `$<len>\r\n<bytes>\r\n`. Every real
//!   client (redis-cli, redis-py, redis-benchmark...) sends this.
//! * **inline**: anything whose first byte is not `*` is one line of space-separated words,
//!   terminated by `\n` (an optional `\r` before it is dropped), split like Redis'
//!   `sdssplitargs` (double quotes with `\n`/`\xHH` escapes, single quotes). This is what you get
//!   from `telnet` or `nc`.
//!
//! The [`Parser`] is incremental and zero-copy: each argument is a [`bytes::Bytes`] slice of the
//! connection's read buffer. Protocol errors carry the exact text Redis replies with; after one
//! the connection is closed (Redis sets `CLIENT_CLOSE_AFTER_REPLY`).
//!
//! Replies are written by the free functions of [`encode`] straight into an output
//! [`bytes::BytesMut`], in RESP2 or RESP3 depending on the connection's [`Proto`] (set by
//! `HELLO`), with the RESP2 fallbacks Redis uses for the RESP3-only types.

pub mod encode;
mod g17;
mod inline;
pub mod parse;

#[cfg(test)]
mod tests;

pub use encode::Proto;
pub use parse::{Limits, Parser, ProtocolError};
