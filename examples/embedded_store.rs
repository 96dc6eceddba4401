//! kvs-storage on its own, no network: the blocking `KvStore` API (talent-plan's `KvsEngine`)
//! and the `Store` under it, whose write commands run on the store's writer thread and whose
//! reads are lock-free on any thread.
//!
//! ```text
//! cargo run --release --example embedded_store -- [DIR]
//! ```
//! Run it twice on the same directory: the visit counter carries on.

use std::sync::mpsc;

use kvs::storage::{KvStore, KvsEngine, StorageError, now_ms};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1);
    let store = KvStore::open(dir.as_deref().unwrap_or("embedded-data"))?;

    // The simple API: blocking calls, durable per the fsync policy (default: within a second).
    store.set("greeting".to_owned(), "hello".to_owned())?;
    println!("greeting = {:?}", store.get("greeting".to_owned())?);
    store.remove("greeting".to_owned())?;
    if let Err(StorageError::KeyNotFound) = store.remove("greeting".to_owned()) {
        println!("greeting removed");
    }

    // The engine under it. A write command is a closure that runs on the writer thread with a
    // `Txn`: a read-modify-write nothing can interleave with, its records committed together.
    let engine = store.store();
    let visits = engine.execute(|txn| -> Result<u64, StorageError> {
        let old = txn.get(b"visits")?.map(|v| v.data).unwrap_or_default();
        let visits = String::from_utf8_lossy(&old).parse().unwrap_or(0) + 1;
        txn.put(b"visits", visits.to_string().as_bytes(), None);
        Ok(visits)
    })??;
    println!("visits = {visits}");

    // The asynchronous form kvs-server uses: the closure returns a completion, called on the
    // writer thread once the batch is written (and fsync'd, with FsyncPolicy::Always).
    let (done, committed) = mpsc::channel();
    engine.submit_write(move |txn| {
        txn.put(b"session", b"abc", Some(now_ms() + 60_000)); // expires in a minute
        Box::new(move |result| {
            let _ = done.send(result);
        })
    })?;
    committed.recv()??;

    // Reads: lock-free on the calling thread; a completed write is visible to every later read.
    let reader = engine.reader();
    let session = reader.get(b"session")?.unwrap_or_default();
    let expires = reader.expire_at_ms(b"session").flatten();
    println!(
        "session = {}, expires later: {}",
        String::from_utf8_lossy(&session),
        expires.is_some_and(|at| at > now_ms())
    );

    // Like Redis' SAVE: everything written so far is on disk when this returns.
    engine.sync()?;
    Ok(())
}
