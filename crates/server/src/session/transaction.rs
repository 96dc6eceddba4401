//! A session's transactions: MULTI's queue, EXEC, DISCARD, WATCH and UNWATCH (`cmd::multi` has
//! the rules and Redis' texts).
//!
//! The watched keys live on the writer (`kvs_storage::Watches`). A session that watches
//! something (`watching`) therefore sends everything that ends its watching — UNWATCH,
//! DISCARD, EXEC, an aborted EXEC, RESET, its closing — to the writer as well, in its
//! connection's order behind its earlier writes, with the reply the looper made; a session that
//! watches nothing answers those on the looper as before, without a thread hop.

use bytes::{Bytes, BytesMut};

use super::{Batch, Session, Work};
use crate::cmd::{self, After, Cmd, MultiState, Route, TxCmd};
use crate::job::WatchStep;
use crate::resp::encode;

impl Session {
    /// Runs MULTI, EXEC, DISCARD, WATCH or UNWATCH.
    pub(super) fn handle_tx(&mut self, t: TxCmd, silent: bool) {
        let mut out = BytesMut::new();
        match t {
            TxCmd::Multi if self.multi.is_some() => {
                encode::error(&mut out, "ERR MULTI calls can not be nested")
            }
            TxCmd::Multi => {
                self.multi = Some(MultiState::default());
                encode::simple(&mut out, "OK");
            }
            TxCmd::Watch(_) if self.multi.is_some() => {
                encode::error(&mut out, "ERR WATCH inside MULTI is not allowed")
            }
            TxCmd::Watch(keys) => {
                self.watching = true;
                return self.queue_watch_step(WatchStep::Watch(keys), silent);
            }
            TxCmd::Unwatch => {
                encode::simple(&mut out, "OK");
                return self.end_watching(out.freeze(), silent);
            }
            TxCmd::Discard => match self.multi.take() {
                None => encode::error(&mut out, "ERR DISCARD without MULTI"),
                Some(_) => {
                    encode::simple(&mut out, "OK");
                    return self.end_watching(out.freeze(), silent);
                }
            },
            TxCmd::Exec => match self.multi.take() {
                None => encode::error(&mut out, "ERR EXEC without MULTI"),
                Some(m) if m.failed => {
                    encode::error(&mut out, cmd::EXECABORT);
                    return self.end_watching(out.freeze(), silent);
                }
                Some(m) if m.queued.is_empty() && !self.watching => encode::array_len(&mut out, 0),
                Some(m) => return self.queue_exec(m, silent),
            },
        }
        self.ready_reply(out.freeze(), silent);
    }

    /// Answers `reply` once the client has stopped watching: on the looper if it watches
    /// nothing, else through the writer, which forgets its keys first.
    pub(super) fn end_watching(&mut self, reply: Bytes, silent: bool) {
        if self.watching {
            self.watching = false;
            self.queue_watch_step(WatchStep::Unwatch(reply), silent);
        } else {
            self.ready_reply(reply, silent);
        }
    }

    /// Queues a writer job with no commands that takes `step` (WATCH, or the end of watching).
    fn queue_watch_step(&mut self, step: WatchStep, silent: bool) {
        self.end_batch();
        let slot = self.new_slot(silent);
        self.pending_commands += 1;
        let proto = self.st.proto;
        self.held.push_back(Batch {
            slot,
            work: Work::Commands {
                cmds: Vec::new(),
                write: true,
                proto,
                transaction: false,
                watch: step,
            },
            silent,
        });
    }

    /// Answers a command Redis rejects before running it (unknown, wrong arity, NOAUTH) with
    /// `error`, as Redis' `rejectCommand` does: inside MULTI the transaction fails, and a
    /// rejected EXEC aborts it (`EXECABORT Transaction discarded because of: ...`), which also
    /// ends the client's watching.
    pub(super) fn reject(&mut self, args: &[Bytes], error: &[u8], silent: bool) {
        if let Some(m) = self.multi.as_mut() {
            m.failed = true;
        }
        let mut out = BytesMut::new();
        if args
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(b"exec"))
        {
            self.multi = None;
            encode::error_bytes(&mut out, &cmd::exec_abort(error));
            return self.end_watching(out.freeze(), silent);
        }
        encode::error_bytes(&mut out, error);
        self.ready_reply(out.freeze(), silent);
    }

    /// Inside MULTI: queues the command, answering `+QUEUED`, or answers at once what Redis
    /// rejects before running a command (unknown command or subcommand, wrong argument count,
    /// not allowed in a transaction), which fails the transaction (`cmd::multi`).
    pub(super) fn queue_in_multi(&mut self, args: &[Bytes]) -> After {
        let silent = self.st.reply_mode.take_silence();
        let Some(multi) = self.multi.as_mut() else {
            return After::Continue;
        };
        let rejected: Option<Vec<u8>> = match cmd::lookup_checked(args) {
            Err(e) => Some(cmd::rejection_text(args, e)),
            Ok(spec) if spec.flags.contains(&"no_multi") => {
                Some(b"ERR Command not allowed inside a transaction".to_vec())
            }
            Ok(spec) => match (spec.parse)(args) {
                Ok(c) => {
                    multi.queued.push(c);
                    None
                }
                Err(e) if cmd::is_subcommand_rejection(spec, &e) => Some(e.into_bytes()),
                // An argument error the command reports when it runs: EXEC's array holds it.
                Err(e) => {
                    let mut reply = BytesMut::new();
                    encode::error(&mut reply, &e);
                    multi.queued.push(Cmd::Reply(reply.freeze()));
                    None
                }
            },
        };
        match rejected {
            Some(e) => self.reject(args, &e, silent),
            None => self.ready_reply(Bytes::from_static(b"+QUEUED\r\n"), silent),
        }
        After::Continue
    }

    /// EXEC with queued commands (or of a client that watches keys): one batch for the writer,
    /// whose reply is the array of the commands' replies — or a null array if a watched key
    /// changed. Looper commands among them (PING, CLIENT...) run now and travel as their
    /// replies; FLUSHALL and SAVE, which are whole-store operations of the writer rather than
    /// commands of a transaction, answer an error in their place.
    fn queue_exec(&mut self, queued: MultiState, silent: bool) {
        let mut cmds = Vec::with_capacity(queued.queued.len());
        for c in queued.queued {
            match c.route() {
                Route::Read | Route::Write => cmds.push(c),
                // UNWATCH inside MULTI: EXEC unwatches anyway.
                Route::Local if matches!(c, Cmd::Tx(TxCmd::Unwatch)) => {
                    cmds.push(Cmd::Reply(Bytes::from_static(b"+OK\r\n")))
                }
                Route::Local => {
                    let mut out = BytesMut::new();
                    cmd::exec_local(c, &mut self.st, &self.ctx, &mut out);
                    self.send_own_pushes();
                    cmds.push(Cmd::Reply(out.freeze()));
                }
                Route::Flush | Route::Save => {
                    let mut out = BytesMut::new();
                    encode::error(
                        &mut out,
                        "ERR kvs does not run FLUSHALL, FLUSHDB or SAVE inside MULTI",
                    );
                    cmds.push(Cmd::Reply(out.freeze()));
                }
            }
        }
        let watch = if std::mem::take(&mut self.watching) {
            WatchStep::Exec
        } else {
            WatchStep::None
        };
        self.end_batch();
        let slot = self.new_slot(silent);
        // A PUBLISH inside the transaction reaches its subscribers only if EXEC runs it.
        self.hold_publishes(Some(slot));
        self.pending_commands += cmds.len();
        let proto = self.st.proto;
        self.held.push_back(Batch {
            slot,
            work: Work::Commands {
                cmds,
                write: true,
                proto,
                transaction: true,
                watch,
            },
            silent,
        });
    }
}
