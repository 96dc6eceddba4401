//! A client blocked in BLPOP, BRPOP, BLMOVE, BRPOPLPUSH or BLMPOP, on its looper.
//!
//! The session sends the blocking command alone, in a batch and reply slot of its own, and
//! stops parsing the client's input until that slot is answered — Redis processes nothing of
//! a blocked client's pipeline either; the bytes keep arriving and wait in the input buffer.
//! Reading goes on, so a client that disconnects while blocked is seen at once. The writer
//! decides when the wait ends (`crate::blocked`): data for one of the keys, the timeout (this
//! session's timer sends an [`UnblockJob`] when it passes), CLIENT UNBLOCK, or the closed
//! connection. When the reply arrives the session picks the pipeline up where it stopped.

use std::time::Duration;

use bytes::BytesMut;
use kvs_reactor::{Conn, ConnId, EventLoop, TimerId};

use super::{Batch, Session, Work};
use crate::blocked::UnblockReason;
use crate::cmd::Cmd;
use crate::control_jobs::UnblockJob;
use crate::engine::Job;
use crate::job::WatchStep;

/// The blocking command this session waits on.
pub(super) struct BlockedWait {
    /// Its reply slot.
    slot: u64,
    /// How long it may wait (`None`: for ever), and the timer counting it down once armed.
    timeout: Option<Duration>,
    timer: Option<TimerId>,
    /// Its job has gone to the loop's outbox: an unblock request may follow it.
    dispatched: bool,
    /// CLIENT UNBLOCK came before that: sent right behind the job.
    unblock_early: Option<UnblockReason>,
    /// The writer was told the connection closed.
    told_gone: bool,
}

impl Session {
    /// Sends blocking command `cmd` in a batch of its own; input parsing stops until it is
    /// answered.
    pub(super) fn start_blocking(&mut self, cmd: Cmd, silent: bool) {
        self.end_batch();
        let slot = self.new_slot(silent);
        let timeout = cmd.as_blocking().and_then(crate::cmd::BPop::timeout);
        self.held.push_back(Batch {
            slot,
            work: Work::Commands {
                cmds: vec![cmd],
                write: true,
                proto: self.st.proto,
                transaction: false,
                watch: WatchStep::None,
            },
            silent,
        });
        self.pending_commands += 1;
        self.blocked = Some(BlockedWait {
            slot,
            timeout,
            timer: None,
            dispatched: false,
            unblock_early: None,
            told_gone: false,
        });
    }

    /// The blocking command's slot, while the client waits in one.
    pub(super) fn blocked_slot(&self) -> Option<u64> {
        self.blocked.as_ref().map(|w| w.slot)
    }

    /// Whether batch `slot` is the blocking command's.
    pub(super) fn is_blocking_slot(&self, slot: u64) -> bool {
        self.blocked.as_ref().is_some_and(|w| w.slot == slot)
    }

    /// The blocking command's job has just gone to the outbox: from now on the client counts
    /// as blocked (CLIENT LIST, CLIENT UNBLOCK), and an unblock request asked for before goes
    /// right behind it.
    pub(super) fn blocking_dispatched(&mut self) {
        let Some(wait) = self.blocked.as_mut() else {
            return;
        };
        wait.dispatched = true;
        let early = wait.unblock_early.take();
        self.st
            .blocked
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(reason) = early {
            let job = self.unblock_job(reason);
            self.writes.push(job);
        }
    }

    fn unblock_job(&self, reason: UnblockReason) -> Box<dyn Job> {
        Box::new(UnblockJob::new(
            self.ctx.blocked.clone(),
            self.st.client_id,
            reason,
        ))
    }

    /// Ends this client's wait (its timeout, or CLIENT UNBLOCK from any connection, posted
    /// here): through the loop's outbox, behind the blocking command, so the writer always
    /// sees the command first; before the command has left, right behind it when it does.
    pub(super) fn request_unblock(&mut self, conn: &mut Conn<'_>, reason: UnblockReason) {
        let Some(wait) = self.blocked.as_mut() else {
            return; // answered meanwhile
        };
        if !wait.dispatched {
            wait.unblock_early.get_or_insert(reason);
            return;
        }
        let job = self.unblock_job(reason);
        self.writes.push(job);
        self.submit(conn.event_loop());
    }

    /// Input that arrives while blocked waits in the buffer, unparsed; only its size is
    /// bounded (Redis' client-query-buffer-limit, as the parser enforces it).
    pub(super) fn hold_input_while_blocked(&mut self, conn: &mut Conn<'_>, input: &BytesMut) {
        if input.len() > self.parser.max_buffered() {
            tracing::warn!(
                client = self.st.client_id,
                "query buffer over the limit while blocked; closing"
            );
            conn.force_close();
        }
    }

    /// Whether the session waits on a blocking command (and parses no input meanwhile).
    pub(super) fn is_blocked(&self) -> bool {
        self.blocked.is_some()
    }

    /// Starts the timeout of a wait just begun, and exempts the client from the idle
    /// `timeout` meanwhile (Redis checks a blocked client against its command's timeout only).
    pub(super) fn arm_block_timer(&mut self, conn: &mut Conn<'_>) {
        let Some(wait) = self.blocked.as_mut() else {
            return;
        };
        // Counted from when the command leaves for the writer, so the timeout's request can
        // never overtake it.
        if wait.timer.is_some() || !wait.dispatched {
            return;
        }
        if let Some(after) = wait.timeout {
            let id = conn.id();
            wait.timer = Some(conn.event_loop().run_after(after, move |el| {
                el.with_handler::<Session, _>(id, |s, conn| s.on_block_timeout(conn));
            }));
        }
        self.apply_timeout(conn);
    }

    /// The timeout passed: the writer ends the wait, unless data reached the client first. The
    /// request goes through the loop's outbox, behind the blocking command itself (which may
    /// not have left yet if the timeout is shorter than a loop turn).
    fn on_block_timeout(&mut self, conn: &mut Conn<'_>) {
        if let Some(wait) = self.blocked.as_mut() {
            wait.timer = None;
            self.request_unblock(conn, UnblockReason::Timeout);
        }
    }

    /// Asks the writer to end this client's wait, straight to the writer (from a closing
    /// connection, which may have no loop turn left); the registry also copes with this
    /// arriving before the blocking command itself.
    fn send_unblock(&self, reason: UnblockReason) {
        if let Err(e) = self
            .ctx
            .engine
            .submit_writes(vec![self.unblock_job(reason)])
        {
            tracing::debug!(error = %e, "could not end a blocked client's wait");
        }
    }

    /// The connection closed (or its peer did) while blocked: the waiter's closed flag keeps
    /// the writer from serving it, and the writer drops it (once) — straight to the writer, as
    /// a closing connection may have no loop turn left; if this overtakes the blocking command
    /// itself, the flag makes that command end at once.
    pub(super) fn unblock_at_close(&mut self) {
        self.st
            .closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(wait) = self.blocked.as_mut()
            && !wait.told_gone
        {
            wait.told_gone = true;
            self.send_unblock(UnblockReason::Disconnected);
        }
    }

    /// The reply of slot `slot` has arrived: if it ends the wait, parsing resumes with the
    /// input that came meanwhile.
    pub(super) fn end_blocking_if(&mut self, conn: &mut Conn<'_>, slot: u64) {
        if self.blocked.as_ref().is_none_or(|w| w.slot != slot) {
            return;
        }
        if let Some(timer) = self.blocked.take().and_then(|w| w.timer) {
            conn.event_loop().cancel(timer);
        }
        self.st
            .blocked
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.apply_timeout(conn);
        conn.offer_input_again();
    }
}

/// Runs on a client's looper: CLIENT UNBLOCK from another connection asks this client to end
/// its wait (the `crate::blocked::PostUnblock` the server installs).
pub fn unblock_posted(el: &mut EventLoop, id: ConnId, reason: UnblockReason) {
    el.with_handler::<Session, _>(id, |s, conn| s.request_unblock(conn, reason));
}
