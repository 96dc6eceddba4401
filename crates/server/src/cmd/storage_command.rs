//! The trait every storage command implements ([`StorageCommand`]: where it runs and what it
//! does there), the parsed command the session carries ([`StorageCmd`]: any such command,
//! type-erased), and what a read declares about its lookups ([`ElementReads`]) so the session
//! can place it and the storage threads can prefetch for it.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

pub use crate::db::ElementReads;

use super::{Cmd, Db, WriteDb, fail};
use crate::resp::Proto;

/// A command that runs on a storage thread, against a [`Db`] view (a read: on a reader
/// thread, on the looper when it cannot block, or on the writer behind a write of its
/// connection) or in the writer's transaction (a write, `WRITES`). Its file parses it into its
/// own type and implements this; the parser ends in `Ok(MyCommand { .. }.into())` (a
/// [`Cmd::Storage`]), and its row in the command table (`table.rs`) names the parser — nothing
/// else lists it. CONTRIBUTING.md walks through adding one.
pub trait StorageCommand: std::fmt::Debug + Send + 'static {
    /// Writes: runs on the writer thread, in a batch's transaction, and is refused (MISCONF)
    /// while the store refuses writes.
    const WRITES: bool;

    /// A read that needs the writer's view of a collection (HGETALL, SMEMBERS, SCARD...: the
    /// writer alone keeps each collection's elements, `kvs_storage::Members`): it runs on the
    /// writer like a write, with `exec_write`, but writes nothing and is never refused.
    const ON_WRITER: bool = false;

    /// Runs a read, appending its reply. Reads implement this.
    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let _ = (db, proto, out);
        Err(fail("ERR internal error: not a read command"))
    }

    /// Runs the command in the writer's transaction, appending its reply. Writes implement
    /// this; a read runs here when it queues behind a write of its connection.
    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        self.exec_read(txn, proto, out)
    }

    /// [`Cmd::looked_up_keys`](super::Cmd::looked_up_keys): the keys a read looks up, if that is all it does.
    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        None
    }

    /// [`Cmd::looked_up_elements`](super::Cmd::looked_up_elements): the elements a read looks up by name in one collection,
    /// if that is all it does.
    fn looked_up_elements(&self) -> Option<ElementReads<'_>> {
        None
    }

    /// [`Cmd::key_read_by_write`](super::Cmd::key_read_by_write): the key a write reads before it writes.
    fn key_read_by_write(&self) -> Option<&Bytes> {
        None
    }

    /// [`Cmd::elements_read_by_write`](super::Cmd::elements_read_by_write): the elements of one collection a write looks up
    /// before it writes (HSET, SADD...: is each one new?).
    fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        None
    }
}

/// A parsed storage command of any type: what [`Cmd::Storage`] carries from the looper to the
/// storage thread that runs it.
///
/// It is a box, so that a new command needs no line outside its own file and its table row
/// (before, an enum listed every command type). The box costs one small allocation per
/// command; measured against the enum it replaced in docs/benchmarks.md (issue 14), level.
pub struct StorageCmd(Box<dyn ErasedCommand>);

impl<T: StorageCommand> From<T> for Cmd {
    fn from(command: T) -> Cmd {
        Cmd::Storage(StorageCmd(Box::new(command)))
    }
}

impl std::fmt::Debug for StorageCmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl StorageCmd {
    /// [`StorageCommand::WRITES`].
    pub fn writes(&self) -> bool {
        self.0.writes()
    }

    /// Runs on the writer: [`StorageCommand::WRITES`] or [`StorageCommand::ON_WRITER`].
    pub fn on_writer(&self) -> bool {
        self.0.on_writer()
    }

    /// [`StorageCommand::exec_read`].
    pub fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        self.0.exec_read(db, proto, out)
    }

    /// [`StorageCommand::exec_write`].
    pub fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        self.0.exec_write(txn, proto, out)
    }

    /// [`StorageCommand::looked_up_keys`].
    pub fn looked_up_keys(&self) -> Option<&[Bytes]> {
        self.0.looked_up_keys()
    }

    /// [`StorageCommand::looked_up_elements`].
    pub fn looked_up_elements(&self) -> Option<ElementReads<'_>> {
        self.0.looked_up_elements()
    }

    /// [`StorageCommand::elements_read_by_write`].
    pub fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        self.0.elements_read_by_write()
    }

    /// [`StorageCommand::key_read_by_write`].
    pub fn key_read_by_write(&self) -> Option<&Bytes> {
        self.0.key_read_by_write()
    }
}

/// [`StorageCommand`] as a trait object can be: its constants become methods.
trait ErasedCommand: std::fmt::Debug + Send {
    fn writes(&self) -> bool;
    fn on_writer(&self) -> bool;
    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError>;
    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError>;
    fn looked_up_keys(&self) -> Option<&[Bytes]>;
    fn looked_up_elements(&self) -> Option<ElementReads<'_>>;
    fn elements_read_by_write(&self) -> Option<ElementReads<'_>>;
    fn key_read_by_write(&self) -> Option<&Bytes>;
}

impl<T: StorageCommand> ErasedCommand for T {
    fn writes(&self) -> bool {
        T::WRITES
    }
    fn on_writer(&self) -> bool {
        T::WRITES || T::ON_WRITER
    }
    fn exec_read(
        &self,
        db: &mut dyn Db,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        StorageCommand::exec_read(self, db, proto, out)
    }
    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        proto: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        StorageCommand::exec_write(self, txn, proto, out)
    }
    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        StorageCommand::looked_up_keys(self)
    }
    fn looked_up_elements(&self) -> Option<ElementReads<'_>> {
        StorageCommand::looked_up_elements(self)
    }
    fn elements_read_by_write(&self) -> Option<ElementReads<'_>> {
        StorageCommand::elements_read_by_write(self)
    }
    fn key_read_by_write(&self) -> Option<&Bytes> {
        StorageCommand::key_read_by_write(self)
    }
}
