//! Helpers shared by the store-level integration tests (model, crash, corruption, compaction,
//! concurrency, kv_store).
#![allow(dead_code)]

pub mod collections;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use kvs_storage::{DataCodec, Fid, FileKind, FsyncPolicy, MappedFile, Options, Store, list_files};

/// Small files, no automatic compaction, no fsync: rotation and compaction happen often and
/// cheaply.
pub fn small_opts(max_file_size: u64) -> Options {
    Options {
        fsync: FsyncPolicy::No,
        max_file_size,
        readers: 1,
        compaction_interval: None,
        ..Options::default()
    }
}

/// Every (unexpired) key of the store, through the cursor scan. Fails the test if the scan
/// does not terminate or returns a key twice while the store is quiescent.
pub fn all_keys(store: &Store) -> Vec<Vec<u8>> {
    let reader = store.reader();
    let mut keys = Vec::new();
    let mut cursor = 0;
    for _ in 0..1_000_000 {
        let (next, batch) = reader.scan(cursor, 64);
        keys.extend(batch);
        if next == 0 {
            let n = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(n, keys.len(), "a quiescent scan returned a key twice");
            return keys;
        }
        cursor = next;
    }
    panic!("scan did not terminate");
}

/// Every key with its value.
pub fn dump(store: &Store) -> BTreeMap<Vec<u8>, Vec<u8>> {
    all_keys(store)
        .into_iter()
        .filter_map(|k| {
            let v = store
                .get(&k)
                .unwrap_or_else(|e| panic!("get {:?}: {e}", String::from_utf8_lossy(&k)))?;
            Some((k, v))
        })
        .collect()
}

/// Total bytes of the regular files in `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Copies the store files of `src` into a new temporary directory (the lock file is left behind).
pub fn copy_store(src: &Path) -> tempfile::TempDir {
    let dst = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() && e.file_name() != kvs_storage::LOCK_FILE {
            std::fs::copy(e.path(), dst.path().join(e.file_name())).unwrap();
        }
    }
    dst
}

/// The fids of the data files in `dir`, ascending.
pub fn data_fids(dir: &Path) -> Vec<Fid> {
    let mut v: Vec<Fid> = list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| *k == FileKind::Data)
        .map(|(_, f)| f)
        .collect();
    v.sort_unstable();
    v
}

/// Path of data file `fid`.
pub fn data_path(dir: &Path, fid: Fid) -> PathBuf {
    kvs_storage::file_path(dir, FileKind::Data, fid)
}

/// One record of a data file as found by a scan.
#[derive(Debug, Clone)]
pub struct Found {
    pub offset: u64,
    pub len: u64,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub tombstone: bool,
    pub batch_open: bool,
    pub seq: u64,
}

/// Every valid record of data file `fid` (damage skipped).
pub fn records(dir: &Path, fid: Fid) -> Vec<Found> {
    let m = MappedFile::open(dir, FileKind::Data, fid).unwrap();
    m.records::<DataCodec>()
        .unwrap()
        .filter_map(|(offset, r)| {
            let r = r.ok()?;
            Some(Found {
                offset,
                len: r.encoded_len() as u64,
                key: r.key.to_vec(),
                value: r.value.to_vec(),
                tombstone: r.tombstone,
                batch_open: r.batch_open,
                seq: r.seq,
            })
        })
        .collect()
}

/// Every valid record of every data file in `dir`.
pub fn all_records(dir: &Path) -> Vec<(Fid, Found)> {
    data_fids(dir)
        .into_iter()
        .flat_map(|fid| records(dir, fid).into_iter().map(move |r| (fid, r)))
        .collect()
}

/// xorshift64*: deterministic, seedable, dependency-free.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Seeded from the clock (print it so that a failure can be replayed).
    pub fn from_time() -> (Rng, u64) {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        (Rng::new(seed), seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// Kills (SIGKILL) and reaps a child process when dropped, so that a failing test never leaves
/// one behind.
pub struct ChildGuard(pub Option<Child>);

impl ChildGuard {
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().unwrap()
    }

    /// SIGKILLs the child and waits for it.
    pub fn kill(&mut self) -> std::process::ExitStatus {
        let c = self.0.as_mut().unwrap();
        let _ = c.kill();
        let status = c.wait().unwrap();
        self.0 = None;
        status
    }

    /// Waits for the child to exit, killing it after `timeout`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(s) = self.child().try_wait().unwrap() {
                self.0 = None;
                return s;
            }
            if std::time::Instant::now() > deadline {
                self.kill();
                panic!("child process did not exit within {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A command re-running this test binary on exactly the (ignored) test `name`, with `envs`.
pub fn self_command(name: &str, envs: &[(&str, String)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        name,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `f` on its own thread and fails the test if it takes longer than `timeout` (a deadlock
/// would otherwise hang the suite). A panic in `f` is propagated.
pub fn with_timeout<T: Send + 'static>(
    timeout: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        let r = f();
        let _ = tx.send(());
        r
    });
    match rx.recv_timeout(timeout) {
        Ok(()) => h.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => match h.join() {
            Ok(_) => unreachable!(),
            Err(p) => std::panic::resume_unwind(p),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: did not finish within {timeout:?} (deadlock?)")
        }
    }
}

/// A child process (a crash test's writer) whose stdout lines arrive on `lines` as it prints
/// them and whose stderr is collected for failure messages. Killed on drop, like [`ChildGuard`].
pub struct ChildLines {
    pub guard: ChildGuard,
    pub lines: mpsc::Receiver<String>,
    reader: std::thread::JoinHandle<()>,
    stderr: std::thread::JoinHandle<String>,
}

impl ChildLines {
    /// Spawns `cmd` with both output streams piped.
    pub fn spawn(mut cmd: std::process::Command) -> ChildLines {
        use std::io::BufRead;
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut guard = ChildGuard(Some(cmd.spawn().unwrap()));
        let stdout = guard.child().stdout.take().unwrap();
        let mut err = guard.child().stderr.take().unwrap();
        let (tx, lines) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut err, &mut s);
            s
        });
        ChildLines {
            guard,
            lines,
            reader,
            stderr,
        }
    }

    /// Kills the child (SIGKILL) and waits for it and its output: its exit status, its
    /// stderr, and the stdout lines not yet taken from `lines`.
    pub fn kill(mut self) -> (std::process::ExitStatus, String, Vec<String>) {
        let status = self.guard.kill();
        self.reader.join().unwrap();
        let stderr = self.stderr.join().unwrap();
        let rest = self.lines.try_iter().collect();
        (status, stderr, rest)
    }

    /// Kills the child and returns its stderr (for a test that gives up on it).
    pub fn kill_for_stderr(self) -> String {
        self.kill().1
    }
}
