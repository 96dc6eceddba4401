//! The command table: name, arity (Redis convention: negative = at least that many), flags and
//! key positions (for COMMAND), and the parser.

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;

use super::Cmd;

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

const fn key_spec(
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

const fn keynum_spec(
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

// Flags (F_), ACL categories (A_), tips (T_: NDO nondeterministic_output, NDOO
// nondeterministic_output_order, REQ_ request_policy, RES_ response_policy) and key specs (KS_).
const F_FAST: &[&str] = &["fast"];
const A_FAST_CONNECTION: &[&str] = &["@fast", "@connection"];
const T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED: &[&str] =
    &["request_policy:all_shards", "response_policy:all_succeeded"];
const F_LOADING_STALE_FAST: &[&str] = &["loading", "stale", "fast"];
const F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY: &[&str] = &[
    "noscript",
    "loading",
    "stale",
    "fast",
    "no_auth",
    "allow_busy",
];
const A_SLOW: &[&str] = &["@slow"];
const A_FAST: &[&str] = &["@fast"];
const T_NDO: &[&str] = &["nondeterministic_output"];
const A_ADMIN_FAST_DANGEROUS: &[&str] = &["@admin", "@fast", "@dangerous"];
const F_LOADING_STALE: &[&str] = &["loading", "stale"];
const A_SLOW_CONNECTION: &[&str] = &["@slow", "@connection"];
const T_NDOO: &[&str] = &["nondeterministic_output_order"];
const A_SLOW_DANGEROUS: &[&str] = &["@slow", "@dangerous"];
const T_NDO_REQ_ALL_SHARDS_RES_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];
const F_READONLY_FAST: &[&str] = &["readonly", "fast"];
const A_KEYSPACE_READ_FAST: &[&str] = &["@keyspace", "@read", "@fast"];
const T_REQ_ALL_SHARDS_RES_AGG_SUM: &[&str] =
    &["request_policy:all_shards", "response_policy:agg_sum"];
const F_WRITE: &[&str] = &["write"];
const A_KEYSPACE_WRITE_SLOW_DANGEROUS: &[&str] = &["@keyspace", "@write", "@slow", "@dangerous"];
const F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING_NO_MULTI: &[&str] =
    &["admin", "noscript", "no_async_loading", "no_multi"];
const A_ADMIN_SLOW_DANGEROUS: &[&str] = &["@admin", "@slow", "@dangerous"];
const F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING: &[&str] = &["admin", "noscript", "no_async_loading"];
const F_ADMIN_NOSCRIPT_LOADING_STALE_NO_MULTI_ALLOW_BUSY: &[&str] = &[
    "admin",
    "noscript",
    "loading",
    "stale",
    "no_multi",
    "allow_busy",
];
const A_READ_STRING_FAST: &[&str] = &["@read", "@string", "@fast"];
const F_WRITE_DENYOOM: &[&str] = &["write", "denyoom"];
const A_WRITE_STRING_SLOW: &[&str] = &["@write", "@string", "@slow"];
const F_WRITE_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
const A_WRITE_STRING_FAST: &[&str] = &["@write", "@string", "@fast"];
const F_WRITE_FAST: &[&str] = &["write", "fast"];
const T_REQ_MULTI_SHARD: &[&str] = &["request_policy:multi_shard"];
const T_REQ_MULTI_SHARD_RES_ALL_SUCCEEDED: &[&str] = &[
    "request_policy:multi_shard",
    "response_policy:all_succeeded",
];
const T_REQ_MULTI_SHARD_RES_AGG_MIN: &[&str] =
    &["request_policy:multi_shard", "response_policy:agg_min"];
const F_READONLY: &[&str] = &["readonly"];
const A_READ_STRING_SLOW: &[&str] = &["@read", "@string", "@slow"];
const A_KEYSPACE_WRITE_SLOW: &[&str] = &["@keyspace", "@write", "@slow"];
const T_REQ_MULTI_SHARD_RES_AGG_SUM: &[&str] =
    &["request_policy:multi_shard", "response_policy:agg_sum"];
const A_KEYSPACE_WRITE_FAST: &[&str] = &["@keyspace", "@write", "@fast"];
const A_KEYSPACE_READ_SLOW_DANGEROUS: &[&str] = &["@keyspace", "@read", "@slow", "@dangerous"];
const T_REQ_ALL_SHARDS_NDOO: &[&str] =
    &["request_policy:all_shards", "nondeterministic_output_order"];
const A_KEYSPACE_READ_SLOW: &[&str] = &["@keyspace", "@read", "@slow"];
const T_NDO_REQ_SPECIAL: &[&str] = &["nondeterministic_output", "request_policy:special"];
const T_REQ_ALL_SHARDS_NDO: &[&str] = &["request_policy:all_shards", "nondeterministic_output"];
const F_WRITE_NOSCRIPT: &[&str] = &["write", "noscript"];
const F_NOSCRIPT: &[&str] = &["noscript"];
const A_WRITE_SLOW_SCRIPTING: &[&str] = &["@write", "@slow", "@scripting"];
const A_SLOW_SCRIPTING: &[&str] = &["@slow", "@scripting"];
const T_REQ_ALL_SHARDS_RES_AGG_LOGICAL_AND: &[&str] = &[
    "request_policy:all_shards",
    "response_policy:agg_logical_and",
];
const KS_RO_ACCESS: &[KeySpec] = &[key_spec("", &["RO", "access"], 1, 0, 1, 0)];
const KS_SET: &[KeySpec] = &[key_spec(
    "RW and ACCESS due to the optional `GET` argument",
    &["RW", "access", "update", "variable_flags"],
    1,
    0,
    1,
    0,
)];
const KS_OW_INSERT: &[KeySpec] = &[key_spec("", &["OW", "insert"], 1, 0, 1, 0)];
const KS_OW_UPDATE: &[KeySpec] = &[key_spec("", &["OW", "update"], 1, 0, 1, 0)];
const KS_RW_ACCESS_UPDATE: &[KeySpec] = &[key_spec("", &["RW", "access", "update"], 1, 0, 1, 0)];
const KS_RW_ACCESS_DELETE: &[KeySpec] = &[key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0)];
const KS_GETEX: &[KeySpec] = &[key_spec(
    "RW and UPDATE because it changes the TTL",
    &["RW", "access", "update"],
    1,
    0,
    1,
    0,
)];
const KS_RO_ACCESS_ALL: &[KeySpec] = &[key_spec("", &["RO", "access"], 1, -1, 1, 0)];
const KS_OW_UPDATE_ALL_STEP2: &[KeySpec] = &[key_spec("", &["OW", "update"], 1, -1, 2, 0)];
const KS_OW_INSERT_ALL_STEP2: &[KeySpec] = &[key_spec("", &["OW", "insert"], 1, -1, 2, 0)];
const KS_RW_INSERT: &[KeySpec] = &[key_spec("", &["RW", "insert"], 1, 0, 1, 0)];
const KS_RO: &[KeySpec] = &[key_spec("", &["RO"], 1, 0, 1, 0)];
const KS_RW_UPDATE: &[KeySpec] = &[key_spec("", &["RW", "update"], 1, 0, 1, 0)];
const KS_RM_DELETE_ALL: &[KeySpec] = &[key_spec("", &["RM", "delete"], 1, -1, 1, 0)];
const KS_RO_ALL: &[KeySpec] = &[key_spec("", &["RO"], 1, -1, 1, 0)];
const KS_RW_ACCESS_DELETE__OW_UPDATE: &[KeySpec] = &[
    key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0),
    key_spec("", &["OW", "update"], 2, 0, 1, 0),
];
const KS_RW_ACCESS_DELETE__OW_INSERT: &[KeySpec] = &[
    key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0),
    key_spec("", &["OW", "insert"], 2, 0, 1, 0),
];
const A_WRITE_BITMAP_SLOW: &[&str] = &["@write", "@bitmap", "@slow"];
const A_READ_BITMAP_FAST: &[&str] = &["@read", "@bitmap", "@fast"];
const F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY: &[&str] =
    &["noscript", "loading", "stale", "fast", "allow_busy"];
const F_NOSCRIPT_LOADING_STALE_SKIP_SLOWLOG: &[&str] =
    &["noscript", "loading", "stale", "skip_slowlog"];
const A_WRITE_HASH_FAST: &[&str] = &["@write", "@hash", "@fast"];
const A_READ_HASH_FAST: &[&str] = &["@read", "@hash", "@fast"];
const A_READ_HASH_SLOW: &[&str] = &["@read", "@hash", "@slow"];
const A_WRITE_SET_FAST: &[&str] = &["@write", "@set", "@fast"];
const A_READ_SET_FAST: &[&str] = &["@read", "@set", "@fast"];
const A_READ_SET_SLOW: &[&str] = &["@read", "@set", "@slow"];
const KS_RW_DELETE: &[KeySpec] = &[key_spec("", &["RW", "delete"], 1, 0, 1, 0)];
const A_FAST_TRANSACTION: &[&str] = &["@fast", "@transaction"];
const A_SLOW_TRANSACTION: &[&str] = &["@slow", "@transaction"];
const KS_RO_ACCESS_ALL_1: &[KeySpec] = &[key_spec("", &["RO", "access"], 1, 1, 1, 0)];
const KS_RO_ACCESS__OW_UPDATE: &[KeySpec] = &[
    key_spec("", &["RO", "access"], 1, 0, 1, 0),
    key_spec("", &["OW", "update"], 2, 0, 1, 0),
];
const F_NOSCRIPT_LOADING_STALE: &[&str] = &["noscript", "loading", "stale"];
const F_ADMIN_NOSCRIPT_LOADING_STALE: &[&str] = &["admin", "noscript", "loading", "stale"];
const A_ADMIN_SLOW_DANGEROUS_CONNECTION: &[&str] =
    &["@admin", "@slow", "@dangerous", "@connection"];
const T_REQ_ALL_NODES_RES_ALL_SUCCEEDED: &[&str] =
    &["request_policy:all_nodes", "response_policy:all_succeeded"];
const F_READONLY_MOVABLEKEYS: &[&str] = &["readonly", "movablekeys"];
const A_WRITE_SET_SLOW: &[&str] = &["@write", "@set", "@slow"];
const KS_RW_ACCESS_DELETE__RW_INSERT: &[KeySpec] = &[
    key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0),
    key_spec("", &["RW", "insert"], 2, 0, 1, 0),
];
const KS_RO_ACCESS_KEYNUM: &[KeySpec] = &[keynum_spec(&["RO", "access"], 1, 0, 1, 1)];
const KS_RW_UPDATE__RO_ACCESS_ALL: &[KeySpec] = &[
    key_spec("", &["RW", "update"], 1, 0, 1, 0),
    key_spec("", &["RO", "access"], 2, -1, 1, 0),
];
const KS_OW_UPDATE__RO_ACCESS_ALL: &[KeySpec] = &[
    key_spec("", &["OW", "update"], 1, 0, 1, 0),
    key_spec("", &["RO", "access"], 2, -1, 1, 0),
];

macro_rules! spec {
    (
        $name:literal, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr,
        $acl:expr, $tips:expr, $keys:expr, $parse:expr
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
        }
    };
}

/// Every command the server knows.
#[rustfmt::skip]
pub static COMMANDS: &[Spec] = &[
    spec!("ping", -1, F_FAST, 0, 0, 0, A_FAST_CONNECTION, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, &[], super::connection::parse_ping),
    spec!("echo", 2, F_LOADING_STALE_FAST, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_echo),
    spec!("hello", -1, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::hello::parse),
    spec!("auth", -2, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_auth),
    spec!("select", 2, F_LOADING_STALE_FAST, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_select),
    spec!("quit", -1, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_quit),
    spec!("reset", 1, F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY, 0, 0, 0, A_FAST_CONNECTION, &[], &[], super::connection::parse_reset),
    spec!("client", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::client::parse),
    spec!("time", 1, F_LOADING_STALE_FAST, 0, 0, 0, A_FAST, T_NDO, &[], super::connection::parse_time),
    spec!("lastsave", 1, F_LOADING_STALE_FAST, 0, 0, 0, A_ADMIN_FAST_DANGEROUS, T_NDO, &[], super::connection::parse_lastsave),
    spec!("command", -1, F_LOADING_STALE, 0, 0, 0, A_SLOW_CONNECTION, T_NDOO, &[], super::command::parse),
    spec!("config", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::config::parse),
    spec!("info", -1, F_LOADING_STALE, 0, 0, 0, A_SLOW_DANGEROUS, T_NDO_REQ_ALL_SHARDS_RES_SPECIAL, &[], super::info::parse),
    spec!("dbsize", 1, F_READONLY_FAST, 0, 0, 0, A_KEYSPACE_READ_FAST, T_REQ_ALL_SHARDS_RES_AGG_SUM, &[], super::server::parse_dbsize),
    spec!("flushall", -1, F_WRITE, 0, 0, 0, A_KEYSPACE_WRITE_SLOW_DANGEROUS, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, &[], super::server::parse_flush),
    spec!("flushdb", -1, F_WRITE, 0, 0, 0, A_KEYSPACE_WRITE_SLOW_DANGEROUS, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED, &[], super::server::parse_flush),
    spec!("save", 1, F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING_NO_MULTI, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_save),
    spec!("bgsave", -1, F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_bgsave),
    spec!("bgrewriteaof", 1, F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_bgrewriteaof),
    spec!("shutdown", -1, F_ADMIN_NOSCRIPT_LOADING_STALE_NO_MULTI_ALLOW_BUSY, 0, 0, 0, A_ADMIN_SLOW_DANGEROUS, &[], &[], super::server::parse_shutdown),
    spec!("get", 2, F_READONLY_FAST, 1, 1, 1, A_READ_STRING_FAST, &[], KS_RO_ACCESS, super::get::parse),
    spec!("set", -3, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_SET, super::set::parse_set),
    spec!("setnx", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_OW_INSERT, super::set::parse_setnx),
    spec!("setex", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_OW_UPDATE, super::set::parse_setex),
    spec!("psetex", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_OW_UPDATE, super::set::parse_psetex),
    spec!("getset", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::getset::parse),
    spec!("getdel", 2, F_WRITE_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_DELETE, super::getdel::parse),
    spec!("getex", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_GETEX, super::getex::parse),
    spec!("mget", -2, F_READONLY_FAST, 1, -1, 1, A_READ_STRING_FAST, T_REQ_MULTI_SHARD, KS_RO_ACCESS_ALL, super::mget::parse),
    spec!("mset", -3, F_WRITE_DENYOOM, 1, -1, 2, A_WRITE_STRING_SLOW, T_REQ_MULTI_SHARD_RES_ALL_SUCCEEDED, KS_OW_UPDATE_ALL_STEP2, super::mset::parse_mset),
    spec!("msetnx", -3, F_WRITE_DENYOOM, 1, -1, 2, A_WRITE_STRING_SLOW, T_REQ_MULTI_SHARD_RES_AGG_MIN, KS_OW_INSERT_ALL_STEP2, super::mset::parse_msetnx),
    spec!("incr", 2, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_incr),
    spec!("decr", 2, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_decr),
    spec!("incrby", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_incrby),
    spec!("decrby", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incr::parse_decrby),
    spec!("incrbyfloat", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_ACCESS_UPDATE, super::incrbyfloat::parse),
    spec!("append", 3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_STRING_FAST, &[], KS_RW_INSERT, super::append::parse),
    spec!("strlen", 2, F_READONLY_FAST, 1, 1, 1, A_READ_STRING_FAST, &[], KS_RO, super::strlen::parse),
    spec!("getrange", 4, F_READONLY, 1, 1, 1, A_READ_STRING_SLOW, &[], KS_RO_ACCESS, super::getrange::parse),
    spec!("substr", 4, F_READONLY, 1, 1, 1, A_READ_STRING_SLOW, &[], KS_RO_ACCESS, super::getrange::parse),
    spec!("setrange", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_STRING_SLOW, &[], KS_RW_UPDATE, super::setrange::parse),
    spec!("del", -2, F_WRITE, 1, -1, 1, A_KEYSPACE_WRITE_SLOW, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RM_DELETE_ALL, super::del::parse),
    spec!("unlink", -2, F_WRITE_FAST, 1, -1, 1, A_KEYSPACE_WRITE_FAST, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RM_DELETE_ALL, super::del::parse),
    spec!("exists", -2, F_READONLY_FAST, 1, -1, 1, A_KEYSPACE_READ_FAST, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RO_ALL, super::exists::parse),
    spec!("touch", -2, F_READONLY_FAST, 1, -1, 1, A_KEYSPACE_READ_FAST, T_REQ_MULTI_SHARD_RES_AGG_SUM, KS_RO_ALL, super::exists::parse),
    spec!("type", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, &[], KS_RO, super::type_::parse),
    spec!("expire", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_expire),
    spec!("pexpire", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_pexpire),
    spec!("expireat", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_expireat),
    spec!("pexpireat", -3, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_pexpireat),
    spec!("persist", 2, F_WRITE_FAST, 1, 1, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_UPDATE, super::expire::parse_persist),
    spec!("ttl", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, T_NDO, KS_RO_ACCESS, super::ttl::parse_ttl),
    spec!("pttl", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, T_NDO, KS_RO_ACCESS, super::ttl::parse_pttl),
    spec!("expiretime", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, &[], KS_RO_ACCESS, super::ttl::parse_expiretime),
    spec!("pexpiretime", 2, F_READONLY_FAST, 1, 1, 1, A_KEYSPACE_READ_FAST, &[], KS_RO_ACCESS, super::ttl::parse_pexpiretime),
    spec!("keys", 2, F_READONLY, 0, 0, 0, A_KEYSPACE_READ_SLOW_DANGEROUS, T_REQ_ALL_SHARDS_NDOO, &[], super::keys::parse),
    spec!("scan", -2, F_READONLY, 0, 0, 0, A_KEYSPACE_READ_SLOW, T_NDO_REQ_SPECIAL, &[], super::scan::parse),
    spec!("randomkey", 1, F_READONLY, 0, 0, 0, A_KEYSPACE_READ_SLOW, T_REQ_ALL_SHARDS_NDO, &[], super::randomkey::parse),
    spec!("rename", 3, F_WRITE, 1, 2, 1, A_KEYSPACE_WRITE_SLOW, &[], KS_RW_ACCESS_DELETE__OW_UPDATE, super::rename::parse_rename),
    spec!("multi", 1, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 0, 0, 0, A_FAST_TRANSACTION, &[], &[], super::multi::parse_multi),
    spec!("exec", 1, F_NOSCRIPT_LOADING_STALE_SKIP_SLOWLOG, 0, 0, 0, A_SLOW_TRANSACTION, &[], &[], super::multi::parse_exec),
    spec!("discard", 1, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 0, 0, 0, A_FAST_TRANSACTION, &[], &[], super::multi::parse_discard),
    spec!("watch", -2, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 1, -1, 1, A_FAST_TRANSACTION, &[], KS_RO_ALL, super::multi::parse_watch),
    spec!("unwatch", 1, F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY, 0, 0, 0, A_FAST_TRANSACTION, &[], &[], super::multi::parse_unwatch),
    spec!("hset", -4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_UPDATE, super::hset::parse_hset),
    spec!("hmset", -4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_UPDATE, super::hset::parse_hmset),
    spec!("hsetnx", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_INSERT, super::hset::parse_hsetnx),
    spec!("hget", 3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO_ACCESS, super::hget::parse_hget),
    spec!("hmget", -3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO_ACCESS, super::hget::parse_hmget),
    spec!("hexists", 3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO, super::hget::parse_hexists),
    spec!("hstrlen", 3, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO, super::hget::parse_hstrlen),
    spec!("hgetall", 2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDOO, KS_RO_ACCESS, super::hgetall::parse_hgetall),
    spec!("hkeys", 2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDOO, KS_RO_ACCESS, super::hgetall::parse_hkeys),
    spec!("hvals", 2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDOO, KS_RO_ACCESS, super::hgetall::parse_hvals),
    spec!("hlen", 2, F_READONLY_FAST, 1, 1, 1, A_READ_HASH_FAST, &[], KS_RO, super::hgetall::parse_hlen),
    spec!("hdel", -3, F_WRITE_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_DELETE, super::hdel::parse),
    spec!("hincrby", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_ACCESS_UPDATE, super::hincrby::parse_hincrby),
    spec!("hincrbyfloat", 4, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_HASH_FAST, &[], KS_RW_ACCESS_UPDATE, super::hincrby::parse_hincrbyfloat),
    spec!("hrandfield", -2, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDO, KS_RO_ACCESS, super::hrandfield::parse),
    spec!("hscan", -3, F_READONLY, 1, 1, 1, A_READ_HASH_SLOW, T_NDO, KS_RO_ACCESS, super::hscan::parse),
    spec!("sadd", -3, F_WRITE_DENYOOM_FAST, 1, 1, 1, A_WRITE_SET_FAST, &[], KS_RW_INSERT, super::sadd::parse_sadd),
    spec!("srem", -3, F_WRITE_FAST, 1, 1, 1, A_WRITE_SET_FAST, &[], KS_RW_DELETE, super::sadd::parse_srem),
    spec!("smembers", 2, F_READONLY, 1, 1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS, super::smembers::parse_smembers),
    spec!("scard", 2, F_READONLY_FAST, 1, 1, 1, A_READ_SET_FAST, &[], KS_RO, super::smembers::parse_scard),
    spec!("sismember", 3, F_READONLY_FAST, 1, 1, 1, A_READ_SET_FAST, &[], KS_RO, super::sismember::parse_sismember),
    spec!("smismember", -3, F_READONLY_FAST, 1, 1, 1, A_READ_SET_FAST, &[], KS_RO_ACCESS, super::sismember::parse_smismember),
    spec!("object", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::object::parse),
    spec!("memory", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::memory::parse),
    spec!("spop", -2, F_WRITE_FAST, 1, 1, 1, A_WRITE_SET_FAST, T_NDO, KS_RW_ACCESS_DELETE, super::spop::parse),
    spec!("srandmember", -2, F_READONLY, 1, 1, 1, A_READ_SET_SLOW, T_NDO, KS_RO_ACCESS, super::srandmember::parse),
    spec!("smove", 4, F_WRITE_FAST, 1, 2, 1, A_WRITE_SET_FAST, &[], KS_RW_ACCESS_DELETE__RW_INSERT, super::smove::parse),
    spec!("sinter", -2, F_READONLY, 1, -1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS_ALL, super::setops::parse_sinter),
    spec!("sintercard", -3, F_READONLY_MOVABLEKEYS, 0, 0, 0, A_READ_SET_SLOW, &[], KS_RO_ACCESS_KEYNUM, super::setops::parse_sintercard),
    spec!("sinterstore", -3, F_WRITE_DENYOOM, 1, -1, 1, A_WRITE_SET_SLOW, &[], KS_RW_UPDATE__RO_ACCESS_ALL, super::setops::parse_sinterstore),
    spec!("sunion", -2, F_READONLY, 1, -1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS_ALL, super::setops::parse_sunion),
    spec!("sunionstore", -3, F_WRITE_DENYOOM, 1, -1, 1, A_WRITE_SET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_ALL, super::setops::parse_sunionstore),
    spec!("sdiff", -2, F_READONLY, 1, -1, 1, A_READ_SET_SLOW, T_NDOO, KS_RO_ACCESS_ALL, super::setops::parse_sdiff),
    spec!("sdiffstore", -3, F_WRITE_DENYOOM, 1, -1, 1, A_WRITE_SET_SLOW, &[], KS_OW_UPDATE__RO_ACCESS_ALL, super::setops::parse_sdiffstore),
    spec!("sscan", -3, F_READONLY, 1, 1, 1, A_READ_SET_SLOW, T_NDO, KS_RO_ACCESS, super::sscan::parse),
    spec!("function", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::scripting::parse_function),
    spec!("script", -2, &[], 0, 0, 0, A_SLOW, &[], &[], super::scripting::parse_script),
    spec!("renamenx", 3, F_WRITE_FAST, 1, 2, 1, A_KEYSPACE_WRITE_FAST, &[], KS_RW_ACCESS_DELETE__OW_INSERT, super::rename::parse_renamenx),
    spec!("copy", -3, F_WRITE_DENYOOM, 1, 2, 1, A_KEYSPACE_WRITE_SLOW, &[], KS_RO_ACCESS__OW_UPDATE, super::copy::parse),
    spec!("setbit", 4, F_WRITE_DENYOOM, 1, 1, 1, A_WRITE_BITMAP_SLOW, &[], KS_RW_ACCESS_UPDATE, super::setbit::parse),
    spec!("getbit", 3, F_READONLY_FAST, 1, 1, 1, A_READ_BITMAP_FAST, &[], KS_RO_ACCESS, super::getbit::parse),
    spec!("lcs", -3, F_READONLY, 1, 2, 1, A_READ_STRING_SLOW, &[], KS_RO_ACCESS_ALL_1, super::lcs::parse),
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
}

macro_rules! sub {
    ($name:literal, $arity:expr, $flags:expr, $acl:expr, $tips:expr) => {
        SubSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
            acl: $acl,
            tips: $tips,
        }
    };
}

#[rustfmt::skip]
static CLIENT_SUBS: &[SubSpec] = &[
    sub!("id", 2, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[]),
    sub!("setname", 3, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[]),
    sub!("getname", 2, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[]),
    sub!("setinfo", 4, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[]), // Redis 7.2
    sub!("list", -2, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, T_NDO),
    sub!("info", 2, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, T_NDO),
    sub!("kill", -3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, &[]),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_CONNECTION, &[]),
    sub!("no-evict", 3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS_CONNECTION, &[]),
    sub!("no-touch", 3, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[]), // Redis 7.2
    sub!("reply", 3, F_NOSCRIPT_LOADING_STALE, A_SLOW_CONNECTION, &[]),
];

#[rustfmt::skip]
static CONFIG_SUBS: &[SubSpec] = &[
    sub!("get", -3, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, &[]),
    sub!("set", -4, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, T_REQ_ALL_NODES_RES_ALL_SUCCEEDED),
    sub!("resetstat", 2, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, &[]),
    sub!("rewrite", 2, F_ADMIN_NOSCRIPT_LOADING_STALE, A_ADMIN_SLOW_DANGEROUS, &[]),
];

#[rustfmt::skip]
static COMMAND_SUBS: &[SubSpec] = &[
    sub!("count", 2, F_LOADING_STALE, A_SLOW_CONNECTION, &[]),
    sub!("info", -2, F_LOADING_STALE, A_SLOW_CONNECTION, T_NDOO),
    sub!("docs", -2, F_LOADING_STALE, A_SLOW_CONNECTION, T_NDOO),
    sub!("list", -2, F_LOADING_STALE, A_SLOW_CONNECTION, T_NDOO),
    sub!("getkeys", -4, F_LOADING_STALE, A_SLOW_CONNECTION, &[]),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_CONNECTION, &[]),
];

#[rustfmt::skip]
static FUNCTION_SUBS: &[SubSpec] = &[
    sub!("flush", -2, F_WRITE_NOSCRIPT, A_WRITE_SLOW_SCRIPTING, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED),
    sub!("list", -2, F_NOSCRIPT, A_SLOW_SCRIPTING, T_NDOO),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_SCRIPTING, &[]),
];

#[rustfmt::skip]
static SCRIPT_SUBS: &[SubSpec] = &[
    sub!("flush", -2, F_NOSCRIPT, A_SLOW_SCRIPTING, T_REQ_ALL_NODES_RES_ALL_SUCCEEDED),
    sub!("exists", -3, F_NOSCRIPT, A_SLOW_SCRIPTING, T_REQ_ALL_SHARDS_RES_AGG_LOGICAL_AND),
    sub!("help", 2, F_LOADING_STALE, A_SLOW_SCRIPTING, &[]),
];

const A_KEYSPACE_SLOW: &[&str] = &["@keyspace", "@slow"];

#[rustfmt::skip]
static OBJECT_SUBS: &[SubSpec] = &[
    sub!("encoding", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO),
    sub!("refcount", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO),
    sub!("idletime", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO),
    sub!("freq", 3, F_READONLY, A_KEYSPACE_READ_SLOW, T_NDO),
    sub!("help", 2, F_LOADING_STALE, A_KEYSPACE_SLOW, &[]),
];

const A_READ_SLOW: &[&str] = &["@read", "@slow"];

#[rustfmt::skip]
static MEMORY_SUBS: &[SubSpec] = &[
    sub!("usage", -3, F_READONLY, A_READ_SLOW, &[]),
    sub!("purge", 2, &[], A_SLOW, T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED),
    sub!("help", 2, F_LOADING_STALE, A_SLOW, &[]),
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
        _ => &[],
    }
}

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

/// A command's (or subcommand's) COMMAND DOCS entry: redis-server 7.0.15's summary, since,
/// group, complexity, deprecation and history (7.2's for CLIENT SETINFO and NO-TOUCH). The
/// arguments are not given.
pub struct Doc {
    /// Full name (`get`, `config|get`).
    pub name: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// Version it appeared in.
    pub since: &'static str,
    /// Command group (`string`, `connection`, ...).
    pub group: &'static str,
    /// Time complexity.
    pub complexity: &'static str,
    /// Version it was deprecated in ("" if it is not: then there are no `doc_flags`).
    pub deprecated_since: &'static str,
    /// What replaces it ("" if nothing).
    pub replaced_by: &'static str,
    /// (version, change) pairs.
    pub history: &'static [(&'static str, &'static str)],
}

macro_rules! doc {
    ($name:literal, $summary:literal, $since:literal, $group:literal, $complexity:literal,
     $deprecated:literal, $replaced:literal, $history:expr) => {
        Doc {
            name: $name,
            summary: $summary,
            since: $since,
            group: $group,
            complexity: $complexity,
            deprecated_since: $deprecated,
            replaced_by: $replaced,
            history: $history,
        }
    };
}

#[rustfmt::skip]
static DOCS: &[Doc] = &[
    doc!("ping", "Ping the server", "1.0.0", "connection", "O(1)", "", "", &[]),
    doc!("echo", "Echo the given string", "1.0.0", "connection", "O(1)", "", "", &[]),
    doc!("hello", "Handshake with Redis", "6.0.0", "connection", "O(1)", "", "", &[("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context.")]),
    doc!("auth", "Authenticate to the server", "1.0.0", "connection", "O(N) where N is the number of passwords defined for the user", "", "", &[("6.0.0", "Added ACL style (username and password).")]),
    doc!("select", "Change the selected database for the current connection", "1.0.0", "connection", "O(1)", "", "", &[]),
    doc!("quit", "Close the connection", "1.0.0", "connection", "O(1)", "", "", &[]),
    doc!("reset", "Reset the connection", "6.2.0", "connection", "O(1)", "", "", &[]),
    doc!("client", "A container for client connection commands", "2.4.0", "connection", "Depends on subcommand.", "", "", &[]),
    doc!("client|id", "Returns the client ID for the current connection", "5.0.0", "connection", "O(1)", "", "", &[]),
    doc!("client|setname", "Set the current connection name", "2.6.9", "connection", "O(1)", "", "", &[]),
    doc!("client|getname", "Get the current connection name", "2.6.9", "connection", "O(1)", "", "", &[]),
    doc!("client|setinfo", "Sets information specific to the client or connection.", "7.2.0", "connection", "O(1)", "", "", &[]), // Redis 7.2
    doc!("client|list", "Get the list of client connections", "2.4.0", "connection", "O(N) where N is the number of client connections", "", "", &[("2.8.12", "Added unique client `id` field."), ("5.0.0", "Added optional `TYPE` filter."), ("6.0.0", "Added `user` field."), ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."), ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."), ("7.0.3", "Added `ssub` field.")]),
    doc!("client|info", "Returns information about the current client connection.", "6.2.0", "connection", "O(1)", "", "", &[]),
    doc!("client|kill", "Kill the connection of a client", "2.4.0", "connection", "O(N) where N is the number of client connections", "", "", &[("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."), ("3.2.0", "Added `master` type in for `TYPE` option."), ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."), ("6.2.0", "`LADDR` option.")]),
    doc!("client|help", "Show helpful text about the different subcommands", "5.0.0", "connection", "O(1)", "", "", &[]),
    doc!("client|no-evict", "Set client eviction mode for the current connection", "7.0.0", "connection", "O(1)", "", "", &[]),
    doc!("client|no-touch", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "7.2.0", "connection", "O(1)", "", "", &[]), // Redis 7.2
    doc!("client|reply", "Instruct the server whether to reply to commands", "3.2.0", "connection", "O(1)", "", "", &[]),
    doc!("time", "Return the current server time", "2.6.0", "server", "O(1)", "", "", &[]),
    doc!("lastsave", "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "server", "O(1)", "", "", &[]),
    doc!("command", "Get array of Redis command details", "2.8.13", "server", "O(N) where N is the total number of Redis commands", "", "", &[]),
    doc!("command|count", "Get total number of Redis commands", "2.8.13", "server", "O(1)", "", "", &[]),
    doc!("command|info", "Get array of specific Redis command details, or all when no argument is given.", "2.8.13", "server", "O(N) where N is the number of commands to look up", "", "", &[("7.0.0", "Allowed to be called with no argument to get info on all commands.")]),
    doc!("command|docs", "Get array of specific Redis command documentation", "7.0.0", "server", "O(N) where N is the number of commands to look up", "", "", &[]),
    doc!("command|list", "Get an array of Redis command names", "7.0.0", "server", "O(N) where N is the total number of Redis commands", "", "", &[]),
    doc!("command|getkeys", "Extract keys given a full Redis command", "2.8.13", "server", "O(N) where N is the number of arguments to the command", "", "", &[]),
    doc!("command|help", "Show helpful text about the different subcommands", "5.0.0", "server", "O(1)", "", "", &[]),
    doc!("multi", "Mark the start of a transaction block", "1.2.0", "transactions", "O(1)", "", "", &[]),
    doc!("exec", "Execute all commands issued after MULTI", "1.2.0", "transactions", "Depends on commands in the transaction", "", "", &[]),
    doc!("discard", "Discard all commands issued after MULTI", "2.0.0", "transactions", "O(N), when N is the number of queued commands", "", "", &[]),
    doc!("watch", "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", "transactions", "O(1) for every key.", "", "", &[]),
    doc!("unwatch", "Forget about all watched keys", "2.2.0", "transactions", "O(1)", "", "", &[]),
    doc!("hset", "Set the string value of a hash field", "2.0.0", "hash", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", "", "", &[("4.0.0", "Accepts multiple `field` and `value` arguments.")]),
    doc!("hmset", "Set multiple hash fields to multiple values", "2.0.0", "hash", "O(N) where N is the number of fields being set.", "4.0.0", "`HSET` with multiple field-value pairs", &[]),
    doc!("hsetnx", "Set the value of a hash field, only if the field does not exist", "2.0.0", "hash", "O(1)", "", "", &[]),
    doc!("hget", "Get the value of a hash field", "2.0.0", "hash", "O(1)", "", "", &[]),
    doc!("hmget", "Get the values of all the given hash fields", "2.0.0", "hash", "O(N) where N is the number of fields being requested.", "", "", &[]),
    doc!("hexists", "Determine if a hash field exists", "2.0.0", "hash", "O(1)", "", "", &[]),
    doc!("hstrlen", "Get the length of the value of a hash field", "3.2.0", "hash", "O(1)", "", "", &[]),
    doc!("hgetall", "Get all the fields and values in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "", "", &[]),
    doc!("hkeys", "Get all the fields in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "", "", &[]),
    doc!("hvals", "Get all the values in a hash", "2.0.0", "hash", "O(N) where N is the size of the hash.", "", "", &[]),
    doc!("hlen", "Get the number of fields in a hash", "2.0.0", "hash", "O(1)", "", "", &[]),
    doc!("hdel", "Delete one or more hash fields", "2.0.0", "hash", "O(N) where N is the number of fields to be removed.", "", "", &[("2.4.0", "Accepts multiple `field` arguments.")]),
    doc!("hincrby", "Increment the integer value of a hash field by the given number", "2.0.0", "hash", "O(1)", "", "", &[]),
    doc!("hincrbyfloat", "Increment the float value of a hash field by the given amount", "2.6.0", "hash", "O(1)", "", "", &[]),
    doc!("hrandfield", "Get one or multiple random fields from a hash", "6.2.0", "hash", "O(N) where N is the number of fields returned", "", "", &[]),
    doc!("hscan", "Incrementally iterate hash fields and associated values", "2.8.0", "hash", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "", "", &[]),
    doc!("sadd", "Add one or more members to a set", "1.0.0", "set", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", "", "", &[("2.4.0", "Accepts multiple `member` arguments.")]),
    doc!("srem", "Remove one or more members from a set", "1.0.0", "set", "O(N) where N is the number of members to be removed.", "", "", &[("2.4.0", "Accepts multiple `member` arguments.")]),
    doc!("smembers", "Get all the members in a set", "1.0.0", "set", "O(N) where N is the set cardinality.", "", "", &[]),
    doc!("scard", "Get the number of members in a set", "1.0.0", "set", "O(1)", "", "", &[]),
    doc!("sismember", "Determine if a given value is a member of a set", "1.0.0", "set", "O(1)", "", "", &[]),
    doc!("smismember", "Returns the membership associated with the given elements for a set", "6.2.0", "set", "O(N) where N is the number of elements being checked for membership", "", "", &[]),
    doc!("object", "A container for object introspection commands", "2.2.3", "generic", "Depends on subcommand.", "", "", &[]),
    doc!("object|encoding", "Inspect the internal encoding of a Redis object", "2.2.3", "generic", "O(1)", "", "", &[]),
    doc!("object|refcount", "Get the number of references to the value of the key", "2.2.3", "generic", "O(1)", "", "", &[]),
    doc!("object|idletime", "Get the time since a Redis object was last accessed", "2.2.3", "generic", "O(1)", "", "", &[]),
    doc!("object|freq", "Get the logarithmic access frequency counter of a Redis object", "4.0.0", "generic", "O(1)", "", "", &[]),
    doc!("object|help", "Show helpful text about the different subcommands", "6.2.0", "generic", "O(1)", "", "", &[]),
    doc!("touch", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1", "generic", "O(N) where N is the number of keys that will be touched.", "", "", &[]),
    doc!("spop", "Remove and return one or multiple random members from a set", "3.2.0", "set", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", "", "", &[("3.2.0", "Added the `count` argument.")]),
    doc!("srandmember", "Get one or multiple random members from a set", "2.6.0", "set", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", "", "", &[("2.6.0", "Added the optional `count` argument.")]),
    doc!("smove", "Move a member from one set to another", "1.0.0", "set", "O(1)", "", "", &[]),
    doc!("sinter", "Intersect multiple sets", "1.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "", "", &[]),
    doc!("sintercard", "Intersect multiple sets and return the cardinality of the result", "7.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "", "", &[]),
    doc!("sinterstore", "Intersect multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", "", "", &[]),
    doc!("sunion", "Add multiple sets", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[]),
    doc!("sunionstore", "Add multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[]),
    doc!("sdiff", "Subtract multiple sets", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[]),
    doc!("sdiffstore", "Subtract multiple sets and store the resulting set in a key", "1.0.0", "set", "O(N) where N is the total number of elements in all given sets.", "", "", &[]),
    doc!("sscan", "Incrementally iterate Set elements", "2.8.0", "set", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", "", "", &[]),
    doc!("memory", "A container for memory diagnostics commands", "4.0.0", "server", "Depends on subcommand.", "", "", &[]),
    doc!("memory|usage", "Estimate the memory usage of a key", "4.0.0", "server", "O(N) where N is the number of samples.", "", "", &[]),
    doc!("memory|purge", "Ask the allocator to release memory", "4.0.0", "server", "Depends on how much memory is allocated, could be slow", "", "", &[]),
    doc!("memory|help", "Show helpful text about the different subcommands", "4.0.0", "server", "O(1)", "", "", &[]),
    doc!("function", "A container for function commands", "7.0.0", "scripting", "Depends on subcommand.", "", "", &[]),
    doc!("function|flush", "Deleting all functions", "7.0.0", "scripting", "O(N) where N is the number of functions deleted", "", "", &[]),
    doc!("function|list", "List information about all the functions", "7.0.0", "scripting", "O(N) where N is the number of functions", "", "", &[]),
    doc!("function|help", "Show helpful text about the different subcommands", "7.0.0", "scripting", "O(1)", "", "", &[]),
    doc!("script", "A container for Lua scripts management commands", "2.6.0", "scripting", "Depends on subcommand.", "", "", &[]),
    doc!("script|flush", "Remove all the scripts from the script cache.", "2.6.0", "scripting", "O(N) with N being the number of scripts in cache", "", "", &[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")]),
    doc!("script|exists", "Check existence of scripts in the script cache.", "2.6.0", "scripting", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", "", "", &[]),
    doc!("script|help", "Show helpful text about the different subcommands", "5.0.0", "scripting", "O(1)", "", "", &[]),
    doc!("config", "A container for server configuration commands", "2.0.0", "server", "Depends on subcommand.", "", "", &[]),
    doc!("config|get", "Get the values of configuration parameters", "2.0.0", "server", "O(N) when N is the number of configuration parameters provided", "", "", &[("7.0.0", "Added the ability to pass multiple pattern parameters in one call")]),
    doc!("config|set", "Set configuration parameters to the given values", "2.0.0", "server", "O(N) when N is the number of configuration parameters provided", "", "", &[("7.0.0", "Added the ability to set multiple parameters in one call.")]),
    doc!("config|resetstat", "Reset the stats returned by INFO", "2.0.0", "server", "O(1)", "", "", &[]),
    doc!("config|rewrite", "Rewrite the configuration file with the in memory configuration", "2.8.0", "server", "O(1)", "", "", &[]),
    doc!("info", "Get information and statistics about the server", "1.0.0", "server", "O(1)", "", "", &[("7.0.0", "Added support for taking multiple section arguments.")]),
    doc!("dbsize", "Return the number of keys in the selected database", "1.0.0", "server", "O(1)", "", "", &[]),
    doc!("flushall", "Remove all keys from all databases", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", "", "", &[("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier.")]),
    doc!("flushdb", "Remove all keys from the current database", "1.0.0", "server", "O(N) where N is the number of keys in the selected database", "", "", &[("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier.")]),
    doc!("save", "Synchronously save the dataset to disk", "1.0.0", "server", "O(N) where N is the total number of keys in all databases", "", "", &[]),
    doc!("bgsave", "Asynchronously save the dataset to disk", "1.0.0", "server", "O(1)", "", "", &[("3.2.2", "Added the `SCHEDULE` option.")]),
    doc!("bgrewriteaof", "Asynchronously rewrite the append-only file", "1.0.0", "server", "O(1)", "", "", &[]),
    doc!("shutdown", "Synchronously save the dataset to disk and then shut down the server", "1.0.0", "server", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "", "", &[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")]),
    doc!("get", "Get the value of a key", "1.0.0", "string", "O(1)", "", "", &[]),
    doc!("set", "Set the string value of a key", "1.0.0", "string", "O(1)", "", "", &[("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."), ("6.0.0", "Added the `KEEPTTL` option."), ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."), ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")]),
    doc!("setnx", "Set the value of a key, only if the key does not exist", "1.0.0", "string", "O(1)", "", "", &[]),
    doc!("setex", "Set the value and expiration of a key", "2.0.0", "string", "O(1)", "", "", &[]),
    doc!("psetex", "Set the value and expiration in milliseconds of a key", "2.6.0", "string", "O(1)", "", "", &[]),
    doc!("getset", "Set the string value of a key and return its old value", "1.0.0", "string", "O(1)", "6.2.0", "`SET` with the `!GET` argument", &[]),
    doc!("getdel", "Get the value of a key and delete the key", "6.2.0", "string", "O(1)", "", "", &[]),
    doc!("getex", "Get the value of a key and optionally set its expiration", "6.2.0", "string", "O(1)", "", "", &[]),
    doc!("mget", "Get the values of all the given keys", "1.0.0", "string", "O(N) where N is the number of keys to retrieve.", "", "", &[]),
    doc!("mset", "Set multiple keys to multiple values", "1.0.1", "string", "O(N) where N is the number of keys to set.", "", "", &[]),
    doc!("msetnx", "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "string", "O(N) where N is the number of keys to set.", "", "", &[]),
    doc!("incr", "Increment the integer value of a key by one", "1.0.0", "string", "O(1)", "", "", &[]),
    doc!("decr", "Decrement the integer value of a key by one", "1.0.0", "string", "O(1)", "", "", &[]),
    doc!("incrby", "Increment the integer value of a key by the given amount", "1.0.0", "string", "O(1)", "", "", &[]),
    doc!("decrby", "Decrement the integer value of a key by the given number", "1.0.0", "string", "O(1)", "", "", &[]),
    doc!("incrbyfloat", "Increment the float value of a key by the given amount", "2.6.0", "string", "O(1)", "", "", &[]),
    doc!("append", "Append a value to a key", "2.0.0", "string", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "", "", &[]),
    doc!("strlen", "Get the length of the value stored in a key", "2.2.0", "string", "O(1)", "", "", &[]),
    doc!("getrange", "Get a substring of the string stored at a key", "2.4.0", "string", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "", "", &[]),
    doc!("substr", "Get a substring of the string stored at a key", "1.0.0", "string", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.", "2.0.0", "`GETRANGE`", &[]),
    doc!("setrange", "Overwrite part of a string at key starting at the specified offset", "2.2.0", "string", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.", "", "", &[]),
    doc!("del", "Delete a key", "1.0.0", "generic", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).", "", "", &[]),
    doc!("unlink", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0", "generic", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.", "", "", &[]),
    doc!("exists", "Determine if a key exists", "1.0.0", "generic", "O(N) where N is the number of keys to check.", "", "", &[("3.0.3", "Accepts multiple `key` arguments.")]),
    doc!("type", "Determine the type stored at key", "1.0.0", "generic", "O(1)", "", "", &[]),
    doc!("expire", "Set a key's time to live in seconds", "1.0.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")]),
    doc!("pexpire", "Set a key's time to live in milliseconds", "2.6.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")]),
    doc!("expireat", "Set the expiration for a key as a UNIX timestamp", "1.2.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")]),
    doc!("pexpireat", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", "generic", "O(1)", "", "", &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")]),
    doc!("persist", "Remove the expiration from a key", "2.2.0", "generic", "O(1)", "", "", &[]),
    doc!("ttl", "Get the time to live for a key in seconds", "1.0.0", "generic", "O(1)", "", "", &[("2.8.0", "Added the -2 reply.")]),
    doc!("pttl", "Get the time to live for a key in milliseconds", "2.6.0", "generic", "O(1)", "", "", &[("2.8.0", "Added the -2 reply.")]),
    doc!("expiretime", "Get the expiration Unix timestamp for a key", "7.0.0", "generic", "O(1)", "", "", &[]),
    doc!("pexpiretime", "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", "generic", "O(1)", "", "", &[]),
    doc!("keys", "Find all keys matching the given pattern", "1.0.0", "generic", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "", "", &[]),
    doc!("scan", "Incrementally iterate the keys space", "2.8.0", "generic", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "", "", &[("6.0.0", "Added the `TYPE` subcommand.")]),
    doc!("randomkey", "Return a random key from the keyspace", "1.0.0", "generic", "O(1)", "", "", &[]),
    doc!("rename", "Rename a key", "1.0.0", "generic", "O(1)", "", "", &[]),
    doc!("renamenx", "Rename a key, only if the new key does not exist", "1.0.0", "generic", "O(1)", "", "", &[("3.2.0", "The command no longer returns an error when source and destination names are the same.")]),
    doc!("copy", "Copy a key", "6.2.0", "generic", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "", "", &[]),
    doc!("setbit", "Sets or clears the bit at offset in the string value stored at key", "2.2.0", "bitmap", "O(1)", "", "", &[]),
    doc!("getbit", "Returns the bit value at offset in the string value stored at key", "2.2.0", "bitmap", "O(1)", "", "", &[]),
    doc!("lcs", "Find longest common substring", "7.0.0", "string", "O(N*M) where N and M are the lengths of s1 and s2, respectively", "", "", &[]),
];

/// The COMMAND DOCS entry of a command or subcommand, by its full lower-case name.
pub fn doc(full_name: &str) -> Option<&'static Doc> {
    DOCS.iter().find(|d| d.name == full_name)
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
