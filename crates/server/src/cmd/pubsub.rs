//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, their sharded forms SSUBSCRIBE,
//! SUNSUBSCRIBE and SPUBLISH (a namespace of their own; in a server without cluster mode that
//! is all sharding means), and PUBSUB: run on the client's
//! looper against the server's registry (`crate::pubsub`). Replies and texts are redis-server
//! 7.0.15's (`pubsub.c`): a (un)subscription confirmation is an array in RESP2 and a push in
//! RESP3, and carries the client's channel + pattern count after the change.
//!
//! PUBLISH only gathers its messages in the client's `SessionState::outgoing`; the session
//! posts them, one functor per looper, once the client's earlier commands have run and before
//! PUBLISH's reply is written (`session/published.rs`).

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::{is, wrong_arity};
use crate::conn_state::SessionState;
use crate::ctx::ServerCtx;
use crate::pubsub::Kind;
use crate::resp::{Proto, encode};

/// A parsed pub/sub command. Channels, patterns and shard channels are handled alike; the
/// [`Kind`] says which.
#[derive(Debug)]
pub enum PubSubCmd {
    /// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE name [name ...]
    Subscribe(Kind, Vec<Bytes>),
    /// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE [name ...] (none: all of that kind)
    Unsubscribe(Kind, Vec<Bytes>),
    /// PUBLISH / SPUBLISH (`shard`) channel message
    Publish {
        /// SPUBLISH.
        shard: bool,
        /// The channel.
        channel: Bytes,
        /// The message.
        message: Bytes,
    },
    /// PUBSUB CHANNELS / SHARDCHANNELS (`shard`) [pattern]
    Channels(bool, Option<Bytes>),
    /// PUBSUB NUMSUB / SHARDNUMSUB (`shard`) [channel ...]
    NumSub(bool, Vec<Bytes>),
    /// PUBSUB NUMPAT
    NumPat,
    /// PUBSUB HELP
    Help,
}

/// In RESP2's subscribed mode, Redis' refusal of any command but (P|S)SUBSCRIBE,
/// (P|S)UNSUBSCRIBE, PING, QUIT and RESET (`processCommand`, after its lookup and arity
/// checks: an unknown command or subcommand, or a wrong arity, is answered as anywhere else,
/// so `None`).
pub fn refused_in_subscribed_mode(args: &[Bytes]) -> Option<String> {
    let spec = super::lookup_checked(args).ok()?;
    // A subcommand's own arity and existence are checked before this too.
    let subs = super::table::subcommands(spec);
    if !subs.is_empty() {
        let sub = subs.iter().find(|s| {
            args.get(1)
                .is_some_and(|a| a.eq_ignore_ascii_case(s.name.as_bytes()))
        })?;
        let n = args.len() as i32;
        if (sub.arity > 0 && n != sub.arity) || (sub.arity < 0 && n < -sub.arity) {
            return None;
        }
    }
    const ALLOWED: &[&str] = &[
        "ping",
        "subscribe",
        "ssubscribe",
        "unsubscribe",
        "sunsubscribe",
        "psubscribe",
        "punsubscribe",
        "quit",
        "reset",
    ];
    if ALLOWED.contains(&spec.name) {
        return None;
    }
    let full_name = super::table::command_name(super::table::command_code(args));
    Some(format!(
        "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

/// SUBSCRIBE (the table checked that a channel is given).
pub fn parse_subscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Subscribe(
        Kind::Channel,
        args[1..].to_vec(),
    )))
}

/// UNSUBSCRIBE.
pub fn parse_unsubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Unsubscribe(
        Kind::Channel,
        args[1..].to_vec(),
    )))
}

/// PSUBSCRIBE (the table checked that a pattern is given).
pub fn parse_psubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Subscribe(
        Kind::Pattern,
        args[1..].to_vec(),
    )))
}

/// PUNSUBSCRIBE.
pub fn parse_punsubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Unsubscribe(
        Kind::Pattern,
        args[1..].to_vec(),
    )))
}

/// SSUBSCRIBE (the table checked that a shard channel is given).
pub fn parse_ssubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Subscribe(
        Kind::Shard,
        args[1..].to_vec(),
    )))
}

/// SUNSUBSCRIBE.
pub fn parse_sunsubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Unsubscribe(
        Kind::Shard,
        args[1..].to_vec(),
    )))
}

/// PUBLISH / SPUBLISH: the table checked the arity, exactly a channel and a message.
fn parse_publish_to(args: &[Bytes], shard: bool) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Publish {
        shard,
        channel: args[1].clone(),
        message: args[2].clone(),
    }))
}

/// PUBLISH.
pub fn parse_publish(args: &[Bytes]) -> Result<Cmd, String> {
    parse_publish_to(args, false)
}

/// SPUBLISH.
pub fn parse_spublish(args: &[Bytes]) -> Result<Cmd, String> {
    parse_publish_to(args, true)
}

/// PUBSUB's subcommands, with Redis' checks: a subcommand's own arity first, then
/// `addReplySubcommandSyntaxError` for a CHANNELS with too many arguments.
pub fn parse_pubsub(args: &[Bytes]) -> Result<Cmd, String> {
    let Some((sub, rest)) = args.get(1..).and_then(<[Bytes]>::split_first) else {
        return Err(wrong_arity("pubsub"));
    };
    let syntax = || {
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(sub)
        )
    };
    let c = if is(sub, "CHANNELS") || is(sub, "SHARDCHANNELS") {
        let pattern = match rest {
            [] => None,
            [p] => Some(p.clone()),
            _ => return Err(syntax()),
        };
        PubSubCmd::Channels(is(sub, "SHARDCHANNELS"), pattern)
    } else if is(sub, "NUMSUB") || is(sub, "SHARDNUMSUB") {
        PubSubCmd::NumSub(is(sub, "SHARDNUMSUB"), rest.to_vec())
    } else if is(sub, "NUMPAT") {
        if !rest.is_empty() {
            return Err(wrong_arity("pubsub|numpat"));
        }
        PubSubCmd::NumPat
    } else if is(sub, "HELP") {
        if !rest.is_empty() {
            return Err(wrong_arity("pubsub|help"));
        }
        PubSubCmd::Help
    } else {
        return Err(format!(
            "ERR unknown subcommand '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(sub)
        ));
    };
    Ok(Cmd::PubSub(c))
}

/// Runs a pub/sub command on the client's looper.
pub fn exec(cmd: PubSubCmd, st: &mut SessionState, ctx: &ServerCtx, out: &mut BytesMut) {
    let proto = st.proto;
    match cmd {
        PubSubCmd::Subscribe(kind, names) => {
            let (verb, _) = kind.verbs();
            for name in names {
                if !st.is_subscribed(kind, &name)
                    && let Some(me) = &st.conn
                {
                    ctx.pubsub.subscribe(&name, kind, me);
                    st.add_subscription(kind, name.clone());
                }
                confirmation(out, proto, verb, Some(&name), st.confirmation_count(kind));
            }
            st.publish(ctx);
        }
        PubSubCmd::Unsubscribe(kind, mut names) => {
            let (_, verb) = kind.verbs();
            if names.is_empty() {
                names = st.subscribed_to(kind);
                if names.is_empty() {
                    confirmation(out, proto, verb, None, st.confirmation_count(kind));
                }
            }
            for name in names {
                if st.remove_subscription(kind, &name)
                    && let Some(c) = &st.conn
                {
                    ctx.pubsub.unsubscribe([&name], kind, c.id);
                }
                confirmation(out, proto, verb, Some(&name), st.confirmation_count(kind));
            }
            st.publish(ctx);
        }
        PubSubCmd::Publish {
            shard,
            channel,
            message,
        } => {
            let me = st.conn.as_ref().map(|c| c.id);
            let mut mine = Vec::new();
            let receivers =
                ctx.pubsub
                    .publish(&channel, &message, shard, &mut st.outgoing, me, &mut mine);
            // Its own messages go ahead of PUBLISH's reply, as Redis writes them (the session
            // sends `pushes` first, even under CLIENT REPLY OFF).
            for m in mine {
                st.pushes.extend_from_slice(&m.frame(proto));
            }
            encode::integer(out, receivers as i64);
        }
        PubSubCmd::Channels(shard, pattern) => {
            let channels = ctx.pubsub.channels(pattern.as_deref(), shard);
            encode::array_len(out, channels.len());
            for ch in channels {
                encode::bulk(out, &ch);
            }
        }
        PubSubCmd::NumSub(shard, channels) => {
            encode::array_len(out, channels.len() * 2);
            for ch in channels {
                encode::bulk(out, &ch);
                encode::integer(out, ctx.pubsub.subscribers(&ch, shard) as i64);
            }
        }
        PubSubCmd::NumPat => encode::integer(out, ctx.pubsub.pattern_count() as i64),
        PubSubCmd::Help => {
            encode::array_len(out, HELP.len());
            for line in HELP {
                encode::simple(out, line);
            }
        }
    }
}

/// `addReplyPubsub(Pat)(Un)Subscribed`: kind, the channel or pattern (a null when an
/// argument-less UNSUBSCRIBE found nothing to leave), and the subscription count after it.
fn confirmation(out: &mut BytesMut, proto: Proto, kind: &[u8], name: Option<&Bytes>, n: usize) {
    encode::push_len(out, 3, proto);
    encode::bulk(out, kind);
    match name {
        Some(name) => encode::bulk(out, name),
        None => encode::null(out, proto),
    }
    encode::integer(out, n as i64);
}

/// PUBSUB HELP, Redis' text (`pubsubCommand` and `addReplyHelp`).
const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];
