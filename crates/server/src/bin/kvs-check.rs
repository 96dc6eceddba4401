//! `kvs-check`: offline check (and repair) of a kvs store directory. See `docs/check.md`.
//!
//! - `kvs-check --dir PATH`: verifies every file's header and record CRCs, replays the MANIFEST,
//!   lists leftover and missing files, checks hint files, and prints per-file statistics.
//! - `kvs-check --dir PATH --repair`: also repairs what it found, after saving every removed
//!   byte under `PATH/repair-backup-<UTC time>/`, then checks again.
//!
//! Exit codes: 0 clean, 1 damaged (not repaired), 2 repaired (now clean), 3 usage or I/O error,
//! or the store is open in a running process.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kvs_storage::{CheckOptions, CheckStatus, StorageError};

/// Exit code: no problem found.
const EXIT_CLEAN: u8 = 0;
/// Exit code: problems found and not (all) repaired.
const EXIT_DAMAGED: u8 = 1;
/// Exit code: problems found and repaired; the store is clean now.
const EXIT_REPAIRED: u8 = 2;
/// Exit code: bad arguments, an I/O error, not a store, or the store is locked by a running
/// process.
const EXIT_ERROR: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "kvs-check",
    version,
    about = "Offline check and repair of a kvs store directory",
    after_help = "Exit codes: 0 clean, 1 damaged (not repaired), 2 repaired, \
                  3 usage or I/O error, or the store is in use by a running process."
)]
struct Args {
    /// The store directory (the server's --dir). The store must not be running.
    #[arg(long)]
    dir: PathBuf,
    /// Repair what can be repaired: truncate torn tails, drop unreadable records, remove stale
    /// hint files and leftovers, after saving all of it under DIR/repair-backup-TIME/.
    #[arg(long)]
    repair: bool,
    /// Log filter for the storage engine's own log lines on stderr (e.g. warn, info, debug).
    #[arg(long, default_value = "error")]
    log_level: String,
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            // clap exits with 2 on usage errors; 2 means "repaired" here.
            return ExitCode::from(if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            });
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&args.log_level)
                .unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let opts = CheckOptions {
        repair: args.repair,
    };
    match kvs_storage::check(&args.dir, &opts) {
        Ok(report) => {
            print!("{report}");
            ExitCode::from(match report.status() {
                CheckStatus::Clean => EXIT_CLEAN,
                CheckStatus::Damaged => EXIT_DAMAGED,
                CheckStatus::Repaired => EXIT_REPAIRED,
            })
        }
        Err(StorageError::Locked { path }) => {
            eprintln!(
                "kvs-check: {}: the store is in use by a running process (it holds {}); \
                 stop it first: the check runs offline only",
                args.dir.display(),
                path.display()
            );
            ExitCode::from(EXIT_ERROR)
        }
        Err(e) => {
            eprintln!("kvs-check: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
