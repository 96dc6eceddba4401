//! Keys, values and the per-thread RNG every engine is driven with.

use super::*;

/// The `i`th key: `key` and 13 decimal digits, 16 bytes.
pub(crate) fn key(i: u64) -> [u8; 16] {
    let mut k = *b"key0000000000000";
    let mut n = i;
    for b in k[3..].iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
    k
}

pub(crate) struct Vals(pub(crate) Vec<[u8; VAL_LEN]>);

impl Vals {
    pub(crate) fn new() -> Vals {
        let mut rng = StdRng::seed_from_u64(0x6b76_7300);
        Vals(
            (0..4096)
                .map(|_| {
                    let mut v = [0u8; VAL_LEN];
                    rng.fill(&mut v[..]);
                    v
                })
                .collect(),
        )
    }
    pub(crate) fn get(&self, i: u64) -> &[u8] {
        &self.0[(i as usize) & 4095]
    }
}

/// xorshift64*: a few ns per number, the same sequence for every engine.
pub(crate) struct Rng64(pub(crate) u64);

impl Rng64 {
    pub(crate) fn new(seed: u64) -> Rng64 {
        Rng64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

pub(crate) static SEED: AtomicU64 = AtomicU64::new(1);
