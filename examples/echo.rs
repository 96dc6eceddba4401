//! The echo server on kvs-reactor.
//!
//! ```text
//! cargo run --release --example echo -- [ADDR] [LOOPERS]
//! cargo run --release --example echo -- 127.0.0.1:7000 4
//! ```
//! Then `nc 127.0.0.1 7000` and type. Ctrl-C stops it.

use bytes::BytesMut;
use kvs::reactor::{Conn, Handler, TcpServer};

/// Sends back whatever arrives: all of the input is consumed on every call.
struct Echo;

impl Handler for Echo {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        conn.send(&input.split());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(env_filter())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7000".to_string());
    let loopers = match args.next() {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let server = TcpServer::builder(addr.as_str())
        .name("echo")
        .loopers(loopers)
        .start(|| Echo)?;
    eprintln!(
        "echo server on {} with {loopers} loopers; Ctrl-C to stop",
        server.local_addr()
    );
    // The server runs on its own threads; this one just waits to be killed.
    loop {
        std::thread::park();
    }
}

fn env_filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into())
}
