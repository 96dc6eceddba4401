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

pub use super::docs::{Doc, doc};

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
