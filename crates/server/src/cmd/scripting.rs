//! FUNCTION FLUSH | LIST | HELP and SCRIPT FLUSH | EXISTS | HELP, answered truthfully for a server
//! that runs no scripts: there is never a library or a cached script, so a flush has nothing to
//! do and every lookup is a miss. Redis' test harness sends `FUNCTION FLUSH` before every test
//! file, and client libraries probe `SCRIPT EXISTS` before `EVALSHA`. The other subcommands
//! (LOAD, DELETE, KILL, STATS, DUMP, RESTORE, DEBUG) would need a script engine; they are not in
//! the command table, so they get Redis' "unknown subcommand" error. Texts are redis-server
//! 7.0.15's (`functions.c`, `eval.c`).

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::{is, wrong_arity};
use crate::resp::encode;

/// A parsed FUNCTION or SCRIPT subcommand.
#[derive(Debug)]
pub enum ScriptingCmd {
    /// FUNCTION FLUSH [ASYNC|SYNC] / SCRIPT FLUSH [ASYNC|SYNC]
    Flush,
    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
    List,
    /// SCRIPT EXISTS sha1 [sha1 ...]: how many SHA1s were asked.
    Exists(usize),
    /// FUNCTION HELP / SCRIPT HELP
    Help(&'static [&'static str]),
}

/// FUNCTION's subcommands. The table checked FUNCTION's own arity (a subcommand at least).
pub fn parse_function(args: &[Bytes]) -> Result<Cmd, String> {
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(wrong_arity("function"));
    };
    let c = if is(sub, "FLUSH") {
        match rest {
            [] => ScriptingCmd::Flush,
            [mode] if is(mode, "SYNC") || is(mode, "ASYNC") => ScriptingCmd::Flush,
            [_] => return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option".into()),
            // addReplySubcommandSyntaxError: the subcommand as sent, FUNCTION upper-cased.
            _ => {
                return Err(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
                    String::from_utf8_lossy(sub)
                ));
            }
        }
    } else if is(sub, "LIST") {
        parse_list(rest)?;
        ScriptingCmd::List
    } else if is(sub, "HELP") {
        if !rest.is_empty() {
            return Err(wrong_arity("function|help"));
        }
        ScriptingCmd::Help(FUNCTION_HELP)
    } else {
        return Err(unknown("FUNCTION", sub));
    };
    Ok(Cmd::Scripting(c))
}

/// FUNCTION LIST's options, checked as `functionListCommand` does (each at most once, then
/// "Unknown argument"); with no libraries the pattern matches nothing either way.
fn parse_list(mut rest: &[Bytes]) -> Result<(), String> {
    let (mut with_code, mut library_name) = (false, false);
    while let Some((arg, more)) = rest.split_first() {
        rest = more;
        if !with_code && is(arg, "WITHCODE") {
            with_code = true;
        } else if !library_name && is(arg, "LIBRARYNAME") {
            let Some((_pattern, more)) = rest.split_first() else {
                return Err("ERR library name argument was not given".into());
            };
            rest = more;
            library_name = true;
        } else {
            return Err(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            ));
        }
    }
    Ok(())
}

/// SCRIPT's subcommands. The table checked SCRIPT's own arity (a subcommand at least).
pub fn parse_script(args: &[Bytes]) -> Result<Cmd, String> {
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(wrong_arity("script"));
    };
    let c = if is(sub, "FLUSH") {
        match rest {
            [] => ScriptingCmd::Flush,
            [mode] if is(mode, "SYNC") || is(mode, "ASYNC") => ScriptingCmd::Flush,
            _ => return Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option".into()),
        }
    } else if is(sub, "EXISTS") {
        if rest.is_empty() {
            return Err(wrong_arity("script|exists"));
        }
        ScriptingCmd::Exists(rest.len())
    } else if is(sub, "HELP") {
        if !rest.is_empty() {
            return Err(wrong_arity("script|help"));
        }
        ScriptingCmd::Help(SCRIPT_HELP)
    } else {
        return Err(unknown("SCRIPT", sub));
    };
    Ok(Cmd::Scripting(c))
}

fn unknown(container: &str, sub: &Bytes) -> String {
    format!(
        "ERR unknown subcommand '{}'. Try {container} HELP.",
        String::from_utf8_lossy(sub)
    )
}

/// Runs a FUNCTION or SCRIPT subcommand on the looper.
pub fn exec(cmd: ScriptingCmd, out: &mut BytesMut) {
    match cmd {
        ScriptingCmd::Flush => encode::simple(out, "OK"),
        ScriptingCmd::List => encode::array_len(out, 0),
        ScriptingCmd::Exists(n) => {
            encode::array_len(out, n);
            for _ in 0..n {
                encode::integer(out, 0);
            }
        }
        ScriptingCmd::Help(lines) => {
            encode::array_len(out, lines.len());
            for line in lines {
                encode::simple(out, line);
            }
        }
    }
}

/// FUNCTION HELP, Redis' text (`functionHelpCommand` and `addReplyHelp`).
const FUNCTION_HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];

/// SCRIPT HELP, Redis' text (`scriptCommand` and `addReplyHelp`).
const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];
