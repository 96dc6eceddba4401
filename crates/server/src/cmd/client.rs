//! CLIENT ID | SETNAME | GETNAME | SETINFO | LIST | INFO | KILL | REPLY | UNBLOCK | HELP.

use bytes::{Bytes, BytesMut};

use super::args::{SYNTAX, is};
use super::{After, Cmd};
use crate::blocked::UnblockReason;
use crate::conn_state::{ReplyMode, SessionState};
use crate::ctx::{ClientInfo, ServerCtx};
use crate::resp::encode;

/// A parsed CLIENT subcommand.
#[derive(Debug)]
pub enum ClientCmd {
    /// CLIENT ID
    Id,
    /// CLIENT SETNAME name
    SetName(Bytes),
    /// CLIENT GETNAME
    GetName,
    /// CLIENT SETINFO LIB-NAME|LIB-VER value
    SetInfo(Bytes, Bytes),
    /// CLIENT LIST [TYPE type | ID id...] / CLIENT INFO
    List { only_me: bool, filter: ListFilter },
    /// CLIENT KILL ip:port / CLIENT KILL filter value [filter value ...]
    Kill(KillFilter),
    /// CLIENT REPLY ON|OFF|SKIP
    Reply(ReplyMode),
    /// CLIENT HELP
    Help,
    /// CLIENT NO-EVICT / NO-TOUCH: accepted, nothing to do here (kvs never evicts).
    Noop,
    /// CLIENT UNBLOCK id [TIMEOUT|ERROR]: `true` for ERROR.
    Unblock(u64, bool),
}

/// Which clients CLIENT LIST shows.
#[derive(Debug)]
pub enum ListFilter {
    /// All of them (no filter).
    All,
    /// `TYPE t`: the clients of that type.
    Type(ClientType),
    /// `ID id [id ...]`: these, in this order, the ones that exist.
    Ids(Vec<u64>),
}

/// Redis' client types, as CLIENT LIST and CLIENT KILL filter them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// No subscriptions.
    Normal,
    /// With subscriptions (Redis' CLIENT_PUBSUB).
    PubSub,
    /// `master`, `replica`, `slave`: kvs has no replication, so nobody.
    Replication,
}

impl ClientType {
    /// Redis' `getClientTypeByName`, or its error.
    fn parse(name: &Bytes) -> Result<ClientType, String> {
        if is(name, "normal") {
            Ok(ClientType::Normal)
        } else if is(name, "pubsub") {
            Ok(ClientType::PubSub)
        } else if ["master", "replica", "slave"].iter().any(|t| is(name, t)) {
            Ok(ClientType::Replication)
        } else {
            Err(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(name)
            ))
        }
    }

    /// Is `c` of this type?
    fn holds(self, c: &ClientInfo) -> bool {
        match self {
            ClientType::Normal => !c.is_pubsub(),
            ClientType::PubSub => c.is_pubsub(),
            ClientType::Replication => false,
        }
    }
}

/// Which clients CLIENT KILL closes: those that pass every filter given (Redis' clientCommand
/// "kill", with 7.4's MAXAGE). A filter given twice keeps its last value, as in Redis.
#[derive(Debug)]
pub struct KillFilter {
    /// The old form, `CLIENT KILL ip:port`: answers `+OK` or `No such client`, and may kill the
    /// caller; the new form answers the number of clients killed.
    old_form: bool,
    /// `ADDR ip:port` (or the old form's address): the peer address, exactly.
    addr: Option<Bytes>,
    /// `LADDR ip:port`: the local address, exactly.
    laddr: Option<Bytes>,
    /// `ID id`.
    id: Option<u64>,
    /// `TYPE normal|pubsub|master|replica|slave` (`USER default` matches everyone: kvs has no
    /// other user).
    client_type: Option<ClientType>,
    /// `MAXAGE seconds` (Redis 7.4): only clients connected longer than this.
    max_age: Option<u64>,
    /// `SKIPME yes|no` (default yes; the old form: no): spare the caller.
    skip_me: bool,
}

impl KillFilter {
    fn matches(&self, c: &ClientInfo, me: u64, now: u64) -> bool {
        self.client_type.is_none_or(|t| t.holds(c))
            && self.addr.as_ref().is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.as_ref().is_none_or(|a| a == c.laddr.as_bytes())
            && self.id.is_none_or(|id| id == c.id)
            && self
                .max_age
                .is_none_or(|max| now.saturating_sub(c.created) > max)
            && !(self.skip_me && c.id == me)
    }
}

/// Redis' clientCommand "kill": three arguments are the old form (the address); more are
/// filter/value pairs, checked in order, the first bad one answering its error.
fn parse_kill(rest: &[Bytes]) -> Result<KillFilter, String> {
    let mut f = KillFilter {
        old_form: rest.len() == 1,
        addr: None,
        laddr: None,
        id: None,
        client_type: None,
        max_age: None,
        skip_me: true,
    };
    if let [addr] = rest {
        f.addr = Some(addr.clone());
        f.skip_me = false; // with the old form you can kill yourself
        return Ok(f);
    }
    for pair in rest.chunks(2) {
        let [opt, value] = pair else {
            return Err(SYNTAX.into());
        };
        if is(opt, "ID") {
            // getRangeLongFromObjectOrReply(1, LONG_MAX): one message for both failures.
            match super::args::parse_i64(value) {
                Some(id) if id >= 1 => f.id = Some(id as u64),
                _ => return Err("ERR client-id should be greater than 0".into()),
            }
        } else if is(opt, "TYPE") {
            f.client_type = Some(ClientType::parse(value)?);
        } else if is(opt, "ADDR") {
            f.addr = Some(value.clone());
        } else if is(opt, "LADDR") {
            f.laddr = Some(value.clone());
        } else if is(opt, "USER") {
            // ACL user names are case-sensitive; kvs has only `default`.
            if &value[..] != b"default" {
                return Err(format!(
                    "ERR No such user '{}'",
                    String::from_utf8_lossy(value)
                ));
            }
        } else if is(opt, "SKIPME") {
            if is(value, "yes") {
                f.skip_me = true;
            } else if is(value, "no") {
                f.skip_me = false;
            } else {
                return Err(SYNTAX.into());
            }
        } else if is(opt, "MAXAGE") {
            match super::args::parse_i64(value) {
                None => return Err("ERR maxage is not an integer or out of range".into()),
                Some(age) if age <= 0 => return Err("ERR maxage should be greater than 0".into()),
                Some(age) => f.max_age = Some(age as u64),
            }
        } else {
            return Err(SYNTAX.into());
        }
    }
    Ok(f)
}

/// Redis' clientCommand "list": `TYPE` with exactly one type, or `ID` with one id or more (every
/// argument after it an integer).
fn parse_list(rest: &[Bytes]) -> Result<ListFilter, String> {
    match rest {
        [] => Ok(ListFilter::All),
        [opt, t] if is(opt, "TYPE") => ClientType::parse(t).map(ListFilter::Type),
        [opt, ids @ ..] if !ids.is_empty() && is(opt, "ID") => ids
            .iter()
            .map(|a| {
                super::args::int(a)
                    .map(|id| u64::try_from(id).unwrap_or(0))
                    .map_err(|_| "ERR Invalid client ID".to_string())
            })
            .collect::<Result<Vec<u64>, String>>()
            .map(ListFilter::Ids),
        _ => Err(SYNTAX.into()),
    }
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    // The table checked CLIENT's arity (at least the subcommand); `rest` follows it.
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(super::args::wrong_arity("client"));
    };
    let n = args.len();
    let bad_arity = || {
        format!(
            "ERR wrong number of arguments for 'client|{}' command",
            String::from_utf8_lossy(sub).to_lowercase()
        )
    };
    let exact = |want: usize| if n == want { Ok(()) } else { Err(bad_arity()) };
    let cmd = if is(sub, "ID") {
        exact(2)?;
        ClientCmd::Id
    } else if is(sub, "SETNAME") {
        let [name] = rest else {
            return Err(bad_arity());
        };
        ClientCmd::SetName(name.clone())
    } else if is(sub, "GETNAME") {
        exact(2)?;
        ClientCmd::GetName
    } else if is(sub, "SETINFO") {
        let [opt, value] = rest else {
            return Err(bad_arity());
        };
        if !is(opt, "LIB-NAME") && !is(opt, "LIB-VER") {
            return Err(format!(
                "ERR Unrecognized option '{}'",
                String::from_utf8_lossy(opt)
            ));
        }
        ClientCmd::SetInfo(opt.clone(), value.clone())
    } else if is(sub, "LIST") {
        ClientCmd::List {
            only_me: false,
            filter: parse_list(rest)?,
        }
    } else if is(sub, "INFO") {
        exact(2)?;
        ClientCmd::List {
            only_me: true,
            filter: ListFilter::All,
        }
    } else if is(sub, "KILL") {
        if rest.is_empty() {
            return Err(bad_arity());
        }
        ClientCmd::Kill(parse_kill(rest)?)
    } else if is(sub, "HELP") {
        exact(2)?;
        ClientCmd::Help
    } else if is(sub, "REPLY") {
        let [mode] = rest else {
            return Err(bad_arity());
        };
        ClientCmd::Reply(if is(mode, "ON") {
            ReplyMode::On
        } else if is(mode, "OFF") {
            ReplyMode::Off
        } else if is(mode, "SKIP") {
            ReplyMode::SkipNext
        } else {
            return Err(SYNTAX.to_string());
        })
    } else if is(sub, "NO-EVICT") || is(sub, "NO-TOUCH") {
        ClientCmd::Noop
    } else if is(sub, "UNBLOCK") {
        // Redis checks the reason first, then the id.
        let (id, error) = match rest {
            [id] => (id, false),
            [id, reason] if is(reason, "TIMEOUT") => (id, false),
            [id, reason] if is(reason, "ERROR") => (id, true),
            [_, _] => return Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into()),
            [] => return Err(bad_arity()),
            // Redis 7.0's addReplySubcommandSyntaxError, with the subcommand as typed.
            _ => {
                return Err(format!(
                    "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
                    String::from_utf8_lossy(sub)
                ));
            }
        };
        let id = super::args::parse_i64(id).ok_or(super::args::NOT_INTEGER)?;
        ClientCmd::Unblock(u64::try_from(id).unwrap_or(0), error)
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try CLIENT HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    Ok(Cmd::Client(cmd))
}

/// Redis refuses names with spaces, newlines or other special characters.
pub fn check_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    Ok(())
}

pub fn exec(cmd: ClientCmd, st: &mut SessionState, ctx: &ServerCtx, out: &mut BytesMut) -> After {
    match cmd {
        ClientCmd::Id => encode::integer(out, st.client_id as i64),
        ClientCmd::SetName(name) => match check_name(&name) {
            Err(e) => encode::error(out, e),
            Ok(()) => {
                st.name = if name.is_empty() { None } else { Some(name) };
                st.publish(ctx);
                encode::simple(out, "OK");
            }
        },
        ClientCmd::GetName => match &st.name {
            Some(n) => encode::bulk(out, n),
            None => encode::null(out, st.proto),
        },
        ClientCmd::SetInfo(attr, value) => {
            if value.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
                let attr = String::from_utf8_lossy(&attr).to_string();
                encode::error(
                    out,
                    &format!("ERR {attr} cannot contain spaces, newlines or special characters."),
                );
            } else {
                if is(&attr, "LIB-NAME") {
                    st.lib_name = Some(value);
                } else {
                    st.lib_ver = Some(value);
                }
                st.publish(ctx);
                encode::simple(out, "OK");
            }
        }
        ClientCmd::List { only_me, filter } => {
            st.publish(ctx);
            let text = if only_me {
                ctx.client_line(st.client_id, info_line).unwrap_or_default()
            } else {
                match filter {
                    ListFilter::All => ctx.client_list(|_| true, info_line),
                    ListFilter::Type(t) => ctx.client_list(|c| t.holds(c), info_line),
                    // Redis prints them in the order asked, once per mention.
                    ListFilter::Ids(ids) => ids
                        .iter()
                        .filter_map(|id| ctx.client_line(*id, info_line))
                        .collect(),
                }
            };
            encode::verbatim(out, "txt", text.as_bytes(), st.proto);
        }
        ClientCmd::Help => {
            let lines = [
                "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ID",
                "    Return the ID of the current connection.",
                "GETNAME",
                "    Return the name of the current connection.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>",
                "    Set client meta attr (LIB-NAME, LIB-VER).",
                "LIST",
                "    Return information about client connections.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR <ip:port>",
                "      Kill connections made from the specified address",
                "    * LADDR <ip:port>",
                "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Kill connections by type.",
                "    * USER <username>",
                "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "    * MAXAGE <maxage>",
                "      Kill connections older than the specified age.",
                "REPLY (ON|OFF|SKIP)",
                "    Control the replies sent to the current connection.",
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "    Unblock the specified blocked client.",
                "HELP",
                "    Print this help.",
            ];
            encode::array_len(out, lines.len());
            for l in lines {
                encode::simple(out, l);
            }
        }
        ClientCmd::Kill(filter) => {
            let me = st.client_id;
            let now = kvs_storage::now_ms() / 1000;
            let (killed, me_too) = ctx.kill_clients(me, |c| filter.matches(c, me, now));
            if !filter.old_form {
                encode::integer(out, killed as i64);
            } else if killed == 0 {
                encode::error(out, "ERR No such client");
            } else {
                encode::simple(out, "OK");
            }
            if me_too {
                // Redis' CLIENT_CLOSE_AFTER_REPLY: the reply goes out, then the connection closes
                // (as QUIT; later pipelined commands are not run).
                return After::Close;
            }
        }
        // Redis' clientCommand "reply": ON answers OK; OFF and SKIP answer nothing (OFF is on
        // already; SKIP's own reply would be the one to skip). SKIP while OFF stays OFF.
        ClientCmd::Reply(ReplyMode::On) => {
            st.reply_mode = ReplyMode::On;
            encode::simple(out, "OK");
        }
        ClientCmd::Reply(ReplyMode::Off) => st.reply_mode = ReplyMode::Off,
        ClientCmd::Reply(ReplyMode::SkipNext) => {
            if st.reply_mode != ReplyMode::Off {
                st.reply_mode = ReplyMode::SkipNext;
            }
        }
        ClientCmd::Noop => encode::simple(out, "OK"),
        ClientCmd::Unblock(id, error) => {
            // The target's own looper sends the request, behind its blocking command; the
            // writer decides: it ends the wait unless data reached the client first.
            let target = ctx.client_blocked(id);
            let blocked = matches!(target, Some((true, Some(_))));
            if let Some((true, Some(conn))) = target {
                let reason = if error {
                    UnblockReason::Error
                } else {
                    UnblockReason::Timeout
                };
                ctx.blocked.post_unblock(&conn, reason);
            }
            encode::integer(out, i64::from(blocked));
        }
    }
    After::Continue
}

/// One client's CLIENT LIST / CLIENT INFO line, Redis 7's fields (those kvs has no notion of
/// carry Redis' value for an idle client).
pub(crate) fn info_line(c: &ClientInfo) -> String {
    let age = (kvs_storage::now_ms() / 1000).saturating_sub(c.created);
    let cmd = super::table::command_name(c.cmd.load(std::sync::atomic::Ordering::Relaxed));
    // Redis' flags: P for a client with subscriptions, b for one blocked, N for none.
    let flags = match (
        c.is_pubsub(),
        c.blocked.load(std::sync::atomic::Ordering::Relaxed),
    ) {
        (false, false) => "N",
        (true, false) => "P",
        (false, true) => "b",
        (true, true) => "Pb",
    };
    format!(
        "id={} addr={} laddr={} fd=-1 name={} age={age} idle=0 flags={flags} db=0 sub={} psub={} ssub={} multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={cmd} user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
        c.id, c.addr, c.laddr, c.name, c.sub, c.psub, c.ssub, c.resp, c.lib_name, c.lib_ver
    )
}
