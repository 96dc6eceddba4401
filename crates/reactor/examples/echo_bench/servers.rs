//! The servers under test, each in a child process (kvs-reactor and tokio echo servers), and the CPU-time readings.

use super::*;

/// The kvs-reactor echo: send back everything received (the same work as the tokio loop below).
pub(crate) struct Echo;

impl Handler for Echo {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        conn.send(input);
        input.clear();
    }
}

pub(crate) fn serve(kind: ServeKind, threads: usize) -> BoxResult<()> {
    let grace = Duration::from_secs(1);
    match kind {
        ServeKind::Kvs => {
            let builder = TcpServer::builder("127.0.0.1:0").loopers(threads);
            let server = builder.nodelay(true).start(|| Echo)?;
            announce_and_wait(server.local_addr())?;
            server.shutdown(grace);
        }
        ServeKind::Tokio => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            let rt = builder.worker_threads(threads).enable_all().build()?;
            let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
            let addr = listener.local_addr()?;
            rt.spawn(tokio_accept_loop(listener));
            announce_and_wait(addr)?;
            rt.shutdown_timeout(grace);
        }
    }
    Ok(())
}

/// Tells the parent our port, then serves until it closes our stdin (or dies).
pub(crate) fn announce_and_wait(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{}", addr.port())?;
    out.flush()?;
    io::copy(&mut io::stdin().lock(), &mut io::sink()).map(drop)
}

/// The idiomatic tokio echo server: accept loop, one task per connection.
async fn tokio_accept_loop(listener: tokio::net::TcpListener) {
    loop {
        match listener.accept().await {
            Ok((sock, _)) => drop(tokio::spawn(tokio_echo(sock))),
            Err(e) => {
                eprintln!("tokio server: accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn tokio_echo(mut sock: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    if let Err(e) = sock.set_nodelay(true) {
        return report_server_error(&e);
    }
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => return report_server_error(&e),
        };
        if let Err(e) = sock.write_all(&buf[..n]).await {
            return report_server_error(&e);
        }
    }
}

pub(crate) fn report_server_error(e: &io::Error) {
    // Resets and broken pipes are expected when the load generator drops its connections at the
    // end of a round; anything else is worth seeing.
    use io::ErrorKind::{BrokenPipe, ConnectionReset};
    if !matches!(e.kind(), ConnectionReset | BrokenPipe) {
        eprintln!("tokio server: connection error: {e}");
    }
}

/// A server child process. [`stop`](Self::stop) closes its stdin and waits for a clean exit;
/// dropping it while it still runs (an error path) kills it. Either way it is waited for.
pub(crate) struct ServerProc(pub(crate) Child);

impl ServerProc {
    /// Starts `--serve kind` and returns it with the port it listens on.
    pub(crate) fn spawn(kind: &str, threads: usize) -> BoxResult<(ServerProc, u16)> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--serve", kind, "--threads", &threads.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take();
        let proc = ServerProc(child);
        let stdout = stdout.ok_or("child has no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = tx.send(BufReader::new(stdout).read_line(&mut line).map(|_| line));
        });
        let timeout = Duration::from_secs(10);
        let line = rx
            .recv_timeout(timeout)
            .map_err(|_| format!("{kind} server: no port"))??;
        let port = line
            .trim()
            .parse()
            .map_err(|_| format!("{kind} server printed {line:?}"))?;
        Ok((proc, port))
    }

    /// Closes stdin, waits up to 3 s for a clean exit, else kills. Returns the exit status.
    pub(crate) fn stop(&mut self) -> io::Result<ExitStatus> {
        drop(self.0.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Some(status) = self.0.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!(
            "server pid {} ignored stdin EOF for 3 s; killing it",
            self.0.id()
        );
        self.0.kill()?;
        self.0.wait()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(Some(_))) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// CPU seconds (user + system) used so far by a process or thread, from `/proc/<...>/stat`;
/// NaN if unavailable.
pub(crate) fn cpu_secs(stat_path: &str) -> f64 {
    let read = || {
        let stat = std::fs::read_to_string(stat_path).ok()?;
        // After "(comm)" come the fields from 3 (state) on; utime is field 14, stime 15.
        let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        Some((ticks(11)? + ticks(12)?) / TICKS_PER_SEC)
    };
    read().unwrap_or(f64::NAN)
}

/// CPU seconds all cores spent busy so far (all but idle and iowait), from `/proc/stat`; NaN if
/// unavailable.
pub(crate) fn system_busy_secs() -> f64 {
    let read = || {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().next()?.split_whitespace().skip(1);
        let ticks: Vec<f64> = line.map_while(|t| t.parse().ok()).collect();
        Some((ticks.iter().sum::<f64>() - ticks.get(3)? - ticks.get(4)?) / TICKS_PER_SEC)
    };
    read().unwrap_or(f64::NAN)
}
