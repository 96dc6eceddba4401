//! Giving freed heap memory back to the operating system, every few seconds.
//!
//! glibc's malloc keeps what the program frees: only memory at the very top of a heap goes
//! back by itself. A server that has just absorbed a burst (a big pipeline, a bulk load through
//! `redis-cli --pipe`) is left holding tens of MB of free chunks between live index entries.
//! jemalloc, which Redis ships, purges such pages in the background; glibc has
//! `malloc_trim(0)`, which returns every whole free page of every arena (`madvise(DONTNEED)`).
//! One thread calls it every [`TRIM_INTERVAL`]: it walks the free lists (a few ms on a heap of
//! a few hundred MB) off the loopers and storage threads, so no request waits for it.

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
