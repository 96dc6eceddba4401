//! Connection identities that survive slot reuse.

use std::fmt;

use mio::Token;

/// Bits of a `mio::Token` that hold the slab index; the rest hold the serial number.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;

/// The largest number of connections one loop can hold at once (2^24 - 1; the last index is
/// reserved for the loop's waker token).
pub(crate) const MAX_CONNECTIONS_PER_LOOP: usize = INDEX_MASK;

/// Identifies one connection for its whole life and never another one.
///
/// It pairs the connection's slot in its loop's slab with a serial number unique within that
/// loop, so an id (or a [`ConnHandle`](crate::ConnHandle)) kept after the connection closed can
/// never reach a new connection that reuses the slot. Together with the loop id it is unique in
/// the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId {
    pub(crate) loop_id: u32,
    pub(crate) index: u32,
    pub(crate) serial: u64,
}

impl ConnId {
    /// The id of the loop that owns the connection. **Thread-safe** (a plain value).
    pub fn loop_id(&self) -> u32 {
        self.loop_id
    }

    /// A process-wide unique number for logs and maps: loop id in the top 16 bits, the loop's
    /// serial in the rest. **Thread-safe** (a plain value).
    pub fn as_u64(&self) -> u64 {
        (u64::from(self.loop_id) << 48) | (self.serial & ((1 << 48) - 1))
    }

    /// The poll token: the slab index in the low bits, the low bits of the serial above it, so
    /// an event that was already in flight for a closed connection is recognised as stale.
    pub(crate) fn token(&self) -> Token {
        Token(((self.serial as usize) << INDEX_BITS) | self.index as usize)
    }

    /// Splits a token back into (slab index, serial bits).
    pub(crate) fn split_token(token: Token) -> (usize, u64) {
        (token.0 & INDEX_MASK, (token.0 >> INDEX_BITS) as u64)
    }

    /// Does `serial_bits` (from [`split_token`](Self::split_token)) match this id?
    pub(crate) fn matches_token_serial(&self, serial_bits: u64) -> bool {
        let bits = usize::BITS - INDEX_BITS;
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        self.serial & mask == serial_bits & mask
    }
}

impl fmt::Debug for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}.{}", self.loop_id, self.serial)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
