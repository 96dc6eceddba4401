//! Where a read batch runs: on the looper that parsed it, or on a reader thread.
//!
//! The design's rule (docs/architecture.md §3): a hand-off must cost less than the work it
//! moves, and a looper must never wait for the disk on behalf of its other connections. Two
//! thread hand-offs (looper → reader → looper) cost ~10 µs of CPU per batch on a small VM —
//! futex wake-ups, context switches, an eventfd — against ~1 µs for a GET whose record is in
//! memory; a GET whose page is on disk can take milliseconds. So the looper answers a read batch
//! itself exactly when it cannot block.

use super::{Batch, Work};
use crate::ctx::ServerCtx;

/// Most keys a looper looks up for one batch before it prefers a reader thread. The hand-off
/// costs ~10 µs of CPU per batch and a resident key ~1 µs (a `mincore` call among it), so past
/// ~8 keys the hand-off is the cheaper side — and the reader then works in parallel with the
/// looper. Measured: with 64, GET at redis-benchmark's P=16 ran at 0.84× Redis against 0.92×
/// with every read on the readers, +0.3 µs of server CPU per GET; again with one looper and the
/// active file mapped, 0.58–0.60× against 1.03–1.04× with 8 — the index lookups (cache misses,
/// a quarter of the looper's time) then all fall on the looper's core (docs/benchmarks.md,
/// issue 13).
const MAX_KEYS: usize = 8;

/// Whether the looper answers read batch `b` itself: always under `--inline-reads`, never under
/// `--reads-on-readers`, and by default when every command only looks up keys (GET, MGET...)
/// or a collection's elements by name (HGET, SISMEMBER...), at most [`MAX_KEYS`] lookups in
/// all, and the engine says none of their records can block
/// (`Engine::reads_without_blocking`, `Engine::elements_read_without_blocking`;
/// storage-engine §11.3).
pub(super) fn answer_on_looper(ctx: &ServerCtx, b: &Batch) -> bool {
    let config = &ctx.config;
    if config.inline_reads {
        return true;
    }
    let Work::Commands { cmds, .. } = &b.work else {
        return false;
    };
    if config.reads_on_readers {
        return false;
    }
    // Count first (cheap), then ask the engine: a batch too big for the looper is sent on
    // without a residency check.
    let mut n = 0;
    for c in cmds {
        n += match (c.looked_up_keys(), c.looked_up_elements()) {
            (Some(keys), _) => keys.len(),
            (None, Some(e)) => 1 + e.count(),
            (None, None) => return false,
        };
        if n > MAX_KEYS {
            return false;
        }
    }
    let engine = &ctx.engine;
    cmds.iter().all(|c| match c.looked_up_elements() {
        Some(e) => engine.elements_read_without_blocking(&e),
        None => {
            let mut keys = c
                .looked_up_keys()
                .unwrap_or_default()
                .iter()
                .map(|k| &k[..]);
            engine.reads_without_blocking(&mut keys)
        }
    })
}
