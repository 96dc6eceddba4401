//! The metadata constants the command table's rows share (`table.rs`, `subcommands.rs`):
//! COMMAND INFO's flags, ACL categories, tips and key specs, as redis-server 7.0.15 reports them.

use super::table::{KeySpec, key_spec, keynum_spec};

// Flags (F_), ACL categories (A_), tips (T_: NDO nondeterministic_output, NDOO
// nondeterministic_output_order, REQ_ request_policy, RES_ response_policy) and key specs (KS_).
pub(super) const F_FAST: &[&str] = &["fast"];
pub(super) const A_FAST_CONNECTION: &[&str] = &["@fast", "@connection"];
pub(super) const T_REQ_ALL_SHARDS_RES_ALL_SUCCEEDED: &[&str] =
    &["request_policy:all_shards", "response_policy:all_succeeded"];
pub(super) const F_LOADING_STALE_FAST: &[&str] = &["loading", "stale", "fast"];
pub(super) const F_NOSCRIPT_LOADING_STALE_FAST_NO_AUTH_ALLOW_BUSY: &[&str] = &[
    "noscript",
    "loading",
    "stale",
    "fast",
    "no_auth",
    "allow_busy",
];
pub(super) const A_SLOW: &[&str] = &["@slow"];
pub(super) const A_FAST: &[&str] = &["@fast"];
pub(super) const T_NDO: &[&str] = &["nondeterministic_output"];
pub(super) const A_ADMIN_FAST_DANGEROUS: &[&str] = &["@admin", "@fast", "@dangerous"];
pub(super) const F_LOADING_STALE: &[&str] = &["loading", "stale"];
pub(super) const A_SLOW_CONNECTION: &[&str] = &["@slow", "@connection"];
pub(super) const T_NDOO: &[&str] = &["nondeterministic_output_order"];
pub(super) const A_SLOW_DANGEROUS: &[&str] = &["@slow", "@dangerous"];
pub(super) const T_NDO_REQ_ALL_SHARDS_RES_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];
pub(super) const F_READONLY_FAST: &[&str] = &["readonly", "fast"];
pub(super) const A_KEYSPACE_READ_FAST: &[&str] = &["@keyspace", "@read", "@fast"];
pub(super) const T_REQ_ALL_SHARDS_RES_AGG_SUM: &[&str] =
    &["request_policy:all_shards", "response_policy:agg_sum"];
pub(super) const F_WRITE: &[&str] = &["write"];
pub(super) const A_KEYSPACE_WRITE_SLOW_DANGEROUS: &[&str] =
    &["@keyspace", "@write", "@slow", "@dangerous"];
pub(super) const F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING_NO_MULTI: &[&str] =
    &["admin", "noscript", "no_async_loading", "no_multi"];
pub(super) const A_ADMIN_SLOW_DANGEROUS: &[&str] = &["@admin", "@slow", "@dangerous"];
pub(super) const F_ADMIN_NOSCRIPT_NO_ASYNC_LOADING: &[&str] =
    &["admin", "noscript", "no_async_loading"];
pub(super) const F_ADMIN_NOSCRIPT_LOADING_STALE_NO_MULTI_ALLOW_BUSY: &[&str] = &[
    "admin",
    "noscript",
    "loading",
    "stale",
    "no_multi",
    "allow_busy",
];
pub(super) const A_READ_STRING_FAST: &[&str] = &["@read", "@string", "@fast"];
pub(super) const F_WRITE_DENYOOM: &[&str] = &["write", "denyoom"];
pub(super) const A_WRITE_STRING_SLOW: &[&str] = &["@write", "@string", "@slow"];
pub(super) const F_WRITE_DENYOOM_FAST: &[&str] = &["write", "denyoom", "fast"];
pub(super) const A_WRITE_STRING_FAST: &[&str] = &["@write", "@string", "@fast"];
pub(super) const F_WRITE_FAST: &[&str] = &["write", "fast"];
pub(super) const T_REQ_MULTI_SHARD: &[&str] = &["request_policy:multi_shard"];
pub(super) const T_REQ_MULTI_SHARD_RES_ALL_SUCCEEDED: &[&str] = &[
    "request_policy:multi_shard",
    "response_policy:all_succeeded",
];
pub(super) const T_REQ_MULTI_SHARD_RES_AGG_MIN: &[&str] =
    &["request_policy:multi_shard", "response_policy:agg_min"];
pub(super) const F_READONLY: &[&str] = &["readonly"];
pub(super) const A_READ_STRING_SLOW: &[&str] = &["@read", "@string", "@slow"];
pub(super) const A_KEYSPACE_WRITE_SLOW: &[&str] = &["@keyspace", "@write", "@slow"];
pub(super) const T_REQ_MULTI_SHARD_RES_AGG_SUM: &[&str] =
    &["request_policy:multi_shard", "response_policy:agg_sum"];
pub(super) const A_KEYSPACE_WRITE_FAST: &[&str] = &["@keyspace", "@write", "@fast"];
pub(super) const A_KEYSPACE_READ_SLOW_DANGEROUS: &[&str] =
    &["@keyspace", "@read", "@slow", "@dangerous"];
pub(super) const T_REQ_ALL_SHARDS_NDOO: &[&str] =
    &["request_policy:all_shards", "nondeterministic_output_order"];
pub(super) const A_KEYSPACE_READ_SLOW: &[&str] = &["@keyspace", "@read", "@slow"];
pub(super) const T_NDO_REQ_SPECIAL: &[&str] =
    &["nondeterministic_output", "request_policy:special"];
pub(super) const T_REQ_ALL_SHARDS_NDO: &[&str] =
    &["request_policy:all_shards", "nondeterministic_output"];
pub(super) const F_WRITE_NOSCRIPT: &[&str] = &["write", "noscript"];
pub(super) const F_NOSCRIPT: &[&str] = &["noscript"];
pub(super) const A_WRITE_SLOW_SCRIPTING: &[&str] = &["@write", "@slow", "@scripting"];
pub(super) const A_SLOW_SCRIPTING: &[&str] = &["@slow", "@scripting"];
pub(super) const T_REQ_ALL_SHARDS_RES_AGG_LOGICAL_AND: &[&str] = &[
    "request_policy:all_shards",
    "response_policy:agg_logical_and",
];
pub(super) const KS_RO_ACCESS: &[KeySpec] = &[key_spec("", &["RO", "access"], 1, 0, 1, 0)];
pub(super) const KS_SET: &[KeySpec] = &[key_spec(
    "RW and ACCESS due to the optional `GET` argument",
    &["RW", "access", "update", "variable_flags"],
    1,
    0,
    1,
    0,
)];
pub(super) const KS_OW_INSERT: &[KeySpec] = &[key_spec("", &["OW", "insert"], 1, 0, 1, 0)];
pub(super) const KS_OW_UPDATE: &[KeySpec] = &[key_spec("", &["OW", "update"], 1, 0, 1, 0)];
pub(super) const KS_RW_ACCESS_UPDATE: &[KeySpec] =
    &[key_spec("", &["RW", "access", "update"], 1, 0, 1, 0)];
pub(super) const KS_RW_ACCESS_DELETE: &[KeySpec] =
    &[key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0)];
pub(super) const KS_GETEX: &[KeySpec] = &[key_spec(
    "RW and UPDATE because it changes the TTL",
    &["RW", "access", "update"],
    1,
    0,
    1,
    0,
)];
pub(super) const KS_RO_ACCESS_ALL: &[KeySpec] = &[key_spec("", &["RO", "access"], 1, -1, 1, 0)];
pub(super) const KS_OW_UPDATE_ALL_STEP2: &[KeySpec] =
    &[key_spec("", &["OW", "update"], 1, -1, 2, 0)];
pub(super) const KS_OW_INSERT_ALL_STEP2: &[KeySpec] =
    &[key_spec("", &["OW", "insert"], 1, -1, 2, 0)];
pub(super) const KS_RW_INSERT: &[KeySpec] = &[key_spec("", &["RW", "insert"], 1, 0, 1, 0)];
pub(super) const KS_RO: &[KeySpec] = &[key_spec("", &["RO"], 1, 0, 1, 0)];
pub(super) const KS_RW_UPDATE: &[KeySpec] = &[key_spec("", &["RW", "update"], 1, 0, 1, 0)];
pub(super) const KS_RM_DELETE_ALL: &[KeySpec] = &[key_spec("", &["RM", "delete"], 1, -1, 1, 0)];
pub(super) const KS_RO_ALL: &[KeySpec] = &[key_spec("", &["RO"], 1, -1, 1, 0)];
pub(super) const KS_RW_ACCESS_DELETE__OW_UPDATE: &[KeySpec] = &[
    key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0),
    key_spec("", &["OW", "update"], 2, 0, 1, 0),
];
pub(super) const KS_RW_ACCESS_DELETE__OW_INSERT: &[KeySpec] = &[
    key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0),
    key_spec("", &["OW", "insert"], 2, 0, 1, 0),
];
pub(super) const A_WRITE_BITMAP_SLOW: &[&str] = &["@write", "@bitmap", "@slow"];
pub(super) const A_READ_BITMAP_FAST: &[&str] = &["@read", "@bitmap", "@fast"];
pub(super) const F_NOSCRIPT_LOADING_STALE_FAST_ALLOW_BUSY: &[&str] =
    &["noscript", "loading", "stale", "fast", "allow_busy"];
pub(super) const F_NOSCRIPT_LOADING_STALE_SKIP_SLOWLOG: &[&str] =
    &["noscript", "loading", "stale", "skip_slowlog"];
pub(super) const A_WRITE_HASH_FAST: &[&str] = &["@write", "@hash", "@fast"];
pub(super) const A_READ_HASH_FAST: &[&str] = &["@read", "@hash", "@fast"];
pub(super) const A_READ_HASH_SLOW: &[&str] = &["@read", "@hash", "@slow"];
pub(super) const A_WRITE_SET_FAST: &[&str] = &["@write", "@set", "@fast"];
pub(super) const A_READ_SET_FAST: &[&str] = &["@read", "@set", "@fast"];
pub(super) const A_READ_SET_SLOW: &[&str] = &["@read", "@set", "@slow"];
pub(super) const KS_RW_DELETE: &[KeySpec] = &[key_spec("", &["RW", "delete"], 1, 0, 1, 0)];
pub(super) const A_FAST_TRANSACTION: &[&str] = &["@fast", "@transaction"];
pub(super) const A_SLOW_TRANSACTION: &[&str] = &["@slow", "@transaction"];
pub(super) const KS_RO_ACCESS_ALL_1: &[KeySpec] = &[key_spec("", &["RO", "access"], 1, 1, 1, 0)];
pub(super) const KS_RO_ACCESS__OW_UPDATE: &[KeySpec] = &[
    key_spec("", &["RO", "access"], 1, 0, 1, 0),
    key_spec("", &["OW", "update"], 2, 0, 1, 0),
];
pub(super) const F_NOSCRIPT_LOADING_STALE: &[&str] = &["noscript", "loading", "stale"];
pub(super) const F_ADMIN_NOSCRIPT_LOADING_STALE: &[&str] =
    &["admin", "noscript", "loading", "stale"];
pub(super) const A_ADMIN_SLOW_DANGEROUS_CONNECTION: &[&str] =
    &["@admin", "@slow", "@dangerous", "@connection"];
pub(super) const T_REQ_ALL_NODES_RES_ALL_SUCCEEDED: &[&str] =
    &["request_policy:all_nodes", "response_policy:all_succeeded"];
pub(super) const F_READONLY_MOVABLEKEYS: &[&str] = &["readonly", "movablekeys"];
pub(super) const A_WRITE_SET_SLOW: &[&str] = &["@write", "@set", "@slow"];
pub(super) const KS_RW_ACCESS_DELETE__RW_INSERT: &[KeySpec] = &[
    key_spec("", &["RW", "access", "delete"], 1, 0, 1, 0),
    key_spec("", &["RW", "insert"], 2, 0, 1, 0),
];
pub(super) const KS_RO_ACCESS_KEYNUM: &[KeySpec] = &[keynum_spec(&["RO", "access"], 1, 0, 1, 1)];
pub(super) const KS_RW_UPDATE__RO_ACCESS_ALL: &[KeySpec] = &[
    key_spec("", &["RW", "update"], 1, 0, 1, 0),
    key_spec("", &["RO", "access"], 2, -1, 1, 0),
];
pub(super) const KS_OW_UPDATE__RO_ACCESS_ALL: &[KeySpec] = &[
    key_spec("", &["OW", "update"], 1, 0, 1, 0),
    key_spec("", &["RO", "access"], 2, -1, 1, 0),
];

pub(super) const A_KEYSPACE_SLOW: &[&str] = &["@keyspace", "@slow"];
pub(super) const A_READ_SLOW: &[&str] = &["@read", "@slow"];
pub(super) const F_PUBSUB_NOSCRIPT_LOADING_STALE: &[&str] =
    &["pubsub", "noscript", "loading", "stale"];
pub(super) const F_PUBSUB_LOADING_STALE_FAST: &[&str] = &["pubsub", "loading", "stale", "fast"];
pub(super) const F_PUBSUB_LOADING_STALE: &[&str] = &["pubsub", "loading", "stale"];
pub(super) const A_PUBSUB_SLOW: &[&str] = &["@pubsub", "@slow"];
pub(super) const A_PUBSUB_FAST: &[&str] = &["@pubsub", "@fast"];

pub(super) const KS_NOT_KEY_ALL: &[KeySpec] = &[key_spec("", &["not_key"], 1, -1, 1, 0)];
pub(super) const KS_NOT_KEY: &[KeySpec] = &[key_spec("", &["not_key"], 1, 0, 1, 0)];

pub(super) const A_WRITE_LIST_FAST: &[&str] = &["@write", "@list", "@fast"];
pub(super) const A_READ_LIST_FAST: &[&str] = &["@read", "@list", "@fast"];
pub(super) const A_READ_LIST_SLOW: &[&str] = &["@read", "@list", "@slow"];
pub(super) const A_WRITE_LIST_SLOW: &[&str] = &["@write", "@list", "@slow"];
pub(super) const A_WRITE_SORTEDSET_FAST: &[&str] = &["@write", "@sortedset", "@fast"];
pub(super) const A_READ_SORTEDSET_FAST: &[&str] = &["@read", "@sortedset", "@fast"];
pub(super) const A_READ_SORTEDSET_SLOW: &[&str] = &["@read", "@sortedset", "@slow"];
pub(super) const F_WRITE_MOVABLEKEYS: &[&str] = &["write", "movablekeys"];
pub(super) const F_WRITE_NOSCRIPT_BLOCKING: &[&str] = &["write", "noscript", "blocking"];
pub(super) const F_WRITE_DENYOOM_NOSCRIPT_BLOCKING: &[&str] =
    &["write", "denyoom", "noscript", "blocking"];
pub(super) const F_WRITE_BLOCKING_MOVABLEKEYS: &[&str] = &["write", "blocking", "movablekeys"];
pub(super) const A_WRITE_LIST_SLOW_BLOCKING: &[&str] = &["@write", "@list", "@slow", "@blocking"];
pub(super) const KS_RW_ACCESS_DELETE_RANGE_2: &[KeySpec] =
    &[key_spec("", &["RW", "access", "delete"], 1, -2, 1, 0)];
pub(super) const KS_RW_ACCESS_DELETE_KEYNUM_2: &[KeySpec] =
    &[keynum_spec(&["RW", "access", "delete"], 2, 0, 1, 1)];
pub(super) const KS_RW_ACCESS_DELETE_KEYNUM: &[KeySpec] =
    &[keynum_spec(&["RW", "access", "delete"], 1, 0, 1, 1)];
pub(super) const A_WRITE_SORTEDSET_SLOW: &[&str] = &["@write", "@sortedset", "@slow"];
pub(super) const F_WRITE_DENYOOM_MOVABLEKEYS: &[&str] = &["write", "denyoom", "movablekeys"];
pub(super) const F_WRITE_NOSCRIPT_BLOCKING_FAST: &[&str] =
    &["write", "noscript", "blocking", "fast"];
pub(super) const A_WRITE_SORTEDSET_FAST_BLOCKING: &[&str] =
    &["@write", "@sortedset", "@fast", "@blocking"];
pub(super) const A_WRITE_SORTEDSET_SLOW_BLOCKING: &[&str] =
    &["@write", "@sortedset", "@slow", "@blocking"];
pub(super) const KS_OW_UPDATE__RO_ACCESS_2: &[KeySpec] = &[
    key_spec("", &["OW", "update"], 1, 0, 1, 0),
    key_spec("", &["RO", "access"], 2, 0, 1, 0),
];
pub(super) const KS_OW_UPDATE__RO_ACCESS_KEYNUM_2: &[KeySpec] = &[
    key_spec("", &["OW", "update"], 1, 0, 1, 0),
    keynum_spec(&["RO", "access"], 2, 0, 1, 1),
];
