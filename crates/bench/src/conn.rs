//! One benchmark connection: the [`Handler`] that sends requests, counts replies and records
//! latencies, and the state it shares with the main thread.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use bytes::{Buf, BytesMut};
use kvs_reactor::{CloseReason, Conn, Handler};

use super::phase::{ConnResult, Phase, lock, now_ns};
use super::reply::{self, Scan, scan};
use super::txn::{Frame, Transactions};
use super::workload::{ConnWorkload, DataSpec, TestKind, Wrap, Written};
use crate::request as encode;

/// How far ahead of its scheduled time an open-loop request may be released: the timer tick.
pub(crate) const TICK_NS: u64 = 1_000_000;

/// What every connection of one test shares.
pub(crate) struct TestShared {
    pub kind: TestKind,
    pub spec: DataSpec,
    pub auth: Option<String>,
    pub written: Arc<Written>,
    /// Clients ready to run (handshake done), and those whose handshake failed.
    pub handshake: Mutex<Handshake>,
    pub handshake_cv: Condvar,
    /// Errors seen outside any phase (a connection closed between phases...).
    pub notes: Mutex<Vec<String>>,
    /// The test is over: connections are being closed on purpose.
    pub done: AtomicBool,
}

#[derive(Default)]
pub(crate) struct Handshake {
    pub ready: Vec<usize>,
    pub failed: Vec<(usize, String)>,
}

impl TestShared {
    fn ready(&self, idx: usize) {
        lock(&self.handshake).ready.push(idx);
        self.handshake_cv.notify_all();
    }

    fn failed(&self, idx: usize, why: String) {
        lock(&self.handshake).failed.push((idx, why));
        self.handshake_cv.notify_all();
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the replies to AUTH and to the test's setup commands.
    Handshake,
    Ready,
    Failed,
}

/// A request in flight: when it counts as sent, and its sequence number in this test.
#[derive(Clone, Copy)]
struct Inflight {
    stamp: u64,
    seq: u64,
}

/// The handler of one benchmark connection.
pub(crate) struct BenchConn {
    idx: usize,
    test: Arc<TestShared>,
    work: ConnWorkload,
    state: State,
    phase: Option<Arc<Phase>>,
    pipeline: usize,
    inflight: VecDeque<Inflight>,
    /// `--multi`: which reply of which transaction comes next.
    txns: Option<Transactions>,
    /// Replies the handshake still waits for; the first answers AUTH when `auth_pending`.
    handshake_left: usize,
    auth_pending: bool,
    /// Requests issued in this test so far (across phases): the next request's number.
    seq: u64,
    /// Open loop: next schedule slot, schedule origin and spacing (ns); `interval == 0.0` for
    /// closed loop.
    sched_next: u64,
    sched_origin: u64,
    interval: f64,
    stats: ConnResult,
}

impl BenchConn {
    pub fn new(test: Arc<TestShared>, idx: usize) -> Self {
        let work = ConnWorkload::new(test.kind, idx, &test.spec, &test.written);
        let pipeline = test.spec.pipeline.max(1);
        BenchConn {
            idx,
            work,
            state: State::Handshake,
            phase: None,
            pipeline,
            inflight: VecDeque::with_capacity(pipeline),
            txns: test.spec.multi.then(Transactions::default),
            handshake_left: 0,
            auth_pending: false,
            seq: 0,
            sched_next: 0,
            sched_origin: 0,
            interval: 0.0,
            stats: ConnResult::empty(idx),
            test,
        }
    }

    /// Starts taking part in `phase`; `rank` is this connection's place among its
    /// `phase.conns` (spreads the open-loop schedule evenly).
    pub fn start(&mut self, conn: &mut Conn<'_>, phase: Arc<Phase>, rank: usize) {
        if self.state != State::Ready {
            phase.deliver(ConnResult::lost(self.idx, "connection not ready"));
            return;
        }
        if let Some(rate) = phase.rate {
            // Each connection gets rate / conns; connection `rank` is offset by rank / rate so
            // the requests of all connections interleave evenly.
            let per_request = 1e9 / rate;
            self.interval = per_request * phase.conns.max(1) as f64;
            self.sched_origin = phase.t0 + (per_request * rank as f64) as u64;
            self.sched_next = 0;
        } else {
            self.interval = 0.0;
        }
        self.phase = Some(phase);
        self.pump(conn, now_ns());
    }

    /// Open loop timer: release the requests that fell due. Returns false once this connection
    /// is out of the phase.
    pub fn on_tick(&mut self, conn: &mut Conn<'_>) -> bool {
        if self.phase.is_none() {
            return false;
        }
        self.pump(conn, now_ns());
        self.phase.is_some()
    }

    fn scheduled(&self, slot: u64) -> u64 {
        self.sched_origin + (slot as f64 * self.interval) as u64
    }

    /// Sends what may be sent now, and leaves the phase when it is over and nothing is in
    /// flight.
    fn pump(&mut self, conn: &mut Conn<'_>, now: u64) {
        let Some(phase) = &self.phase else { return };
        let room = self.pipeline - self.inflight.len();
        let open = self.interval > 0.0;
        let want = if !open || room == 0 {
            room
        } else {
            // Slots due up to one tick from now, not yet released.
            let horizon = now + TICK_NS;
            let due = if horizon < self.sched_origin {
                0
            } else {
                ((horizon - self.sched_origin) as f64 / self.interval) as u64 + 1
            };
            due.saturating_sub(self.sched_next).min(room as u64) as usize
        };
        let n = phase.claim(want);
        if n > 0 {
            for i in 0..n as u64 {
                let stamp = if open {
                    // Latency counts from the scheduled time when the request is late (it
                    // queued behind slow replies: coordinated omission corrected), from the
                    // send when it goes out early, within the tick.
                    self.scheduled(self.sched_next + i).min(now)
                } else {
                    now
                };
                self.inflight.push_back(Inflight {
                    stamp,
                    seq: self.seq + i,
                });
            }
            phase.sent.fetch_add(n as u64, Ordering::Relaxed);
            self.sched_next += n as u64;
            // Under --multi the batch is one transaction, whose replies come after its requests.
            if let Some(txns) = &mut self.txns {
                txns.begin(n);
            }
            // One send for the whole batch, unless the requests are big.
            let per_send = self.work.per_send();
            let mut left = n;
            while left > 0 {
                let k = left.min(per_send);
                let wrap = Wrap {
                    begin: left == n,
                    end: left == k,
                };
                let bytes = self.work.requests(self.seq, k, wrap);
                self.seq += k as u64;
                left -= k;
                if !conn.send(bytes) {
                    // The connection is closing; on_close counts what is in flight as dropped.
                    return;
                }
            }
        }
        if self.inflight.is_empty() && phase.over() {
            self.finish();
        }
    }

    /// Leaves the current phase, handing this connection's figures to the main thread.
    fn finish(&mut self) {
        let Some(phase) = self.phase.take() else {
            return;
        };
        self.work.note_written(self.seq, &self.test.written);
        let stats = std::mem::replace(&mut self.stats, ConnResult::empty(self.idx));
        phase.deliver(stats);
    }

    fn note_error(&mut self, msg: impl FnOnce() -> String) {
        self.stats.error_replies += 1;
        self.stats.note(msg);
        if let Some(p) = &self.phase {
            p.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A reply to AUTH or to a setup command. Returns false if it failed the handshake (the
    /// connection is being closed).
    fn handshake_reply(&mut self, conn: &mut Conn<'_>, reply: &[u8], error: bool) -> bool {
        let what = if std::mem::take(&mut self.auth_pending) {
            "AUTH".to_owned()
        } else {
            format!("{} setup", self.test.kind.name())
        };
        if error {
            let text = String::from_utf8_lossy(reply.get(1..).unwrap_or_default());
            self.state = State::Failed;
            self.test
                .failed(self.idx, format!("{what} failed: {}", text.trim_end()));
            conn.force_close();
            return false;
        }
        self.handshake_left = self.handshake_left.saturating_sub(1);
        if self.handshake_left == 0 {
            self.state = State::Ready;
            self.test.ready(self.idx);
        }
        true
    }

    /// The reply to request `req`: an error reply, or checked under `--verify`.
    fn command_reply(&mut self, req: Inflight, reply: &[u8], error: bool, now: u64, record: bool) {
        if error {
            self.note_error(|| String::from_utf8_lossy(reply).trim_end().to_owned());
        } else if let Err(msg) = self.work.check(req.seq, reply) {
            self.stats.mismatches += 1;
            self.stats.note(|| msg);
        }
        self.record_latency(req, now, record);
    }

    fn record_latency(&mut self, req: Inflight, now: u64, record: bool) {
        if record {
            let us = now.saturating_sub(req.stamp) / 1000;
            // `record`, not `saturating_record`: that clamps instead of growing the histogram.
            let _ = self.stats.hist.record(us.max(1));
        }
    }

    /// A reply under `--multi`, answering `frame`. Returns how many requests it completed: a
    /// transaction's requests all complete with EXEC's reply.
    fn txn_reply(
        &mut self,
        frame: Option<Frame>,
        reply: &[u8],
        error: bool,
        now: u64,
        record: bool,
    ) -> u64 {
        match frame {
            Some(Frame::Exec(n)) => {
                self.exec_reply(reply, error, n, now, record);
                n as u64
            }
            Some(frame) => {
                self.control_reply(frame, reply, error);
                0
            }
            None => {
                self.note_error(|| format!("unexpected reply: {}", text(reply)));
                0
            }
        }
    }

    /// The reply to MULTI or to a queued request: `+OK` / `+QUEUED`. An error is only noted,
    /// not counted: it aborts the transaction, and EXEC's error reply counts every request of
    /// it as failed.
    fn control_reply(&mut self, frame: Frame, reply: &[u8], error: bool) {
        if error {
            self.stats
                .note(|| format!("{}: {}", frame.answers(), text(reply)));
        } else if self.work.verifies() && reply != frame.expected() {
            self.stats.mismatches += 1;
            self.stats.note(|| {
                format!(
                    "{} of client {}: expected {}, got {}",
                    frame.answers(),
                    self.idx,
                    text(frame.expected()),
                    text(reply)
                )
            });
        }
    }

    /// EXEC's reply to a transaction of `n` requests: each element of its array is the reply
    /// to one request, checked as if it came alone. Anything else (`EXECABORT`, an error, a
    /// nil or an array of another length) fails all `n` requests.
    fn exec_reply(&mut self, reply: &[u8], error: bool, n: usize, now: u64, record: bool) {
        let mut items = (!error)
            .then(|| reply::array_items(reply))
            .flatten()
            .filter(|items| items.len() == n);
        for _ in 0..n {
            let Some(req) = self.inflight.pop_front() else {
                break;
            };
            match items.as_mut().and_then(Iterator::next) {
                Some((item, item_error)) => self.command_reply(req, item, item_error, now, record),
                None => {
                    self.note_error(|| format!("EXEC of {n} requests answered {}", text(reply)));
                    self.record_latency(req, now, record);
                }
            }
        }
    }
}

/// A reply as printable text, for error samples.
fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).trim_end().to_owned()
}

impl Handler for BenchConn {
    /// Authenticates and sends the test's setup commands, pipelined; the connection is ready
    /// once all of them succeeded.
    fn on_connect(&mut self, conn: &mut Conn<'_>) {
        let mut out = BytesMut::new();
        if let Some(password) = &self.test.auth {
            encode::command(&mut out, &[b"AUTH".as_slice(), password.as_bytes()]);
            self.auth_pending = true;
        }
        let (setup, setup_replies) = self.work.setup();
        out.extend_from_slice(setup);
        self.handshake_left = usize::from(self.auth_pending) + setup_replies;
        if self.handshake_left == 0 {
            self.state = State::Ready;
            self.test.ready(self.idx);
        } else {
            conn.send(&out);
        }
    }

    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        let now = now_ns();
        let record = self.phase.as_ref().is_some_and(|p| p.record);
        let mut pos = 0usize;
        let mut replies = 0u64;
        loop {
            let rest = input.get(pos..).unwrap_or_default();
            let (end, error) = match scan(rest) {
                Scan::Complete { end, error } => (end, error),
                Scan::Incomplete => break,
                Scan::Invalid(why) => {
                    self.note_error(|| format!("protocol error in reply: {why}"));
                    input.clear();
                    conn.force_close();
                    return;
                }
            };
            let reply = rest.get(..end).unwrap_or_default();
            pos += end;
            if self.state == State::Handshake {
                if !self.handshake_reply(conn, reply, error) {
                    input.clear();
                    return;
                }
                continue;
            }
            if let Some(txns) = &mut self.txns {
                let frame = txns.next();
                replies += self.txn_reply(frame, reply, error, now, record);
                continue;
            }
            let Some(req) = self.inflight.pop_front() else {
                self.note_error(|| format!("unexpected reply: {}", text(reply)));
                continue;
            };
            replies += 1;
            self.command_reply(req, reply, error, now, record);
        }
        input.advance(pos);
        if replies > 0 {
            self.stats.completed += replies;
            self.stats.last_reply = now;
            if let Some(p) = &self.phase {
                p.completed.fetch_add(replies, Ordering::Relaxed);
            }
        }
        if self.phase.is_some() {
            self.pump(conn, now);
        }
    }

    fn on_close(&mut self, _conn: &mut Conn<'_>, reason: &CloseReason) {
        let why = match reason {
            CloseReason::Error(e) => format!("connection lost: {e}"),
            CloseReason::Graceful => "connection closed by the server".to_owned(),
            CloseReason::Forced => "connection closed (aborted)".to_owned(),
            CloseReason::IdleTimeout => "connection idle timeout".to_owned(),
            CloseReason::HandlerPanicked => "benchmark handler panicked".to_owned(),
        };
        match self.state {
            State::Handshake => {
                self.state = State::Failed;
                self.test.failed(self.idx, why);
            }
            State::Failed => {}
            State::Ready if self.phase.is_none() => {
                // Between phases; at the end of the test the main thread closes every
                // connection itself.
                if !self.test.done.load(Ordering::Relaxed) {
                    let mut notes = lock(&self.test.notes);
                    notes.append(&mut self.stats.samples);
                    notes.push(why);
                }
            }
            State::Ready => {
                let dropped = self.inflight.len() as u64;
                self.inflight.clear();
                if let Some(txns) = &mut self.txns {
                    txns.clear();
                }
                self.stats.dropped += dropped;
                self.stats.lost = true;
                self.stats.note(|| why);
                self.finish();
            }
        }
    }
}
