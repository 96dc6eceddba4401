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

/// A parsed pub/sub command.
#[derive(Debug)]
pub enum PubSubCmd {
    /// SUBSCRIBE channel [channel ...]
    Subscribe(Vec<Bytes>),
    /// UNSUBSCRIBE [channel ...] (none: all)
    Unsubscribe(Vec<Bytes>),
    /// PSUBSCRIBE pattern [pattern ...]
    PSubscribe(Vec<Bytes>),
    /// PUNSUBSCRIBE [pattern ...] (none: all)
    PUnsubscribe(Vec<Bytes>),
    /// PUBLISH channel message
    Publish(Bytes, Bytes),
    /// SSUBSCRIBE shardchannel [shardchannel ...]
    SSubscribe(Vec<Bytes>),
    /// SUNSUBSCRIBE [shardchannel ...] (none: all)
    SUnsubscribe(Vec<Bytes>),
    /// SPUBLISH shardchannel message
    SPublish(Bytes, Bytes),
    /// PUBSUB CHANNELS [pattern]
    Channels(Option<Bytes>),
    /// PUBSUB NUMSUB [channel ...]
    NumSub(Vec<Bytes>),
    /// PUBSUB NUMPAT
    NumPat,
    /// PUBSUB SHARDCHANNELS [pattern]
    ShardChannels(Option<Bytes>),
    /// PUBSUB SHARDNUMSUB [shardchannel ...]
    ShardNumSub(Vec<Bytes>),
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
    Ok(Cmd::PubSub(PubSubCmd::Subscribe(args[1..].to_vec())))
}

/// UNSUBSCRIBE.
pub fn parse_unsubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Unsubscribe(args[1..].to_vec())))
}

/// PSUBSCRIBE (the table checked that a pattern is given).
pub fn parse_psubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::PSubscribe(args[1..].to_vec())))
}

/// PUNSUBSCRIBE.
pub fn parse_punsubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::PUnsubscribe(args[1..].to_vec())))
}

/// SSUBSCRIBE (the table checked that a shard channel is given).
pub fn parse_ssubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::SSubscribe(args[1..].to_vec())))
}

/// SUNSUBSCRIBE.
pub fn parse_sunsubscribe(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::SUnsubscribe(args[1..].to_vec())))
}

/// SPUBLISH (the table checked the arity).
pub fn parse_spublish(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::SPublish(
        args[1].clone(),
        args[2].clone(),
    )))
}

/// PUBLISH (the table checked the arity: exactly a channel and a message).
pub fn parse_publish(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::PubSub(PubSubCmd::Publish(
        args[1].clone(),
        args[2].clone(),
    )))
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
        if is(sub, "CHANNELS") {
            PubSubCmd::Channels(pattern)
        } else {
            PubSubCmd::ShardChannels(pattern)
        }
    } else if is(sub, "NUMSUB") {
        PubSubCmd::NumSub(rest.to_vec())
    } else if is(sub, "SHARDNUMSUB") {
        PubSubCmd::ShardNumSub(rest.to_vec())
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
    let cmd_kind = if matches!(cmd, PubSubCmd::ShardChannels(_) | PubSubCmd::ShardNumSub(_)) {
        CmdKind::Shard
    } else {
        CmdKind::Plain
    };
    match cmd {
        PubSubCmd::Subscribe(channels) => {
            for ch in channels {
                if !st.channels.contains(&ch)
                    && let Some(me) = st.subscriber()
                {
                    ctx.pubsub.subscribe(&ch, Kind::Channel, &me);
                    st.channels.insert(ch.clone());
                }
                confirmation(out, proto, b"subscribe", Some(&ch), st.subscriptions());
            }
            st.publish(ctx);
        }
        PubSubCmd::PSubscribe(patterns) => {
            for p in patterns {
                if !st.patterns.contains(&p)
                    && let Some(me) = st.subscriber()
                {
                    ctx.pubsub.subscribe(&p, Kind::Pattern, &me);
                    st.patterns.push(p.clone());
                }
                confirmation(out, proto, b"psubscribe", Some(&p), st.subscriptions());
            }
            st.publish(ctx);
        }
        PubSubCmd::Unsubscribe(mut channels) => {
            if channels.is_empty() {
                channels = st.channels.iter().cloned().collect();
                if channels.is_empty() {
                    confirmation(out, proto, b"unsubscribe", None, st.subscriptions());
                }
            }
            for ch in channels {
                if st.channels.remove(&ch)
                    && let Some(c) = &st.conn
                {
                    ctx.pubsub.unsubscribe([&ch], Kind::Channel, c.id);
                }
                confirmation(out, proto, b"unsubscribe", Some(&ch), st.subscriptions());
            }
            st.publish(ctx);
        }
        PubSubCmd::PUnsubscribe(mut patterns) => {
            if patterns.is_empty() {
                patterns = st.patterns.clone();
                if patterns.is_empty() {
                    confirmation(out, proto, b"punsubscribe", None, st.subscriptions());
                }
            }
            for p in patterns {
                if let Some(i) = st.patterns.iter().position(|q| *q == p) {
                    st.patterns.remove(i);
                    if let Some(c) = &st.conn {
                        ctx.pubsub.unsubscribe([&p], Kind::Pattern, c.id);
                    }
                }
                confirmation(out, proto, b"punsubscribe", Some(&p), st.subscriptions());
            }
            st.publish(ctx);
        }
        PubSubCmd::Publish(channel, message) => {
            let me = st.conn.as_ref().map(|c| c.id);
            let mut mine = Vec::new();
            let receivers = ctx
                .pubsub
                .publish(&channel, &message, &mut st.outgoing, me, &mut mine);
            // Its own messages go ahead of PUBLISH's reply, as Redis writes them (the session
            // sends `pushes` first, even under CLIENT REPLY OFF).
            for m in mine {
                st.pushes.extend_from_slice(&m.frame(proto));
            }
            encode::integer(out, receivers as i64);
        }
        PubSubCmd::SSubscribe(channels) => {
            for ch in channels {
                if !st.shard_channels.contains(&ch)
                    && let Some(me) = st.subscriber()
                {
                    ctx.pubsub.subscribe(&ch, Kind::Shard, &me);
                    st.shard_channels.insert(ch.clone());
                }
                let n = st.shard_channels.len();
                confirmation(out, proto, b"ssubscribe", Some(&ch), n);
            }
            st.publish(ctx);
        }
        PubSubCmd::SUnsubscribe(mut channels) => {
            if channels.is_empty() {
                channels = st.shard_channels.iter().cloned().collect();
                if channels.is_empty() {
                    confirmation(out, proto, b"sunsubscribe", None, 0);
                }
            }
            for ch in channels {
                if st.shard_channels.remove(&ch)
                    && let Some(c) = &st.conn
                {
                    ctx.pubsub.unsubscribe([&ch], Kind::Shard, c.id);
                }
                let n = st.shard_channels.len();
                confirmation(out, proto, b"sunsubscribe", Some(&ch), n);
            }
            st.publish(ctx);
        }
        PubSubCmd::SPublish(channel, message) => {
            let me = st.conn.as_ref().map(|c| c.id);
            let mut mine = Vec::new();
            let receivers =
                ctx.pubsub
                    .publish_shard(&channel, &message, &mut st.outgoing, me, &mut mine);
            for m in mine {
                st.pushes.extend_from_slice(&m.frame(proto));
            }
            encode::integer(out, receivers as i64);
        }
        PubSubCmd::Channels(pattern) | PubSubCmd::ShardChannels(pattern) => {
            let shard = matches!(cmd_kind, CmdKind::Shard);
            let channels = ctx.pubsub.channels(pattern.as_deref(), shard);
            encode::array_len(out, channels.len());
            for ch in channels {
                encode::bulk(out, &ch);
            }
        }
        PubSubCmd::NumSub(channels) | PubSubCmd::ShardNumSub(channels) => {
            let shard = matches!(cmd_kind, CmdKind::Shard);
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

/// Whether a PUBSUB subcommand asks about shard channels.
enum CmdKind {
    Plain,
    Shard,
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
