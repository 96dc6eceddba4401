//! The command traits a caller implements for its own job type (`WriteCommand`, `ReadCommand`):
//! the writer runs each in order against the batch's `Txn` and tells it `committed` once the
//! batch is durable; a command that panics is rolled back and dropped without `committed`; the
//! readers run `ReadCommand`s with a `Reader`.

use std::sync::mpsc;

use kvs_storage::{ReadCommand, Reader, Result, Store, Txn, WriteCommand};

/// What a test command reports: its number, and `committed`'s result — or that it was dropped
/// without one.
#[derive(Debug, PartialEq)]
enum Outcome {
    Committed(usize, std::result::Result<Option<Vec<u8>>, String>),
    DroppedUnanswered(usize),
}

/// A caller-defined write command: puts `value` at `key` (or panics after writing, if asked),
/// and reports what it read of `key` first.
struct Put {
    n: usize,
    key: &'static [u8],
    value: &'static [u8],
    panic: bool,
    seen: Option<Vec<u8>>,
    report: Option<mpsc::Sender<Outcome>>,
}

impl Put {
    fn new(n: usize, key: &'static [u8], value: &'static [u8], tx: &mpsc::Sender<Outcome>) -> Self {
        Put {
            n,
            key,
            value,
            panic: false,
            seen: None,
            report: Some(tx.clone()),
        }
    }
}

impl WriteCommand for Put {
    fn run(&mut self, txn: &mut Txn<'_>) {
        self.seen = txn.get(self.key).expect("read in txn").map(|v| v.data);
        txn.put(self.key, self.value, None);
        if self.panic {
            panic!("test: command {} panics after writing", self.n);
        }
    }
    fn committed(mut self: Box<Self>, result: Result<()>) {
        if let Some(tx) = self.report.take() {
            let seen = self.seen.take();
            let _ = tx.send(Outcome::Committed(
                self.n,
                result.map(|()| seen).map_err(|e| e.to_string()),
            ));
        }
    }
}

impl Drop for Put {
    /// What a caller's type does to answer its client when `committed` never comes.
    fn drop(&mut self) {
        if let Some(tx) = self.report.take() {
            let _ = tx.send(Outcome::DroppedUnanswered(self.n));
        }
    }
}

#[test]
fn write_commands_of_a_caller_type_run_in_order_and_hear_of_the_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let (tx, rx) = mpsc::channel();
    let mut panicking = Put::new(2, b"k", b"2", &tx);
    panicking.panic = true;
    let commands: Vec<Box<dyn WriteCommand>> = vec![
        Box::new(Put::new(1, b"k", b"1", &tx)),
        Box::new(panicking),
        Box::new(Put::new(3, b"k", b"3", &tx)),
    ];
    drop(tx);
    store.submit_commands(commands).unwrap();
    let mut got: Vec<Outcome> = rx.iter().collect();
    got.sort_by_key(|o| match o {
        Outcome::Committed(n, _) | Outcome::DroppedUnanswered(n) => *n,
    });
    assert_eq!(
        got,
        vec![
            Outcome::Committed(1, Ok(None)),
            // Dropped without `committed`, its write rolled back: command 3 reads command 1's.
            Outcome::DroppedUnanswered(2),
            Outcome::Committed(3, Ok(Some(b"1".to_vec()))),
        ]
    );
    assert_eq!(store.get(b"k").unwrap().as_deref(), Some(&b"3"[..]));
}

/// A caller-defined read command.
struct Lookup {
    key: &'static [u8],
    tx: mpsc::Sender<Option<Vec<u8>>>,
}

impl ReadCommand for Lookup {
    fn run(self: Box<Self>, reader: &Reader<'_>) {
        let v = reader.get_value(self.key).expect("read").map(|v| v.data);
        let _ = self.tx.send(v);
    }
}

#[test]
fn read_commands_of_a_caller_type_and_closures_share_the_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store.set(b"a", b"x").unwrap();
    let (tx, rx) = mpsc::channel();
    let closure_tx = tx.clone();
    let reads: Vec<Box<dyn ReadCommand>> = vec![
        Box::new(Lookup {
            key: b"a",
            tx: tx.clone(),
        }),
        Box::new(Lookup {
            key: b"missing",
            tx,
        }),
        Box::new(move |r: &Reader<'_>| {
            let _ = closure_tx.send(r.get_value(b"a").expect("read").map(|v| v.data));
        }),
    ];
    store.submit_reads(reads).unwrap();
    // One message: one reader thread runs them in order.
    let got: Vec<_> = rx.iter().take(3).collect();
    assert_eq!(got, vec![Some(b"x".to_vec()), None, Some(b"x".to_vec())]);
}
