//! The acceptor thread: its own `Poll` with only the listening socket, accepting until
//! `WouldBlock` and handing each stream to a looper (Muduo's `Acceptor` on the base loop).

use std::fs::File;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::connection::{CloseHook, ConnOptions};
use crate::handler::HandlerFactory;
use crate::limit::ConnectionLimit;
use crate::loop_handle::LoopHandle;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
/// How long to wait before accepting again when the process is out of file descriptors and the
/// spare descriptor could not be recovered.
const FD_EXHAUSTED_BACKOFF: Duration = Duration::from_millis(100);

/// Chooses the looper for each accepted connection. Runs on the acceptor thread.
pub trait LooperSelector: Send + 'static {
    /// Returns an index in `0..loopers` for a connection from `peer`.
    fn select(&mut self, peer: &SocketAddr, loopers: usize) -> usize;
}

/// The default selector: loopers in turn.
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: usize,
}

impl LooperSelector for RoundRobin {
    fn select(&mut self, _peer: &SocketAddr, loopers: usize) -> usize {
        let i = self.next % loopers;
        self.next = self.next.wrapping_add(1);
        i
    }
}

/// Writes a last word to a connection refused for being over `max_connections`, e.g. Redis'
/// `-ERR max number of clients reached\r\n`. The socket is non-blocking and closed right after.
pub type RejectHook = Arc<dyn Fn(&mut dyn Write) + Send + Sync>;

pub(crate) struct AcceptorConfig {
    pub(crate) listener: TcpListener,
    pub(crate) loopers: Vec<LoopHandle>,
    pub(crate) selector: Box<dyn LooperSelector>,
    pub(crate) factory: Arc<dyn HandlerFactory>,
    pub(crate) conn_opts: Arc<ConnOptions>,
    pub(crate) max_connections: ConnectionLimit,
    pub(crate) on_reject: Option<RejectHook>,
    pub(crate) active: Arc<AtomicUsize>,
    pub(crate) rejected: Arc<AtomicU64>,
}

pub(crate) struct AcceptorThread {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    join: Option<JoinHandle<()>>,
}

impl AcceptorThread {
    pub(crate) fn spawn(mut cfg: AcceptorConfig, name: String) -> io::Result<AcceptorThread> {
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut cfg.listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let join = std::thread::Builder::new()
            .name(name)
            .spawn(move || run(poll, cfg, stop2))?;
        Ok(AcceptorThread {
            stop,
            waker,
            join: Some(join),
        })
    }

    /// Stops accepting, closes the listening socket, and joins the thread.
    pub(crate) fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.waker.wake();
        if let Some(j) = self.join.take()
            && j.join().is_err()
        {
            tracing::error!("acceptor thread panicked");
        }
    }
}

impl Drop for AcceptorThread {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(mut poll: Poll, mut cfg: AcceptorConfig, stop: Arc<AtomicBool>) {
    let mut events = Events::with_capacity(16);
    // Muduo's trick for EMFILE: hold one spare descriptor; when accept fails for lack of
    // descriptors, free it, accept the pending connection and close it at once, and take the spare
    // back. Without it the pending connection stays in the backlog, the edge-triggered listener
    // never fires again for it, and a level-triggered one would spin.
    let mut spare = File::open("/dev/null").ok();
    let mut backoff: Option<Duration> = None;
    let mut batches: Vec<Vec<(TcpStream, SocketAddr)>> =
        (0..cfg.loopers.len()).map(|_| Vec::new()).collect();
    loop {
        if let Err(e) = poll.poll(&mut events, backoff)
            && e.kind() != io::ErrorKind::Interrupted
        {
            tracing::error!(error = %e, "acceptor poll failed; acceptor stops");
            return;
        }
        if stop.load(Ordering::Acquire) {
            tracing::debug!("acceptor stopping");
            return;
        }
        backoff = accept_all(&mut cfg, &mut spare, &mut batches);
        for (i, batch) in batches.iter_mut().enumerate() {
            if batch.is_empty() {
                continue;
            }
            let batch = std::mem::take(batch);
            let factory = cfg.factory.clone();
            let opts = cfg.conn_opts.clone();
            let active = cfg.active.clone();
            // One functor (and at most one wake-up) per looper per accept burst.
            cfg.loopers[i].queue_in_loop(move |el| {
                for (stream, peer) in batch {
                    // A panicking factory costs this connection only (a panic in `on_connect` is
                    // caught inside `adopt`, which then closes the connection itself).
                    let adopted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let handler = factory.create();
                        // The server's count drops when the connection closes.
                        let count = active.clone();
                        let on_close: CloseHook = Box::new(move |_| {
                            count.fetch_sub(1, Ordering::AcqRel);
                        });
                        el.adopt(stream, Some(peer), handler, opts.clone(), Some(on_close))
                    }));
                    match adopted {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => {
                            active.fetch_sub(1, Ordering::AcqRel);
                            tracing::warn!(peer = %peer, error = %e, "could not register accepted connection");
                        }
                        Err(p) => {
                            active.fetch_sub(1, Ordering::AcqRel);
                            tracing::error!(
                                peer = %peer,
                                panic = crate::event_loop::panic_message(&*p),
                                "the handler factory panicked; connection dropped"
                            );
                        }
                    }
                }
            });
        }
    }
}

/// Accepts until `WouldBlock`. Returns a poll timeout when it had to back off.
fn accept_all(
    cfg: &mut AcceptorConfig,
    spare: &mut Option<File>,
    batches: &mut [Vec<(TcpStream, SocketAddr)>],
) -> Option<Duration> {
    loop {
        match cfg.listener.accept() {
            Ok((mut stream, peer)) => {
                if let Some(max) = cfg.max_connections.get()
                    && cfg.active.load(Ordering::Acquire) >= max
                {
                    cfg.rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(peer = %peer, max, "connection limit reached; rejecting");
                    if let Some(hook) = &cfg.on_reject {
                        hook(&mut stream);
                    }
                    continue; // dropping `stream` closes it
                }
                cfg.active.fetch_add(1, Ordering::AcqRel);
                let i = cfg
                    .selector
                    .select(&peer, batches.len())
                    .min(batches.len() - 1);
                batches[i].push((stream, peer));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                tracing::warn!(error = %e, "out of file descriptors; shedding a pending connection");
                match spare.take() {
                    Some(f) => {
                        drop(f);
                        // Linux reserves the descriptor before looking for a pending connection,
                        // so at the limit accept() says EMFILE even with an empty backlog: only
                        // this accept, made with a free descriptor, tells whether any is pending.
                        let drained = match cfg.listener.accept() {
                            Ok((_closed_on_drop, peer)) => {
                                tracing::debug!(peer = %peer, "shed a connection: out of descriptors");
                                false
                            }
                            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
                        };
                        *spare = File::open("/dev/null").ok();
                        if drained {
                            return None;
                        }
                    }
                    None => {
                        *spare = File::open("/dev/null").ok();
                        return Some(FD_EXHAUSTED_BACKOFF);
                    }
                }
            }
            // The peer gave up before we accepted, or a transient network error: keep going.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ECONNABORTED) | Some(libc::EPROTO) | Some(libc::EPERM)
                ) =>
            {
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "accept failed; backing off");
                return Some(FD_EXHAUSTED_BACKOFF);
            }
        }
    }
}
