//! HELLO [protover [AUTH username password] [SETNAME clientname]]: switches RESP2/RESP3 and
//! answers with the server's description as a map.

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::{ArgCursor, int, is};
use super::connection::{WRONGPASS, check_credentials};
use crate::conn_state::SessionState;
use crate::ctx::ServerCtx;
use crate::resp::{Proto, encode};

/// A parsed HELLO.
#[derive(Debug)]
pub struct Hello {
    proto: Option<Bytes>,
    auth: Option<(Bytes, Bytes)>,
    setname: Option<Bytes>,
    /// An option that did not parse: reported after the protocol version is checked, as Redis'
    /// helloCommand does.
    bad_option: Option<String>,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let mut h = Hello {
        proto: a.next_opt().cloned(),
        auth: None,
        setname: None,
        bad_option: None,
    };
    // Options are matched only with all their values present (helloCommand's `moreargs`):
    // `AUTH user` without a password is a syntax error naming `AUTH`.
    let mut rest = a.remaining();
    while let [opt, tail @ ..] = rest {
        match tail {
            [user, pass, tail @ ..] if is(opt, "AUTH") => {
                h.auth = Some((user.clone(), pass.clone()));
                rest = tail;
            }
            [name, tail @ ..] if is(opt, "SETNAME") => {
                h.setname = Some(name.clone());
                rest = tail;
            }
            _ => {
                h.bad_option = Some(format!(
                    "ERR Syntax error in HELLO option '{}'",
                    String::from_utf8_lossy(opt)
                ));
                break;
            }
        }
    }
    Ok(Cmd::Hello(h))
}

/// Redis 7.2's helloCommand order: the protocol version (not an integer, then not 2 or 3), the
/// options' syntax, AUTH, the authentication requirement, SETNAME, and only then the switch.
pub fn exec(h: Hello, st: &mut SessionState, ctx: &ServerCtx, out: &mut BytesMut) {
    let mut proto = st.proto;
    if let Some(p) = &h.proto {
        match int(p) {
            Ok(2) => proto = Proto::Resp2,
            Ok(3) => proto = Proto::Resp3,
            Ok(_) => return encode::error(out, "NOPROTO unsupported protocol version"),
            Err(_) => {
                return encode::error(
                    out,
                    "ERR Protocol version is not an integer or out of range",
                );
            }
        }
    }
    if let Some(e) = &h.bad_option {
        return encode::error(out, e);
    }
    if let Some((user, pass)) = &h.auth {
        if !check_credentials(ctx, Some(user), pass) {
            return encode::error(out, WRONGPASS);
        }
        st.authed = true;
    }
    if !st.authed && ctx.requirepass().is_some() {
        return encode::error(
            out,
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        );
    }
    if let Some(name) = h.setname {
        if let Err(e) = super::client::check_name(&name) {
            return encode::error(out, e);
        }
        st.name = (!name.is_empty()).then_some(name);
    }
    st.proto = proto;
    st.publish(ctx); // CLIENT LIST's name= and resp=
    encode::map_len(out, 7, proto);
    encode::bulk(out, b"server");
    encode::bulk(out, b"redis");
    encode::bulk(out, b"version");
    encode::bulk(out, crate::REDIS_COMPAT_VERSION.as_bytes());
    encode::bulk(out, b"proto");
    encode::integer(out, if proto == Proto::Resp3 { 3 } else { 2 });
    encode::bulk(out, b"id");
    encode::integer(out, st.client_id as i64);
    encode::bulk(out, b"mode");
    encode::bulk(out, b"standalone");
    encode::bulk(out, b"role");
    encode::bulk(out, b"master");
    encode::bulk(out, b"modules");
    encode::array_len(out, 0);
}
