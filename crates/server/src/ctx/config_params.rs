//! CONFIG GET / SET's parameters: what each reads, how a new value is checked (Redis' texts)
//! and applied.

use std::sync::PoisonError;
use std::sync::atomic::Ordering::Relaxed;

use super::ServerCtx;
use crate::encoding::{self, EncodingLimits};

/// A Redis memory value (`memtoull`): digits, then optionally `b`, `k` (1000), `kb` (1024), `m`,
/// `mb`, `g`, `gb`, in any case.
pub fn parse_memory(v: &str) -> Option<u64> {
    let lower = v.to_ascii_lowercase();
    let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let mul: u64 = match &lower[digits.len()..] {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

impl ServerCtx {
    /// Every CONFIG parameter and its value.
    pub fn config_params(&self) -> Vec<(String, String)> {
        let rt = self.runtime();
        let c = &self.config;
        vec![
            ("bind".into(), c.addr.ip().to_string()),
            ("port".into(), self.port().to_string()),
            ("dir".into(), c.dir.display().to_string()),
            ("requirepass".into(), rt.requirepass.unwrap_or_default()),
            ("maxclients".into(), rt.maxclients.to_string()),
            ("timeout".into(), rt.timeout.to_string()),
            ("appendonly".into(), "yes".into()),
            ("appendfsync".into(), self.fsync_name().into()),
            ("save".into(), String::new()),
            ("databases".into(), "1".into()),
            (
                "proto-max-bulk-len".into(),
                c.proto_max_bulk_len.to_string(),
            ),
            ("client-query-buffer-limit".into(), (1u64 << 30).to_string()),
            ("io-threads".into(), c.loopers.to_string()),
            ("maxmemory".into(), rt.maxmemory.to_string()),
            ("maxmemory-policy".into(), "noeviction".into()),
            ("cluster-enabled".into(), "no".into()),
            (
                "notify-keyspace-events".into(),
                crate::notify::flags_to_string(self.notify_flags()),
            ),
        ]
        .into_iter()
        .chain(encoding::PARAMS.iter().map(|&p| {
            let v = self.encodings.get(p).unwrap_or_default();
            (p.to_string(), v.to_string())
        }))
        .collect()
    }

    /// Validates one CONFIG SET pair and makes room for it: for `maxclients` that raises the
    /// process's open-file limit (`RLIMIT_NOFILE`) first, as Redis' `updateMaxclients` does, and
    /// refuses the value if the limit cannot fit it. Changes nothing else; [`config_set`] then
    /// applies the pair.
    ///
    /// [`config_set`]: ServerCtx::config_set
    pub fn config_prepare(&self, name: &str, value: &str) -> Result<(), String> {
        let bad = |reason: &str| {
            format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
        };
        match name {
            "requirepass" => Ok(()),
            // Redis' numeric configs: string2ll, then the bounds of the parameter.
            "maxclients" | "timeout" => {
                let (min, max) = if name == "timeout" {
                    (0, i64::from(i32::MAX))
                } else {
                    (1, i64::from(u32::MAX))
                };
                match crate::resp::parse::string2ll(value.as_bytes()) {
                    None => Err(bad("argument couldn't be parsed into an integer")),
                    Some(v) if v < min || v > max => Err(bad(&format!(
                        "argument must be between {min} and {max} inclusive"
                    ))),
                    Some(v) if name == "maxclients" => {
                        // Redis' updateMaxclients: raise the open-file limit to fit, or refuse
                        // with the number that does fit (32 descriptors kept for the server).
                        let fds = kvs_reactor::raise_open_files_limit(v as u64 + 64);
                        if fds < v as u64 + 32 {
                            Err(bad(&format!(
                                "The operating system is not able to handle the specified \
                                 number of clients, try with {}",
                                fds.saturating_sub(32)
                            )))
                        } else {
                            Ok(())
                        }
                    }
                    Some(_) => Ok(()),
                }
            }
            // OBJECT ENCODING's thresholds (informational, `encoding.rs`): Redis' bounds.
            p if encoding::PARAMS.contains(&p) => {
                let (min, max) = EncodingLimits::bounds(p);
                match crate::resp::parse::string2ll(value.as_bytes()) {
                    Some(v) if (min..=max).contains(&v) => Ok(()),
                    Some(_) => Err(bad(&format!(
                        "argument must be between {min} and {max} inclusive"
                    ))),
                    None => Err(bad("argument couldn't be parsed into an integer")),
                }
            }
            // Informational: kvs never evicts (its policy is `noeviction`).
            "maxmemory" => parse_memory(value)
                .map(|_| ())
                .ok_or_else(|| bad("argument must be a memory value")),
            "notify-keyspace-events" => crate::notify::parse_flags(value.as_bytes())
                .map(|_| ())
                .ok_or_else(|| bad(crate::notify::BAD_CLASS)),
            // Accepted for compatibility (redis-benchmark and test suites set it); the engine's
            // persistence is fixed at start-up.
            "save" => Ok(()),
            // kvs is always "append only": its data files are its log.
            "appendonly" if value.eq_ignore_ascii_case("yes") => Ok(()),
            "appendonly" if value.eq_ignore_ascii_case("no") => Err(bad(
                "kvs always persists every write to its data files; appendonly cannot be turned off",
            )),
            "appendonly" => Err(bad("argument must be 'yes' or 'no'")),
            "appendfsync" if value == self.fsync_name() => Ok(()),
            "appendfsync" => Err(bad(
                "kvs sets the fsync policy at start-up (--fsync); restart to change it",
            )),
            _ => Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )),
        }
    }

    /// `notify-keyspace-events` as `crate::notify` flags (0: off, the default).
    pub fn notify_flags(&self) -> u32 {
        self.notify_flags.load(Relaxed)
    }

    /// Applies a checked CONFIG SET pair.
    pub fn config_set(&self, name: &str, value: &str) -> Result<(), String> {
        self.config_prepare(name, value)?;
        let mut rt = self.runtime.write().unwrap_or_else(PoisonError::into_inner);
        match name {
            "requirepass" => {
                rt.requirepass = if value.is_empty() {
                    None
                } else {
                    Some(value.to_string())
                }
            }
            "maxclients" => {
                rt.maxclients = value.parse().unwrap_or(rt.maxclients);
                if let Some(limit) = self.connection_limit.get() {
                    limit.set(Some(rt.maxclients));
                }
            }
            "timeout" => rt.timeout = value.parse().unwrap_or(rt.timeout),
            "notify-keyspace-events" => {
                let flags = crate::notify::parse_flags(value.as_bytes()).unwrap_or(0);
                self.notify_flags.store(flags, Relaxed);
            }
            "maxmemory" => rt.maxmemory = parse_memory(value).unwrap_or(rt.maxmemory),
            p if encoding::PARAMS.contains(&p) => {
                let v = crate::resp::parse::string2ll(value.as_bytes()).unwrap_or(0);
                self.encodings.set(p, v);
            }
            _ => {}
        }
        drop(rt);
        if name == "timeout" {
            // Redis applies a new timeout to every client, not only to later ones.
            if let Some(&apply) = self.apply_timeout.get() {
                for l in self.loops.get().into_iter().flatten() {
                    l.queue_in_loop(apply);
                }
            }
        }
        Ok(())
    }
}
