//! `EventLoopThread`: a thread that owns and runs one `EventLoop` (Muduo's `EventLoopThread`).

use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use crate::error::{Error, Result};
use crate::event_loop::EventLoop;
use crate::loop_handle::LoopHandle;

/// A thread running an [`EventLoop`] until told to quit. Dropping it quits the loop and joins
/// the thread.
///
/// ```
/// use kvs_reactor::EventLoopThread;
/// use std::sync::mpsc;
///
/// let looper = EventLoopThread::spawn("looper-0").unwrap();
/// let (tx, rx) = mpsc::channel();
/// looper.handle().queue_in_loop(move |el| tx.send(el.id()).unwrap());
/// assert_eq!(rx.recv().unwrap(), looper.handle().id());
/// ```
pub struct EventLoopThread {
    handle: LoopHandle,
    join: Option<JoinHandle<()>>,
}

impl EventLoopThread {
    /// Spawns a thread named `name`, creates its loop there, and returns once the loop exists.
    /// **Thread-safe.**
    pub fn spawn(name: impl Into<String>) -> Result<EventLoopThread> {
        Self::spawn_with(name, |_| {})
    }

    /// Like [`spawn`](Self::spawn), running `init` on the new loop before it starts polling.
    /// **Thread-safe.**
    pub fn spawn_with(
        name: impl Into<String>,
        init: impl FnOnce(&mut EventLoop) + Send + 'static,
    ) -> Result<EventLoopThread> {
        let (tx, rx) = mpsc::channel();
        let name = name.into();
        let join = thread::Builder::new().name(name.clone()).spawn(move || {
            let mut el = match EventLoop::new() {
                Ok(el) => el,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let _ = tx.send(Ok(el.handle()));
            init(&mut el);
            if let Err(e) = el.run() {
                tracing::error!(thread = %name, error = %e, "event loop failed");
            }
        })?;
        match rx.recv() {
            Ok(Ok(handle)) => Ok(EventLoopThread {
                handle,
                join: Some(join),
            }),
            Ok(Err(e)) => {
                let _ = join.join();
                Err(e)
            }
            Err(_) => {
                let _ = join.join();
                Err(Error::Io(std::io::Error::other(
                    "event loop thread exited during start-up",
                )))
            }
        }
    }

    /// The running loop's handle. **Thread-safe.**
    pub fn handle(&self) -> &LoopHandle {
        &self.handle
    }

    /// Waits for the loop to return (it must have been told to quit, or it waits forever).
    /// **Thread-safe**; called on the loop's own thread (which cannot wait for itself) it
    /// detaches the thread instead, which then ends when its loop returns.
    pub fn join(mut self) {
        self.join_inner();
    }

    fn join_inner(&mut self) {
        let Some(j) = self.join.take() else { return };
        if self.handle.is_in_loop_thread() {
            // Joining itself would fail with EDEADLK; the loop returns once the current
            // iteration ends (it has been told to quit), and the thread exits with it.
            tracing::debug!(loop_id = self.handle.id(), "loop thread detached by itself");
            return;
        }
        if j.join().is_err() {
            tracing::error!(loop_id = self.handle.id(), "event loop thread panicked");
        }
    }
}

impl Drop for EventLoopThread {
    fn drop(&mut self) {
        if self.join.is_some() {
            self.handle.quit();
            self.join_inner();
        }
    }
}
