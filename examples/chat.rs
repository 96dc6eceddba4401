//! A broadcast chat server: every line a client sends goes to every connected client, on every
//! looper — the cross-thread `ConnHandle::send` at work.
//!
//! ```text
//! cargo run --release --example chat -- [ADDR] [LOOPERS]
//! ```
//! Then connect with several `nc 127.0.0.1 7001` and type lines.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use kvs::reactor::{CloseReason, Conn, ConnHandle, ConnId, Handler, TcpServer};

/// All connected clients, on all loopers. A connection's handle is thread-safe, so any looper
/// can send to any client; the send is posted to the owning looper.
type Room = Arc<Mutex<HashMap<ConnId, ConnHandle>>>;

struct ChatMember {
    room: Room,
}

impl Handler for ChatMember {
    fn on_connect(&mut self, conn: &mut Conn<'_>) {
        let handle = conn.handle();
        self.room
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(conn.id(), handle);
    }

    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        // Broadcast complete lines only; a partial line waits in `input` for the rest.
        while let Some(end) = input.iter().position(|&b| b == b'\n') {
            let line = input.split_to(end + 1);
            let msg = Bytes::from(format!("{}: {}", conn.id(), String::from_utf8_lossy(&line)));
            let members: Vec<ConnHandle> = self
                .room
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .values()
                .cloned()
                .collect();
            for member in members {
                member.send(msg.clone());
            }
        }
    }

    fn on_close(&mut self, conn: &mut Conn<'_>, _reason: &CloseReason) {
        self.room
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&conn.id());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7001".to_string());
    let loopers: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(2);
    let room: Room = Arc::default();
    let server = TcpServer::builder(addr.as_str())
        .name("chat")
        .loopers(loopers)
        .start(move || ChatMember { room: room.clone() })?;
    eprintln!("chat server on {}; Ctrl-C to stop", server.local_addr());
    loop {
        std::thread::park();
    }
}
