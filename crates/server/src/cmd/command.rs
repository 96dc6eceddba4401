//! COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, COMMAND LIST, COMMAND GETKEYS: the command
//! table as Redis 7 reports it (redis-cli asks for DOCS at start-up to show hints).

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::is;
use super::table::{COMMANDS, Spec, SubSpec, lookup, lookup_full, subcommands};
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
    /// COMMAND LIST
    List,
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
        if !(rest.is_empty() || rest.len() == 2 && is(&rest[0], "FILTERBY")) {
            return Err(super::args::SYNTAX.into());
        }
        CommandCmd::List
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    Ok(Cmd::Command(c))
}

fn info(spec: &Spec, proto: Proto, out: &mut BytesMut) {
    encode::array_len(out, 10);
    encode::bulk(out, spec.name.as_bytes());
    encode::integer(out, i64::from(spec.arity));
    encode::set_len(out, spec.flags.len(), proto);
    for f in spec.flags {
        encode::simple(out, f);
    }
    encode::integer(out, i64::from(spec.first_key));
    encode::integer(out, i64::from(spec.last_key));
    encode::integer(out, i64::from(spec.step));
    encode::set_len(out, 0, proto); // ACL categories
    encode::set_len(out, 0, proto); // tips
    encode::array_len(out, 0); // key specs
    let subs = subcommands(spec);
    encode::array_len(out, subs.len());
    for sub in subs {
        sub_info(spec, sub, proto, out);
    }
}

/// A subcommand's entry, as Redis 7 gives it (`config|get`, no keys, no subcommands).
fn sub_info(spec: &Spec, sub: &SubSpec, proto: Proto, out: &mut BytesMut) {
    encode::array_len(out, 10);
    encode::bulk(out, format!("{}|{}", spec.name, sub.name).as_bytes());
    encode::integer(out, i64::from(sub.arity));
    encode::set_len(out, sub.flags.len(), proto);
    for f in sub.flags {
        encode::simple(out, f);
    }
    for _ in 0..3 {
        encode::integer(out, 0); // first key, last key, step
    }
    encode::set_len(out, 0, proto); // ACL categories
    encode::set_len(out, 0, proto); // tips
    encode::array_len(out, 0); // key specs
    encode::array_len(out, 0); // subcommands
}

/// COMMAND GETKEYS (Redis' getKeysSubcommandImpl with the legacy first/last/step positions):
/// the command must exist, have keys, and be given a valid number of arguments.
fn getkeys(args: &[Bytes]) -> Result<Vec<&Bytes>, &'static str> {
    let spec = lookup(&args[0]).ok_or("ERR Invalid command specified")?;
    let subs = subcommands(spec);
    if !subs.is_empty()
        && !subs
            .iter()
            .any(|s| s.name.as_bytes().eq_ignore_ascii_case(&args[1]))
    {
        return Err("ERR Invalid command specified");
    }
    if spec.first_key <= 0 {
        return Err("ERR The command has no key arguments");
    }
    let n = args.len() as i32;
    if (spec.arity > 0 && spec.arity != n) || n < -spec.arity {
        return Err("ERR Invalid number of arguments specified for command");
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

fn docs(spec: &Spec, proto: Proto, out: &mut BytesMut) {
    encode::bulk(out, spec.name.as_bytes());
    encode::map_len(out, 3, proto);
    encode::bulk(out, b"summary");
    encode::bulk(
        out,
        format!("kvs implementation of {}", spec.name.to_uppercase()).as_bytes(),
    );
    encode::bulk(out, b"since");
    encode::bulk(out, b"1.0.0");
    encode::bulk(out, b"group");
    let group = if spec.first_key > 0 {
        "string"
    } else {
        "server"
    };
    encode::bulk(out, group.as_bytes());
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
            let specs: Vec<&Spec> = if names.is_empty() {
                COMMANDS.iter().collect()
            } else {
                names.iter().filter_map(|n| lookup(n)).collect()
            };
            encode::map_len(out, specs.len(), proto);
            for s in specs {
                docs(s, proto, out);
            }
        }
        CommandCmd::List => {
            encode::array_len(out, COMMANDS.len());
            for s in COMMANDS {
                encode::bulk(out, s.name.as_bytes());
            }
        }
    }
}
