//! The smallest kv server: kvs-reactor for the network, kvs-storage for the data, and the
//! design's reply path in miniature — the looper parses, the storage writer thread executes, and
//! the reply is posted back to the looper that owns the connection.
//!
//! ```text
//! cargo run --release --example kv_server -- [ADDR] [DIR]
//! printf 'SET a 1\nGET a\nDEL a\nGET a\n' | nc -q1 127.0.0.1 7002
//! ```
//! A line protocol: `SET key value`, `GET key`, `DEL key`; replies `OK`, the value, `(nil)`,
//! `1`/`0`, or `ERR ...`. Every line goes through the one writer thread, which runs them in order,
//! so replies come back in request order. (The real server, kvs-server, speaks RESP, also uses
//! reader threads, and puts replies back in order itself.)

use bytes::BytesMut;
use kvs::reactor::{Conn, Handler, TcpServer};
use kvs::storage::{Store, Txn};

/// Runs one request line on the writer thread and returns the reply.
fn execute(line: &str, txn: &mut Txn<'_>) -> Vec<u8> {
    let words: Vec<&str> = line.splitn(3, ' ').collect();
    match words.as_slice() {
        ["SET", key, value] => {
            txn.put(key.as_bytes(), value.as_bytes(), None);
            b"OK\n".to_vec()
        }
        ["GET", key] => match txn.get(key.as_bytes()) {
            Ok(Some(v)) => [v.data.as_slice(), b"\n"].concat(),
            Ok(None) => b"(nil)\n".to_vec(),
            Err(e) => format!("ERR {e}\n").into_bytes(),
        },
        ["DEL", key] => match txn.delete(key.as_bytes()) {
            Ok(existed) => format!("{}\n", u8::from(existed)).into_bytes(),
            Err(e) => format!("ERR {e}\n").into_bytes(),
        },
        _ => b"ERR use SET key value | GET key | DEL key\n".to_vec(),
    }
}

struct LineSession {
    store: Store,
}

impl Handler for LineSession {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        while let Some(end) = input.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&input.split_to(end + 1))
                .trim()
                .to_string();
            // A thread-safe handle: the writer's completion sends through it, which posts the
            // bytes to this connection's loop — only that loop ever touches the socket.
            let conn_handle = conn.handle();
            let sent = self.store.submit_write(move |txn| {
                let reply = execute(&line, txn);
                Box::new(move |committed| {
                    conn_handle.send(if committed.is_ok() {
                        reply
                    } else {
                        b"ERR write failed\n".to_vec()
                    });
                })
            });
            if sent.is_err() {
                conn.send(b"ERR store closed\n");
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7002".into());
    let dir = args.next().unwrap_or_else(|| "kv-example-data".into());
    let store = Store::open(&dir)?;
    let server = TcpServer::builder(addr.as_str())
        .name("kv")
        .loopers(2)
        .start(move || LineSession {
            store: store.clone(),
        })?;
    eprintln!(
        "kv example on {} (data in {dir}); Ctrl-C to stop",
        server.local_addr()
    );
    loop {
        std::thread::park();
    }
}
