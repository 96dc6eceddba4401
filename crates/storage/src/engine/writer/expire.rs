//! Deleting what expired: the due keys of the expiry schedule become tombstones, committed
//! like any delete (`expire_due`), and the keys found expired are handed to the caller's
//! `ExpiredSink` (`tell_expired`).

use std::sync::atomic::Ordering::Relaxed;

use crate::batch::Batch;
use crate::options::now_ms;

use super::{EXPIRE_BATCH, Writer};

impl Writer {
    /// Deletes keys whose TTL has passed (tombstones, like any delete).
    pub(super) fn expire_due(&mut self) {
        let now = now_ms();
        let mut records = Batch::default();
        let mut dropped = 0u64;
        let mut tombstoned: Vec<Vec<u8>> = Vec::new();
        while records.len() < EXPIRE_BATCH {
            let Some((at, key)) = self.expiries.pop_due(now) else {
                break;
            };
            if self
                .shared
                .index
                .get(&key)
                .is_some_and(|e| e.expire_at_ms == Some(at))
            {
                let seq = self.next_seq;
                self.next_seq += 1;
                records.push(&key, &[], None, true, seq);
                self.watches.touch(&key, true);
                if self.shared.opts.on_expired.is_some() {
                    tombstoned.push(key.to_vec());
                }
                // Counted as expired when the tombstone commits (its old entry is past due).
            } else {
                // Commits take their keys' entries out, so this key's entry is gone without
                // one: a compaction dropped it as expired (a collection's too: its elements
                // are dead with it).
                dropped += 1;
                if !self.shared.index.contains_key(&key) {
                    self.collections.key_now_plain(&key);
                }
                if self.shared.opts.on_expired.is_some() {
                    self.expired_now.push(key.to_vec());
                }
            }
        }
        let mut expired = dropped;
        let n = records.len() as u64;
        if n > 0 {
            tracing::trace!(n, "expiring keys");
            self.in_expire_pass = true;
            match self.commit(&mut records, false) {
                // Told only once their tombstones are committed; a failed commit (writes
                // refused, an I/O error) deleted nothing.
                Ok(()) => {
                    expired += n;
                    self.expired_now.append(&mut tombstoned);
                }
                Err(e) => tracing::warn!(error = %e, "could not delete expired keys"),
            }
            self.in_expire_pass = false;
        }
        self.tell_expired();
        if n > 0 {
            self.watches.publish(&self.shared.counters.watches);
        }
        if dropped + n > 0 {
            // Whatever was popped left the schedule, whether its commit published it or not;
            // the new count first, so whoever sees `expired_keys` move sees it too.
            self.publish_expiries();
            self.shared
                .counters
                .expired_keys
                .fetch_add(expired, Relaxed);
        }
    }

    /// Hands the keys found expired since the last call to `Options::on_expired`.
    pub(super) fn tell_expired(&mut self) {
        if let Some(sink) = &self.shared.opts.on_expired
            && !self.expired_now.is_empty()
        {
            sink.send(std::mem::take(&mut self.expired_now));
        }
    }
}
