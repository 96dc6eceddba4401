//! COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, COMMAND LIST, COMMAND GETKEYS: the command
//! table as Redis 7 reports it (redis-cli asks for DOCS at start-up to show hints).

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::is;
use super::table::{
    COMMANDS, FindKeys, KeySpec, Spec, SubSpec, doc, lookup, lookup_full, subcommands,
};
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

/// A parsed COMMAND subcommand.
#[derive(Debug)]
pub enum CommandCmd {
    /// COMMAND: every command's info.
    All,
    /// COMMAND COUNT
    Count,
    /// COMMAND INFO [name...] (none: every command)
    Info(Vec<Bytes>),
    /// COMMAND GETKEYS command [arg...]
    GetKeys(Vec<Bytes>),
    /// COMMAND DOCS [name...]
    Docs(Vec<Bytes>),
    /// COMMAND LIST [FILTERBY MODULE|ACLCAT|PATTERN arg]
    List(Option<(ListFilter, Bytes)>),
    /// COMMAND HELP
    Help,
}

/// COMMAND LIST's FILTERBY kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    /// FILTERBY MODULE name
    Module,
    /// FILTERBY ACLCAT category
    AclCat,
    /// FILTERBY PATTERN glob
    Pattern,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let Some(sub) = args.get(1) else {
        return Ok(Cmd::Command(CommandCmd::All));
    };
    let rest = args[2..].to_vec();
    let arity = |name: &str| format!("ERR wrong number of arguments for 'command|{name}' command");
    let c = if is(sub, "COUNT") {
        if !rest.is_empty() {
            return Err(arity("count"));
        }
        CommandCmd::Count
    } else if is(sub, "INFO") {
        CommandCmd::Info(rest)
    } else if is(sub, "DOCS") {
        CommandCmd::Docs(rest)
    } else if is(sub, "GETKEYS") {
        if rest.len() < 2 {
            return Err(arity("getkeys"));
        }
        CommandCmd::GetKeys(rest)
    } else if is(sub, "LIST") {
        // Redis' commandListCommand: nothing, or exactly FILTERBY <kind> <arg>.
        let filter = match &rest[..] {
            [] => None,
            [f, kind, arg] if is(f, "FILTERBY") => {
                let kind = if is(kind, "MODULE") {
                    ListFilter::Module
                } else if is(kind, "ACLCAT") {
                    ListFilter::AclCat
                } else if is(kind, "PATTERN") {
                    ListFilter::Pattern
                } else {
                    return Err(super::args::SYNTAX.into());
                };
                Some((kind, arg.clone()))
            }
            _ => return Err(super::args::SYNTAX.into()),
        };
        CommandCmd::List(filter)
    } else if is(sub, "HELP") {
        if !rest.is_empty() {
            return Err(arity("help"));
        }
        CommandCmd::Help
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    Ok(Cmd::Command(c))
}

/// A set of simple strings (flags, ACL categories): `~n` in RESP3, `*n` in RESP2.
fn simple_set(out: &mut BytesMut, items: &[&str], proto: Proto) {
    encode::set_len(out, items.len(), proto);
    for i in items {
        encode::simple(out, i);
    }
}

/// A set of bulk strings (tips), as Redis sends them.
fn bulk_set(out: &mut BytesMut, items: &[&str], proto: Proto) {
    encode::set_len(out, items.len(), proto);
    for i in items {
        encode::bulk(out, i.as_bytes());
    }
}

/// One key spec, as Redis' addReplyCommandKeySpecs: a map of notes (if any), flags,
/// begin_search {type: index, spec: {index}}, find_keys {type: range, spec: {lastkey, keystep,
/// limit}} or {type: keynum, spec: {keynumidx, firstkey, keystep}}.
fn key_spec(ks: &KeySpec, proto: Proto, out: &mut BytesMut) {
    let notes = !ks.notes.is_empty();
    encode::map_len(out, 3 + usize::from(notes), proto);
    if notes {
        encode::bulk(out, b"notes");
        encode::bulk(out, ks.notes.as_bytes());
    }
    encode::bulk(out, b"flags");
    simple_set(out, ks.flags, proto);
    encode::bulk(out, b"begin_search");
    encode::map_len(out, 2, proto);
    encode::bulk(out, b"type");
    encode::bulk(out, b"index");
    encode::bulk(out, b"spec");
    encode::map_len(out, 1, proto);
    encode::bulk(out, b"index");
    encode::integer(out, i64::from(ks.begin_index));
    encode::bulk(out, b"find_keys");
    encode::map_len(out, 2, proto);
    encode::bulk(out, b"type");
    let (kind, fields) = match ks.find_keys {
        FindKeys::Range {
            last_key,
            key_step,
            limit,
        } => (
            "range",
            [
                ("lastkey", last_key),
                ("keystep", key_step),
                ("limit", limit),
            ],
        ),
        FindKeys::KeyNum {
            key_num_index,
            first_key,
            key_step,
        } => (
            "keynum",
            [
                ("keynumidx", key_num_index),
                ("firstkey", first_key),
                ("keystep", key_step),
            ],
        ),
    };
    encode::bulk(out, kind.as_bytes());
    encode::bulk(out, b"spec");
    encode::map_len(out, fields.len(), proto);
    for (name, value) in fields {
        encode::bulk(out, name.as_bytes());
        encode::integer(out, i64::from(value));
    }
}

/// A command's COMMAND INFO entry (Redis' addReplyCommandInfo): name, arity, flags, first key,
/// last key, step, ACL categories, tips, key specs, subcommands.
fn info(spec: &Spec, proto: Proto, out: &mut BytesMut) {
    encode::array_len(out, 10);
    encode::bulk(out, spec.name.as_bytes());
    encode::integer(out, i64::from(spec.arity));
    simple_set(out, spec.flags, proto);
    encode::integer(out, i64::from(spec.first_key));
    encode::integer(out, i64::from(spec.last_key));
    encode::integer(out, i64::from(spec.step));
    simple_set(out, spec.acl, proto);
    bulk_set(out, spec.tips, proto);
    encode::set_len(out, spec.key_specs.len(), proto); // a set, as in 7.0.15
    for ks in spec.key_specs {
        key_spec(ks, proto, out);
    }
    // Redis' addReplyCommandSubCommands: an empty set if there are none, else an array.
    let subs = subcommands(spec);
    if subs.is_empty() {
        encode::set_len(out, 0, proto);
    } else {
        encode::array_len(out, subs.len());
    }
    for sub in subs {
        sub_info(spec, sub, proto, out);
    }
}

/// A subcommand's entry, as Redis 7 gives it (`config|get`, no keys, no subcommands).
fn sub_info(spec: &Spec, sub: &SubSpec, proto: Proto, out: &mut BytesMut) {
    encode::array_len(out, 10);
    encode::bulk(out, format!("{}|{}", spec.name, sub.name).as_bytes());
    encode::integer(out, i64::from(sub.arity));
    simple_set(out, sub.flags, proto);
    for _ in 0..3 {
        encode::integer(out, 0); // first key, last key, step
    }
    simple_set(out, sub.acl, proto);
    bulk_set(out, sub.tips, proto);
    encode::set_len(out, 0, proto); // key specs
    encode::set_len(out, 0, proto); // subcommands
}

/// COMMAND GETKEYS (Redis' getKeysSubcommandImpl with the legacy first/last/step positions, or
/// for a command whose keys are counted by an argument, its `genericGetKeys`): the command must
/// exist, have keys, and be given a valid number of arguments.
fn getkeys(args: &[Bytes]) -> Result<Vec<&Bytes>, &'static str> {
    let [name, rest @ ..] = args else {
        return Err("ERR Invalid command specified");
    };
    let spec = lookup(name).ok_or("ERR Invalid command specified")?;
    let subs = subcommands(spec);
    if !subs.is_empty()
        && !rest.first().is_some_and(|sub| {
            subs.iter()
                .any(|s| s.name.as_bytes().eq_ignore_ascii_case(sub))
        })
    {
        return Err("ERR Invalid command specified");
    }
    if spec.first_key <= 0 && spec.key_specs.is_empty() {
        return Err("ERR The command has no key arguments");
    }
    let n = args.len() as i32;
    if (spec.arity > 0 && spec.arity != n) || n < -spec.arity {
        return Err("ERR Invalid number of arguments specified for command");
    }
    // A command whose keys an argument counts (SINTERCARD, ZUNION...), maybe after a key of
    // its own (ZUNIONSTORE's destination): Redis' `genericGetKeys` and its store variant.
    let counted = spec
        .key_specs
        .iter()
        .any(|k| matches!(k.find_keys, FindKeys::KeyNum { .. }));
    if counted {
        let mut keys = Vec::new();
        for k in spec.key_specs {
            let begin = k.begin_index as usize;
            match k.find_keys {
                FindKeys::KeyNum {
                    key_num_index,
                    first_key,
                    key_step,
                } => keys.extend(counted_keys(
                    args,
                    begin + key_num_index as usize,
                    begin + first_key as usize,
                    key_step.max(1) as usize,
                )?),
                FindKeys::Range { .. } => keys.extend(args.get(begin)),
            }
        }
        return Ok(keys);
    }
    let last = if spec.last_key < 0 {
        n + spec.last_key
    } else {
        spec.last_key.min(n - 1)
    };
    let step = spec.step.max(1) as usize;
    Ok((spec.first_key..=last)
        .step_by(step)
        .filter_map(|i| args.get(i as usize))
        .collect())
}

/// Redis' `genericGetKeys` (SINTERCARD's key finder): `args[count_at]`, read with C's `atoi`,
/// says how many keys there are from `args[first]` on, every `step`; none, or more than the
/// arguments hold, is `Invalid arguments specified for command`.
fn counted_keys(
    args: &[Bytes],
    count_at: usize,
    first: usize,
    step: usize,
) -> Result<Vec<&Bytes>, &'static str> {
    let invalid = "ERR Invalid arguments specified for command";
    let num = args.get(count_at).map_or(0, |a| atoi(a));
    let room = args.len().saturating_sub(first) / step;
    if num < 1 || num as usize > room {
        return Err(invalid);
    }
    Ok(args[first..]
        .iter()
        .step_by(step)
        .take(num as usize)
        .collect())
}

/// C's `atoi` as glibc has it (`(int) strtol(s, NULL, 10)`): leading white space, a sign, the
/// digits up to the first other byte (none: 0); out of `long`'s range it clamps, then the cast
/// keeps the low 32 bits.
fn atoi(s: &[u8]) -> i32 {
    let s = match s
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
    {
        Some(i) => &s[i..],
        None => return 0,
    };
    let (negative, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i128 = 0;
    for d in s.iter().take_while(|c| c.is_ascii_digit()) {
        n = (n * 10 + i128::from(d - b'0')).min(i128::from(i64::MAX) + 1);
    }
    let long = if negative { -n } else { n }.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    long as i64 as i32
}

/// One COMMAND DOCS entry (Redis' addReplyCommandDocs, without `arguments`): the name, then a
/// map of summary, since, group, complexity, doc_flags / deprecated_since / replaced_by for a
/// deprecated command, history, and for a container its subcommands' entries.
fn docs(full_name: &str, subs: &[SubSpec], proto: Proto, out: &mut BytesMut) {
    encode::bulk(out, full_name.as_bytes());
    let Some(d) = doc(full_name) else {
        encode::map_len(out, 0, proto);
        return;
    };
    let deprecated = !d.deprecated_since.is_empty();
    let n = 4
        + 2 * usize::from(deprecated)
        + usize::from(!d.replaced_by.is_empty())
        + usize::from(!d.history.is_empty())
        + usize::from(!subs.is_empty());
    encode::map_len(out, n, proto);
    for (k, v) in [
        ("summary", d.summary),
        ("since", d.since),
        ("group", d.group),
        ("complexity", d.complexity),
    ] {
        encode::bulk(out, k.as_bytes());
        encode::bulk(out, v.as_bytes());
    }
    if deprecated {
        encode::bulk(out, b"doc_flags");
        simple_set(out, &["deprecated"], proto);
        encode::bulk(out, b"deprecated_since");
        encode::bulk(out, d.deprecated_since.as_bytes());
    }
    if !d.replaced_by.is_empty() {
        encode::bulk(out, b"replaced_by");
        encode::bulk(out, d.replaced_by.as_bytes());
    }
    if !d.history.is_empty() {
        encode::bulk(out, b"history");
        encode::set_len(out, d.history.len(), proto);
        for (version, change) in d.history {
            encode::array_len(out, 2);
            encode::bulk(out, version.as_bytes());
            encode::bulk(out, change.as_bytes());
        }
    }
    if !subs.is_empty() {
        encode::bulk(out, b"subcommands");
        encode::map_len(out, subs.len(), proto);
        for sub in subs {
            docs(&format!("{full_name}|{}", sub.name), &[], proto, out);
        }
    }
}

/// COMMAND HELP, Redis' text.
const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

/// COMMAND LIST FILTERBY (Redis' commandListWithFilter): every command and subcommand whose
/// full name matches the pattern (case-insensitively) or that is in the ACL category; none
/// for a module (kvs has none) or an unknown category.
fn list_filtered(kind: ListFilter, arg: &[u8]) -> Vec<String> {
    let lower_arg = arg.to_ascii_lowercase();
    let keep = |name: &str, acl: &[&str]| match kind {
        ListFilter::Module => false,
        ListFilter::AclCat => acl
            .iter()
            .any(|c| c.as_bytes()[1..].eq_ignore_ascii_case(arg)),
        ListFilter::Pattern => glob_match(&lower_arg, name.as_bytes()),
    };
    let mut names = Vec::new();
    for s in COMMANDS {
        if keep(s.name, s.acl) {
            names.push(s.name.to_string());
        }
        for sub in subcommands(s) {
            let full = format!("{}|{}", s.name, sub.name);
            if keep(&full, sub.acl) {
                names.push(full);
            }
        }
    }
    names
}

pub fn exec(cmd: CommandCmd, proto: Proto, out: &mut BytesMut) {
    match cmd {
        CommandCmd::All => {
            encode::array_len(out, COMMANDS.len());
            for s in COMMANDS {
                info(s, proto, out);
            }
        }
        CommandCmd::Count => encode::integer(out, COMMANDS.len() as i64),
        CommandCmd::Info(names) if names.is_empty() => {
            // Redis 7: every command, as COMMAND does.
            encode::array_len(out, COMMANDS.len());
            for s in COMMANDS {
                info(s, proto, out);
            }
        }
        CommandCmd::Info(names) => {
            encode::array_len(out, names.len());
            for n in &names {
                match lookup_full(n) {
                    Some((s, None)) => info(s, proto, out),
                    Some((s, Some(sub))) => sub_info(s, sub, proto, out),
                    None => encode::null(out, proto),
                }
            }
        }
        CommandCmd::GetKeys(args) => match getkeys(&args) {
            Ok(keys) => {
                encode::array_len(out, keys.len());
                for k in keys {
                    encode::bulk(out, k);
                }
            }
            Err(e) => encode::error(out, e),
        },
        CommandCmd::Docs(names) => {
            // Unknown names are left out; `config|get` gives the subcommand's entry.
            let found: Vec<(String, &[SubSpec])> = if names.is_empty() {
                COMMANDS
                    .iter()
                    .map(|s| (s.name.to_string(), subcommands(s)))
                    .collect()
            } else {
                names
                    .iter()
                    .filter_map(|n| lookup_full(n))
                    .map(|(s, sub)| match sub {
                        Some(sub) => (format!("{}|{}", s.name, sub.name), &[][..]),
                        None => (s.name.to_string(), subcommands(s)),
                    })
                    .collect()
            };
            encode::map_len(out, found.len(), proto);
            for (name, subs) in found {
                docs(&name, subs, proto, out);
            }
        }
        CommandCmd::List(None) => {
            encode::array_len(out, COMMANDS.len());
            for s in COMMANDS {
                encode::bulk(out, s.name.as_bytes());
            }
        }
        CommandCmd::List(Some((kind, arg))) => {
            let names = list_filtered(kind, &arg);
            encode::array_len(out, names.len());
            for n in names {
                encode::bulk(out, n.as_bytes());
            }
        }
        CommandCmd::Help => {
            encode::array_len(out, HELP.len());
            for line in HELP {
                encode::simple(out, line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atoi_reads_as_glibc_does() {
        for (s, n) in [
            (&b"2"[..], 2),
            (b"2abc", 2),
            (b" \t+3", 3),
            (b"-1", -1),
            (b"2.0", 2),
            (b"x", 0),
            (b"", 0),
            (b"- 1", 0),
            (b"4294967297", 1),            // the low 32 bits of a long
            (b"99999999999999999999", -1), // clamped to LONG_MAX, then cut
            (b"-99999999999999999999", 0), // LONG_MIN's low 32 bits
        ] {
            assert_eq!(atoi(s), n, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn counted_keys_follow_generic_get_keys() {
        let args: Vec<Bytes> = ["sintercard", "2", "a", "b", "LIMIT", "1"]
            .map(Bytes::from)
            .into();
        assert_eq!(counted_keys(&args, 1, 2, 1), Ok(vec![&args[2], &args[3]]));
        let invalid = Err("ERR Invalid arguments specified for command");
        let args: Vec<Bytes> = ["sintercard", "5", "a", "b"].map(Bytes::from).into();
        assert_eq!(counted_keys(&args, 1, 2, 1), invalid);
        let args: Vec<Bytes> = ["sintercard", "0", "a"].map(Bytes::from).into();
        assert_eq!(counted_keys(&args, 1, 2, 1), invalid);
    }
}
