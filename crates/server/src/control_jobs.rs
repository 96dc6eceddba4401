//! Jobs that steer the writer for a connection rather than run its commands: the end of a
//! closed client's WATCH ([`UnwatchJob`]) and the end of a blocked client's wait
//! ([`UnblockJob`]). Both go straight to the writer and answer nobody themselves.

use std::sync::Arc;

use kvs_storage::{ReadCommand, Reader, Txn, WriteCommand};

use crate::blocked::{Blocked, Ended, UnblockReason};
use crate::db::{Db, WriteDb};
use crate::engine::Job;

/// Ends a closed connection's watching: run on the writer, answers nobody. Sent when a session
/// that watches keys goes away (`Session::drop`).
pub struct UnwatchJob {
    /// The client whose watched keys are forgotten.
    pub client: u64,
}

impl Job for UnwatchJob {
    /// A read job has nothing to forget: `UnwatchJob`s go to the writer only.
    fn run_read_on(self: Box<Self>, _db: &mut dyn Db) {}
    fn run_write_on(&mut self, txn: &mut dyn WriteDb) {
        txn.unwatch(self.client);
    }
}

impl WriteCommand for UnwatchJob {
    fn run(&mut self, txn: &mut Txn<'_>) {
        txn.unwatch(self.client);
    }
    fn committed(self: Box<Self>, _result: kvs_storage::Result<()>) {}
}

impl ReadCommand for UnwatchJob {
    fn run(self: Box<Self>, _reader: &Reader<'_>) {}
}

/// Ends a blocked client's wait on the writer (`crate::blocked`): its timeout passed, CLIENT
/// UNBLOCK, or its connection closed. Answers the waiter (if it still waits) once committed.
pub struct UnblockJob {
    /// The blocked client.
    pub client: u64,
    /// Why its wait ends.
    pub reason: UnblockReason,
    /// The registry that holds the waiter.
    pub blocked: Arc<Blocked>,
    /// The waiter's reply, found on the writer.
    found: Option<Ended>,
}

impl UnblockJob {
    /// Ends `client`'s wait for `reason`.
    pub fn new(blocked: Arc<Blocked>, client: u64, reason: UnblockReason) -> UnblockJob {
        UnblockJob {
            client,
            reason,
            blocked,
            found: None,
        }
    }

    fn run(&mut self) {
        self.found = self.blocked.unblock(self.client, self.reason);
    }

    fn done(self) {
        if let Some((answer, bytes)) = self.found {
            answer.answer(Ok(bytes));
        }
    }
}

impl Job for UnblockJob {
    /// A reader has no waiters: `UnblockJob`s go to the writer only.
    fn run_read_on(self: Box<Self>, _db: &mut dyn Db) {}
    fn run_write_on(&mut self, _txn: &mut dyn WriteDb) {
        self.run();
    }
}

impl WriteCommand for UnblockJob {
    fn run(&mut self, _txn: &mut Txn<'_>) {
        UnblockJob::run(self);
    }
    fn committed(self: Box<Self>, _result: kvs_storage::Result<()>) {
        self.done();
    }
}

impl ReadCommand for UnblockJob {
    fn run(self: Box<Self>, _reader: &Reader<'_>) {}
}
