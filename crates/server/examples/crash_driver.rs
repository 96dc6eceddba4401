//! The client side of the crash loop (`scripts/crash-loop.sh`, issue 7 part 1): `drive` runs a
//! write workload against a kvs-server that is about to be SIGKILLed and logs every
//! acknowledged reply; `verify`, run against the restarted server, checks that every
//! acknowledged write survived.
//!
//! The workload is designed so that verification is exact:
//!
//! - Each client owns its keys (`c<i>:...`): no two clients race on a key, so the log of one
//!   client, in order, is the history of its keys.
//! - Each client waits for every reply before sending the next command, so at the kill it has
//!   at most one command whose outcome is unknown (sent, not answered). That command is logged
//!   as `U` (it may or may not have been applied); answered ones as `A`.
//! - SET and MSET values carry a version that increases across cycles
//!   (`<cycle * 10^9 + n>-<client>-<filler>`); all keys of one MSET get the same value, so a
//!   half-applied MSET shows as a group whose keys differ.
//! - INCR replies give the counter's value: after the restart it must equal the last
//!   acknowledged reply, or that plus one if an INCR was unanswered.
//!
//! `verify` compares, per key, the state the log implies — the last acknowledged operation on
//! it, else the state observed by the previous verification (`--state`) — with what the server
//! returns, allowing the unanswered command's effect as the one alternative. Then it writes
//! what it observed as the state for the next cycle. An acknowledged write whose effect is
//! missing is a lost write; with `--kill-ms` (when the server was killed) it also reports how
//! long before the kill the lost writes were acknowledged.
//!
//! Log lines (tab-separated; the driver is never killed, each line is one `write` to a file
//! opened for append, so a killed server cannot cost the log anything):
//! `A|U  <unix ms>  <client>  set|del|incr|mset  <key or group>  <value | - | n | ?>`
//!
//! ```text
//! cargo run --release -p kvs-server --example crash_driver -- drive --addr 127.0.0.1:4000 \
//!     --log cycle.log --cycle 7 --clients 8
//! cargo run --release -p kvs-server --example crash_driver -- verify --addr 127.0.0.1:4000 \
//!     --log cycle.log --state state.tsv --kill-ms 1764000000000
//! ```

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use kvs_server::resp_client::{Client, Reply};

/// SET/DEL keys per client.
const SET_KEYS: usize = 16;
/// MSET groups per client, and keys per group.
const GROUPS: usize = 4;
const GROUP_KEYS: usize = 3;

#[derive(Parser)]
#[command(about = "Workload and checker for scripts/crash-loop.sh")]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Run the workload until the server goes away (or --duration-ms), logging every reply.
    Drive {
        #[arg(long)]
        addr: SocketAddr,
        /// Log of acknowledged (A) and unanswered (U) commands; appended to.
        #[arg(long)]
        log: PathBuf,
        /// Cycle number: makes this cycle's versions larger than every earlier cycle's.
        #[arg(long)]
        cycle: u64,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Stop by itself after this long (the script normally kills the server first).
        #[arg(long, default_value_t = 30_000)]
        duration_ms: u64,
        /// Also send BGREWRITEAOF (a compaction) every this many ms; 0: never.
        #[arg(long, default_value_t = 300)]
        compact_every_ms: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Check the restarted server against the log and the previous state; write the new state.
    Verify {
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long)]
        log: PathBuf,
        /// State observed by the previous verification (missing: empty database); rewritten.
        #[arg(long)]
        state: PathBuf,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// When the server was killed (unix ms), to report how old the lost writes were.
        #[arg(long)]
        kill_ms: Option<u64>,
    },
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// xorshift64*: enough randomness for choosing operations, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn set_key(client: usize, i: usize) -> String {
    format!("c{client}:k{i}")
}
fn counter_key(client: usize) -> String {
    format!("c{client}:n")
}
fn group_name(client: usize, g: usize) -> String {
    format!("c{client}:g{g}")
}
fn group_keys(group: &str) -> Vec<String> {
    (0..GROUP_KEYS).map(|i| format!("{group}:{i}")).collect()
}

/// Every key a client owns.
fn client_keys(client: usize) -> Vec<String> {
    let mut keys: Vec<String> = (0..SET_KEYS).map(|i| set_key(client, i)).collect();
    keys.push(counter_key(client));
    for g in 0..GROUPS {
        keys.extend(group_keys(&group_name(client, g)));
    }
    keys
}

/// The shared log: one `write` per line, to a file opened for append.
struct Log(Mutex<File>);

impl Log {
    fn line(&self, kind: char, client: usize, op: &str, key: &str, value: &str) {
        let line = format!("{kind}\t{}\t{client}\t{op}\t{key}\t{value}\n", now_ms());
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(line.as_bytes()).expect("write the driver log");
    }
}

fn connect_retry(addr: SocketAddr, within: Duration) -> Option<Client> {
    let deadline = Instant::now() + within;
    loop {
        match Client::connect(addr, Duration::from_secs(10)) {
            Ok(c) => return Some(c),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return None,
        }
    }
}

/// Counts of one drive.
#[derive(Default)]
struct Driven {
    acked: u64,
    unknown: u64,
    refused: u64,
}

fn drive_client(
    addr: SocketAddr,
    client: usize,
    cycle: u64,
    seed: u64,
    log: &Log,
    stop: &AtomicBool,
) -> Driven {
    let mut rng = Rng::new(seed ^ (client as u64 + 1).wrapping_mul(0x1234_5678_9abc));
    let mut out = Driven::default();
    let Some(mut c) = connect_retry(addr, Duration::from_secs(10)) else {
        return out;
    };
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let version = cycle * 1_000_000_000 + n;
        let filler_len = 16 + rng.below(496) as usize;
        let filler: String =
            std::iter::repeat_n(char::from(b'a' + (n % 26) as u8), filler_len).collect();
        let value = format!("{version:016}-{client}-{filler}");
        let pick = rng.below(100);
        // (op, key or group, the value logged, the command)
        let (op, key, logged, args): (&str, String, String, Vec<Vec<u8>>) = if pick < 50 {
            let key = set_key(client, rng.below(SET_KEYS as u64) as usize);
            let args = vec![b"SET".to_vec(), key.clone().into(), value.clone().into()];
            ("set", key, value, args)
        } else if pick < 60 {
            let key = set_key(client, rng.below(SET_KEYS as u64) as usize);
            let args = vec![b"DEL".to_vec(), key.clone().into()];
            ("del", key, "-".into(), args)
        } else if pick < 80 {
            let key = counter_key(client);
            let args = vec![b"INCR".to_vec(), key.clone().into()];
            ("incr", key, "?".into(), args)
        } else {
            let group = group_name(client, rng.below(GROUPS as u64) as usize);
            let mut args = vec![b"MSET".to_vec()];
            for k in group_keys(&group) {
                args.push(k.into());
                args.push(value.clone().into());
            }
            ("mset", group, value, args)
        };
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        match c.cmd(&refs) {
            Ok(Reply::Int(v)) if op == "incr" => {
                log.line('A', client, op, &key, &v.to_string());
                out.acked += 1;
            }
            Ok(Reply::Simple(s)) if s == "OK" && (op == "set" || op == "mset") => {
                log.line('A', client, op, &key, &logged);
                out.acked += 1;
            }
            Ok(Reply::Int(_)) if op == "del" => {
                log.line('A', client, op, &key, &logged);
                out.acked += 1;
            }
            Ok(other) => {
                // An error reply (e.g. MISCONF): not applied as far as the server says; treat
                // it as unknown so verification stays sound, and stop this client.
                eprintln!("crash_driver: client {client}: {op} {key}: unexpected reply {other:?}");
                log.line('U', client, op, &key, &logged);
                out.refused += 1;
                break;
            }
            Err(_) => {
                // The server died with this command unanswered: it may or may not have run.
                log.line('U', client, op, &key, &logged);
                out.unknown += 1;
                break;
            }
        }
    }
    out
}

fn drive(
    addr: SocketAddr,
    log: &Path,
    cycle: u64,
    clients: usize,
    duration: Duration,
    compact_every: Option<Duration>,
    seed: u64,
) -> ExitCode {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open the driver log");
    let log = Arc::new(Log(Mutex::new(file)));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut threads = Vec::new();
    for client in 0..clients {
        let (log, stop) = (log.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            drive_client(addr, client, cycle, seed ^ cycle, &log, &stop)
        }));
    }
    // A compaction now and then, on top of the server's own, so kills land inside them too.
    let compactor = compact_every.map(|every| {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let Some(mut c) = connect_retry(addr, Duration::from_secs(10)) else {
                return 0u64;
            };
            let mut sent = 0;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                if c.cmd(&[b"BGREWRITEAOF"]).is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        })
    });
    let watchdog = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + duration;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            stop.store(true, Ordering::Relaxed);
        })
    };
    let mut total = Driven::default();
    for t in threads {
        let d = t.join().expect("client thread");
        total.acked += d.acked;
        total.unknown += d.unknown;
        total.refused += d.refused;
    }
    stop.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    let compactions = compactor.map_or(0, |t| t.join().unwrap_or(0));
    println!(
        "drive: cycle={cycle} clients={clients} acked={} unanswered={} error_replies={} bgrewriteaof={compactions} ms={}",
        total.acked,
        total.unknown,
        total.refused,
        started.elapsed().as_millis()
    );
    ExitCode::SUCCESS
}

/// What a key may hold: absent, or a string.
type State = Option<String>;

/// What the log and the previous state say about one key.
#[derive(Debug, Clone, Default)]
struct Expect {
    /// After the last acknowledged operation (or the previous state).
    acked: State,
    /// When that was acknowledged (unix ms), if in this cycle's log.
    acked_ms: Option<u64>,
    /// The unanswered operation's effect, if one came after it.
    maybe: Option<State>,
}

fn read_state(path: &Path) -> BTreeMap<String, State> {
    let mut state = BTreeMap::new();
    let Ok(f) = File::open(path) else {
        return state;
    };
    for line in BufReader::new(f).lines() {
        let line = line.expect("read state");
        let Some((key, v)) = line.split_once('\t') else {
            continue;
        };
        let v = v.strip_prefix('=').map(str::to_string);
        state.insert(key.to_string(), v);
    }
    state
}

fn write_state(path: &Path, state: &BTreeMap<String, State>) {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).expect("create state");
    for (k, v) in state {
        match v {
            Some(v) => writeln!(f, "{k}\t={v}"),
            None => writeln!(f, "{k}\t-"),
        }
        .expect("write state");
    }
    f.sync_all().expect("sync state");
    std::fs::rename(&tmp, path).expect("rename state");
}

fn verify(
    addr: SocketAddr,
    log: &Path,
    state_path: &Path,
    clients: usize,
    kill_ms: Option<u64>,
) -> ExitCode {
    let previous = read_state(state_path);
    let mut expect: BTreeMap<String, Expect> = BTreeMap::new();
    for c in 0..clients {
        for k in client_keys(c) {
            let acked = previous.get(&k).cloned().flatten();
            expect.insert(
                k,
                Expect {
                    acked,
                    ..Expect::default()
                },
            );
        }
    }
    let (mut acked_ops, mut unknown_ops) = (0u64, 0u64);
    if let Ok(f) = File::open(log) {
        for line in BufReader::new(f).lines() {
            let line = line.expect("read log");
            let fields: Vec<&str> = line.split('\t').collect();
            let [kind, ms, _client, op, key, value] = fields[..] else {
                panic!("bad log line {line:?}");
            };
            let ms: u64 = ms.parse().expect("log time");
            let keys = if op == "mset" {
                group_keys(key)
            } else {
                vec![key.to_string()]
            };
            for k in keys {
                let e = expect.entry(k).or_default();
                let effect: State = match op {
                    "set" | "mset" => Some(value.to_string()),
                    "del" => None,
                    // The reply is the value; unanswered: one more than the last known.
                    "incr" if kind == "A" => Some(value.to_string()),
                    "incr" => Some(
                        (e.acked
                            .as_deref()
                            .map_or(0, |v| v.parse::<i64>().unwrap_or(0))
                            + 1)
                        .to_string(),
                    ),
                    other => panic!("unknown op {other} in the log"),
                };
                if kind == "A" {
                    e.acked = effect;
                    e.acked_ms = Some(ms);
                    e.maybe = None;
                } else {
                    e.maybe = Some(effect);
                }
            }
            if kind == "A" {
                acked_ops += 1;
            } else {
                unknown_ops += 1;
            }
        }
    }
    let Some(mut conn) = connect_retry(addr, Duration::from_secs(30)) else {
        eprintln!("verify: cannot connect to {addr}");
        return ExitCode::FAILURE;
    };
    // What the server holds now.
    let mut observed: BTreeMap<String, State> = BTreeMap::new();
    for c in 0..clients {
        let keys = client_keys(c);
        let mut args: Vec<&[u8]> = vec![b"MGET"];
        args.extend(keys.iter().map(|k| k.as_bytes()));
        let reply = conn.cmd(&args).expect("MGET after restart");
        let Reply::Array(Some(items)) = reply else {
            panic!("MGET answered {reply:?}");
        };
        for (k, item) in keys.into_iter().zip(items) {
            let v = match item {
                Reply::Bulk(Some(b)) => Some(String::from_utf8_lossy(&b).into_owned()),
                Reply::Bulk(None) | Reply::Null => None,
                other => panic!("MGET item {other:?}"),
            };
            observed.insert(k, v);
        }
    }
    let mut lost = 0u64;
    let mut unexpected = 0u64;
    let mut lost_ages: Vec<u64> = Vec::new();
    for (k, e) in &expect {
        let got = observed.get(k).cloned().flatten();
        if got == e.acked || e.maybe.as_ref() == Some(&got) {
            continue;
        }
        // Older than what was acknowledged (or gone): a lost write. Anything else is a value
        // nobody wrote at this point.
        let older = match (&got, &e.acked) {
            (None, Some(_)) => true,
            (Some(g), Some(a)) if k.ends_with(":n") => {
                g.parse::<i64>().unwrap_or(i64::MAX) < a.parse::<i64>().unwrap_or(0)
            }
            (Some(g), Some(a)) => g < a, // versions are zero-padded: text order is age
            (Some(_), None) => e.acked_ms.is_some(), // a DEL undone
            (None, None) => false,       // equal: handled above
        };
        if older {
            lost += 1;
            if let (Some(kill), Some(at)) = (kill_ms, e.acked_ms) {
                lost_ages.push(kill.saturating_sub(at));
            }
        } else {
            unexpected += 1;
        }
        eprintln!(
            "verify: {k}: server has {got:?}, acknowledged {:?} (at {:?}), unanswered {:?}",
            e.acked, e.acked_ms, e.maybe
        );
    }
    // MSET groups: all of a group's keys hold one value (never half of an MSET).
    let mut half_msets = 0u64;
    for c in 0..clients {
        for g in 0..GROUPS {
            let values: Vec<State> = group_keys(&group_name(c, g))
                .iter()
                .map(|k| observed.get(k).cloned().flatten())
                .collect();
            if values.windows(2).any(|w| w[0] != w[1]) {
                half_msets += 1;
                eprintln!(
                    "verify: MSET group {} is half-applied: {values:?}",
                    group_name(c, g)
                );
            }
        }
    }
    write_state(state_path, &observed);
    lost_ages.sort_unstable();
    println!(
        "verify: keys={} acked_ops={acked_ops} unanswered_ops={unknown_ops} lost={lost} \
         unexpected={unexpected} half_msets={half_msets} lost_oldest_ms={} lost_newest_ms={}",
        expect.len(),
        lost_ages.last().map_or("-".into(), |v| v.to_string()),
        lost_ages.first().map_or("-".into(), |v| v.to_string()),
    );
    if lost + unexpected + half_msets > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    match Args::parse().mode {
        Mode::Drive {
            addr,
            log,
            cycle,
            clients,
            duration_ms,
            compact_every_ms,
            seed,
        } => drive(
            addr,
            &log,
            cycle,
            clients,
            Duration::from_millis(duration_ms),
            (compact_every_ms > 0).then(|| Duration::from_millis(compact_every_ms)),
            seed,
        ),
        Mode::Verify {
            addr,
            log,
            state,
            clients,
            kill_ms,
        } => verify(addr, &log, &state, clients, kill_ms),
    }
}
