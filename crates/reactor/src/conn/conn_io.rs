//! The loop's side of connection I/O: reading until `WouldBlock` under a budget, writing with
//! WRITABLE interest only while output is pending, half-close and close.

use std::io::{self, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::time::Instant;

use bytes::Buf;
use socket2::SockRef;

use crate::conn::Conn;
use crate::conn_id::ConnId;
use crate::connection::{Phase, ReadHalf, WriteHalf};
use crate::event_loop::{Deferred, EventLoop};
use crate::handler::CloseReason;
use crate::metrics::LoopMetrics;

/// Spare room guaranteed in the input buffer before each `read`.
const MIN_READ_SPACE: usize = 16 * 1024;

/// Reads straight into the spare capacity of `buf` (no zero-fill, no bounce buffer).
fn read_into(fd: &impl AsFd, buf: &mut bytes::BytesMut) -> io::Result<(usize, usize)> {
    if buf.capacity() - buf.len() < MIN_READ_SPACE {
        buf.reserve(MIN_READ_SPACE);
    }
    let spare = buf.spare_capacity_mut();
    let room = spare.len();
    // recv(2) rather than read(2): same result on a socket, without the generic VFS layer's
    // checks. socket2 takes the uninitialised spare capacity as it is.
    let n = SockRef::from(fd).recv(spare)?;
    // SAFETY: recv initialised the first `n` bytes of the spare capacity (n <= room).
    unsafe { buf.set_len(buf.len() + n) };
    Ok((n, room))
}

impl EventLoop {
    /// Reads until the socket is drained (`WouldBlock`, or a short read when no FIN is pending),
    /// EOF, an error, or the read budget is spent, then hands the input to the handler.
    pub(crate) fn handle_readable(&mut self, id: ConnId, rdhup: bool) {
        let Some(c) = self.slot(id) else { return };
        // Record the peer's FIN even while paused: its edge comes once, and after a resume the
        // short-read shortcut below would otherwise stop before reading the EOF.
        if rdhup && c.read_half == ReadHalf::Open {
            c.read_half = ReadHalf::HangupSeen;
        }
        if c.read_paused || c.read_half == ReadHalf::Eof || c.is_closing() {
            return;
        }
        let budget = c.opts.read_budget;
        let (mut total, mut eof, mut error, mut budget_spent) = (0usize, false, None, false);
        loop {
            match read_into(&c.stream, &mut c.input) {
                Ok((0, _)) => {
                    eof = true;
                    break;
                }
                Ok((n, room)) => {
                    total += n;
                    // A short read from a TCP socket means its receive queue is empty now; more data
                    // raises a new edge. With RDHUP seen we read on to collect the EOF.
                    if n < room && c.read_half == ReadHalf::Open {
                        break;
                    }
                    if total >= budget {
                        budget_spent = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if total > 0 && c.opts.idle_timeout.is_some() {
            c.last_active = Instant::now();
        }
        LoopMetrics::add(&self.shared().metrics.bytes_in, total as u64);
        if budget_spent {
            self.ready_again.push(id);
        }
        if total > 0 {
            self.dispatch_input(id);
        }
        if let Some(e) = error {
            self.close(id, CloseReason::Error(e));
        } else if eof {
            self.on_eof(id);
        }
    }

    /// A socket error (say, a reset) on a connection whose reading is paused: reading would
    /// report it, but reading waits for the resume, and with no output pending nothing else
    /// would notice. Closes the connection with the error; returns whether it did.
    pub(crate) fn close_if_paused_and_failed(&mut self, id: ConnId) -> bool {
        let Some(c) = self.slot(id) else { return false };
        if !c.read_paused || c.is_closing() {
            return false;
        }
        match c.stream.take_error() {
            Ok(Some(e)) | Err(e) => {
                self.close(id, CloseReason::Error(e));
                true
            }
            Ok(None) => false,
        }
    }

    /// Hands buffered input to `on_message`. The buffer is lent to the callback and put back
    /// afterwards with whatever it left unconsumed.
    pub(crate) fn dispatch_input(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        if c.input.is_empty() || c.is_closing() {
            return;
        }
        let mut input = std::mem::take(&mut c.input);
        self.call_handler(id, |h, conn| h.on_message(conn, &mut input));
        if let Some(c) = self.slot(id) {
            c.input = input;
        }
    }

    fn on_eof(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        c.read_half = ReadHalf::Eof;
        tracing::debug!(conn = %id, "peer closed its sending side");
        let write_closed = c.write_half == WriteHalf::Shut;
        self.update_interest(id);
        if write_closed {
            self.close(id, CloseReason::Graceful);
        } else {
            self.call_handler(id, |h, conn| h.on_read_closed(conn));
        }
    }

    /// Drains pending output. When it empties: drop WRITABLE interest, queue write-complete,
    /// and finish a requested shutdown.
    pub(crate) fn handle_writable(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        let mut written = 0usize;
        let mut error = None;
        while !c.output.is_empty() {
            match c.stream.write(&c.output) {
                Ok(0) => {
                    error = Some(io::Error::from(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => {
                    let full = n < c.output.len();
                    c.output.advance(n);
                    written += n;
                    if full {
                        break; // short write: the send buffer is full, wait for the next edge
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if written > 0 && c.opts.idle_timeout.is_some() {
            c.last_active = Instant::now();
        }
        let drained = c.output.is_empty();
        let shutdown = c.write_half == WriteHalf::ShutdownPending;
        LoopMetrics::add(&self.shared().metrics.bytes_out, written as u64);
        if let Some(e) = error {
            self.close(id, CloseReason::Error(e));
            return;
        }
        if drained {
            self.update_interest(id);
            self.queue_write_complete(id);
            if shutdown {
                self.shutdown_write(id);
            }
        }
    }

    fn queue_write_complete(&mut self, id: ConnId) {
        if let Some(c) = self.slot(id)
            && !c.write_complete_queued
        {
            c.write_complete_queued = true;
            self.deferred.push_back(Deferred::WriteComplete(id));
        }
    }

    /// Muduo's `sendInLoop`: write directly when nothing is pending, buffer the rest and ask for
    /// WRITABLE. Returns false if the connection cannot send any more (closed, closing, shut down).
    pub(crate) fn send_on(&mut self, id: ConnId, data: &[u8]) -> bool {
        let Some(c) = self.slot(id) else { return false };
        if !c.can_send() {
            return false;
        }
        if data.is_empty() {
            return true;
        }
        let mut written = 0usize;
        if c.output.is_empty() {
            loop {
                match c.stream.write(&data[written..]) {
                    Ok(n) => {
                        // Done, or a short write: the send buffer is full; the rest waits for WRITABLE.
                        written += n;
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.close(id, CloseReason::Error(e));
                        return false;
                    }
                }
            }
            if written > 0 && c.opts.idle_timeout.is_some() {
                c.last_active = Instant::now();
            }
        }
        if written > 0 {
            LoopMetrics::add(&self.shared().metrics.bytes_out, written as u64);
        }
        let Some(c) = self.slot(id) else { return false };
        if written == data.len() {
            self.queue_write_complete(id);
            return true;
        }
        let before = c.output.len();
        c.output.extend_from_slice(&data[written..]);
        let after = c.output.len();
        let hwm = c.opts.high_water_mark;
        if before < hwm && after >= hwm {
            self.deferred.push_back(Deferred::HighWater(id, after));
        }
        if before == 0 {
            self.update_interest(id);
        }
        true
    }

    /// Half-closes after pending output is flushed (Muduo's `shutdown`).
    pub(crate) fn shutdown_on(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        if c.is_closing() || c.write_half != WriteHalf::Open {
            return;
        }
        c.write_half = WriteHalf::ShutdownPending;
        c.open.set_shut_down();
        if c.output.is_empty() {
            self.shutdown_write(id);
        }
    }

    fn shutdown_write(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        if let Err(e) = c.stream.shutdown(Shutdown::Write)
            && e.kind() != io::ErrorKind::NotConnected
        {
            self.close(id, CloseReason::Error(e));
            return;
        }
        c.write_half = WriteHalf::Shut;
        if c.read_half == ReadHalf::Eof {
            self.close(id, CloseReason::Graceful);
        }
    }

    pub(crate) fn pause_read_on(&mut self, id: ConnId) {
        if let Some(c) = self.slot(id) {
            c.read_paused = true;
        }
    }

    /// Resumes reading: buffered input is offered to the handler again, and the socket is read
    /// in the next iteration (edges that came while paused were not acted on).
    pub(crate) fn resume_read_on(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        if !c.read_paused {
            return;
        }
        c.read_paused = false;
        let (buffered, open) = (!c.input.is_empty(), c.read_half != ReadHalf::Eof);
        if buffered {
            self.deferred.push_back(Deferred::Input(id));
        }
        if open {
            self.ready_again.push(id);
        }
    }

    pub(crate) fn offer_input_again_on(&mut self, id: ConnId) {
        let Some(c) = self.slot(id) else { return };
        if !c.read_paused && !c.input.is_empty() {
            self.deferred.push_back(Deferred::Input(id));
        }
    }

    pub(crate) fn update_interest(&mut self, id: ConnId) {
        let index = id.index as usize;
        let registry = self.poll.registry();
        if let Some(c) = self.conns.get_mut(index).filter(|c| c.id == id) {
            c.update_interest(registry);
        }
    }

    /// Closes a connection now, or right after its running callback returns. Calls `on_close`
    /// exactly once, frees the slot, and tells the owning server or client.
    pub(crate) fn close(&mut self, id: ConnId, reason: CloseReason) {
        let Some(c) = self.slot(id) else { return };
        if c.in_callback {
            if !c.is_closing() {
                c.phase = Phase::Closing;
                self.deferred.push_back(Deferred::Close(id, reason));
            }
            return;
        }
        c.phase = Phase::Closing;
        c.open.set_closed();
        if let Some(t) = c.idle_timer.take() {
            self.timers.cancel(t.0);
        }
        match &reason {
            CloseReason::Error(e) => {
                tracing::debug!(conn = %id, error = %e, "connection closed on error")
            }
            other => tracing::debug!(conn = %id, reason = ?other, "connection closed"),
        }
        if let Some(c) = self.slot(id)
            && let Some(mut handler) = c.handler.take()
        {
            c.in_callback = true;
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                handler.on_close(&mut Conn { el: self, id }, &reason)
            }));
            if let Err(p) = r {
                tracing::error!(
                    conn = %id,
                    panic = crate::event_loop::panic_message(&*p),
                    "on_close panicked"
                );
            }
        }
        let mut c = self.conns.remove(id.index as usize);
        if c.registered.is_some() {
            let _ = self.registry().deregister(&mut c.stream);
        }
        LoopMetrics::add(&self.shared().metrics.closed, 1);
        if let Some(hook) = c.on_close.take() {
            hook(self);
        }
        // `c` (and with it the socket) is dropped here.
    }
}
