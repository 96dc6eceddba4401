//! The subcommand rows of the command table (`table.rs`): CLIENT's, CONFIG's, COMMAND's,
//! FUNCTION's, SCRIPT's, OBJECT's, MEMORY's and PUBSUB's, each with its COMMAND INFO metadata
//! and COMMAND DOCS entry.

use super::docs::{Doc, docs};
use super::table::*;

/// One subcommand's entry (`client|list`), for COMMAND INFO and CLIENT LIST's `cmd=`. Only the
/// subcommands kvs implements are listed; their metadata is redis-server 7.0.15's (7.2's for
/// CLIENT SETINFO and CLIENT NO-TOUCH, which 7.0 lacks). Subcommands have no keys.
pub struct SubSpec {
    /// Lower-case subcommand name (without the parent's).
    pub name: &'static str,
    /// Redis arity of the whole command line (`CLIENT LIST` counts 2).
    pub arity: i32,
    /// COMMAND flags.
    pub flags: &'static [&'static str],
    /// ACL categories.
    pub acl: &'static [&'static str],
    /// Command tips.
    pub tips: &'static [&'static str],
    /// COMMAND DOCS.
    pub doc: Doc,
}

macro_rules! sub {
    ($name:literal, $arity:expr, $flags:expr, $acl:expr, $tips:expr, $doc:expr) => {
        SubSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            acl: $acl,
            tips: $tips,
            doc: $doc,
        }
    };
}

#[rustfmt::skip]
static CLIENT_SUBS: &[SubSpec] = &[
    sub!("id", 2, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Returns the client ID for the current connection", "5.0.0", "connection", "O(1)", "", "", &[])),
    sub!("setname", 3, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Set the current connection name", "2.6.9", "connection", "O(1)", "", "", &[])),
    sub!("getname", 2, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Get the current connection name", "2.6.9", "connection", "O(1)", "", "", &[])),
    sub!("setinfo", 4, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Sets information specific to the client or connection.", "7.2.0", "connection", "O(1)", "", "", &[])), // Redis 7.2
    sub!("list", -2, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, T_NDO, docs!("Get the list of client connections", "2.4.0", "connection", "O(N) where N is the number of client connections", "", "", &[("2.8.12", "Added unique client `id` field."), ("5.0.0", "Added optional `TYPE` filter."), ("6.0.0", "Added `user` field."), ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."), ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."), ("7.0.3", "Added `ssub` field.")])),
    sub!("info", 2, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, T_NDO, docs!("Returns information about the current client connection.", "6.2.0", "connection", "O(1)", "", "", &[])),
    sub!("kill", -3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, &[], docs!("Kill the connection of a client", "2.4.0", "connection", "O(N) where N is the number of client connections", "", "", &[("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."), ("3.2.0", "Added `master` type in for `TYPE` option."), ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."), ("6.2.0", "`LADDR` option.")])),
    sub!("unblock", -3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, &[], docs!("Unblock a client blocked in a blocking command from a different connection", "5.0.0", "connection", "O(log N) where N is the number of client connections", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Show helpful text about the different subcommands", "5.0.0", "connection", "O(1)", "", "", &[])),
    sub!("no-evict", 3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, &[], docs!("Set client eviction mode for the current connection", "7.0.0", "connection", "O(1)", "", "", &[])),
    sub!("no-touch", 3, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0", "connection", "O(1)", "", "", &[])), // Redis 7.2
    sub!("reply", 3, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Instruct the server whether to reply to commands", "3.2.0", "connection", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static CONFIG_SUBS: &[SubSpec] = &[
    sub!("get", -3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, &[], docs!("Get the values of configuration parameters", "2.0.0", "server", "O(N) when N is the number of configuration parameters provided", "", "", &[("7.0.0", "Added the ability to pass multiple pattern parameters in one call")])),
    sub!("set", -4, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, T_REQ_ALL_NODES_RES_ALL_SUCCEEDED, docs!("Set configuration parameters to the given values", "2.0.0", "server", "O(N) when N is the number of configuration parameters provided", "", "", &[("7.0.0", "Added the ability to set multiple parameters in one call.")])),
    sub!("resetstat", 2, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, &[], docs!("Reset the stats returned by INFO", "2.0.0", "server", "O(1)", "", "", &[])),
    sub!("rewrite", 2, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, &[], docs!("Rewrite the configuration file with the in memory configuration", "2.8.0", "server", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static COMMAND_SUBS: &[SubSpec] = &[
    sub!("count", 2, F_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Get total number of Redis commands", "2.8.13", "server", "O(1)", "", "", &[])),
    sub!("info", -2, F_LOADING_STALE, A_SLOW_CONNECTION, T_NDOO, docs!("Get array of specific Redis command details, or all when no argument is given.", "2.8.13", "server", "O(N) where N is the number of commands to look up", "", "", &[("7.0.0", "Allowed to be called with no argument to get info on all commands.")])),
    sub!("docs", -2, F_LOADING_STALE, A_SLOW_CONNECTION, T_NDOO, docs!("Get array of specific Redis command documentation", "7.0.0", "server", "O(N) where N is the number of commands to look up", "", "", &[])),
    sub!("list", -2, F_LOADING_STALE, A_SLOW_CONNECTION, T_NDOO, docs!("Get an array of Redis command names", "7.0.0", "server", "O(N) where N is the total number of Redis commands", "", "", &[])),
    sub!("getkeys", -4, F_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Extract keys given a full Redis command", "2.8.13", "server", "O(N) where N is the number of arguments to the command", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_CONNECTION, &[], docs!("Show helpful text about the different subcommands", "5.0.0", "server", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static FUNCTION_SUBS: &[SubSpec] = &[
    sub!("flush", -2, F_WRITE_NOSCRIPT, A_WRITE_SLOW_SCRIPTING, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, docs!("Deleting all functions", "7.0.0", "scripting", "O(N) where N is the number of functions deleted", "", "", &[])),
    sub!("list", -2, F_NOSCRIPT, A_SLOW_SCRIPTING, T_NDOO, docs!("List information about all the functions", "7.0.0", "scripting", "O(N) where N is the number of functions", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_SCRIPTING, &[], docs!("Show helpful text about the different subcommands", "7.0.0", "scripting", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static SCRIPT_SUBS: &[SubSpec] = &[
    sub!("flush", -2, F_NOSCRIPT, A_SLOW_SCRIPTING, T_REQ_ALL_NODES_RES_ALL_SUCCEEDED, docs!("Remove all the scripts from the script cache.", "2.6.0", "scripting", "O(N) with N being the number of scripts in cache", "", "", &[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")])),
    sub!("exists", -3, F_NOSCRIPT, A_SLOW_SCRIPTING, T_REQ_ALL_SHARDS_RES_AGG_LOGICAL_AND, docs!("Check existence of scripts in the script cache.", "2.6.0", "scripting", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_SCRIPTING, &[], docs!("Show helpful text about the different subcommands", "5.0.0", "scripting", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static OBJECT_SUBS: &[SubSpec] = &[
    sub!("encoding", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO, docs!("Inspect the internal encoding of a Redis object", "2.2.3", "generic", "O(1)", "", "", &[])),
    sub!("refcount", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO, docs!("Get the number of references to the value of the key", "2.2.3", "generic", "O(1)", "", "", &[])),
    sub!("idletime", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO, docs!("Get the time since a Redis object was last accessed", "2.2.3", "generic", "O(1)", "", "", &[])),
    sub!("freq", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO, docs!("Get the logarithmic access frequency counter of a Redis object", "4.0.0", "generic", "O(1)", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_KEYSPACE_SLOW, &[], docs!("Show helpful text about the different subcommands", "6.2.0", "generic", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static MEMORY_SUBS: &[SubSpec] = &[
    sub!("usage", -3, F_READONLY, A_READ_SLOW, &[], docs!("Estimate the memory usage of a key", "4.0.0", "server", "O(N) where N is the number of samples.", "", "", &[])),
    sub!("purge", 2, &[], A_SLOW, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, docs!("Ask the allocator to release memory", "4.0.0", "server", "Depends on how much memory is allocated, could be slow", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_SLOW, &[], docs!("Show helpful text about the different subcommands", "4.0.0", "server", "O(1)", "", "", &[])),
];

#[rustfmt::skip]
static PUBSUB_SUBS: &[SubSpec] = &[
    sub!("channels", -2, F_PUBSUB_LOADING_STALE, A_PUBSUB_SLOW, &[], docs!("List active channels", "2.8.0", "pubsub", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", "", "", &[])),
    sub!("numsub", -2, F_PUBSUB_LOADING_STALE, A_PUBSUB_SLOW, &[], docs!("Get the count of subscribers for channels", "2.8.0", "pubsub", "O(N) for the NUMSUB subcommand, where N is the number of requested channels", "", "", &[])),
    sub!("numpat", 2, F_PUBSUB_LOADING_STALE, A_PUBSUB_SLOW, &[], docs!("Get the count of unique patterns pattern subscriptions", "2.8.0", "pubsub", "O(1)", "", "", &[])),
    sub!("shardchannels", -2, F_PUBSUB_LOADING_STALE, A_PUBSUB_SLOW, &[], docs!("List active shard channels", "7.0.0", "pubsub", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", "", "", &[])),
    sub!("shardnumsub", -2, F_PUBSUB_LOADING_STALE, A_PUBSUB_SLOW, &[], docs!("Get the count of subscribers for shard channels", "7.0.0", "pubsub", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", "", "", &[])),
    sub!("help", 2, F_LOADING_STALE, A_SLOW, &[], docs!("Show helpful text about the different subcommands", "6.2.0", "pubsub", "O(1)", "", "", &[])),
];

/// The subcommands of `spec` (empty for commands without any).
pub fn subcommands(spec: &Spec) -> &'static [SubSpec] {
    match spec.name {
        "client" => CLIENT_SUBS,
        "config" => CONFIG_SUBS,
        "command" => COMMAND_SUBS,
        "function" => FUNCTION_SUBS,
        "script" => SCRIPT_SUBS,
        "object" => OBJECT_SUBS,
        "memory" => MEMORY_SUBS,
        "pubsub" => PUBSUB_SUBS,
        _ => &[],
    }
}
