//! Giving freed heap memory back to the operating system, every few seconds.
//!
//! glibc's malloc keeps what the program frees: only memory at the very top of a heap goes
//! back by itself. A server that has just absorbed a burst (a big pipeline, a bulk load through
//! `redis-cli --pipe`) is left holding tens of MB of free chunks between live index entries.
//! jemalloc, which Redis ships, purges such pages in the background; glibc has
//! `malloc_trim(0)`, which returns every whole free page of every arena (`madvise(DONTNEED)`).
//! One thread calls it every [`TRIM_INTERVAL`]: it walks the free lists (a few ms on a heap of
//! a few hundred MB) off the loopers and storage threads, so no request waits for it.
//!
//! `malloc_trim` does not reach one thing: the free *top* of a thread's arena (every thread
//! but the main one allocates from its own), which glibc gives back only when a `free` leaves
//! it larger than the trim threshold — and that threshold grows by itself (up to 64 MB) after
//! large blocks are freed. Measured after a 1 M-key `redis-cli --pipe` load: the looper's
//! arena kept 37 MB resident with 14 KB in use. [`fix_malloc_thresholds`] pins the threshold.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the heap is trimmed.
pub const TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// The trimming thread; stops (and is joined) when dropped.
pub(crate) struct HeapTrimmer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl HeapTrimmer {
    /// Starts the thread (on glibc; elsewhere there is nothing to do and no thread).
    pub(crate) fn start(every: Duration) -> HeapTrimmer {
        fix_malloc_thresholds();
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread = if cfg!(all(target_os = "linux", target_env = "gnu")) {
            let s = stop.clone();
            std::thread::Builder::new()
                .name("kvs-heap-trim".into())
                .spawn(move || run(&s, every))
                .map_err(|e| tracing::warn!(error = %e, "could not start the heap trimmer"))
                .ok()
        } else {
            None
        };
        HeapTrimmer { stop, thread }
    }
}

impl HeapTrimmer {
    /// Trims the heap now, on the calling thread (after opening the store: recovery's
    /// transient buffers would otherwise stay resident until the first tick). A few ms.
    pub(crate) fn trim_now(&self) {
        trim();
    }
}

fn run(stop: &(Mutex<bool>, Condvar), every: Duration) {
    let (lock, cv) = stop;
    let mut stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        stopped = cv
            .wait_timeout(stopped, every)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        if *stopped {
            return;
        }
        trim();
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only returns free memory to the kernel; it is thread-safe (it takes
    // each arena's lock in turn).
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

/// A free arena top larger than this is given back by the `free` that leaves it.
pub const TRIM_THRESHOLD: usize = 2 << 20;

/// Pins glibc's trim threshold at [`TRIM_THRESHOLD`] (see the module docs). As a side effect
/// glibc stops adjusting the mmap threshold too, which stays at its default (128 KiB): larger
/// blocks are mapped and unmapped by themselves. Called when the trimmer starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_malloc_thresholds() {
    // SAFETY: mallopt only changes malloc's tuning parameters; it takes the main arena's lock.
    let ok = unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) };
    if ok != 1 {
        tracing::warn!("mallopt(M_TRIM_THRESHOLD) failed; freed memory may stay resident");
    }
}

/// Not glibc: nothing to pin.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_malloc_thresholds() {}

impl Drop for HeapTrimmer {
    fn drop(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
