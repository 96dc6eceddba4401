//! GETBIT key offset: one bit of a string (bit 0 is the most significant bit of the first byte);
//! 0 past its end or for a missing key (Redis' `getbitCommand`, `bitops.c`).

use bytes::{Bytes, BytesMut};
use kvs_storage::StorageError;

use super::args::ArgCursor;
use super::setbit::bit_offset;
use super::{Cmd, Db, StorageCommand};
use crate::resp::{Proto, encode};

#[derive(Debug)]
pub struct GetBit {
    key: Bytes,
    offset: u64,
}

pub fn parse(args: &[Bytes]) -> Result<Cmd, String> {
    let mut a = ArgCursor::new(args);
    let key = a.next_bytes()?;
    let offset = bit_offset(&a.next_bytes()?)?;
    Ok(GetBit { key, offset }.into())
}

impl StorageCommand for GetBit {
    const WRITES: bool = false;

    fn exec_read(&self, db: &mut dyn Db, _: Proto, out: &mut BytesMut) -> Result<(), StorageError> {
        let v = db.get(&self.key)?;
        db.note_lookup(v.is_some());
        let byte = (self.offset >> 3) as usize;
        let bit = v
            .and_then(|v| v.data.get(byte).copied())
            .is_some_and(|b| b & (1 << (7 - (self.offset & 7))) != 0);
        encode::integer(out, i64::from(bit));
        Ok(())
    }

    fn looked_up_keys(&self) -> Option<&[Bytes]> {
        Some(std::slice::from_ref(&self.key))
    }
}
