//! Output-side behaviour that a plain echo test cannot see: the high-water mark fires once per
//! crossing, and a server shutdown flushes pending output before the FIN.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use bytes::BytesMut;
use common::*;
use kvs_reactor::{Conn, Handler, TcpServer};

const MIB: usize = 1 << 20;

/// On each input byte, sends `chunks` MiB in 1 MiB `send`s and counts high-water callbacks. It
/// never pauses, so the output stays above the mark for many sends in a row.
struct Flood {
    chunks: usize,
    high_water: Arc<AtomicUsize>,
}

impl Handler for Flood {
    fn on_message(&mut self, conn: &mut Conn<'_>, input: &mut BytesMut) {
        for _ in 0..input.len() {
            for i in 0..self.chunks {
                conn.send(&vec![(i % 251) as u8; MIB]);
            }
        }
        input.clear();
    }
    fn on_high_water_mark(&mut self, _conn: &mut Conn<'_>, pending: usize) {
        assert!(pending >= MIB);
        self.high_water.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_high_water_mark_fires_once_per_upward_crossing() {
    const CHUNKS: usize = 32; // far more than the loopback socket buffers hold
    let high_water = Arc::new(AtomicUsize::new(0));
    let hw = high_water.clone();
    let server = TcpServer::builder("127.0.0.1:0")
        .loopers(1)
        .high_water_mark(MIB)
        .start(move || Flood {
            chunks: CHUNKS,
            high_water: hw.clone(),
        })
        .unwrap();
    let mut client = connect(server.local_addr());
    for round in 1..=2 {
        write_all(&mut client, b"x");
        // Read everything: the output drains below the mark (to zero) between the rounds.
        let got = read_exact(&mut client, CHUNKS * MIB);
        assert_eq!(got[CHUNKS * MIB - 1], ((CHUNKS - 1) % 251) as u8);
        assert_eq!(
            high_water.load(Ordering::SeqCst),
            round,
            "one callback per crossing, not one per send above the mark"
        );
    }
    server.shutdown(Duration::from_secs(2));
}

#[test]
fn server_shutdown_flushes_pending_output_before_the_fin() {
    const CHUNKS: usize = 24;
    let server = TcpServer::builder("127.0.0.1:0")
        .name("flushme")
        .loopers(1)
        .start(|| Flood {
            chunks: CHUNKS,
            high_water: Arc::new(AtomicUsize::new(0)),
        })
        .unwrap();
    let mut client = connect(server.local_addr());
    write_all(&mut client, b"x");
    // Wait until the server holds pending output (the client has read nothing yet).
    assert!(wait_until(Duration::from_secs(10), || {
        server.metrics().bytes_out > 0
    }));
    thread::sleep(Duration::from_millis(50));
    // Shut down while most of the 24 MiB still waits in the server's output buffer; the client
    // reads only now, slowly enough that the flush takes a while.
    let stopper = thread::spawn(move || server.shutdown(Duration::from_secs(20)));
    let got = read_to_eof(&mut client);
    assert_eq!(
        got.len(),
        CHUNKS * MIB,
        "every pending byte arrives before the FIN"
    );
    for (i, chunk) in got.chunks(MIB).enumerate() {
        assert!(
            chunk.iter().all(|b| *b == (i % 251) as u8),
            "chunk {i} corrupt"
        );
    }
    drop(client); // our FIN: the server closes and its looper can finish before the grace ends
    stopper.join().unwrap();
    assert!(!thread_names().iter().any(|n| n.starts_with("flushme")));
}
