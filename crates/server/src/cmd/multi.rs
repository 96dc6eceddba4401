//! MULTI, EXEC, DISCARD, WATCH, UNWATCH: transactions (Redis' `multi.c`).
//!
//! After MULTI the session queues every command but EXEC, DISCARD, MULTI, WATCH, QUIT and RESET
//! (`Session::queue_in_multi`), answering `+QUEUED`. What Redis rejects before running a command
//! — an unknown command, a wrong argument count, a command not allowed in a transaction — is
//! answered at once and marks the transaction failed, so EXEC answers EXECABORT; an argument
//! error found by the command's own parser is queued instead and becomes that command's reply in
//! EXEC's array, as Redis reports it when the command runs. EXEC sends the queued commands to the
//! writer as **one** job: they run in one transaction of the writer (no other client's command
//! in between, reads see the earlier commands' writes) and their records are one atomic group on
//! disk (storage-format §4.2), so a crash keeps all of them or none.
//!
//! WATCH is optimistic locking, kept where keys change: the writer (`kvs_storage::Watches`).
//! WATCH, and whatever ends a client's watching (UNWATCH, DISCARD, EXEC, RESET, closing), travel
//! to the writer in the connection's order like its other writes (`session/transaction.rs`), so
//! a WATCH sees exactly the writes its client sent before it; the EXEC job asks the writer
//! whether a watched key changed before it runs anything, and answers a null array if one did.
//! A client that watches nothing keeps MULTI/DISCARD/UNWATCH on its looper, with no thread hop.

use bytes::Bytes;

use super::Cmd;

/// A parsed transaction command (the table checked the argument counts).
#[derive(Debug)]
pub enum TxCmd {
    /// MULTI
    Multi,
    /// EXEC
    Exec,
    /// DISCARD
    Discard,
    /// WATCH key [key ...]
    Watch(Vec<Bytes>),
    /// UNWATCH
    Unwatch,
}

pub fn parse_multi(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Tx(TxCmd::Multi))
}

pub fn parse_exec(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Tx(TxCmd::Exec))
}

pub fn parse_discard(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Tx(TxCmd::Discard))
}

pub fn parse_watch(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Tx(TxCmd::Watch(
        args.get(1..).unwrap_or_default().to_vec(),
    )))
}

pub fn parse_unwatch(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Tx(TxCmd::Unwatch))
}

/// A transaction being queued (MULTI ... EXEC).
#[derive(Debug, Default)]
pub struct MultiState {
    /// The queued commands, in order: parsed commands, or the reply a command's argument
    /// error will give in EXEC's array ([`Cmd::Reply`]).
    pub queued: Vec<Cmd>,
    /// A command was rejected while queueing: EXEC answers EXECABORT.
    pub failed: bool,
}

/// The commands that run at once inside MULTI instead of being queued (Redis' `processCommand`).
pub fn runs_inside_multi(name: &[u8]) -> bool {
    ["exec", "discard", "multi", "watch", "quit", "reset"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// Redis' reply when EXEC finds the transaction failed while queueing.
pub const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// The error for an EXEC that is refused, or whose transaction could not be committed:
/// `EXECABORT Transaction discarded because of: <reason>`, the reason without its `ERR ` (Redis'
/// `execCommandAbort`). Without the RESP framing.
pub fn exec_abort(reason: &[u8]) -> Vec<u8> {
    let reason = reason.strip_prefix(b"ERR ").unwrap_or(reason);
    let mut text = b"EXECABORT Transaction discarded because of: ".to_vec();
    text.extend_from_slice(reason);
    text
}
