//! Introspection commands against Redis 7.2's behaviour: INFO (keyspace expires/avg_ttl, the
//! Replication and CPU sections, the stats counters), HELLO's argument order, CLIENT LIST
//! filters and `cmd=`, CONFIG (maxmemory, appendonly, name echo, read-only parameters) and
//! COMMAND (INFO without names, subcommands, GETKEYS). Byte-exact where Redis' reply is fixed;
//! the expected texts are what redis-server 7.0.15 answers (the same as 7.2 for these).

mod common;

use std::time::Duration;

use common::*;
use kvs_server::resp_client::{Client, Reply};

/// Sends `args` and asserts the reply.
#[track_caller]
fn check(c: &mut Client, args: &[&str], expected: Reply) {
    assert_eq!(cmd(c, args), expected, "{args:?}");
}

fn info(c: &mut Client, section: &str) -> String {
    text(&cmd(c, &["INFO", section]))
}

fn field(text: &str, name: &str) -> Option<String> {
    text.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn num(text: &str, name: &str) -> u64 {
    field(text, name)
        .unwrap_or_else(|| panic!("INFO lacks {name}:\n{text}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number:\n{text}"))
}

fn headers(text: &str) -> Vec<&str> {
    text.split("\r\n").filter(|l| l.starts_with("# ")).collect()
}

fn is_hex40(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// `db0:keys=..,expires=..,avg_ttl=..` as numbers.
fn keyspace(c: &mut Client) -> (u64, u64, u64) {
    let ks = info(c, "keyspace");
    let db0 = field(&ks, "db0").unwrap_or_else(|| panic!("no db0 line: {ks:?}"));
    let mut v = db0.split(',').map(|kv| {
        kv.split_once('=')
            .and_then(|(_, n)| n.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{db0}"))
    });
    (v.next().unwrap(), v.next().unwrap(), v.next().unwrap())
}

// ---------------------------------------------------------------------------------------------
// 1. INFO keyspace: expires and avg_ttl.
// ---------------------------------------------------------------------------------------------

#[test]
fn info_keyspace_counts_keys_with_a_ttl() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "a", "v", "EX", "100"], ok());
    check(&mut c, &["SET", "b", "v", "PX", "200000"], ok());
    check(&mut c, &["SET", "plain", "v"], ok());
    let (keys, expires, avg_ttl) = keyspace(&mut c);
    assert_eq!((keys, expires), (3, 2));
    // Exact mean of 100 s and 200 s, less the moments since.
    assert!((145_000..=150_000).contains(&avg_ttl), "avg_ttl {avg_ttl}");

    // SET without a TTL drops it; EXPIRE adds one; PERSIST and DEL remove.
    check(&mut c, &["SET", "a", "v2"], ok());
    assert_eq!(keyspace(&mut c).1, 1);
    check(&mut c, &["EXPIRE", "plain", "1000"], int(1));
    assert_eq!(keyspace(&mut c).1, 2);
    check(&mut c, &["PERSIST", "plain"], int(1));
    assert_eq!(keyspace(&mut c).1, 1);
    check(&mut c, &["DEL", "b"], int(1));
    let (keys, expires, avg_ttl) = keyspace(&mut c);
    assert_eq!((keys, expires, avg_ttl), (2, 0, 0));

    // A key that expires: counted down, and counted in expired_keys.
    let before = num(&info(&mut c, "stats"), "expired_keys");
    check(&mut c, &["SET", "short", "v", "PX", "30"], ok());
    assert!(eventually(Duration::from_secs(5), || {
        num(&info(&mut c, "stats"), "expired_keys") == before + 1
    }));
    assert_eq!(keyspace(&mut c), (2, 0, 0));
}

// ---------------------------------------------------------------------------------------------
// 2. INFO sections and counters.
// ---------------------------------------------------------------------------------------------

#[test]
fn info_sections_in_redis_order() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v"], ok());
    let default = text(&cmd(&mut c, &["INFO"]));
    let expected_default = [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Modules",
        "# Errorstats",
        "# Cluster",
        "# Keyspace",
    ];
    assert_eq!(headers(&default), expected_default);
    assert_eq!(headers(&info(&mut c, "default")), expected_default);
    let expected_all = [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Modules",
        "# Commandstats",
        "# Errorstats",
        "# Latencystats",
        "# Cluster",
        "# Keyspace",
    ];
    assert_eq!(headers(&info(&mut c, "all")), expected_all);
    assert_eq!(headers(&info(&mut c, "everything")), expected_all);
    // Several sections come in Redis' order whatever the order asked.
    let two = text(&cmd(&mut c, &["INFO", "cpu", "replication"]));
    assert_eq!(headers(&two), ["# Replication", "# CPU"]);

    // The sections kvs has no figures for are there, empty, and do not fail.
    check(
        &mut c,
        &["INFO", "commandstats"],
        bulk("# Commandstats\r\n"),
    );
    check(&mut c, &["INFO", "errorstats"], bulk("# Errorstats\r\n"));
    check(
        &mut c,
        &["INFO", "latencystats"],
        bulk("# Latencystats\r\n"),
    );
    check(
        &mut c,
        &["INFO", "cluster"],
        bulk("# Cluster\r\ncluster_enabled:0\r\n"),
    );
}

#[test]
fn info_replication_cpu_and_ids() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let repl = info(&mut c, "replication");
    let replid = field(&repl, "master_replid").unwrap();
    assert!(is_hex40(&replid), "{replid:?}");
    assert_eq!(
        repl,
        format!(
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{replid}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n"
        )
    );

    let cpu = info(&mut c, "cpu");
    assert!(cpu.starts_with("# CPU\r\n"), "{cpu}");
    for name in [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
    ] {
        let v = field(&cpu, name).unwrap_or_else(|| panic!("no {name}: {cpu}"));
        let (secs, micros) = v.split_once('.').unwrap_or_else(|| panic!("{name}:{v}"));
        assert!(
            secs.parse::<u64>().is_ok() && micros.len() == 6,
            "{name}:{v}"
        );
        assert!(v.parse::<f64>().is_ok(), "{name}:{v}");
    }

    let server = info(&mut c, "server");
    let run_id = field(&server, "run_id").unwrap();
    assert!(is_hex40(&run_id), "{run_id:?}");
    assert_ne!(run_id, replid);
    assert_eq!(field(&info(&mut c, "server"), "run_id").unwrap(), run_id);
    // Another server (process, for Redis) has other ids.
    let (_other, other_addr, _other_dir) = start();
    let mut o = connect(other_addr);
    assert_ne!(field(&info(&mut o, "server"), "run_id").unwrap(), run_id);
}

#[test]
fn info_stats_counters() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let stats = info(&mut c, "stats");
    for name in [
        "instantaneous_ops_per_sec",
        "expired_keys",
        "keyspace_hits",
        "keyspace_misses",
        "total_error_replies",
    ] {
        num(&stats, name);
    }
    assert_eq!(num(&stats, "keyspace_hits"), 0);
    assert_eq!(num(&stats, "keyspace_misses"), 0);
    assert_eq!(num(&stats, "total_error_replies"), 0);

    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["GET", "k"], bulk("v")); // hit
    check(&mut c, &["GET", "nope"], nil()); // miss
    items(cmd(&mut c, &["MGET", "k", "nope", "k"])); // 2 hits, 1 miss
    check(&mut c, &["STRLEN", "k"], int(1)); // hit
    check(&mut c, &["EXISTS", "nope"], int(0)); // miss
    check(&mut c, &["GETDEL", "nope"], nil()); // miss (on the writer)
    check(&mut c, &["INCR", "counter"], int(1)); // a write: neither
    let stats = info(&mut c, "stats");
    assert_eq!(num(&stats, "keyspace_hits"), 4, "{stats}");
    assert_eq!(num(&stats, "keyspace_misses"), 4, "{stats}");

    // Error replies: from the looper (unknown command, arity), and from storage commands.
    assert!(matches!(cmd(&mut c, &["NOSUCH"]), Reply::Error(_)));
    assert!(matches!(cmd(&mut c, &["GET"]), Reply::Error(_)));
    check(&mut c, &["SET", "s", "x"], ok());
    assert!(matches!(cmd(&mut c, &["INCR", "s"]), Reply::Error(_)));
    assert!(matches!(
        cmd(&mut c, &["CONFIG", "SET", "nosuch", "1"]),
        Reply::Error(_)
    ));
    assert_eq!(num(&info(&mut c, "stats"), "total_error_replies"), 4);

    // instantaneous_ops_per_sec follows a burst of commands.
    let mut raw = Raw::connect(addr);
    raw.send(&b"PING\r\n".repeat(20_000));
    raw.read_until(|b| b.len() >= 20_000 * 7);
    assert!(eventually(Duration::from_secs(3), || {
        num(&info(&mut c, "stats"), "instantaneous_ops_per_sec") > 0
    }));

    // CONFIG RESETSTAT zeroes them.
    check(&mut c, &["CONFIG", "RESETSTAT"], ok());
    let stats = info(&mut c, "stats");
    assert_eq!(num(&stats, "keyspace_hits"), 0, "{stats}");
    assert_eq!(num(&stats, "keyspace_misses"), 0, "{stats}");
    assert_eq!(num(&stats, "total_error_replies"), 0, "{stats}");
    assert_eq!(num(&stats, "expired_keys"), 0, "{stats}");
}

#[test]
fn info_counts_hits_with_inline_reads() {
    let (_server, addr, _dir) = start_with(|c| c.inline_reads = true);
    let mut c = connect(addr);
    check(&mut c, &["SET", "k", "v"], ok());
    check(&mut c, &["GET", "k"], bulk("v"));
    check(&mut c, &["GET", "x"], nil());
    let stats = info(&mut c, "stats");
    assert_eq!(
        (num(&stats, "keyspace_hits"), num(&stats, "keyspace_misses")),
        (1, 1)
    );
}

#[test]
fn maxmemory_shows_in_info_memory() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["CONFIG", "SET", "maxmemory", "100mb"], ok());
    let mem = info(&mut c, "memory");
    assert_eq!(field(&mem, "maxmemory").as_deref(), Some("104857600"));
    assert_eq!(
        field(&mem, "maxmemory_policy").as_deref(),
        Some("noeviction")
    );
}

// ---------------------------------------------------------------------------------------------
// 3. HELLO: the protocol version is checked before the options (Redis 7.2 helloCommand).
// ---------------------------------------------------------------------------------------------

#[test]
fn hello_checks_the_version_before_the_options() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["HELLO", "AUTH", "a", "b"]);
    raw.expect(b"-ERR Protocol version is not an integer or out of range\r\n");
    raw.send_cmd(&["HELLO", "4", "FOO"]);
    raw.expect(b"-NOPROTO unsupported protocol version\r\n");
    raw.send_cmd(&["HELLO", "1"]);
    raw.expect(b"-NOPROTO unsupported protocol version\r\n");
    raw.send_cmd(&["HELLO", "abc", "SETNAME"]);
    raw.expect(b"-ERR Protocol version is not an integer or out of range\r\n");
    raw.send_cmd(&["HELLO", "3", "FOO"]);
    raw.expect(b"-ERR Syntax error in HELLO option 'FOO'\r\n");
    raw.send_cmd(&["HELLO", "2", "AUTH", "a"]);
    raw.expect(b"-ERR Syntax error in HELLO option 'AUTH'\r\n");
    raw.send_cmd(&["HELLO", "2", "SETNAME"]);
    raw.expect(b"-ERR Syntax error in HELLO option 'SETNAME'\r\n");
    // Nothing changed: still RESP2.
    raw.send_cmd(&["GET", "missing"]);
    raw.expect(b"$-1\r\n");
}

#[test]
fn hello_version_error_comes_before_noauth() {
    let (_server, addr, _dir) = start_with(|c| c.requirepass = Some("pw".into()));
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["HELLO", "4", "AUTH", "default", "pw"]);
    raw.expect(b"-NOPROTO unsupported protocol version\r\n");
    raw.send_cmd(&["HELLO", "3", "BAD"]);
    raw.expect(b"-ERR Syntax error in HELLO option 'BAD'\r\n");
}

#[test]
fn hello_setname_shows_in_client_list() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    items(cmd(&mut c, &["HELLO", "2", "SETNAME", "viahello"]));
    let other = connect(addr);
    drop(other);
    let list = text(&cmd(&mut c, &["CLIENT", "INFO"]));
    assert!(list.contains(" name=viahello "), "{list}");
}

// ---------------------------------------------------------------------------------------------
// 4. CLIENT LIST filters and cmd=.
// ---------------------------------------------------------------------------------------------

#[test]
fn client_list_id_and_type_filters() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut other = connect(addr);
    let id = int_of(&cmd(&mut c, &["CLIENT", "ID"]));
    let other_id = int_of(&cmd(&mut other, &["CLIENT", "ID"]));

    let mine = text(&cmd(&mut c, &["CLIENT", "LIST", "ID", &id.to_string()]));
    assert_eq!(mine.lines().count(), 1, "{mine}");
    assert!(mine.starts_with(&format!("id={id} ")), "{mine}");
    // Several ids, in the order asked; unknown ones skipped.
    let both = text(&cmd(
        &mut c,
        &[
            "CLIENT",
            "LIST",
            "id",
            &other_id.to_string(),
            "999999",
            &id.to_string(),
        ],
    ));
    let ids: Vec<&str> = both.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(ids, [format!("id={other_id}"), format!("id={id}")]);

    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["CLIENT", "LIST", "ID", "999999"]);
    raw.expect(b"$0\r\n\r\n");
    raw.send_cmd(&["CLIENT", "LIST", "ID", "abc"]);
    raw.expect(b"-ERR Invalid client ID\r\n");
    raw.send_cmd(&["CLIENT", "LIST", "ID", "1", "TYPE", "normal"]);
    raw.expect(b"-ERR Invalid client ID\r\n");
    raw.send_cmd(&["CLIENT", "LIST", "ID"]);
    raw.expect(b"-ERR syntax error\r\n");
    raw.send_cmd(&["CLIENT", "LIST", "TYPE", "bad"]);
    raw.expect(b"-ERR Unknown client type 'bad'\r\n");
    raw.send_cmd(&["CLIENT", "LIST", "TYPE", "normal", "ID", "1"]);
    raw.expect(b"-ERR syntax error\r\n");
    for t in ["master", "replica", "slave", "pubsub", "PUBSUB"] {
        raw.send_cmd(&["CLIENT", "LIST", "TYPE", t]);
        raw.expect(b"$0\r\n\r\n");
    }
    let normal = text(&cmd(&mut c, &["CLIENT", "LIST", "TYPE", "NORMAL"]));
    assert_eq!(normal.lines().count(), 3, "{normal}");
}

#[test]
fn client_list_shows_each_clients_last_command() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let mut other = connect(addr);
    let other_id = int_of(&cmd(&mut other, &["CLIENT", "ID"]));
    let line = |c: &mut Client| text(&cmd(c, &["CLIENT", "LIST", "ID", &other_id.to_string()]));
    assert!(line(&mut c).contains(" cmd=client|id "), "{}", line(&mut c));
    check(&mut other, &["GET", "k"], nil());
    assert!(line(&mut c).contains(" cmd=get "), "{}", line(&mut c));
    check(&mut other, &["set", "k", "v"], ok());
    assert!(line(&mut c).contains(" cmd=set "), "{}", line(&mut c));
    check(&mut other, &["SET", "k", "v"], ok()); // same command again
    assert!(line(&mut c).contains(" cmd=set "), "{}", line(&mut c));
    cmd(&mut other, &["CONFIG", "GET", "timeout"]);
    assert!(
        line(&mut c).contains(" cmd=config|get "),
        "{}",
        line(&mut c)
    );
    cmd(&mut other, &["config", "set", "timeout", "0"]);
    assert!(
        line(&mut c).contains(" cmd=config|set "),
        "{}",
        line(&mut c)
    );
    // An unknown command: Redis' lastcmd is NULL.
    cmd(&mut other, &["NOSUCH"]);
    assert!(line(&mut c).contains(" cmd=NULL "), "{}", line(&mut c));

    // The caller sees its own command.
    let info = text(&cmd(&mut c, &["CLIENT", "INFO"]));
    assert!(info.contains(" cmd=client|info "), "{info}");
    let mine = text(&cmd(&mut c, &["CLIENT", "LIST"]));
    assert!(
        mine.lines()
            .any(|l| !l.contains(&format!("id={other_id} ")) && l.contains(" cmd=client|list ")),
        "{mine}"
    );

    // A connection that has sent nothing yet: cmd=NULL.
    let _fresh = Raw::connect(addr);
    assert!(eventually(Duration::from_secs(5), || {
        text(&cmd(&mut c, &["CLIENT", "LIST"])).lines().count() == 3
    }));
    let list = text(&cmd(&mut c, &["CLIENT", "LIST"]));
    assert_eq!(
        list.lines().filter(|l| l.contains(" cmd=NULL ")).count(),
        2, // the fresh one and `other` (its NOSUCH)
        "{list}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. CONFIG.
// ---------------------------------------------------------------------------------------------

#[test]
fn config_maxmemory_appendonly_and_names() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(
        &mut c,
        &["CONFIG", "GET", "maxmemory"],
        bulks(&["maxmemory", "0"]),
    );
    check(&mut c, &["CONFIG", "SET", "maxmemory", "100mb"], ok());
    check(
        &mut c,
        &["CONFIG", "GET", "maxmemory"],
        bulks(&["maxmemory", "104857600"]),
    );
    check(&mut c, &["CONFIG", "SET", "maxmemory", "10K"], ok());
    check(
        &mut c,
        &["CONFIG", "GET", "maxmemory"],
        bulks(&["maxmemory", "10000"]),
    );
    for bad in ["abc", "-1", "1.5mb", "10xb", ""] {
        check(
            &mut c,
            &["CONFIG", "SET", "maxmemory", bad],
            err(
                "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
            ),
        );
    }
    check(&mut c, &["CONFIG", "SET", "maxmemory", "0"], ok());

    // appendonly: kvs cannot turn persistence off, and says so; GET stays truthful.
    check(&mut c, &["CONFIG", "SET", "appendonly", "yes"], ok());
    let refused = cmd(&mut c, &["CONFIG", "SET", "appendonly", "no"]);
    match &refused {
        Reply::Error(e) => assert!(
            e.starts_with("ERR CONFIG SET failed (possibly related to argument 'appendonly') - "),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    check(
        &mut c,
        &["CONFIG", "SET", "appendonly", "maybe"],
        err(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'",
        ),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "appendonly"],
        bulks(&["appendonly", "yes"]),
    );

    // A name without glob characters is echoed as given; a glob gives canonical names.
    check(
        &mut c,
        &["CONFIG", "GET", "TIMEOUT"],
        bulks(&["TIMEOUT", "0"]),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "MaxMemory"],
        bulks(&["MaxMemory", "0"]),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "TIME*"],
        bulks(&["timeout", "0"]),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "appendonly", "TIMEOUT", "timeout"],
        bulks(&["appendonly", "yes", "TIMEOUT", "0"]),
    );

    // Read-only parameters.
    check(
        &mut c,
        &["CONFIG", "GET", "cluster-enabled"],
        bulks(&["cluster-enabled", "no"]),
    );
    check(
        &mut c,
        &["CONFIG", "GET", "notify-keyspace-events"],
        bulks(&["notify-keyspace-events", ""]),
    );
}

// ---------------------------------------------------------------------------------------------
// 6. COMMAND.
// ---------------------------------------------------------------------------------------------

#[test]
fn command_info_without_names_lists_every_command() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let count = int_of(&cmd(&mut c, &["COMMAND", "COUNT"]));
    let all = items(cmd(&mut c, &["COMMAND", "INFO"]));
    assert_eq!(all.len() as i64, count);
    assert_eq!(all, items(cmd(&mut c, &["COMMAND"])));
}

#[test]
fn command_info_of_subcommands() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let info = items(cmd(
        &mut c,
        &[
            "COMMAND",
            "INFO",
            "config|get",
            "CLIENT|LIST",
            "config|nosuch",
            "get",
        ],
    ));
    assert_eq!(info.len(), 4);
    let get = items(info[0].clone());
    assert_eq!(get.len(), 10);
    assert_eq!(get[..2], [bulk("config|get"), int(-3)]);
    assert_eq!(get[3..6], [int(0), int(0), int(0)]);
    assert_eq!(items(info[1].clone())[..2], [bulk("client|list"), int(-2)]);
    assert_eq!(info[2], nil());
    assert_eq!(items(info[3].clone())[0], bulk("get"));

    // The parent lists its subcommands in the 10th field.
    let config = items(items(cmd(&mut c, &["COMMAND", "INFO", "config"]))[0].clone());
    let subs: Vec<Reply> = items(config[9].clone())
        .into_iter()
        .map(|s| items(s)[0].clone())
        .collect();
    assert!(subs.contains(&bulk("config|get")), "{subs:?}");
    assert!(subs.contains(&bulk("config|set")), "{subs:?}");
}

#[test]
fn command_getkeys() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    check(&mut c, &["COMMAND", "GETKEYS", "get", "a"], bulks(&["a"]));
    check(&mut c, &["COMMAND", "GETKEYS", "GET", "a"], bulks(&["a"]));
    check(
        &mut c,
        &["COMMAND", "GETKEYS", "set", "a", "b"],
        bulks(&["a"]),
    );
    check(
        &mut c,
        &["COMMAND", "GETKEYS", "mset", "a", "b", "c", "d"],
        bulks(&["a", "c"]),
    );
    check(
        &mut c,
        &["COMMAND", "GETKEYS", "mset", "a", "b", "c"],
        bulks(&["a", "c"]),
    );
    check(
        &mut c,
        &["COMMAND", "GETKEYS", "del", "a", "b", "c"],
        bulks(&["a", "b", "c"]),
    );
    check(
        &mut c,
        &["COMMAND", "GETKEYS", "rename", "a", "b"],
        bulks(&["a", "b"]),
    );
    let mut raw = Raw::connect(addr);
    raw.send_cmd(&["COMMAND", "GETKEYS", "ping", "x"]);
    raw.expect(b"-ERR The command has no key arguments\r\n");
    raw.send_cmd(&["COMMAND", "GETKEYS", "config", "get", "x"]);
    raw.expect(b"-ERR The command has no key arguments\r\n");
    raw.send_cmd(&["COMMAND", "GETKEYS", "nosuch", "a"]);
    raw.expect(b"-ERR Invalid command specified\r\n");
    raw.send_cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]);
    raw.expect(b"-ERR Invalid number of arguments specified for command\r\n");
    raw.send_cmd(&["COMMAND", "GETKEYS", "set", "a"]);
    raw.expect(b"-ERR Invalid number of arguments specified for command\r\n");
    raw.send_cmd(&["COMMAND", "GETKEYS", "get"]);
    raw.expect(b"-ERR wrong number of arguments for 'command|getkeys' command\r\n");
    raw.send_cmd(&["COMMAND", "GETKEYS"]);
    raw.expect(b"-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

// ---------------------------------------------------------------------------------------------
// CLIENT REPLY

#[test]
fn client_reply_off_and_skip_drop_replies_but_run_the_commands() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    // One pipelined write, so silenced and answered commands share a read (and storage batches):
    // SKIP drops exactly the next reply, OFF every reply (errors included) until ON, and the
    // commands run all the same.
    let mut pipeline = Vec::new();
    for args in [
        &["CLIENT", "REPLY", "SKIP"][..],
        &["SET", "k", "1"],
        &["GET", "k"],
        &["CLIENT", "REPLY", "OFF"],
        &["INCR", "k"],
        &["GET", "k"],
        &["NOSUCHCMD"],
        &["PING"],
        &["CLIENT", "REPLY", "SKIP"], // while OFF: stays OFF
        &["FLUSHALL"],
        &["SET", "after", "flush"],
        &["CLIENT", "REPLY", "ON"],
        &["GET", "k"],
        &["GET", "after"],
    ] {
        pipeline.extend(kvs_server::resp_client::encode_command(
            &args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(),
        ));
    }
    raw.send(&pipeline);
    raw.expect(b"$1\r\n1\r\n+OK\r\n$-1\r\n$5\r\nflush\r\n");
    raw.expect_silence(Duration::from_millis(200));

    // SKIP then a command answered on the looper, then one on a storage thread.
    raw.roundtrip(
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n",
        b"+PONG\r\n",
    );
    raw.roundtrip(
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$3\r\nGET\r\n$5\r\nafter\r\n*1\r\n$4\r\nPING\r\n",
        b"+PONG\r\n",
    );
    // Bad mode, wrong arity; RESET turns replies back on.
    raw.roundtrip(
        b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$5\r\nMAYBE\r\n",
        b"-ERR syntax error\r\n",
    );
    raw.roundtrip(
        b"*2\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n",
        b"-ERR wrong number of arguments for 'client|reply' command\r\n",
    );
    raw.send(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*1\r\n$5\r\nRESET\r\n");
    raw.expect(b"+RESET\r\n");
    raw.roundtrip(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
}

/// COMMAND INFO byte for byte as redis-server 7.0.15 gives it (flags in Redis' order, ACL
/// categories, tips, key specs), in RESP2, and in RESP3 where sets and maps replace arrays.
#[test]
fn command_info_is_byte_exact() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    let ks = |flags: &str, index: u8, lastkey: &str| {
        format!(
            "$5\r\nflags\r\n{flags}$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n\
             $4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:{index}\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n\
             $5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:{lastkey}\r\n$7\r\nkeystep\r\n\
             :1\r\n$5\r\nlimit\r\n:0\r\n"
        )
    };
    let cases: [(&str, String); 5] = [
        (
            "get",
            format!(
                "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
                 *3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n{}*0\r\n",
                ks("*2\r\n+RO\r\n+access\r\n", 1, "0")
            ),
        ),
        (
            "set",
            format!(
                "*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n\
                 *3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n\
                 $48\r\nRW and ACCESS due to the optional `GET` argument\r\n{}*0\r\n",
                ks(
                    "*4\r\n+RW\r\n+access\r\n+update\r\n+variable_flags\r\n",
                    1,
                    "0"
                )
            ),
        ),
        (
            "del",
            format!(
                "*1\r\n*10\r\n$3\r\ndel\r\n:-2\r\n*1\r\n+write\r\n:1\r\n:-1\r\n:1\r\n\
                 *3\r\n+@keyspace\r\n+@write\r\n+@slow\r\n*2\r\n$26\r\nrequest_policy:multi_shard\r\n\
                 $23\r\nresponse_policy:agg_sum\r\n*1\r\n*6\r\n{}*0\r\n",
                ks("*2\r\n+RM\r\n+delete\r\n", 1, "-1")
            ),
        ),
        (
            "client|list",
            "*1\r\n*10\r\n$11\r\nclient|list\r\n:-2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n\
             +stale\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n+@connection\r\n\
             *1\r\n$23\r\nnondeterministic_output\r\n*0\r\n*0\r\n"
                .to_string(),
        ),
        (
            "config|get",
            "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n\
             +stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n"
                .to_string(),
        ),
    ];
    for (name, expected) in &cases {
        raw.send_cmd(&["COMMAND", "INFO", name]);
        raw.expect(expected.as_bytes());
    }

    // RESP3: flags, ACL categories, tips, key specs and an empty subcommand list are sets, a key
    // spec and its parts maps.
    raw.send_cmd(&["HELLO", "3"]);
    raw.read_until(|b| b.ends_with(b"$7\r\nmodules\r\n*0\r\n"));
    raw.send_cmd(&["COMMAND", "INFO", "rename"]);
    let ks3 = |flags: &str, index: u8| {
        format!(
            "%3\r\n$5\r\nflags\r\n{flags}$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n\
             $4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:{index}\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n\
             $5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n\
             $5\r\nlimit\r\n:0\r\n"
        )
    };
    let rename = format!(
        "*1\r\n*10\r\n$6\r\nrename\r\n:3\r\n~1\r\n+write\r\n:1\r\n:2\r\n:1\r\n~3\r\n+@keyspace\r\n\
         +@write\r\n+@slow\r\n~0\r\n~2\r\n{}{}~0\r\n",
        ks3("~3\r\n+RW\r\n+access\r\n+delete\r\n", 1),
        ks3("~2\r\n+OW\r\n+update\r\n", 2)
    );
    raw.expect(rename.as_bytes());
    raw.send_cmd(&["COMMAND", "INFO", "config|get"]);
    raw.expect(
        b"*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n~4\r\n+admin\r\n+noscript\r\n+loading\r\n\
          +stale\r\n:0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n~0\r\n~0\r\n~0\r\n",
    );
}

#[test]
fn client_reply_off_replies_are_not_charged_to_the_output_limit() {
    // 100 GETs of a 100 KiB value ask for 10 MiB of replies, ten times the output limit; with
    // replies off, none of it is built, so the client is not cut.
    let (_server, addr, _dir) = start_with(|c| c.output_hard_limit = 1 << 20);
    let mut raw = Raw::connect(addr);
    let big = "v".repeat(100 << 10);
    let mut pipeline = kvs_server::resp_client::encode_command(&[b"SET", b"big", big.as_bytes()]);
    pipeline.extend(kvs_server::resp_client::encode_command(&[
        b"CLIENT", b"REPLY", b"OFF",
    ]));
    for _ in 0..100 {
        pipeline.extend(kvs_server::resp_client::encode_command(&[b"GET", b"big"]));
    }
    pipeline.extend(kvs_server::resp_client::encode_command(&[
        b"CLIENT", b"REPLY", b"ON",
    ]));
    pipeline.extend(kvs_server::resp_client::encode_command(&[
        b"STRLEN", b"big",
    ]));
    raw.send(&pipeline);
    raw.expect(b"+OK\r\n+OK\r\n:102400\r\n");
}
