//! Echo across many connections and loopers, and a large echo through a slow reader.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use kvs_reactor::{Conn, Handler, TcpServer};

#[test]
fn echo_500_concurrent_connections_across_4_loopers() {
    let server = TcpServer::builder("127.0.0.1:0")
        .name("echo500")
        .loopers(4)
        .start(|| Echo)
        .unwrap();
    let addr = server.local_addr();
    const THREADS: usize = 20;
    const PER_THREAD: usize = 25;
    // Open all 500 connections before any data flows, so they are all open at once.
    let conns: Vec<Vec<_>> = (0..THREADS)
        .map(|_| (0..PER_THREAD).map(|_| connect(addr)).collect())
        .collect();
    assert!(
        wait_until(Duration::from_secs(10), || server.metrics().active == 500),
        "{:?}",
        server.metrics()
    );
    let workers: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(t, mut streams)| {
            thread::spawn(move || {
                for round in 0..20u32 {
                    // Interleave: write to every connection, then read every reply.
                    let payloads: Vec<Vec<u8>> = (0..streams.len())
                        .map(|i| {
                            format!(
                                "thread {t} conn {i} round {round} {}",
                                "x".repeat((i * 37 + round as usize) % 300)
                            )
                            .into_bytes()
                        })
                        .collect();
                    for (s, p) in streams.iter_mut().zip(&payloads) {
                        write_all(s, p);
                    }
                    for (s, p) in streams.iter_mut().zip(&payloads) {
                        assert_eq!(&read_exact(s, p.len()), p, "echo mismatch");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let per_loop: Vec<u64> = server
        .loop_handles()
        .iter()
        .map(|h| h.metrics().accepted)
        .collect();
    assert_eq!(per_loop.iter().sum::<u64>(), 500);
    assert!(
        per_loop.iter().all(|&n| n == 125),
        "round-robin spread: {per_loop:?}"
    );
    // Counters are bumped right after the syscalls, so they may trail the client by a moment.
    assert!(wait_until(Duration::from_secs(5), || {
        let m = server.metrics();
        m.bytes_in == m.bytes_out && m.bytes_in > 0
    }));
    server.shutdown(Duration::from_secs(2));
}

/// Echo with backpressure: pauses reading while output is above the high-water mark, resumes
/// when it drains, and counts the callbacks.
struct BackpressureEcho {
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    high_water: AtomicUsize,
    write_complete: AtomicUsize,
    max_pending: AtomicUsize,
}

impl Handler for BackpressureEcho {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        conn.send(&input.split());
        self.stats
            .max_pending
            .fetch_max(conn.output_len(), Ordering::Relaxed);
    }
    fn on_high_water_mark(&mut self, conn: &mut Conn<'_>, pending: usize) {
        assert!(pending >= HWM);
        self.stats.high_water.fetch_add(1, Ordering::Relaxed);
        conn.pause_read();
    }
    fn on_write_complete(&mut self, conn: &mut Conn<'_>) {
        self.stats.write_complete.fetch_add(1, Ordering::Relaxed);
        if conn.is_read_paused() {
            conn.resume_read();
        }
    }
}

const HWM: usize = 1 << 20;

#[test]
fn echo_64_mib_through_a_slow_reader_uses_writable_and_high_water_mark() {
    let stats = Arc::new(Stats::default());
    let s2 = stats.clone();
    let server = TcpServer::builder("127.0.0.1:0")
        .name("bigecho")
        .loopers(1)
        .high_water_mark(HWM)
        .start(move || BackpressureEcho { stats: s2.clone() })
        .unwrap();
    let mut reader = connect(server.local_addr());
    let mut writer = reader.try_clone().unwrap();
    const TOTAL: usize = 64 << 20;
    let pattern = |i: usize| (i % 251) as u8;
    let w = thread::spawn(move || {
        let chunk: Vec<u8> = (0..TOTAL).map(pattern).collect();
        for part in chunk.chunks(256 * 1024) {
            write_all(&mut writer, part);
        }
    });
    // Read slowly at first, so the server's output backs up past the high-water mark.
    let mut got = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    while got < TOTAL {
        if got < 8 << 20 {
            thread::sleep(Duration::from_millis(2));
        }
        let n = std::io::Read::read(&mut reader, &mut buf).unwrap();
        assert!(n > 0, "server closed early at {got}");
        for (k, b) in buf[..n].iter().enumerate() {
            assert_eq!(*b, pattern(got + k), "corrupt byte at {}", got + k);
        }
        got += n;
    }
    w.join().unwrap();
    assert_eq!(got, TOTAL);
    assert!(
        stats.high_water.load(Ordering::Relaxed) >= 1,
        "high-water mark never crossed"
    );
    assert!(
        stats.write_complete.load(Ordering::Relaxed) >= 1,
        "write-complete never fired"
    );
    // Pausing at the mark bounds what the server buffers: the mark plus what one read can add.
    let max = stats.max_pending.load(Ordering::Relaxed);
    assert!(
        max < HWM + 2 * 256 * 1024 + 64 * 1024,
        "server buffered {max} bytes"
    );
    server.shutdown(Duration::from_secs(2));
}
