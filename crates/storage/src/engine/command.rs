//! What the writer and reader threads run: commands of a caller-defined type that hand their
//! results on themselves (to a caller-supplied sink: a network loop's queue, a channel...), never
//! to a socket.
//!
//! A caller with its own job type implements [`WriteCommand`] / [`ReadCommand`] for it and sends
//! one box per command ([`Store::submit_commands`], [`Store::submit_reads`]): the kv server's
//! batch of a connection's commands, carrying its reply target, is such a type. Closures work too
//! ([`Store::submit_write`], [`TxnFn`]) through the adapters here.
//!
//! [`Store::submit_commands`]: crate::Store::submit_commands
//! [`Store::submit_reads`]: crate::Store::submit_reads
//! [`Store::submit_write`]: crate::Store::submit_write

use crate::error::Result;
use crate::reader::Reader;
use crate::txn::Txn;

/// A write command for the writer thread.
///
/// The writer calls [`run`](Self::run) with the batch's [`Txn`] — its writes join the batch, and
/// it sees the writes of the commands before it — and, once the batch's records are appended
/// and synced per the fsync policy (storage-format §4.2, the commit point), calls
/// [`committed`](Self::committed) with `Ok`, or with the error that failed the batch. A command
/// whose `run` panics has its writes rolled back and is dropped without `committed`: a type that
/// owes its caller an answer should give it in `Drop` when `committed` never ran.
///
/// Both run on the writer thread: `committed` should only hand the result on.
pub trait WriteCommand: Send {
    /// Applies the command to the batch.
    fn run(&mut self, txn: &mut Txn<'_>);
    /// The command's writes are committed (`Ok`) or failed.
    fn committed(self: Box<Self>, result: Result<()>);
}

/// Called once a write command has committed (`Ok`) or failed; runs on the writer thread, so it
/// should only hand the result on (e.g. post it to a network loop).
pub type Completion = Box<dyn FnOnce(Result<()>) + Send>;

/// A write command as a closure: runs on the writer thread against a [`Txn`] and returns what to
/// do once its records are committed.
pub type TxnFn = Box<dyn FnOnce(&mut Txn<'_>) -> Completion + Send>;

/// [`WriteCommand`] for a closure that returns its completion (the [`TxnFn`] shape).
pub(crate) struct ClosureCommand<F> {
    run: Option<F>,
    done: Option<Completion>,
}

impl<F> ClosureCommand<F>
where
    F: FnOnce(&mut Txn<'_>) -> Completion + Send,
{
    pub(crate) fn new(f: F) -> ClosureCommand<F> {
        ClosureCommand {
            run: Some(f),
            done: None,
        }
    }
}

impl<F> WriteCommand for ClosureCommand<F>
where
    F: FnOnce(&mut Txn<'_>) -> Completion + Send,
{
    fn run(&mut self, txn: &mut Txn<'_>) {
        if let Some(f) = self.run.take() {
            self.done = Some(f(txn));
        }
    }
    fn committed(self: Box<Self>, result: Result<()>) {
        if let Some(done) = self.done {
            done(result);
        }
    }
}

/// A read command for a reader thread: runs once with a [`Reader`] and hands its result on
/// itself. Implemented for every `FnOnce(&Reader)` closure.
pub trait ReadCommand: Send {
    /// Runs the command.
    fn run(self: Box<Self>, reader: &Reader<'_>);
}

impl<F: FnOnce(&Reader<'_>) + Send> ReadCommand for F {
    fn run(self: Box<Self>, reader: &Reader<'_>) {
        (*self)(reader)
    }
}

/// A boxed read command, as the reader threads receive them.
pub type ReadFn = Box<dyn ReadCommand>;
