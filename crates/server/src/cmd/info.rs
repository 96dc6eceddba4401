//! INFO [section ...]: Redis' field names where they apply, plus kvs' own storage figures.

use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;

use bytes::{Bytes, BytesMut};

use super::Cmd;
use super::args::ArgCursor;
use crate::ctx::ServerCtx;
use crate::resp::{Proto, encode};

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    Ok(Cmd::Info(ArgCursor::new(args).rest()))
}

/// Every section, in Redis' order.
const SECTIONS: [&str; 13] = [
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// The sections of a plain INFO (or INFO default): all but commandstats and latencystats.
fn in_default(section: &str) -> bool {
    !matches!(section, "commandstats" | "latencystats")
}

/// `seconds.micros` of a `timeval`, as Redis prints CPU times.
fn secs(tv: libc::timeval) -> String {
    format!("{}.{:06}", tv.tv_sec, tv.tv_usec)
}

/// getrusage(2) of this process or of its children.
fn rusage(who: libc::c_int) -> libc::rusage {
    // SAFETY: getrusage only writes the struct it is given; zeroed is a valid rusage.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    }
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else {
        format!("{bytes}B")
    }
}

/// Resident set size of this process, from /proc.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|p| p.parse::<u64>().ok())
        })
        .map_or(0, |pages| pages * 4096)
}

/// Builds the INFO text for the requested sections (all by default).
pub fn text(sections: &[Bytes], ctx: &ServerCtx) -> String {
    let wanted: Vec<String> = sections
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_lowercase())
        .collect();
    let all = wanted.iter().any(|w| w == "all" || w == "everything");
    let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
    let want = |s: &str| all || (default && in_default(s)) || wanted.iter().any(|w| w == s);
    let stats = ctx.engine.stats();
    let mut t = String::new();
    for section in SECTIONS.iter().filter(|s| want(s)) {
        if !t.is_empty() {
            t.push_str("\r\n");
        }
        let header = match *section {
            "cpu" => "CPU".to_string(),
            "module_list" => "Modules".to_string(),
            s => format!("{}{}", s[..1].to_uppercase(), &s[1..]),
        };
        let _ = write!(t, "# {header}\r\n");
        match *section {
            "server" => {
                let up = ctx.started.elapsed().as_secs();
                let _ = write!(
                    t,
                    "redis_version:{}\r\nkvs_version:{}\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{up}\r\nuptime_in_days:{}\r\nhz:10\r\nconfigured_hz:10\r\nexecutable:{}\r\nconfig_file:\r\nio_threads_active:{}\r\nkvs_engine:{}\r\n",
                    crate::REDIS_COMPAT_VERSION,
                    env!("CARGO_PKG_VERSION"),
                    std::env::consts::OS,
                    std::env::consts::ARCH,
                    std::process::id(),
                    ctx.run_id,
                    ctx.port(),
                    up / 86400,
                    std::env::current_exe()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    ctx.config.loopers,
                    ctx.config.engine,
                );
            }
            "clients" => {
                // `watching_clients` and `total_watched_keys` as Redis 7.4 reports them.
                let _ = write!(
                    t,
                    "connected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:{}\r\nwatching_clients:{}\r\ntotal_watched_keys:{}\r\n",
                    ctx.connected_clients(),
                    ctx.maxclients(),
                    ctx.blocked.count(),
                    stats.watching_clients,
                    stats.watched_keys,
                );
            }
            "memory" => {
                let rss = rss_bytes();
                let maxmemory = ctx.maxmemory();
                let _ = write!(
                    t,
                    "used_memory:{rss}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nkvs_index_bytes:{}\r\nkvs_index_bytes_human:{}\r\nmaxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:noeviction\r\nmem_allocator:libc\r\n",
                    human(rss),
                    human(rss),
                    stats.index_bytes,
                    human(stats.index_bytes as u64),
                    human(maxmemory),
                );
            }
            "persistence" => {
                let _ = write!(
                    t,
                    "loading:0\r\nrdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:ok\r\naof_enabled:1\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_bgrewrite_status:ok\r\naof_last_write_status:{}\r\nkvs_fsync:{}\r\nkvs_data_files:{}\r\nkvs_disk_bytes:{}\r\nkvs_dead_bytes:{}\r\nkvs_compactions:{}\r\nkvs_bytes_reclaimed:{}\r\nkvs_write_batches:{}\r\nkvs_fsyncs:{}\r\nkvs_writes_refused:{}\r\nkvs_last_write_error:{}\r\nkvs_heal_attempts:{}\r\nkvs_heals:{}\r\n",
                    stats.last_save_ms / 1000,
                    if stats.refused.is_some() { "err" } else { "ok" },
                    ctx.fsync_name(),
                    stats.files.len(),
                    stats.disk_bytes,
                    stats.dead_bytes,
                    stats.compactions,
                    stats.bytes_reclaimed,
                    stats.write_batches,
                    stats.fsyncs,
                    u8::from(stats.refused.is_some()),
                    // One line: what an I/O error says, with any line break flattened.
                    stats
                        .last_write_error
                        .as_deref()
                        .unwrap_or("")
                        .replace(['\r', '\n'], " "),
                    stats.heal_attempts,
                    stats.heals,
                );
            }
            "stats" => {
                let m = ctx.reactor_metrics();
                let _ = write!(
                    t,
                    "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\ntotal_error_replies:{}\r\nkvs_loop_wakeups:{}\r\nkvs_loop_iterations:{}\r\n",
                    m.accepted,
                    ctx.commands.load(Relaxed),
                    ctx.ops_per_sec(),
                    m.bytes_in,
                    m.bytes_out,
                    m.rejected,
                    ctx.expired_keys(stats.expired_keys),
                    ctx.keyspace_hits.load(Relaxed),
                    ctx.keyspace_misses.load(Relaxed),
                    ctx.pubsub.channel_count(),
                    ctx.pubsub.pattern_count(),
                    ctx.pubsub.shard_channel_count(),
                    ctx.error_replies.load(Relaxed),
                    m.wakeups,
                    m.iterations,
                );
            }
            "replication" => {
                let _ = write!(
                    t,
                    "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
                    ctx.replid
                );
            }
            "cpu" => {
                let me = rusage(libc::RUSAGE_SELF);
                let children = rusage(libc::RUSAGE_CHILDREN);
                let _ = write!(
                    t,
                    "used_cpu_sys:{}\r\nused_cpu_user:{}\r\nused_cpu_sys_children:{}\r\nused_cpu_user_children:{}\r\n",
                    secs(me.ru_stime),
                    secs(me.ru_utime),
                    secs(children.ru_stime),
                    secs(children.ru_utime),
                );
            }
            "cluster" => t.push_str("cluster_enabled:0\r\n"),
            "keyspace" if stats.keys > 0 => {
                // avg_ttl: the exact mean over every key with a TTL (Redis samples an estimate).
                let _ = write!(
                    t,
                    "db0:keys={},expires={},avg_ttl={}\r\n",
                    stats.keys, stats.expiring_keys, stats.avg_ttl_ms
                );
            }
            _ => {}
        }
    }
    t
}

pub fn exec(sections: &[Bytes], ctx: &ServerCtx, proto: Proto, out: &mut BytesMut) {
    encode::verbatim(out, "txt", text(sections, ctx).as_bytes(), proto);
}
