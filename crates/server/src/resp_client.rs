//! A small blocking RESP client: what `kvs-client` speaks, and what the tests use when they need
//! raw control over the bytes on the wire.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A decoded reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+...`
    Simple(String),
    /// `-...`
    Error(String),
    /// `:n`
    Int(i64),
    /// `$n` (None for a null bulk) — also RESP3 verbatim strings.
    Bulk(Option<Vec<u8>>),
    /// `*n`, `~n`, `%n` (maps flattened), `>n` (None for a null array)
    Array(Option<Vec<Reply>>),
    /// RESP3 `_`
    Null,
    /// RESP3 `,` double, `#` boolean and `(` big number, as their text.
    Other(String),
}

impl Reply {
    /// The bytes of a bulk or simple string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Bulk(Some(b)) => Some(b),
            Reply::Simple(s) | Reply::Other(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
}

/// A connection to a RESP server.
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

/// Encodes a command as a RESP multibulk.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Client {
    /// Connects, with `timeout` for connect, reads and writes.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Client> {
        let s = TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.set_write_timeout(Some(timeout))?;
        s.set_nodelay(true)?;
        Ok(Client {
            reader: BufReader::new(s.try_clone()?),
            writer: s,
        })
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Sends a command and reads its reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> io::Result<Reply> {
        self.send_raw(&encode_command(args))?;
        self.read_reply()
    }

    /// Reads one reply.
    pub fn read_reply(&mut self) -> io::Result<Reply> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line)?;
        if line.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let text =
            String::from_utf8_lossy(line.strip_suffix(b"\r\n").unwrap_or(&line)).into_owned();
        let (kind, rest) = text.split_at(1.min(text.len()));
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad reply line {text:?}"),
            )
        };
        let len = || rest.parse::<i64>().map_err(|_| bad());
        Ok(match kind {
            "+" => Reply::Simple(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(len()?),
            "_" => Reply::Null,
            "," | "#" | "(" => Reply::Other(rest.into()),
            "$" | "=" => {
                let n = len()?;
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut buf = vec![0u8; n as usize + 2];
                    self.reader.read_exact(&mut buf)?;
                    buf.truncate(n as usize);
                    Reply::Bulk(Some(buf))
                }
            }
            "*" | "~" | ">" | "%" => {
                let n = len()?;
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let n = if kind == "%" { 2 * n } else { n };
                    let items = (0..n)
                        .map(|_| self.read_reply())
                        .collect::<io::Result<Vec<_>>>()?;
                    Reply::Array(Some(items))
                }
            }
            _ => return Err(bad()),
        })
    }
}
