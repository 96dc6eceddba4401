//! The wire protocol, byte for byte: RESP3 through HELLO, inline commands, pipelining and its
//! ordering, protocol errors (exact Redis text, then the connection closes), oversized
//! declarations, and commands split across TCP writes. Expected bytes are what Redis 7 sends.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use common::*;
use kvs_server::REDIS_COMPAT_VERSION;
use kvs_server::resp_client::Reply;

/// The bytes of the HELLO map/array for `proto` and client `id`.
fn hello_reply(proto: u8, id: i64) -> Vec<u8> {
    let head = if proto == 3 {
        "%7\r\n".to_string()
    } else {
        "*14\r\n".to_string()
    };
    format!(
        "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n${}\r\n{REDIS_COMPAT_VERSION}\r\n$5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
        REDIS_COMPAT_VERSION.len()
    )
    .into_bytes()
}

/// The client id of a raw connection (CLIENT ID answers `:<id>\r\n`).
fn client_id(raw: &mut Raw) -> i64 {
    raw.send(b"CLIENT ID\r\n");
    let line = raw.read_until(|b| b.ends_with(b"\r\n"));
    let s = String::from_utf8(line).unwrap();
    s.trim_start_matches(':')
        .trim_end()
        .parse()
        .unwrap_or_else(|_| panic!("CLIENT ID answered {s:?}"))
}

// ---------------------------------------------------------------------------------------------
// RESP3
// ---------------------------------------------------------------------------------------------

#[test]
fn hello_3_switches_to_resp3_maps_and_nulls() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    let id = client_id(&mut raw);
    // RESP2 first.
    raw.roundtrip(b"GET nokey\r\n", b"$-1\r\n");
    raw.roundtrip(b"HELLO 3\r\n", &hello_reply(3, id));
    raw.roundtrip(b"GET nokey\r\n", b"_\r\n");
    raw.roundtrip(b"SET k v\r\n", b"+OK\r\n");
    raw.roundtrip(b"MGET nokey k\r\n", b"*2\r\n_\r\n$1\r\nv\r\n");
    raw.roundtrip(b"SET k v2 NX\r\n", b"_\r\n");
    raw.roundtrip(b"SET nk v XX GET\r\n", b"_\r\n");
    raw.roundtrip(b"SET k v3 GET\r\n", b"$1\r\nv\r\n");
    raw.roundtrip(b"GETDEL nokey\r\n", b"_\r\n");
    raw.roundtrip(b"GETEX nokey\r\n", b"_\r\n");
    raw.roundtrip(b"GETSET nk2 v\r\n", b"_\r\n");
    raw.roundtrip(b"CLIENT GETNAME\r\n", b"_\r\n");
    raw.roundtrip(b"COMMAND INFO nosuchcommand\r\n", b"*1\r\n_\r\n");
    let port = addr.port().to_string();
    raw.roundtrip(
        b"CONFIG GET port\r\n",
        format!("%1\r\n$4\r\nport\r\n${}\r\n{port}\r\n", port.len()).as_bytes(),
    );
    raw.roundtrip(b"CONFIG GET nosuchparam\r\n", b"%0\r\n");
    raw.roundtrip(b"TTL k\r\n", b":-1\r\n");
    raw.roundtrip(b"DEL k nk2\r\n", b":2\r\n");
    raw.roundtrip(b"RANDOMKEY\r\n", b"_\r\n");
    // HELLO without a version answers in the current protocol and keeps it.
    raw.roundtrip(b"HELLO\r\n", &hello_reply(3, id));
    raw.roundtrip(b"GET nokey\r\n", b"_\r\n");
    // Back to RESP2.
    raw.roundtrip(b"HELLO 2\r\n", &hello_reply(2, id));
    raw.roundtrip(b"GET nokey\r\n", b"$-1\r\n");
    raw.roundtrip(b"CONFIG GET nosuchparam\r\n", b"*0\r\n");
    raw.roundtrip(b"RANDOMKEY\r\n", b"$-1\r\n");
}

#[test]
fn hello_errors_leave_the_protocol_unchanged() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    let id = client_id(&mut raw);
    for v in ["4", "1", "0", "-1", "99"] {
        raw.roundtrip(
            format!("HELLO {v}\r\n").as_bytes(),
            b"-NOPROTO unsupported protocol version\r\n",
        );
    }
    raw.roundtrip(
        b"HELLO x\r\n",
        b"-ERR Protocol version is not an integer or out of range\r\n",
    );
    raw.roundtrip(
        b"HELLO 3 foo\r\n",
        b"-ERR Syntax error in HELLO option 'foo'\r\n",
    );
    raw.roundtrip(
        b"HELLO 2 AUTH onlyuser\r\n",
        b"-ERR Syntax error in HELLO option 'AUTH'\r\n",
    );
    raw.roundtrip(
        b"HELLO 3 SETNAME \"bad name\"\r\n",
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    // None of the failed HELLOs switched to RESP3.
    raw.roundtrip(b"GET nokey\r\n", b"$-1\r\n");
    raw.roundtrip(b"CLIENT GETNAME\r\n", b"$-1\r\n");
    // SETNAME through HELLO.
    raw.roundtrip(b"HELLO 3 SETNAME conn-7\r\n", &hello_reply(3, id));
    raw.roundtrip(b"CLIENT GETNAME\r\n", b"$6\r\nconn-7\r\n");
    raw.roundtrip(b"HELLO 4\r\n", b"-NOPROTO unsupported protocol version\r\n");
    raw.roundtrip(b"GET nokey\r\n", b"_\r\n"); // still RESP3
}

// ---------------------------------------------------------------------------------------------
// Inline commands
// ---------------------------------------------------------------------------------------------

#[test]
fn inline_commands() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.roundtrip(b"PING\r\n", b"+PONG\r\n");
    raw.roundtrip(b"ping\n", b"+PONG\r\n"); // telnet/nc style: LF only
    raw.roundtrip(b"SET a \"b c\"\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET a\r\n", b"$3\r\nb c\r\n");
    raw.roundtrip(b"  GET   a  \n", b"$3\r\nb c\r\n");
    raw.roundtrip(b"SET q 'x y'\r\n", b"+OK\r\n");
    raw.roundtrip(b"GET q\r\n", b"$3\r\nx y\r\n");
    raw.roundtrip(b"SET t\tb\r\n", b"+OK\r\n"); // a tab separates words too
    raw.roundtrip(b"GET t\r\n", b"$1\r\nb\r\n");
    raw.roundtrip(b"SET t a\tb\r\n", b"-ERR syntax error\r\n");
    // Escapes inside double quotes; \xHH; single quotes are literal except \'.
    raw.roundtrip(b"ECHO \"a\\x41\\n\"\r\n", b"$3\r\naA\n\r\n");
    raw.roundtrip(b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n");
    raw.roundtrip(b"ECHO \"\"\r\n", b"$0\r\n\r\n");
    // Several inline commands in one write, mixed line endings.
    raw.roundtrip(b"SET k v\nGET k\r\nDEL k\n", b"+OK\r\n$1\r\nv\r\n:1\r\n");
    // Blank lines and empty multibulks are skipped without a reply.
    raw.roundtrip(b"\r\n\n   \r\n*0\r\n*-1\r\nPING\r\n", b"+PONG\r\n");
    // Inline and multibulk mixed in one write.
    raw.roundtrip(
        b"ECHO one\r\n*2\r\n$4\r\nECHO\r\n$3\r\ntwo\r\nECHO three\n",
        b"$3\r\none\r\n$3\r\ntwo\r\n$5\r\nthree\r\n",
    );
    // Errors from inline commands look the same as from multibulk ones.
    raw.roundtrip(
        b"NOSUCH a b\r\n",
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n",
    );
    raw.roundtrip(
        b"GET\r\n",
        b"-ERR wrong number of arguments for 'get' command\r\n",
    );
}

// ---------------------------------------------------------------------------------------------
// Pipelining and ordering
// ---------------------------------------------------------------------------------------------

#[test]
fn pipeline_of_10000_commands_in_one_write_replies_in_order() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    // Local (ECHO), write (SET) and read (GET) commands interleaved, so replies from the looper,
    // the writer and the reader threads must be put back in request order.
    let mut request = Vec::new();
    for i in 0..10_000 {
        let args: Vec<String> = match i % 4 {
            0 => vec!["ECHO".into(), format!("e{i}")],
            1 => vec!["SET".into(), format!("k{i}"), format!("v{i}")],
            2 => vec!["GET".into(), format!("k{}", i - 1)],
            _ => vec!["EXISTS".into(), format!("k{}", i - 2), format!("k{i}")],
        };
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        request.extend_from_slice(&kvs_server::resp_client::encode_command(&args));
    }
    c.send_raw(&request).unwrap();
    for i in 0..10_000 {
        let expected = match i % 4 {
            0 => bulk(&format!("e{i}")),
            1 => ok(),
            2 => bulk(&format!("v{}", i - 1)),
            _ => int(1),
        };
        let got = c.read_reply().unwrap_or_else(|e| panic!("reply {i}: {e}"));
        assert_eq!(got, expected, "reply {i}");
    }
    check_no_extra_reply(&mut c);
    assert_eq!(cmd(&mut c, &["DBSIZE"]), int(2500));
}

/// The reply to a command sent after a pipeline must be the very next one (no extra replies).
fn check_no_extra_reply(c: &mut kvs_server::resp_client::Client) {
    assert_eq!(cmd(c, &["ECHO", "end-marker"]), bulk("end-marker"));
}

#[test]
fn pipeline_reads_see_earlier_writes() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.roundtrip(b"SET k v\r\nGET k\r\n", b"+OK\r\n$1\r\nv\r\n");
    raw.roundtrip(
        b"DEL k\r\nGET k\r\nEXISTS k\r\nSET k w\r\nSTRLEN k\r\n",
        b":1\r\n$-1\r\n:0\r\n+OK\r\n:1\r\n",
    );

    // INCR n x1000 interleaved with GET n, in one write: every GET sees the count so far.
    let mut c = connect(addr);
    let mut request = Vec::new();
    request.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$1\r\nn\r\n");
    for _ in 0..1000 {
        request.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*2\r\n$3\r\nGET\r\n$1\r\nn\r\n");
    }
    c.send_raw(&request).unwrap();
    assert_eq!(c.read_reply().unwrap(), nil());
    for i in 1..=1000 {
        assert_eq!(c.read_reply().unwrap(), int(i), "INCR #{i}");
        assert_eq!(
            c.read_reply().unwrap(),
            bulk(&i.to_string()),
            "GET after INCR #{i}"
        );
    }
    // Reads, then writes, then reads again, with TTL-bearing writes in between.
    let mut request = String::new();
    for i in 0..200 {
        let _ = write!(
            request,
            "SET r{i} {i} PX 100000\r\nGET r{i}\r\nPTTL r{i}\r\nGETDEL r{i}\r\nEXISTS r{i}\r\n"
        );
    }
    c.send_raw(request.as_bytes()).unwrap();
    for i in 0..200 {
        assert_eq!(c.read_reply().unwrap(), ok());
        assert_eq!(c.read_reply().unwrap(), bulk(&i.to_string()));
        let pttl = int_of(&c.read_reply().unwrap());
        assert!((90_000..=100_000).contains(&pttl), "PTTL {pttl}");
        assert_eq!(c.read_reply().unwrap(), bulk(&i.to_string()));
        assert_eq!(c.read_reply().unwrap(), int(0));
    }
    check_no_extra_reply(&mut c);
}

#[test]
fn another_connection_sees_a_write_once_it_is_acknowledged() {
    let (_server, addr, _dir) = start();
    let mut w = connect(addr);
    let mut r = connect(addr);
    for i in 0..300 {
        let v = i.to_string();
        assert_eq!(cmd(&mut w, &["SET", "shared", &v]), ok());
        assert_eq!(
            cmd(&mut r, &["GET", "shared"]),
            bulk(&v),
            "write #{i} acknowledged but not visible"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Protocol errors: exact text, then the connection is closed.
// ---------------------------------------------------------------------------------------------

/// Sends `request` on a fresh connection and returns everything received before the server
/// closed it.
fn reply_then_close(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut raw = Raw::connect(addr);
    raw.send(request);
    String::from_utf8_lossy(&raw.read_to_close()).into_owned()
}

#[test]
fn protocol_errors_reply_then_close() {
    let (_server, addr, _dir) = start();
    let cases: &[(&[u8], &str)] = &[
        (
            b"*abc\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*+1\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1x\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        // `*1\r\nx`: Redis waits for the header's CR before looking at it.
        (
            b"*1\r\nx\r\n",
            "-ERR Protocol error: expected '$', got 'x'\r\n",
        ),
        (
            b"*2\r\n$3\r\nGET\r\n:1\r\n",
            "-ERR Protocol error: expected '$', got ':'\r\n",
        ),
        (
            b"*1\r\n$abc\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$-1\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$+4\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        // proto-max-bulk-len is 512 MiB: one more byte is refused.
        (
            b"*1\r\n$536870913\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1073741824\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"SET a \"b\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        (
            b"ECHO \"abc\"def\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        (
            b"ECHO 'abc\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
        // Replies to the commands before the bad one are sent first; nothing after it runs.
        (
            b"*1\r\n$4\r\nPING\r\n*1\r\nx\r\nSET after 1\r\n",
            "+PONG\r\n-ERR Protocol error: expected '$', got 'x'\r\n",
        ),
        (
            b"SET before 1\r\n*-x\r\nSET after 1\r\n",
            "+OK\r\n-ERR Protocol error: invalid multibulk length\r\n",
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            reply_then_close(addr, request),
            *expected,
            "request {:?}",
            String::from_utf8_lossy(request)
        );
    }
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["GET", "before"]), bulk("1"));
    assert_eq!(cmd(&mut c, &["EXISTS", "after"]), int(0));
}

#[test]
fn oversized_headers_and_inline_requests_are_refused() {
    let (_server, addr, _dir) = start();
    // More than 64 KiB (PROTO_INLINE_MAX_SIZE) without the terminator.
    let mut inline = vec![b'x'; 70_000];
    assert_eq!(
        reply_then_close(addr, &inline),
        "-ERR Protocol error: too big inline request\r\n"
    );
    inline[0] = b'*';
    inline[1..].fill(b'1');
    assert_eq!(
        reply_then_close(addr, &inline),
        "-ERR Protocol error: too big mbulk count string\r\n"
    );
    let mut bulk_count = b"*1\r\n$".to_vec();
    bulk_count.extend(std::iter::repeat_n(b'1', 70_000));
    assert_eq!(
        reply_then_close(addr, &bulk_count),
        "-ERR Protocol error: too big bulk count string\r\n"
    );
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let (_server, addr, _dir) = start_with(|c| c.requirepass = Some("pw".into()));
    assert_eq!(
        reply_then_close(addr, b"*11\r\n"),
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    assert_eq!(
        reply_then_close(addr, b"*2\r\n$3\r\nGET\r\n$16385\r\n"),
        "-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    // At the limits it is an ordinary (refused) command.
    let mut raw = Raw::connect(addr);
    let mut ten = b"*10\r\n$4\r\nMGET\r\n".to_vec();
    for _ in 0..9 {
        ten.extend_from_slice(b"$1\r\nk\r\n");
    }
    raw.roundtrip(&ten, b"-NOAUTH Authentication required.\r\n");
    // After AUTH the limits are gone.
    raw.roundtrip(b"AUTH pw\r\n", b"+OK\r\n");
    let big = "v".repeat(20_000);
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["AUTH", "pw"]), ok());
    let mut argv = vec!["MSET"];
    for _ in 0..10 {
        argv.push("k");
        argv.push(&big);
    }
    assert_eq!(cmd(&mut c, &argv), ok());
    assert_eq!(cmd(&mut c, &["STRLEN", "k"]), int(20_000));
}

// ---------------------------------------------------------------------------------------------
// Memory: a declared size is not an allocation.
// ---------------------------------------------------------------------------------------------

/// Resident set size of this process (the server runs in it).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}

#[test]
fn huge_declared_bulks_are_not_allocated_up_front() {
    let (_server, addr, _dir) = start();
    let before = rss_bytes();
    // 1 GiB: over proto-max-bulk-len, refused from the header alone.
    let reply = reply_then_close(addr, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1073741824\r\n");
    assert_eq!(reply, "-ERR Protocol error: invalid bulk length\r\n");
    // 512 MiB: allowed, but only 1 MiB of it arrives. The server must buffer what came, not
    // what was announced.
    let mut raw = Raw::connect(addr);
    raw.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$536870912\r\n");
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..16 {
        raw.send(&chunk);
    }
    raw.expect_silence(Duration::from_millis(300));
    let during = rss_bytes();
    let grown = during.saturating_sub(before);
    assert!(
        grown < 128 << 20,
        "RSS grew by {} MiB while a 512 MiB bulk was only announced",
        grown >> 20
    );
    drop(raw);
    // The server is fine and did not store the half-sent value.
    let mut c = connect(addr);
    assert_eq!(cmd(&mut c, &["PING"]), simple("PONG"));
    assert_eq!(cmd(&mut c, &["EXISTS", "big", "k"]), int(0));
    assert!(rss_bytes().saturating_sub(before) < 128 << 20);
}

// ---------------------------------------------------------------------------------------------
// Commands split across TCP segments.
// ---------------------------------------------------------------------------------------------

#[test]
fn half_a_command_then_the_rest() {
    let (_server, addr, _dir) = start();
    let mut raw = Raw::connect(addr);
    raw.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nab");
    raw.expect_silence(Duration::from_millis(200));
    raw.roundtrip(b"c\r\n", b"+OK\r\n");
    raw.roundtrip(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", b"$3\r\nabc\r\n");
    // Split inside a header, inside "\r\n", and an inline command in two parts.
    raw.send(b"*2\r\n$3\r\nGET\r\n$");
    raw.expect_silence(Duration::from_millis(100));
    raw.send(b"1\r");
    raw.expect_silence(Duration::from_millis(100));
    raw.roundtrip(b"\nk\r\n", b"$3\r\nabc\r\n");
    raw.send(b"PI");
    raw.expect_silence(Duration::from_millis(100));
    raw.roundtrip(b"NG\r\n", b"+PONG\r\n");
    // One byte at a time.
    let request = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
    for (i, byte) in request.iter().enumerate() {
        raw.send(std::slice::from_ref(byte));
        if i % 7 == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    raw.expect(b"$5\r\nhello\r\n");
    // A complete command followed by half of the next: the first is answered at once.
    raw.send(b"PING\r\n*1\r\n$4\r\nPI");
    raw.expect(b"+PONG\r\n");
    raw.expect_silence(Duration::from_millis(100));
    raw.roundtrip(b"NG\r\n", b"+PONG\r\n");
}

#[test]
fn big_value_in_many_writes() {
    let (_server, addr, _dir) = start();
    let mut c = connect(addr);
    let value: Vec<u8> = (0..(4 << 20)).map(|i| (i % 251) as u8).collect();
    let request = kvs_server::resp_client::encode_command(&[b"SET", b"big", &value]);
    for part in request.chunks(100_003) {
        c.send_raw(part).unwrap();
    }
    assert_eq!(c.read_reply().unwrap(), ok());
    assert_eq!(c.cmd(&[b"GET", b"big"]).unwrap(), Reply::Bulk(Some(value)));
}
