//! SETBIT key offset value: sets or clears one bit of a string (bit 0 is the most significant
//! bit of the first byte), growing it with zero bytes as needed; returns the bit's old value and
//! keeps the TTL (Redis' `setbitCommand`, `bitops.c`).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::append::MAX_STRING;
use super::args::{ArgCursor, parse_i64};
use super::{Cmd, StorageCommand, WriteDb};
use crate::notify;
use crate::resp::{Proto, encode};

/// Redis' text for an offset that is not a number, negative, or past the largest string.
pub const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";

#[derive(Debug)]
pub struct SetBit {
    key: Bytes,
    offset: u64,
    on: bool,
}

/// A bit offset as Redis' `getBitOffsetFromArgument` reads it: an integer from 0 to the largest
/// string's last bit (`proto-max-bulk-len`, 512 MiB).
pub fn bit_offset(arg: &[u8]) -> Result<u64, String> {
    parse_i64(arg)
        .and_then(|o| u64::try_from(o).ok())
        .filter(|o| o >> 3 < MAX_STRING as u64)
        .ok_or_else(|| BAD_OFFSET.to_string())
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let offset = bit_offset(&a.next_bytes()?)?;
    let bad_bit = || "ERR bit is not an integer or out of range".to_string();
    let on = match parse_i64(&a.next_bytes()?).ok_or_else(bad_bit)? {
        0 => false,
        1 => true,
        _ => return Err(bad_bit()),
    };
    Ok(SetBit { key, offset, on }.into())
}

impl StorageCommand for SetBit {
    const WRITES: bool = true;

    fn exec_write(
        &self,
        txn: &mut dyn WriteDb,
        _: Proto,
        out: &mut BytesMut,
    ) -> Result<(), StorageError> {
        let old = txn.get(&self.key)?;
        let existed = old.is_some();
        let (mut data, expire) = old.map_or((Vec::new(), None), |v| (v.data, v.expire_at_ms));
        let byte = (self.offset >> 3) as usize;
        let mask = 1u8 << (7 - (self.offset & 7));
        let grows = byte >= data.len();
        if grows {
            data.resize(byte + 1, 0);
        }
        let was = data[byte] & mask != 0;
        // Like Redis, nothing is written when the bit already has its value and the string
        // neither was created nor grew.
        if !existed || grows || was != self.on {
            if self.on {
                data[byte] |= mask;
            } else {
                data[byte] &= !mask;
            }
            txn.put(&self.key, &data, expire);
            txn.notify(notify::STRING, "setbit", &self.key);
        }
        encode::integer(out, i64::from(was));
        Ok(())
    }

    fn key_read_by_write(&self) -> Option<&Bytes> {
        Some(&self.key)
    }
}
