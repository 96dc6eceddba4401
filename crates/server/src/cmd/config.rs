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
    // The table checked CONFIG's arity (at least the subcommand).
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(super::args::wrong_arity("config"));
    };
    let bad = |name: &str| format!("ERR wrong number of arguments for 'config|{name}' command");
    let c = if is(sub, "GET") {
        if rest.is_empty() {
            return Err(bad("get"));
        }
        ConfigCmd::Get(rest.to_vec())
    } else if is(sub, "SET") {
        // Redis: arity -4 (a name and a value at least), then an even count or a syntax error.
        if rest.len() < 2 {
            return Err(bad("set"));
        }
        if !rest.len().is_multiple_of(2) {
            return Err(super::args::SYNTAX.to_string());
        }
        ConfigCmd::Set(
            rest.chunks(2)
                .map(|p| (p[0].clone(), p[1].clone()))
                .collect(),
        )
    } else if is(sub, "RESETSTAT") {
        if !rest.is_empty() {
            return Err(bad("resetstat"));
        }
        ConfigCmd::ResetStat
    } else if is(sub, "REWRITE") {
        if !rest.is_empty() {
            return Err(bad("rewrite"));
        }
        ConfigCmd::Rewrite
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    Ok(Cmd::Config(c))
}

/// Redis 7's configGetCommand: a pattern without glob characters (`*`, `?`, `[`) is looked up by
/// name, case-insensitively, and answered under the name *as given* (`CONFIG GET TIMEOUT` ->
/// `TIMEOUT`); a glob is matched case-insensitively and answered under the canonical names. A
/// parameter matched twice is listed once, under its first spelling. Redis' order is its
/// dictionary's; here it is the patterns', then the parameter list's.
fn get<'a>(params: &'a [(String, String)], patterns: &'a [Bytes]) -> Vec<(&'a [u8], &'a String)> {
    let mut seen = vec![false; params.len()];
    let mut out = Vec::new();
    for p in patterns {
        let glob = p.iter().any(|c| matches!(c, b'*' | b'?' | b'['));
        for (i, (name, value)) in params.iter().enumerate() {
            if seen[i] {
                continue;
            }
            if glob && glob_match(&p.to_ascii_lowercase(), name.as_bytes()) {
                seen[i] = true;
                out.push((name.as_bytes(), value));
            } else if !glob && name.as_bytes().eq_ignore_ascii_case(p) {
                seen[i] = true;
                out.push((&p[..], value));
            }
        }
    }
    out
}

pub fn exec(cmd: ConfigCmd, proto: Proto, ctx: &ServerCtx, out: &mut BytesMut) {
    match cmd {
        ConfigCmd::Get(patterns) => {
            let params = ctx.config_params();
            let matched = get(&params, &patterns);
            encode::map_len(out, matched.len(), proto);
            for (k, v) in matched {
                encode::bulk(out, k);
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
                if let Err(e) = ctx.config_prepare(
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
