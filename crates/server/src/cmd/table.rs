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

/// One subcommand's entry (`client|list`), for COMMAND INFO and CLIENT LIST's `cmd=`.
pub struct SubSpec {
    /// Lower-case subcommand name (without the parent's).
    pub name: &'static str,
    /// Redis arity of the whole command line (`CLIENT LIST` counts 2).
    pub arity: i32,
    /// COMMAND flags.
    pub flags: &'static [&'static str],
}

macro_rules! sub {
    ($name:literal, $arity:expr, $flags:expr) => {
        SubSpec {
            name: $name,
            arity: $arity,
            flags: $flags,
        }
    };
}

const CL: &[&str] = &["noscript", "loading", "stale"];
const CA: &[&str] = &["admin", "noscript", "loading", "stale"];
const LS: &[&str] = &["loading", "stale"];

static CLIENT_SUBS: &[SubSpec] = &[
    sub!("id", 2, CL),
    sub!("setname", 3, CL),
    sub!("getname", 2, CL),
    sub!("setinfo", 4, CL),
    sub!("list", -2, CA),
    sub!("info", 2, CL),
    sub!("help", 2, LS),
    sub!("no-evict", 3, CA),
    sub!("no-touch", 3, CL),
    sub!("reply", 3, CL),
];

static CONFIG_SUBS: &[SubSpec] = &[
    sub!("get", -3, CA),
    sub!("set", -4, CA),
    sub!("resetstat", 2, CA),
    sub!("rewrite", 2, CA),
];

static COMMAND_SUBS: &[SubSpec] = &[
    sub!("count", 2, LS),
    sub!("info", -2, LS),
    sub!("docs", -2, LS),
    sub!("list", -2, LS),
    sub!("getkeys", -4, LS),
];

/// The subcommands of `spec` (empty for commands without any).
pub fn subcommands(spec: &Spec) -> &'static [SubSpec] {
    match spec.name {
        "client" => CLIENT_SUBS,
        "config" => CONFIG_SUBS,
        "command" => COMMAND_SUBS,
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
        }
    }
}
