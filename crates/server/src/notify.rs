//! Keyspace notifications (Redis' `notify.c`): with `notify-keyspace-events` set, a write
//! command publishes what it did to `__keyspace@0__:<key>` (message: the event) and
//! `__keyevent@0__:<event>` (message: the key), through the ordinary pub/sub fan-out.
//!
//! Where events come from: a write command calls `WriteDb::notify` on the writer as it
//! changes a key; the server's view (`db::Counted`) keeps the events of the classes enabled,
//! and the batch publishes them once it is committed, before its replies are posted
//! (`CommandJob::committed`) — a client that sees a reply has had the events posted first, and
//! a failed commit publishes nothing. Keys deleted by expiry come from the store's
//! `ExpiredSink` (`expired`, class `x`).

use bytes::{Bytes, BytesMut};

use crate::pubsub::{Outgoing, PubSub};

/// `K`: publish to `__keyspace@0__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish to `__keyevent@0__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: keys deleted by expiry.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: keys evicted (kvs never evicts).
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands (kvs has no streams).
pub const STREAM: u32 = 1 << 10;
/// `m`: key misses (not part of `A`).
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events (kvs has no modules).
pub const MODULE: u32 = 1 << 13;
/// `n`: a key created (not part of `A`).
pub const NEW: u32 = 1 << 14;
/// `A`: `g$lshzxetd`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Redis' error for a bad class character in CONFIG SET.
pub const BAD_CLASS: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// `keyspaceEventsStringToFlags`: the classes of a `notify-keyspace-events` value, or `None`
/// for a character that is not one.
pub fn parse_flags(value: &[u8]) -> Option<u32> {
    value.iter().try_fold(0, |flags, c| {
        Some(
            flags
                | match c {
                    b'A' => ALL,
                    b'g' => GENERIC,
                    b'$' => STRING,
                    b'l' => LIST,
                    b's' => SET,
                    b'h' => HASH,
                    b'z' => ZSET,
                    b'x' => EXPIRED,
                    b'e' => EVICTED,
                    b'K' => KEYSPACE,
                    b'E' => KEYEVENT,
                    b't' => STREAM,
                    b'm' => KEY_MISS,
                    b'd' => MODULE,
                    b'n' => NEW,
                    _ => return None,
                },
        )
    })
}

/// `keyspaceEventsFlagsToString`: the canonical value CONFIG GET shows.
pub fn flags_to_string(flags: u32) -> String {
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// Would an event of `class` be published under `flags`? (A class, and at least one of the
/// two channel kinds.)
pub fn wanted(flags: u32, class: u32) -> bool {
    flags & class != 0 && flags & (KEYSPACE | KEYEVENT) != 0
}

/// One keyspace event: what happened (`set`, `del`, `hset`, `expired`...) to which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEvent {
    /// Its class (one of the flag constants).
    pub class: u32,
    /// The event's name.
    pub name: &'static str,
    /// The key.
    pub key: Vec<u8>,
}

/// Publishes `events` in order under `flags` (the server's `notify-keyspace-events`), and
/// posts the messages (one post per looper). **Thread-safe**: called by the writer thread after
/// a commit.
pub fn publish(pubsub: &PubSub, flags: u32, events: &[KeyEvent]) {
    let mut out = Outgoing::default();
    for e in events.iter().filter(|e| wanted(flags, e.class)) {
        let name = Bytes::from_static(e.name.as_bytes());
        let key = Bytes::copy_from_slice(&e.key);
        if flags & KEYSPACE != 0 {
            let channel = channel(b"__keyspace@0__:", &e.key);
            pubsub.publish(&channel, &name, false, &mut out, None, &mut Vec::new());
        }
        if flags & KEYEVENT != 0 {
            let channel = channel(b"__keyevent@0__:", e.name.as_bytes());
            pubsub.publish(&channel, &key, false, &mut out, None, &mut Vec::new());
        }
    }
    pubsub.post(&mut out);
}

/// The store's expired keys, as `expired` events (class `x`).
pub fn publish_expired(pubsub: &PubSub, flags: u32, keys: Vec<Vec<u8>>) {
    if !wanted(flags, EXPIRED) {
        return;
    }
    let events: Vec<KeyEvent> = keys
        .into_iter()
        .map(|key| KeyEvent {
            class: EXPIRED,
            name: "expired",
            key,
        })
        .collect();
    publish(pubsub, flags, &events);
}

fn channel(prefix: &[u8], name: &[u8]) -> Bytes {
    let mut c = BytesMut::with_capacity(prefix.len() + name.len());
    c.extend_from_slice(prefix);
    c.extend_from_slice(name);
    c.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_and_print_as_redis_does() {
        assert_eq!(parse_flags(b""), Some(0));
        assert_eq!(
            parse_flags(b"KEA").map(flags_to_string).as_deref(),
            Some("AKE")
        );
        assert_eq!(
            parse_flags(b"Eg$").map(flags_to_string).as_deref(),
            Some("g$E")
        );
        assert_eq!(
            parse_flags(b"mnK").map(flags_to_string).as_deref(),
            Some("nKm")
        );
        // All of A's classes spelled out print as A.
        assert_eq!(
            parse_flags(b"g$lshzxetdK").map(flags_to_string).as_deref(),
            Some("AK")
        );
        assert_eq!(parse_flags(b"KEQ"), None);
        assert!(wanted(parse_flags(b"Kg").unwrap(), GENERIC));
        assert!(
            !wanted(parse_flags(b"g").unwrap(), GENERIC),
            "no channel kind"
        );
        assert!(!wanted(parse_flags(b"K$").unwrap(), GENERIC));
    }
}
