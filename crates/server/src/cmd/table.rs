//! The command table: name, arity (Redis convention: negative = at least that many), flags and
//! key positions (for COMMAND), and the parser.

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;

use super::Cmd;

/// One command's entry.
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
    /// Parses the arguments (arity already checked).
    pub parse: fn(&[Bytes]) -> Result<Cmd, String>,
}

const W: &[&str] = &["write", "denyoom"];
const WF: &[&str] = &["write", "denyoom", "fast"];
const R: &[&str] = &["readonly"];
const RF: &[&str] = &["readonly", "fast"];
const F: &[&str] = &["fast"];
const L: &[&str] = &["loading", "stale", "fast"];
const A: &[&str] = &["admin", "noscript"];

macro_rules! spec {
    ($name:literal, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr, $parse:expr) => {
        Spec {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $first,
            last_key: $last,
            step: $step,
            parse: $parse,
        }
    };
}

/// Every command the server knows.
pub static COMMANDS: &[Spec] = &[
    // connection
    spec!("ping", -1, F, 0, 0, 0, super::connection::parse_ping),
    spec!("echo", 2, F, 0, 0, 0, super::connection::parse_echo),
    spec!("hello", -1, L, 0, 0, 0, super::hello::parse),
    spec!("auth", -2, L, 0, 0, 0, super::connection::parse_auth),
    spec!("select", 2, L, 0, 0, 0, super::connection::parse_select),
    spec!("quit", -1, L, 0, 0, 0, super::connection::parse_quit),
    spec!("reset", 1, L, 0, 0, 0, super::connection::parse_reset),
    spec!("client", -2, L, 0, 0, 0, super::client::parse),
    spec!("time", 1, L, 0, 0, 0, super::connection::parse_time),
    spec!("lastsave", 1, L, 0, 0, 0, super::connection::parse_lastsave),
    // server
    spec!("command", -1, L, 0, 0, 0, super::command::parse),
    spec!("config", -2, A, 0, 0, 0, super::config::parse),
    spec!("info", -1, L, 0, 0, 0, super::info::parse),
    spec!("dbsize", 1, RF, 0, 0, 0, super::server::parse_dbsize),
    spec!("flushall", -1, W, 0, 0, 0, super::server::parse_flush),
    spec!("flushdb", -1, W, 0, 0, 0, super::server::parse_flush),
    spec!("save", 1, A, 0, 0, 0, super::server::parse_save),
    spec!("bgsave", -1, A, 0, 0, 0, super::server::parse_bgsave),
    spec!(
        "bgrewriteaof",
        1,
        A,
        0,
        0,
        0,
        super::server::parse_bgrewriteaof
    ),
    spec!("shutdown", -1, A, 0, 0, 0, super::server::parse_shutdown),
    // strings
    spec!("get", 2, RF, 1, 1, 1, super::get::parse),
    spec!("set", -3, W, 1, 1, 1, super::set::parse_set),
    spec!("setnx", 3, WF, 1, 1, 1, super::set::parse_setnx),
    spec!("setex", 4, W, 1, 1, 1, super::set::parse_setex),
    spec!("psetex", 4, W, 1, 1, 1, super::set::parse_psetex),
    spec!("getset", 3, WF, 1, 1, 1, super::getset::parse),
    spec!("getdel", 2, WF, 1, 1, 1, super::getdel::parse),
    spec!("getex", -2, WF, 1, 1, 1, super::getex::parse),
    spec!("mget", -2, RF, 1, -1, 1, super::mget::parse),
    spec!("mset", -3, W, 1, -1, 2, super::mset::parse_mset),
    spec!("msetnx", -3, W, 1, -1, 2, super::mset::parse_msetnx),
    spec!("incr", 2, WF, 1, 1, 1, super::incr::parse_incr),
    spec!("decr", 2, WF, 1, 1, 1, super::incr::parse_decr),
    spec!("incrby", 3, WF, 1, 1, 1, super::incr::parse_incrby),
    spec!("decrby", 3, WF, 1, 1, 1, super::incr::parse_decrby),
    spec!("incrbyfloat", 3, WF, 1, 1, 1, super::incrbyfloat::parse),
    spec!("append", 3, WF, 1, 1, 1, super::append::parse),
    spec!("strlen", 2, RF, 1, 1, 1, super::strlen::parse),
    spec!("getrange", 4, R, 1, 1, 1, super::getrange::parse),
    spec!("substr", 4, R, 1, 1, 1, super::getrange::parse),
    spec!("setrange", 4, W, 1, 1, 1, super::setrange::parse),
    // keys
    spec!("del", -2, W, 1, -1, 1, super::del::parse),
    spec!("unlink", -2, WF, 1, -1, 1, super::del::parse),
    spec!("exists", -2, RF, 1, -1, 1, super::exists::parse),
    spec!("type", 2, RF, 1, 1, 1, super::type_::parse),
    spec!("expire", -3, WF, 1, 1, 1, super::expire::parse_expire),
    spec!("pexpire", -3, WF, 1, 1, 1, super::expire::parse_pexpire),
    spec!("expireat", -3, WF, 1, 1, 1, super::expire::parse_expireat),
    spec!("pexpireat", -3, WF, 1, 1, 1, super::expire::parse_pexpireat),
    spec!("persist", 2, WF, 1, 1, 1, super::expire::parse_persist),
    spec!("ttl", 2, RF, 1, 1, 1, super::ttl::parse_ttl),
    spec!("pttl", 2, RF, 1, 1, 1, super::ttl::parse_pttl),
    spec!("expiretime", 2, RF, 1, 1, 1, super::ttl::parse_expiretime),
    spec!("pexpiretime", 2, RF, 1, 1, 1, super::ttl::parse_pexpiretime),
    spec!("keys", 2, R, 0, 0, 0, super::keys::parse),
    spec!("scan", -2, R, 0, 0, 0, super::scan::parse),
    spec!("randomkey", 1, R, 0, 0, 0, super::randomkey::parse),
    spec!("rename", 3, W, 1, 2, 1, super::rename::parse_rename),
    spec!("renamenx", 3, WF, 1, 2, 1, super::rename::parse_renamenx),
];

static BY_NAME: LazyLock<HashMap<&'static str, &'static Spec>> =
    LazyLock::new(|| COMMANDS.iter().map(|s| (s.name, s)).collect());

/// Finds a command by name, case-insensitively, without allocating for names of normal length.
pub fn lookup(name: &[u8]) -> Option<&'static Spec> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    BY_NAME.get(std::str::from_utf8(lower).ok()?).copied()
}
