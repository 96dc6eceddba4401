//! One phase of a test (the warm-up or the measurement) as the connections and the main thread
//! share it: the request budget, the stop flag, progress counters, and each connection's
//! figures ([`ConnResult`]) with its latency histogram.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use hdrhistogram::Histogram;

/// Latency a connection's histogram covers from the start, in microseconds; it grows on demand
/// (auto-resize), so a connection costs ~20 KiB until its latencies pass 10 ms.
const INITIAL_MAX_LATENCY_US: u64 = 10_000;
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
    pub(crate) fn claim(&self, want: usize) -> usize {
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
    pub(crate) fn over(&self) -> bool {
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
    pub(crate) fn empty(idx: usize) -> Self {
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

    pub(crate) fn note(&mut self, msg: impl FnOnce() -> String) {
        if self.samples.len() < MAX_ERROR_SAMPLES {
            self.samples.push(msg());
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
