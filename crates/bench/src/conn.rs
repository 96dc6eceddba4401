//! One benchmark connection: the [`Handler`] that sends requests, counts replies and records
//! latencies, and the state it shares with the main thread.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use bytes::{Buf, BytesMut};
use hdrhistogram::Histogram;
use kvs_reactor::{CloseReason, Conn, Handler};

use super::reply::{Scan, scan};
use super::workload::{ConnWorkload, DataSpec, TestKind, Written};
use crate::request as encode;

/// Latency a connection's histogram covers from the start, in microseconds; it grows on demand
/// (auto-resize), so a connection costs ~20 KiB until its latencies pass 10 ms.
const INITIAL_MAX_LATENCY_US: u64 = 10_000;
/// How far ahead of its scheduled time an open-loop request may be released: the timer tick.
pub(crate) const TICK_NS: u64 = 1_000_000;
/// Error texts kept per connection and phase.
const MAX_ERROR_SAMPLES: usize = 3;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the first call in this process: a cheap monotonic clock.
pub(crate) fn now_ns() -> u64 {
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// A connection's latency histogram: microseconds, 3 significant figures (1 µs resolution up
/// to 2 ms), growing as needed. `u32` counts: one connection never sends 4 billion requests
/// in one phase, and it halves the memory of thousands of connections.
pub(crate) fn new_histogram() -> Histogram<u32> {
    let mut h =
        Histogram::new_with_bounds(1, INITIAL_MAX_LATENCY_US, 3).expect("valid histogram bounds");
    h.auto(true);
    h
}

/// The histogram all connections' histograms are merged into.
pub(crate) fn new_total_histogram() -> Histogram<u64> {
    let mut h =
        Histogram::new_with_bounds(1, INITIAL_MAX_LATENCY_US, 3).expect("valid histogram bounds");
    h.auto(true);
    h
}

/// Adds a connection's histogram to the total (same precision, so each bucket lands in the
/// same bucket).
pub(crate) fn merge_into(total: &mut Histogram<u64>, h: &Histogram<u32>) {
    for v in h.iter_recorded() {
        let _ = total.record_n(v.value_iterated_to(), u64::from(v.count_at_value()));
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

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

/// One timed run of a test over all its connections: the warm-up or the measurement.
pub(crate) struct Phase {
    /// Record latencies (false while warming up).
    pub record: bool,
    /// Total requests to issue (`-n`), or `None` to run until `stop`.
    pub limit: Option<u64>,
    /// Requests claimed so far (may overshoot `limit`; claims are clamped).
    pub issued: AtomicU64,
    /// Set by the main thread when the duration is over or the run is aborted.
    pub stop: AtomicBool,
    /// Requests sent and replies received so far, for progress and stall detection.
    pub sent: AtomicU64,
    pub completed: AtomicU64,
    pub errors: AtomicU64,
    /// Start of the phase, in [`now_ns`] time.
    pub t0: u64,
    /// Open loop: total requests per second over all connections.
    pub rate: Option<f64>,
    /// Connections taking part (the rate is spread over them).
    pub conns: usize,
    results: Mutex<Vec<ConnResult>>,
    results_cv: Condvar,
}

impl Phase {
    pub fn new(record: bool, limit: Option<u64>, rate: Option<f64>, conns: usize) -> Self {
        Phase {
            record,
            limit,
            issued: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            completed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            t0: now_ns(),
            rate,
            conns,
            results: Mutex::new(Vec::new()),
            results_cv: Condvar::new(),
        }
    }

    /// Claims up to `want` requests: how many may be sent.
    fn claim(&self, want: usize) -> usize {
        if want == 0 || self.stop.load(Ordering::Relaxed) {
            return 0;
        }
        let Some(limit) = self.limit else {
            return want;
        };
        let before = self.issued.fetch_add(want as u64, Ordering::Relaxed);
        limit.saturating_sub(before).min(want as u64) as usize
    }

    /// No more requests will be claimed.
    fn over(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self
                .limit
                .is_some_and(|n| self.issued.load(Ordering::Relaxed) >= n)
    }

    /// A connection is done with this phase.
    pub fn deliver(&self, r: ConnResult) {
        lock(&self.results).push(r);
        self.results_cv.notify_all();
    }

    /// Waits up to `timeout` for `n` results; returns how many there are.
    pub fn wait_results(&self, n: usize, timeout: std::time::Duration) -> usize {
        let g = lock(&self.results);
        if g.len() >= n {
            return g.len();
        }
        let (g, _) = self
            .results_cv
            .wait_timeout(g, timeout)
            .unwrap_or_else(PoisonError::into_inner);
        g.len()
    }

    pub fn take_results(&self) -> Vec<ConnResult> {
        std::mem::take(&mut *lock(&self.results))
    }
}

/// One connection's figures for one phase.
pub(crate) struct ConnResult {
    pub idx: usize,
    /// Replies received (error replies included).
    pub completed: u64,
    /// Error replies (`-ERR ...`), unexpected replies, protocol errors.
    pub error_replies: u64,
    /// Requests sent that never got a reply (the connection closed).
    pub dropped: u64,
    /// `--verify` mismatches.
    pub mismatches: u64,
    /// The connection was lost during the phase (or before it started).
    pub lost: bool,
    pub samples: Vec<String>,
    pub hist: Histogram<u32>,
    /// When its last reply arrived ([`now_ns`] time), 0 if none.
    pub last_reply: u64,
}

impl ConnResult {
    fn empty(idx: usize) -> Self {
        ConnResult {
            idx,
            completed: 0,
            error_replies: 0,
            dropped: 0,
            mismatches: 0,
            lost: false,
            samples: Vec::new(),
            hist: new_histogram(),
            last_reply: 0,
        }
    }

    /// For a connection that was gone before the phase could start on it.
    pub fn lost(idx: usize, why: &str) -> Self {
        let mut r = ConnResult::empty(idx);
        r.lost = true;
        r.samples.push(why.to_owned());
        r
    }

    fn note(&mut self, msg: impl FnOnce() -> String) {
        if self.samples.len() < MAX_ERROR_SAMPLES {
            self.samples.push(msg());
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the AUTH reply.
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
            // One send for the whole batch, unless the requests are big.
            let per_send = self.work.per_send();
            let mut left = n;
            while left > 0 {
                let k = left.min(per_send);
                let bytes = self.work.requests(self.seq, k);
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

    fn handshake_reply(&mut self, conn: &mut Conn<'_>, reply: &[u8], error: bool) {
        if error {
            let text = String::from_utf8_lossy(reply.get(1..).unwrap_or_default());
            self.state = State::Failed;
            self.test
                .failed(self.idx, format!("AUTH failed: {}", text.trim_end()));
            conn.force_close();
        } else {
            self.state = State::Ready;
            self.test.ready(self.idx);
        }
    }
}

impl Handler for BenchConn {
    fn on_connect(&mut self, conn: &mut Conn<'_>) {
        match &self.test.auth {
            Some(password) => {
                let mut out = BytesMut::new();
                encode::command(&mut out, &[b"AUTH".as_slice(), password.as_bytes()]);
                conn.send(&out);
            }
            None => {
                self.state = State::Ready;
                self.test.ready(self.idx);
            }
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
                self.handshake_reply(conn, reply, error);
                continue;
            }
            let Some(req) = self.inflight.pop_front() else {
                self.note_error(|| {
                    format!(
                        "unexpected reply: {}",
                        String::from_utf8_lossy(reply).trim_end()
                    )
                });
                continue;
            };
            replies += 1;
            if error {
                self.note_error(|| String::from_utf8_lossy(reply).trim_end().to_owned());
            } else if let Err(msg) = self.work.check(req.seq, reply) {
                self.stats.mismatches += 1;
                self.stats.note(|| msg);
            }
            if record {
                let us = now.saturating_sub(req.stamp) / 1000;
                // `record`, not `saturating_record`: that clamps instead of growing the histogram.
                let _ = self.stats.hist.record(us.max(1));
            }
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
                self.stats.dropped += dropped;
                self.stats.lost = true;
                self.stats.note(|| why);
                self.finish();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_grow_past_their_initial_range_and_merge() {
        let mut a = new_histogram();
        let mut b = new_histogram();
        a.record(191).unwrap();
        b.record(5_000_000).unwrap(); // 5 s: far past the initial 10 ms
        let mut total = new_total_histogram();
        merge_into(&mut total, &a);
        merge_into(&mut total, &b);
        assert_eq!(total.len(), 2);
        assert_eq!(total.min(), 191);
        assert!(total.max().abs_diff(5_000_000) <= 5_000, "{}", total.max());
    }

    #[test]
    fn claims_respect_the_limit() {
        let p = Phase::new(true, Some(10), None, 1);
        assert_eq!(p.claim(4), 4);
        assert_eq!(p.claim(4), 4);
        assert!(!p.over());
        assert_eq!(p.claim(4), 2);
        assert!(p.over());
        assert_eq!(p.claim(4), 0);
        let q = Phase::new(true, None, None, 1);
        assert_eq!(q.claim(7), 7);
        q.stop.store(true, Ordering::Relaxed);
        assert_eq!(q.claim(7), 0);
        assert!(q.over());
    }
}
