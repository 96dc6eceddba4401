//! The commands: each file parses one command (or one family, like INCR/DECR/INCRBY/DECRBY) into
//! a [`Cmd`] and executes it. [`Cmd::route`] says where it runs:
//!
//! - [`Route::Local`]: on the looper, answered at once (PING, HELLO, AUTH, CLIENT, CONFIG...);
//! - [`Route::Read`]: on a storage reader thread through the lock-free [`Db`] view;
//! - [`Route::Write`]: on the storage writer thread, atomically, through [`WriteDb`];
//! - [`Route::Flush`] / [`Route::Save`]: whole-store operations of the writer.
//!
//! Replies are encoded where the command runs (on the storage threads for storage commands), so
//! the looper only copies bytes into the socket.

pub mod args;
pub mod table;
mod table_flags;

mod append;
mod bpop;
mod client;
mod collection;
mod command;
mod config;
mod connection;
mod copy;
mod del;
mod docs;
mod draw;
mod exists;
mod expire;
mod get;
mod getbit;
mod getdel;
mod getex;
mod getrange;
mod getset;
mod hdel;
mod hello;
mod hget;
mod hgetall;
mod hincrby;
mod hrandfield;
mod hscan;
mod hset;
mod incr;
mod incrbyfloat;
mod info;
mod keys;
mod lcs;
mod linsert;
mod list_walk;
mod lmove;
mod lmpop;
mod long_double;
mod lpop;
mod lpos;
mod lpush;
mod lrange;
mod lrem;
mod lset;
mod ltrim;
mod memory;
mod mget;
mod mset;
mod multi;
mod object;
mod prefetch;
mod pubsub;
mod randomkey;
mod rename;
mod sadd;
mod scan;
mod scripting;
mod server;
mod set;
mod setbit;
mod setops;
mod setrange;
mod sismember;
mod smembers;
mod smove;
mod spop;
mod srandmember;
mod sscan;
mod storage_command;
mod strlen;
mod subcommands;
mod ttl;
mod type_;
mod zadd;
mod zcount;
mod zmpop;
mod zpop;
mod zrange;
mod zrangestore;
mod zrank;
mod zrem;
mod zremrange;
mod zscore;
mod zset;
mod zsetops;

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

pub(crate) use crate::conn_state::ReplyMode;
use crate::conn_state::SessionState;
use crate::ctx::ServerCtx;
pub use crate::db::{Db, WriteDb};
use crate::resp::{Proto, encode};
pub use bpop::{BPop, Blocker};
pub(crate) use client::ClientCmd;
pub(crate) use connection::ConnectionCmd;
pub use multi::{EXECABORT, MultiState, TxCmd, exec_abort, runs_inside_multi};
pub use prefetch::{prefetch_reads, prefetch_writes};
pub use pubsub::refused_in_subscribed_mode;
pub use storage_command::{ElementReads, StorageCmd, StorageCommand};

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// On the looper, now.
    Local,
    /// On a reader thread (or behind a pending write, on the writer).
    Read,
    /// On the writer thread.
    Write,
    /// FLUSHALL / FLUSHDB: the writer's one-edit wipe.
    Flush,
    /// SAVE: an fsync of everything written so far.
    Save,
}

/// What a local command asks of the connection afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Keep serving.
    Continue,
    /// Close once the reply is written (QUIT).
    Close,
}

/// A parsed command.
#[derive(Debug)]
pub enum Cmd {
    /// PING / ECHO / SELECT / QUIT / RESET / AUTH / TIME / LASTSAVE ...
    Connection(connection::ConnectionCmd),
    /// HELLO.
    Hello(hello::Hello),
    /// CLIENT ...
    Client(client::ClientCmd),
    /// COMMAND ...
    Command(command::CommandCmd),
    /// CONFIG ...
    Config(config::ConfigCmd),
    /// INFO [section ...]
    Info(Vec<Bytes>),
    /// DBSIZE, SAVE, BGREWRITEAOF, SHUTDOWN, FLUSHALL, FLUSHDB
    Server(server::ServerCmd),
    /// FUNCTION / SCRIPT: a server without scripts.
    Scripting(scripting::ScriptingCmd),
    /// SUBSCRIBE, PUBLISH, PUBSUB...: the client's looper and the server's registry.
    PubSub(pubsub::PubSubCmd),
    /// MULTI / EXEC / DISCARD: run by the session (`Session::handle`, `cmd::multi`).
    Tx(multi::TxCmd),
    /// A reply made in advance, inside EXEC: a queued command's argument error, or the reply of
    /// a looper command (PING, CLIENT...) run when EXEC came. Appended as it is.
    Reply(Bytes),
    /// A command run on a storage thread: GET, SET, INCR... (any [`StorageCommand`]).
    Storage(StorageCmd),
}

impl Cmd {
    /// The keys a read command looks up, if looking them up is all it does (GET, MGET, EXISTS,
    /// TYPE, TTL, STRLEN, GETRANGE): such a read may run on the looper when none of its
    /// records can block. `None` for everything else, reads that walk the keyspace (KEYS,
    /// SCAN, RANDOMKEY, DBSIZE) included.
    pub fn looked_up_keys(&self) -> Option<&[Bytes]> {
        match self {
            Cmd::Storage(c) => c.looked_up_keys(),
            _ => None,
        }
    }

    /// The elements a read looks up by name in one collection, if that is all it does (HGET,
    /// HMGET, HEXISTS, HSTRLEN, SISMEMBER, SMISMEMBER): such a read, too, may run on the
    /// looper when none of its records can block. `None` for everything else.
    pub fn looked_up_elements(&self) -> Option<ElementReads<'_>> {
        match self {
            Cmd::Storage(c) => c.looked_up_elements(),
            _ => None,
        }
    }

    /// A blocking pop (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP): the session sends it alone
    /// and the writer may park it (`crate::blocking`).
    pub fn as_blocking(&self) -> Option<&BPop> {
        match self {
            Cmd::Storage(StorageCmd::BPop(b)) => Some(b),
            _ => None,
        }
    }

    /// The key a write command reads before it writes (INCR's counter, APPEND's string...), for
    /// the writer to prefetch a batch's keys (see [`prefetch_reads`]); `None` for the rest.
    pub fn key_read_by_write(&self) -> Option<&Bytes> {
        match self {
            Cmd::Storage(c) => c.key_read_by_write(),
            _ => None,
        }
    }

    /// The elements of one collection a write command looks up before it writes (HSET, SADD,
    /// SREM, HDEL...), for the writer to prefetch them (see [`prefetch_writes`]).
    pub fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        match self {
            Cmd::Storage(c) => c.elements_read_by_write(),
            _ => None,
        }
    }

    /// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE: their confirmations are pushes (RESP3)
    /// or push-like arrays (RESP2), sent even under CLIENT REPLY OFF.
    pub fn confirms_with_push(&self) -> bool {
        matches!(
            self,
            Cmd::PubSub(pubsub::PubSubCmd::Subscribe(..) | pubsub::PubSubCmd::Unsubscribe(..))
        )
    }

    /// May this command run before the client has authenticated? (AUTH, HELLO, QUIT, RESET, as
    /// Redis: they are flagged `no_auth`.)
    pub fn allowed_before_auth(&self) -> bool {
        use connection::ConnectionCmd::{Auth, Quit, Reset};
        matches!(
            self,
            Cmd::Hello(_) | Cmd::Connection(Auth(..) | Quit | Reset)
        )
    }

    /// Where the command runs.
    pub fn route(&self) -> Route {
        match self {
            Cmd::Connection(_)
            | Cmd::Hello(_)
            | Cmd::Client(_)
            | Cmd::Command(_)
            | Cmd::Config(_)
            | Cmd::Info(_)
            | Cmd::Scripting(_)
            | Cmd::PubSub(_)
            | Cmd::Tx(_)
            | Cmd::Reply(_) => Route::Local,
            Cmd::Server(s) => s.route(),
            Cmd::Storage(c) if c.on_writer() => Route::Write,
            Cmd::Storage(_) => Route::Read,
        }
    }

    /// Whether the command may modify the data set: refused with MISCONF while the store
    /// refuses writes (reads that merely run on the writer are not).
    pub fn modifies(&self) -> bool {
        match self {
            Cmd::Storage(c) => c.writes(),
            c => c.route() == Route::Flush,
        }
    }
}

/// Parses one command from its arguments (`args[0]` is the name). The error is the complete
/// Redis error text (`ERR unknown command ...`, `ERR wrong number of arguments ...`, ...).
pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let spec = lookup_checked(args)?;
    (spec.parse)(args)
}

/// The checks Redis makes before authentication (`processCommand`: the command exists, its
/// arity fits); the arguments themselves are only looked at once the client may run it.
pub fn lookup_checked(args: &[Bytes]) -> Result<&'static table::Spec, String> {
    let Some(name) = args.first() else {
        return Err("ERR empty command".into());
    };
    let Some(spec) = table::lookup(name) else {
        return Err(unknown_command(name, &args[1..]));
    };
    let n = args.len() as i32;
    if (spec.arity > 0 && n != spec.arity) || (spec.arity < 0 && n < -spec.arity) {
        return Err(args::wrong_arity(spec.name));
    }
    Ok(spec)
}

/// May a client that has not authenticated yet run the command `spec`? Redis' `no-auth`
/// commands: AUTH, HELLO, QUIT and RESET.
pub fn runs_before_auth(spec: &table::Spec) -> bool {
    matches!(spec.name, "auth" | "hello" | "quit" | "reset")
}

/// Commands with subcommands: Redis looks the subcommand up (and checks its arity) before
/// authentication, so an unknown one is reported as such even to an unauthenticated client.
fn has_subcommands(spec: &table::Spec) -> bool {
    matches!(
        spec.name,
        "client" | "config" | "command" | "function" | "script"
    )
}

/// Whether `error`, from the parser of `spec`, is one Redis gives before running the command: an
/// unknown subcommand or a subcommand's wrong argument count (checked in `processCommand`).
pub fn is_subcommand_rejection(spec: &table::Spec, error: &str) -> bool {
    has_subcommands(spec)
        && (error.contains("unknown subcommand") || error.contains("wrong number of arguments"))
}

/// Parses a command sent by a client that has not authenticated: `Ok(None)` if it must be
/// refused with NOAUTH. The errors that come first are Redis' (unknown command or subcommand,
/// wrong arity); argument errors of a refused command are not revealed.
pub fn parse_unauthenticated(args: &[Bytes]) -> Result<Option<Cmd>, String> {
    let spec = lookup_checked(args)?;
    if runs_before_auth(spec) {
        return (spec.parse)(args).map(Some);
    }
    if let Err(e) = (spec.parse)(args)
        && is_subcommand_rejection(spec, &e)
    {
        return Err(e);
    }
    Ok(None)
}

/// Redis' text for an unknown command (server.c, processCommand), as bytes: the name cut at 128
/// bytes, then the arguments quoted, each followed by a space, while the argument list is under
/// 128 bytes, each argument cut to what is left of those 128. Redis formats with `%.128s` and
/// `'%.*s'`, so every part also ends at its first NUL byte; other bytes go out raw (not UTF-8
/// checked), except CR and LF, which become spaces so the error stays one line.
fn unknown_command_error(name: &[u8], rest: &[Bytes]) -> Vec<u8> {
    let c_str = |b: &[u8], max: usize| {
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len()).min(max);
        b[..end].to_vec()
    };
    let mut args = Vec::new();
    for a in rest {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        args.push(b'\'');
        args.extend(c_str(a, room));
        args.extend_from_slice(b"' ");
    }
    let mut text = b"ERR unknown command '".to_vec();
    text.extend(c_str(name, 128));
    text.extend_from_slice(b"', with args beginning with: ");
    text.extend(args);
    for c in &mut text {
        if *c == b'\r' || *c == b'\n' {
            *c = b' ';
        }
    }
    text
}

/// [`unknown_command_error`] as text (invalid UTF-8 shown as U+FFFD), for the `String` errors of
/// [`parse`]; the session sends the exact bytes instead.
fn unknown_command(name: &Bytes, rest: &[Bytes]) -> String {
    String::from_utf8_lossy(&unknown_command_error(name, rest)).into_owned()
}

/// The text of a parse error for `args`: an unknown command's echoes the client's bytes exactly,
/// as Redis does (not UTF-8 checked); any other is `error` as it is.
pub fn rejection_text(args: &[Bytes], error: String) -> Vec<u8> {
    unknown_command_reply(args).unwrap_or_else(|| error.into_bytes())
}

/// The exact error line for `args` if its command does not exist (`None` if it does).
pub fn unknown_command_reply(args: &[Bytes]) -> Option<Vec<u8>> {
    let name = args.first()?;
    table::lookup(name)
        .is_none()
        .then(|| unknown_command_error(name, &args[1..]))
}

/// Runs a command on the looper.
pub fn exec_local(cmd: Cmd, st: &mut SessionState, ctx: &ServerCtx, out: &mut BytesMut) -> After {
    match cmd {
        Cmd::Connection(c) => connection::exec(c, st, ctx, out),
        Cmd::Hello(h) => {
            hello::exec(h, st, ctx, out);
            After::Continue
        }
        Cmd::Client(c) => client::exec(c, st, ctx, out),
        Cmd::Command(c) => {
            command::exec(c, st.proto, out);
            After::Continue
        }
        Cmd::Config(c) => {
            config::exec(c, st.proto, ctx, out);
            After::Continue
        }
        Cmd::Info(sections) => {
            info::exec(&sections, ctx, st.proto, out);
            After::Continue
        }
        Cmd::Scripting(c) => {
            scripting::exec(c, out);
            After::Continue
        }
        Cmd::PubSub(c) => {
            pubsub::exec(c, st, ctx, out);
            After::Continue
        }
        Cmd::Reply(b) => {
            out.extend_from_slice(&b);
            After::Continue
        }
        Cmd::Server(s) => server::exec_local(s, st, ctx, out),
        _ => {
            encode::error(out, "ERR internal error: storage command routed locally");
            After::Continue
        }
    }
}

/// Runs a read command against `db`, appending its reply.
pub fn exec_read(cmd: &Cmd, db: &mut dyn Db, proto: Proto, out: &mut BytesMut) {
    let r = match cmd {
        Cmd::Storage(c) => c.exec_read(db, proto, out),
        Cmd::Server(server::ServerCmd::DbSize) => {
            encode::integer(out, db.key_count() as i64);
            Ok(())
        }
        Cmd::Reply(b) => {
            out.extend_from_slice(b);
            Ok(())
        }
        _ => Err(fail("ERR internal error: not a read command")),
    };
    if let Err(e) = r {
        storage_error(&e, out);
    }
}

/// Runs any storage command on the writer, appending its reply.
pub fn exec_write(cmd: &Cmd, txn: &mut dyn WriteDb, proto: Proto, out: &mut BytesMut) {
    let r = match cmd {
        Cmd::Storage(c) => c.exec_write(txn, proto, out),
        read => {
            exec_read(read, txn, proto, out);
            Ok(())
        }
    };
    if let Err(e) = r {
        storage_error(&e, out);
    }
}

/// The reply for a storage failure: command-level errors carry their Redis text; I/O failures
/// refuse writes the way Redis does when it cannot persist (MISCONF-style).
pub fn storage_error(e: &StorageError, out: &mut BytesMut) {
    encode::error(out, &storage_error_text(e));
}

/// [`storage_error`]'s text, without the RESP framing.
pub fn storage_error_text(e: &StorageError) -> std::borrow::Cow<'_, str> {
    match e {
        StorageError::InvalidOperation(msg) => msg.as_str().into(),
        StorageError::WritesRefused { reason } => format!(
            "MISCONF Errors writing to the data files: {reason}. Commands that may modify the data set are disabled."
        )
        .into(),
        StorageError::TooLarge { what, max, .. } => {
            format!("ERR {what} exceeds the maximum allowed size ({max} bytes)").into()
        }
        StorageError::WrongType | StorageError::CollectionFull { .. } => e.to_string().into(),
        other => format!("ERR storage error: {other}").into(),
    }
}

/// A command-level error to return from an exec function.
pub(crate) fn fail(msg: &str) -> StorageError {
    StorageError::InvalidOperation(msg.to_string())
}
