//! `kvs-client`: talent-plan's kvs command-line contract, spoken over RESP to kvs-server.
//!
//! - `kvs-client set KEY VALUE`: exit 0 once stored.
//! - `kvs-client get KEY`: prints the value, or `Key not found`; exit 0 either way.
//! - `kvs-client rm KEY`: exit 0 if removed; `Key not found` on stderr and exit 1 if absent.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kvs_server::resp_client::{Client, Reply};

#[derive(Parser, Debug)]
#[command(name = "kvs-client", version, about = "Client for kvs-server")]
struct Args {
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Set the value of a string key to a string.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Server address.
        #[arg(long, default_value = "127.0.0.1:4000")]
        addr: SocketAddr,
    },
    /// Get the string value of a given string key.
    Get {
        /// The key.
        key: String,
        /// Server address.
        #[arg(long, default_value = "127.0.0.1:4000")]
        addr: SocketAddr,
    },
    /// Remove a given key.
    Rm {
        /// The key.
        key: String,
        /// Server address.
        #[arg(long, default_value = "127.0.0.1:4000")]
        addr: SocketAddr,
    },
}

fn run(args: Args) -> Result<ExitCode, String> {
    let connect = |addr| {
        Client::connect(addr, Duration::from_secs(10))
            .map_err(|e| format!("cannot connect to {addr}: {e}"))
    };
    match args.cmd {
        Command::Set { key, value, addr } => {
            match connect(addr)?.cmd(&[b"SET", key.as_bytes(), value.as_bytes()]) {
                Ok(Reply::Simple(_)) => Ok(ExitCode::SUCCESS),
                Ok(other) => Err(format!("unexpected reply: {other:?}")),
                Err(e) => Err(e.to_string()),
            }
        }
        Command::Get { key, addr } => match connect(addr)?.cmd(&[b"GET", key.as_bytes()]) {
            Ok(Reply::Bulk(Some(v))) => {
                println!("{}", String::from_utf8_lossy(&v));
                Ok(ExitCode::SUCCESS)
            }
            Ok(Reply::Bulk(None) | Reply::Null) => {
                println!("Key not found");
                Ok(ExitCode::SUCCESS)
            }
            Ok(other) => Err(format!("unexpected reply: {other:?}")),
            Err(e) => Err(e.to_string()),
        },
        Command::Rm { key, addr } => match connect(addr)?.cmd(&[b"DEL", key.as_bytes()]) {
            Ok(Reply::Int(1)) => Ok(ExitCode::SUCCESS),
            Ok(Reply::Int(0)) => Err("Key not found".into()),
            Ok(other) => Err(format!("unexpected reply: {other:?}")),
            Err(e) => Err(e.to_string()),
        },
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
