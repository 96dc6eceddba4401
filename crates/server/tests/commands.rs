//! Every command of `cmd/table.rs`, end to end over TCP against an in-process server: the normal
//! cases and the exact Redis 7 error texts. The expected replies were checked against a real
//! Redis 7 (7.0.15, plus the 7.2 source where the two differ) and are hard-coded here.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use kvs_server::cmd::table::COMMANDS;
use kvs_server::resp_client::{Client, Reply};

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Asserts `cmd(args) == expected`, naming the command on failure.
#[track_caller]
fn check(c: &mut Client, args: &[&str], expected: Reply) {
    assert_eq!(cmd(c, args), expected, "{args:?}");
}

/// Asserts an integer reply within `lo..=hi`.
#[track_caller]
fn check_range(c: &mut Client, args: &[&str], lo: i64, hi: i64) {
    let r = cmd(c, args);
    let n = int_of(&r);
    assert!((lo..=hi).contains(&n), "{args:?}: {n} not in {lo}..={hi}");
}

/// Splits an INFO / CLIENT LIST text into its `key:value` lines.
fn info_fields(text: &str) -> Vec<(String, String)> {
    text.split("\r\n")
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn info_field(text: &str, name: &str) -> Option<String> {
    info_fields(text)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

// ---------------------------------------------------------------------------------------------
// Generic errors: unknown commands and arity.
// ---------------------------------------------------------------------------------------------

#[test]
fn unknown_command_error_text() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["foo", "a"],
        err("ERR unknown command 'foo', with args beginning with: 'a' "),
    );
    check(
        &mut c,
        &["foo", "a", "b"],
        err("ERR unknown command 'foo', with args beginning with: 'a' 'b' "),
    );
    check(
        &mut c,
        &["foo"],
        err("ERR unknown command 'foo', with args beginning with: "),
    );
    // The name is quoted as sent (case kept); CR/LF become spaces so the reply stays one line.
    check(
        &mut c,
        &["FooBar", "x"],
        err("ERR unknown command 'FooBar', with args beginning with: 'x' "),
    );
    check(
        &mut c,
        &["foo", "a\r\nb"],
        err("ERR unknown command 'foo', with args beginning with: 'a  b' "),
    );
    // The name is cut at 128 bytes; so is a single long argument.
    let long = "x".repeat(200);
    check(
        &mut c,
        &[&long],
        err(&format!(
            "ERR unknown command '{}', with args beginning with: ",
            "x".repeat(128)
        )),
    );
    check(
        &mut c,
        &["foo", &"y".repeat(200)],
        err(&format!(
            "ERR unknown command 'foo', with args beginning with: '{}' ",
            "y".repeat(128)
        )),
    );
    // The connection is still usable.
    check(&mut c, &["PING"], simple("PONG"));
}

/// Redis (server.c, processCommand) builds the argument list with
/// `for (i=1; i < c->argc && sdslen(args) < 128; i++) args = sdscatprintf(args, "'%.*s' ", 128-(int)sdslen(args), argv[i])`:
/// the 128-byte budget is for the quoted arguments alone, not the whole message.
#[test]
fn unknown_command_error_lists_args_up_to_128_bytes() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let args: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
    let mut argv = vec!["foo"];
    argv.extend(args.iter().map(String::as_str));
    check(
        &mut c,
        &argv,
        err(
            "ERR unknown command 'foo', with args beginning with: '1' '2' '3' '4' '5' '6' '7' '8' '9' '10' '11' '12' '13' '14' '15' '16' '17' '18' '19' '20' '21' '22' '23' '24' '25' '26' '27' '28' ",
        ),
    );
    // The second argument is cut to what is left of the 128 bytes.
    let (a, b) = ("a".repeat(64), "b".repeat(69));
    check(
        &mut c,
        &["foo", &a, &b, "c"],
        err(&format!(
            "ERR unknown command 'foo', with args beginning with: '{a}' '{}' ",
            "b".repeat(61)
        )),
    );
}

/// Redis formats with `%.128s` and `'%.*s'`: each part ends at its first NUL, and other bytes
/// go back raw, not UTF-8 checked (as redis-server answers; see scripts/compat/redis_diff.py).
#[test]
fn unknown_command_error_echoes_raw_bytes_and_stops_at_nul() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.roundtrip(
        b"*2\r\n$3\r\nFOO\r\n$4\r\nab\x00c\r\n",
        b"-ERR unknown command 'FOO', with args beginning with: 'ab' \r\n",
    );
    raw.roundtrip(
        b"*2\r\n$3\r\nFOO\r\n$2\r\n\xff\xfe\r\n",
        b"-ERR unknown command 'FOO', with args beginning with: '\xff\xfe' \r\n",
    );
    raw.roundtrip(
        b"*2\r\n$3\r\nF\xffO\r\n$1\r\nx\r\n",
        b"-ERR unknown command 'F\xffO', with args beginning with: 'x' \r\n",
    );
    raw.roundtrip(
        b"*2\r\n$4\r\nF\x00OO\r\n$1\r\nx\r\n",
        b"-ERR unknown command 'F', with args beginning with: 'x' \r\n",
    );
}

#[test]
fn wrong_arity_for_every_command_in_the_table() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut checked = 0;
    for spec in COMMANDS {
        // A count the arity refuses: one too many for a fixed arity, one too few for a minimum.
        let total = if spec.arity > 0 {
            spec.arity as usize + 1
        } else if -spec.arity > 1 {
            (-spec.arity - 1) as usize
        } else {
            continue; // "at least the name": nothing is too few
        };
        let mut argv = vec![spec.name.to_uppercase()];
        argv.extend((1..total).map(|i| format!("arg{i}")));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let text = format!("wrong number of arguments for '{}' command", spec.name);
        // A rejected EXEC aborts its transaction (Redis' execCommandAbort words it so).
        let expected = if spec.name == "exec" {
            format!("EXECABORT Transaction discarded because of: {text}")
        } else {
            format!("ERR {text}")
        };
        check(&mut c, &argv, err(&expected));
        checked += 1;
    }
    assert!(
        checked > 40,
        "only {checked} commands have a refusable arity?"
    );
    // Spot checks of the texts the brief names.
    check(
        &mut c,
        &["get"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    check(
        &mut c,
        &["GET", "a", "b"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    check(
        &mut c,
        &["set", "k"],
        err("ERR wrong number of arguments for 'set' command"),
    );
    check(
        &mut c,
        &["ping", "a", "b"],
        err("ERR wrong number of arguments for 'ping' command"),
    );
    check(&mut c, &["PING"], simple("PONG"));
}

/// Redis 7 checks a subcommand's own arity and names it `container|sub`
/// (server.c processCommand: "wrong number of arguments for '%s' command", c->cmd->fullname).
#[test]
fn subcommand_wrong_arity_names_container_and_subcommand() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["client", "setname"],
        err("ERR wrong number of arguments for 'client|setname' command"),
    );
    check(
        &mut c,
        &["config", "get"],
        err("ERR wrong number of arguments for 'config|get' command"),
    );
    check(
        &mut c,
        &["config", "set", "maxclients"],
        err("ERR wrong number of arguments for 'config|set' command"),
    );
    check(
        &mut c,
        &["client", "id", "x"],
        err("ERR wrong number of arguments for 'client|id' command"),
    );
    check(
        &mut c,
        &["client", "getname", "x"],
        err("ERR wrong number of arguments for 'client|getname' command"),
    );
    check(
        &mut c,
        &["command", "count", "x"],
        err("ERR wrong number of arguments for 'command|count' command"),
    );
}

// ---------------------------------------------------------------------------------------------
// Connection commands.
// ---------------------------------------------------------------------------------------------

#[test]
fn ping_echo() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["PING"], simple("PONG"));
    check(&mut c, &["ping", "hello world"], bulk("hello world"));
    check(&mut c, &["ECHO", "x"], bulk("x"));
    check(&mut c, &["echo", ""], bulk(""));
    assert_eq!(
        cmd_b(&mut c, &[b"ECHO", b"a\x00b\r\nc"]),
        bulk_b(b"a\x00b\r\nc")
    );
}

#[test]
fn select_only_db_0() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SELECT", "0"], ok());
    // kvs has one database (CONFIG GET databases = 1); Redis with `databases 1` answers the same.
    check(
        &mut c,
        &["CONFIG", "GET", "databases"],
        bulks(&["databases", "1"]),
    );
    check(
        &mut c,
        &["SELECT", "1"],
        err("ERR DB index is out of range"),
    );
    check(
        &mut c,
        &["SELECT", "16"],
        err("ERR DB index is out of range"),
    );
    check(
        &mut c,
        &["SELECT", "-1"],
        err("ERR DB index is out of range"),
    );
    check(
        &mut c,
        &["SELECT", "x"],
        err("ERR value is not an integer or out of range"),
    );
    check(
        &mut c,
        &["SELECT", "0.5"],
        err("ERR value is not an integer or out of range"),
    );
}

#[test]
fn auth_without_password_configured() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["AUTH", "x"],
        err(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
        ),
    );
    // The default user is `nopass`: any password works for it, other users do not exist.
    check(&mut c, &["AUTH", "default", "whatever"], ok());
    check(
        &mut c,
        &["AUTH", "nobody", "x"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    check(&mut c, &["AUTH", "a", "b", "c"], err("ERR syntax error"));
}

#[test]
fn requirepass_gates_commands_until_auth() {
    let (_server, addr, _dir) = start_with(|c| c.requirepass = Some("secret".into()));
    let mut c = connect(addr);
    check(&mut c, &["PING"], err("NOAUTH Authentication required."));
    check(
        &mut c,
        &["GET", "k"],
        err("NOAUTH Authentication required."),
    );
    check(
        &mut c,
        &["SET", "k", "v"],
        err("NOAUTH Authentication required."),
    );
    check(
        &mut c,
        &["CLIENT", "SETNAME", "x"],
        err("NOAUTH Authentication required."),
    );
    // Unknown commands and bad arity are reported before the authentication check.
    check(
        &mut c,
        &["foo"],
        err("ERR unknown command 'foo', with args beginning with: "),
    );
    check(
        &mut c,
        &["get"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    // HELLO needs credentials when a password is set (7.2 text).
    check(
        &mut c,
        &["HELLO", "3"],
        err(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ),
    );
    check(
        &mut c,
        &["HELLO", "3", "AUTH", "default", "wrong"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    check(
        &mut c,
        &["AUTH", "wrong"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    check(
        &mut c,
        &["AUTH", "default", "wrong"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    check(
        &mut c,
        &["AUTH", "nobody", "secret"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    check(&mut c, &["PING"], err("NOAUTH Authentication required."));
    check(&mut c, &["AUTH", "secret"], ok());
    check(&mut c, &["PING"], simple("PONG"));
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["GET", "k"], bulk("v"));

    // AUTH user pass, and HELLO ... AUTH on a fresh connection.
    let mut c2 = connect(addr);
    check(&mut c2, &["AUTH", "default", "secret"], ok());
    check(&mut c2, &["GET", "k"], bulk("v"));
    let mut c3 = connect(addr);
    let hello = items(cmd(&mut c3, &["HELLO", "3", "AUTH", "default", "secret"]));
    assert_eq!(hello[4..6], [bulk("proto"), int(3)]);
    assert_eq!(cmd(&mut c3, &["GET", "nokey"]), Reply::Null);

    // QUIT is allowed before AUTH.
    let mut c4 = connect(addr);
    check(&mut c4, &["QUIT"], ok());
}

/// RESET carries Redis 7's `no_auth` flag (`COMMAND INFO reset` lists it): an unauthenticated
/// client may RESET. Redis 7.0.15 answers `+RESET` here.
#[test]
fn reset_is_allowed_before_auth() {
    let (_server, addr, _dir) = start_with(|c| c.requirepass = Some("secret".into()));
    let mut c = connect(addr);
    check(&mut c, &["RESET"], simple("RESET"));
}

#[test]
fn reset_forgets_auth_name_and_protocol() {
    let (_server, addr, _dir) = start_with(|c| c.requirepass = Some("secret".into()));
    let mut c = connect(addr);
    check(&mut c, &["AUTH", "secret"], ok());
    items(cmd(&mut c, &["HELLO", "3"]));
    check(&mut c, &["CLIENT", "SETNAME", "conn1"], ok());
    check(&mut c, &["RESET"], simple("RESET"));
    check(&mut c, &["PING"], err("NOAUTH Authentication required."));
    check(&mut c, &["AUTH", "secret"], ok());
    check(&mut c, &["CLIENT", "GETNAME"], nil()); // RESP2 again: `$-1`, not `_`
    check(&mut c, &["GET", "nokey"], nil());
}

#[test]
fn reset_without_password() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    items(cmd(&mut c, &["HELLO", "3"]));
    assert_eq!(cmd(&mut c, &["GET", "nokey"]), Reply::Null);
    check(&mut c, &["CLIENT", "SETNAME", "n"], ok());
    check(&mut c, &["RESET"], simple("RESET"));
    check(&mut c, &["GET", "nokey"], nil());
    check(&mut c, &["CLIENT", "GETNAME"], nil());
    check(&mut c, &["PING"], simple("PONG"));
}

#[test]
fn quit_replies_ok_then_closes() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.send(b"*1\r\n$4\r\nQUIT\r\n");
    assert_eq!(raw.read_to_close(), b"+OK\r\n");
    // QUIT takes (and ignores) arguments, like Redis.
    let mut raw = Raw::connect(addr);
    raw.send(b"*2\r\n$4\r\nquit\r\n$1\r\nx\r\n");
    assert_eq!(raw.read_to_close(), b"+OK\r\n");
    // Nothing sent after QUIT in the same write is executed.
    let mut raw = Raw::connect(addr);
    raw.send(b"QUIT\r\nSET after quit\r\n");
    assert_eq!(raw.read_to_close(), b"+OK\r\n");
    let mut c = connect(addr);
    check(&mut c, &["EXISTS", "after"], int(0));
}

/// A connection the server closes itself (QUIT, a protocol error) must leave CLIENT LIST and
/// `connected_clients`, and free its slot under `maxclients`, as in Redis.
#[test]
fn closed_clients_leave_client_list_and_free_their_slot() {
    let (_server, addr, _dir) = start_with(|c| c.maxclients = 4);
    for request in [&b"QUIT\r\n"[..], b"*1\r\n$4\r\nQUIT\r\n"] {
        let mut raw = Raw::connect(addr);
        raw.send(request);
        assert_eq!(String::from_utf8_lossy(&raw.read_to_close()), "+OK\r\n");
    }
    for request in [&b"*abc\r\n"[..], b"SET \"unbalanced\r\n"] {
        let mut raw = Raw::connect(addr);
        raw.send(request);
        let reply = raw.read_to_close();
        assert!(
            reply.starts_with(b"-ERR Protocol error: "),
            "{:?}",
            String::from_utf8_lossy(&reply)
        );
    }
    // Four connections came and went; with maxclients 4 there must be room again.
    let mut c = connect(addr);
    assert_eq!(
        cmd(&mut c, &["PING"]),
        simple("PONG"),
        "a new connection was refused after 4 closed ones: their slots leaked"
    );
    let settled = eventually(Duration::from_secs(2), || {
        let info = text(&cmd(&mut c, &["INFO", "clients"]));
        info_field(&info, "connected_clients").as_deref() == Some("1")
    });
    let info = text(&cmd(&mut c, &["INFO", "clients"]));
    let list = text(&cmd(&mut c, &["CLIENT", "LIST"]));
    assert!(
        settled,
        "connected_clients should be 1 (this client), INFO says:\n{info}\nCLIENT LIST:\n{list}"
    );
    assert_eq!(list.lines().count(), 1, "{list}");
}

#[test]
fn time_and_lastsave() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let t = items(cmd(&mut c, &["TIME"]));
    assert_eq!(t.len(), 2);
    let secs: i64 = text(&t[0]).parse().unwrap();
    let micros: i64 = text(&t[1]).parse().unwrap();
    assert!(
        (secs - now_secs()).abs() <= 2,
        "TIME {secs} vs {}",
        now_secs()
    );
    assert!((0..1_000_000).contains(&micros));
    let last = int_of(&cmd(&mut c, &["LASTSAVE"]));
    assert!(
        last > 1_600_000_000 && last <= now_secs() + 1,
        "LASTSAVE {last}"
    );
    check(&mut c, &["SAVE"], ok());
    let after = int_of(&cmd(&mut c, &["LASTSAVE"]));
    assert!(
        after >= last && after <= now_secs() + 1,
        "LASTSAVE after SAVE {after}"
    );
}

// ---------------------------------------------------------------------------------------------
// CLIENT
// ---------------------------------------------------------------------------------------------

#[test]
fn client_id_name_info_list() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut other = connect(addr);
    let id = int_of(&cmd(&mut c, &["CLIENT", "ID"]));
    let other_id = int_of(&cmd(&mut other, &["CLIENT", "ID"]));
    assert!(id > 0 && other_id > 0 && id != other_id);
    // HELLO reports the same id.
    let hello = items(cmd(&mut c, &["HELLO", "2"]));
    assert_eq!(hello[6..8], [bulk("id"), int(id)]);

    check(&mut c, &["CLIENT", "GETNAME"], nil());
    check(
        &mut c,
        &["CLIENT", "SETNAME", "my name"],
        err("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    check(
        &mut c,
        &["CLIENT", "SETNAME", "a\nb"],
        err("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    check(&mut c, &["client", "setname", "worker-1"], ok());
    check(&mut c, &["CLIENT", "GETNAME"], bulk("worker-1"));
    check(
        &mut c,
        &["CLIENT", "SETINFO", "LIB-NAME", "kvs-tests"],
        ok(),
    );
    check(&mut c, &["CLIENT", "SETINFO", "lib-ver", "1.2.3"], ok());
    check(
        &mut c,
        &["CLIENT", "SETINFO", "foo", "x"],
        err("ERR Unrecognized option 'foo'"),
    );
    check(
        &mut c,
        &["CLIENT", "SETINFO", "lib-name"],
        err("ERR wrong number of arguments for 'client|setinfo' command"),
    );

    let info = text(&cmd(&mut c, &["CLIENT", "INFO"]));
    assert!(
        info.ends_with('\n') && info.lines().count() == 1,
        "{info:?}"
    );
    for field in [
        format!("id={id} "),
        "name=worker-1 ".into(),
        "lib-name=kvs-tests".into(),
        "lib-ver=1.2.3".into(),
        "addr=127.0.0.1:".into(),
        "db=0".into(),
    ] {
        assert!(info.contains(&field), "CLIENT INFO lacks {field:?}: {info}");
    }

    let list = text(&cmd(&mut c, &["CLIENT", "LIST"]));
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with(&format!("id={id} ")) && l.contains("name=worker-1 ")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with(&format!("id={other_id} "))),
        "{list}"
    );
    let typed = text(&cmd(&mut c, &["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(typed.lines().count(), 2, "{typed}");
    check(&mut c, &["CLIENT", "LIST", "x"], err("ERR syntax error"));
    check(
        &mut c,
        &["CLIENT", "LIST", "TYPE", "normal", "x"],
        err("ERR syntax error"),
    );

    // An empty name clears it.
    check(&mut c, &["CLIENT", "SETNAME", ""], ok());
    check(&mut c, &["CLIENT", "GETNAME"], nil());
    check(
        &mut c,
        &["CLIENT", "foo"],
        err("ERR unknown subcommand 'foo'. Try CLIENT HELP."),
    );
    check(
        &mut c,
        &["CLIENT"],
        err("ERR wrong number of arguments for 'client' command"),
    );
    let help = items(cmd(&mut c, &["CLIENT", "HELP"]));
    assert!(
        text(&help[0]).starts_with("CLIENT <subcommand>"),
        "{help:?}"
    );
}

/// Redis 7.2 networking.c clientSetinfoCommand:
/// `addReplyErrorFormat(c, "%s cannot contain spaces, newlines or special characters.", attr)`.
#[test]
fn client_setinfo_rejects_bad_values_with_redis_text() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["CLIENT", "SETINFO", "lib-name", "a b"],
        err("ERR lib-name cannot contain spaces, newlines or special characters."),
    );
    check(
        &mut c,
        &["CLIENT", "SETINFO", "LIB-VER", "1\n2"],
        err("ERR LIB-VER cannot contain spaces, newlines or special characters."),
    );
}

// ---------------------------------------------------------------------------------------------
// CONFIG, COMMAND, INFO and the server commands.
// ---------------------------------------------------------------------------------------------

#[test]
fn config_get_and_set() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let port = addr.port().to_string();
    check(&mut c, &["CONFIG", "GET", "port"], bulks(&["port", &port]));
    check(
        &mut c,
        &["CONFIG", "GET", "maxclients"],
        bulks(&["maxclients", "10000"]),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "nonexistent"],
        Reply::Array(Some(vec![])),
    );
    // Glob patterns: every name returned matches, and the known ones are there.
    let pairs = items(cmd(&mut c, &["CONFIG", "GET", "max*"]));
    assert_eq!(pairs.len() % 2, 0);
    let names: Vec<String> = pairs.iter().step_by(2).map(text).collect();
    assert!(names.iter().all(|n| n.starts_with("max")), "{names:?}");
    assert!(
        names.contains(&"maxclients".to_string()) && names.contains(&"maxmemory".to_string()),
        "{names:?}"
    );
    let names: Vec<String> = items(cmd(&mut c, &["CONFIG", "GET", "tim?out"]))
        .iter()
        .step_by(2)
        .map(text)
        .collect();
    assert_eq!(names, ["timeout"]);
    let all: Vec<String> = items(cmd(&mut c, &["CONFIG", "GET", "*"]))
        .iter()
        .step_by(2)
        .map(text)
        .collect();
    for n in [
        "port",
        "dir",
        "requirepass",
        "maxclients",
        "timeout",
        "appendonly",
        "save",
        "databases",
        "proto-max-bulk-len",
    ] {
        assert!(
            all.iter().any(|a| a == n),
            "CONFIG GET * lacks {n}: {all:?}"
        );
    }
    // Several patterns (Redis 7).
    let both = items(cmd(&mut c, &["CONFIG", "GET", "port", "timeout"]));
    assert_eq!(
        both,
        [bulk("port"), bulk(&port), bulk("timeout"), bulk("0")]
    );

    check(&mut c, &["CONFIG", "SET", "timeout", "0"], ok());
    check(&mut c, &["CONFIG", "SET", "maxclients", "5000"], ok());
    check(
        &mut c,
        &["CONFIG", "GET", "maxclients"],
        bulks(&["maxclients", "5000"]),
    );
    check(&mut c, &["CONFIG", "SET", "maxclients", "10000"], ok());
    check(
        &mut c,
        &["CONFIG", "SET", "maxclients", "abc"],
        err(
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
        ),
    );
    check(
        &mut c,
        &["CONFIG", "SET", "foo", "bar"],
        err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
    );
    // Multi-parameter CONFIG SET is all or nothing.
    check(
        &mut c,
        &["CONFIG", "SET", "timeout", "5", "maxclients", "abc"],
        err(
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
        ),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "timeout"],
        bulks(&["timeout", "0"]),
    );
    check(
        &mut c,
        &["CONFIG", "SET", "timeout"],
        err("ERR wrong number of arguments for 'config|set' command"),
    );
    // Redis' configSetCommand: past the arity, an odd count is a syntax error. (Each expected
    // text here was checked against redis-server by scripts/compat/redis_diff.py.)
    check(
        &mut c,
        &["CONFIG", "SET", "timeout", "0", "maxclients"],
        err("ERR syntax error"),
    );
    check(
        &mut c,
        &["CONFIG", "SET", "timeout", "-1"],
        err(
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be \
             between 0 and 2147483647 inclusive",
        ),
    );
    check(
        &mut c,
        &["CONFIG", "SET", "timeout", "x"],
        err(
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't \
             be parsed into an integer",
        ),
    );
    check(
        &mut c,
        &["CONFIG", "RESETSTAT", "x"],
        err("ERR wrong number of arguments for 'config|resetstat' command"),
    );
    check(
        &mut c,
        &["CONFIG", "REWRITE", "x"],
        err("ERR wrong number of arguments for 'config|rewrite' command"),
    );
    check(
        &mut c,
        &["CONFIG", "GET"],
        err("ERR wrong number of arguments for 'config|get' command"),
    );
    check(
        &mut c,
        &["CONFIG", "foo"],
        err("ERR unknown subcommand 'foo'. Try CONFIG HELP."),
    );
    check(
        &mut c,
        &["CONFIG"],
        err("ERR wrong number of arguments for 'config' command"),
    );
    check(&mut c, &["CONFIG", "RESETSTAT"], ok());
}

/// Redis 7 config.c configSetCommand refuses a parameter named twice:
/// "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter".
#[test]
fn config_set_duplicate_parameter() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["CONFIG", "SET", "timeout", "0", "timeout", "1"],
        err("ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "timeout"],
        bulks(&["timeout", "0"]),
    );
}

#[test]
fn config_set_requirepass_applies_to_new_connections() {
    let (_server, addr, _dir) = start();
    let mut admin = connect(addr);
    check(&mut admin, &["CONFIG", "SET", "requirepass", "pw"], ok());
    check(
        &mut admin,
        &["CONFIG", "GET", "requirepass"],
        bulks(&["requirepass", "pw"]),
    );
    let mut c = connect(addr);
    check(&mut c, &["PING"], err("NOAUTH Authentication required."));
    check(&mut c, &["AUTH", "pw"], ok());
    check(&mut c, &["CONFIG", "SET", "requirepass", ""], ok());
    let mut c2 = connect(addr);
    check(&mut c2, &["PING"], simple("PONG"));
}

#[test]
fn command_count_info_docs_list() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["COMMAND", "COUNT"], int(COMMANDS.len() as i64));
    let all = items(cmd(&mut c, &["COMMAND"]));
    assert_eq!(all.len(), COMMANDS.len());
    let listed = sorted_strings(cmd(&mut c, &["COMMAND", "LIST"]));
    let mut names: Vec<String> = COMMANDS.iter().map(|s| s.name.to_string()).collect();
    names.sort();
    assert_eq!(listed, names);

    // COMMAND INFO: name, arity, flags, first key, last key, step, then ACL categories, tips,
    // key specs, subcommands (10 fields in Redis 7).
    let info = items(cmd(&mut c, &["COMMAND", "INFO", "get", "SET", "mset"]));
    assert_eq!(info.len(), 3);
    let get = items(info[0].clone());
    assert_eq!(get.len(), 10);
    assert_eq!(
        get[..6],
        [
            bulk("get"),
            int(2),
            Reply::Array(Some(vec![simple("readonly"), simple("fast")])),
            int(1),
            int(1),
            int(1)
        ]
    );
    let set = items(info[1].clone());
    assert_eq!(set[..2], [bulk("set"), int(-3)]);
    assert!(items(set[2].clone()).contains(&simple("write")));
    let mset = items(info[2].clone());
    assert_eq!(
        mset[..6],
        [
            bulk("mset"),
            int(-3),
            mset[2].clone(),
            int(1),
            int(-1),
            int(2)
        ]
    );

    // COMMAND DOCS: name -> doc map (flattened here), with a summary.
    let docs = items(cmd(&mut c, &["COMMAND", "DOCS", "get"]));
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0], bulk("get"));
    let fields: Vec<Reply> = items(docs[1].clone());
    assert!(fields.contains(&bulk("summary")), "{fields:?}");
    let every = items(cmd(&mut c, &["COMMAND", "DOCS"]));
    assert_eq!(every.len(), 2 * COMMANDS.len());

    check(
        &mut c,
        &["COMMAND", "foo"],
        err("ERR unknown subcommand 'foo'. Try COMMAND HELP."),
    );
}

/// networking.c/server.c addReplyCommandInfo: `if (!cmd) addReplyNull(c)` — a null *bulk*
/// (`$-1`) in RESP2 and `_` in RESP3, not a null array (`*-1`).
#[test]
fn command_info_of_unknown_command_is_a_null_bulk() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["COMMAND", "INFO", "nosuchcommand"]);
    raw.expect(b"*1\r\n$-1\r\n");
}

#[test]
fn info_sections_and_fields() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v"], ok());
    let all = text(&cmd(&mut c, &["INFO"]));
    for header in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Keyspace",
    ] {
        assert!(
            all.contains(&format!("{header}\r\n")),
            "INFO lacks {header}:\n{all}"
        );
    }
    for field in [
        "redis_version",
        "redis_mode",
        "os",
        "arch_bits",
        "process_id",
        "tcp_port",
        "uptime_in_seconds",
        "uptime_in_days",
        "connected_clients",
        "maxclients",
        "blocked_clients",
        "used_memory",
        "used_memory_human",
        "used_memory_rss",
        "maxmemory",
        "maxmemory_policy",
        "loading",
        "rdb_changes_since_last_save",
        "rdb_last_save_time",
        "aof_enabled",
        "total_connections_received",
        "total_commands_processed",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "rejected_connections",
        "db0",
    ] {
        assert!(
            info_field(&all, field).is_some(),
            "INFO lacks field {field}:\n{all}"
        );
    }
    assert_eq!(info_field(&all, "tcp_port"), Some(addr.port().to_string()));
    assert_eq!(
        info_field(&all, "process_id"),
        Some(std::process::id().to_string())
    );
    assert!(info_field(&all, "redis_version").unwrap().starts_with('7'));
    assert!(
        info_field(&all, "db0")
            .unwrap()
            .starts_with("keys=1,expires="),
        "{all}"
    );

    // One section only, case-insensitive; several sections; an unknown one is empty.
    let server = text(&cmd(&mut c, &["INFO", "SERVER"]));
    assert!(
        server.starts_with("# Server\r\n") && !server.contains("# Clients"),
        "{server}"
    );
    let two = text(&cmd(&mut c, &["INFO", "clients", "stats"]));
    assert!(
        two.contains("# Clients\r\n") && two.contains("# Stats\r\n") && !two.contains("# Server"),
        "{two}"
    );
    check(&mut c, &["INFO", "nosuchsection"], bulk(""));
    let everything = text(&cmd(&mut c, &["INFO", "everything"]));
    assert!(everything.contains("# Server") && everything.contains("# Keyspace"));
    // An empty keyspace has the header and no db line.
    check(&mut c, &["FLUSHALL"], ok());
    let ks = text(&cmd(&mut c, &["INFO", "keyspace"]));
    assert_eq!(ks, "# Keyspace\r\n");
}

/// Redis 7 infoCommand ends with `addReplyVerbatim(c,info,sdslen(info),"txt")`: a RESP3 client
/// gets a verbatim string. Redis 7.0.15: `HELLO 3` then `INFO nosuchsection` -> `=4\r\ntxt:\r\n`.
#[test]
fn info_is_a_verbatim_string_in_resp3() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.roundtrip(b"INFO nosuchsection\r\n", b"$0\r\n\r\n"); // RESP2: a plain bulk
    raw.send(b"HELLO 3\r\nINFO nosuchsection\r\nPING\r\n");
    let got = raw.read_until(|b| b.ends_with(b"+PONG\r\n"));
    assert!(
        got.ends_with(b"*0\r\n=4\r\ntxt:\r\n+PONG\r\n"),
        "after the HELLO map, RESP3 INFO should be `=4\\r\\ntxt:\\r\\n`, got {:?}",
        String::from_utf8_lossy(&got)
    );
}

#[test]
fn dbsize_flushall_flushdb() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["DBSIZE"], int(0));
    check(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"], ok());
    check(&mut c, &["DBSIZE"], int(3));
    check(&mut c, &["FLUSHDB"], ok());
    check(&mut c, &["DBSIZE"], int(0));
    check(&mut c, &["GET", "a"], nil());
    check(&mut c, &["MSET", "a", "1", "b", "2"], ok());
    check(&mut c, &["FLUSHALL", "ASYNC"], ok());
    check(&mut c, &["DBSIZE"], int(0));
    check(&mut c, &["SET", "a", "1"], ok());
    check(&mut c, &["FLUSHALL", "sync"], ok());
    check(&mut c, &["KEYS", "*"], Reply::Array(Some(vec![])));
    check(&mut c, &["FLUSHDB", "async"], ok());
    check(&mut c, &["FLUSHALL", "x"], err("ERR syntax error"));
    check(&mut c, &["FLUSHDB", "SYNC", "x"], err("ERR syntax error"));
    // Writes after a flush land normally.
    check(&mut c, &["SET", "z", "1"], ok());
    check(&mut c, &["DBSIZE"], int(1));
}

#[test]
fn save_bgsave_bgrewriteaof() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["SAVE"], ok());
    check(&mut c, &["BGSAVE"], simple("Background saving started"));
    check(
        &mut c,
        &["BGSAVE", "SCHEDULE"],
        simple("Background saving started"),
    );
    check(&mut c, &["BGSAVE", "x"], err("ERR syntax error"));
    check(
        &mut c,
        &["BGREWRITEAOF"],
        simple("Background append only file rewriting started"),
    );
    check(&mut c, &["GET", "k"], bulk("v"));
}

#[test]
fn shutdown_closes_the_connection_and_stops_the_server() {
    let (server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SHUTDOWN", "bogus"], err("ERR syntax error"));
    check(
        &mut c,
        &["SHUTDOWN", "SAVE", "NOSAVE"],
        err("ERR syntax error"),
    );
    check(
        &mut c,
        &["SHUTDOWN", "ABORT", "NOW"],
        err("ERR syntax error"),
    );
    check(
        &mut c,
        &["SHUTDOWN", "abort"],
        err("ERR No shutdown in progress."),
    );
    let mut raw = Raw::connect(addr);
    raw.send(b"SHUTDOWN NOSAVE\r\n");
    // Redis sends nothing on a successful SHUTDOWN: the connection just closes.
    assert_eq!(raw.read_to_close(), b"");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        server.wait();
        let _ = tx.send(server.shutdown(Duration::from_secs(1)).is_ok());
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)),
        Ok(true),
        "server did not stop after SHUTDOWN"
    );
}

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

#[test]
fn get_set_binary_safe() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["GET", "nokey"], nil());
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["GET", "k"], bulk("v"));
    check(&mut c, &["SET", "k", ""], ok());
    check(&mut c, &["GET", "k"], bulk(""));
    let value = b"\x00\x01\r\n\xff binary \r\n";
    assert_eq!(cmd_b(&mut c, &[b"SET", b"bin\x00key", value]), ok());
    assert_eq!(cmd_b(&mut c, &[b"GET", b"bin\x00key"]), bulk_b(value));
    let big = vec![b'x'; 1 << 20];
    assert_eq!(cmd_b(&mut c, &[b"SET", b"big", &big]), ok());
    assert_eq!(cmd_b(&mut c, &[b"GET", b"big"]), bulk_b(&big));
    check(&mut c, &["STRLEN", "big"], int(1 << 20));
    // Command names are case-insensitive.
    check(&mut c, &["sEt", "k", "v2"], ok());
    check(&mut c, &["get", "k"], bulk("v2"));
}

#[test]
fn set_nx_xx_get_combinations() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v1", "NX"], ok());
    check(&mut c, &["SET", "k", "v2", "NX"], nil());
    check(&mut c, &["GET", "k"], bulk("v1"));
    check(&mut c, &["SET", "k", "v2", "XX"], ok());
    check(&mut c, &["SET", "nk", "v", "XX"], nil());
    check(&mut c, &["EXISTS", "nk"], int(0));
    // GET returns the old value; with NX/XX (Redis 7) the old value whether or not it wrote.
    check(&mut c, &["SET", "k", "v3", "NX", "GET"], bulk("v2"));
    check(&mut c, &["GET", "k"], bulk("v2"));
    check(&mut c, &["SET", "k", "v3", "XX", "GET"], bulk("v2"));
    check(&mut c, &["GET", "k"], bulk("v3"));
    check(&mut c, &["SET", "nk", "v", "XX", "GET"], nil());
    check(&mut c, &["EXISTS", "nk"], int(0));
    check(&mut c, &["SET", "nk", "v", "NX", "GET"], nil());
    check(&mut c, &["GET", "nk"], bulk("v"));
    check(&mut c, &["SET", "k", "v4", "GET"], bulk("v3"));
    check(&mut c, &["SET", "fresh", "v", "GET"], nil());
    check(&mut c, &["SET", "k", "v5", "get", "get"], bulk("v4"));
    // Options are case-insensitive.
    check(&mut c, &["SET", "k", "v6", "xx", "get"], bulk("v5"));
    check(
        &mut c,
        &["SET", "k", "v", "NX", "XX"],
        err("ERR syntax error"),
    );
    check(
        &mut c,
        &["SET", "k", "v", "XX", "NX"],
        err("ERR syntax error"),
    );
    check(&mut c, &["SET", "k", "v", "foo"], err("ERR syntax error"));
    check(&mut c, &["GET", "k"], bulk("v6"));
}

#[test]
fn set_expiry_options() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v", "EX", "100"], ok());
    check_range(&mut c, &["TTL", "k"], 99, 100);
    check(&mut c, &["SET", "k", "v", "PX", "100000"], ok());
    check_range(&mut c, &["PTTL", "k"], 99_000, 100_000);
    check(&mut c, &["SET", "k", "v", "EXAT", "99999999999"], ok());
    check(&mut c, &["EXPIRETIME", "k"], int(99_999_999_999));
    check(&mut c, &["SET", "k", "v", "PXAT", "99999999999000"], ok());
    check(&mut c, &["PEXPIRETIME", "k"], int(99_999_999_999_000));
    // KEEPTTL keeps it; a plain SET clears it.
    check(&mut c, &["SET", "k", "v2", "EX", "100"], ok());
    check(&mut c, &["SET", "k", "v3", "KEEPTTL"], ok());
    check_range(&mut c, &["TTL", "k"], 99, 100);
    check(
        &mut c,
        &["SET", "k", "v4", "XX", "KEEPTTL", "GET"],
        bulk("v3"),
    );
    check_range(&mut c, &["TTL", "k"], 99, 100);
    check(&mut c, &["SET", "k", "v5"], ok());
    check(&mut c, &["TTL", "k"], int(-1));
    check(&mut c, &["SET", "k", "v6", "GET", "EX", "50"], bulk("v5"));
    check_range(&mut c, &["TTL", "k"], 49, 50);
    check(&mut c, &["SET", "k", "v", "ex", "10", "nx"], nil());
    check(&mut c, &["SET", "k2", "v", "ex", "10", "nx"], ok());
    check_range(&mut c, &["TTL", "k2"], 9, 10);
    // An absolute time in the past: the key is written and gone at once.
    check(&mut c, &["SET", "past", "v", "EXAT", "1"], ok());
    check(&mut c, &["EXISTS", "past"], int(0));
    check(&mut c, &["SET", "past", "v", "PXAT", "1", "GET"], nil());
    check(&mut c, &["GET", "past"], nil());

    // Invalid expire times, per Redis' getExpireMillisecondsOrReply.
    for (opt, v) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("PX", "-5"),
        ("EXAT", "0"),
        ("PXAT", "0"),
        ("EX", "9223372036854775807"),
        ("PX", "9223372036854775807"),
        ("EXAT", "9223372036854775807"),
    ] {
        check(
            &mut c,
            &["SET", "k", "v", opt, v],
            err("ERR invalid expire time in 'set' command"),
        );
    }
    check(
        &mut c,
        &["SET", "k", "v", "EX", "abc"],
        err("ERR value is not an integer or out of range"),
    );
    check(
        &mut c,
        &["SET", "k", "v", "PX", "1.5"],
        err("ERR value is not an integer or out of range"),
    );
    // Syntax: two kinds of expiry, a missing amount.
    for opts in [
        &["EX", "10", "PX", "10"][..],
        &["EX", "10", "KEEPTTL"],
        &["KEEPTTL", "EX", "10"],
        &["PX", "10", "KEEPTTL"],
        &["EX", "10", "PXAT", "99999999999999"],
        &["EX"],
        &["PX"],
    ] {
        let mut argv = vec!["SET", "k", "v"];
        argv.extend_from_slice(opts);
        check(&mut c, &argv, err("ERR syntax error"));
    }
    // Nothing above changed k.
    check(&mut c, &["GET", "k"], bulk("v6"));
}

/// t_string.c parseExtendedStringArgumentsOrReply only refuses *conflicting* options: NX is
/// refused after XX (and vice versa), EX after PX/EXAT/PXAT/KEEPTTL, but repeating the same option
/// is accepted (the last amount wins). Redis 7.0.15: `SET k v NX NX` -> `$-1` when k exists,
/// `SET k v EX 10 EX 20` -> `+OK`, `SET k v KEEPTTL KEEPTTL` -> `+OK`.
#[test]
fn set_accepts_a_repeated_option() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v", "NX", "NX"], ok());
    check(&mut c, &["SET", "k", "v", "NX", "NX"], nil());
    check(&mut c, &["SET", "k", "v", "XX", "XX"], ok());
    check(&mut c, &["SET", "k", "v", "EX", "10", "EX", "20"], ok());
    check_range(&mut c, &["TTL", "k"], 19, 20);
    check(&mut c, &["SET", "k", "v", "PX", "10", "PX", "30000"], ok());
    check_range(&mut c, &["TTL", "k"], 29, 30);
    check(&mut c, &["SET", "k", "v", "KEEPTTL", "KEEPTTL"], ok());
    check_range(&mut c, &["TTL", "k"], 29, 30);
}

#[test]
fn setnx_setex_psetex() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SETNX", "k", "1"], int(1));
    check(&mut c, &["SETNX", "k", "2"], int(0));
    check(&mut c, &["GET", "k"], bulk("1"));
    check(&mut c, &["SETEX", "s", "100", "v"], ok());
    check_range(&mut c, &["TTL", "s"], 99, 100);
    check(&mut c, &["GET", "s"], bulk("v"));
    check(&mut c, &["PSETEX", "p", "100000", "v"], ok());
    check_range(&mut c, &["PTTL", "p"], 99_000, 100_000);
    for v in ["0", "-5", "9223372036854775807", "9223372036854776"] {
        check(
            &mut c,
            &["SETEX", "s", v, "v"],
            err("ERR invalid expire time in 'setex' command"),
        );
    }
    check(
        &mut c,
        &["PSETEX", "s", "0", "v"],
        err("ERR invalid expire time in 'psetex' command"),
    );
    check(
        &mut c,
        &["PSETEX", "s", "-1", "v"],
        err("ERR invalid expire time in 'psetex' command"),
    );
    check(
        &mut c,
        &["SETEX", "s", "x", "v"],
        err("ERR value is not an integer or out of range"),
    );
    check(
        &mut c,
        &["PSETEX", "s", "1.0", "v"],
        err("ERR value is not an integer or out of range"),
    );
    // SETEX on an existing key with a TTL replaces value and TTL.
    check(&mut c, &["SETEX", "s", "7", "w"], ok());
    check_range(&mut c, &["TTL", "s"], 6, 7);
    check(&mut c, &["GET", "s"], bulk("w"));
}

#[test]
fn getset_getdel() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["GETSET", "k", "v1"], nil());
    check(&mut c, &["GETSET", "k", "v2"], bulk("v1"));
    check(&mut c, &["GET", "k"], bulk("v2"));
    // GETSET discards the TTL, like SET.
    check(&mut c, &["EXPIRE", "k", "100"], int(1));
    check(&mut c, &["GETSET", "k", "v3"], bulk("v2"));
    check(&mut c, &["TTL", "k"], int(-1));
    check(&mut c, &["GETDEL", "k"], bulk("v3"));
    check(&mut c, &["GETDEL", "k"], nil());
    check(&mut c, &["EXISTS", "k"], int(0));
}

#[test]
fn getex_options() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["GETEX", "nokey"], nil());
    check(&mut c, &["GETEX", "nokey", "EX", "10"], nil());
    check(&mut c, &["EXISTS", "nokey"], int(0));
    check(&mut c, &["SET", "g", "v"], ok());
    check(&mut c, &["GETEX", "g"], bulk("v"));
    check(&mut c, &["TTL", "g"], int(-1));
    check(&mut c, &["GETEX", "g", "EX", "100"], bulk("v"));
    check_range(&mut c, &["TTL", "g"], 99, 100);
    check(&mut c, &["GETEX", "g"], bulk("v"));
    check_range(&mut c, &["TTL", "g"], 99, 100);
    check(&mut c, &["GETEX", "g", "PERSIST"], bulk("v"));
    check(&mut c, &["TTL", "g"], int(-1));
    check(&mut c, &["GETEX", "g", "PX", "5000"], bulk("v"));
    check_range(&mut c, &["PTTL", "g"], 4000, 5000);
    check(&mut c, &["GETEX", "g", "EXAT", "99999999999"], bulk("v"));
    check(&mut c, &["EXPIRETIME", "g"], int(99_999_999_999));
    check(&mut c, &["GETEX", "g", "PXAT", "99999999999123"], bulk("v"));
    check(&mut c, &["PEXPIRETIME", "g"], int(99_999_999_999_123));
    check(&mut c, &["GETEX", "g", "persist"], bulk("v"));
    check(&mut c, &["TTL", "g"], int(-1));
    // Errors on an existing key.
    for (opt, v) in [
        ("EX", "0"),
        ("PX", "-1"),
        ("EXAT", "-1"),
        ("PXAT", "0"),
        ("EX", "9223372036854775807"),
    ] {
        check(
            &mut c,
            &["GETEX", "g", opt, v],
            err("ERR invalid expire time in 'getex' command"),
        );
    }
    check(
        &mut c,
        &["GETEX", "g", "EX", "abc"],
        err("ERR value is not an integer or out of range"),
    );
    for opts in [
        &["EX"][..],
        &["PERSIST", "EX", "10"],
        &["EX", "10", "PX", "20"],
        &["foo"],
        &["NX"],
        &["KEEPTTL"],
    ] {
        let mut argv = vec!["GETEX", "g"];
        argv.extend_from_slice(opts);
        check(&mut c, &argv, err("ERR syntax error"));
    }
    check(&mut c, &["GETEX", "nokey", "foo"], err("ERR syntax error"));
    // A past absolute time deletes the key after returning it.
    check(&mut c, &["GETEX", "g", "PXAT", "1"], bulk("v"));
    check(&mut c, &["EXISTS", "g"], int(0));
}

/// t_string.c getexCommand: options are parsed, then `if ((o = lookupKeyRead(...)) == NULL)
/// { addReplyNull(c); return; }`, and only then the amount is validated
/// (getExpireMillisecondsOrReply). A missing key answers `$-1` whatever the amount; a repeated
/// PERSIST or EX is accepted like SET's repeated options. Redis 7.0.15 replies `$-1` to all of these.
#[test]
fn getex_on_missing_key_checks_options_only() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["GETEX", "nokey", "EX", "0"], nil());
    check(&mut c, &["GETEX", "nokey", "EX", "abc"], nil());
    check(&mut c, &["GETEX", "nokey", "PERSIST", "PERSIST"], nil());
    check(&mut c, &["GETEX", "nokey", "EX", "10", "EX", "20"], nil());
}

#[test]
fn mget_mset_msetnx() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["MSET", "a", "1", "b", "2"], ok());
    assert_eq!(
        cmd(&mut c, &["MGET", "a", "nokey", "b", "a"]),
        Reply::Array(Some(vec![bulk("1"), nil(), bulk("2"), bulk("1")]))
    );
    // Later pairs win over earlier ones for the same key.
    check(&mut c, &["MSET", "a", "x", "a", "y"], ok());
    check(&mut c, &["GET", "a"], bulk("y"));
    // MSET clears TTLs like SET.
    check(&mut c, &["EXPIRE", "a", "100"], int(1));
    check(&mut c, &["MSET", "a", "z"], ok());
    check(&mut c, &["TTL", "a"], int(-1));
    // Odd arity: the arity error, and nothing written.
    check(
        &mut c,
        &["MSET", "c", "1", "d"],
        err("ERR wrong number of arguments for 'mset' command"),
    );
    check(
        &mut c,
        &["MSET", "c"],
        err("ERR wrong number of arguments for 'mset' command"),
    );
    check(
        &mut c,
        &["MSETNX", "c", "1", "d"],
        err("ERR wrong number of arguments for 'msetnx' command"),
    );
    check(&mut c, &["EXISTS", "c", "d"], int(0));
    // MSETNX: all or nothing.
    check(&mut c, &["MSETNX", "x", "1", "y", "2"], int(1));
    check(&mut c, &["MSETNX", "x", "9", "z", "9"], int(0));
    check(&mut c, &["EXISTS", "z"], int(0));
    check(&mut c, &["GET", "x"], bulk("1"));
}

#[test]
fn mset_is_atomic_for_concurrent_readers() {
    let (_server, addr, _dir) = start();
    let mut w = connect(addr);
    check(&mut w, &["MSET", "a", "0", "b", "0", "c", "0"], ok());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut r = connect(addr);
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || reads < 10 {
                let v = items(cmd(&mut r, &["MGET", "a", "b", "c"]));
                assert!(
                    v[0] == v[1] && v[1] == v[2],
                    "MGET a b c saw a state no MSET a i b i c i produced: {v:?}"
                );
                reads += 1;
            }
            reads
        })
    };
    for i in 1..=300 {
        let s = i.to_string();
        check(&mut w, &["MSET", "a", &s, "b", &s, "c", &s], ok());
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.join().expect("reader");
    assert!(reads >= 10);
}

#[test]
fn incr_decr_family() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["INCR", "n"], int(1));
    check(&mut c, &["INCRBY", "n", "10"], int(11));
    check(&mut c, &["DECR", "n"], int(10));
    check(&mut c, &["DECRBY", "n", "20"], int(-10));
    check(&mut c, &["INCRBY", "n", "-5"], int(-15));
    check(&mut c, &["GET", "n"], bulk("-15"));
    check(&mut c, &["DECR", "fresh"], int(-1));
    // Overflow.
    check(&mut c, &["SET", "max", "9223372036854775807"], ok());
    check(
        &mut c,
        &["INCR", "max"],
        err("ERR increment or decrement would overflow"),
    );
    check(
        &mut c,
        &["INCRBY", "max", "1"],
        err("ERR increment or decrement would overflow"),
    );
    check(
        &mut c,
        &["INCRBY", "max", "-1"],
        int(9_223_372_036_854_775_806),
    );
    check(&mut c, &["SET", "min", "-9223372036854775808"], ok());
    check(
        &mut c,
        &["DECR", "min"],
        err("ERR increment or decrement would overflow"),
    );
    check(
        &mut c,
        &["DECRBY", "min", "1"],
        err("ERR increment or decrement would overflow"),
    );
    check(&mut c, &["GET", "min"], bulk("-9223372036854775808"));
    check(
        &mut c,
        &["DECRBY", "x", "-9223372036854775808"],
        err("ERR decrement would overflow"),
    );
    // Not an integer: the argument or the stored value.
    for bad in [
        "abc",
        "1.5",
        " 1",
        "1 ",
        "+1",
        "01",
        "",
        "9223372036854775808",
    ] {
        check(
            &mut c,
            &["INCRBY", "n", bad],
            err("ERR value is not an integer or out of range"),
        );
    }
    for stored in ["abc", " 1", "1.0", "", "01", "9223372036854775808"] {
        check(&mut c, &["SET", "s", stored], ok());
        check(
            &mut c,
            &["INCR", "s"],
            err("ERR value is not an integer or out of range"),
        );
        check(&mut c, &["GET", "s"], bulk(stored));
    }
    // INCR keeps the TTL.
    check(&mut c, &["SET", "t", "5", "EX", "100"], ok());
    check(&mut c, &["INCR", "t"], int(6));
    check_range(&mut c, &["TTL", "t"], 99, 100);
}

#[test]
fn incrbyfloat_formatting_and_errors() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "f", "10.5"], ok());
    check(&mut c, &["INCRBYFLOAT", "f", "0.1"], bulk("10.6"));
    check(&mut c, &["GET", "f"], bulk("10.6"));
    check(&mut c, &["INCRBYFLOAT", "f", "-5"], bulk("5.6"));
    check(&mut c, &["INCRBYFLOAT", "h", "3.0"], bulk("3"));
    check(&mut c, &["INCRBYFLOAT", "g", "1e3"], bulk("1000"));
    check(&mut c, &["INCRBYFLOAT", "g", "5.0e3"], bulk("6000"));
    check(&mut c, &["INCRBYFLOAT", "s", "0.1"], bulk("0.1"));
    check(&mut c, &["INCRBYFLOAT", "s", "0.2"], bulk("0.3"));
    check(&mut c, &["INCRBYFLOAT", "m", "1.1"], bulk("1.1"));
    check(&mut c, &["INCRBYFLOAT", "m", "2.2"], bulk("3.3"));
    check(&mut c, &["INCRBYFLOAT", "z", "-0"], bulk("0"));
    check(&mut c, &["INCRBYFLOAT", "neg", "-1.5"], bulk("-1.5"));
    check(&mut c, &["INCRBYFLOAT", "small", "1e-5"], bulk("0.00001"));
    check(
        &mut c,
        &["INCRBYFLOAT", "large", "1.5e15"],
        bulk("1500000000000000"),
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "huge", "1e20"],
        bulk("100000000000000000000"),
    );
    check(&mut c, &["SET", "i", "5"], ok());
    check(&mut c, &["INCRBYFLOAT", "i", "1"], bulk("6"));
    // Redis adds in x87 long double and prints "%.17Lf": the binary noise shows.
    for _ in 0..6 {
        cmd(&mut c, &["INCRBYFLOAT", "price", "19.99"]);
    }
    check(
        &mut c,
        &["INCRBYFLOAT", "price", "19.99"],
        bulk("139.93000000000000001"),
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "r", "1234.5678"],
        bulk("1234.56779999999999997"),
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "r", "-1e-20"],
        bulk("1234.56779999999999997"),
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "big", "123456789012345678901234567890"],
        bulk("123456789012345678899921813504"),
    );
    // DBL_MAX is far from the long double limit (~1.19e4932): printed in full, 309 digits.
    let dbl_max = "17976931348623156999592104677410443404838644694432917848531442076517662852312439\
        63547018686083870855644287934194255206893087083634511360553578972780264776170734\
        98977686288394835618163294045594434929537447290627480669417384648879122776218333\
        598953852832103282504751611691208117720159985926376802466863339536384";
    check(
        &mut c,
        &["INCRBYFLOAT", "u", "1.7976931348623157e308"],
        bulk(dbl_max),
    );
    check(&mut c, &["GET", "u"], bulk(dbl_max));
    // strtold's syntax: signs, bare points, hex floats.
    check(&mut c, &["INCRBYFLOAT", "p", "+1"], bulk("1"));
    check(&mut c, &["INCRBYFLOAT", "p", ".5"], bulk("1.5"));
    check(&mut c, &["INCRBYFLOAT", "p", "5."], bulk("6.5"));
    check(&mut c, &["INCRBYFLOAT", "p", "0x10"], bulk("22.5"));
    check(&mut c, &["INCRBYFLOAT", "p", "0x1p-2"], bulk("22.75"));
    // "%.17Lf" ties round to even: 2^-18 and 3 * 2^-18 have 18 decimals.
    check(
        &mut c,
        &["INCRBYFLOAT", "tie", "0.000003814697265625"],
        bulk("0.00000381469726562"),
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "tie3", "0.000011444091796875"],
        bulk("0.00001144409179688"),
    );
    // Errors.
    for bad in [
        "abc", "nan", "-nan", "", " 1", "1 ", "1e", "0x", "1e5000", "1e-5000",
    ] {
        check(
            &mut c,
            &["INCRBYFLOAT", "f", bad],
            err("ERR value is not a valid float"),
        );
    }
    for inf in ["inf", "-inf"] {
        check(
            &mut c,
            &["INCRBYFLOAT", "f", inf],
            err("ERR increment would produce NaN or Infinity"),
        );
    }
    // The largest long double, then past it.
    let max = cmd(
        &mut c,
        &["INCRBYFLOAT", "max", "1.18973149535723176502e4932"],
    );
    assert!(
        matches!(&max, Reply::Bulk(Some(b)) if b.len() == 4933 && b.starts_with(b"11897314953572317650212638")),
        "{max:?}"
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "max", "1e4913"],
        err("ERR increment would produce NaN or Infinity"),
    );
    check(&mut c, &["SET", "infv", "inf"], ok());
    check(
        &mut c,
        &["INCRBYFLOAT", "infv", "1"],
        err("ERR increment would produce NaN or Infinity"),
    );
    check(&mut c, &["SET", "str", "abc"], ok());
    check(
        &mut c,
        &["INCRBYFLOAT", "str", "1"],
        err("ERR value is not a valid float"),
    );
    check(&mut c, &["SET", "empty", ""], ok());
    check(
        &mut c,
        &["INCRBYFLOAT", "empty", "1"],
        err("ERR value is not a valid float"),
    );
    check(&mut c, &["GET", "f"], bulk("5.6"));
    // Keeps the TTL.
    check(&mut c, &["SET", "t", "1.5", "EX", "100"], ok());
    check(&mut c, &["INCRBYFLOAT", "t", "1"], bulk("2.5"));
    check_range(&mut c, &["TTL", "t"], 99, 100);
}

/// Redis formats INCRBYFLOAT results with util.c ld2string(..., LD_STR_HUMAN): `%.17Lf` on a
/// long double, then trailing zeros trimmed. Values exactly representable in an f64 come back
/// unchanged, and tiny values round to "0". Redis 7.0.15:
/// `INCRBYFLOAT p 9007199254740992` -> `$16\r\n9007199254740992\r\n`,
/// `INCRBYFLOAT q 0.1234567890123456` -> `$18\r\n0.1234567890123456\r\n`,
/// `INCRBYFLOAT r 1e-20` -> `$1\r\n0\r\n`.
#[test]
fn incrbyfloat_keeps_17_significant_digits() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["INCRBYFLOAT", "p", "9007199254740992"],
        bulk("9007199254740992"),
    );
    check(
        &mut c,
        &["INCRBYFLOAT", "q", "0.1234567890123456"],
        bulk("0.1234567890123456"),
    );
    check(&mut c, &["INCRBYFLOAT", "r", "1e-20"], bulk("0"));
}

#[test]
fn append_strlen() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["APPEND", "a", "hello"], int(5));
    check(&mut c, &["APPEND", "a", " world"], int(11));
    check(&mut c, &["GET", "a"], bulk("hello world"));
    check(&mut c, &["APPEND", "a", ""], int(11));
    check(&mut c, &["STRLEN", "a"], int(11));
    check(&mut c, &["STRLEN", "nokey"], int(0));
    check(&mut c, &["APPEND", "e", ""], int(0));
    check(&mut c, &["EXISTS", "e"], int(1));
    check(&mut c, &["GET", "e"], bulk(""));
    // APPEND keeps the TTL.
    check(&mut c, &["SET", "t", "x", "EX", "100"], ok());
    check(&mut c, &["APPEND", "t", "y"], int(2));
    check_range(&mut c, &["TTL", "t"], 99, 100);
    // A numeric value appends as text.
    check(&mut c, &["SET", "n", "12"], ok());
    check(&mut c, &["APPEND", "n", "3"], int(3));
    check(&mut c, &["INCR", "n"], int(124));
}

#[test]
fn getrange_substr_indexes() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "s", "This is a string"], ok());
    check(&mut c, &["GETRANGE", "s", "0", "3"], bulk("This"));
    check(&mut c, &["GETRANGE", "s", "-3", "-1"], bulk("ing"));
    check(
        &mut c,
        &["GETRANGE", "s", "0", "-1"],
        bulk("This is a string"),
    );
    check(&mut c, &["GETRANGE", "s", "10", "100"], bulk("string"));
    check(&mut c, &["GETRANGE", "s", "-100", "3"], bulk("This"));
    check(&mut c, &["GETRANGE", "s", "-100", "-100"], bulk("T"));
    check(&mut c, &["GETRANGE", "s", "5", "3"], bulk(""));
    check(&mut c, &["GETRANGE", "s", "-1", "-5"], bulk(""));
    check(&mut c, &["GETRANGE", "s", "100", "200"], bulk(""));
    check(&mut c, &["GETRANGE", "s", "15", "15"], bulk("g"));
    check(&mut c, &["GETRANGE", "nokey", "0", "-1"], bulk(""));
    check(&mut c, &["SET", "e", ""], ok());
    check(&mut c, &["GETRANGE", "e", "0", "-1"], bulk(""));
    check(&mut c, &["SUBSTR", "s", "0", "2"], bulk("Thi"));
    check(
        &mut c,
        &["GETRANGE", "s", "x", "1"],
        err("ERR value is not an integer or out of range"),
    );
    check(
        &mut c,
        &["GETRANGE", "s", "0", "1.5"],
        err("ERR value is not an integer or out of range"),
    );
}

#[test]
fn setrange_padding_and_limits() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SETRANGE", "sr", "5", "hi"], int(7));
    check(&mut c, &["GET", "sr"], bulk_b(b"\x00\x00\x00\x00\x00hi"));
    check(&mut c, &["SET", "k", "Hello World"], ok());
    check(&mut c, &["SETRANGE", "k", "6", "Redis"], int(11));
    check(&mut c, &["GET", "k"], bulk("Hello Redis"));
    check(&mut c, &["SETRANGE", "k", "11", "!"], int(12));
    check(&mut c, &["SETRANGE", "k", "14", "?"], int(15));
    check(&mut c, &["GET", "k"], bulk_b(b"Hello Redis!\x00\x00?"));
    // An empty value changes nothing and creates nothing.
    check(&mut c, &["SETRANGE", "none", "10", ""], int(0));
    check(&mut c, &["EXISTS", "none"], int(0));
    check(&mut c, &["SETRANGE", "k", "100", ""], int(15));
    check(&mut c, &["STRLEN", "k"], int(15));
    // Limits: a negative offset, and a result over 512 MiB (proto-max-bulk-len).
    check(
        &mut c,
        &["SETRANGE", "k", "-1", "x"],
        err("ERR offset is out of range"),
    );
    check(
        &mut c,
        &["SETRANGE", "k", "536870912", "x"],
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
    );
    check(
        &mut c,
        &["SETRANGE", "k", "536870911", "xy"],
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
    );
    check(
        &mut c,
        &["SETRANGE", "new", "536870912", "x"],
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
    );
    check(&mut c, &["EXISTS", "new"], int(0));
    check(
        &mut c,
        &["SETRANGE", "k", "x", "y"],
        err("ERR value is not an integer or out of range"),
    );
    check(&mut c, &["STRLEN", "k"], int(15));
    // SETRANGE keeps the TTL.
    check(&mut c, &["SET", "t", "abc", "EX", "100"], ok());
    check(&mut c, &["SETRANGE", "t", "1", "X"], int(3));
    check(&mut c, &["GET", "t"], bulk("aXc"));
    check_range(&mut c, &["TTL", "t"], 99, 100);
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

#[test]
fn del_unlink_exists_type() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"], ok());
    check(&mut c, &["EXISTS", "a"], int(1));
    check(&mut c, &["EXISTS", "a", "a", "nokey", "b"], int(3));
    check(&mut c, &["EXISTS", "nokey"], int(0));
    check(&mut c, &["TYPE", "a"], simple("string"));
    check(&mut c, &["TYPE", "nokey"], simple("none"));
    // DEL counts each existing key once, even if named twice.
    check(&mut c, &["DEL", "a", "a", "nokey"], int(1));
    check(&mut c, &["DEL", "a"], int(0));
    check(&mut c, &["UNLINK", "b", "c", "nokey"], int(2));
    check(&mut c, &["DBSIZE"], int(0));
    check(&mut c, &["TYPE", "a"], simple("none"));
}

#[test]
fn ttl_pttl_expiretime() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    for cmd_name in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        check(&mut c, &[cmd_name, "nokey"], int(-2));
    }
    check(&mut c, &["SET", "k", "v"], ok());
    for cmd_name in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        check(&mut c, &[cmd_name, "k"], int(-1));
    }
    check(&mut c, &["PEXPIRE", "k", "100500"], int(1));
    check_range(&mut c, &["TTL", "k"], 100, 101); // rounded to the nearest second
    check_range(&mut c, &["PTTL", "k"], 99_000, 100_500);
    let at = int_of(&cmd(&mut c, &["PEXPIRETIME", "k"]));
    assert!(
        (at - (now_ms() + 100_500)).abs() < 2_000,
        "PEXPIRETIME {at}"
    );
    check(&mut c, &["EXPIRETIME", "k"], int(at / 1000));
}

#[test]
fn expire_family_and_persist() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["EXPIRE", "nokey", "10"], int(0));
    check(&mut c, &["PERSIST", "nokey"], int(0));
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["PERSIST", "k"], int(0));
    check(&mut c, &["EXPIRE", "k", "100"], int(1));
    check_range(&mut c, &["TTL", "k"], 99, 100);
    check(&mut c, &["PEXPIRE", "k", "200000"], int(1));
    check_range(&mut c, &["TTL", "k"], 199, 200);
    let at = now_secs() + 300;
    check(&mut c, &["EXPIREAT", "k", &at.to_string()], int(1));
    check(&mut c, &["EXPIRETIME", "k"], int(at));
    let at_ms = now_ms() + 400_000;
    check(&mut c, &["PEXPIREAT", "k", &at_ms.to_string()], int(1));
    check(&mut c, &["PEXPIRETIME", "k"], int(at_ms));
    check(&mut c, &["PERSIST", "k"], int(1));
    check(&mut c, &["TTL", "k"], int(-1));
    check(&mut c, &["GET", "k"], bulk("v"));
    // EXPIRE keeps the value.
    check(&mut c, &["EXPIRE", "k", "100"], int(1));
    check(&mut c, &["GET", "k"], bulk("v"));
    // Zero, negative or past times delete the key.
    check(&mut c, &["EXPIRE", "k", "-1"], int(1));
    check(&mut c, &["EXISTS", "k"], int(0));
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["EXPIRE", "k", "0"], int(1));
    check(&mut c, &["EXISTS", "k"], int(0));
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["PEXPIREAT", "k", "1"], int(1));
    check(&mut c, &["EXISTS", "k"], int(0));
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["EXPIREAT", "k", "0"], int(1));
    check(&mut c, &["GET", "k"], nil());
}

#[test]
fn expire_nx_xx_gt_lt() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "b", "v"], ok());
    // No TTL yet: XX and GT refuse (no TTL counts as infinite), NX and LT accept.
    check(&mut c, &["EXPIRE", "b", "100", "XX"], int(0));
    check(&mut c, &["EXPIRE", "b", "100", "GT"], int(0));
    check(&mut c, &["TTL", "b"], int(-1));
    check(&mut c, &["EXPIRE", "b", "100", "LT"], int(1));
    check_range(&mut c, &["TTL", "b"], 99, 100);
    check(&mut c, &["EXPIRE", "b", "200", "NX"], int(0));
    check(&mut c, &["EXPIRE", "b", "50", "GT"], int(0));
    check(&mut c, &["EXPIRE", "b", "200", "GT"], int(1));
    check_range(&mut c, &["TTL", "b"], 199, 200);
    check(&mut c, &["EXPIRE", "b", "300", "LT"], int(0));
    check(&mut c, &["EXPIRE", "b", "50", "LT"], int(1));
    check(&mut c, &["EXPIRE", "b", "60", "XX"], int(1));
    check_range(&mut c, &["TTL", "b"], 59, 60);
    check(&mut c, &["EXPIRE", "b", "40", "XX", "LT"], int(1));
    check(&mut c, &["EXPIRE", "b", "400", "xx", "gt"], int(1));
    check_range(&mut c, &["TTL", "b"], 399, 400);
    check(&mut c, &["PEXPIRE", "b", "1000", "GT"], int(0));
    // XX + LT on a key without a TTL: XX refuses.
    check(&mut c, &["SET", "e", "v"], ok());
    check(&mut c, &["EXPIRE", "e", "100", "XX", "LT"], int(0));
    check(&mut c, &["TTL", "e"], int(-1));
    check(&mut c, &["EXPIRE", "e", "100", "NX"], int(1));
    // GT with a time in the past on a key without TTL: refused, the key stays.
    check(&mut c, &["SET", "p", "v"], ok());
    check(&mut c, &["EXPIRE", "p", "0", "GT"], int(0));
    check(&mut c, &["EXISTS", "p"], int(1));
    check(&mut c, &["EXPIRE", "p", "0", "LT"], int(1));
    check(&mut c, &["EXISTS", "p"], int(0));
    // Errors.
    check(
        &mut c,
        &["EXPIRE", "e", "10", "foo"],
        err("ERR Unsupported option foo"),
    );
    for pair in [["NX", "XX"], ["NX", "GT"], ["NX", "LT"], ["nx", "xx"]] {
        check(
            &mut c,
            &["EXPIRE", "e", "10", pair[0], pair[1]],
            err("ERR NX and XX, GT or LT options at the same time are not compatible"),
        );
    }
    check(
        &mut c,
        &["EXPIRE", "e", "10", "GT", "LT"],
        err("ERR GT and LT options at the same time are not compatible"),
    );
    check(
        &mut c,
        &["EXPIRE", "e", "x"],
        err("ERR value is not an integer or out of range"),
    );
    check(
        &mut c,
        &["PEXPIRE", "e", "1.5"],
        err("ERR value is not an integer or out of range"),
    );
    check(
        &mut c,
        &["EXPIRE", "e", "9223372036854775807"],
        err("ERR invalid expire time in 'expire' command"),
    );
    check(
        &mut c,
        &["EXPIRE", "e", "-9223372036854775808"],
        err("ERR invalid expire time in 'expire' command"),
    );
    check(
        &mut c,
        &["PEXPIRE", "e", "9223372036854775807"],
        err("ERR invalid expire time in 'pexpire' command"),
    );
    check(
        &mut c,
        &["EXPIREAT", "e", "9223372036854775807"],
        err("ERR invalid expire time in 'expireat' command"),
    );
    // Overflow is checked before the key is looked up.
    check(
        &mut c,
        &["EXPIRE", "nokey", "9223372036854775807"],
        err("ERR invalid expire time in 'expire' command"),
    );
    check_range(&mut c, &["TTL", "e"], 99, 100);
}

#[test]
fn keys_patterns() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["KEYS", "*"], Reply::Array(Some(vec![])));
    check(
        &mut c,
        &[
            "MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "a*b",
            "1", "aXb", "1", "Hello", "1",
        ],
        ok(),
    );
    let keys = |c: &mut Client, p: &str| sorted_strings(cmd(c, &["KEYS", p]));
    assert_eq!(
        keys(&mut c, "*"),
        [
            "Hello", "a*b", "aXb", "hallo", "heeeello", "hello", "hllo", "hxllo"
        ]
    );
    assert_eq!(keys(&mut c, "h?llo"), ["hallo", "hello", "hxllo"]);
    assert_eq!(
        keys(&mut c, "h*llo"),
        ["hallo", "heeeello", "hello", "hllo", "hxllo"]
    );
    assert_eq!(keys(&mut c, "h[ae]llo"), ["hallo", "hello"]);
    assert_eq!(keys(&mut c, "h[^e]llo"), ["hallo", "hxllo"]);
    assert_eq!(keys(&mut c, "h[a-b]llo"), ["hallo"]);
    assert_eq!(keys(&mut c, "a\\*b"), ["a*b"]);
    assert_eq!(keys(&mut c, "a*b"), ["a*b", "aXb"]);
    assert_eq!(keys(&mut c, "hello"), ["hello"]);
    assert_eq!(keys(&mut c, "H*"), ["Hello"]); // case-sensitive
    assert!(keys(&mut c, "nomatch*").is_empty());
}

#[test]
fn scan_returns_every_key_until_cursor_0() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut expected = BTreeSet::new();
    let mut argv: Vec<String> = vec!["MSET".into()];
    for i in 0..500 {
        argv.push(format!("key:{i}"));
        argv.push(i.to_string());
        expected.insert(format!("key:{i}"));
    }
    for i in 0..60 {
        argv.push(format!("other:{i}"));
        argv.push(i.to_string());
        expected.insert(format!("other:{i}"));
    }
    let argv_ref: Vec<&str> = argv.iter().map(String::as_str).collect();
    check(&mut c, &argv_ref, ok());

    let scan_all = |c: &mut Client, extra: &[&str]| -> (BTreeSet<String>, usize) {
        let mut seen = BTreeSet::new();
        let mut cursor = "0".to_string();
        let mut calls = 0;
        loop {
            let mut a = vec!["SCAN", cursor.as_str()];
            a.extend_from_slice(extra);
            let r = items(cmd(c, &a));
            assert_eq!(r.len(), 2, "{r:?}");
            let next = text(&r[0]);
            for k in items(r[1].clone()) {
                seen.insert(text(&k));
            }
            calls += 1;
            assert!(calls < 10_000, "SCAN never returned cursor 0");
            if next == "0" {
                return (seen, calls);
            }
            cursor = next;
        }
    };
    let (all, calls) = scan_all(&mut c, &[]);
    assert_eq!(all, expected);
    assert!(
        calls > 1,
        "560 keys with the default COUNT 10 should take several calls"
    );
    let (all, _) = scan_all(&mut c, &["COUNT", "17"]);
    assert_eq!(all, expected);
    let (all, calls) = scan_all(&mut c, &["COUNT", "1000"]);
    assert_eq!(all, expected);
    assert!(calls <= 3, "COUNT 1000 over 560 keys took {calls} calls");
    let (matched, _) = scan_all(&mut c, &["MATCH", "other:*", "COUNT", "50"]);
    assert_eq!(
        matched,
        expected
            .iter()
            .filter(|k| k.starts_with("other:"))
            .cloned()
            .collect()
    );
    let (typed, _) = scan_all(&mut c, &["TYPE", "string"]);
    assert_eq!(typed, expected);
    let (none, _) = scan_all(&mut c, &["TYPE", "list", "COUNT", "100"]);
    assert!(none.is_empty());
    let (both, _) = scan_all(
        &mut c,
        &["match", "key:1?", "count", "30", "type", "STRING"],
    );
    assert_eq!(both, (10..20).map(|i| format!("key:{i}")).collect());

    // Errors.
    check(&mut c, &["SCAN", "x"], err("ERR invalid cursor"));
    check(
        &mut c,
        &["SCAN", "18446744073709551616"],
        err("ERR invalid cursor"),
    );
    check(
        &mut c,
        &["SCAN", "0", "COUNT", "0"],
        err("ERR syntax error"),
    );
    check(
        &mut c,
        &["SCAN", "0", "COUNT", "x"],
        err("ERR value is not an integer or out of range"),
    );
    check(&mut c, &["SCAN", "0", "MATCH"], err("ERR syntax error"));
    check(
        &mut c,
        &["SCAN", "0", "foo", "bar"],
        err("ERR syntax error"),
    );
    // An empty database answers cursor 0 at once.
    check(&mut c, &["FLUSHALL"], ok());
    assert_eq!(
        cmd(&mut c, &["SCAN", "0"]),
        Reply::Array(Some(vec![bulk("0"), Reply::Array(Some(vec![]))]))
    );
}

#[test]
fn rename_renamenx() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["RENAME", "nokey", "x"], err("ERR no such key"));
    check(&mut c, &["RENAMENX", "nokey", "x"], err("ERR no such key"));
    check(&mut c, &["SET", "a", "1"], ok());
    check(&mut c, &["RENAME", "a", "a"], ok());
    check(&mut c, &["RENAMENX", "a", "a"], int(0));
    check(&mut c, &["GET", "a"], bulk("1"));
    check(&mut c, &["SET", "b", "2"], ok());
    check(&mut c, &["RENAMENX", "a", "b"], int(0));
    check(&mut c, &["GET", "b"], bulk("2"));
    check(&mut c, &["RENAME", "a", "b"], ok());
    check(&mut c, &["GET", "b"], bulk("1"));
    check(&mut c, &["EXISTS", "a"], int(0));
    check(&mut c, &["RENAMENX", "b", "c"], int(1));
    check(&mut c, &["GET", "c"], bulk("1"));
    check(&mut c, &["EXISTS", "b"], int(0));
    // The TTL moves with the value; the target's own TTL goes.
    check(&mut c, &["SET", "t", "v", "EX", "100"], ok());
    check(&mut c, &["RENAME", "t", "t2"], ok());
    check_range(&mut c, &["TTL", "t2"], 99, 100);
    check(&mut c, &["SET", "d", "v", "EX", "100"], ok());
    check(&mut c, &["SET", "e", "w"], ok());
    check(&mut c, &["RENAME", "e", "d"], ok());
    check(&mut c, &["TTL", "d"], int(-1));
    check(&mut c, &["GET", "d"], bulk("w"));
    check(&mut c, &["DBSIZE"], int(3));
}

#[test]
fn randomkey() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["RANDOMKEY"], nil());
    check(&mut c, &["MSET", "a", "1", "b", "2", "c", "3"], ok());
    let mut seen = BTreeSet::new();
    for _ in 0..50 {
        let k = text(&cmd(&mut c, &["RANDOMKEY"]));
        assert!(["a", "b", "c"].contains(&k.as_str()), "{k}");
        seen.insert(k);
    }
    assert!(!seen.is_empty());
    check(&mut c, &["DEL", "a", "b", "c"], int(3));
    check(&mut c, &["RANDOMKEY"], nil());
}

/// A key past its expiry is gone for every command, before any background reclaiming.
#[test]
fn expired_keys_are_invisible_to_every_command() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let names: Vec<String> = (0..16).map(|i| format!("e{i}")).collect();
    for n in &names {
        check(&mut c, &["SET", n, "12", "PX", "50"], ok());
    }
    check(&mut c, &["SET", "live", "x"], ok());
    std::thread::sleep(Duration::from_millis(100));
    let e = |i: usize| names[i].as_str();

    check(&mut c, &["GET", e(0)], nil());
    check(
        &mut c,
        &["MGET", e(0), "live"],
        Reply::Array(Some(vec![nil(), bulk("x")])),
    );
    check(&mut c, &["EXISTS", e(0), e(1), "live"], int(1));
    check(&mut c, &["TYPE", e(0)], simple("none"));
    check(&mut c, &["TTL", e(0)], int(-2));
    check(&mut c, &["PTTL", e(0)], int(-2));
    check(&mut c, &["EXPIRETIME", e(0)], int(-2));
    check(&mut c, &["PEXPIRETIME", e(0)], int(-2));
    check(&mut c, &["STRLEN", e(0)], int(0));
    check(&mut c, &["GETRANGE", e(0), "0", "-1"], bulk(""));
    check(&mut c, &["SUBSTR", e(0), "0", "-1"], bulk(""));
    assert_eq!(sorted_strings(cmd(&mut c, &["KEYS", "*"])), ["live"]);
    assert_eq!(
        sorted_strings(cmd(&mut c, &["KEYS", "e*"])),
        Vec::<String>::new()
    );
    let scan = items(cmd(&mut c, &["SCAN", "0", "COUNT", "1000"]));
    assert_eq!(scan[0], bulk("0"));
    assert_eq!(sorted_strings(scan[1].clone()), ["live"]);

    // Writes see an absent key.
    check(&mut c, &["GETSET", e(1), "v"], nil());
    check(&mut c, &["TTL", e(1)], int(-1));
    check(&mut c, &["GETDEL", e(2)], nil());
    check(&mut c, &["GETEX", e(3), "EX", "10"], nil());
    check(&mut c, &["EXISTS", e(3)], int(0));
    check(&mut c, &["SET", e(4), "v", "XX"], nil());
    check(&mut c, &["SET", e(4), "v", "NX"], ok());
    check(&mut c, &["SET", e(5), "v", "GET"], nil());
    check(&mut c, &["SETNX", e(6), "v"], int(1));
    check(&mut c, &["MSETNX", e(7), "v", e(8), "v"], int(1));
    check(&mut c, &["INCR", e(9)], int(1));
    check(&mut c, &["TTL", e(9)], int(-1));
    check(&mut c, &["INCRBYFLOAT", e(10), "1.5"], bulk("1.5"));
    check(&mut c, &["APPEND", e(11), "ab"], int(2));
    check(&mut c, &["GET", e(11)], bulk("ab"));
    check(&mut c, &["SETRANGE", e(12), "1", "x"], int(2));
    check(&mut c, &["GET", e(12)], bulk_b(b"\x00x"));
    check(&mut c, &["EXPIRE", e(13), "100"], int(0));
    check(&mut c, &["PERSIST", e(13)], int(0));
    check(&mut c, &["RENAME", e(14), "x"], err("ERR no such key"));
    check(&mut c, &["RENAMENX", e(14), "x"], err("ERR no such key"));
    check(&mut c, &["RENAME", "live", e(15)], ok());
    check(&mut c, &["GET", e(15)], bulk("x"));
    check(&mut c, &["TTL", e(15)], int(-1));
    check(&mut c, &["DEL", e(0), e(13)], int(0));
    check(&mut c, &["UNLINK", e(14)], int(0));
    check(&mut c, &["SETRANGE", e(0), "0", ""], int(0));
    check(&mut c, &["EXISTS", e(0)], int(0));
}

/// db.c dbRandomKey skips (and deletes) expired keys until it finds a live one, so with one live
/// key among many expired ones RANDOMKEY always names the live key.
#[test]
fn randomkey_skips_expired_keys() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut argv = vec!["MSET".to_string()];
    for i in 0..100 {
        argv.push(format!("e{i}"));
        argv.push("v".into());
    }
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    check(&mut c, &argv, ok());
    for i in 0..100 {
        check(&mut c, &["PEXPIRE", &format!("e{i}"), "50"], int(1));
    }
    check(&mut c, &["SET", "live", "x"], ok());
    std::thread::sleep(Duration::from_millis(100));
    for _ in 0..20 {
        check(&mut c, &["RANDOMKEY"], bulk("live"));
    }
}

/// Redis' DBSIZE (`dictSize`) counts keys not reclaimed yet, but its active expiry cycle
/// (expire.c activeExpireCycle, `hz 10`) removes expired keys within a few hundred milliseconds,
/// so DBSIZE and `INFO keyspace` settle on the live count. Allow 2 s.
#[test]
fn dbsize_and_info_keyspace_drop_expired_keys() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    for i in 0..16 {
        check(&mut c, &["SET", &format!("e{i}"), "v", "PX", "50"], ok());
    }
    check(&mut c, &["SET", "live", "x"], ok());
    std::thread::sleep(Duration::from_millis(100));
    let settled = eventually(Duration::from_secs(2), || {
        cmd(&mut c, &["DBSIZE"]) == int(1)
    });
    let info = text(&cmd(&mut c, &["INFO", "keyspace"]));
    assert!(
        settled,
        "DBSIZE still {:?} 2 s after 16 of 17 keys expired; INFO: {info}",
        cmd(&mut c, &["DBSIZE"])
    );
    assert!(info.contains("db0:keys=1,"), "{info}");
}

/// A key over the storage format's 1 MiB limit is refused with an error for that command only;
/// later writes succeed (it used to disable writes until restart, like a disk failure).
#[test]
fn an_oversized_key_is_refused_and_writes_go_on() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let big = vec![b'k'; (1 << 20) + 1];
    check_b(
        &mut c,
        &[b"SET", &big, b"v"],
        err("ERR key exceeds the maximum allowed size (1048576 bytes)"),
    );
    check_b(
        &mut c,
        &[b"MSET", b"a", b"1", &big, b"2"],
        err("ERR key exceeds the maximum allowed size (1048576 bytes)"),
    );
    check(&mut c, &["GET", "a"], nil());
    check(&mut c, &["SET", "after", "ok"], ok());
    check(&mut c, &["GET", "after"], bulk("ok"));
}

fn check_b(c: &mut Client, args: &[&[u8]], expected: Reply) {
    assert_eq!(cmd_b(c, args), expected, "{:?}", args.first());
}

// ---------------------------------------------------------------------------------------------
// FUNCTION / SCRIPT: a server without scripts answers truthfully (Redis' test harness sends
// FUNCTION FLUSH before every file).
// ---------------------------------------------------------------------------------------------

#[test]
fn function_and_script_answer_for_a_server_without_scripts() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["FUNCTION", "FLUSH"], ok());
    check(&mut c, &["function", "flush", "async"], ok());
    check(&mut c, &["SCRIPT", "FLUSH", "SYNC"], ok());
    check(&mut c, &["FUNCTION", "LIST"], Reply::Array(Some(vec![])));
    check(
        &mut c,
        &["FUNCTION", "LIST", "LIBRARYNAME", "x*", "WITHCODE"],
        Reply::Array(Some(vec![])),
    );
    check(
        &mut c,
        &["SCRIPT", "EXISTS", "a", "b"],
        Reply::Array(Some(vec![Reply::Int(0), Reply::Int(0)])),
    );
    check(
        &mut c,
        &["FUNCTION", "FLUSH", "x"],
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
    );
    check(
        &mut c,
        &["SCRIPT", "FLUSH", "x"],
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
    );
    check(
        &mut c,
        &["FUNCTION", "LIST", "LIBRARYNAME"],
        err("ERR library name argument was not given"),
    );
    check(
        &mut c,
        &["SCRIPT", "EXISTS"],
        err("ERR wrong number of arguments for 'script|exists' command"),
    );
    check(
        &mut c,
        &["SCRIPT", "LOAD", "return 1"],
        err("ERR unknown subcommand 'LOAD'. Try SCRIPT HELP."),
    );
    check(&mut c, &["EVAL", "return 1", "0"], {
        err("ERR unknown command 'EVAL', with args beginning with: 'return 1' '0' ")
    });
}

#[test]
fn copy_copies_a_string_and_its_ttl() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "a", "1", "EX", "100"], ok());
    check(&mut c, &["COPY", "a", "b"], Reply::Int(1));
    check(&mut c, &["GET", "b"], Reply::Bulk(Some(b"1".to_vec())));
    check_range(&mut c, &["TTL", "b"], 95, 100);
    check(&mut c, &["SET", "a", "2"], ok());
    check(&mut c, &["COPY", "a", "b"], Reply::Int(0));
    check(&mut c, &["COPY", "a", "b", "REPLACE"], Reply::Int(1));
    check(&mut c, &["GET", "b"], Reply::Bulk(Some(b"2".to_vec())));
    check(&mut c, &["TTL", "b"], Reply::Int(-1));
    check(&mut c, &["COPY", "missing", "b"], Reply::Int(0));
    check(
        &mut c,
        &["COPY", "a", "a"],
        err("ERR source and destination objects are the same"),
    );
    check(
        &mut c,
        &["COPY", "a", "c", "DB", "1"],
        err("ERR DB index is out of range"),
    );
    check(&mut c, &["COPY", "a", "c", "DB", "0"], Reply::Int(1));
    check(&mut c, &["COPY", "a", "d", "NOPE"], err("ERR syntax error"));
}

#[test]
fn setbit_and_getbit_work_on_string_bits() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SETBIT", "k", "7", "1"], Reply::Int(0));
    check(&mut c, &["GET", "k"], Reply::Bulk(Some(vec![1])));
    check(&mut c, &["SETBIT", "k", "7", "1"], Reply::Int(1));
    check(&mut c, &["GETBIT", "k", "7"], Reply::Int(1));
    check(&mut c, &["GETBIT", "k", "0"], Reply::Int(0));
    check(&mut c, &["GETBIT", "k", "1000"], Reply::Int(0));
    check(&mut c, &["SETBIT", "k", "17", "1"], Reply::Int(0));
    check(&mut c, &["GET", "k"], Reply::Bulk(Some(vec![1, 0, 0x40])));
    check(&mut c, &["SETBIT", "k", "17", "0"], Reply::Int(1));
    check(&mut c, &["GET", "k"], Reply::Bulk(Some(vec![1, 0, 0])));
    check(
        &mut c,
        &["SETBIT", "k", "-1", "1"],
        err("ERR bit offset is not an integer or out of range"),
    );
    check(
        &mut c,
        &["SETBIT", "k", "4294967296", "1"],
        err("ERR bit offset is not an integer or out of range"),
    );
    check(
        &mut c,
        &["SETBIT", "k", "1", "2"],
        err("ERR bit is not an integer or out of range"),
    );
    check(&mut c, &["SET", "t", "v", "EX", "100"], ok());
    check(&mut c, &["SETBIT", "t", "0", "1"], Reply::Int(0));
    check_range(&mut c, &["TTL", "t"], 95, 100);
}

#[test]
fn lcs_finds_redis_subsequence_and_ranges() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["MSET", "a", "ohmytext", "b", "mynewtext"], ok());
    check(
        &mut c,
        &["LCS", "a", "b"],
        Reply::Bulk(Some(b"mytext".to_vec())),
    );
    check(&mut c, &["LCS", "a", "b", "LEN"], Reply::Int(6));
    let range = |a: (i64, i64), b: (i64, i64), len: Option<i64>| {
        let mut r = vec![
            Reply::Array(Some(vec![Reply::Int(a.0), Reply::Int(a.1)])),
            Reply::Array(Some(vec![Reply::Int(b.0), Reply::Int(b.1)])),
        ];
        r.extend(len.map(Reply::Int));
        Reply::Array(Some(r))
    };
    // Redis' example (LCS documentation), ranges from the strings' ends backwards.
    check(
        &mut c,
        &["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
        Reply::Array(Some(vec![
            Reply::Bulk(Some(b"matches".to_vec())),
            Reply::Array(Some(vec![range((4, 7), (5, 8), Some(4))])),
            Reply::Bulk(Some(b"len".to_vec())),
            Reply::Int(6),
        ])),
    );
    check(&mut c, &["LCS", "a", "missing"], Reply::Bulk(Some(vec![])));
    check(
        &mut c,
        &["LCS", "a", "b", "LEN", "IDX"],
        err("ERR If you want both the length and indexes, please just use IDX."),
    );
}

#[test]
fn multi_exec_discard_follow_redis() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let queued = || Reply::Simple("QUEUED".into());
    check(&mut c, &["MULTI"], ok());
    check(&mut c, &["SET", "a", "1"], queued());
    check(&mut c, &["INCR", "a"], queued());
    check(&mut c, &["SET", "a", "x", "NX", "XX"], queued()); // fails when it runs
    check(&mut c, &["PING"], queued());
    check(
        &mut c,
        &["EXEC"],
        Reply::Array(Some(vec![
            ok(),
            Reply::Int(2),
            err("ERR syntax error"),
            Reply::Simple("PONG".into()),
        ])),
    );
    check(&mut c, &["EXEC"], err("ERR EXEC without MULTI"));
    check(&mut c, &["DISCARD"], err("ERR DISCARD without MULTI"));
    // A rejected command fails the whole transaction; nothing of it runs.
    check(&mut c, &["MULTI"], ok());
    check(&mut c, &["MULTI"], err("ERR MULTI calls can not be nested"));
    check(&mut c, &["SET", "a", "9"], queued());
    check(
        &mut c,
        &["SET", "a"],
        err("ERR wrong number of arguments for 'set' command"),
    );
    check(
        &mut c,
        &["EXEC"],
        err("EXECABORT Transaction discarded because of previous errors."),
    );
    check(&mut c, &["GET", "a"], Reply::Bulk(Some(b"2".to_vec())));
    check(&mut c, &["MULTI"], ok());
    check(&mut c, &["SET", "a", "7"], queued());
    check(&mut c, &["DISCARD"], ok());
    check(&mut c, &["GET", "a"], Reply::Bulk(Some(b"2".to_vec())));
    check(&mut c, &["MULTI"], ok());
    check(&mut c, &["EXEC"], Reply::Array(Some(vec![])));
    check(
        &mut c,
        &["EXEC", "x"],
        err(
            "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
        ),
    );
}
