//! PING, ECHO, AUTH, SELECT, QUIT, RESET, TIME, LASTSAVE: connection commands answered on the
//! looper.

use bytes::{Bytes, BytesMut};

use super::args::{ArgCursor, int, wrong_arity};
use super::{After, Cmd};
use crate::conn_state::SessionState;
use crate::ctx::ServerCtx;
use crate::resp::{Proto, encode};

/// A connection command.
#[derive(Debug)]
pub enum ConnectionCmd {
    /// PING [message]
    Ping(Option<Bytes>),
    /// ECHO message
    Echo(Bytes),
    /// AUTH [username] password
    Auth(Option<Bytes>, Bytes),
    /// SELECT index
    Select(Bytes),
    /// QUIT
    Quit,
    /// RESET
    Reset,
    /// TIME
    Time,
    /// LASTSAVE
    LastSave,
}

pub fn parse_ping(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let message = a.next_opt().cloned();
    if a.peek().is_some() {
        return Err(wrong_arity("ping"));
    }
    Ok(Cmd::Connection(ConnectionCmd::Ping(message)))
}

pub fn parse_echo(args: &[Bytes]) -> Result<Cmd, String> {
    let message = ArgCursor::new(args).next_bytes()?;
    Ok(Cmd::Connection(ConnectionCmd::Echo(message)))
}

pub fn parse_auth(args: &[Bytes]) -> Result<Cmd, String> {
    // AUTH password | AUTH username password; more is a syntax error (Redis' text).
    match ArgCursor::new(args).remaining() {
        [password] => Ok(Cmd::Connection(ConnectionCmd::Auth(None, password.clone()))),
        [user, password] => Ok(Cmd::Connection(ConnectionCmd::Auth(
            Some(user.clone()),
            password.clone(),
        ))),
        _ => Err(super::args::SYNTAX.into()),
    }
}

pub fn parse_select(args: &[Bytes]) -> Result<Cmd, String> {
    let index = ArgCursor::new(args).next_bytes()?;
    Ok(Cmd::Connection(ConnectionCmd::Select(index)))
}

pub fn parse_quit(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Connection(ConnectionCmd::Quit))
}

pub fn parse_reset(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Connection(ConnectionCmd::Reset))
}

pub fn parse_time(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Connection(ConnectionCmd::Time))
}

pub fn parse_lastsave(_args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Connection(ConnectionCmd::LastSave))
}

/// Checks a username/password pair against `requirepass` (the only user is `default`).
/// Without a password configured, the default user accepts any password (Redis' `nopass`).
pub fn check_credentials(ctx: &ServerCtx, user: Option<&[u8]>, pass: &[u8]) -> bool {
    if user.is_some_and(|u| u != b"default") {
        return false;
    }
    match ctx.requirepass() {
        None => true,
        Some(p) => constant_time_eq(p.as_bytes(), pass),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `WRONGPASS` text.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

pub fn exec(
    cmd: ConnectionCmd,
    st: &mut SessionState,
    ctx: &ServerCtx,
    out: &mut BytesMut,
) -> After {
    match cmd {
        // In RESP2's subscribed mode PING answers as a message would: ["pong", arg or ""].
        ConnectionCmd::Ping(m) if st.in_subscribed_mode() => {
            encode::array_len(out, 2);
            encode::bulk(out, b"pong");
            encode::bulk(out, m.as_deref().unwrap_or_default());
        }
        ConnectionCmd::Ping(None) => encode::simple(out, "PONG"),
        ConnectionCmd::Ping(Some(m)) | ConnectionCmd::Echo(m) => encode::bulk(out, &m),
        ConnectionCmd::Auth(user, pass) => {
            if user.is_none() && ctx.requirepass().is_none() {
                encode::error(
                    out,
                    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
                );
            } else if check_credentials(ctx, user.as_deref(), &pass) {
                st.authed = true;
                encode::simple(out, "OK");
            } else {
                encode::error(out, WRONGPASS);
            }
        }
        ConnectionCmd::Select(idx) => match int(&idx) {
            Err(e) => encode::error(out, &e),
            Ok(0) => encode::simple(out, "OK"),
            Ok(_) => encode::error(out, "ERR DB index is out of range"),
        },
        ConnectionCmd::Quit => {
            encode::simple(out, "OK");
            return After::Close;
        }
        ConnectionCmd::Reset => {
            st.reset(ctx);
            encode::simple(out, "RESET");
        }
        ConnectionCmd::Time => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            encode::array_len(out, 2);
            encode::bulk(out, now.as_secs().to_string().as_bytes());
            encode::bulk(out, now.subsec_micros().to_string().as_bytes());
        }
        ConnectionCmd::LastSave => encode::integer(
            out,
            (ctx.engine.stats().last_save_ms / 1000).max(ctx.started_unix) as i64,
        ),
    }
    let _: Proto = st.proto;
    After::Continue
}
