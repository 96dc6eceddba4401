//! Beyond echo: a line server that hands work to another thread, to show what an embedding needs
//! besides `on_message` — replies from other threads, timers, backpressure, and shutdown.
//!
//! ```text
//! cargo run --release --example jobs -- [ADDR]
//! nc 127.0.0.1 7005
//! ```
//! Lines: `sum 1 2 3` (added up on a worker thread), `every MS` (a `tick` line every MS
//! milliseconds; `every 0` stops), `blob N` (N bytes: a client that does not read them trips the
//! backpressure), `stats`, `stop` (shuts the whole server down gracefully).

use std::sync::mpsc;
use std::time::Duration;

use bytes::BytesMut;
use kvs::reactor::{CloseReason, Conn, ConnHandle, Handler, TcpServer, TimerId};

/// Pending output at which a connection stops taking requests until its peer reads.
const HIGH_WATER: usize = 1 << 20;

/// Work for the worker thread, and the connection that wants the answer.
struct Job {
    conn: ConnHandle,
    numbers: Vec<i64>,
}

/// The worker: a stand-in for any slow or blocking backend that must not run on a loop.
fn worker(jobs: mpsc::Receiver<Job>) {
    for job in jobs {
        let sum = job.numbers.iter().fold(0i64, |a, &b| a.saturating_add(b));
        // Post the answer to the loop that owns the connection: only that thread touches the
        // socket or the `Session`. `with_handler` finds the session if it is still open.
        let id = job.conn.id();
        job.conn.loop_handle().queue_in_loop(move |el| {
            el.with_handler::<Session, _>(id, |session, conn| {
                session.answered += 1;
                conn.send(format!("= {sum}\n").as_bytes());
            });
        });
        // Without state to update, `job.conn.send(bytes)` alone does the same.
    }
}

struct Session {
    jobs: mpsc::Sender<Job>,
    stop: mpsc::Sender<()>,
    ticker: Option<TimerId>,
    answered: u64,
    pauses: u64,
}

impl Session {
    fn run(&mut self, conn: &mut Conn<'_>, cmd: &str, arg: &str) {
        match cmd {
            "sum" => {
                let numbers = arg.split_whitespace().filter_map(|w| w.parse().ok());
                let job = Job {
                    conn: conn.handle(),
                    numbers: numbers.collect(),
                };
                if self.jobs.send(job).is_err() {
                    conn.send(b"ERR worker gone\n");
                }
                // The answer comes later, from the worker: a reply sent meanwhile (say, to
                // `stats`) overtakes it. kvs-server numbers requests to keep replies in order.
            }
            "every" => {
                if let Some(t) = self.ticker.take() {
                    conn.event_loop().cancel(t);
                }
                let ms = arg.parse().unwrap_or(0);
                if ms > 0 {
                    // A loop timer; it holds the connection's id, not the connection, and looks
                    // it up each time (it may be gone).
                    let id = conn.id();
                    let every = Duration::from_millis(ms);
                    let timer = conn.event_loop().run_every(every, move |el| {
                        if let Some(mut c) = el.connection(id) {
                            c.send(b"tick\n");
                        }
                    });
                    self.ticker = Some(timer);
                }
                conn.send(b"ok\n");
            }
            "blob" => {
                let n = arg.parse().unwrap_or(0).min(64 << 20);
                let mut blob = vec![b'x'; n];
                blob.push(b'\n');
                conn.send(&blob);
            }
            "stats" => {
                let (answered, pauses) = (self.answered, self.pauses);
                conn.send(format!("answered {answered} paused {pauses}\n").as_bytes());
            }
            "stop" => {
                conn.send(b"stopping\n");
                let _ = self.stop.send(()); // main() shuts the server down
            }
            _ => {
                conn.send(b"ERR unknown command\n");
            }
        }
    }
}

impl Handler for Session {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        // Take no more requests while the peer is not reading our replies: the lines stay in
        // `input`, and are offered again once reading resumes.
        while conn.output_len() < HIGH_WATER
            && let Some(end) = input.iter().position(|&b| b == b'\n')
        {
            let line = input.split_to(end + 1);
            let text = String::from_utf8_lossy(&line[..end]);
            let text = text.trim_end();
            let (cmd, arg) = text.split_once(' ').unwrap_or((text, ""));
            self.run(conn, cmd, arg);
        }
    }

    fn on_high_water_mark(&mut self, conn: &mut Conn<'_>, _pending: usize) {
        // Stop reading: the kernel's receive buffer fills and TCP flow control slows the peer.
        self.pauses += 1;
        conn.pause_read();
    }

    fn on_write_complete(&mut self, conn: &mut Conn<'_>) {
        // Output drained: read again (buffered input is offered to `on_message` first).
        if conn.is_read_paused() {
            conn.resume_read();
        }
    }

    fn on_close(&mut self, conn: &mut Conn<'_>, _reason: &CloseReason) {
        if let Some(t) = self.ticker.take() {
            conn.event_loop().cancel(t);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1);
    let (jobs, jobs_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || worker(jobs_rx));
    let (stop, stop_rx) = mpsc::channel();
    let server = TcpServer::builder(addr.as_deref().unwrap_or("127.0.0.1:7005"))
        .loopers(2)
        .high_water_mark(HIGH_WATER)
        .start(move || Session {
            jobs: jobs.clone(),
            stop: stop.clone(),
            ticker: None,
            answered: 0,
            pauses: 0,
        })?;
    let local = server.local_addr();
    eprintln!("jobs server on {local}; send `stop` to end it");
    // A real service waits for SIGTERM here (kvs-server does both).
    let _ = stop_rx.recv();
    // Stop accepting; flush and half-close every connection; force-close whatever is still
    // open after the grace period; join the loopers. The sessions, and with them the last job
    // senders, are dropped, so the worker's loop ends.
    server.shutdown(Duration::from_secs(5));
    worker.join().map_err(|_| "worker panicked")?;
    eprintln!("stopped");
    Ok(())
}
