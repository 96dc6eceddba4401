//! The load generator: one thread, one `mio::Poll`, plain non-blocking sockets.

use super::*;

//
// One thread, one `mio::Poll`, plain non-blocking sockets: per request one `write`, one `read` (a
// short read proves the socket drained, so no second read just to see `WouldBlock`) and a share
// of an `epoll_wait`, with no allocation, locking or dynamic dispatch. That is about the least a
// client can do; it is identical whichever server is on the other end, and it stays out of
// kvs-reactor, so a reactor flaw shows up on the server side only instead of on both (as it
// would with `TcpClient`). With 2 cores and `--threads 1` it takes the core the server does not;
// its CPU use is printed, so a client-bound run is visible.

/// Error kinds, indexing [`Errors`].
pub(crate) const CONNECT: usize = 0;
pub(crate) const CLOSED: usize = 1;
pub(crate) const IO: usize = 2;
pub(crate) const MISMATCH: usize = 3;
pub(crate) const EXCESS: usize = 4;
pub(crate) const STALLED: usize = 5;
pub(crate) const SERVER_EXIT: usize = 6;
pub(crate) const ERROR_NAMES: &str =
    "connect,closed by server,i/o,wrong echo,extra bytes,unanswered > 1 s,server exit";
pub(crate) type Errors = [u64; 7];

pub(crate) fn describe(errors: &Errors) -> String {
    let named = errors
        .iter()
        .zip(ERROR_NAMES.split(','))
        .filter(|(n, _)| **n > 0);
    let list: Vec<String> = named.map(|(n, name)| format!("{n} {name}")).collect();
    if list.is_empty() {
        "0".into()
    } else {
        format!("{} ({})", errors.iter().sum::<u64>(), list.join(", "))
    }
}

pub(crate) struct Client {
    pub(crate) stream: MioStream,
    pub(crate) token: Token,
    pub(crate) out: Vec<u8>,
    pub(crate) written: usize,
    /// Twice the message size, so extra bytes from the server are seen, not left unread.
    pub(crate) buf: Vec<u8>,
    pub(crate) got: usize,
    pub(crate) sent_at: Instant,
    pub(crate) seq: usize,
    pub(crate) want_write: bool,
    pub(crate) alive: bool,
}

impl Client {
    /// Starts the next request: a new payload (so a stale or misrouted echo is caught), written.
    pub(crate) fn send_next(&mut self, poll: &Poll) -> Result<(), usize> {
        self.seq += 1;
        let seed = self.seq.wrapping_mul(131).wrapping_add(self.token.0 * 7);
        for (i, b) in self.out.iter_mut().enumerate() {
            *b = seed.wrapping_add(i) as u8;
        }
        (self.written, self.got, self.sent_at) = (0, 0, Instant::now());
        self.flush(poll)
    }

    pub(crate) fn flush(&mut self, poll: &Poll) -> Result<(), usize> {
        while self.written < self.out.len() {
            match self.stream.write(&self.out[self.written..]) {
                Ok(0) => return Err(IO),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return self.interest(poll, true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(IO),
            }
        }
        self.interest(poll, false)
    }

    /// WRITABLE interest only while a request is partly written (practically never).
    pub(crate) fn interest(&mut self, poll: &Poll, writable: bool) -> Result<(), usize> {
        if self.want_write != writable {
            self.want_write = writable;
            let i = if writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            poll.registry()
                .reregister(&mut self.stream, self.token, i)
                .map_err(|_| IO)?;
        }
        Ok(())
    }

    /// Reads what arrived; returns (completion time, round-trip time) once the whole echo is in.
    pub(crate) fn on_readable(
        &mut self,
        read_closed: bool,
    ) -> Result<Option<(Instant, Duration)>, usize> {
        loop {
            let room = self.buf.len() - self.got;
            match self.stream.read(&mut self.buf[self.got..]) {
                Ok(0) => return Err(CLOSED),
                Ok(n) => {
                    self.got += n;
                    if self.got > self.out.len() {
                        return Err(EXCESS);
                    }
                    if n < room && !read_closed {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(IO),
            }
        }
        if self.got < self.out.len() {
            return Ok(None);
        }
        let now = Instant::now();
        if self.buf[..self.got] != self.out[..] {
            return Err(MISMATCH);
        }
        Ok(Some((now, now - self.sent_at)))
    }

    pub(crate) fn fail(&mut self, kind: usize, errors: &mut Errors, poll: &Poll) {
        self.alive = false;
        let _ = poll.registry().deregister(&mut self.stream);
        errors[kind] += 1;
    }
}

/// Indices into [`RoundResult::v`] (and the JSON field names).
pub(crate) const RPS: usize = 0;
pub(crate) const P50: usize = 1;
pub(crate) const P99: usize = 2;
pub(crate) const CPU_PER_REQ: usize = 5;
pub(crate) const FIELDS: &str = "req_per_s p50_us p99_us p999_us max_us \
                      server_cpu_us_per_req server_cpu_pct client_cpu_pct other_cpu_pct";

pub(crate) struct RoundResult {
    pub(crate) kind: &'static str,
    pub(crate) requests: u64,
    pub(crate) errors: Errors,
    /// The figures named by [`FIELDS`]; NaN where unavailable.
    pub(crate) v: [f64; 9],
}

/// Runs the closed loop against `port` for warmup + duration; `server_pid` is sampled for CPU.
pub(crate) fn run_load(port: u16, o: &Opts, server_pid: u32) -> BoxResult<RoundResult> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut errors: Errors = [0; 7];
    let mut clients = Vec::with_capacity(o.conns);
    let registry = poll.registry();
    for _ in 0..o.conns {
        let s = match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("connect {addr}: {e}");
                errors[CONNECT] += 1;
                continue;
            }
        };
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
        let (mut stream, token) = (MioStream::from_std(s), Token(clients.len()));
        registry.register(&mut stream, token, Interest::READABLE)?;
        let (out, buf, sent_at) = (vec![0; o.size], vec![0; 2 * o.size], Instant::now());
        let (written, got, seq, want_write, alive) = (0, 0, 0, false, true);
        clients.push(Client {
            stream,
            token,
            out,
            written,
            buf,
            got,
            sent_at,
            seq,
            want_write,
            alive,
        });
    }
    for c in clients.iter_mut() {
        if let Err(kind) = c.send_next(&poll) {
            c.fail(kind, &mut errors, &poll);
        }
    }

    let mut hist = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let mut completed = 0u64;
    let measure_from = Instant::now() + o.warmup;
    let end = measure_from + o.duration;
    let (server, me) = (format!("/proc/{server_pid}/stat"), "/proc/thread-self/stat");
    let sample = || [cpu_secs(&server), cpu_secs(me), system_busy_secs()];
    let mut sample0 = None;
    loop {
        let now = Instant::now();
        if now >= end || clients.iter().all(|c| !c.alive) {
            break;
        }
        if sample0.is_none() && now >= measure_from {
            sample0 = Some((now, sample()));
        }
        let timeout = if now < measure_from {
            measure_from
        } else {
            end
        } - now;
        if let Err(e) = poll.poll(&mut events, Some(timeout)) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        for ev in events.iter() {
            let Some(c) = clients.get_mut(ev.token().0).filter(|c| c.alive) else {
                continue;
            };
            let mut result = Ok(());
            if ev.is_writable() && c.want_write {
                result = c.flush(&poll);
            }
            if result.is_ok() && (ev.is_readable() || ev.is_read_closed() || ev.is_error()) {
                result = match c.on_readable(ev.is_read_closed()) {
                    Ok(Some((done, rtt))) => {
                        if done >= measure_from && done < end {
                            completed += 1;
                            hist.saturating_record(rtt.as_nanos().max(1) as u64);
                        }
                        c.send_next(&poll)
                    }
                    Ok(None) => Ok(()),
                    Err(kind) => Err(kind),
                };
            }
            if let Err(kind) = result {
                c.fail(kind, &mut errors, &poll);
            }
        }
    }
    let now = Instant::now();
    let stalled = |c: &&Client| c.alive && now - c.sent_at > STALL;
    errors[STALLED] = clients.iter().filter(stalled).count() as u64;

    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    let rps = completed as f64 / o.duration.as_secs_f64();
    let mut v = [f64::NAN; 9];
    v[..5].copy_from_slice(&[rps, q(0.5), q(0.99), q(0.999), q(1.0)]);
    if let Some((t0, s0)) = sample0 {
        let (wall, s1) = ((now - t0).as_secs_f64(), sample());
        let pct = |i: usize| (s1[i] - s0[i]) / wall * 100.0;
        let (server, client) = (pct(0), pct(1));
        // Everything else that ran meanwhile: other processes, interrupt time not charged to ours.
        v[6..9].copy_from_slice(&[server, client, pct(2) - server - client]);
        // CPU per request, with the sampled interval scaled to the measurement window.
        v[CPU_PER_REQ] = server / 100.0 * o.duration.as_secs_f64() / completed.max(1) as f64 * 1e6;
    }
    Ok(RoundResult {
        kind: "",
        requests: completed,
        errors,
        v,
    })
}
