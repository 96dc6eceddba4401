//! CLIENT KILL, as Redis 7 (networking.c, clientCommand "kill"): the old form
//! `CLIENT KILL ip:port` and the filter form `CLIENT KILL <filter> <value> ...`. Every reply
//! here was checked against redis-server 7.0.15 (MAXAGE against Redis 7.4's source: 7.0 answers
//! it with a syntax error).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use kvs_server::resp_client::Client;

/// A connection to kill, with what CLIENT INFO says about it: its id, `addr=` and `laddr=`.
struct Victim {
    raw: Raw,
    id: u64,
    addr: String,
    laddr: String,
}

/// The value of `field=` in a CLIENT LIST / CLIENT INFO line.
fn field(line: &str, name: &str) -> String {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
}

/// Connects a victim and asks CLIENT INFO: once the reply is in, the server has registered it.
fn victim(addr: SocketAddr) -> Victim {
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["CLIENT", "INFO"]);
    // A RESP2 bulk string: `$<len>\r\n<line>\n\r\n`.
    let reply = raw.read_until(|b| {
        let Some(head_end) = b.windows(2).position(|w| w == b"\r\n") else {
            return false;
        };
        let len: usize = std::str::from_utf8(&b[1..head_end])
            .unwrap()
            .parse()
            .unwrap();
        b.len() >= head_end + 2 + len + 2
    });
    let line = String::from_utf8(reply).unwrap();
    Victim {
        id: field(&line, "id").parse().unwrap(),
        addr: field(&line, "addr"),
        laddr: field(&line, "laddr"),
        raw,
    }
}

impl Victim {
    /// The server closed the connection, without a word.
    #[track_caller]
    fn assert_killed(&mut self) {
        assert_eq!(
            self.raw.read_to_close(),
            b"",
            "victim {} got bytes",
            self.id
        );
    }

    /// The connection is still served.
    #[track_caller]
    fn assert_alive(&mut self) {
        self.raw.roundtrip(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
    }
}

fn client_id(c: &mut Client) -> u64 {
    int_of(&cmd(c, &["CLIENT", "ID"])) as u64
}

fn my_info(c: &mut Client) -> String {
    text(&cmd(c, &["CLIENT", "INFO"]))
}

fn connected_clients(c: &mut Client) -> u64 {
    let info = text(&cmd(c, &["INFO", "clients"]));
    info.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .unwrap_or_else(|| panic!("no connected_clients in {info:?}"))
        .trim()
        .parse()
        .unwrap()
}

/// INFO's connected_clients reaches `want` (a killed client is closed on its looper, just
/// after the killer's reply).
#[track_caller]
fn assert_connected(c: &mut Client, want: u64) {
    let mut last = 0;
    let ok = eventually(Duration::from_secs(5), || {
        last = connected_clients(c);
        last == want
    });
    assert!(ok, "connected_clients is {last}, want {want}");
}

#[test]
fn kill_by_id_from_another_connection() {
    let (_server, addr, _dir) = start();
    let mut killer = connect(addr);
    let mut v = victim(addr);
    let mut bystander = victim(addr);
    assert_connected(&mut killer, 3);
    let id = v.id.to_string();
    assert_eq!(cmd(&mut killer, &["CLIENT", "KILL", "ID", &id]), int(1));
    v.assert_killed();
    assert_connected(&mut killer, 2);
    bystander.assert_alive();
    // It is gone: a second kill finds nobody, and CLIENT LIST no longer shows it.
    assert_eq!(cmd(&mut killer, &["CLIENT", "KILL", "ID", &id]), int(0));
    let list = text(&cmd(&mut killer, &["CLIENT", "LIST"]));
    assert!(!list.contains(&format!("id={id} ")), "{list}");
    // An id nobody has.
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "ID", "999999"]),
        int(0)
    );
    // The caller's own id: SKIPME defaults to yes.
    let me = client_id(&mut killer).to_string();
    assert_eq!(cmd(&mut killer, &["CLIENT", "KILL", "ID", &me]), int(0));
    assert_eq!(cmd(&mut killer, &["PING"]), simple("PONG"));
}

#[test]
fn kill_by_addr_old_and_new_form() {
    let (_server, addr, _dir) = start();
    let mut killer = connect(addr);

    // Old form: `+OK`, then the victim is closed.
    let mut v = victim(addr);
    assert_eq!(cmd(&mut killer, &["CLIENT", "KILL", &v.addr]), ok());
    v.assert_killed();
    assert_connected(&mut killer, 1);
    // Nobody there any more.
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", &v.addr]),
        err("ERR No such client")
    );
    // Three arguments are always the old form, whatever the word.
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "ADDR"]),
        err("ERR No such client")
    );

    // New form: the number killed.
    let mut v = victim(addr);
    let mut other = victim(addr);
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "ADDR", &v.addr]),
        int(1)
    );
    v.assert_killed();
    other.assert_alive();
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "ADDR", "1.2.3.4:5"]),
        int(0)
    );
    assert_connected(&mut killer, 2);
}

#[test]
fn kill_by_laddr_kills_everyone_else_on_that_address() {
    let (_server, addr, _dir) = start();
    let mut killer = connect(addr);
    let mut vs: Vec<Victim> = (0..3).map(|_| victim(addr)).collect();
    let laddr = vs[0].laddr.clone();
    assert_eq!(laddr, field(&my_info(&mut killer), "laddr"));
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "LADDR", "1.2.3.4:5"]),
        int(0)
    );
    // Filters combine: this address and this id.
    let id = vs[0].id.to_string();
    assert_eq!(
        cmd(
            &mut killer,
            &["CLIENT", "KILL", "ID", &id, "LADDR", "1.2.3.4:5"]
        ),
        int(0)
    );
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "ID", &id, "LADDR", &laddr]),
        int(1)
    );
    vs[0].assert_killed();
    // Everyone else on the address, the caller spared.
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "LADDR", &laddr]),
        int(2)
    );
    for v in &mut vs[1..] {
        v.assert_killed();
    }
    assert_eq!(cmd(&mut killer, &["PING"]), simple("PONG"));
    assert_connected(&mut killer, 1);
}

#[test]
fn kill_by_type() {
    let (_server, addr, _dir) = start();
    let mut killer = connect(addr);
    let mut vs: Vec<Victim> = (0..2).map(|_| victim(addr)).collect();
    // kvs has only normal clients.
    for t in ["master", "replica", "slave", "pubsub", "PubSub"] {
        assert_eq!(
            cmd(&mut killer, &["CLIENT", "KILL", "TYPE", t]),
            int(0),
            "{t}"
        );
    }
    // The last TYPE counts.
    let id = vs[0].id.to_string();
    assert_eq!(
        cmd(
            &mut killer,
            &["CLIENT", "KILL", "ID", &id, "TYPE", "master"]
        ),
        int(0)
    );
    for v in &mut vs {
        v.assert_alive();
    }
    assert_eq!(
        cmd(
            &mut killer,
            &[
                "CLIENT", "KILL", "TYPE", "master", "TYPE", "Normal", "SKIPME", "yes"
            ]
        ),
        int(2)
    );
    for v in &mut vs {
        v.assert_killed();
    }
    assert_eq!(cmd(&mut killer, &["PING"]), simple("PONG"));
    assert_connected(&mut killer, 1);

    // SKIPME no: the caller too, after its reply.
    let mut vs: Vec<Victim> = (0..2).map(|_| victim(addr)).collect();
    let mut me = Raw::connect(addr);
    me.roundtrip(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
    me.send_cmd(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"]);
    me.send_cmd(&["PING"]); // never run: the connection closes after the reply
    // The killer of the first half, 2 victims and this one.
    assert_eq!(me.read_to_close(), b":4\r\n");
    // kvs, as after QUIT, half-closes and waits for the client's FIN before it lets go.
    drop(me);
    for v in &mut vs {
        v.assert_killed();
    }
    let mut fresh = connect(addr);
    assert_connected(&mut fresh, 1);
}

#[test]
fn kill_by_user() {
    let (_server, addr, _dir) = start();
    let mut killer = connect(addr);
    let mut v = victim(addr);
    // ACL user names are case-sensitive; kvs has only `default`.
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "USER", "nosuch"]),
        err("ERR No such user 'nosuch'")
    );
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "USER", "Default"]),
        err("ERR No such user 'Default'")
    );
    v.assert_alive();
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "USER", "default"]),
        int(1)
    );
    v.assert_killed();
    assert_connected(&mut killer, 1);
}

#[test]
fn kill_argument_errors() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut v = victim(addr);
    let cases: &[(&[&str], &str)] = &[
        (
            &["CLIENT", "KILL"],
            "ERR wrong number of arguments for 'client|kill' command",
        ),
        (&["CLIENT", "KILL", "FOO", "bar"], "ERR syntax error"),
        (&["CLIENT", "KILL", "ID", "1", "SKIPME"], "ERR syntax error"),
        (&["CLIENT", "KILL", "SKIPME", "maybe"], "ERR syntax error"),
        (
            &["CLIENT", "KILL", "ID", "0"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "-1"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "abc"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "+5"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "05"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "ID", "9223372036854775808"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "TYPE", "bogus"],
            "ERR Unknown client type 'bogus'",
        ),
        // Options are checked in order: the first bad one answers.
        (
            &["CLIENT", "KILL", "ID", "0", "FOO", "bar"],
            "ERR client-id should be greater than 0",
        ),
        (
            &["CLIENT", "KILL", "FOO", "bar", "ID", "0"],
            "ERR syntax error",
        ),
        // Redis 7.4's MAXAGE.
        (
            &["CLIENT", "KILL", "MAXAGE", "x"],
            "ERR maxage is not an integer or out of range",
        ),
        (
            &["CLIENT", "KILL", "MAXAGE", "0"],
            "ERR maxage should be greater than 0",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(cmd(&mut c, args), err(want), "{args:?}");
    }
    // A refused kill kills nobody, even with a valid filter before the bad one.
    let id = v.id.to_string();
    assert_eq!(
        cmd(&mut c, &["CLIENT", "KILL", "ID", &id, "TYPE", "bogus"]),
        err("ERR Unknown client type 'bogus'")
    );
    v.assert_alive();
    assert_eq!(
        cmd(&mut c, &["CLIENT", "KILL", "ID", "9223372036854775807"]),
        int(0)
    );
    // Nobody has been connected for a day.
    assert_eq!(cmd(&mut c, &["CLIENT", "KILL", "MAXAGE", "86400"]), int(0));
    v.assert_alive();
    let help = items(cmd(&mut c, &["CLIENT", "HELP"]));
    assert!(help.iter().any(|l| text(l) == "KILL <ip:port>"), "{help:?}");
}

#[test]
fn killing_yourself_replies_then_closes() {
    let (_server, addr, _dir) = start();
    let mut watcher = connect(addr);

    // New form, SKIPME no: `:1`, then EOF; the pipelined PING is not run.
    let mut me = victim(addr);
    let id = me.id.to_string();
    me.raw
        .send_cmd(&["CLIENT", "KILL", "ID", &id, "SKIPME", "no"]);
    me.raw.send_cmd(&["PING"]);
    assert_eq!(me.raw.read_to_close(), b":1\r\n");
    drop(me); // kvs, as after QUIT, waits for the client's FIN before it lets go

    // Old form with one's own address: `+OK`, then EOF.
    let mut me = victim(addr);
    let own = me.addr.clone();
    me.raw.send_cmd(&["CLIENT", "KILL", &own]);
    me.raw.send_cmd(&["PING"]);
    assert_eq!(me.raw.read_to_close(), b"+OK\r\n");
    drop(me);

    // ADDR with SKIPME yes (the default) spares the caller.
    let mut me = victim(addr);
    let own = me.addr.clone();
    me.raw.send_cmd(&["CLIENT", "KILL", "ADDR", &own]);
    me.raw.expect(b":0\r\n");
    me.assert_alive();
    drop(me);

    assert_connected(&mut watcher, 1);
}

#[test]
fn kills_reach_clients_on_every_looper() {
    let (_server, addr, _dir) = start_with(|c| c.loopers = 2);
    let mut killer = connect(addr);
    // Connections go to the loopers in turn: consecutive ones are on different loopers, so
    // these victims live on both, the killer's and the other.
    let mut vs: Vec<Victim> = (0..4).map(|_| victim(addr)).collect();
    assert_connected(&mut killer, 5);
    for (i, v) in vs.iter_mut().enumerate() {
        let id = v.id.to_string();
        assert_eq!(cmd(&mut killer, &["CLIENT", "KILL", "ID", &id]), int(1));
        v.assert_killed();
        assert_connected(&mut killer, 4 - i as u64);
    }
    // And several at once, across loopers.
    let mut vs: Vec<Victim> = (0..5).map(|_| victim(addr)).collect();
    assert_connected(&mut killer, 6);
    assert_eq!(
        cmd(&mut killer, &["CLIENT", "KILL", "TYPE", "normal"]),
        int(5)
    );
    for v in &mut vs {
        v.assert_killed();
    }
    assert_connected(&mut killer, 1);
    assert_eq!(cmd(&mut killer, &["PING"]), simple("PONG"));
}

#[test]
fn kill_needs_auth() {
    let (_server, addr, _dir) = start_with(|c| c.requirepass = Some("pw".into()));
    let mut c = connect(addr);
    assert_eq!(
        cmd(&mut c, &["CLIENT", "KILL", "TYPE", "normal"]),
        err("NOAUTH Authentication required.")
    );
    // Arity is checked before authentication, as Redis does.
    assert_eq!(
        cmd(&mut c, &["CLIENT", "KILL"]),
        err("ERR wrong number of arguments for 'client|kill' command")
    );
}
