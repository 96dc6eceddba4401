//! DBSIZE, FLUSHALL / FLUSHDB, SAVE, BGSAVE, BGREWRITEAOF, SHUTDOWN.

use bytes::{Bytes, BytesMut};

use super::args::{SYNTAX, is};
use super::{After, Cmd, Route};
use crate::conn_state::SessionState;
use crate::ctx::ServerCtx;
use crate::resp::encode;

/// A parsed server command.
#[derive(Debug)]
pub enum ServerCmd {
    /// DBSIZE: keys in the index.
    DbSize,
    /// FLUSHALL / FLUSHDB [ASYNC|SYNC]: every key gone, in one MANIFEST edit.
    Flush,
    /// SAVE: fsync everything written so far; replies once durable.
    Save,
    /// BGSAVE: the same, in the background.
    BgSave,
    /// BGREWRITEAOF: start a compaction (kvs' log rewrite).
    BgRewriteAof,
    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE]: stop the server (the store always flushes). ABORT
    /// never gets here: there is no shutdown in progress to abort.
    Shutdown,
}

impl ServerCmd {
    pub(super) fn route(&self) -> Route {
        match self {
            ServerCmd::DbSize => Route::Read,
            ServerCmd::Flush => Route::Flush,
            ServerCmd::Save => Route::Save,
            _ => Route::Local,
        }
    }
}

pub fn parse_dbsize(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Server(ServerCmd::DbSize))
}

pub fn parse_flush(args: &[Bytes]) -> Result<Cmd, String> {
    match &args[1..] {
        [] => {}
        [mode] if is(mode, "ASYNC") || is(mode, "SYNC") => {}
        _ => return Err(SYNTAX.into()),
    }
    Ok(Cmd::Server(ServerCmd::Flush))
}

pub fn parse_save(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Server(ServerCmd::Save))
}

pub fn parse_bgsave(args: &[Bytes]) -> Result<Cmd, String> {
    match &args[1..] {
        [] => Ok(Cmd::Server(ServerCmd::BgSave)),
        [s] if is(s, "SCHEDULE") => Ok(Cmd::Server(ServerCmd::BgSave)),
        _ => Err(SYNTAX.into()),
    }
}

pub fn parse_bgrewriteaof(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Server(ServerCmd::BgRewriteAof))
}

/// Redis 7's shutdownCommand: NOSAVE, SAVE, NOW, FORCE, ABORT in any order; NOSAVE with SAVE, or
/// ABORT with anything, is a syntax error. kvs' shutdown is never "in progress" (it flushes and
/// exits at once), so a lone ABORT always finds nothing to abort.
pub fn parse_shutdown(args: &[Bytes]) -> Result<Cmd, String> {
    let (mut save, mut nosave, mut other, mut abort) = (false, false, false, false);
    for a in &args[1..] {
        if is(a, "NOSAVE") {
            nosave = true;
        } else if is(a, "SAVE") {
            save = true;
        } else if is(a, "NOW") || is(a, "FORCE") {
            other = true;
        } else if is(a, "ABORT") {
            abort = true;
        } else {
            return Err(SYNTAX.into());
        }
    }
    if (abort && (save || nosave || other)) || (save && nosave) {
        return Err(SYNTAX.into());
    }
    if abort {
        return Err("ERR No shutdown in progress.".into());
    }
    Ok(Cmd::Server(ServerCmd::Shutdown))
}

pub fn exec_local(
    cmd: ServerCmd,
    _st: &mut SessionState,
    ctx: &ServerCtx,
    out: &mut BytesMut,
) -> After {
    match cmd {
        ServerCmd::BgSave => {
            let _ = ctx.engine.submit_sync(Box::new(|r| {
                if let Err(e) = r {
                    tracing::error!(error = %e, "BGSAVE fsync failed");
                }
            }));
            encode::simple(out, "Background saving started");
        }
        ServerCmd::BgRewriteAof => {
            let started = ctx.engine.submit_compact(Box::new(|r| match r {
                Ok(report) => tracing::info!(?report, "BGREWRITEAOF compaction finished"),
                Err(e) => tracing::error!(error = %e, "BGREWRITEAOF compaction failed"),
            }));
            match started {
                Ok(()) => encode::simple(out, "Background append only file rewriting started"),
                Err(e) => super::storage_error(&e, out),
            }
        }
        ServerCmd::Shutdown => {
            tracing::info!("SHUTDOWN requested by a client");
            ctx.request_shutdown();
            return After::Close;
        }
        // Routed to storage, never here.
        ServerCmd::DbSize | ServerCmd::Flush | ServerCmd::Save => {
            encode::error(out, "ERR internal routing error")
        }
    }
    After::Continue
}
