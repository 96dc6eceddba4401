//! MULTI, EXEC, DISCARD: transactions (Redis' `multi.c`).
//!
//! After MULTI the session queues every command but EXEC, DISCARD, MULTI, WATCH, QUIT and RESET
//! (`Session::queue_in_multi`), answering `+QUEUED`. What Redis rejects before running a command
//! — an unknown command, a wrong argument count, a command not allowed in a transaction — is
//! answered at once and marks the transaction failed, so EXEC answers EXECABORT; an argument
//! error found by the command's own parser is queued instead and becomes that command's reply in
//! EXEC's array, as Redis reports it when the command runs. EXEC sends the queued commands to the
//! writer as **one** job: they run in one transaction of the writer (no other client's command
//! in between, reads see the earlier commands' writes) and their records are one atomic group on
//! disk (storage-format §4.2), so a crash keeps all of them or none. WATCH is not implemented
//! yet (issue 15).

use bytes::{Bytes, BytesMut};

use super::Cmd;
use crate::resp::encode;

/// A parsed MULTI, EXEC or DISCARD (the table checked that they have no arguments).
#[derive(Debug)]
pub enum TxCmd {
    /// MULTI
    Multi,
    /// EXEC
    Exec,
    /// DISCARD
    Discard,
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

/// MULTI and DISCARD, and the EXEC cases answered on the looper (no MULTI, a failed
/// transaction, nothing queued). `None`: EXEC of the queued commands, which the session sends to
/// the writer as one job.
pub fn exec(cmd: &TxCmd, multi: &mut Option<MultiState>, out: &mut BytesMut) -> Option<MultiState> {
    match cmd {
        TxCmd::Multi if multi.is_some() => encode::error(out, "ERR MULTI calls can not be nested"),
        TxCmd::Multi => {
            *multi = Some(MultiState::default());
            encode::simple(out, "OK");
        }
        TxCmd::Discard => match multi.take() {
            None => encode::error(out, "ERR DISCARD without MULTI"),
            Some(_) => encode::simple(out, "OK"),
        },
        TxCmd::Exec => match multi.take() {
            None => encode::error(out, "ERR EXEC without MULTI"),
            Some(m) if m.failed => encode::error(out, EXECABORT),
            Some(m) if m.queued.is_empty() => encode::array_len(out, 0),
            Some(m) => return Some(m),
        },
    }
    None
}
