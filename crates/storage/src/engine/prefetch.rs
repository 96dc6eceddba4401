//! Software prefetch: asking the CPU to start loading memory that is about to be read, so that
//! a batch of keys waits for memory about once instead of once per key and per step (the
//! index's bucket, the key's run, the record; storage-engine §11.1 and §11.3).
//!
//! Only ever a hint: a prefetch reads nothing architecturally, cannot fault (an address whose
//! page is not resident is simply dropped) and changes nothing observable.

/// Bytes per cache line on the machines this runs on.
const LINE: usize = 64;

/// Starts loading the cache line holding `v`.
pub(crate) fn line<T>(v: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing architecturally and cannot fault; the pointer comes
        // from a reference anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(v).cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = v;
}

/// Starts loading the first `max` bytes of `bytes` (every cache line they touch).
pub(crate) fn bytes(bytes: &[u8], max: usize) {
    let b = bytes.get(..max.min(bytes.len())).unwrap_or_default();
    // The first byte of every line the slice touches: its start, then each line boundary.
    let misalign = (b.as_ptr() as usize) % LINE;
    let mut at = 0;
    while let Some(v) = b.get(at) {
        line(v);
        at = (at + LINE) - (at + misalign) % LINE;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prefetching_any_slice_is_harmless() {
        let v = vec![7u8; 1000];
        for (start, max) in [(0, 0), (0, 1), (3, 64), (1, 1000), (999, 5), (1000, 10)] {
            super::bytes(&v[start..], max);
        }
        super::line(&v);
        assert!(v.iter().all(|&b| b == 7));
    }
}
