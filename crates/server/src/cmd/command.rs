//! COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, COMMAND LIST: the command table as Redis
//! 7 reports it (redis-cli asks for DOCS at start-up to show hints).

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::is;
use super::table::{COMMANDS, Spec, lookup};
use crate::resp::{Proto, encode};

/// A parsed COMMAND subcommand.
#[derive(Debug)]
pub enum CommandCmd {
    /// COMMAND: every command's info.
    All,
    /// COMMAND COUNT
    Count,
    /// COMMAND INFO name...
    Info(Vec<Bytes>),
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
    encode::array_len(out, 0); // subcommands
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
        CommandCmd::Info(names) => {
            encode::array_len(out, names.len());
            for n in &names {
                match lookup(n) {
                    Some(s) => info(s, proto, out),
                    None => encode::null(out, proto),
                }
            }
        }
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
