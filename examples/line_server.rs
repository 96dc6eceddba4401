//! A line-protocol server on kvs-reactor: one request per `\n`-terminated line — `PING`,
//! `ECHO text`, `COUNT` (lines this connection sent so far), `QUIT`.
//!
//! ```text
//! cargo run --release --example line_server -- [ADDR]
//! printf 'PING\nECHO hello\nCOUNT\nQUIT\n' | nc 127.0.0.1 7004
//! ```

use bytes::BytesMut;
use kvs::reactor::{Conn, Handler, TcpServer};

/// A longer line is refused, so a peer cannot make `input` grow without bound.
const MAX_LINE: usize = 4096;

/// Per-connection state lives in the handler, created and used on the owning loop only.
#[derive(Default)]
struct LineSession {
    lines: u64,
}

impl Handler for LineSession {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        // Take every complete line; a partial one stays in `input` until the rest arrives.
        while let Some(end) = input.iter().position(|&b| b == b'\n') {
            let line = input.split_to(end + 1);
            let text = String::from_utf8_lossy(&line[..end]);
            let text = text.trim_end(); // also drops the '\r' of a "\r\n" ending
            let (cmd, arg) = text.split_once(' ').unwrap_or((text, ""));
            self.lines += 1;
            match cmd {
                "PING" => conn.send(b"PONG\n"),
                "ECHO" => conn.send(format!("{arg}\n").as_bytes()),
                "COUNT" => conn.send(format!("{}\n", self.lines).as_bytes()),
                "QUIT" => {
                    conn.send(b"BYE\n");
                    return conn.shutdown(); // FIN once BYE is out; later sends return false
                }
                _ => conn.send(b"ERR unknown command\n"),
            };
        }
        if input.len() > MAX_LINE {
            conn.send(b"ERR line too long\n");
            conn.shutdown();
            input.clear();
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1);
    let server = TcpServer::builder(addr.as_deref().unwrap_or("127.0.0.1:7004"))
        .loopers(2)
        .idle_timeout(Some(std::time::Duration::from_secs(300))) // closes silent peers
        .start(LineSession::default)?;
    eprintln!("line server on {}; Ctrl-C to stop", server.local_addr());
    loop {
        std::thread::park(); // the server runs on its own threads
    }
}
