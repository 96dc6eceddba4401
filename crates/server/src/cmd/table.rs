//! The command table: one row per command (and per subcommand) with its name, arity (Redis
//! convention: negative = at least that many), flags and key positions (COMMAND INFO), its
//! parser, and its COMMAND DOCS entry. A command is its file plus its row here.

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;

use super::Cmd;
use super::docs::docs;
pub use super::docs::{Doc, doc};

/// One command's entry. The metadata (arity, flags, key positions, ACL categories, tips, key
/// specs) is what redis-server 7.0.15 gives in COMMAND INFO, field for field and in its order.
pub struct Spec {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis arity: exact count if positive, minimum if negative (the name counts).
    pub arity: i32,
    /// COMMAND flags.
    pub flags: &'static [&'static str],
    /// First key argument (0: none).
    pub first_key: i32,
    /// Last key argument (-1: the last argument).
    pub last_key: i32,
    /// Step between keys.
    pub step: i32,
    /// ACL categories (`@read`, ...).
    pub acl: &'static [&'static str],
    /// Command tips (`nondeterministic_output`, `request_policy:...`).
    pub tips: &'static [&'static str],
    /// Key specifications.
    pub key_specs: &'static [KeySpec],
    /// Parses the arguments (arity already checked).
    pub parse: fn(&[Bytes]) -> Result<Cmd, String>,
    /// COMMAND DOCS.
    pub doc: Doc,
}

/// One key specification: Redis' `begin_search` of type `index` and `find_keys` of type `range`
/// or `keynum` (the only kinds kvs' commands need).
pub struct KeySpec {
    /// Notes ("" for none).
    pub notes: &'static str,
    /// Key spec flags (`RO`, `access`, ...).
    pub flags: &'static [&'static str],
    /// `begin_search` index: the first key's argument position.
    pub begin_index: i32,
    /// `find_keys`.
    pub find_keys: FindKeys,
}

/// A key spec's `find_keys`, relative to its `begin_search` position.
pub enum FindKeys {
    /// `range`: the keys from the begin position on.
    Range {
        /// The last key, relative to the first (-1: the last argument).
        last_key: i32,
        /// Arguments from one key to the next.
        key_step: i32,
        /// Redis' `limit` (0 here: no limit).
        limit: i32,
    },
    /// `keynum`: an argument says how many keys there are (SINTERCARD's `numkeys`).
    KeyNum {
        /// Where that argument is, relative to the begin position.
        key_num_index: i32,
        /// Where the first key is, relative to the begin position.
        first_key: i32,
        /// Arguments from one key to the next.
        key_step: i32,
    },
}

pub(super) const fn key_spec(
    notes: &'static str,
    flags: &'static [&'static str],
    begin_index: i32,
    last_key: i32,
    key_step: i32,
    limit: i32,
) -> KeySpec {
    KeySpec {
        notes,
        flags,
        begin_index,
        find_keys: FindKeys::Range {
            last_key,
            key_step,
            limit,
        },
    }
}

pub(super) const fn keynum_spec(
    flags: &'static [&'static str],
    begin_index: i32,
    key_num_index: i32,
    first_key: i32,
    key_step: i32,
) -> KeySpec {
    KeySpec {
        notes: "",
        flags,
        begin_index,
        find_keys: FindKeys::KeyNum {
            key_num_index,
            first_key,
            key_step,
        },
    }
}

// The metadata constants the rows share (flags, ACL categories, tips, key specs).
pub(super) use super::table_flags::*;

macro_rules! spec {
    (
        $name:literal, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr,
        $acl:expr, $tips:expr, $keys:expr, $parse:expr, $doc:expr
    ) => {
        Spec {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $first,
            last_key: $last,
            step: $step,
            acl: $acl,
            tips: $tips,
            key_specs: $keys,
            parse: $parse,
            doc: $doc,
        }
    };
}

/// Every command the server knows.
#[rustfmt::skip]
pub static COMMANDS: &[Spec] = &[
    spec!("ping", -1, F_FAST, 0, 0, 0, A_FAST_CONNECTION, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, &[], super::connection::parse_ping, docs!("Ping the server", "1.0.0", "connection", "O(1)", "", "", &[])),
    spec!("echo", 2, F_LOADING_STALE_FAST, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_echo, docs!("Echo the given string", "1.0.0", "connection", "O(1)", "", "", &[])),
    spec!("hello", -1, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::hello::parse, docs!("Handshake with Redis", "6.0.0", "connection", "O(1)", "", "", &[("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context.")])),
    spec!("auth", -2, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_auth, docs!("Authenticate to the server", "1.0.0", "connection", "O(N) where N is the number of passwords defined for the user", "", "", &[("6.0.0", "Added ACL style (username and password).")])),
    spec!("select", 2, F_LOADING_STALE_FAST, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_select, docs!("Change the selected database for the current connection", "1.0.0", "connection", "O(1)", "", "", &[])),
    spec!("quit", -1, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_quit, docs!("Close the connection", "1.0.0", "connection", "O(1)", "", "", &[])),
    spec!("reset", 1, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_reset, docs!("Reset the connection", "6.2.0", "connection", "O(1)", "", "", &[])),
    spec!("client", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::client::parse, docs!("A container for client connection commands", "2.4.0", "connection", "Depends on subcommand.", "", "", &[])),
    spec!("time", 1, F_LOADING_STALE_FAST, 0, 0, 0, A_FAST, T_NDO, &[], super::connection::parse_time, docs!("Return the current server time", "2.6.0", "server", "O(1)", "", "", &[])),
    spec!("lastsave", 1, F_LOADING_STALE_FAST, 0, 0, 0, A_ADMIN_FAST_DANGEROUS, T_NDO, &[], super::connection::parse_lastsave, docs!("Get the UNIX time stamp of the last successful save to disk", "1.0.0", "server", "O(1)", "", "", &[])),
    spec!("command", -1, F_LOADING_STALE, 0, 0, 0, A_SLOW_CONNECTION, T_NDOO, &[], super::command::parse, docs!("Get array of Redis command details", "2.8.13", "server", "O(N) where N is the total number of Redis commands", "", "", &[])),
    spec!("config", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::config::parse, docs!("A container for server configuration commands", "2.0.0", "server", "Depends on subcommand.", "", "", &[])),
    spec!("info", -1, F_LOADING_STALE, 0, 0, 0, A_SLOW_DANGEROUS, T_NDO_REQ_ALL_SHARDS_RES_SPECIAL, &[], super::info::parse, docs!("Get information and statistics about the server", "1.0.0", "server", "O(1)", "", "", &[("7.0.0", "Added support for taking multiple section arguments.")])),
    spec!("dbsize", 1, F_READONLY_FAST, 0, 0, 0, A_KEYSPACE_READ_FAST, T_REQ_ALL_SHARDS_RES_AGG_SUM, &[], super::server::parse_dbsize, docs!("Return the number of keys in the selected database", "1.0.0", "server", "O(1)", "", "", &[])),
    spec!("flushall", -1, F_WRITE, 0, 0, 0, A_KEYSPACE_WRITE_SLOW_DANGEROUS, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, &[], super::server::parse_flush, docs!("Remove all keys from all databases", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", "", "", &[("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier.")])),
    spec!("flushdb", -1, F_WRITE, 0, 0, 0, A_KEYSPACE_WRITE_SLOW_DANGEROUS, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, &[], super::server::parse_flush, docs!("Remove all keys from the current database", "1.0.0", "server", "O(N) where N is the number of keys in the selected database", "", "", &[("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier.")])),
    spec!("save", 1, F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING_NO_MULTI, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_save, docs!("Synchronously save the dataset to disk", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", "", "", &[])),
    spec!("bgsave", -1, F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_bgsave, docs!("Asynchronously save the dataset to disk", "1.0.0", "server", "O(1)", "", "", &[("3.2.2", "Added the `SCHEDULE` option.")])),
    spec!("bgrewriteaof", 1, F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_bgrewriteaof, docs!("Asynchronously rewrite the append-only file", "1.0.0", "server", "O(1)", "", "", &[])),
    spec!("shutdown", -1, F_ADMIN_NOSCRIPT_LOADING_STALE_NO_MULTI_ALLOW_BUSY, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_shutdown, docs!("Synchronously save the dataset to disk and then shut down the server", "1.0.0", "server", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "", "", &[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")])),
    spec!("get", 2, F_READONLY_FAST, 1, 1, 1, A_READ_STRING_FAST, &[], KS_RO_ACCESS, super::get::parse, docs!("Get the value of a key", "1.0.0", "string", "O(1)", "", "", &[])),
    spec!("set", -3, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_SET, super::set::parse_set, docs!("Set the string value of a key", "1.0.0", "string", "O(1)", "", "", &[("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."), ("6.0.0", "Added the `KEEPTTL` option."), ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."), ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")])),
    spec!("setnx", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_OW_INSERT, super::set::parse_setnx, docs!("Set the value of a key, only if the key does not exist", "1.0.0", "string", "O(1)", "", "", &[])),
    spec!("setex", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_OW_UPDATE, super::set::parse_setex, docs!("Set the value and expiration of a key", "2.0.0", "string", "O(1)", "", "", &[])),
    spec!("psetex", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_OW_UPDATE, super::set::parse_psetex, docs!("Set the value and expiration in milliseconds of a key", "2.6.0", "string", "O(1)", "", "", &[])),
    spec!("getset", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::getset::parse, docs!("Set the string value of a key and return its old value", "1.0.0", "string", "O(1)", "6.2.0", "`SET` with the `!GET` argument", &[])),
    spec!("getdel", 2, F_WRITE_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_DELETE, super::getdel::parse, docs!("Get the value of a key and delete the key", "6.2.0", "string", "O(1)", "", "", &[])),
    spec!("getex", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_GETEX, super::getex::parse, docs!("Get the value of a key and optionally set its expiration", "6.2.0", "string", "O(1)", "", "", &[])),
    spec!("mget", -2, F_READONLY_FAST, 1, -1, 1, A_READ_STRING_FAST, T_REQ_MULTI_SHARD, KS_RO_ACCESS_ALL, super::mget::parse, docs!("Get the values of all the given keys", "1.0.0", "string", "O(N) where N is the number of keys to retrieve.", "", "", &[])),
    spec!("mset", -3, F_WRITE_DENYOOM, 1, -1, 2, A_WRITE_STRING_SLOW, T_REQ_MULTI_SHARD_RES_ALL_SUCCEEDED, KS_OW_UPDATE_ALL_STEP2, super::mset::parse_mset, docs!("Set multiple keys to multiple values", "1.0.1", "string", "O(N) where N is the number of keys to set.", "", "", &[])),
    spec!("msetnx", -3, F_WRITE_DENYOOM, 1, -1, 2, A_WRITE_STRING_SLOW, T_REQ_MULTI_SHARD_RES_AGG_MIN, KS_OW_INSERT_ALL_STEP2, super::mset::parse_msetnx, docs!("Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "string", "O(N) where N is the number of keys to set.", "", "", &[])),
    spec!("incr", 2, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_incr, docs!("Increment the integer value of a key by one", "1.0.0", "string", "O(1)", "", "", &[])),
    spec!("decr", 2, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_decr, docs!("Decrement the integer value of a key by one", "1.0.0", "string", "O(1)", "", "", &[])),
    spec!("incrby", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_incrby, docs!("Increment the integer value of a key by the given amount", "1.0.0", "string", "O(1)", "", "", &[])),
    spec!("decrby", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_decrby, docs!("Decrement the integer value of a key by the given number", "1.0.0", "string", "O(1)", "", "", &[])),
    spec!("incrbyfloat", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incrbyfloat::parse, docs!("Increment the float value of a key by the given amount", "2.6.0", "string", "O(1)", "", "", &[])),
    spec!("append", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_INSERT, super::append::parse, docs!("Append a value to a key", "2.0.0", "string", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "", "", &[])),
    spec!("strlen", 2, F_READONLY_FAST, 1, 1, 1, A_READ_STRING_FAST, &[], KS_RO, super::strlen::parse, docs!("Get the length of the value stored in a key", "2.2.0", "string", "O(1)", "", "", &[])),
    spec!("getrange", 4, F_READONLY, 1, 1, 1, A_READ_STRING_SLOW, &[], KS_RO_ACCESS, super::getrange::parse, docs!("Get a substring of the string stored at a key", "2.4.0", "string", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "", "", &[])),
    spec!("substr", 4, F_READONLY, 1, 1, 1, A_READ_STRING_SLOW, &[], KS_RO_ACCESS, super::getrange::parse, docs!("Get a substring of the string stored at a key", "1.0.0", "string", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "2.0.0", "`GETRANGE`", &[])),
    spec!("setrange", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_RW_UPDATE, super::setrange::parse, docs!("Overwrite part of a string at key starting at the specified offset", "2.2.0", "string", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "", "", &[])),
    spec!("del", -2, F_WRITE, 1, -1, 1, A_KEYSPACE_WRITE_SLOW, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RM_DELETE_ALL, super::del::parse, docs!("Delete a key", "1.0.0", "generic", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "", "", &[])),
    spec!("unlink", -2, F_WRITE_FAST, 1, -1, 1, A_KEYSPACE_WRITE_FAST, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RM_DELETE_ALL, super::del::parse, docs!("Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0", "generic", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "", "", &[])),
    spec!("exists", -2, F_READONLY_FAST, 1, -1, 1, A_KEYSPACE_READ_FAST, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RO_ALL, super::exists::parse, docs!("Determine if a key exists", "1.0.0", "generic", "O(N) where N is the number of keys to check.", "", "", &[("3.0.3", "Accepts multiple `key` arguments.")])),
    spec!("touch", -2, F_READONLY_FAST, 1, -1, 1, A_KEYSPACE_READ_FAST, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RO_ALL, super::exists::parse, docs!("Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1", "generic", "O(N) where N is the number of keys that will be touched.", "", "", &[])),
    spec!("type", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, &[], KS_RO, super::type_::parse, docs!("Determine the type stored at key", "1.0.0", "generic", "O(1)", "", "", &[])),
    spec!("expire", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_expire, docs!("Set a key's time to live in seconds", "1.0.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])),
    spec!("pexpire", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_pexpire, docs!("Set a key's time to live in milliseconds", "2.6.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])),
    spec!("expireat", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_expireat, docs!("Set the expiration for a key as a UNIX timestamp", "1.2.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])),
    spec!("pexpireat", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_pexpireat, docs!("Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])),
    spec!("persist", 2, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_persist, docs!("Remove the expiration from a key", "2.2.0", "generic", "O(1)", "", "", &[])),
    spec!("ttl", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, T_NDO, KS_RO_ACCESS, super::ttl::parse_ttl, docs!("Get the time to live for a key in seconds", "1.0.0", "generic", "O(1)", "", "", &[("2.8.0", "Added the -2 reply.")])),
    spec!("pttl", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, T_NDO, KS_RO_ACCESS, super::ttl::parse_pttl, docs!("Get the time to live for a key in milliseconds", "2.6.0", "generic", "O(1)", "", "", &[("2.8.0", "Added the -2 reply.")])),
    spec!("expiretime", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, &[], KS_RO_ACCESS, super::ttl::parse_expiretime, docs!("Get the expiration Unix timestamp for a key", "7.0.0", "generic", "O(1)", "", "", &[])),
    spec!("pexpiretime", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, &[], KS_RO_ACCESS, super::ttl::parse_pexpiretime, docs!("Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "generic", "O(1)", "", "", &[])),
    spec!("keys", 2, F_READONLY, 0, 0, 0, A_KEYSPACE_READ_SLOW_DANGEROUS, T_REQ_ALL_SHARDS_NDOO, &[], super::keys::parse, docs!("Find all keys matching the given pattern", "1.0.0", "generic", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "", "", &[])),
    spec!("scan", -2, F_READONLY, 0, 0, 0, A_KEYSPACE_READ_SLOW, T_NDO_REQ_SPECIAL, &[], super::scan::parse, docs!("Incrementally iterate the keys space", "2.8.0", "generic", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "", "", &[("6.0.0", "Added the `TYPE` subcommand.")])),
    spec!("randomkey", 1, F_READONLY, 0, 0, 0, A_KEYSPACE_READ_SLOW, T_REQ_ALL_SHARDS_NDO, &[], super::randomkey::parse, docs!("Return a random key from the keyspace", "1.0.0", "generic", "O(1)", "", "", &[])),
    spec!("rename", 3, F_WRITE, 1, 2, 1, A_KEYSPACE_WRITE_SLOW, &[], KS_RW_ACCESS_DELETE__OW_UPDATE, super::rename::parse_rename, docs!("Rename a key", "1.0.0", "generic", "O(1)", "", "", &[])),
    spec!("multi", 1, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 0, 0, 0, A_FAST_TRANSACTION, &[], &[], super::multi::parse_multi, docs!("Mark the start of a transaction block", "1.2.0", "transactions", "O(1)", "", "", &[])),
    spec!("exec", 1, F_NOSCRIPT_LOADING_STALE_SKIP_SLOWLOG, 0, 0, 0, A_SLOW_TRANSACTION, &[], &[], super::multi::parse_exec, docs!("Execute all commands issued after MULTI", "1.2.0", "transactions", "Depends on commands in the transaction", "", "", &[])),
    spec!("discard", 1, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 0, 0, 0, A_FAST_TRANSACTION, &[], &[], super::multi::parse_discard, docs!("Discard all commands issued after MULTI", "2.0.0", "transactions", "O(N), when N is the number of queued commands", "", "", &[])),
    spec!("watch", -2, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 1, -1, 1, A_FAST_TRANSACTION, &[], KS_RO_ALL, super::multi::parse_watch, docs!("Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", "transactions", "O(1) for every key.", "", "", &[])),
    spec!("unwatch", 1, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 0, 0, 0, A_FAST_TRANSACTION, &[], &[], super::multi::parse_unwatch, docs!("Forget about all watched keys", "2.2.0", "transactions", "O(1)", "", "", &[])),
    spec!("hset", -4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_UPDATE, super::hset::parse_hset, docs!("Set the string value of a hash field", "2.0.0", "hash", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "", "", &[("4.0.0", "Accepts multiple `field` and `value` arguments.")])),
    spec!("hmset", -4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_UPDATE, super::hset::parse_hmset, docs!("Set multiple hash fields to multiple values", "2.0.0", "hash", "O(N) where N is the number of fields being set.", "4.0.0", "`HSET` with multiple field-value pairs", &[])),
    spec!("hsetnx", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_INSERT, super::hset::parse_hsetnx, docs!("Set the value of a hash field, only if the field does not exist", "2.0.0", "hash", "O(1)", "", "", &[])),
    spec!("hget", 3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO_ACCESS, super::hget::parse_hget, docs!("Get the value of a hash field", "2.0.0", "hash", "O(1)", "", "", &[])),
    spec!("hmget", -3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO_ACCESS, super::hget::parse_hmget, docs!("Get the values of all the given hash fields", "2.0.0", "hash", "O(N) where N is the number of fields being requested.", "", "", &[])),
    spec!("hexists", 3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO, super::hget::parse_hexists, docs!("Determine if a hash field exists", "2.0.0", "hash", "O(1)", "", "", &[])),
    spec!("hstrlen", 3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO, super::hget::parse_hstrlen, docs!("Get the length of the value of a hash field", "3.2.0", "hash", "O(1)", "", "", &[])),
    spec!("hgetall", 2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDOO, KS_RO_ACCESS, super::hgetall::parse_hgetall, docs!("Get all the fields and values in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "", "", &[])),
    spec!("hkeys", 2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDOO, KS_RO_ACCESS, super::hgetall::parse_hkeys, docs!("Get all the fields in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "", "", &[])),
    spec!("hvals", 2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDOO, KS_RO_ACCESS, super::hgetall::parse_hvals, docs!("Get all the values in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "", "", &[])),
    spec!("hlen", 2, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO, super::hgetall::parse_hlen, docs!("Get the number of fields in a hash", "2.0.0", "hash", "O(1)", "", "", &[])),
    spec!("hdel", -3, F_WRITE_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_DELETE, super::hdel::parse, docs!("Delete one or more hash fields", "2.0.0", "hash", "O(N) where N is the number of fields to be removed.", "", "", &[("2.4.0", "Accepts multiple `field` arguments.")])),
    spec!("hincrby", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_ACCESS_UPDATE, super::hincrby::parse_hincrby, docs!("Increment the integer value of a hash field by the given number", "2.0.0", "hash", "O(1)", "", "", &[])),
    spec!("hincrbyfloat", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_ACCESS_UPDATE, super::hincrby::parse_hincrbyfloat, docs!("Increment the float value of a hash field by the given amount", "2.6.0", "hash", "O(1)", "", "", &[])),
    spec!("hrandfield", -2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDO, KS_RO_ACCESS, super::hrandfield::parse, docs!("Get one or multiple random fields from a hash", "6.2.0", "hash", "O(N) where N is the number of fields returned", "", "", &[])),
    spec!("hscan", -3, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDO, KS_RO_ACCESS, super::hscan::parse, docs!("Incrementally iterate hash fields and associated values", "2.8.0", "hash", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "", "", &[])),
    spec!("sadd", -3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_SET_FAST, &[], KS_RW_INSERT, super::sadd::parse_sadd, docs!("Add one or more members to a set", "1.0.0", "set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "", "", &[("2.4.0", "Accepts multiple `member` arguments.")])),
    spec!("srem", -3, F_WRITE_FAST, 1, 1, 1, A_WRITE_SET_FAST, &[], KS_RW_DELETE, super::sadd::parse_srem, docs!("Remove one or more members from a set", "1.0.0", "set", "O(N) where N is the number of members to be removed.", "", "", &[("2.4.0", "Accepts multiple `member` arguments.")])),
    spec!("smembers", 2, F_READONLY, 1, 1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS, super::smembers::parse_smembers, docs!("Get all the members in a set", "1.0.0", "set", "O(N) where N is the set cardinality.", "", "", &[])),
    spec!("scard", 2, F_READONLY_FAST, 1, 1, 1, A_READ_SET_FAST, &[], KS_RO, super::smembers::parse_scard, docs!("Get the number of members in a set", "1.0.0", "set", "O(1)", "", "", &[])),
    spec!("sismember", 3, F_READONLY_FAST, 1, 1, 1, A_READ_SET_FAST, &[], KS_RO, super::sismember::parse_sismember, docs!("Determine if a given value is a member of a set", "1.0.0", "set", "O(1)", "", "", &[])),
    spec!("smismember", -3, F_READONLY_FAST, 1, 1, 1, A_READ_SET_FAST, &[], KS_RO_ACCESS, super::sismember::parse_smismember, docs!("Returns the membership associated with the given elements for a set", "6.2.0", "set", "O(N) where N is the number of elements being checked for membership", "", "", &[])),
    spec!("object", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::object::parse, docs!("A container for object introspection commands", "2.2.3", "generic", "Depends on subcommand.", "", "", &[])),
    spec!("memory", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::memory::parse, docs!("A container for memory diagnostics commands", "4.0.0", "server", "Depends on subcommand.", "", "", &[])),
    spec!("spop", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_SET_FAST, T_NDO, KS_RW_ACCESS_DELETE, super::spop::parse, docs!("Remove and return one or multiple random members from a set", "3.2.0", "set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "", "", &[("3.2.0", "Added the `count` argument.")])),
    spec!("srandmember", -2, F_READONLY, 1, 1, 1, A_READ_SET_SLOW, T_NDO, KS_RO_ACCESS, super::srandmember::parse, docs!("Get one or multiple random members from a set", "2.6.0", "set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "", "", &[("2.6.0", "Added the optional `count` argument.")])),
    spec!("smove", 4, F_WRITE_FAST, 1, 2, 1, A_WRITE_SET_FAST, &[], KS_RW_ACCESS_DELETE__RW_INSERT, super::smove::parse, docs!("Move a member from one set to another", "1.0.0", "set", "O(1)", "", "", &[])),
    spec!("sinter", -2, F_READONLY, 1, -1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS_ALL, super::setops::parse_sinter, docs!("Intersect multiple sets", "1.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "", "", &[])),
    spec!("sintercard", -3, F_READONLY_MOVABLEKEYS, 0, 0, 0, A_READ_SET_SLOW, &[], KS_RO_ACCESS_KEYNUM, super::setops::parse_sintercard, docs!("Intersect multiple sets and return the cardinality of the result", "7.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "", "", &[])),
    spec!("sinterstore", -3, F_WRITE_DENYOOM, 1, -1, 1, A_WRITE_SET_SLOW, &[], KS_RW_UPDATE__RO_ACCESS_ALL, super::setops::parse_sinterstore, docs!("Intersect multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "", "", &[])),
    spec!("sunion", -2, F_READONLY, 1, -1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS_ALL, super::setops::parse_sunion, docs!("Add multiple sets", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[])),
    spec!("sunionstore", -3, F_WRITE_DENYOOM, 1, -1, 1, A_WRITE_SET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_ALL, super::setops::parse_sunionstore, docs!("Add multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[])),
    spec!("sdiff", -2, F_READONLY, 1, -1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS_ALL, super::setops::parse_sdiff, docs!("Subtract multiple sets", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[])),
    spec!("sdiffstore", -3, F_WRITE_DENYOOM, 1, -1, 1, A_WRITE_SET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_ALL, super::setops::parse_sdiffstore, docs!("Subtract multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[])),
    spec!("sscan", -3, F_READONLY, 1, 1, 1, A_READ_SET_SLOW, T_NDO, KS_RO_ACCESS, super::sscan::parse, docs!("Incrementally iterate Set elements", "2.8.0", "set", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "", "", &[])),
    spec!("function", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::scripting::parse_function, docs!("A container for function commands", "7.0.0", "scripting", "Depends on subcommand.", "", "", &[])),
    spec!("script", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::scripting::parse_script, docs!("A container for Lua scripts management commands", "2.6.0", "scripting", "Depends on subcommand.", "", "", &[])),
    spec!("renamenx", 3, F_WRITE_FAST, 1, 2, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_ACCESS_DELETE__OW_INSERT, super::rename::parse_renamenx, docs!("Rename a key, only if the new key does not exist", "1.0.0", "generic", "O(1)", "", "", &[("3.2.0", "The command no longer returns an error when source and destination names are the same.")])),
    spec!("copy", -3, F_WRITE_DENYOOM, 1, 2, 1, A_KEYSPACE_WRITE_SLOW, &[], KS_RO_ACCESS__OW_UPDATE, super::copy::parse, docs!("Copy a key", "6.2.0", "generic", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "", "", &[])),
    spec!("setbit", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_BITMAP_SLOW, &[], KS_RW_ACCESS_UPDATE, super::setbit::parse, docs!("Sets or clears the bit at offset in the string value stored at key", "2.2.0", "bitmap", "O(1)", "", "", &[])),
    spec!("getbit", 3, F_READONLY_FAST, 1, 1, 1, A_READ_BITMAP_FAST, &[], KS_RO_ACCESS, super::getbit::parse, docs!("Returns the bit value at offset in the string value stored at key", "2.2.0", "bitmap", "O(1)", "", "", &[])),
    spec!("lcs", -3, F_READONLY, 1, 2, 1, A_READ_STRING_SLOW, &[], KS_RO_ACCESS_ALL_1, super::lcs::parse, docs!("Find longest common substring", "7.0.0", "string", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "", "", &[])),
    spec!("lpush", -3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_LIST_FAST, &[], KS_RW_INSERT, super::lpush::parse_lpush, docs!("Prepend one or multiple elements to a list", "1.0.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "", "", &[("2.4.0", "Accepts multiple `element` arguments.")])),
    spec!("rpush", -3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_LIST_FAST, &[], KS_RW_INSERT, super::lpush::parse_rpush, docs!("Append one or multiple elements to a list", "1.0.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "", "", &[("2.4.0", "Accepts multiple `element` arguments.")])),
    spec!("lpushx", -3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_LIST_FAST, &[], KS_RW_INSERT, super::lpush::parse_lpushx, docs!("Prepend an element to a list, only if the list exists", "2.2.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "", "", &[("4.0.0", "Accepts multiple `element` arguments.")])),
    spec!("rpushx", -3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_LIST_FAST, &[], KS_RW_INSERT, super::lpush::parse_rpushx, docs!("Append an element to a list, only if the list exists", "2.2.0", "list", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "", "", &[("4.0.0", "Accepts multiple `element` arguments.")])),
    spec!("lpop", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_LIST_FAST, &[], KS_RW_ACCESS_DELETE, super::lpop::parse_lpop, docs!("Remove and get the first elements in a list", "1.0.0", "list", "O(N) where N is the number of elements returned", "", "", &[("6.2.0", "Added the `count` argument.")])),
    spec!("rpop", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_LIST_FAST, &[], KS_RW_ACCESS_DELETE, super::lpop::parse_rpop, docs!("Remove and get the last elements in a list", "1.0.0", "list", "O(N) where N is the number of elements returned", "", "", &[("6.2.0", "Added the `count` argument.")])),
    spec!("llen", 2, F_READONLY_FAST, 1, 1, 1, A_READ_LIST_FAST, &[], KS_RO, super::lrange::parse_llen, docs!("Get the length of a list", "1.0.0", "list", "O(1)", "", "", &[])),
    spec!("lindex", 3, F_READONLY, 1, 1, 1, A_READ_LIST_SLOW, &[], KS_RO_ACCESS, super::lrange::parse_lindex, docs!("Get an element from a list by its index", "1.0.0", "list", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", "", "", &[])),
    spec!("lrange", 4, F_READONLY, 1, 1, 1, A_READ_LIST_SLOW, &[], KS_RO_ACCESS, super::lrange::parse_lrange, docs!("Get a range of elements from a list", "1.0.0", "list", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", "", "", &[])),
    spec!("lset", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_LIST_SLOW, &[], KS_RW_UPDATE, super::lset::parse, docs!("Set the value of an element in a list by its index", "1.0.0", "list", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", "", "", &[])),
    spec!("linsert", 5, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_LIST_SLOW, &[], KS_RW_INSERT, super::linsert::parse, docs!("Insert an element before or after another element in a list", "2.2.0", "list", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", "", "", &[])),
    spec!("lrem", 4, F_WRITE, 1, 1, 1, A_WRITE_LIST_SLOW, &[], KS_RW_DELETE, super::lrem::parse, docs!("Remove elements from a list", "1.0.0", "list", "O(N+M) where N is the length of the list and M is the number of elements removed.", "", "", &[])),
    spec!("ltrim", 4, F_WRITE, 1, 1, 1, A_WRITE_LIST_SLOW, &[], KS_RW_DELETE, super::ltrim::parse, docs!("Trim a list to the specified range", "1.0.0", "list", "O(N) where N is the number of elements to be removed by the operation.", "", "", &[])),
    spec!("lpos", -3, F_READONLY, 1, 1, 1, A_READ_LIST_SLOW, &[], KS_RO_ACCESS, super::lpos::parse, docs!("Return the index of matching elements on a list", "6.0.6", "list", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", "", "", &[])),
    spec!("lmove", 5, F_WRITE_DENYOOM, 1, 2, 1, A_WRITE_LIST_SLOW, &[], KS_RW_ACCESS_DELETE__RW_INSERT, super::lmove::parse_lmove, docs!("Pop an element from a list, push it to another list and return it", "6.2.0", "list", "O(1)", "", "", &[])),
    spec!("rpoplpush", 3, F_WRITE_DENYOOM, 1, 2, 1, A_WRITE_LIST_SLOW, &[], KS_RW_ACCESS_DELETE__RW_INSERT, super::lmove::parse_rpoplpush, docs!("Remove the last element in a list, prepend it to another list and return it", "1.2.0", "list", "O(1)", "6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments", &[])),
    spec!("lmpop", -4, F_WRITE_MOVABLEKEYS, 0, 0, 0, A_WRITE_LIST_SLOW, &[], KS_RW_ACCESS_DELETE_KEYNUM, super::lmpop::parse, docs!("Pop elements from a list", "7.0.0", "list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "", "", &[])),
    spec!("blpop", -3, F_WRITE_NOSCRIPT_BLOCKING, 1, -2, 1, A_WRITE_LIST_SLOW_BLOCKING, &[], KS_RW_ACCESS_DELETE_RANGE_2, super::bpop::parse_blpop, docs!("Remove and get the first element in a list, or block until one is available", "2.0.0", "list", "O(N) where N is the number of provided keys.", "", "", &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])),
    spec!("brpop", -3, F_WRITE_NOSCRIPT_BLOCKING, 1, -2, 1, A_WRITE_LIST_SLOW_BLOCKING, &[], KS_RW_ACCESS_DELETE_RANGE_2, super::bpop::parse_brpop, docs!("Remove and get the last element in a list, or block until one is available", "2.0.0", "list", "O(N) where N is the number of provided keys.", "", "", &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])),
    spec!("blmove", 6, F_WRITE_DENYOOM_NOSCRIPT_BLOCKING, 1, 2, 1, A_WRITE_LIST_SLOW_BLOCKING, &[], KS_RW_ACCESS_DELETE__RW_INSERT, super::bpop::parse_blmove, docs!("Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", "list", "O(1)", "", "", &[])),
    spec!("brpoplpush", 4, F_WRITE_DENYOOM_NOSCRIPT_BLOCKING, 1, 2, 1, A_WRITE_LIST_SLOW_BLOCKING, &[], KS_RW_ACCESS_DELETE__RW_INSERT, super::bpop::parse_brpoplpush, docs!("Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", "list", "O(1)", "6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments", &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])),
    spec!("blmpop", -5, F_WRITE_BLOCKING_MOVABLEKEYS, 0, 0, 0, A_WRITE_LIST_SLOW_BLOCKING, &[], KS_RW_ACCESS_DELETE_KEYNUM_2, super::bpop::parse_blmpop, docs!("Pop elements from a list, or block until one is available", "7.0.0", "list", "O(N+M) where N is the number of provided keys and M is the number of elements returned.", "", "", &[])),
    spec!("zadd", -4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_SORTEDSET_FAST, &[], KS_RW_UPDATE, super::zadd::parse, docs!("Add one or more members to a sorted set, or update its score if it already exists", "1.2.0", "sorted-set", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "", "", &[("2.4.0", "Accepts multiple elements."), ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."), ("6.2.0", "Added the `GT` and `LT` options.")])),
    spec!("zincrby", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_SORTEDSET_FAST, &[], KS_RW_ACCESS_UPDATE, super::zadd::parse_zincrby, docs!("Increment the score of a member in a sorted set", "1.2.0", "sorted-set", "O(log(N)) where N is the number of elements in the sorted set.", "", "", &[])),
    spec!("zscore", 3, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO_ACCESS, super::zscore::parse_zscore, docs!("Get the score associated with the given member in a sorted set", "1.2.0", "sorted-set", "O(1)", "", "", &[])),
    spec!("zmscore", -3, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO_ACCESS, super::zscore::parse_zmscore, docs!("Get the score associated with the given members in a sorted set", "6.2.0", "sorted-set", "O(N) where N is the number of members being requested.", "", "", &[])),
    spec!("zcard", 2, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO, super::zscore::parse_zcard, docs!("Get the number of members in a sorted set", "1.2.0", "sorted-set", "O(1)", "", "", &[])),
    spec!("zrem", -3, F_WRITE_FAST, 1, 1, 1, A_WRITE_SORTEDSET_FAST, &[], KS_RW_DELETE, super::zrem::parse, docs!("Remove one or more members from a sorted set", "1.2.0", "sorted-set", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", "", "", &[("2.4.0", "Accepts multiple elements.")])),
    spec!("zrange", -4, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS, super::zrange::parse_zrange, docs!("Return a range of members in a sorted set", "1.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "", "", &[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")])),
    spec!("zrevrange", -4, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS, super::zrange::parse_zrevrange, docs!("Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", "6.2.0", "`ZRANGE` with the `REV` argument", &[])),
    spec!("zrangebyscore", -4, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS, super::zrange::parse_zrangebyscore, docs!("Return a range of members in a sorted set, by score", "1.0.5", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "6.2.0", "`ZRANGE` with the `BYSCORE` argument", &[("2.0.0", "Added the `WITHSCORES` modifier.")])),
    spec!("zrevrangebyscore", -4, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS, super::zrange::parse_zrevrangebyscore, docs!("Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments", &[("2.1.6", "`min` and `max` can be exclusive.")])),
    spec!("zrangebylex", -4, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS, super::zrange::parse_zrangebylex, docs!("Return a range of members in a sorted set, by lexicographical range", "2.8.9", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "6.2.0", "`ZRANGE` with the `BYLEX` argument", &[])),
    spec!("zrevrangebylex", -4, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS, super::zrange::parse_zrevrangebylex, docs!("Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "2.8.9", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", "6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments", &[])),
    spec!("zcount", 4, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO_ACCESS, super::zcount::parse_zcount, docs!("Count the members in a sorted set with scores within the given values", "2.0.0", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "", "", &[])),
    spec!("zlexcount", 4, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO_ACCESS, super::zcount::parse_zlexcount, docs!("Count the number of members in a sorted set between a given lexicographical range", "2.8.9", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "", "", &[])),
    spec!("zrank", 3, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO_ACCESS, super::zrank::parse_zrank, docs!("Determine the index of a member in a sorted set", "2.0.0", "sorted-set", "O(log(N))", "", "", &[])),
    spec!("zrevrank", 3, F_READONLY_FAST, 1, 1, 1, A_READ_SORTEDSET_FAST, &[], KS_RO_ACCESS, super::zrank::parse_zrevrank, docs!("Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0", "sorted-set", "O(log(N))", "", "", &[])),
    spec!("zpopmin", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_SORTEDSET_FAST, &[], KS_RW_ACCESS_DELETE, super::zpop::parse_zpopmin, docs!("Remove and return members with the lowest scores in a sorted set", "5.0.0", "sorted-set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "", "", &[])),
    spec!("zpopmax", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_SORTEDSET_FAST, &[], KS_RW_ACCESS_DELETE, super::zpop::parse_zpopmax, docs!("Remove and return members with the highest scores in a sorted set", "5.0.0", "sorted-set", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", "", "", &[])),
    spec!("zrangestore", -5, F_WRITE_DENYOOM, 1, 2, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_2, super::zrangestore::parse, docs!("Store a range of members from sorted set into another key", "6.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", "", "", &[])),
    spec!("zremrangebyscore", 4, F_WRITE, 1, 1, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_RW_DELETE, super::zremrange::parse_zremrangebyscore, docs!("Remove all members in a sorted set within the given scores", "1.2.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "", "", &[])),
    spec!("zremrangebyrank", 4, F_WRITE, 1, 1, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_RW_DELETE, super::zremrange::parse_zremrangebyrank, docs!("Remove all members in a sorted set within the given indexes", "2.0.0", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "", "", &[])),
    spec!("zremrangebylex", 4, F_WRITE, 1, 1, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_RW_DELETE, super::zremrange::parse_zremrangebylex, docs!("Remove all members in a sorted set between the given lexicographical range", "2.8.9", "sorted-set", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", "", "", &[])),
    spec!("zunion", -3, F_READONLY_MOVABLEKEYS, 0, 0, 0, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS_KEYNUM, super::zsetops::parse_zunion, docs!("Add multiple sorted sets", "6.2.0", "sorted-set", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "", "", &[])),
    spec!("zinter", -3, F_READONLY_MOVABLEKEYS, 0, 0, 0, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS_KEYNUM, super::zsetops::parse_zinter, docs!("Intersect multiple sorted sets", "6.2.0", "sorted-set", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "", "", &[])),
    spec!("zdiff", -3, F_READONLY_MOVABLEKEYS, 0, 0, 0, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS_KEYNUM, super::zsetops::parse_zdiff, docs!("Subtract multiple sorted sets", "6.2.0", "sorted-set", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "", "", &[])),
    spec!("zunionstore", -4, F_WRITE_DENYOOM_MOVABLEKEYS, 1, 1, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_KEYNUM_2, super::zsetops::parse_zunionstore, docs!("Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "sorted-set", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", "", "", &[])),
    spec!("zinterstore", -4, F_WRITE_DENYOOM_MOVABLEKEYS, 1, 1, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_KEYNUM_2, super::zsetops::parse_zinterstore, docs!("Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "sorted-set", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", "", "", &[])),
    spec!("zdiffstore", -4, F_WRITE_DENYOOM_MOVABLEKEYS, 1, 1, 1, A_WRITE_SORTEDSET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_KEYNUM_2, super::zsetops::parse_zdiffstore, docs!("Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", "sorted-set", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", "", "", &[])),
    spec!("zintercard", -3, F_READONLY_MOVABLEKEYS, 0, 0, 0, A_READ_SORTEDSET_SLOW, &[], KS_RO_ACCESS_KEYNUM, super::zsetops::parse_zintercard, docs!("Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", "sorted-set", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", "", "", &[])),
    spec!("zmpop", -4, F_WRITE_MOVABLEKEYS, 0, 0, 0, A_WRITE_SORTEDSET_SLOW, &[], KS_RW_ACCESS_DELETE_KEYNUM, super::zmpop::parse, docs!("Remove and return members with scores in a sorted set", "7.0.0", "sorted-set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "", "", &[])),
    spec!("zrandmember", -2, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, T_NDO, KS_RO_ACCESS, super::hrandfield::parse_zrandmember, docs!("Get one or multiple random elements from a sorted set", "6.2.0", "sorted-set", "O(N) where N is the number of elements returned", "", "", &[])),
    spec!("zscan", -3, F_READONLY, 1, 1, 1, A_READ_SORTEDSET_SLOW, T_NDO, KS_RO_ACCESS, super::hscan::parse_zscan, docs!("Incrementally iterate sorted sets elements and associated scores", "2.8.0", "sorted-set", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "", "", &[])),
    spec!("bzpopmin", -3, F_WRITE_NOSCRIPT_BLOCKING_FAST, 1, -2, 1, A_WRITE_SORTEDSET_FAST_BLOCKING, &[], KS_RW_ACCESS_DELETE_RANGE_2, super::bpop::parse_bzpopmin, docs!("Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "", "", &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])),
    spec!("bzpopmax", -3, F_WRITE_NOSCRIPT_BLOCKING_FAST, 1, -2, 1, A_WRITE_SORTEDSET_FAST_BLOCKING, &[], KS_RW_ACCESS_DELETE_RANGE_2, super::bpop::parse_bzpopmax, docs!("Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0", "sorted-set", "O(log(N)) with N being the number of elements in the sorted set.", "", "", &[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])),
    spec!("bzmpop", -5, F_WRITE_BLOCKING_MOVABLEKEYS, 0, 0, 0, A_WRITE_SORTEDSET_SLOW_BLOCKING, &[], KS_RW_ACCESS_DELETE_KEYNUM_2, super::bpop::parse_bzmpop, docs!("Remove and return members with scores in a sorted set or block until one is available", "7.0.0", "sorted-set", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", "", "", &[])),
    spec!("subscribe", -2, F_PUBSUB_NOSCRIPT_LOADING_STALE, 0, 0, 0, A_PUBSUB_SLOW, &[], &[], super::pubsub::parse_subscribe, docs!("Listen for messages published to the given channels", "2.0.0", "pubsub", "O(N) where N is the number of channels to subscribe to.", "", "", &[])),
    spec!("unsubscribe", -1, F_PUBSUB_NOSCRIPT_LOADING_STALE, 0, 0, 0, A_PUBSUB_SLOW, &[], &[], super::pubsub::parse_unsubscribe, docs!("Stop listening for messages posted to the given channels", "2.0.0", "pubsub", "O(N) where N is the number of clients already subscribed to a channel.", "", "", &[])),
    spec!("psubscribe", -2, F_PUBSUB_NOSCRIPT_LOADING_STALE, 0, 0, 0, A_PUBSUB_SLOW, &[], &[], super::pubsub::parse_psubscribe, docs!("Listen for messages published to channels matching the given patterns", "2.0.0", "pubsub", "O(N) where N is the number of patterns the client is already subscribed to.", "", "", &[])),
    spec!("punsubscribe", -1, F_PUBSUB_NOSCRIPT_LOADING_STALE, 0, 0, 0, A_PUBSUB_SLOW, &[], &[], super::pubsub::parse_punsubscribe, docs!("Stop listening for messages posted to channels matching the given patterns", "2.0.0", "pubsub", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).", "", "", &[])),
    spec!("publish", 3, F_PUBSUB_LOADING_STALE_FAST, 0, 0, 0, A_PUBSUB_FAST, &[], &[], super::pubsub::parse_publish, docs!("Post a message to a channel", "2.0.0", "pubsub", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).", "", "", &[])),
    spec!("ssubscribe", -2, F_PUBSUB_NOSCRIPT_LOADING_STALE, 1, -1, 1, A_PUBSUB_SLOW, &[], KS_NOT_KEY_ALL, super::pubsub::parse_ssubscribe, docs!("Listen for messages published to the given shard channels", "7.0.0", "pubsub", "O(N) where N is the number of shard channels to subscribe to.", "", "", &[])),
    spec!("sunsubscribe", -1, F_PUBSUB_NOSCRIPT_LOADING_STALE, 1, -1, 1, A_PUBSUB_SLOW, &[], KS_NOT_KEY_ALL, super::pubsub::parse_sunsubscribe, docs!("Stop listening for messages posted to the given shard channels", "7.0.0", "pubsub", "O(N) where N is the number of clients already subscribed to a shard channel.", "", "", &[])),
    spec!("spublish", 3, F_PUBSUB_LOADING_STALE_FAST, 1, 1, 1, A_PUBSUB_FAST, &[], KS_NOT_KEY, super::pubsub::parse_spublish, docs!("Post a message to a shard channel", "7.0.0", "pubsub", "O(N) where N is the number of clients subscribed to the receiving shard channel.", "", "", &[])),
    spec!("pubsub", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::pubsub::parse_pubsub, docs!("A container for Pub/Sub commands", "2.8.0", "pubsub", "Depends on subcommand.", "", "", &[])),
];

static BY_NAME: LazyLock<HashMap<&'static str, usize>> = LazyLock::new(|| {
    COMMANDS
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name, i))
        .collect()
});

/// Finds a command by name, case-insensitively, without allocating for names of normal length.
pub fn lookup(name: &[u8]) -> Option<&'static Spec> {
    lookup_index(name).map(|i| &COMMANDS[i])
}

/// [`lookup`], as a position in [`COMMANDS`].
fn lookup_index(name: &[u8]) -> Option<usize> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    BY_NAME.get(std::str::from_utf8(lower).ok()?).copied()
}

pub use super::subcommands::{SubSpec, subcommands};

/// Finds a command or a subcommand by Redis' full name (`get`, `config|get`), case-insensitively.
pub fn lookup_full(name: &[u8]) -> Option<(&'static Spec, Option<&'static SubSpec>)> {
    match name.iter().position(|&b| b == b'|') {
        None => lookup(name).map(|s| (s, None)),
        Some(bar) => {
            let spec = lookup(&name[..bar])?;
            let sub = subcommands(spec)
                .iter()
                .find(|s| s.name.as_bytes().eq_ignore_ascii_case(&name[bar + 1..]))?;
            Some((spec, Some(sub)))
        }
    }
}

/// A compact code for the command line `args` (CLIENT LIST's `cmd=`): 0 if the command is
/// unknown, else its table position plus one, shifted left 8 bits, plus its subcommand's position
/// plus one (0 if it has none or it is unknown).
pub fn command_code(args: &[Bytes]) -> u32 {
    let Some(index) = args.first().and_then(|n| lookup_index(n)) else {
        return 0;
    };
    let spec = &COMMANDS[index];
    let subs = subcommands(spec);
    let sub = match args.get(1) {
        Some(a) if !subs.is_empty() => subs
            .iter()
            .position(|s| s.name.as_bytes().eq_ignore_ascii_case(a))
            .map_or(0, |i| i + 1),
        _ => 0,
    };
    ((index as u32 + 1) << 8) | sub as u32
}

/// Does the command name `args[0]` have subcommands (so its code depends on `args[1]`)?
pub fn code_depends_on_subcommand(code: u32) -> bool {
    code_spec(code).is_some_and(|s| !subcommands(s).is_empty())
}

fn code_spec(code: u32) -> Option<&'static Spec> {
    COMMANDS.get(((code >> 8) as usize).checked_sub(1)?)
}

/// The name a [`command_code`] stands for, as CLIENT LIST prints it: `get`, `client|list`, or
/// `NULL` (no command yet).
pub fn command_name(code: u32) -> String {
    let Some(spec) = code_spec(code) else {
        return "NULL".into();
    };
    match ((code & 0xff) as usize)
        .checked_sub(1)
        .and_then(|i| subcommands(spec).get(i))
    {
        Some(sub) => format!("{}|{}", spec.name, sub.name),
        None => spec.name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn command_codes_round_trip() {
        assert_eq!(command_name(0), "NULL");
        assert_eq!(command_name(command_code(&args(&["GET", "k"]))), "get");
        assert_eq!(
            command_name(command_code(&args(&["Client", "LIST"]))),
            "client|list"
        );
        assert_eq!(command_name(command_code(&args(&["config"]))), "config");
        assert_eq!(command_code(&args(&["nosuch"])), 0);
        assert!(
            lookup_full(b"CONFIG|get")
                .is_some_and(|(s, sub)| s.name == "config" && sub.is_some_and(|s| s.name == "get"))
        );
        assert!(lookup_full(b"config|nosuch").is_none());
        for s in COMMANDS {
            let code = command_code(&args(&[s.name]));
            assert_eq!(command_name(code), s.name);
            assert!(doc(s.name).is_some(), "{}", s.name);
            for sub in subcommands(s) {
                assert!(doc(&format!("{}|{}", s.name, sub.name)).is_some());
            }
        }
    }
}
