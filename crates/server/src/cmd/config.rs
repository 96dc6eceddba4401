//! CONFIG GET pattern... / CONFIG SET name value... / CONFIG RESETSTAT / CONFIG REWRITE.

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::is;
use crate::ctx::ServerCtx;
use crate::pattern::glob_match;
use crate::resp::{Proto, encode};

/// A parsed CONFIG subcommand.
#[derive(Debug)]
pub enum ConfigCmd {
    /// CONFIG GET pattern [pattern ...]
    Get(Vec<Bytes>),
    /// CONFIG SET name value [name value ...]
    Set(Vec<(Bytes, Bytes)>),
    /// CONFIG RESETSTAT
    ResetStat,
    /// CONFIG REWRITE
    Rewrite,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let sub = &args[1];
    let rest = &args[2..];
    let bad = |name: &str| format!("ERR wrong number of arguments for 'config|{name}' command");
    let c = if is(sub, "GET") {
        if rest.is_empty() {
            return Err(bad("get"));
        }
        ConfigCmd::Get(rest.to_vec())
    } else if is(sub, "SET") {
        if rest.is_empty() || rest.len() % 2 != 0 {
            return Err(bad("set"));
        }
        ConfigCmd::Set(
            rest.chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect(),
        )
    } else if is(sub, "RESETSTAT") {
        ConfigCmd::ResetStat
    } else if is(sub, "REWRITE") {
        ConfigCmd::Rewrite
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    Ok(Cmd::Config(c))
}

pub fn exec(cmd: ConfigCmd, proto: Proto, ctx: &ServerCtx, out: &mut BytesMut) {
    match cmd {
        ConfigCmd::Get(patterns) => {
            let params = ctx.config_params();
            let matched: Vec<&(String, String)> = params
                .iter()
                .filter(|(name, _)| {
                    patterns
                        .iter()
                        .any(|p| glob_match(&p.to_ascii_lowercase(), name.as_bytes()))
                })
                .collect();
            encode::map_len(out, matched.len(), proto);
            for (k, v) in matched {
                encode::bulk(out, k.as_bytes());
                encode::bulk(out, v.as_bytes());
            }
        }
        ConfigCmd::Set(pairs) => {
            for (i, (k, _)) in pairs.iter().enumerate() {
                if pairs[..i]
                    .iter()
                    .any(|(other, _)| other.eq_ignore_ascii_case(k))
                {
                    let name = String::from_utf8_lossy(k);
                    return encode::error(
                        out,
                        &format!(
                            "ERR CONFIG SET failed (possibly related to argument '{name}') - duplicate parameter"
                        ),
                    );
                }
            }
            for (k, v) in &pairs {
                if let Err(e) = ctx.config_check(
                    &String::from_utf8_lossy(k).to_lowercase(),
                    &String::from_utf8_lossy(v),
                ) {
                    return encode::error(out, &e);
                }
            }
            for (k, v) in &pairs {
                let _ = ctx.config_set(
                    &String::from_utf8_lossy(k).to_lowercase(),
                    &String::from_utf8_lossy(v),
                );
            }
            encode::simple(out, "OK");
        }
        ConfigCmd::ResetStat => {
            ctx.reset_stats();
            encode::simple(out, "OK");
        }
        ConfigCmd::Rewrite => encode::error(out, "ERR The server is running without a config file"),
    }
}
