//! The trait every storage command implements ([`StorageCommand`]: where it runs and what it
//! does there), and what a read declares about its lookups ([`ElementReads`]) so the session
//! can place it and the storage threads can prefetch for it.

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

pub use crate::db::ElementReads;

use super::{Db, WriteDb, fail};
use crate::resp::Proto;

/// A command that runs on a storage thread, against a [`Db`] view (a read: on a reader
/// thread, on the looper when it cannot block, or on the writer behind a write of its
/// connection) or in the writer's transaction (a write, `WRITES`). Its file parses it into its
/// own type and implements this; its `mod` line, one line in `storage_commands!` and its rows in
/// the command table (`table.rs`) make it a command. CONTRIBUTING.md walks through adding one.
pub trait StorageCommand: std::fmt::Debug + Send {
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
